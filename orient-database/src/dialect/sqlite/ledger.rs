//! SQLite's migration ledger and lock: [`MigrationBackend`] for `SqliteConnection`.
//!
//! The ledger is Diesel's own `__diesel_schema_migrations`, so `diesel migration run` and `orient-db
//! migrate` see the same state; the checksum of each applied migration sits beside it in
//! `__orient_migration_checksums`, written in the same transaction as the ledger row. Writes run in
//! `BEGIN IMMEDIATE` transactions, so another writer makes them wait instead of failing halfway. The lock
//! is the `<database>.migrate-lock` file ([`super::lock`]).

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use crate::bookkeeping::DIESEL_LEDGER;
use crate::db::target::Target;
use crate::dialect::sqlite::Sqlite;
use crate::dialect::sqlite::lock::MigrationLock;
use crate::dialect::sqlite::scratch_connection;
use crate::engine::EngineConnection;
use crate::migrations::backend::{LedgerEntry, MigrationBackend};
use crate::migrations::checksum::{self, CHECKSUM_TABLE};
use crate::migrations::{Error, Migration};
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct LedgerRow {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Nullable<Text>)]
    run_on: Option<String>,
}

#[derive(QueryableByName)]
struct ChecksumRow {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Text)]
    checksum: String,
}

fn ledger() -> String {
    Sqlite.quote_ident(DIESEL_LEDGER)
}

fn checksums() -> String {
    Sqlite.quote_ident(CHECKSUM_TABLE)
}

/// Creates the checksum table if it is missing; every writer runs it first.
fn ensure_checksum_table(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         version TEXT PRIMARY KEY NOT NULL, \
         checksum TEXT NOT NULL, \
         recorded_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        checksums()
    ))
}

/// Every stored checksum, by version. A database without the table has none (and is not changed).
fn stored_checksums(conn: &mut SqliteConnection) -> QueryResult<BTreeMap<String, String>> {
    if !conn.table_exists(CHECKSUM_TABLE)? {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<ChecksumRow> = diesel::sql_query(format!(
        "SELECT version, checksum FROM {} ORDER BY version",
        checksums()
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.version, r.checksum)).collect())
}

/// Records (or replaces: a row left behind by `diesel migration revert` is stale) a version's checksum.
fn record_checksum(conn: &mut SqliteConnection, version: &str, sum: &str) -> QueryResult<()> {
    ensure_checksum_table(conn)?;
    diesel::sql_query(format!(
        "INSERT OR REPLACE INTO {} (version, checksum) VALUES (?, ?)",
        checksums()
    ))
    .bind::<Text, _>(version)
    .bind::<Text, _>(sum)
    .execute(conn)
    .map(|_| ())
}

/// Removes a version's checksum (when it is reverted). Creates nothing.
fn forget_checksum(conn: &mut SqliteConnection, version: &str) -> QueryResult<()> {
    if !conn.table_exists(CHECKSUM_TABLE)? {
        return Ok(());
    }
    diesel::sql_query(format!("DELETE FROM {} WHERE version = ?", checksums()))
        .bind::<Text, _>(version)
        .execute(conn)
        .map(|_| ())
}

/// A ledger row and the checksum beside it.
fn record(conn: &mut SqliteConnection, migration: &Migration) -> QueryResult<()> {
    diesel::sql_query(format!("INSERT INTO {} (version) VALUES (?)", ledger()))
        .bind::<Text, _>(&migration.version)
        .execute(conn)?;
    record_checksum(conn, &migration.version, &checksum::of(&migration.up))
}

/// Removes a ledger row and the checksum beside it.
fn forget(conn: &mut SqliteConnection, migration: &Migration) -> QueryResult<()> {
    diesel::sql_query(format!("DELETE FROM {} WHERE version = ?", ledger()))
        .bind::<Text, _>(&migration.version)
        .execute(conn)?;
    forget_checksum(conn, &migration.version)
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

/// Runs `sql` (one direction of `migration`, read from `file`) and `bookkeeping` together: in one
/// `BEGIN IMMEDIATE` transaction, or, for a migration that manages its own transaction, the bookkeeping
/// in a transaction of its own right after.
fn run(
    conn: &mut SqliteConnection,
    migration: &Migration,
    sql: &str,
    file: String,
    bookkeeping: fn(&mut SqliteConnection, &Migration) -> QueryResult<()>,
) -> Result<(), Error> {
    let failed = |source: diesel::result::Error| Error::Apply {
        name: migration.name.to_string(),
        file: file.clone(),
        source,
    };
    if migration.run_in_transaction {
        conn.immediate_transaction(|conn| {
            conn.batch_execute(sql)?;
            bookkeeping(conn, migration)
        })
        .map_err(failed)
    } else {
        if let Err(source) = conn.batch_execute(sql) {
            restore_after_self_managed(conn);
            return Err(failed(source));
        }
        conn.immediate_transaction(|conn| bookkeeping(conn, migration))
            .map_err(failed)
    }
}

impl MigrationBackend for SqliteConnection {
    type Lock = MigrationLock;

    fn scratch(&mut self, _target: &Target) -> Result<(SqliteConnection, Option<String>), Error> {
        // In memory: gone with its connection.
        Ok((scratch_connection()?, None))
    }

    fn lock(&mut self, target: &Target) -> Result<MigrationLock, Error> {
        // The lock is a file beside the database, not a lock on this connection: it is taken before
        // this connection reads anything.
        match target.sqlite_path() {
            Some(path) => MigrationLock::acquire(path),
            None => Err(Error::WrongEngine {
                target: target.to_string(),
                engine: "sqlite",
            }),
        }
    }

    fn unlock(&mut self, lock: MigrationLock) -> Result<(), Error> {
        drop(lock);
        Ok(())
    }

    fn ensure_ledger(&mut self) -> Result<(), Error> {
        self.setup().map(|_| ()).map_err(Error::Ledger)
    }

    fn applied(&mut self) -> Result<Vec<LedgerEntry>, Error> {
        if !self.table_exists(DIESEL_LEDGER).map_err(Error::Ledger)? {
            return Ok(Vec::new());
        }
        let rows: Vec<LedgerRow> = diesel::sql_query(format!(
            "SELECT version, CAST(run_on AS TEXT) AS run_on FROM {} ORDER BY version",
            ledger()
        ))
        .load(self)
        .map_err(Error::Ledger)?;
        let mut sums = stored_checksums(self).map_err(Error::Ledger)?;
        Ok(rows
            .into_iter()
            .map(|row| LedgerEntry {
                checksum: sums.remove(&row.version),
                version: row.version,
                run_on: row.run_on,
            })
            .collect())
    }

    fn apply_one(&mut self, migration: &Migration) -> Result<(), Error> {
        run(self, migration, &migration.up, migration.up_path(), record)
    }

    fn revert_one(&mut self, migration: &Migration) -> Result<(), Error> {
        let Some(down) = &migration.down else {
            return Err(Error::NoDown {
                name: migration.name.to_string(),
            });
        };
        run(self, migration, down, migration.down_path(), forget)
    }

    fn record_applied(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        self.immediate_transaction(|conn| {
            conn.setup()?;
            for migration in migrations {
                record(conn, migration)?;
            }
            QueryResult::Ok(())
        })
        .map_err(Error::Ledger)
    }

    fn record_checksums(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        self.immediate_transaction(|conn| {
            for migration in migrations {
                record_checksum(conn, &migration.version, &checksum::of(&migration.up))?;
            }
            QueryResult::Ok(())
        })
        .map_err(Error::Ledger)
    }
}
