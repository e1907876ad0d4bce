//! Configuration that cannot be used: what [`Config`](super::config::Config) and `.env` reading
//! report, found before any database file is touched. In a file of its own because the `.env` reader,
//! the configuration and the migrations' errors all carry it.

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
        "DATABASE_TYPE={value} (from {origin}) is not supported; supported values: sqlite, postgres. \
         Unset it or set one of those"
    )]
    UnsupportedDatabaseType { value: String, origin: String },

    #[error(
        "{what} (from {origin}) asks for PostgreSQL, but this build of orient-database has no \
         PostgreSQL support: build it with the cargo feature `postgres` (e.g. `cargo run -p \
         orient-database --features postgres --bin orient-db …`), or point SQLITE_DATABASE at a file"
    )]
    PostgresNotBuilt { what: String, origin: String },

    #[error(
        "DATABASE_TYPE=postgres (from {origin}) needs DATABASE_URL set to the server, e.g. \
         postgres://user:password@host:5432/orient"
    )]
    PostgresWithoutUrl { origin: String },

    #[error(
        "DATABASE_URL={value} (from {origin}) is not a PostgreSQL URL ({reason}); write it as \
         postgres://user:password@host:port/database"
    )]
    BadPostgresUrl {
        value: String,
        origin: String,
        reason: String,
    },

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

    #[error(
        "{variable} (from {origin}) is not valid UTF-8 (it reads as `{lossy}`); it was not used, \
         because falling back to the default could mean another database. Set it to a UTF-8 value or \
         unset it"
    )]
    NotUnicode {
        variable: &'static str,
        origin: String,
        /// The value with invalid bytes replaced, to recognise it by.
        lossy: String,
    },

    #[error("{variable}={value} (from {origin}) is not valid: expected {expected}")]
    BadValue {
        variable: &'static str,
        value: String,
        origin: String,
        expected: String,
    },

    #[error(
        "the project root {path} (named by {named_by}) is not a directory; set ORIENT_PROJECT_ROOT \
         to the directory holding diesel.toml and .env"
    )]
    BadProjectRoot { path: PathBuf, named_by: String },

    #[error(
        "no database is configured: none of SQLITE_DATABASE, SQLITE_DB_PATH, DATABASE_URL or \
         AI_INSTANCE_ID is set (in the environment or in {}/.env), and no project root (a directory \
         holding diesel.toml) is at or above {}. Nothing was created. Set SQLITE_DATABASE to the \
         database file (e.g. SQLITE_DATABASE=/srv/orient/orient.db; DATABASE_URL works too), run from the \
         Orient checkout, or set ORIENT_PROJECT_ROOT to the checkout",
        directory.display(),
        directory.display()
    )]
    NothingConfigured { directory: PathBuf },

    #[error(
        "DATABASE_READ_URL={value} (from {origin}) names read replicas, but the database is the \
         SQLite file {}: replicas are PostgreSQL standbys of a PostgreSQL primary. Unset \
         DATABASE_READ_URL, or set DATABASE_URL to the primary's postgres:// URL",
        database.display()
    )]
    ReplicasNeedPostgres {
        value: String,
        origin: String,
        database: PathBuf,
    },

    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
}
