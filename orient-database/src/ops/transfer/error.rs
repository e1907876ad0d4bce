//! What can stop a transfer. Every refusal comes before anything is written; every failure after that
//! rolls the copy back, so the target keeps no row of a transfer that did not verify.

use std::path::PathBuf;

use crate::db::error::Error as DbError;
use crate::ops::ErrorClass;

/// An error of `orient-db transfer`. Each names the database (file, or URL without its password),
/// the table, and what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening or connecting failed (a missing source file, an unreachable server…).
    #[error(transparent)]
    Database(#[from] DbError),

    /// Migrating the target failed or was refused.
    #[error(transparent)]
    Migration(#[from] crate::migrations::Error),

    #[error("the source and the target are the same database ({database}); give another --to")]
    SameDatabase { database: String },

    #[error(
        "the directory {} does not exist; create it first or give --to a path in an existing directory",
        dir.display()
    )]
    TargetDirectoryMissing { dir: PathBuf },

    #[error("--{flag} {value}: {reason}; write postgres://user:password@host:port/database")]
    BadUrl {
        flag: &'static str,
        value: String,
        reason: String,
    },

    #[error(
        "refused: the source {source_db} holds migrations this binary does not know ({}): it was \
         migrated by a newer version; nothing was changed. Transfer it with that version's orient-db",
        versions.join(", ")
    )]
    SourceUnknownVersions {
        source_db: String,
        versions: Vec<String>,
    },

    #[error(
        "refused: the source {source_db} is not at this binary's schema: {} pending ({}); nothing was \
         changed. Migrate it first: `{command}`, then transfer again",
        if pending.len() == 1 { "one migration is" } else { "migrations are" },
        pending.join(", ")
    )]
    SourcePending {
        source_db: String,
        pending: Vec<String>,
        command: String,
    },

    #[error(
        "refused: the {side} {database} does not match the structs ({}); nothing was changed. \
         `orient-db check` with that database configured shows the drift; make it match \
         (`orient-db migrate`, or `orient-db push`) and transfer again",
        problems.join("; ")
    )]
    Drift {
        side: &'static str,
        database: String,
        problems: Vec<String>,
    },

    #[error(
        "refused: the target {target} already holds rows ({}); nothing was changed. Give another \
         target, or --replace to delete those rows and put the source's in their place (one \
         transaction: a failed transfer keeps them)",
        tables.iter().map(|(t, n)| format!("{t}: {n}")).collect::<Vec<_>>().join(", ")
    )]
    TargetNotEmpty {
        target: String,
        tables: Vec<(String, u64)>,
    },

    /// A value that is not of its column's declared type (boxed: the error stays small).
    #[error("{0}")]
    WrongType(Box<WrongValue>),

    #[error(
        "{database}: {step} {table} failed: {source}; nothing was transferred (the target's \
         transaction was rolled back){hint}"
    )]
    Table {
        database: String,
        step: &'static str,
        table: String,
        source: diesel::result::Error,
        hint: &'static str,
    },

    #[error("{database}: {step} failed: {source}; nothing was transferred")]
    Step {
        database: String,
        step: &'static str,
        source: diesel::result::Error,
    },

    /// Beginning or committing the target's transaction failed.
    #[error("the transaction failed: {0}; nothing was transferred")]
    Transaction(#[from] diesel::result::Error),

    #[error(
        "the copy in {target} does not match {source_db}: {}. It was rolled back; nothing was \
         transferred. Retry; if it fails again, report it with `orient-db transfer --json` output",
        tables.join("; ")
    )]
    Mismatch {
        source_db: String,
        target: String,
        tables: Vec<String>,
    },
}

/// Where a value of the wrong type is, and what it is.
#[derive(Debug, thiserror::Error)]
#[error(
    "{database}: {table}.{column} of the row {row} holds {found}, but the struct declares {declared}; \
     nothing was transferred. Correct that value in the source and transfer again"
)]
pub struct WrongValue {
    pub database: String,
    pub table: String,
    pub column: String,
    pub row: String,
    pub found: String,
    pub declared: &'static str,
}

impl Error {
    /// How the command line should treat it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Database(e) if e.is_locked() => ErrorClass::Locked,
            Error::Database(
                DbError::Config(_)
                | DbError::IsDirectory { .. }
                | DbError::NotFound { .. }
                | DbError::NotOnThisEngine { .. },
            ) => ErrorClass::Usage,
            Error::Migration(e) if e.is_locked() => ErrorClass::Locked,
            Error::Migration(e) if e.is_refusal() => ErrorClass::Refused,
            Error::Table { source, .. } | Error::Step { source, .. }
                if crate::db::backend::is_locked(source) =>
            {
                ErrorClass::Locked
            }
            Error::SameDatabase { .. }
            | Error::TargetDirectoryMissing { .. }
            | Error::BadUrl { .. } => ErrorClass::Usage,
            Error::SourceUnknownVersions { .. }
            | Error::SourcePending { .. }
            | Error::Drift { .. }
            | Error::TargetNotEmpty { .. } => ErrorClass::Refused,
            _ => ErrorClass::Failure,
        }
    }
}
