//! PostgreSQL's migration ledger and lock: [`MigrationBackend`] for `PgConnection`.
//!
//! - The ledger is Diesel's own `__diesel_schema_migrations` (so `diesel migration run --migration-dir
//!   migrations/postgres` and `orient-db migrate` agree), with our checksums beside it in
//!   `__orient_migration_checksums`, written in the same transaction as the ledger row.
//! - The lock is a transaction-scoped advisory lock (`pg_advisory_xact_lock`), held by a session of its
//!   own for as long as migrating lasts: it is taken before the ledger is read, a crashed migrator's
//!   lock ends with its connection, and a transaction-pooling PgBouncer cannot orphan it (a session
//!   lock could stay with a pooled server connection). Holding it on a separate session leaves the
//!   migrating connection free to run each migration in a transaction of its own, or outside any for a
//!   migration that manages its own (`CREATE INDEX CONCURRENTLY`), exactly as on SQLite.
//! - Scratch databases (replaying migrations for adoption and checks) are schemas of their own on the
//!   same server, dropped afterwards.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use diesel::connection::{Connection, SimpleConnection};
use diesel::migration::MigrationConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::bookkeeping::DIESEL_LEDGER;
use crate::db::backend::Access;
use crate::db::target::{PostgresTarget, Target};
use crate::dialect::postgres::Postgres;
use crate::dialect::postgres::connection::establish;
use crate::engine::EngineConnection;
use crate::migrations::backend::{HeldLock, LedgerEntry, MigrationBackend};
use crate::migrations::checksum::{self, CHECKSUM_TABLE};
use crate::migrations::{Error, Migration};
use crate::sql::Dialect;

/// The advisory lock key of migrations: one per database (advisory locks are per database), the same
/// for every Orient tool and service. The bytes of "orientdb" as a big-endian integer.
pub const LOCK_KEY: i64 = 0x6f72_6965_6e74_6462;

/// The migration lock, held by its own session inside an open transaction.
pub struct ServerLock {
    session: PgConnection,
    waited: Duration,
    waited_for: Option<u32>,
}

impl std::fmt::Debug for ServerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLock")
            .field("waited", &self.waited)
            .field("waited_for", &self.waited_for)
            .finish_non_exhaustive()
    }
}

impl HeldLock for ServerLock {
    fn waited(&self) -> Duration {
        self.waited
    }

    fn waited_for(&self) -> Option<u32> {
        self.waited_for
    }
}

#[derive(QueryableByName)]
struct Acquired {
    #[diesel(sql_type = Bool)]
    acquired: bool,
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
}

/// The session holding the migration lock of this database, if another one does: its backend pid and
/// what it says it is.
fn holder(session: &mut PgConnection) -> Option<(u32, String)> {
    let row: Holder = diesel::sql_query(
        "SELECT a.pid, concat_ws(' ', nullif(a.application_name, ''), \
                'from ' || coalesce(host(a.client_addr), 'a local socket'), \
                'since ' || to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS')) AS description \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
               (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND ((l.classid::bigint << 32) | l.objid::bigint) = $1 AND l.pid <> pg_backend_pid() \
         LIMIT 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(LOCK_KEY)
    .get_result(session)
    .ok()?;
    Some((
        u32::try_from(row.pid).ok()?,
        row.description.unwrap_or_default(),
    ))
}

/// Takes the migration lock of `server` on a session of its own, waiting up to `timeout`.
fn acquire(server: &PostgresTarget, timeout: Duration) -> Result<ServerLock, Error> {
    let mut session = establish(server, Access::ReadWrite).map_err(|e| Error::Connect {
        reason: e.to_string(),
    })?;
    let failed = |e: diesel::result::Error| Error::Ledger(e);
    let started = Instant::now();
    let mut pause = Duration::from_millis(10);
    let mut waited_for = None;
    loop {
        session.batch_execute("BEGIN").map_err(failed)?;
        let got: Acquired = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS acquired")
            .bind::<diesel::sql_types::BigInt, _>(LOCK_KEY)
            .get_result(&mut session)
            .map_err(failed)?;
        if got.acquired {
            return Ok(ServerLock {
                session,
                waited: started.elapsed(),
                waited_for: waited_for.map(|(pid, _)| pid),
            });
        }
        session.batch_execute("ROLLBACK").map_err(failed)?;
        let current = holder(&mut session);
        if waited_for.is_none() {
            waited_for.clone_from(&current);
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::ServerLocked {
                database: server.to_string(),
                holder: current.or(waited_for).map(|(pid, what)| {
                    if what.is_empty() {
                        format!("backend pid {pid}")
                    } else {
                        format!("backend pid {pid} ({what})")
                    }
                }),
                waited,
            });
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

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
    Postgres.quote_ident(DIESEL_LEDGER)
}

fn checksums() -> String {
    Postgres.quote_ident(CHECKSUM_TABLE)
}

fn ensure_checksum_table(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         version VARCHAR(50) PRIMARY KEY NOT NULL, \
         checksum TEXT NOT NULL, \
         recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        checksums()
    ))
}

fn record_checksum(conn: &mut PgConnection, version: &str, sum: &str) -> QueryResult<()> {
    ensure_checksum_table(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO {} (version, checksum) VALUES ($1, $2) \
         ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()",
        checksums()
    ))
    .bind::<Text, _>(version)
    .bind::<Text, _>(sum)
    .execute(conn)
    .map(|_| ())
}

