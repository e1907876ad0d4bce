//! What the catalog marks as not to be trusted in our schema (`current_schema()`, where introspection
//! reads): constraints added `NOT VALID` and never validated (rows written before them may break them,
//! and the planner cannot rely on them), and invalid indexes (a failed `CREATE INDEX CONCURRENTLY` or
//! `REINDEX CONCURRENTLY` leaves one behind: queries ignore it, yet every write still maintains it, and
//! a unique one still rejects duplicates). An index being built concurrently right now is also
//! invalid until it is done: those are left out.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::dialect::postgres::Postgres;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct ConstraintRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    /// `pg_constraint.contype`: `f` foreign key, `c` check, `n` not null (PostgreSQL 17+).
    #[diesel(sql_type = Text)]
    kind: String,
}

const CONSTRAINTS: &str = "\
SELECT c.relname::text AS table_name, con.conname::text AS name, con.contype::text AS kind
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND NOT con.convalidated
ORDER BY 1, 2";

pub fn constraints(d: &mut Diagnosis, session: &mut PgConnection, database: &str) {
    let rows: Vec<ConstraintRow> = match diesel::sql_query(CONSTRAINTS).load(session) {
        Ok(rows) => rows,
        Err(e) => {
            d.skip("constraints", format!("pg_constraint cannot be read: {e}"));
            return;
        }
    };
    for row in rows {
        let kind = match row.kind.as_str() {
            "f" => "foreign key",
            "c" => "check constraint",
            "n" => "NOT NULL constraint",
            _ => "constraint",
        };
        d.add(
            Code::ConstraintNotValid,
            Severity::Warning,
            None,
            format!(
                "{kind} `{}` of table `{}` in {database} was added NOT VALID and never validated: \
                 rows written before it may break it, and the planner cannot rely on it",
                row.name, row.table_name
            ),
            format!(
                "`ALTER TABLE {} VALIDATE CONSTRAINT {}` (it reads the table under a SHARE UPDATE \
                 EXCLUSIVE lock: reads and writes go on meanwhile). If it fails, the error names a row \
                 that breaks it: correct or delete such rows first",
                Postgres.quote_ident(&row.table_name),
                Postgres.quote_ident(&row.name)
            ),
        );
    }
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    /// Whether writes maintain it (`indisready`).
    #[diesel(sql_type = Bool)]
    ready: bool,
}

const INDEXES: &str = "\
SELECT t.relname::text AS table_name, i.relname::text AS name, x.indisready AS ready
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema() AND NOT x.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = x.indexrelid)
ORDER BY 1, 2";

pub fn indexes(d: &mut Diagnosis, session: &mut PgConnection, database: &str) {
    let rows: Vec<IndexRow> = match diesel::sql_query(INDEXES).load(session) {
        Ok(rows) => rows,
        Err(e) => {
            d.skip("indexes", format!("pg_index cannot be read: {e}"));
            return;
        }
    };
    for row in rows {
        let index = Postgres.quote_ident(&row.name);
        d.add(
            Code::IndexInvalid,
            Severity::Warning,
            None,
            format!(
                "index `{}` of table `{}` in {database} is invalid (left by a failed CREATE INDEX \
                 CONCURRENTLY or REINDEX CONCURRENTLY): queries do not use it{}",
                row.name,
                row.table_name,
                if row.ready {
                    ", yet every write still maintains it (and a unique one still rejects duplicates)"
                } else {
                    ""
                }
            ),
            format!(
                "Rebuild it: `REINDEX INDEX CONCURRENTLY {index}`; or drop it (`DROP INDEX CONCURRENTLY \
                 {index}`) and create it again (`orient-db check` then says whether the structs declare \
                 it). If it was a unique index, find the duplicate rows that made it fail first"
            ),
        );
    }
}
