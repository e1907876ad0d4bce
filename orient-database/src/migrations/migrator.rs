//! The one way a database is migrated: by `orient-db migrate` and by a service's first open
//! ([`crate::db::open_writer`]) alike, on any engine (the ledger and the lock are the engine's
//! [`MigrationBackend`]).
//!
//! With the migration lock held (taken before anything is read, so N processes starting at once apply
//! each migration exactly once: the others wait, then find nothing pending):
//!
//! 1. [`verify`] reads the ledger and decides, writing nothing: applied versions this binary does not
//!    know are refused, so is an applied migration whose `up.sql` was edited since (its checksum
//!    differs); a database with tables but no ledger rows is adopted when its schema matches a prefix
//!    of the migrations, and refused otherwise;
//! 2. [`Verified::execute`] writes: the adopted versions (ledger and checksums, one transaction, no
//!    table touched), the checksums of versions applied by another tool (`diesel migration run`), then
//!    each pending migration with its ledger row and checksum in one transaction.
//!
//! [`migrate`] does both, taking and releasing the lock around them. [`revert_last`] and [`redo_last`]
//! work on the last applied migration.

use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::db::target::Target;
use crate::diff::diff;
use crate::engine::EngineConnection;
use crate::migrations::adopt::{self, Examined};
use crate::migrations::backend::{HeldLock, MigrationBackend};
use crate::migrations::replay::{Scratch, prefix_schemas};
use crate::migrations::{Error, Migration, runner};

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrateReport {
    /// The database migrated: its file, or its server URL with the password hidden.
    pub database: String,
    /// Versions recorded as applied without running them: the database had no ledger and its schema
    /// was the one these migrations produce.
    pub adopted: Vec<Migration>,
    /// Migrations run, in order.
    pub applied: Vec<Migration>,
    /// Versions that were applied without a checksum (by `diesel migration run`) and now have one.
    pub checksums_recorded: Vec<Migration>,
    /// Pending migrations whose changes the database already had (a `push` ran ahead of them, or a
    /// migration managing its own transaction committed its changes but died before its ledger row):
    /// recorded now instead of run again.
    pub recovered: Vec<Migration>,
    /// How long taking the migration lock waited for another migrator, in milliseconds.
    pub lock_wait_ms: u64,
    /// The pid of the migrator it waited for, when it waited.
    pub waited_for: Option<u32>,
    /// Whether the database was empty (no ledger, no table) when this migrator looked at it.
    #[serde(skip)]
    pub fresh: bool,
}

impl MigrateReport {
    /// Whether the run changed nothing.
    pub fn is_noop(&self) -> bool {
        self.adopted.is_empty()
            && self.applied.is_empty()
            && self.checksums_recorded.is_empty()
            && self.recovered.is_empty()
    }
}

/// The outcome of [`verify`]: what [`Verified::execute`] will write. Nothing has been written yet.
#[derive(Debug)]
pub struct Verified<'m> {
    fresh: bool,
    adopt: Vec<&'m Migration>,
    recovered: Vec<&'m Migration>,
    record_checksums: Vec<&'m Migration>,
    pending: Vec<&'m Migration>,
}

impl Verified<'_> {
    /// Whether executing would write nothing.
    pub fn writes_nothing(&self) -> bool {
        self.adopt.is_empty()
            && self.recovered.is_empty()
            && self.record_checksums.is_empty()
            && self.pending.is_empty()
    }

    /// Writes what [`verify`] decided, with the lock still held.
    pub fn execute(
        self,
        conn: &mut DbConnection,
        target: &Target,
        lock: &impl HeldLock,
    ) -> Result<MigrateReport, Error> {
        let mut report = MigrateReport {
            database: target.to_string(),
            lock_wait_ms: u64::try_from(lock.waited().as_millis()).unwrap_or(u64::MAX),
            waited_for: lock.waited_for(),
            fresh: self.fresh,
            ..MigrateReport::default()
        };
        if !self.adopt.is_empty() || !self.recovered.is_empty() {
            let recorded: Vec<&Migration> =
                self.adopt.iter().chain(&self.recovered).copied().collect();
            conn.record_applied(&recorded)?;
            report.adopted = self.adopt.iter().map(|m| (*m).clone()).collect();
            report.recovered = self.recovered.iter().map(|m| (*m).clone()).collect();
        }
        if !self.record_checksums.is_empty() {
            conn.record_checksums(&self.record_checksums)?;
            report.checksums_recorded =
                self.record_checksums.iter().map(|m| (*m).clone()).collect();
        }
        if !self.pending.is_empty() {
            conn.ensure_ledger()?;
            for migration in &self.pending {
                conn.apply_one(migration)?;
                report.applied.push((*migration).clone());
            }
        }
        Ok(report)
    }
}

