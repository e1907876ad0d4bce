//! The steps of migrating, on Diesel's own ledger (`__diesel_schema_migrations`), so `diesel migration
//! run` and this runner see the same state: applying one migration (with its ledger row and checksum in
//! one transaction), reverting one, and reading the status.
//!
//! These steps take no lock and adopt nothing: a database file is migrated through
//! [`crate::migrations::migrator`], which takes the cross-process lock first and uses them.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde::Serialize;

use crate::bookkeeping::DIESEL_LEDGER;
use crate::migrations::{Error, Migration, ModifiedMigration, checksum};

/// A row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub version: String,
    /// The migration's directory name, when this binary knows the version.
    pub name: Option<String>,
    /// When it was applied (`run_on`, UTC, as SQLite's CURRENT_TIMESTAMP writes it).
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

#[derive(QueryableByName)]
struct LedgerRow {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Nullable<Text>)]
    run_on: Option<String>,
}

/// Whether the `main` database has a table of that name.
pub(crate) fn table_exists(conn: &mut SqliteConnection, name: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM main.sqlite_schema WHERE type = 'table' AND name = ?",
    )
    .bind::<Text, _>(name)
    .get_result(conn)?;
    Ok(count.n > 0)
}

fn ledger_exists(conn: &mut SqliteConnection) -> QueryResult<bool> {
    table_exists(conn, DIESEL_LEDGER)
}

/// The ledger's rows, oldest version first. A database without a ledger has none (and is not changed).
pub fn applied(conn: &mut SqliteConnection) -> QueryResult<Vec<(String, Option<String>)>> {
    if !ledger_exists(conn)? {
        return Ok(Vec::new());
    }
    let rows: Vec<LedgerRow> = diesel::sql_query(format!(
        "SELECT version, CAST(run_on AS TEXT) AS run_on FROM \"{DIESEL_LEDGER}\" ORDER BY version"
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.version, r.run_on)).collect())
}

/// Applied, pending, unknown and modified migrations. Reads only: works on a read-only connection.
pub fn status(conn: &mut SqliteConnection, migrations: &[Migration]) -> Result<Status, Error> {
    let rows = applied(conn).map_err(Error::Ledger)?;
    let mut checksums = checksum::stored(conn).map_err(Error::Ledger)?;
    let mut status = Status {
        applied: Vec::new(),
        pending: Vec::new(),
        unknown: Vec::new(),
        modified: Vec::new(),
    };
    for (version, run_on) in rows {
        let known = migrations.iter().find(|m| m.version == version);
        let stored = checksums.remove(&version);
        if let (Some(migration), Some(stored)) = (known, &stored) {
            let current = checksum::of(&migration.up);
            if &current != stored {
                status.modified.push(ModifiedMigration {
                    version: version.clone(),
                    name: migration.name.to_string(),
                    file: migration.up_path(),
                    stored: stored.clone(),
                    current,
                });
            }
        }
        let entry = AppliedMigration {
            name: known.map(|m| m.name.to_string()),
            version,
            run_on,
            checksum: stored,
        };
        if known.is_some() {
            status.applied.push(entry);
        } else {
            status.unknown.push(entry);
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
    conn: &mut SqliteConnection,
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
    conn.setup().map_err(Error::Ledger)?;
    for migration in &status.pending {
        apply(conn, migration)?;
    }
    Ok(status.pending)
}

/// Applies one migration and records it in the ledger and its checksum beside it. Migration, ledger row
/// and checksum commit together in one `BEGIN IMMEDIATE` transaction (immediate, so another writer makes
/// this wait instead of failing halfway); a migration with `run_in_transaction = false` manages its own,
/// and its two rows are then written together after it.
pub fn apply(conn: &mut SqliteConnection, migration: &Migration) -> Result<(), Error> {
    let sum = checksum::of(&migration.up);
    let record = |conn: &mut SqliteConnection| {
        diesel::sql_query(format!(
            "INSERT INTO \"{DIESEL_LEDGER}\" (version) VALUES (?)"
        ))
        .bind::<Text, _>(&migration.version)
        .execute(conn)?;
        checksum::record(conn, &migration.version, &sum)
    };
    let failed = |source: diesel::result::Error| Error::Apply {
        name: migration.name.to_string(),
        file: migration.up_path(),
        source,
    };
    if migration.run_in_transaction {
        conn.immediate_transaction(|conn| {
            conn.batch_execute(&migration.up)?;
            record(conn)
        })
        .map_err(failed)?;
    } else {
        if let Err(source) = conn.batch_execute(&migration.up) {
            restore_after_self_managed(conn);
            return Err(failed(source));
        }
        conn.immediate_transaction(record).map_err(failed)?;
    }
    Ok(())
}

/// After a migration that manages its own transaction failed part-way (a guard of a rebuild script
/// stops it before COMMIT): roll back what it left open and put the connection back as it was, foreign
/// keys on and no temporary guard tables.
fn restore_after_self_managed(conn: &mut SqliteConnection) {
    // "no transaction is active" when the script failed before BEGIN or after COMMIT: nothing to undo.
    let _ = conn.batch_execute("ROLLBACK");
    let _ = conn.batch_execute(
        "DROP TABLE IF EXISTS temp.\"__orient_guard\"; DROP TABLE IF EXISTS temp.\"__orient_counts\";\
         DROP TABLE IF EXISTS temp.\"__orient_sequence\"; PRAGMA foreign_keys = ON;",
    );
}

/// Reverts one applied migration with its `down.sql` and removes it from the ledger and its checksum, in
/// one transaction unless the migration manages its own.
pub fn revert(conn: &mut SqliteConnection, migration: &Migration) -> Result<(), Error> {
    let Some(down) = &migration.down else {
        return Err(Error::NoDown {
            name: migration.name.to_string(),
        });
    };
    let forget = |conn: &mut SqliteConnection| {
        diesel::sql_query(format!("DELETE FROM \"{DIESEL_LEDGER}\" WHERE version = ?"))
            .bind::<Text, _>(&migration.version)
            .execute(conn)?;
        checksum::forget(conn, &migration.version)
    };
    let failed = |source: diesel::result::Error| Error::Apply {
        name: migration.name.to_string(),
        file: migration.down_path(),
        source,
    };
    if migration.run_in_transaction {
        conn.immediate_transaction(|conn| {
            conn.batch_execute(down)?;
            forget(conn)
        })
        .map_err(failed)?;
    } else {
        if let Err(source) = conn.batch_execute(down) {
            restore_after_self_managed(conn);
            return Err(failed(source));
        }
        conn.immediate_transaction(forget).map_err(failed)?;
    }
    Ok(())
}
