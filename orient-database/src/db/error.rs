//! Errors of the connection layer. Each names the file or variable involved and says what to do next.

use std::path::PathBuf;

/// Configuration that cannot be used. Found before any database file is touched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(
        "{path}:{line}: cannot parse `{content}`; each line of a .env file is KEY=value (values with \
         spaces in quotes), a comment (#) or blank"
    )]
    EnvFileSyntax {
        path: PathBuf,
        line: usize,
        content: String,
    },

    #[error("cannot read {path}: {source}")]
    EnvFileRead {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "DATABASE_TYPE={value} (from {origin}) is not supported by this build; supported values: sqlite \
         (PostgreSQL support is planned). Unset it or set DATABASE_TYPE=sqlite"
    )]
    UnsupportedDatabaseType { value: String, origin: String },

    #[error(
        "{variable}={value} (from {origin}) is not a SQLite database path; with DATABASE_TYPE=sqlite set \
         it to a file path (e.g. .dev-data/instance-0/orient.db), or set SQLITE_DATABASE"
    )]
    NotSqliteUrl {
        variable: &'static str,
        value: String,
        origin: String,
    },

    #[error(
        "{variable}=:memory: (from {origin}): an in-memory database cannot be shared by the connections \
         of a pool or by other processes; give a file path"
    )]
    InMemory {
        variable: &'static str,
        origin: String,
    },

    #[error("AI_INSTANCE_ID={value} (from {origin}) is not a non-negative integer")]
    BadInstanceId { value: String, origin: String },

    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
}

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

    #[error(transparent)]
    Migration(#[from] crate::migrations::Error),

    #[error("no database connection became free in time: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),

    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl Error {
    /// Whether the error is SQLite's "database is locked" (another writer held the lock too long).
    pub fn is_locked(&self) -> bool {
        match self {
            Error::Locked { .. } => true,
            Error::Query(e) | Error::Setup { source: e, .. } => crate::db::backend::is_locked(e),
            Error::Migration(e) => e.is_locked(),
            _ => false,
        }
    }
}
