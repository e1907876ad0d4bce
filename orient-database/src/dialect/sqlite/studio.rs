//! The studio on SQLite (feature `studio`): values read by their storage class, `rowid` as the key of a
//! table without a primary key, and the rowid that an `INTEGER PRIMARY KEY` is.

use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::row::{NamedRow, Row};
use diesel::sql_types::{BigInt, Binary, Double, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

use crate::db::backend::{Access, DbConnection};
use crate::dialect::sqlite::connection;
use crate::model::ColumnType;
use crate::studio::engine::{ImplicitKey, StudioConnection, StudioDialect};
use crate::studio::value::Value;

/// SQLite's studio dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteStudio;

impl StudioDialect for SqliteStudio {
    fn quote_ident(&self, ident: &str) -> String {
        super::render::quote_ident(ident)
    }

    fn column_expression(&self, quoted: String, _ty: ColumnType) -> String {
        // Every value decodes by its storage class and compares with any bound value.
        quoted
    }

    fn contains(&self, expression: &str) -> String {
        // SQLite's LIKE ignores ASCII case.
        format!("{expression} LIKE ? ESCAPE '\\'")
    }

    fn implicit_key(&self) -> ImplicitKey {
        ImplicitKey {
            name: "rowid",
            expression: "rowid",
            ty: ColumnType::BigInt,
            read_only: None,
        }
    }

    fn bind_value(&self, _ty: ColumnType, value: Value) -> Value {
        value
    }

    fn unwritable(&self, _ty: ColumnType) -> Option<&'static str> {
        None
    }

    fn fills_key(&self, ty: ColumnType) -> bool {
        // An INTEGER PRIMARY KEY is the rowid and gets one even without AUTOINCREMENT.
        matches!(ty, ColumnType::Integer | ColumnType::BigInt)
    }
}

impl FromSql<Text, Sqlite> for Value {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(match value.value_type() {
            None => Value::Null,
            Some(SqliteType::Long | SqliteType::Integer | SqliteType::SmallInt) => {
                Value::Integer(value.read_long())
            }
            Some(SqliteType::Double | SqliteType::Float) => Value::Real(value.read_double()),
            Some(SqliteType::Binary) => Value::Blob(value.read_blob().to_vec()),
            Some(_) => Value::Text(value.read_text().to_owned()),
        })
    }

    fn from_nullable_sql(bytes: Option<SqliteValue<'_, '_, '_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(value) => <Value as FromSql<Text, Sqlite>>::from_sql(value),
            None => Ok(Value::Null),
        }
    }
}

/// A result row of any width, each column read as a [`Value`] by position.
struct SqliteRow(Vec<Value>);

impl QueryableByName<Sqlite> for SqliteRow {
    fn build<'a>(row: &impl NamedRow<'a, Sqlite>) -> deserialize::Result<Self> {
        let values = (0..Row::field_count(row))
            .map(|i| Row::get_value::<Text, Value, usize>(row, i))
            .collect::<deserialize::Result<Vec<Value>>>()?;
        Ok(SqliteRow(values))
    }
}

/// Binds a [`Value`] with the SQL type matching its storage class (a boolean as the integer SQLite
/// stores).
fn bind<'f>(
    query: BoxedSqlQuery<'f, Sqlite, SqlQuery>,
    value: &Value,
) -> BoxedSqlQuery<'f, Sqlite, SqlQuery> {
    match value.clone() {
        Value::Null => query.bind::<Nullable<Text>, Option<String>>(None),
        Value::Integer(n) => query.bind::<BigInt, i64>(n),
        Value::Bool(b) => query.bind::<BigInt, i64>(i64::from(b)),
        Value::Real(x) => query.bind::<Double, f64>(x),
        Value::Text(t) => query.bind::<Text, String>(t),
        Value::Blob(b) => query.bind::<Binary, Vec<u8>>(b),
    }
}

fn prepared<'f>(sql: &str, binds: &[Value]) -> BoxedSqlQuery<'f, Sqlite, SqlQuery> {
    let mut query = diesel::sql_query(sql).into_boxed();
    for value in binds {
        query = bind(query, value);
    }
    query
}

impl StudioConnection for SqliteConnection {
    fn studio_dialect(&self) -> &'static dyn StudioDialect {
        &SqliteStudio
    }

    fn load_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<Vec<Vec<Value>>> {
        let rows: Vec<SqliteRow> = prepared(sql, binds).load(self)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    fn execute_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<usize> {
        prepared(sql, binds).execute(self)
    }
}

/// A connection for the studio. The first one opened goes through [`connection::open_read_only`],
/// which checks that the file exists and is SQLite and creates nothing; the others are ordinary
/// connections with the same pragmas (`query_only` for readers).
pub fn connect(
    path: &std::path::Path,
    access: Access,
    first: bool,
) -> Result<DbConnection, crate::db::error::Error> {
    if first && access == Access::ReadOnly {
        connection::open_read_only(path)
    } else {
        connection::establish(path, access)
    }
}
