//! Migrating with the automatic snapshot: the migrator ([`crate::migrations::migrator`]) is
//! engine-neutral and knows nothing of snapshots; this runs it with a hook that, once every check has
//! passed and before anything is written, takes a snapshot when the pending migrations lose data
//! ([`before_migrations`]). A service's first open (`db::open_writer`) does the same with its own lock.

use crate::db::backend::DbConnection;
use crate::db::target::Target;
use crate::migrations::Migration;
use crate::migrations::migrator::{MigrateReport, migrate_locked, with_lock};
use crate::ops::Error;
use crate::ops::snapshot::{Snapshot, before_migrations};

/// What [`migrate`] did: the migrator's report, and the snapshot taken first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub report: MigrateReport,
    /// The copy of the database taken because the pending migrations lose data.
    pub snapshot: Option<Snapshot>,
}

/// The migrator's report is what most callers read (`migrated.applied`).
impl std::ops::Deref for Migrated {
    type Target = MigrateReport;

    fn deref(&self) -> &MigrateReport {
        &self.report
    }
}

/// Migrates `database`, which `conn` is open on, like [`crate::migrations::migrate`] (under the
/// migration lock, with the same refusals), taking a snapshot first when the pending migrations lose
/// data. A snapshot that cannot be taken stops the run before anything is written.
pub fn migrate(
    conn: &mut DbConnection,
    target: &Target,
    migrations: &[Migration],
) -> Result<Migrated, Error> {
    with_lock(conn, target, |conn, lock| {
        let mut snapshot = None;
        let report = migrate_locked(conn, target, lock, migrations, |conn, pending| {
            snapshot = before_migrations(conn, pending)?;
            Ok::<_, Error>(())
        })?;
        Ok(Migrated { report, snapshot })
    })
}
