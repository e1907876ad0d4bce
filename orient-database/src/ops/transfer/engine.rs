//! The transfer's reading and writing on whichever engine a connection is: each call handed to
//! `dialect/sqlite/transfer.rs` or `dialect/postgres/transfer.rs`.

use diesel::QueryResult;

use crate::db::backend::DbConnection;
#[cfg(feature = "postgres")]
use crate::dialect::postgres::transfer as postgres;
use crate::dialect::sqlite::transfer as sqlite;
use crate::engine::EngineConnection;
use crate::model::Column;
use crate::ops::content::ContentValue;

/// `$sqlite` with `$c` bound to the SQLite connection, or `$postgres` with it bound to PostgreSQL's.
macro_rules! by_engine {
    ($conn:expr, $c:ident => $sqlite:expr, $postgres:expr) => {{
        #[cfg(feature = "postgres")]
        {
            match $conn {
                DbConnection::Sqlite($c) => $sqlite,
                DbConnection::Postgres($c) => $postgres,
            }
        }
        #[cfg(not(feature = "postgres"))]
        {
            let $c: &mut DbConnection = $conn;
            $sqlite
        }
    }};
}

/// Every row of `table` (`columns`' values, in key order), handed to `row` one at a time.
pub fn read_rows<E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    table: &str,
    columns: &[Column],
    key: &[String],
    row: &mut dyn FnMut(Vec<ContentValue>) -> Result<(), E>,
) -> Result<(), E> {
    by_engine!(conn, c => sqlite::read_rows(c, table, columns, key, row),
        postgres::read_rows(c, table, columns, key, row))
}

/// Inserts `rows` into `table`, in statements of many rows.
pub fn insert_rows(
    conn: &mut DbConnection,
    table: &str,
    columns: &[Column],
    rows: &[Vec<ContentValue>],
) -> QueryResult<()> {
    by_engine!(conn, c => sqlite::insert_rows(c, table, columns, rows),
        postgres::insert_rows(c, table, columns, rows))
}

/// How many rows the writer of this engine takes at a time (one statement or a few).
pub fn batch_rows(conn: &DbConnection, columns: usize) -> usize {
    #[cfg(feature = "postgres")]
    if matches!(conn, DbConnection::Postgres(_)) {
        return postgres::ROWS_PER_INSERT;
    }
    let _ = conn;
    sqlite::rows_per_insert(columns) * 4
}

/// The highest id the autoincrement column `table.column` ever handed out, as the engine keeps it
/// (SQLite's `sqlite_sequence`, PostgreSQL's identity sequence); `None` when it never did.
pub fn counter(conn: &mut DbConnection, table: &str, column: &str) -> QueryResult<Option<i64>> {
    by_engine!(conn, c => {
        let _ = column;
        sqlite::counter(c, table)
    }, postgres::counter(c, table, column))
}

/// Makes the next id of `table.column` `high + 1`.
pub fn set_counter(
    conn: &mut DbConnection,
    table: &str,
    column: &str,
    high: i64,
) -> QueryResult<()> {
    by_engine!(conn, c => {
        let _ = column;
        sqlite::set_counter(c, table, high)
    }, postgres::set_counter(c, table, column, high))
}

/// Deletes every row of `table`.
pub fn delete_all(conn: &mut DbConnection, table: &str) -> QueryResult<()> {
    let sql = format!("DELETE FROM {}", conn.planner().quote_ident(table));
    conn.execute_sql(&sql)
}

/// The number of rows of `table`.
pub fn count(conn: &mut DbConnection, table: &str) -> QueryResult<u64> {
    let sql = format!(
        "SELECT count(*) AS n FROM {}",
        conn.planner().quote_ident(table)
    );
    Ok(u64::try_from(conn.count(&sql)?).unwrap_or(0))
}
