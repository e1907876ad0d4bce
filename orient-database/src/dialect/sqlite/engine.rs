//! The schema engine's work through a SQLite connection: [`EngineConnection`] for `SqliteConnection`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::bookkeeping::PUSH_LOG;
use crate::dialect::sqlite::{Sqlite, busy, introspect};
use crate::engine::{EngineConnection, Violation};
use crate::model::Introspection;
use crate::plan::Planner;
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = BigInt)]
    foreign_keys: i64,
}

/// A row of `pragma_foreign_key_check`.
#[derive(QueryableByName)]
struct ViolationRow {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    rowid: Option<i64>,
    #[diesel(sql_type = Text)]
    parent: String,
}

impl EngineConnection for SqliteConnection {
    fn planner(&self) -> &'static dyn Planner {
        &Sqlite
    }

    fn is_locked(error: &diesel::result::Error) -> bool {
        busy::is_busy(error)
    }

    fn introspect(&mut self) -> QueryResult<Introspection> {
        introspect::introspect(self)
    }

    fn schema_version(&mut self) -> QueryResult<i64> {
        self.count("SELECT schema_version AS n FROM pragma_schema_version")
    }

    fn count(&mut self, sql: &str) -> QueryResult<i64> {
        Ok(diesel::sql_query(sql).get_result::<Count>(self)?.n)
    }

    fn execute_sql(&mut self, sql: &str) -> QueryResult<()> {
        self.batch_execute(sql)
    }

    fn table_exists(&mut self, name: &str) -> QueryResult<bool> {
        let count: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM main.sqlite_schema WHERE type = 'table' AND name = ?",
        )
        .bind::<Text, _>(name)
        .get_result(self)?;
        Ok(count.n > 0)
    }

    fn foreign_keys_enforced(&mut self) -> QueryResult<bool> {
        let flag: Flag = diesel::sql_query("PRAGMA foreign_keys").get_result(self)?;
        Ok(flag.foreign_keys != 0)
    }

    fn enforce_foreign_keys(&mut self, on: bool) -> QueryResult<()> {
        // A no-op inside a transaction: callers read the setting back.
        self.batch_execute(if on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        })
    }

    fn foreign_key_violations(&mut self, limit: usize) -> QueryResult<(Vec<Violation>, usize)> {
        let rows: Vec<ViolationRow> =
            diesel::sql_query("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                .load(self)?;
        let total = rows.len();
        let violations = rows
            .into_iter()
            .take(limit)
            .map(|r| Violation {
                table: r.table,
                rowid: r.rowid,
                parent: r.parent,
            })
            .collect();
        Ok((violations, total))
    }

    fn record_push(
        &mut self,
        fingerprint: &str,
        changes: &str,
        statements: i64,
    ) -> QueryResult<()> {
        let log = Sqlite.quote_ident(PUSH_LOG);
        self.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {log} (\
             \"id\" INTEGER PRIMARY KEY, \
             \"pushed_at\" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, \
             \"schema_fingerprint\" TEXT NOT NULL, \
             \"changes\" TEXT NOT NULL, \
             \"statements\" INTEGER NOT NULL)"
        ))?;
        diesel::sql_query(format!(
            "INSERT INTO {log} (\"schema_fingerprint\", \"changes\", \"statements\") VALUES (?, ?, ?)"
        ))
        .bind::<Text, _>(fingerprint)
        .bind::<Text, _>(changes)
        .bind::<BigInt, _>(statements)
        .execute(self)?;
        Ok(())
    }

    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.immediate_transaction(f)
    }

    fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        // A deferred transaction: a consistent view, no write lock.
        self.transaction(f)
    }
}
