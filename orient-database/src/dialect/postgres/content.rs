//! Reading every row of a PostgreSQL database for the content checksum ([`crate::ops::checksum`]):
//! which tables there are (in `current_schema()`), their columns and primary keys, and their rows as
//! [`ContentValue`]s in key order, so that the same rows on SQLite and on PostgreSQL give the same
//! checksum.
//!
//! Values are encoded by what PostgreSQL returns (the result column's type), the way SQLite's reader
//! goes by storage class: `boolean` as the integers 0 and 1 (what SQLite stores for a `Bool`),
//! `smallint`/`integer`/`bigint` as integers, `real`/`double precision` as reals, `bytea` as a blob,
//! the text types as text. A column of any other type (`numeric`, `timestamp`, `json`…, none of which
//! the structs declare) is read as its text form (`::text`), so its rows are still covered.
//!
//! Order: PostgreSQL sorts text by the database's collation and puts NULLs last; the definition wants
//! bytes and SQLite's order (NULLs first), so every collatable key column gets `COLLATE "C"` (which is
//! byte order for UTF-8) and every key column `NULLS FIRST`.

use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::row::{NamedRow, Row};
use diesel::sql_types::{BigInt, Bool, Text};

use crate::dialect::postgres::render::quote_ident;
use crate::ops::content::{ContentTable, ContentValue};

/// Type OIDs (`pg_type.oid`, fixed in every PostgreSQL) of the values decoded as what they are.
mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
}

/// The `pg_type.typname`s read as they are; every other column is selected as `::text`.
const NATIVE_TYPES: &[&str] = &[
    "bool", "int2", "int4", "int8", "float4", "float8", "bytea", "text", "varchar", "bpchar",
    "name",
];

fn fixed<const N: usize>(bytes: &[u8]) -> deserialize::Result<[u8; N]> {
    bytes.try_into().map_err(|_| {
        format!(
            "a {N}-byte value arrived as {} bytes (binary result format expected)",
            bytes.len()
        )
        .into()
    })
}

impl FromSql<Text, Pg> for ContentValue {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        // Diesel reads results in PostgreSQL's binary format: integers and floats big-endian.
        let bytes = value.as_bytes();
        Ok(match value.get_oid().get() {
            oid::BOOL => ContentValue::Integer(i64::from(bytes.first().copied().unwrap_or(0) != 0)),
            oid::INT2 => ContentValue::Integer(i64::from(i16::from_be_bytes(fixed(bytes)?))),
            oid::INT4 => ContentValue::Integer(i64::from(i32::from_be_bytes(fixed(bytes)?))),
            oid::INT8 => ContentValue::Integer(i64::from_be_bytes(fixed(bytes)?)),
            oid::FLOAT4 => ContentValue::Real(f64::from(f32::from_be_bytes(fixed(bytes)?))),
            oid::FLOAT8 => ContentValue::Real(f64::from_be_bytes(fixed(bytes)?)),
            oid::BYTEA => ContentValue::Blob(bytes.to_vec()),
            // text, varchar, bpchar, name, and the `::text` of every other type: UTF-8 (the client
            // encoding Diesel sets).
            _ => ContentValue::Text(std::str::from_utf8(bytes)?.to_owned()),
        })
    }

    fn from_nullable_sql(bytes: Option<PgValue<'_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(value) => <ContentValue as FromSql<Text, Pg>>::from_sql(value),
            None => Ok(ContentValue::Null),
        }
    }
}

/// One row, every column read as a [`ContentValue`] by position.
struct ContentRow(Vec<ContentValue>);

impl QueryableByName<Pg> for ContentRow {
    fn build<'a>(row: &impl NamedRow<'a, Pg>) -> deserialize::Result<Self> {
        (0..Row::field_count(row))
            .map(|i| Row::get_value::<Text, ContentValue, usize>(row, i))
            .collect::<deserialize::Result<Vec<_>>>()
            .map(ContentRow)
    }
}

