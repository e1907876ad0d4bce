//! The schema engine's work through a PostgreSQL connection: [`EngineConnection`] for `PgConnection`.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Text};

use crate::bookkeeping::PUSH_LOG;
use crate::dialect::postgres::{Postgres, introspect};
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
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// A hash of the catalog rows that describe the current schema's tables, columns, defaults,
/// constraints, indexes and triggers. Every DDL statement writes a new version of some of these rows (a
/// new `xmin`) or deletes them, so the hash moves with each schema change; reading the catalogs needs no
/// privilege.
const SCHEMA_VERSION: &str = "WITH rel AS ( \
       SELECT c.oid, c.xmin FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
       WHERE n.nspname = current_schema()), \
     parts AS ( \
       SELECT 'c' || oid || ':' || xmin AS p FROM rel \
       UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin \
         FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid \
       UNION ALL SELECT 'd' || d.oid || ':' || d.xmin \
         FROM pg_attrdef d JOIN rel ON rel.oid = d.adrelid \
       UNION ALL SELECT 'k' || k.oid || ':' || k.xmin \
         FROM pg_constraint k JOIN rel ON rel.oid = k.conrelid \
       UNION ALL SELECT 'i' || i.indexrelid || ':' || i.xmin \
         FROM pg_index i JOIN rel ON rel.oid = i.indrelid \
       UNION ALL SELECT 't' || t.oid || ':' || t.xmin \
         FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid \
       UNION ALL SELECT 's' || current_schema()) \
     SELECT ('x' || substr(md5(string_agg(p, ',' ORDER BY p)), 1, 16))::bit(64)::bigint AS n \
     FROM parts";

/// One child column set → parent per foreign key of the current schema, as SQL that counts the rows
/// referencing nothing.
#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    parent: String,
    /// `SELECT count(*) AS n …` for this key's dangling rows.
    #[diesel(sql_type = Text)]
    count_sql: String,
}

const FOREIGN_KEY_CHECKS: &str = "SELECT c.relname::text AS table_name, p.relname::text AS parent, \
       format('SELECT count(*) AS n FROM %I.%I AS c WHERE %s AND NOT EXISTS \
               (SELECT 1 FROM %I.%I AS p WHERE %s)', \
         n.nspname, c.relname, \
         (SELECT string_agg(format('c.%I IS NOT NULL', a.attname), ' AND ' ORDER BY k.ord) \
            FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), \
         pn.nspname, p.relname, \
         (SELECT string_agg(format('p.%I = c.%I', pa.attname, a.attname), ' AND ' ORDER BY k.ord) \
            FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
            JOIN pg_attribute pa ON pa.attrelid = con.confrelid \
             AND pa.attnum = con.confkey[k.ord::int])) AS count_sql \
     FROM pg_constraint con \
     JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_class p ON p.oid = con.confrelid \
     JOIN pg_namespace pn ON pn.oid = p.relnamespace \
     WHERE con.contype = 'f' AND n.nspname = current_schema() \
     ORDER BY c.relname, con.conname";

/// Whether `error` means this session waited for a lock another held and gave up: `lock_timeout`
/// expired (55P03), `NOWAIT` found it taken (55P03), or a deadlock was broken by cancelling it
/// (40P01). Diesel does not expose the SQLSTATE, so the server's (English) message is matched, plus
/// serialization failures (40001), which Diesel classifies: another transaction won, retrying can
/// succeed.
pub fn is_lock_conflict(error: &Error) -> bool {
    let Error::DatabaseError(kind, info) = error else {
        return false;
    };
    if matches!(kind, DatabaseErrorKind::SerializationFailure) {
        return true;
    }
    let message = info.message();
    message.contains("canceling statement due to lock timeout")
        || message.contains("could not obtain lock")
        || message.contains("deadlock detected")
}

impl EngineConnection for PgConnection {
    fn planner(&self) -> &'static dyn Planner {
        &Postgres
    }

    fn is_locked(error: &Error) -> bool {
        is_lock_conflict(error)
    }

    fn introspect(&mut self) -> QueryResult<Introspection> {
        introspect::introspect(self)
    }

    fn schema_version(&mut self) -> QueryResult<i64> {
        self.count(SCHEMA_VERSION)
    }

    fn count(&mut self, sql: &str) -> QueryResult<i64> {
        Ok(diesel::sql_query(sql).get_result::<Count>(self)?.n)
    }

    fn execute_sql(&mut self, sql: &str) -> QueryResult<()> {
        self.batch_execute(sql)
    }

    fn table_exists(&mut self, name: &str) -> QueryResult<bool> {
        let count: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = $1",
        )
        .bind::<Text, _>(name)
        .get_result(self)?;
        Ok(count.n > 0)
    }

    fn foreign_keys_enforced(&mut self) -> QueryResult<bool> {
        // PostgreSQL enforces foreign keys through triggers, which fire unless the session is a
        // replication replica (`session_replication_role = replica`, a privileged setting).
        let setting: Setting =
            diesel::sql_query("SELECT current_setting('session_replication_role') AS value")
                .get_result(self)?;
        Ok(setting.value != "replica")
    }

    fn enforce_foreign_keys(&mut self, _on: bool) -> QueryResult<()> {
        // No per-connection switch an ordinary role may use, and none is needed: nothing is rebuilt
        // (`Planner::rebuilds_need_foreign_keys_off` is false), so no caller asks. Callers read the
        // setting back.
        Ok(())
    }

    fn foreign_key_violations(&mut self, limit: usize) -> QueryResult<(Vec<Violation>, usize)> {
        // Constraints are checked on every write and validated when added, but rows written by a
        // replica-role session or left by a NOT VALID constraint can still reference nothing: count
        // them, key by key.
        let keys: Vec<ForeignKeyRow> = diesel::sql_query(FOREIGN_KEY_CHECKS).load(self)?;
        let mut violations = Vec::new();
        let mut total = 0usize;
        for key in keys {
            let rows = usize::try_from(self.count(&key.count_sql)?).unwrap_or(0);
            total += rows;
            for _ in 0..rows.min(limit.saturating_sub(violations.len())) {
                violations.push(Violation {
                    table: key.table_name.clone(),
                    rowid: None,
                    parent: key.parent.clone(),
                });
            }
        }
        Ok((violations, total))
    }

    fn record_push(
        &mut self,
        fingerprint: &str,
        changes: &str,
        statements: i64,
    ) -> QueryResult<()> {
        let log = Postgres.quote_ident(PUSH_LOG);
        // `pushed_at` in the format SQLite's CURRENT_TIMESTAMP writes, UTC.
        self.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {log} (\
             \"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             \"pushed_at\" text NOT NULL \
               DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), \
             \"schema_fingerprint\" text NOT NULL, \
             \"changes\" text NOT NULL, \
             \"statements\" bigint NOT NULL)"
        ))?;
        diesel::sql_query(format!(
            "INSERT INTO {log} (\"schema_fingerprint\", \"changes\", \"statements\") VALUES ($1, $2, $3)"
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
        E: From<Error>,
    {
        // No database-wide write lock to take up front: each statement takes its table locks, held
        // until COMMIT.
        self.transaction(f)
    }

    fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<Error>,
    {
        // One snapshot for every statement (REPEATABLE READ), and PostgreSQL refuses any write.
        self.build_transaction()
            .read_only()
            .repeatable_read()
            .run(f)
    }
}
