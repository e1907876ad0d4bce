//! `amcheck`: when the extension is installed in the database, `bt_index_check` on every valid B-tree
//! index of our schema (it takes only an ACCESS SHARE lock, as a SELECT does, so reads and writes go
//! on). Doctor never installs it: without it the check is skipped, saying how to enable it.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::dialect::postgres::Postgres;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct Installed {
    /// The schema the extension's functions are in.
    #[diesel(sql_type = Text)]
    schema: String,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = BigInt)]
    oid: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
}

const INDEXES: &str = "\
SELECT i.oid::bigint AS oid, i.relname::text AS name, t.relname::text AS table_name
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE n.nspname = current_schema() AND am.amname = 'btree' AND x.indisvalid AND x.indisready
  AND i.relpersistence <> 't'
ORDER BY 3, 2";

pub fn check(d: &mut Diagnosis, session: &mut PgConnection, database: &str) {
    let installed = diesel::sql_query(
        "SELECT n.nspname::text AS schema FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
    )
    .get_results::<Installed>(session);
    let schema = match installed {
        Ok(rows) => match rows.into_iter().next() {
            Some(row) => row.schema,
            None => {
                d.skip(
                    "amcheck",
                    format!(
                        "the amcheck extension is not installed in {database}. To have doctor check \
                         every index against its table, a superuser runs `CREATE EXTENSION amcheck` \
                         in that database once (doctor never installs anything) and grants the role \
                         doctor uses `EXECUTE ON FUNCTION bt_index_check(regclass)`"
                    ),
                );
                return;
            }
        },
        Err(e) => {
            d.skip("amcheck", format!("pg_extension cannot be read: {e}"));
            return;
        }
    };
    let indexes: Vec<IndexRow> = match diesel::sql_query(INDEXES).load(session) {
        Ok(rows) => rows,
        Err(e) => {
            d.skip("amcheck", format!("pg_index cannot be read: {e}"));
            return;
        }
    };
    let function = format!("{}.bt_index_check", Postgres.quote_ident(&schema));
    for index in indexes {
        let checked = diesel::sql_query(format!("SELECT {function}(($1)::oid::regclass)"))
            .bind::<BigInt, _>(index.oid)
            .execute(session);
        let Err(e) = checked else {
            continue;
        };
        let text = e.to_string();
        if text.contains("permission denied") {
            d.skip(
                "amcheck",
                format!(
                    "the role doctor connects as may not run {function} ({text}); grant it: `GRANT \
                     EXECUTE ON FUNCTION {function}(regclass) TO <role>`"
                ),
            );
            return;
        }
        let quoted = Postgres.quote_ident(&index.name);
        d.add(
            Code::AmcheckFailed,
            Severity::Error,
            None,
            format!(
                "amcheck's bt_index_check found index `{}` of table `{}` in {database} inconsistent: \
                 {text}",
                index.name, index.table_name
            ),
            format!(
                "Rebuild it: `REINDEX INDEX CONCURRENTLY {quoted}`. An index that breaks on its own \
                 points at storage or memory faults: check the server's log and its disks, and keep a \
                 recent backup (`pg_dump`)"
            ),
        );
    }
}
