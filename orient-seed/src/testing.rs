//! A per-test database holding Orient's default data (feature `testing`).
//!
//! `orient_database::testing` copies a template for each test; it cannot run the seeders itself (this
//! crate depends on it), so it takes a seed hook, and this is the hook for the default data:
//!
//! ```
//! use orient_database::db::Db;
//!
//! #[orient_database::test(template = orient_seed::testing::SEEDED)]
//! fn the_default_agents_are_there(db: Db) {
//!     // …
//! }
//! ```
//!
//! or, without the attribute, `orient_database::testing::TestDb::from_template(&SEEDED)`.

use orient_database::db::DbConnection;
use orient_database::testing::{SeedError, Template};

use crate::{Options, REGISTRY, seed_connection};

/// Migrated, then seeded by every seeder of [`REGISTRY`] with the default options: what a new
/// database holds after `orient-seed`.
pub static SEEDED: Template = Template::seeded("orient-seed's default data", seed);

/// The seed hook of [`SEEDED`]: every seeder, in one transaction.
pub fn seed(conn: &mut DbConnection) -> Result<(), SeedError> {
    seed_connection(conn, REGISTRY, &Options::default())?;
    Ok(())
}
