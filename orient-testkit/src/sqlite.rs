//! Probing SQLite database files: connections, one-value queries, row dumps and content hashes.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use sha2::{Digest, Sha256};

/// The pragmas `orient_database::db::connection::configure` sets on every read-write connection of the
/// library. Duplicated because this crate cannot depend on orient-database;
/// `orient-database/tests/testkit.rs` fails when the two differ.
pub const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; \
     PRAGMA legacy_alter_table = OFF;";

/// A read-write connection to `path` with the settings every connection of the library has.
pub fn connect(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    conn.batch_execute(CONNECTION_PRAGMAS)
        .unwrap_or_else(|e| panic!("{}: connection pragmas: {e}", path.display()));
    conn
}

/// Runs statements on the database file.
pub fn execute(path: &Path, sql: &str) {
    connect(path)
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("{}: {sql}: {e}", path.display()));
}

/// What the probes read; public only so that their bounds can name it.
#[doc(hidden)]
#[derive(QueryableByName, Debug)]
pub struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

#[doc(hidden)]
#[derive(QueryableByName, Debug)]
pub struct NumberValue {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[doc(hidden)]
#[derive(QueryableByName, Debug)]
pub struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[doc(hidden)]
#[derive(QueryableByName, Debug)]
pub struct Line {
    #[diesel(sql_type = Nullable<Text>)]
    line: Option<String>,
}

/// The one TEXT value (named `value`) a query returns. `conn` is SQLite's connection, or
/// orient-database's connection type (an enum over both engines in a build with PostgreSQL) opened on
/// an SQLite file.
pub fn query_text<C: Connection>(conn: &mut C, sql: &str) -> String
where
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, TextValue>,
{
    diesel::sql_query(sql)
        .get_result::<TextValue>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .value
}

/// The rows of a one-column query, as text (`''` for NULL), in the query's order.
pub fn lines<C: Connection>(conn: &mut C, sql: &str) -> Vec<String>
where
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, Line>,
{
    diesel::sql_query(format!(
        "SELECT CAST(v.value AS TEXT) AS line FROM (SELECT * FROM ({sql})) AS v"
    ))
    .load::<Line>(conn)
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .into_iter()
    .map(|l| l.line.unwrap_or_default())
    .collect()
}

/// The one integer (named `n`) a query returns.
pub fn query_number<C: Connection>(conn: &mut C, sql: &str) -> i64
where
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, NumberValue>,
{
    diesel::sql_query(sql)
        .get_result::<NumberValue>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The rows of a table in the file at `path`.
pub fn count(path: &Path, table: &str) -> i64 {
    query_number(
        &mut connect(path),
        &format!("SELECT count(*) AS n FROM \"{table}\""),
    )
}

/// The tables of a database, by name (SQLite's own left out).
pub fn table_names<C: Connection>(conn: &mut C) -> Vec<String>
where
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, Name>,
{
    diesel::sql_query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

/// A table's column names, in declaration order; a panic if the table does not exist.
fn column_names<C: Connection>(conn: &mut C, table: &str) -> Vec<String>
where
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, Name>,
{
    let names: Vec<String> = diesel::sql_query(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    assert!(!names.is_empty(), "no table {table}");
    names
}

/// Every row of a table as one string, quoted, in rowid order, each line `rowid:` then the columns sorted
/// by name (physical column order is not content, so a rebuilt table compares equal): equal strings mean
/// byte-identical values.
pub fn table_content<C: Connection>(conn: &mut C, table: &str) -> String
where
    for<'a> diesel::query_builder::SqlQuery:
        diesel::query_dsl::LoadQuery<'a, C, Name> + diesel::query_dsl::LoadQuery<'a, C, TextValue>,
{
    let mut names = column_names(conn, table);
    names.sort();
    let columns: Vec<String> = names.iter().map(|c| format!("quote(\"{c}\")")).collect();
    query_text(
        conn,
        &format!(
            "SELECT coalesce(group_concat(r, char(10)), '') AS value FROM \
             (SELECT rowid || ':' || {} AS r FROM \"{table}\" ORDER BY rowid)",
            columns.join(" || '|' || ")
        ),
    )
}

/// A table's rows, each as the `quote()` of its columns in declaration order joined by `,`, in rowid
/// order.
pub fn table_rows<C: Connection>(conn: &mut C, table: &str) -> Vec<String>
where
    for<'a> diesel::query_builder::SqlQuery:
        diesel::query_dsl::LoadQuery<'a, C, Name> + diesel::query_dsl::LoadQuery<'a, C, Line>,
{
    let columns: Vec<String> = column_names(conn, table)
        .iter()
        .map(|c| format!("quote(\"{c}\")"))
        .collect();
    diesel::sql_query(format!(
        "SELECT {} AS line FROM \"{table}\" ORDER BY rowid",
        columns.join(" || ',' || ")
    ))
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line.unwrap_or_default())
    .collect()
}

/// A hash of every table's rows (names, values and rowid order) in the file at `path`: equal hashes,
/// equal content.
pub fn content_hash(path: &Path) -> String {
    let mut conn = connect(path);
    let mut hasher = Sha256::new();
    for table in table_names(&mut conn) {
        hasher.update(format!("table {table}\n"));
        for line in table_rows(&mut conn, &table) {
            hasher.update(line);
            hasher.update("\n");
        }
    }
    format!("{:x}", hasher.finalize())
}
