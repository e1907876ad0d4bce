//! What the migrator needs from an engine: the migration lock and the ledger (the pattern of sqlx's
//! `Migrate` trait). The migrator ([`crate::migrations::migrator`]) decides what to do, generically; an
//! engine's implementation says how: SQLite's is a lock file beside the database and Diesel's
//! `__diesel_schema_migrations` with our checksums beside it (`dialect/sqlite/ledger.rs`).
//!
//! Every method that writes commits what it wrote with the ledger row that records it, in one
//! transaction, so a migration is never applied without being recorded (a migration that manages its
//! own transaction is the one exception, and the migrator recovers it).

use std::time::Duration;

use serde::Serialize;

use crate::db::target::Target;
use crate::migrations::{Error, Migration};

/// A row of the ledger, with the checksum recorded beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub version: String,
    /// When it was applied, as the engine wrote it (UTC).
    pub run_on: Option<String>,
    /// The checksum recorded when it was applied; `None` when another tool (`diesel migration run`)
    /// applied it, until the next migrate records it.
    pub checksum: Option<String>,
}

/// A held migration lock: while it lives, no other migrator of the same database runs.
pub trait HeldLock {
    /// How long taking it waited for another migrator.
    fn waited(&self) -> Duration;
    /// The process it waited for, when it waited and could tell.
    fn waited_for(&self) -> Option<u32>;
}

/// The ledger and the lock of one engine. See the module documentation.
pub trait MigrationBackend {
    type Lock: HeldLock;

    /// An empty scratch database of the same engine as `target`, for replaying migrations (SQLite's is
    /// in memory; PostgreSQL's a schema of its own on the same server), and the statement that removes
    /// it once replaying is done, if anything has to be removed.
    fn scratch(&mut self, target: &Target) -> Result<(Self, Option<String>), Error>
    where
        Self: Sized;

    /// Takes the migration lock of `target`, waiting for another migrator up to the configured time
    /// ([`Error::Locked`] after that). Taken before the ledger is read.
    fn lock(&mut self, target: &Target) -> Result<Self::Lock, Error>;

    /// Releases the lock.
    fn unlock(&mut self, lock: Self::Lock) -> Result<(), Error>;

    /// Creates the ledger if it is missing.
    fn ensure_ledger(&mut self) -> Result<(), Error>;

    /// The ledger's rows, oldest version first. A database without a ledger has none, and reading
    /// creates nothing.
    fn applied(&mut self) -> Result<Vec<LedgerEntry>, Error>;

    /// Runs `migration`'s `up.sql` and records it (ledger row and checksum), all in one transaction
    /// unless the migration manages its own.
    fn apply_one(&mut self, migration: &Migration) -> Result<(), Error>;

    /// Runs `migration`'s `down.sql` and removes its ledger row and checksum, in one transaction unless
    /// the migration manages its own.
    fn revert_one(&mut self, migration: &Migration) -> Result<(), Error>;

    /// Records `migrations` as applied without running them (adoption, recovery), in one transaction.
    fn record_applied(&mut self, migrations: &[&Migration]) -> Result<(), Error>;

    /// Records the checksums of applied migrations that have none, in one transaction.
    fn record_checksums(&mut self, migrations: &[&Migration]) -> Result<(), Error>;
}