/// Reads the ledger and decides what migrating means for this database; writes nothing. Refuses unknown
/// applied versions ([`Error::UnknownVersions`]), edited applied migrations ([`Error::Modified`]), and
/// databases without ledger rows that cannot be adopted ([`Error::Foreign`], [`Error::NotAdoptable`]).
pub fn verify<'m>(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &'m [Migration],
) -> Result<Verified<'m>, Error> {
    let status = refusing_status(conn, migrations)?;
    let known = |version: &str| migrations.iter().find(|m| m.version == version);
    if status.applied.is_empty() {
        return Ok(match adopt::examine(conn, migrations, target)? {
            Examined::Empty => Verified {
                fresh: true,
                adopt: Vec::new(),
                recovered: Vec::new(),
                record_checksums: Vec::new(),
                pending: migrations.iter().collect(),
            },
            Examined::Matches { k } => Verified {
                fresh: false,
                adopt: migrations[..k].iter().collect(),
                recovered: Vec::new(),
                record_checksums: Vec::new(),
                pending: migrations[k..].iter().collect(),
            },
        });
    }
    let mut pending: Vec<&Migration> = status
        .pending
        .iter()
        .filter_map(|p| known(&p.version))
        .collect();
    let present = already_present(conn, target, migrations, &pending)?;
    let recovered: Vec<&Migration> = pending.drain(..present).collect();
    Ok(Verified {
        fresh: false,
        adopt: Vec::new(),
        recovered,
        record_checksums: status
            .applied
            .iter()
            .filter(|a| a.checksum.is_none())
            .filter_map(|a| known(&a.version))
            .collect(),
        pending,
    })
}

/// How many of the `pending` migrations, from the first, the database already has the changes of: the
/// adoption rule, from the ledger's current position. That happens when `push` ran ahead of a migration
/// (it makes the schema match the structs without writing the ledger), or when a migration managing
/// its own transaction committed its changes and the process died before its ledger row. Those are
/// recorded instead of run (running them again would fail: "duplicate column name").
///
/// The rule: the live schema is not what the applied migrations produce, and is what the migrations up
/// to the j-th pending one produce; the smallest such j, so that a later migration that changes only
/// data (whose schema is the same) still runs. Nothing is recognised when the pending migrations are
/// not the contiguous rest of the list (a version older than the last applied one, merged late): that
/// one is run as usual.
fn already_present(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &[Migration],
    pending: &[&Migration],
) -> Result<usize, Error> {
    let Some(first) = pending.first() else {
        return Ok(0);
    };
    let Some(position) = migrations.iter().position(|m| m.version == first.version) else {
        return Ok(0);
    };
    let contiguous = pending.len() == migrations.len() - position
        && pending
            .iter()
            .zip(&migrations[position..])
            .all(|(p, m)| p.version == m.version);
    if position == 0 || !contiguous {
        return Ok(0);
    }
    let planner = conn.planner();
    let live = conn.introspect().map_err(Error::Ledger)?.schema;
    // The schemas after the first 1, 2, … migrations.
    let prefixes = prefix_schemas(Scratch::of(conn, target)?, migrations)?;
    let equals = |i: usize| diff(&live, &prefixes[i].schema, planner).is_empty();
    if equals(position - 1) {
        return Ok(0);
    }
    Ok((position..migrations.len())
        .find(|&j| equals(j))
        .map_or(0, |j| j - position + 1))
}

