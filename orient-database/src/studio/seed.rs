//! The seed-data page: which seeded rows the database has, which differ from the seed data and which
//! are missing. The one file that touches `orient_database::seed`.

use serde::Serialize;

use crate::studio::{Error, Studio};

/// The seed-data page.
#[derive(Debug, Clone, Serialize)]
pub struct SeedPage {
    /// Whether this build knows the seed data.
    pub available: bool,
    pub message: Option<String>,
    pub tables: Vec<serde_json::Value>,
}

pub fn page(studio: &Studio) -> Result<SeedPage, Error> {
    studio.read(|_, _| {
        Ok(SeedPage {
            available: false,
            message: Some("the seed data is not part of this build yet".to_owned()),
            tables: Vec::new(),
        })
    })
}
