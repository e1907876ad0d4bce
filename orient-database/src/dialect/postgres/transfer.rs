//! PostgreSQL's side of `orient-db transfer` ([`crate::ops::transfer`]): reading a table's rows,
//! writing them in large batches, and the identity columns' sequences.
//!
//! Writing: one `INSERT … SELECT * FROM unnest($1, $2, …)` per batch of [`ROWS_PER_INSERT`] rows, one
//! typed array parameter per column. Like `COPY` (which `insert_all` uses, `copy.rs`) it is one
//! statement with a handful of parameters however many rows it carries, parsed and planned once; unlike
//! Diesel's `COPY`, whose target must be a table type known at compile time, it takes the table and
//! columns the transfer reads from the model at run time.
//!
//! Reading: each value cast to text on the server and parsed back here by the type the struct
//! declares (booleans as 0/1, `bytea` as hex), which gives the engine-neutral values the content
//! checksum defines. A text that does not parse as its declared type is handed on as text, so the
//! engine-neutral type check names it (`ops/transfer/typed.rs`).

use diesel::QueryResult;
use diesel::pg::{Pg, PgConnection, PgRowByRowLoadingMode};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::row::{NamedRow, Row};
use diesel::sql_types::{Array, BigInt, Binary, Bool, Double, Integer, Nullable, Text};

use crate::dialect::postgres::Postgres;
use crate::model::{Column, ColumnType};
use crate::ops::content::ContentValue;
use crate::sql::Dialect;

/// Rows per `INSERT … unnest(…)`: large enough that statements cost nothing next to the rows, small
/// enough that a batch's arrays stay a few megabytes.
pub const ROWS_PER_INSERT: usize = 5_000;

fn q(name: &str) -> String {
    Postgres.quote_ident(name)
}

/// One row, every column as the text the server cast it to.
struct TextRow(Vec<Option<String>>);

impl QueryableByName<Pg> for TextRow {
    fn build<'a>(row: &impl NamedRow<'a, Pg>) -> diesel::deserialize::Result<Self> {
        (0..Row::field_count(row))
            .map(|i| Row::get_value::<Nullable<Text>, Option<String>, usize>(row, i))
            .collect::<diesel::deserialize::Result<Vec<_>>>()
            .map(TextRow)
    }
}

/// How a column is selected: as text the parser below reads back exactly.
fn select_expression(column: &Column) -> String {
    let name = q(&column.name);
    match column.ty {
        ColumnType::Bool => format!("CAST(CAST({name} AS integer) AS text)"),
        ColumnType::Binary => format!("encode({name}, 'hex')"),
        // float8's text output is the shortest that reads back to the same bits (PostgreSQL 12+).
        _ => format!("CAST({name} AS text)"),
    }
}

fn parse(column: &Column, text: Option<String>) -> ContentValue {
    let Some(text) = text else {
        return ContentValue::Null;
    };
    match column.ty {
        ColumnType::Integer | ColumnType::BigInt | ColumnType::Timestamp | ColumnType::Bool => text
            .parse::<i64>()
            .map_or(ContentValue::Text(text), ContentValue::Integer),
        ColumnType::Double => text
            .parse::<f64>()
            .map_or(ContentValue::Text(text), ContentValue::Real),
        ColumnType::Binary => match hex(&text) {
            Some(bytes) => ContentValue::Blob(bytes),
            None => ContentValue::Text(text),
        },
        ColumnType::Text | ColumnType::Json | ColumnType::Numeric => ContentValue::Text(text),
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Calls `row` with each row of `table` (the values of `columns`, in that order), in the order of
/// `key` (all `columns` when it is empty), streamed row by row, stopping at the first error `row`
/// returns.
pub fn read_rows<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    table: &str,
    columns: &[Column],
    key: &[String],
    row: &mut dyn FnMut(Vec<ContentValue>) -> Result<(), E>,
) -> Result<(), E> {
    let order: Vec<String> = if key.is_empty() {
        columns.iter().map(|c| q(&c.name)).collect()
    } else {
        key.iter().map(|c| q(c)).collect()
    };
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns
            .iter()
            .map(select_expression)
            .collect::<Vec<_>>()
            .join(", "),
        q(table),
        order.join(", ")
    );
    for result in diesel::sql_query(sql).load_iter::<TextRow, PgRowByRowLoadingMode>(conn)? {
        let texts = result?.0;
        row(columns
            .iter()
            .zip(texts)
            .map(|(column, text)| parse(column, text))
            .collect())?;
    }
    Ok(())
}

fn wrong(column: &Column, value: &ContentValue) -> diesel::result::Error {
    diesel::result::Error::SerializationError(
        format!(
            "column {}: {value:?} is not a {} value (the transfer checks values before writing them)",
            column.name, column.ty
        )
        .into(),
    )
}

