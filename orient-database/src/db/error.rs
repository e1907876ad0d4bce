//! Errors of the connection layer. Each names the file or variable involved and says what to do next.

use std::path::PathBuf;

pub use crate::db::config_error::ConfigError;

use crate::db::storage::{ForeignFile, NotWritableFile, StorageProblem, describe_foreign};
use crate::ops::error_class::ErrorClass;
use crate::os::user::User;

/// An error of the connection layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error(
        "{path} is a directory, not a database file; point SQLITE_DATABASE at a file inside it"
    )]
    IsDirectory { path: PathBuf },

    #[error(
        "database file not found: {path}; run `orient-db migrate` (or `cargo run -p orient-seed`) to \
         create it"
    )]
    NotFound { path: PathBuf },

    #[error("cannot create directory {path} for the database: {source}")]
    CreateDirectory {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{path} is not an SQLite database (its header is not \"SQLite format 3\"); it was left \
         untouched. Point SQLITE_DATABASE at an Orient database or at a new file"
    )]
    NotADatabase { path: PathBuf },

    #[error("{path} is corrupt ({detail}); it was left untouched. Restore it from a backup")]
    Corrupt { path: PathBuf, detail: String },

    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: diesel::ConnectionError,
    },

    #[error("cannot set up a connection to {path} ({step}): {source}")]
    Setup {
        path: PathBuf,
        step: &'static str,
        source: diesel::result::Error,
    },

    #[error(
        "{path}: the database is locked by another connection and stayed locked for the whole busy \
         timeout; retry when the other writer has finished"
    )]
    Locked { path: PathBuf },

    #[error(
        "{path} is on a read-only mount ({mount_point}), so {step} cannot write it. Remount it \
         read-write (`mount -o remount,rw {mount_point}`), or copy the database somewhere writable and \
         point SQLITE_DATABASE at the copy. Read-only commands (`orient-db schema`, `migrate status`, \
         `check`) work on it as it is"
    )]
    ReadOnlyMount {
        path: PathBuf,
        mount_point: PathBuf,
        step: String,
    },

    #[error("{}", describe_foreign(database, files, user))]
    ForeignFiles {
        database: PathBuf,
        /// The `-wal`/`-shm` files this user cannot write, with their owners.
        files: Vec<ForeignFile>,
        /// The user running this process.
        user: User,
    },

    #[error("{0}")]
    NotWritable(Box<NotWritableFile>),

    #[error(
        "{path} has a write-ahead log ({wal}) that SQLite must recover before the database can be \
         read (a writer stopped before folding it back in, e.g. killed or out of disk space), and \
         recovering it means writing beside the database, which this command cannot ({reason}). {fix}. \
         Do not delete {wal}: it may hold committed transactions"
    )]
    NeedsRecovery {
        path: PathBuf,
        wal: PathBuf,
        reason: String,
        fix: String,
    },

    #[error("{path}: {step} failed: {cause}. {advice}")]
    Storage {
        path: PathBuf,
        step: String,
        problem: StorageProblem,
        /// The failure as the layer below reported it.
        cause: String,
        /// What it means here and what to do, with the facts gathered when it happened (free space,
        /// file-size limit).
        advice: String,
    },

    #[error(
        "cannot connect to the PostgreSQL database {database} on {host}:{port} ({target}): {reason}. \
         Check that the server is running and reachable, that the user and password are right, and \
         that the database exists (`createdb`); nothing was changed"
    )]
    Connect {
        /// The URL with its password hidden.
        target: String,
        host: String,
        port: u16,
        database: String,
        /// What libpq said.
        reason: String,
    },

    #[error(
        "cannot create the PostgreSQL database {database} beside {beside}: {reason}. The user of \
         DATABASE_URL needs the CREATEDB privilege (`ALTER ROLE … CREATEDB`), or create the database \
         yourself (`createdb {database}`) and run this again; nothing was changed"
    )]
    CreateDatabase {
        /// The configured database's URL with its password hidden.
        beside: String,
        database: String,
        /// What the server said.
        reason: String,
    },

    #[error(
        "{what} works on SQLite databases only, and {target} is a PostgreSQL database: {instead}"
    )]
    NotOnThisEngine {
        what: &'static str,
        target: String,
        /// What to do on this engine instead.
        instead: &'static str,
    },

    #[error(transparent)]
    Migration(#[from] crate::migrations::Error),

    #[error(
        "the pending migrations lose data and no snapshot could be taken first, so none was applied: {0}"
    )]
    Snapshot(SnapshotFailure),

    #[error("no database connection became free in time: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),

    #[error(transparent)]
    Query(#[from] diesel::result::Error),

    /// `transaction_async` / `read_async` awaited outside a tokio runtime (feature `async`).
    #[error(
        "{operation} needs a tokio runtime and none is running on this thread; await it from code \
         running on tokio (e.g. under #[tokio::main]), or call the blocking db::transaction / db::read \
         outside async code"
    )]
    NoRuntime { operation: &'static str },

    /// An awaited call that did not complete (feature `async`).
    #[error(
        "{operation} was cancelled before it finished (its future was dropped, or the tokio runtime \
         shut down before it started); nothing it wrote was committed. Retry it if it is still wanted"
    )]
    Cancelled { operation: &'static str },
}

/// Why the automatic snapshot before data-losing migrations ([`crate::ops::snapshot`]) could not be
/// taken. The operations' error wraps this layer's, so this layer keeps it as its message and how the
/// tools treat it (the exit code the snapshot's error has).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SnapshotFailure {
    pub message: String,
    pub class: ErrorClass,
}

impl Error {
    /// Whether the error is SQLite's "database is locked" (another writer held the lock too long).
    pub fn is_locked(&self) -> bool {
        match self {
            Error::Locked { .. }
            | Error::Storage {
                problem: StorageProblem::Locked,
                ..
            } => true,
            Error::Query(e) | Error::Setup { source: e, .. } => crate::db::backend::is_locked(e),
            Error::Migration(e) => e.is_locked(),
            _ => false,
        }
    }

    /// How a command line treats it (the exit codes every Orient tool shares).
    pub fn class(&self) -> ErrorClass {
        if self.is_locked() {
            return ErrorClass::Locked;
        }
        match self {
            Error::Config(_)
            | Error::IsDirectory { .. }
            | Error::NotFound { .. }
            | Error::NotOnThisEngine { .. } => ErrorClass::Usage,
            Error::Migration(m) => m.class(),
            Error::Snapshot(failure) => failure.class,
            _ => ErrorClass::Failure,
        }
    }
}
