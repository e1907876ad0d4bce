//! What a template's seed hook is (see [`crate::testing::Template::seeded`]).

use crate::db::DbConnection;

/// What a seed hook returns on failure.
pub type SeedError = Box<dyn std::error::Error + Send + Sync>;

/// Writes a template's data into the freshly migrated template, once per process.
pub type SeedHook = fn(&mut DbConnection) -> Result<(), SeedError>;
