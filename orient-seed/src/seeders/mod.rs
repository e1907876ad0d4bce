//! The seeders, one per file, and [`REGISTRY`]: the order they run in.

mod agents;
mod permissions;
mod prompts;

pub use agents::AgentsSeeder;
pub use permissions::PermissionsSeeder;
pub use prompts::PromptsSeeder;

use crate::seeder::Seeder;

/// Every seeder, in the order a run executes them: agents → permissions → prompts.
pub const REGISTRY: &[&dyn Seeder] = &[&AgentsSeeder, &PermissionsSeeder, &PromptsSeeder];