fn forget_checksum(conn: &mut PgConnection, version: &str) -> QueryResult<()> {
    if !conn.table_exists(CHECKSUM_TABLE)? {
        return Ok(());
    }
    diesel::sql_query(format!("DELETE FROM {} WHERE version = $1", checksums()))
        .bind::<Text, _>(version)
        .execute(conn)
        .map(|_| ())
}

fn record(conn: &mut PgConnection, migration: &Migration) -> QueryResult<()> {
    diesel::sql_query(format!("INSERT INTO {} (version) VALUES ($1)", ledger()))
        .bind::<Text, _>(&migration.version)
        .execute(conn)?;
    record_checksum(conn, &migration.version, &checksum::of(&migration.up))
}

fn forget(conn: &mut PgConnection, migration: &Migration) -> QueryResult<()> {
    diesel::sql_query(format!("DELETE FROM {} WHERE version = $1", ledger()))
        .bind::<Text, _>(&migration.version)
        .execute(conn)?;
    forget_checksum(conn, &migration.version)
}

/// Runs `sql` (one direction of `migration`, read from `file`) and `bookkeeping` in one transaction,
/// or, for a migration that manages its own transaction, the bookkeeping in one of its own right after.
fn run(
    conn: &mut PgConnection,
    migration: &Migration,
    sql: &str,
    file: String,
    bookkeeping: fn(&mut PgConnection, &Migration) -> QueryResult<()>,
) -> Result<(), Error> {
    let failed = |source: diesel::result::Error| Error::Apply {
        name: migration.name.to_string(),
        file: file.clone(),
        source,
    };
    if migration.run_in_transaction {
        conn.transaction(|conn| {
            conn.batch_execute(sql)?;
            bookkeeping(conn, migration)
        })
        .map_err(failed)
    } else {
        conn.batch_execute(sql).map_err(failed)?;
        conn.transaction(|conn| bookkeeping(conn, migration))
            .map_err(failed)
    }
}

/// A name for a scratch schema no other process uses: ours, this process and this instant.
fn scratch_schema_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("__orient_scratch_{}_{nanos}", std::process::id())
}

impl MigrationBackend for PgConnection {
    type Lock = ServerLock;

    fn scratch(&mut self, target: &Target) -> Result<(PgConnection, Option<String>), Error> {
        let Some(server) = target.postgres() else {
            return Err(Error::WrongEngine {
                target: target.to_string(),
                engine: "postgres",
            });
        };
        let mut scratch = establish(server, Access::ReadWrite).map_err(|e| Error::Connect {
            reason: e.to_string(),
        })?;
        let schema = Postgres.quote_ident(&scratch_schema_name());
        scratch
            .batch_execute(&format!(
                "CREATE SCHEMA {schema}; SET search_path TO {schema};"
            ))
            .map_err(|e| {
                Error::Replay(Box::new(Error::BadMigration {
                    name: format!("a scratch schema on {server}"),
                    reason: format!(
                        "{e}; replaying migrations on PostgreSQL needs the right to create a schema \
                         (GRANT CREATE ON DATABASE … TO the user)"
                    ),
                }))
            })?;
        Ok((scratch, Some(format!("DROP SCHEMA {schema} CASCADE"))))
    }

    fn lock(&mut self, target: &Target) -> Result<ServerLock, Error> {
        let Some(server) = target.postgres() else {
            return Err(Error::WrongEngine {
                target: target.to_string(),
                engine: "postgres",
            });
        };
        let settings = crate::db::config::Settings::from_env()?;
        acquire(server, settings.lock_timeout)
    }

    fn unlock(&mut self, mut lock: ServerLock) -> Result<(), Error> {
        // Ending the transaction releases the lock; closing the session would too.
        lock.session.batch_execute("COMMIT").map_err(Error::Ledger)
    }

    fn ensure_ledger(&mut self) -> Result<(), Error> {
        self.setup().map(|_| ()).map_err(Error::Ledger)
    }

    fn applied(&mut self) -> Result<Vec<LedgerEntry>, Error> {
        if !self.table_exists(DIESEL_LEDGER).map_err(Error::Ledger)? {
            return Ok(Vec::new());
        }
        let rows: Vec<LedgerRow> = diesel::sql_query(format!(
            "SELECT version::text AS version, to_char(run_on, 'YYYY-MM-DD HH24:MI:SS') AS run_on \
             FROM {} ORDER BY version",
            ledger()
        ))
        .load(self)
        .map_err(Error::Ledger)?;
        let mut sums = std::collections::BTreeMap::new();
        if self.table_exists(CHECKSUM_TABLE).map_err(Error::Ledger)? {
            let stored: Vec<ChecksumRow> = diesel::sql_query(format!(
                "SELECT version::text AS version, checksum FROM {} ORDER BY version",
                checksums()
            ))
            .load(self)
            .map_err(Error::Ledger)?;
            sums.extend(stored.into_iter().map(|r| (r.version, r.checksum)));
        }
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
        self.transaction(|conn| {
            conn.setup()?;
            for migration in migrations {
                record(conn, migration)?;
            }
            QueryResult::Ok(())
        })
        .map_err(Error::Ledger)
    }

    fn record_checksums(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        self.transaction(|conn| {
            for migration in migrations {
                record_checksum(conn, &migration.version, &checksum::of(&migration.up))?;
            }
            QueryResult::Ok(())
        })
        .map_err(Error::Ledger)
    }
}
