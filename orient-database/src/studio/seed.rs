//! The seed-data page: for every row `orient-seed` writes, whether the database has it, has it with
//! other values (and which columns), or lacks it. The one file of the studio that touches
//! [`crate::seed`].

use serde::Serialize;

use crate::seed::{self, TableSeedStatus};
use crate::studio::Studio;
use crate::studio::error::Error;

/// The seed-data page: the seed tables in seeding order.
#[derive(Debug, Clone, Serialize)]
pub struct SeedPage {
    pub tables: Vec<TableSeedStatus>,
}

/// Compares the database with the seed data, on the request's read-only connection.
pub fn page(studio: &Studio) -> Result<SeedPage, Error> {
    studio.read(|conn, _| {
        Ok(SeedPage {
            tables: seed::status(conn)?,
        })
    })
}
