//! The connection of a build with both engines (feature `postgres`): Diesel's `MultiConnection` over
//! SQLite's and PostgreSQL's connections, and the engine traits implemented by handing each call to the
//! engine behind it.
//!
//! The variant is chosen from the configuration ([`crate::db::target::Target`]), never by Diesel's
//! `establish`, which tries each engine in turn and hides the real error. Every statement through the
//! enum costs a match and MultiBackend's bind collection (1–7 µs, measured in
//! research/postgres-prototype.md): which is why a SQLite-only build keeps the concrete connection.

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{QueryResult, deserialize, serialize};

use crate::engine::{EngineConnection, Violation};
use crate::model::Introspection;
use crate::plan::Planner;

/// A connection to either engine.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl From<SqliteConnection> for DbConnection {
    fn from(conn: SqliteConnection) -> DbConnection {
        DbConnection::Sqlite(conn)
    }
}

impl From<PgConnection> for DbConnection {
    fn from(conn: PgConnection) -> DbConnection {
        DbConnection::Postgres(conn)
    }
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbConnection::Sqlite(_) => "DbConnection::Sqlite",
            DbConnection::Postgres(_) => "DbConnection::Postgres",
        })
    }
}

/// The same expression for whichever connection is inside.
/// `$body` with `$c` bound to the engine's own connection inside `$conn`.
macro_rules! each {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            DbConnection::Sqlite($c) => $body,
            DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use each;

/// Runs `f` in a transaction the engine opens with `begin` (SQLite's `BEGIN IMMEDIATE`), committing
/// when it returns `Ok` and rolling back otherwise, through the enum's own transaction manager (which
/// hands each step to the engine's).
fn in_transaction<T, E, F>(
    conn: &mut DbConnection,
    begin: fn(&mut DbConnection) -> QueryResult<()>,
    f: F,
) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    begin(conn)?;
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the connection broken, which its next use reports.
            let _ = <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
            Err(error)
        }
    }
}

impl EngineConnection for DbConnection {
    fn planner(&self) -> &'static dyn Planner {
        each!(self, c => c.planner())
    }

    fn is_locked(error: &diesel::result::Error) -> bool {
        SqliteConnection::is_locked(error) || PgConnection::is_locked(error)
    }

    fn introspect(&mut self) -> QueryResult<Introspection> {
        each!(self, c => c.introspect())
    }

    fn schema_version(&mut self) -> QueryResult<i64> {
        each!(self, c => c.schema_version())
    }

    fn count(&mut self, sql: &str) -> QueryResult<i64> {
        each!(self, c => c.count(sql))
    }

    fn execute_sql(&mut self, sql: &str) -> QueryResult<()> {
        each!(self, c => c.execute_sql(sql))
    }

    fn table_exists(&mut self, name: &str) -> QueryResult<bool> {
        each!(self, c => c.table_exists(name))
    }

    fn foreign_keys_enforced(&mut self) -> QueryResult<bool> {
        each!(self, c => c.foreign_keys_enforced())
    }

    fn enforce_foreign_keys(&mut self, on: bool) -> QueryResult<()> {
        each!(self, c => c.enforce_foreign_keys(on))
    }

    fn foreign_key_violations(&mut self, limit: usize) -> QueryResult<(Vec<Violation>, usize)> {
        each!(self, c => c.foreign_key_violations(limit))
    }

    fn record_push(
        &mut self,
        fingerprint: &str,
        changes: &str,
        statements: i64,
    ) -> QueryResult<()> {
        each!(self, c => c.record_push(fingerprint, changes, statements))
    }

    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        in_transaction(
            self,
            |conn| match conn {
                DbConnection::Sqlite(c) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
                DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
            },
            f,
        )
    }

    fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        in_transaction(
            self,
            |conn| match conn {
                DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c),
                DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
                    c,
                    "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                ),
            },
            f,
        )
    }
}

/// `Timestamp`, `Json<T>` and the text enums cross the enum by handing the value to the engine's own
/// conversion (their generic impls cover SQLite and PostgreSQL).
mod conversions {
    use super::*;
    use crate::types::Json;
    use diesel::sql_types::Text;

    impl<T> serialize::ToSql<Text, MultiBackend> for Json<T>
    where
        T: serde::Serialize + std::fmt::Debug + Send + Sync + 'static,
    {
        fn to_sql<'b>(
            &'b self,
            out: &mut serialize::Output<'b, '_, MultiBackend>,
        ) -> serialize::Result {
            out.set_value((Text, self));
            Ok(serialize::IsNull::No)
        }
    }

    impl<T> deserialize::FromSql<Text, MultiBackend> for Json<T>
    where
        T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug + Send + Sync + 'static,
    {
        fn from_sql(
            bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
        ) -> deserialize::Result<Self> {
            bytes.from_sql::<Self, Text>()
        }
    }
}
