//! `orient-seed`: writes Orient's default data (agents → permissions → prompts) into the database.
//!
//! - [`Seeder`]: one per file in [`seeders`], each seeding the tables of its group of
//!   [`orient_database::seed`] data (the data and its comparison with a database live there, so the
//!   studio in `orient-db` shows the same "missing / matches / differs").
//! - [`REGISTRY`]: the seeders in the order they run.
//! - [`run`]: opens the database through [`orient_database::db`] (creating it and running pending
//!   migrations, under the migration lock), then runs the selected seeders in ONE `BEGIN IMMEDIATE`
//!   transaction: all or nothing. Rows are matched by natural key. Without `force`, missing rows are
//!   inserted and existing ones left as they are; with `force`, seeded rows that differ are rewritten in
//!   place (same ids). Rows users created are never deleted or changed. A table that does not exist is
//!   skipped with a warning. `dry_run` computes the same [`Report`] and writes nothing.
//!
//! - [`seed_connection`]: the same seeding on a connection the caller holds; `testing` (feature
//!   `testing`) uses it to give tests a seeded database (`orient_seed::testing::SEEDED`).
//!
//! ```no_run
//! use orient_database::db::Config;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let report = orient_seed::run(&Config::from_env()?, orient_seed::REGISTRY, &Default::default())?;
//! println!("{} rows inserted", report.totals.inserted);
//! # Ok(()) }
//! ```

mod error;
mod report;
mod runner;
mod seeder;
pub mod seeders;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::Error;
pub use report::{Counts, Report, RowAction, RowChange, SeederReport, TableReport};
pub use runner::{Options, run, seed_connection};
pub use seeder::{Context, Seeder, seed_tables};
pub use seeders::REGISTRY;