/// Column `i` of `rows` as an array parameter of the column's declared type.
fn bind_column<'f>(
    query: BoxedSqlQuery<'f, Pg, SqlQuery>,
    column: &Column,
    rows: &[Vec<ContentValue>],
    i: usize,
) -> QueryResult<BoxedSqlQuery<'f, Pg, SqlQuery>> {
    let values = rows
        .iter()
        .map(|row| row.get(i).unwrap_or(&ContentValue::Null));
    Ok(match column.ty {
        ColumnType::Integer => query.bind::<Array<Nullable<Integer>>, _>(
            values
                .map(|v| match v {
                    ContentValue::Null => Ok(None),
                    ContentValue::Integer(n) => {
                        i32::try_from(*n).map(Some).map_err(|_| wrong(column, v))
                    }
                    _ => Err(wrong(column, v)),
                })
                .collect::<QueryResult<Vec<Option<i32>>>>()?,
        ),
        ColumnType::BigInt | ColumnType::Timestamp => query.bind::<Array<Nullable<BigInt>>, _>(
            values
                .map(|v| match v {
                    ContentValue::Null => Ok(None),
                    ContentValue::Integer(n) => Ok(Some(*n)),
                    _ => Err(wrong(column, v)),
                })
                .collect::<QueryResult<Vec<Option<i64>>>>()?,
        ),
        ColumnType::Bool => query.bind::<Array<Nullable<Bool>>, _>(
            values
                .map(|v| match v {
                    ContentValue::Null => Ok(None),
                    ContentValue::Integer(0) => Ok(Some(false)),
                    ContentValue::Integer(1) => Ok(Some(true)),
                    _ => Err(wrong(column, v)),
                })
                .collect::<QueryResult<Vec<Option<bool>>>>()?,
        ),
        ColumnType::Double => query.bind::<Array<Nullable<Double>>, _>(
            values
                .map(|v| match v {
                    ContentValue::Null => Ok(None),
                    ContentValue::Real(x) => Ok(Some(*x)),
                    _ => Err(wrong(column, v)),
                })
                .collect::<QueryResult<Vec<Option<f64>>>>()?,
        ),
        ColumnType::Binary => query.bind::<Array<Nullable<Binary>>, _>(
            values
                .map(|v| match v {
                    ContentValue::Null => Ok(None),
                    ContentValue::Blob(b) => Ok(Some(b.clone())),
                    _ => Err(wrong(column, v)),
                })
                .collect::<QueryResult<Vec<Option<Vec<u8>>>>>()?,
        ),
        ColumnType::Text | ColumnType::Json | ColumnType::Numeric => query
            .bind::<Array<Nullable<Text>>, _>(
                values
                    .map(|v| match v {
                        ContentValue::Null => Ok(None),
                        ContentValue::Text(t) => Ok(Some(t.clone())),
                        _ => Err(wrong(column, v)),
                    })
                    .collect::<QueryResult<Vec<Option<String>>>>()?,
            ),
    })
}

/// Inserts `rows` (values of `columns`, in that order, already of the declared types) into `table`,
/// [`ROWS_PER_INSERT`] rows per statement. Identity columns are `GENERATED BY DEFAULT`, so the ids
/// are written as they are.
pub fn insert_rows(
    conn: &mut PgConnection,
    table: &str,
    columns: &[Column],
    rows: &[Vec<ContentValue>],
) -> QueryResult<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM unnest({})",
        q(table),
        columns
            .iter()
            .map(|c| q(&c.name))
            .collect::<Vec<_>>()
            .join(", "),
        (1..=columns.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut query = diesel::sql_query(sql.clone()).into_boxed::<Pg>();
        for (i, column) in columns.iter().enumerate() {
            query = bind_column(query, column, chunk, i)?;
        }
        query.execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Counter {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

/// The last value the identity sequence of `table.column` handed out, `None` when it never did (or
/// the column has no sequence).
pub fn counter(conn: &mut PgConnection, table: &str, column: &str) -> QueryResult<Option<i64>> {
    Ok(diesel::sql_query(
        "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence($1, $2) AS regclass)) AS n",
    )
    .bind::<Text, _>(q(table))
    .bind::<Text, _>(column)
    .get_result::<Counter>(conn)?
    .n)
}

/// Sets the identity sequence of `table.column` so the next id is `high + 1` (1 when `high` is below
/// 1). An error when the column has no sequence.
pub fn set_counter(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    high: i64,
) -> QueryResult<()> {
    let (value, called) = if high >= 1 { (high, true) } else { (1, false) };
    let set = diesel::sql_query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4) AS n")
        .bind::<Text, _>(q(table))
        .bind::<Text, _>(column)
        .bind::<BigInt, _>(value)
        .bind::<Bool, _>(called)
        .get_result::<Counter>(conn)?;
    match set.n {
        Some(_) => Ok(()),
        None => Err(diesel::result::Error::QueryBuilderError(
            format!("{table}.{column} has no identity sequence to set").into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_the_declared_type_says() {
        let col = |ty| Column::new("c", ty);
        assert_eq!(
            parse(&col(ColumnType::Bool), Some("1".into())),
            ContentValue::Integer(1)
        );
        assert_eq!(
            parse(&col(ColumnType::Double), Some("0.1".into())),
            ContentValue::Real(0.1)
        );
        assert_eq!(
            parse(&col(ColumnType::Binary), Some("00ff".into())),
            ContentValue::Blob(vec![0, 255])
        );
        assert_eq!(
            parse(&col(ColumnType::BigInt), Some("x".into())),
            ContentValue::Text("x".into())
        );
        assert_eq!(parse(&col(ColumnType::Text), None), ContentValue::Null);
    }
}
