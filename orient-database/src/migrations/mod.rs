//! Migrations: the Diesel-format files in `migrations/sqlite/`, embedded in this binary, applied on
//! Diesel's ledger so that `diesel migration run` and `orient-db migrate` agree on what is applied.
//!
//! - [`source`]: reading migrations (embedded, or from a directory);
//! - [`runner`]: applying, reverting, status;
//! - [`replay`]: the schema a list of migrations produces, computed in an in-memory database;
//! - [`generate`]: writing a new migration from the difference between the migrations and the structs.

pub mod generate;
pub mod replay;
pub mod runner;
pub mod source;

use std::path::PathBuf;

pub use runner::{AppliedMigration, Status};
pub use source::{EmbeddedMigration, Migration, embedded, from_directory, project_directory};

/// An error while reading or applying migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{file} (migration {name}) failed: {source}; nothing of it was applied")]
    Apply {
        name: String,
        file: String,
        source: diesel::result::Error,
    },

    #[error(
        "the database has migrations this binary does not know: {}; it was migrated by a newer \
         version. Upgrade this binary (or check out the branch that added them) before using it",
        versions.join(", ")
    )]
    UnknownVersions { versions: Vec<String> },

    #[error("migration {name} has no down.sql, so it cannot be reverted")]
    NoDown { name: String },

    #[error("migration {name} is malformed: {reason}")]
    BadMigration { name: String, reason: String },

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("reading the migration ledger failed: {0}")]
    Ledger(diesel::result::Error),

    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),

    #[error("replaying the migrations in memory failed: {0}")]
    Replay(Box<Error>),
}

impl Error {
    /// Whether the error is SQLite's "database is locked".
    pub fn is_locked(&self) -> bool {
        match self {
            Error::Apply { source, .. } | Error::Ledger(source) => {
                crate::db::error::is_locked(source)
            }
            _ => false,
        }
    }
}
