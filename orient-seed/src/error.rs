//! What can stop a seeding run. Any error rolls the whole run back.

use orient_database::db;
use orient_database::migrations;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Configuration, opening, or migrating the database.
    #[error(transparent)]
    Database(#[from] db::Error),

    #[error(transparent)]
    Migrations(#[from] migrations::Error),

    /// A statement of a seeder failed.
    #[error("the {seeder} seeder failed on table {table}: {source}")]
    Query {
        seeder: &'static str,
        table: &'static str,
        #[source]
        source: diesel::result::Error,
    },

    /// Reading which tables and columns the database has failed.
    #[error(
        "cannot read which tables and columns the database has: {0}; `orient-db check` reads the \
         schema the same way and says more"
    )]
    Schema(#[source] diesel::result::Error),

    /// A seeder gave up for a reason of its own.
    #[error("the {seeder} seeder failed: {message}")]
    Seeder {
        seeder: &'static str,
        message: String,
    },

    /// Beginning or committing the transaction failed.
    #[error("the seeding transaction failed: {0}")]
    Transaction(#[from] diesel::result::Error),

    #[error("unknown seeder `{name}`; the seeders are: {known}")]
    UnknownSeeder { name: String, known: String },
}

impl Error {
    /// Whether another connection held the database's write lock for the whole busy timeout.
    pub fn is_locked(&self) -> bool {
        match self {
            Error::Database(e) => e.is_locked(),
            Error::Migrations(e) => e.is_locked(),
            Error::Query { source, .. } | Error::Schema(source) | Error::Transaction(source) => {
                db::backend::is_locked(source)
            }
            _ => false,
        }
    }
}
