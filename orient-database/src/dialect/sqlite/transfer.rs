//! SQLite's side of `orient-db transfer` ([`crate::ops::transfer`]): reading a table's rows as stored,
//! writing rows with multi-row `INSERT`s, and the `AUTOINCREMENT` high-water marks in
//! `sqlite_sequence`.
//!
//! Values are read by storage class (the content checksum's reader does the same), so a text `'1'` in
//! an integer column reaches the engine-neutral type check as the text it is, not as a number SQLite
//! converted on the way out.

use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Binary, Double, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, SqliteConnection};

use crate::dialect::sqlite::Sqlite as SqliteDialect;
use crate::dialect::sqlite::content::ContentRow;
use crate::model::Column;
use crate::ops::content::ContentValue;
use crate::sql::Dialect;

/// SQLite's limit on bound parameters per statement (`SQLITE_MAX_VARIABLE_NUMBER`, 32766 since 3.32),
/// with room to spare.
const MAX_PARAMETERS: usize = 30_000;

/// At most this many rows per `INSERT`: beyond it a longer statement saves nothing measurable.
const MAX_ROWS_PER_INSERT: usize = 500;

fn q(name: &str) -> String {
    SqliteDialect.quote_ident(name)
}

/// Calls `row` with each row of `table` (the values of `columns`, in that order), in the order of
/// `key` (all `columns` when it is empty), stopping at the first error `row` returns.
pub fn read_rows<E: From<diesel::result::Error>>(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[Column],
    key: &[String],
    row: &mut dyn FnMut(Vec<ContentValue>) -> Result<(), E>,
) -> Result<(), E> {
    let names: Vec<String> = columns.iter().map(|c| c.name.to_string()).collect();
    let order = if key.is_empty() { &names } else { key };
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
        q(table),
        order
            .iter()
            .map(|c| format!("{} COLLATE BINARY", q(c)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for result in diesel::sql_query(sql)
        .load_iter::<ContentRow, diesel::connection::DefaultLoadingMode>(conn)?
    {
        row(result?.0)?;
    }
    Ok(())
}

/// How many rows one `INSERT` of `columns` columns carries.
pub fn rows_per_insert(columns: usize) -> usize {
    (MAX_PARAMETERS / columns.max(1)).clamp(1, MAX_ROWS_PER_INSERT)
}

/// Inserts `rows` (values of `columns`, in that order) into `table`, [`rows_per_insert`] rows per
/// statement. Each value is bound as what it is (its storage class), which the engine-neutral type
/// check has already made what the struct declares.
pub fn insert_rows(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[Column],
    rows: &[Vec<ContentValue>],
) -> QueryResult<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let head = format!(
        "INSERT INTO {} ({}) VALUES ",
        q(table),
        columns
            .iter()
            .map(|c| q(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let one = format!("({})", vec!["?"; columns.len()].join(", "));
    for chunk in rows.chunks(rows_per_insert(columns.len())) {
        let sql = format!("{head}{}", vec![one.as_str(); chunk.len()].join(", "));
        let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
        for row in chunk {
            for value in row {
                query = bind(query, value);
            }
        }
        query.execute(conn)?;
    }
    Ok(())
}

fn bind<'f>(
    query: BoxedSqlQuery<'f, Sqlite, diesel::query_builder::SqlQuery>,
    value: &ContentValue,
) -> BoxedSqlQuery<'f, Sqlite, diesel::query_builder::SqlQuery> {
    match value {
        ContentValue::Null => query.bind::<Nullable<Text>, _>(None::<String>),
        ContentValue::Integer(n) => query.bind::<BigInt, _>(*n),
        ContentValue::Real(x) => query.bind::<Double, _>(*x),
        ContentValue::Text(t) => query.bind::<Text, _>(t.clone()),
        ContentValue::Blob(b) => query.bind::<Binary, _>(b.clone()),
    }
}

#[derive(QueryableByName)]
struct Counter {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

/// The `AUTOINCREMENT` counter of `table` (`sqlite_sequence`): the highest id it ever handed out, which
/// may be above the highest id still there. `None` when it never handed one out.
pub fn counter(conn: &mut SqliteConnection, table: &str) -> QueryResult<Option<i64>> {
    let exists = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'",
    )
    .get_result::<Counter>(conn)?
    .n
    .unwrap_or(0)
        > 0;
    if !exists {
        return Ok(None);
    }
    Ok(
        diesel::sql_query("SELECT max(seq) AS n FROM sqlite_sequence WHERE name = ?")
            .bind::<Text, _>(table)
            .get_result::<Counter>(conn)?
            .n,
    )
}

/// Sets the `AUTOINCREMENT` counter of `table` to `high`, so the next id is `high + 1`. The table must
/// have an `AUTOINCREMENT` column (SQLite creates `sqlite_sequence` with the first such table).
pub fn set_counter(conn: &mut SqliteConnection, table: &str, high: i64) -> QueryResult<()> {
    let updated = diesel::sql_query("UPDATE sqlite_sequence SET seq = ? WHERE name = ?")
        .bind::<BigInt, _>(high)
        .bind::<Text, _>(table)
        .execute(conn)?;
    if updated == 0 {
        diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
            .bind::<Text, _>(table)
            .bind::<BigInt, _>(high)
            .execute(conn)?;
    }
    Ok(())
}