/// The ledger's status, after the refusals every migrator applies before writing anything: applied
/// versions this binary does not know, and applied migrations whose `up.sql` was edited since.
fn refusing_status(
    conn: &mut DbConnection,
    migrations: &[Migration],
) -> Result<runner::Status, Error> {
    let status = runner::status(conn, migrations)?;
    if !status.unknown.is_empty() {
        return Err(Error::UnknownVersions {
            versions: status.unknown.into_iter().map(|a| a.version).collect(),
        });
    }
    if !status.modified.is_empty() {
        return Err(Error::Modified {
            migrations: status.modified,
        });
    }
    Ok(status)
}

/// Migrates `database`, which `conn` is open on (and has read nothing of yet): takes the migration
/// lock, [`verify`]s, then [`Verified::execute`]s, and releases the lock. No snapshot is taken:
/// `crate::ops::migrate::migrate` is this with the automatic snapshot before data-losing migrations.
pub fn migrate(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &[Migration],
) -> Result<MigrateReport, Error> {
    with_lock(conn, target, |conn, lock| {
        migrate_locked(conn, target, lock, migrations, |_, _| Ok::<_, Error>(()))
    })
}

/// [`migrate`] for a caller that already holds the migration lock (an engine whose lock must be taken
/// before connecting: opening a new SQLite file creates it). `before_writing` runs once every check
/// passed and before anything is written, with the migrations about to be applied: the connection
/// layer switches a SQLite file to WAL there, so that a refused database is left byte-identical, and
/// takes the automatic snapshot when they lose data (`crate::ops::snapshot::before_migrations`).
pub fn migrate_locked<E, F>(
    conn: &mut DbConnection,
    target: &Target,
    lock: &impl HeldLock,
    migrations: &[Migration],
    before_writing: F,
) -> Result<MigrateReport, E>
where
    E: From<Error>,
    F: FnOnce(&mut DbConnection, &[&Migration]) -> Result<(), E>,
{
    let verified = verify(conn, target, migrations)?;
    before_writing(conn, &verified.pending)?;
    Ok(verified.execute(conn, target, lock)?)
}

/// Runs `f` with the migration lock of `database` held, and releases it whatever `f` returned.
pub fn with_lock<T, E, F>(conn: &mut DbConnection, target: &Target, f: F) -> Result<T, E>
where
    E: From<Error>,
    F: FnOnce(&mut DbConnection, &<DbConnection as MigrationBackend>::Lock) -> Result<T, E>,
{
    let lock = conn.lock(target)?;
    let result = f(conn, &lock);
    let released = conn.unlock(lock);
    let value = result?;
    released?;
    Ok(value)
}

/// What [`revert_last`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reverted {
    pub database: String,
    pub reverted: Migration,
}

/// What [`redo_last`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redone {
    pub database: String,
    /// The migration reverted with its `down.sql` and applied again with its `up.sql`.
    pub migration: Migration,
}

/// The last applied migration, after the same refusals as [`verify`] (unknown versions, edited
/// migrations), and refusing one without `down.sql`.
fn last_revertible<'m>(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &'m [Migration],
) -> Result<&'m Migration, Error> {
    let status = refusing_status(conn, migrations)?;
    let last = status
        .applied
        .last()
        .and_then(|a| migrations.iter().find(|m| m.version == a.version))
        .ok_or_else(|| Error::NothingToRevert {
            database: target.to_string(),
        })?;
    if last.down.is_none() {
        return Err(Error::NoDown {
            name: last.name.to_string(),
        });
    }
    Ok(last)
}

/// Reverts the last applied migration (highest version) with its `down.sql`, removing its ledger row and
/// checksum in the same transaction.
pub fn revert_last(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &[Migration],
) -> Result<Reverted, Error> {
    with_lock(conn, target, |conn, _| {
        let last = last_revertible(conn, target, migrations)?;
        conn.revert_one(last)?;
        Ok(Reverted {
            database: target.to_string(),
            reverted: last.clone(),
        })
    })
}

/// Reverts the last applied migration and applies it again (each step one transaction).
pub fn redo_last(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &[Migration],
) -> Result<Redone, Error> {
    with_lock(conn, target, |conn, _| {
        let last = last_revertible(conn, target, migrations)?;
        conn.revert_one(last)?;
        conn.apply_one(last)?;
        Ok(Redone {
            database: target.to_string(),
            migration: last.clone(),
        })
    })
}
