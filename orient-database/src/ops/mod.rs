//! Operations: keeping a database healthy and its data recoverable.
//!
//! - [`doctor`]: checks a database and names the fix for each problem (files, WAL, integrity,
//!   migrations, drift, the migration lock, the linked SQLite), changing nothing;
//! - [`backup`]: verified copies (`orient-db backup`) and restoring one atomically (`orient-db restore`);
//! - [`snapshot`]: the automatic copy taken before a `push` or a migration that loses data;
//! - [`copy`]: the verified copy both write;
//! - [`checksum`]: the content checksum every copy is verified with (engine-independent by definition),
//!   over the rows an engine reads ([`content`]);
//! - [`diagnosis`]: what doctor reports, which the engines' checks add to;
//! - [`migrate`]: migrating with the automatic snapshot first (what `db::open_writer` does too);
//! - [`transfer`]: `orient-db transfer`, a verified copy of a whole database to another, across engines;
//! - [`ErrorClass`]: how the command line treats an error of these.
//!
//! The orchestration here is engine-neutral: it takes a [`Config`](crate::db::Config) or a
//! [`DbConnection`](crate::db::backend::DbConnection). What is true of SQLite only (the WAL, `VACUUM
//! INTO`, the backup API, pragmas) lives in `dialect/sqlite/`, file owners and modes in [`crate::os`].

pub mod backup;
pub mod checksum;
pub mod content;
pub mod copy;
pub mod diagnosis;
pub mod doctor;
pub mod error_class;
pub mod migrate;
pub mod snapshot;
pub mod transfer;

use std::path::PathBuf;

use crate::db::error::{Error as DbError, SnapshotFailure};
pub use crate::ops::error_class::ErrorClass;
use crate::os::size::human_bytes;

/// An error of backup, restore or snapshots. Each names the file and what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Database(#[from] DbError),

    #[error(transparent)]
    Migration(#[from] crate::migrations::Error),

    #[error(
        "{}: {step} failed: {source}; `orient-db doctor` says what is wrong with the database and how \
         to fix it",
        path.display()
    )]
    Sqlite {
        path: PathBuf,
        step: &'static str,
        source: diesel::result::Error,
    },

    #[error("{}: {step} failed: {source}", path.display())]
    Io {
        path: PathBuf,
        step: &'static str,
        source: std::io::Error,
    },

    #[error(
        "refused: {} already exists and a backup never overwrites a file; give another --to, or move \
         that file away first",
        path.display()
    )]
    TargetExists { path: PathBuf },

    #[error(
        "the directory {} does not exist; create it first or give --to a path in an existing directory",
        dir.display()
    )]
    TargetDirectoryMissing { dir: PathBuf },

    #[error("{} does not exist; give the path of a backup or snapshot file", path.display())]
    SourceMissing { path: PathBuf },

    #[error(
        "{} is the database itself; give the path of a backup or snapshot to restore from",
        path.display()
    )]
    SameFile { path: PathBuf },

    #[error(
        "refused: {} is not an SQLite database ({detail}); nothing was changed. Give the path of a file \
         made by `orient-db backup` or an automatic snapshot",
        path.display()
    )]
    NotADatabase { path: PathBuf, detail: String },

    #[error(
        "refused: {} fails integrity_check ({}); nothing was changed. Restore another backup (automatic \
         snapshots are in .orient-snapshots/ beside the database)",
        path.display(),
        problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
    )]
    CorruptSource {
        path: PathBuf,
        problems: Vec<String>,
    },

    #[error(
        "refused: {} holds migrations this binary does not know ({}): it was made by a newer version; \
         nothing was changed. Restore it with that version's orient-db, or pick an older backup",
        path.display(),
        versions.join(", ")
    )]
    UnknownVersions {
        path: PathBuf,
        versions: Vec<String>,
    },

    #[error(
        "refused: {} is not an Orient database (none of its tables ({}) is one of ours); nothing was \
         changed. Give the path of a backup of this database",
        path.display(),
        tables.join(", ")
    )]
    ForeignSource { path: PathBuf, tables: Vec<String> },

    #[error(
        "the copy {} does not match {}: {detail}. The copy was deleted; nothing else was changed. Retry; \
         if it fails again, run `orient-db doctor`",
        copy.display(),
        source_path.display()
    )]
    CopyMismatch {
        copy: PathBuf,
        source_path: PathBuf,
        detail: String,
    },

    #[error(
        "{} was restored from {}, but its content checksum is not the backup's ({detail}). The database \
         as it was before is in {}: restore that to go back",
        database.display(),
        source_path.display(),
        snapshot.as_ref().map_or_else(|| "no snapshot (it did not exist)".to_owned(), |p| p.display().to_string())
    )]
    RestoreMismatch {
        database: PathBuf,
        source_path: PathBuf,
        detail: String,
        snapshot: Option<PathBuf>,
    },

    #[error(
        "refused: {} is damaged ({detail}), so it cannot be kept as a snapshot before it is replaced; \
         nothing was changed. Stop the processes using it, move it aside together with its -wal and \
         -shm files (e.g. `mv orient.db orient.db.damaged`), then run the restore again: it creates the \
         database from the backup",
        path.display()
    )]
    DamagedDatabase { path: PathBuf, detail: String },

    #[error(
        "{} changed while it was being copied, {attempts} times in a row; retry when fewer writes are \
         running",
        path.display()
    )]
    KeptChanging { path: PathBuf, attempts: u32 },

    #[error(
        "{}: another connection kept the database locked for {:.0} s, so the restore could not write it; \
         nothing was changed. Retry when the writers have finished (stop the services for a large restore)",
        path.display(),
        waited.as_secs_f64()
    )]
    Locked {
        path: PathBuf,
        waited: std::time::Duration,
    },

    #[error(
        "restoring {} into {} failed ({step}): {detail}; the database was not changed. `orient-db doctor` \
         says what is wrong with it",
        source_path.display(),
        database.display()
    )]
    Restore {
        source_path: PathBuf,
        database: PathBuf,
        step: &'static str,
        detail: String,
    },

    #[error(
        "refused: {} has {} free, and a snapshot of {} needs about {}; nothing was changed. Free some \
         space there (old snapshots are in {}), or set {}=0 to go without snapshots",
        dir.display(),
        human_bytes(*available),
        database.display(),
        human_bytes(*needed),
        dir.display(),
        keep_variable
    )]
    NoSpaceForSnapshot {
        /// The variable that turns snapshots off (`ORIENT_SNAPSHOT_KEEP`).
        keep_variable: &'static str,
        database: PathBuf,
        dir: PathBuf,
        needed: u64,
        available: u64,
    },

    #[error(
        "{variable}={value} (from {origin}) is not a number of snapshots to keep (e.g. 5; 0 turns \
         automatic snapshots off)"
    )]
    BadKeep {
        variable: &'static str,
        value: String,
        origin: String,
    },

    #[error(transparent)]
    Config(#[from] crate::db::config_error::ConfigError),

    /// `pg_dump`, `pg_restore` or `psql` missing or too old.
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    PostgresTool(crate::dialect::postgres::tools::ToolError),

    #[error(
        "dumping {database} into {} failed: {detail}. Nothing was kept; `orient-db doctor` and the \
         server's log say more",
        path.display()
    )]
    Dump {
        database: String,
        path: PathBuf,
        detail: String,
    },

    #[error(
        "refused: {} is not a dump pg_restore can read ({detail}); nothing was changed. Give the path \
         of a file made by `orient-db backup` or an automatic snapshot (made with the same or an older \
         PostgreSQL)",
        path.display()
    )]
    NotADump { path: PathBuf, detail: String },

    #[error(
        "refused: no snapshot can be taken of the PostgreSQL database {database} before this \
         data-losing change, because the configuration names another database ({configured}); nothing \
         was changed. Set DATABASE_URL to this database, or ORIENT_SNAPSHOT_KEEP=0 to go without \
         snapshots"
    )]
    SnapshotTargetUnknown {
        database: String,
        configured: String,
    },
}