/// A table whose rows are content, with how to read and order them on PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub content: ContentTable,
    /// One select expression per column of [`ContentTable::columns`], in that order.
    select: Vec<String>,
    /// The `ORDER BY` terms: the primary key (every column without one), byte order, NULLs first.
    order: Vec<String>,
}

/// The tables whose rows are content: the ordinary and partitioned tables of `current_schema()` (of
/// the application and of the tools: the migration ledger, checksums, the push log), not partitions
/// (their rows are read through their parent) nor anything of the system schemas.
pub fn tables(conn: &mut PgConnection) -> QueryResult<Vec<Table>> {
    #[derive(QueryableByName)]
    struct TableRow {
        #[diesel(sql_type = BigInt)]
        oid: i64,
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        type_name: String,
        #[diesel(sql_type = Bool)]
        collatable: bool,
        /// Position in the primary key (1-based), 0 when not part of it.
        #[diesel(sql_type = BigInt)]
        key_position: i64,
    }
    let names: Vec<TableRow> = diesel::sql_query(
        "SELECT c.oid::int8 AS oid, c.relname::text AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
    )
    .load(conn)?;
    let mut tables = Vec::new();
    for table in names {
        let mut columns: Vec<ColumnRow> = diesel::sql_query(
            "SELECT a.attname::text AS name, t.typname::text AS type_name, \
                    a.attcollation <> 0 AS collatable, \
                    coalesce((SELECT k.ord FROM pg_index i \
                              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
                              WHERE i.indrelid = a.attrelid AND i.indisprimary \
                                AND k.attnum = a.attnum), 0)::int8 AS key_position \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped",
        )
        .bind::<BigInt, _>(table.oid)
        .load(conn)?;
        // Byte order of the names, whatever the database's collation.
        columns.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        let mut key: Vec<&ColumnRow> = columns.iter().filter(|c| c.key_position > 0).collect();
        key.sort_by_key(|c| c.key_position);
        let ordered: Vec<&ColumnRow> = if key.is_empty() {
            columns.iter().collect()
        } else {
            key.clone()
        };
        let order = ordered
            .iter()
            .map(|c| {
                let collate = if c.collatable { " COLLATE \"C\"" } else { "" };
                format!("{}{collate} NULLS FIRST", quote_ident(&c.name))
            })
            .collect();
        let select = columns
            .iter()
            .map(|c| {
                if NATIVE_TYPES.contains(&c.type_name.as_str()) {
                    quote_ident(&c.name)
                } else {
                    format!("{}::text", quote_ident(&c.name))
                }
            })
            .collect();
        tables.push(Table {
            content: ContentTable {
                name: table.name,
                key: key.iter().map(|c| c.name.clone()).collect(),
                columns: columns.into_iter().map(|c| c.name).collect(),
            },
            select,
            order,
        });
    }
    tables.sort_by(|a, b| a.content.name.as_bytes().cmp(b.content.name.as_bytes()));
    Ok(tables)
}

/// Calls `row` with each row of `table` (its columns in [`ContentTable::columns`] order), in the order
/// of its primary key, or of all its columns when it has none, text by bytes and NULLs first.
pub fn for_each_row(
    conn: &mut PgConnection,
    table: &Table,
    mut row: impl FnMut(&[ContentValue]),
) -> QueryResult<()> {
    let select = if table.select.is_empty() {
        // A table without columns still has rows; `SELECT FROM t` is valid PostgreSQL.
        String::new()
    } else {
        table.select.join(", ")
    };
    let order = if table.order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", table.order.join(", "))
    };
    // Row by row: a table is never held in memory whole.
    let sql = format!(
        "SELECT {select} FROM {}{order}",
        quote_ident(&table.content.name)
    );
    for result in
        diesel::sql_query(sql).load_iter::<ContentRow, diesel::pg::PgRowByRowLoadingMode>(conn)?
    {
        row(&result?.0);
    }
    Ok(())
}
