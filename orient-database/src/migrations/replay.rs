//! The schema a list of migrations produces, computed by applying them to an in-memory database: no file
//! is needed, so `check` and `generate` work in CI without a database.

use diesel::prelude::*;

use crate::dialect::sqlite::introspect::{Introspection, introspect};
use crate::migrations::{Error, Migration, runner};

/// Applies `migrations` in order to a fresh in-memory database and reads its schema back.
pub fn replay(migrations: &[Migration]) -> Result<Introspection, Error> {
    let mut conn = SqliteConnection::establish(":memory:").map_err(|e| {
        Error::Replay(Box::new(Error::BadMigration {
            name: ":memory:".to_owned(),
            reason: e.to_string(),
        }))
    })?;
    crate::db::connection::configure(&mut conn, crate::db::connection::Access::ReadWrite)
        .map_err(|e| Error::Replay(Box::new(Error::Ledger(e))))?;
    runner::run_pending(&mut conn, migrations).map_err(|e| Error::Replay(Box::new(e)))?;
    introspect(&mut conn).map_err(|e| Error::Replay(Box::new(Error::Ledger(e))))
}