impl Error {
    /// How the command line should treat it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Database(e) => {
                if e.is_locked() {
                    ErrorClass::Locked
                } else {
                    match e {
                        DbError::Config(_)
                        | DbError::IsDirectory { .. }
                        | DbError::NotFound { .. }
                        | DbError::NotOnThisEngine { .. } => ErrorClass::Usage,
                        DbError::Migration(m) => migration_class(m),
                        DbError::Snapshot(failure) => failure.class,
                        _ => ErrorClass::Failure,
                    }
                }
            }
            Error::Migration(e) => migration_class(e),
            Error::Sqlite { source, .. } if crate::db::backend::is_locked(source) => {
                ErrorClass::Locked
            }
            Error::TargetDirectoryMissing { .. }
            | Error::SourceMissing { .. }
            | Error::SameFile { .. }
            | Error::BadKeep { .. }
            | Error::Config(_) => ErrorClass::Usage,
            #[cfg(feature = "postgres")]
            Error::PostgresTool(
                crate::dialect::postgres::tools::ToolError::Missing { .. }
                | crate::dialect::postgres::tools::ToolError::TooOld { .. }
                | crate::dialect::postgres::tools::ToolError::Config(_),
            ) => ErrorClass::Usage,
            Error::TargetExists { .. }
            | Error::NotADatabase { .. }
            | Error::NotADump { .. }
            | Error::SnapshotTargetUnknown { .. }
            | Error::CorruptSource { .. }
            | Error::UnknownVersions { .. }
            | Error::ForeignSource { .. }
            | Error::DamagedDatabase { .. }
            | Error::NoSpaceForSnapshot { .. } => ErrorClass::Refused,
            Error::Locked { .. } | Error::KeptChanging { .. } => ErrorClass::Locked,
            _ => ErrorClass::Failure,
        }
    }
}

fn migration_class(error: &crate::migrations::Error) -> ErrorClass {
    if error.is_locked() {
        ErrorClass::Locked
    } else if error.is_refusal() {
        ErrorClass::Refused
    } else {
        ErrorClass::Failure
    }
}

/// A snapshot failure as the connection layer carries it (it cannot hold this error, which holds its
/// own): the message and how the tools treat it.
impl From<Error> for SnapshotFailure {
    fn from(error: Error) -> SnapshotFailure {
        SnapshotFailure {
            class: error.class(),
            message: error.to_string(),
        }
    }
}
