//! Which engine's SQL a migration file holds.

use serde::Serialize;

/// Which engine's SQL a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine of a directory named `sqlite` or `postgres`.
    pub fn of_directory_name(name: &str) -> Option<Engine> {
        match name {
            "sqlite" => Some(Engine::Sqlite),
            "postgres" => Some(Engine::Postgres),
            _ => None,
        }
    }
}
