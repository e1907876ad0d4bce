//! Migrations: the Diesel-format files in `migrations/<dialect>/`, embedded in this binary, applied on
//! Diesel's ledger so that `diesel migration run` and `orient-db migrate` agree on what is applied.
//!
//! - [`migrator`]: THE way a database is migrated (by `orient-db migrate` and by a service's first open
//!   alike): under the migration lock, refusing unknown versions and edited applied migrations
//!   ([`checksum`]), [`adopt`]ing databases made without a ledger, then applying what is pending; also
//!   `revert` and `redo` of the last migration;
//! - [`backend`]: what the migrator needs from an engine (the lock and the ledger), implemented per
//!   engine under `dialect/`;
//! - [`source`]: reading migrations (embedded, or from a directory);
//! - [`runner`]: the status of the migrations against a ledger, and applying what is pending;
//! - [`replay`]: the schema a list of migrations produces, computed in a scratch database;
//! - [`generate`]: writing a new migration, for both engines, from the difference between the migrations
//!   and the structs;
//! - [`parity`]: `migrations/sqlite/` and `migrations/postgres/` agreeing (same versions, same columns).

pub mod adopt;
pub mod backend;
pub mod checksum;
pub mod generate;
pub mod migrator;
pub mod parity;
pub mod replay;
pub mod runner;
pub mod source;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use migrator::{MigrateReport, Redone, Reverted, migrate, redo_last, revert_last};
pub use runner::{AppliedMigration, Status};
pub use source::{
    EmbeddedMigration, Migration, embedded, embedded_for, embedded_postgres, from_directory,
    project_directory,
};

/// An applied migration whose `up.sql` no longer matches the checksum recorded when it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModifiedMigration {
    pub version: String,
    pub name: String,
    /// `migrations/sqlite/<name>/up.sql`.
    pub file: String,
    /// The checksum recorded when it was applied.
    pub stored: String,
    /// The checksum of the file as this binary has it.
    pub current: String,
}

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

    #[error(
        "{}. Nothing was changed. Revert the edit (e.g. `git checkout -- <file>`); a change to the \
         schema goes in a new migration (`orient-db generate <name>`). Checksums are SHA-256 of the \
         SQL without insignificant whitespace, so re-indenting is not an edit",
        describe_modified(migrations)
    )]
    Modified { migrations: Vec<ModifiedMigration> },

    #[error(
        "{target} is not a database of the {engine} engine this connection belongs to; open it with \
         a connection of its own engine"
    )]
    WrongEngine {
        target: String,
        engine: &'static str,
    },

    #[error("migration {name} has no down.sql, so it cannot be reverted; nothing was changed")]
    NoDown { name: String },

    #[error("{database}: no migration is applied, so there is nothing to revert")]
    NothingToRevert { database: String },

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

    #[error("reading the database's schema failed: {0}")]
    Introspect(diesel::result::Error),

    #[error(
        "another migration of {} is in progress (lock {} held by {}); waited {:.1} s. Retry when it \
         has finished, or set {} (milliseconds) to wait longer",
        database.display(),
        lock_file.display(),
        holder.map_or_else(|| "another process".to_owned(), |pid| format!("pid {pid}")),
        waited.as_secs_f64(),
        crate::db::config::LOCK_TIMEOUT_VARIABLE
    )]
    Locked {
        database: PathBuf,
        lock_file: PathBuf,
        holder: Option<u32>,
        waited: Duration,
    },

    #[error(
        "another migration of {database} is in progress (PostgreSQL's advisory migration lock is held \
         by {}); waited {:.1} s. Retry when it has finished, or set {} (milliseconds) to wait longer",
        holder.as_deref().unwrap_or("another session"),
        waited.as_secs_f64(),
        crate::db::config::LOCK_TIMEOUT_VARIABLE
    )]
    ServerLocked {
        database: String,
        holder: Option<String>,
        waited: Duration,
    },

    #[error("{reason}")]
    Connect { reason: String },

    #[error("cannot use the migration lock file {path}: {source}")]
    LockFile {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "refused to use the migration lock file {path}: {reason}. Nothing was written to it or \
         through it. Remove it (`rm {path}`; it holds no data) and run the command again"
    )]
    UnsafeLockFile { path: PathBuf, reason: String },

    #[error(transparent)]
    Config(#[from] crate::db::config_error::ConfigError),

    #[error(
        "{} has no migration ledger and its tables ({}) are none of the tables the migrations create: \
         it is not an Orient database. Nothing was written. Point SQLITE_DATABASE (or DATABASE_URL) at an \
         Orient database or at a new one",
        database,
        tables.join(", ")
    )]
    Foreign {
        database: String,
        tables: Vec<String>,
    },

    #[error(
        "{} has no migration ledger and its schema matches no prefix of the migrations, so it cannot be \
         adopted; nothing was written. Closest: the schema after {closest} ({} difference{}; what would \
         turn the database into it):\n{}\nBring the database to that schema (or restore a backup), or \
         start from a new database",
        database,
        differences.len(),
        if differences.len() == 1 { "" } else { "s" },
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    NotAdoptable {
        database: String,
        /// The name of the last migration of the closest prefix.
        closest: String,
        differences: Vec<String>,
    },

    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),

    #[error(
        "migrations/sqlite and migrations/postgres are not in parity, so a migration generated from \
         them would not do the same on both engines; nothing was written:\n{}\nFix that (`orient-db \
         check` reports everything), then run the command again",
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    OutOfParity { problems: Vec<String> },

    #[error("replaying the migrations in memory failed: {0}")]
    Replay(Box<Error>),
}

fn describe_modified(migrations: &[ModifiedMigration]) -> String {
    migrations
        .iter()
        .map(|m| {
            format!(
                "migration {} ({}) was edited after it was applied to the database: stored checksum \
                 {}, current {}",
                m.version, m.file, m.stored, m.current
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// Whether the error means "someone else holds the database": SQLite's "database is locked", or the
    /// migration lock still held when the wait ran out.
    pub fn is_locked(&self) -> bool {
        match self {
            Error::Locked { .. } | Error::ServerLocked { .. } => true,
            Error::Apply { source, .. } | Error::Ledger(source) | Error::Introspect(source) => {
                crate::db::backend::is_locked(source)
            }
            _ => false,
        }
    }

    /// Whether the error is a refusal to go on for the data's safety (the database was left unchanged):
    /// unknown versions, an edited applied migration, a database that cannot be adopted, a revert
    /// without `down.sql`.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::UnknownVersions { .. }
                | Error::Modified { .. }
                | Error::Foreign { .. }
                | Error::NotAdoptable { .. }
                | Error::NoDown { .. }
                | Error::UnsafeLockFile { .. }
        )
    }

    /// How a command line treats it (both tools' exit codes). The parity failure `check` reports as
    /// drift is a plain failure here: drift is `orient-db`'s own code.
    pub fn class(&self) -> crate::ops::error_class::ErrorClass {
        use crate::ops::error_class::ErrorClass;
        if self.is_locked() {
            ErrorClass::Locked
        } else if self.is_refusal() {
            ErrorClass::Refused
        } else if matches!(self, Error::Config(_)) {
            ErrorClass::Usage
        } else {
            ErrorClass::Failure
        }
    }
}
