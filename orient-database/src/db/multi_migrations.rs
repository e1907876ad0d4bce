//! The migration ledger and lock of the two-engine connection (feature `postgres`): each call handed to
//! the engine behind the enum. Apart from `db/multi.rs` so that the connection does not depend on the
//! migrations, which depend on the connection.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use crate::db::multi::{DbConnection, each};
use crate::db::target::Target;
use crate::migrations::backend::{HeldLock, LedgerEntry, MigrationBackend};
use crate::migrations::{Error, Migration};

/// The migration lock of either engine.
#[derive(Debug)]
pub enum DbLock {
    Sqlite(<SqliteConnection as MigrationBackend>::Lock),
    Postgres(<PgConnection as MigrationBackend>::Lock),
}

macro_rules! each_lock {
    ($lock:expr, $l:ident => $body:expr) => {
        match $lock {
            DbLock::Sqlite($l) => $body,
            DbLock::Postgres($l) => $body,
        }
    };
}

impl HeldLock for DbLock {
    fn waited(&self) -> Duration {
        each_lock!(self, l => l.waited())
    }

    fn waited_for(&self) -> Option<u32> {
        each_lock!(self, l => l.waited_for())
    }
}

impl MigrationBackend for DbConnection {
    type Lock = DbLock;

    fn scratch(&mut self, target: &Target) -> Result<(DbConnection, Option<String>), Error> {
        Ok(match self {
            DbConnection::Sqlite(c) => {
                let (scratch, cleanup) = c.scratch(target)?;
                (DbConnection::Sqlite(scratch), cleanup)
            }
            DbConnection::Postgres(c) => {
                let (scratch, cleanup) = c.scratch(target)?;
                (DbConnection::Postgres(scratch), cleanup)
            }
        })
    }

    fn lock(&mut self, target: &Target) -> Result<DbLock, Error> {
        Ok(match self {
            DbConnection::Sqlite(c) => DbLock::Sqlite(c.lock(target)?),
            DbConnection::Postgres(c) => DbLock::Postgres(c.lock(target)?),
        })
    }

    fn unlock(&mut self, lock: DbLock) -> Result<(), Error> {
        match (self, lock) {
            (DbConnection::Sqlite(c), DbLock::Sqlite(l)) => c.unlock(l),
            (DbConnection::Postgres(c), DbLock::Postgres(l)) => c.unlock(l),
            // A lock is only ever taken through the connection that releases it; dropping it
            // releases it all the same.
            (_, lock) => {
                drop(lock);
                Ok(())
            }
        }
    }

    fn ensure_ledger(&mut self) -> Result<(), Error> {
        each!(self, c => c.ensure_ledger())
    }

    fn applied(&mut self) -> Result<Vec<LedgerEntry>, Error> {
        each!(self, c => c.applied())
    }

    fn apply_one(&mut self, migration: &Migration) -> Result<(), Error> {
        each!(self, c => c.apply_one(migration))
    }

    fn revert_one(&mut self, migration: &Migration) -> Result<(), Error> {
        each!(self, c => c.revert_one(migration))
    }

    fn record_applied(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        each!(self, c => c.record_applied(migrations))
    }

    fn record_checksums(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        each!(self, c => c.record_checksums(migrations))
    }
}
