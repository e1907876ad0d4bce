//! The migrations' status against a database's ledger, and applying what is pending to a private
//! database. Engine-neutral: the ledger is read and written through [`MigrationBackend`].
//!
//! Nothing here takes the migration lock or adopts anything: a database file is migrated through
//! [`crate::migrations::migrator`], which takes the lock first and uses these.

use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::migrations::backend::MigrationBackend;
use crate::migrations::{Error, Migration, ModifiedMigration, checksum};

/// A row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub version: String,
    /// The migration's directory name, when this binary knows the version.
    pub name: Option<String>,
    /// When it was applied (`run_on`, UTC, as the engine wrote it).
    pub run_on: Option<String>,
    /// The checksum recorded when it was applied; `None` when it was applied by another tool
    /// (`diesel migration run`), until the next migrate records it.
    pub checksum: Option<String>,
}

/// What is applied and what is pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub applied: Vec<AppliedMigration>,
    pub pending: Vec<Migration>,
    /// Applied versions this binary has no migration for (a newer binary migrated the database).
    pub unknown: Vec<AppliedMigration>,
    /// Applied migrations whose `up.sql` changed since (their checksum differs).
    pub modified: Vec<ModifiedMigration>,
}

/// Applied, pending, unknown and modified migrations. Reads only: works on a read-only connection.
pub fn status(conn: &mut DbConnection, migrations: &[Migration]) -> Result<Status, Error> {
    let mut status = Status {
        applied: Vec::new(),
        pending: Vec::new(),
        unknown: Vec::new(),
        modified: Vec::new(),
    };
    for entry in conn.applied()? {
        let known = migrations.iter().find(|m| m.version == entry.version);
        if let (Some(migration), Some(stored)) = (known, &entry.checksum) {
            let current = checksum::of(&migration.up);
            if &current != stored {
                status.modified.push(ModifiedMigration {
                    version: entry.version.clone(),
                    name: migration.name.to_string(),
                    file: migration.up_path(),
                    stored: stored.clone(),
                    current,
                });
            }
        }
        let applied = AppliedMigration {
            name: known.map(|m| m.name.to_string()),
            version: entry.version,
            run_on: entry.run_on,
            checksum: entry.checksum,
        };
        if known.is_some() {
            status.applied.push(applied);
        } else {
            status.unknown.push(applied);
        }
    }
    status.pending = migrations
        .iter()
        .filter(|m| !status.applied.iter().any(|a| a.version == m.version))
        .cloned()
        .collect();
    Ok(status)
}

/// Applies every pending migration in version order and returns them, with no lock, no checksum check
/// and no adoption: for private databases (the in-memory replay, tests). A database file goes through
/// [`crate::migrations::migrate`].
///
/// Refuses, before changing anything, a database that holds versions this binary does not know: it was
/// migrated by a newer binary, and running older code against it would corrupt data silently.
pub fn run_pending(
    conn: &mut DbConnection,
    migrations: &[Migration],
) -> Result<Vec<Migration>, Error> {
    let status = status(conn, migrations)?;
    if !status.unknown.is_empty() {
        return Err(Error::UnknownVersions {
            versions: status.unknown.into_iter().map(|a| a.version).collect(),
        });
    }
    if status.pending.is_empty() {
        return Ok(Vec::new());
    }
    conn.ensure_ledger()?;
    for migration in &status.pending {
        conn.apply_one(migration)?;
    }
    Ok(status.pending)
}
