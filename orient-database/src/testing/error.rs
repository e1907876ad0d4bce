//! Why a test database could not be made.

use std::sync::Arc;

use crate::db;
use crate::testing::seed_hook::SeedError;

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot build the test database template `{template}`: {cause}")]
    Template {
        template: &'static str,
        cause: Arc<Error>,
    },

    #[error("migrating a new database failed: {source}")]
    Migrate { source: Box<db::Error> },

    #[error(
        "the seed hook failed: {source}. It runs once, on a freshly migrated database: fix the hook or \
         the data it writes"
    )]
    Seed { source: SeedError },

    #[error(
        "{wal} still holds data after `PRAGMA wal_checkpoint(TRUNCATE)` and closing the last \
         connection, so the template file alone would miss commits. Does the seed hook keep a \
         connection of its own open?"
    )]
    NotCheckpointed { wal: std::path::PathBuf },

    #[error(
        "{path} is not in WAL mode after migrating, so its copies would not be either; the temporary \
         directory's file system must support WAL (shared memory beside the file): set TMPDIR to a \
         local disk"
    )]
    NotWal { path: std::path::PathBuf },

    #[error(
        "cannot create a temporary directory for a test database: {source}. Make TMPDIR (or /tmp) a \
         writable directory with free space"
    )]
    TemporaryDirectory { source: std::io::Error },

    #[error("{path}: {step} failed: {source}")]
    File {
        path: std::path::PathBuf,
        step: &'static str,
        source: std::io::Error,
    },

    #[error(
        "no PostgreSQL server for test databases: set {variable} to a server where the user may \
         CREATE DATABASE, or install PostgreSQL's server binaries (Debian: `postgresql`; or set \
         ORIENT_PG_BIN) so that a throwaway one is started"
    )]
    NoPostgres { variable: &'static str },

    #[error("{variable} is not a usable PostgreSQL URL: {reason}")]
    BadServerUrl {
        variable: &'static str,
        reason: String,
    },

    #[error("{server}: {step} failed: {source}")]
    Server {
        server: String,
        step: &'static str,
        source: Box<db::Error>,
    },

    #[error("cannot open the test database {path}: {source}")]
    Open {
        path: std::path::PathBuf,
        source: Box<db::Error>,
    },
}
