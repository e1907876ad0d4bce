//! Reading every row of a SQLite database for the content checksum ([`crate::ops::checksum`]): which
//! tables there are, their columns and primary keys, and their rows as [`ContentValue`]s in key order.

use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::prelude::*;
use diesel::row::{NamedRow, Row};
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

use crate::dialect::sqlite::Sqlite as SqliteDialect;
use crate::ops::content::{ContentTable, ContentValue};
use crate::sql::Dialect;
use diesel::SqliteConnection;

impl FromSql<Text, Sqlite> for ContentValue {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // By storage class, not by declared type: SQLite keeps what was written, and the checksum must
        // see a text '1' and an integer 1 as different values.
        Ok(match value.value_type() {
            None => ContentValue::Null,
            Some(SqliteType::Long | SqliteType::Integer | SqliteType::SmallInt) => {
                ContentValue::Integer(value.read_long())
            }
            Some(SqliteType::Double | SqliteType::Float) => ContentValue::Real(value.read_double()),
            Some(SqliteType::Binary) => ContentValue::Blob(value.read_blob().to_vec()),
            Some(_) => ContentValue::Text(value.read_text().to_owned()),
        })
    }

    fn from_nullable_sql(bytes: Option<SqliteValue<'_, '_, '_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(value) => <ContentValue as FromSql<Text, Sqlite>>::from_sql(value),
            None => Ok(ContentValue::Null),
        }
    }
}

/// One row, every column read as a [`ContentValue`] by position.
struct ContentRow(Vec<ContentValue>);

impl QueryableByName<Sqlite> for ContentRow {
    fn build<'a>(row: &impl NamedRow<'a, Sqlite>) -> deserialize::Result<Self> {
        (0..Row::field_count(row))
            .map(|i| Row::get_value::<Text, ContentValue, usize>(row, i))
            .collect::<deserialize::Result<Vec<_>>>()
            .map(ContentRow)
    }
}

/// The tables whose rows are content: ordinary tables of the application and of the tools (the
/// migration ledger, checksums, the push log), not SQLite's own (`sqlite_sequence`, `sqlite_stat1`) nor
/// virtual tables and their shadow tables, whose rows belong to the module that made them.
pub fn tables(conn: &mut SqliteConnection) -> QueryResult<Vec<ContentTable>> {
    #[derive(QueryableByName)]
    struct TableRow {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = BigInt)]
        pk: i64,
    }
    let names: Vec<TableRow> = diesel::sql_query(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)?;
    let mut tables = Vec::new();
    for table in names {
        let columns: Vec<ColumnRow> =
            diesel::sql_query("SELECT name, pk FROM pragma_table_info(?) ORDER BY name")
                .bind::<Text, _>(&table.name)
                .load(conn)?;
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| (c.pk, c.name.clone()))
            .collect();
        key.sort();
        tables.push(ContentTable {
            name: table.name,
            columns: columns.into_iter().map(|c| c.name).collect(),
            key: key.into_iter().map(|(_, name)| name).collect(),
        });
    }
    // Byte order, whatever the collation of the connection: the same order on every engine.
    tables.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(tables)
}

/// Calls `row` with each row of `table` (its columns in [`ContentTable::columns`] order), in the order
/// of its primary key, or of all its columns when it has none. Text is ordered by bytes (`BINARY`).
pub fn for_each_row(
    conn: &mut SqliteConnection,
    table: &ContentTable,
    mut row: impl FnMut(&[ContentValue]),
) -> QueryResult<()> {
    let q = |name: &str| SqliteDialect.quote_ident(name);
    let columns: Vec<String> = table.columns.iter().map(|c| q(c)).collect();
    let order: Vec<String> = table
        .order_columns()
        .iter()
        .map(|c| format!("{} COLLATE BINARY", q(c)))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        q(&table.name),
        order.join(", ")
    );
    for result in diesel::sql_query(sql)
        .load_iter::<ContentRow, diesel::connection::DefaultLoadingMode>(conn)?
    {
        row(&result?.0);
    }
    Ok(())
}
