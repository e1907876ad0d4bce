//! The studio on PostgreSQL (features `studio` and `postgres`): values decoded by their type's OID,
//! columns of types the model does not know read (and compared) as text, booleans bound as booleans,
//! `?` parameters numbered `$1, $2, …`, and read-only sessions with a statement timeout.
//!
//! A table without a primary key is shown read-only, keyed by `ctid`: PostgreSQL has no stable row id
//! (`ctid` is where the row version sits; an UPDATE or VACUUM FULL moves it), so it can name a row to
//! look at but not one to change.

use diesel::connection::SimpleConnection;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::pg::{Pg, PgConnection, PgValue};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::row::{NamedRow, Row};
use diesel::sql_types::{BigInt, Binary, Bool, Double, Text};

use crate::db::backend::{Access, DbConnection};
use crate::db::target::PostgresTarget;
use crate::dialect::postgres::connection;
use crate::model::ColumnType;
use crate::studio::engine::{ImplicitKey, StudioConnection, StudioDialect};
use crate::studio::value::Value;

/// How long one studio statement may run: a page is keyset-paginated and should take milliseconds; a
/// `has.` filter on a huge table is cut off rather than left holding a server backend.
pub const STATEMENT_TIMEOUT: &str = "30s";

/// PostgreSQL's studio dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresStudio;

impl StudioDialect for PostgresStudio {
    fn quote_ident(&self, ident: &str) -> String {
        super::render::quote_ident(ident)
    }

    fn column_expression(&self, quoted: String, ty: ColumnType) -> String {
        match ty {
            // Text stays text (the cast is no operation, indexes still apply); the types the model does
            // not know (numeric, date/time, uuid, jsonb… introspected as `Numeric`) are shown and
            // compared as their text form.
            ColumnType::Text | ColumnType::Json | ColumnType::Numeric => format!("{quoted}::text"),
            _ => quoted,
        }
    }

    fn contains(&self, expression: &str) -> String {
        // ILIKE: SQLite's LIKE ignores case, and the page should find the same rows on either engine.
        format!("CAST({expression} AS text) ILIKE ? ESCAPE '\\'")
    }

    fn implicit_key(&self) -> ImplicitKey {
        ImplicitKey {
            name: "ctid",
            expression: "ctid::text",
            ty: ColumnType::Text,
            read_only: Some(
                "has no primary key; on PostgreSQL the studio shows such a table read-only (its row \
                 identity, ctid, moves when a row is updated). Add a primary key to edit it here, or use psql",
            ),
        }
    }

    fn bind_value(&self, ty: ColumnType, value: Value) -> Value {
        match (ty, value) {
            (ColumnType::Bool, Value::Integer(n)) => Value::Bool(n != 0),
            // Compared as text (see `column_expression`).
            (
                ColumnType::Numeric,
                value @ (Value::Integer(_) | Value::Real(_) | Value::Bool(_)),
            ) => Value::Text(value.to_text()),
            (_, value) => value,
        }
    }

    fn unwritable(&self, ty: ColumnType) -> Option<&'static str> {
        (ty == ColumnType::Numeric).then_some(
            "a column of a type the model does not describe (numeric, date/time, uuid, …) cannot be \
             edited in the studio on PostgreSQL; use psql",
        )
    }

    fn fills_key(&self, _ty: ColumnType) -> bool {
        // Only an identity or a default (both marked on the column) fills a key.
        false
    }
}

/// Type OIDs (`pg_type.oid`, fixed in PostgreSQL's catalog).
mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const OID: u32 = 26;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
}

fn fixed<const N: usize>(bytes: &[u8], what: &str) -> deserialize::Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| format!("a {what} value of {} bytes instead of {N}", bytes.len()).into())
}

impl FromSql<Text, Pg> for Value {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let bytes = value.as_bytes();
        Ok(match value.get_oid().get() {
            oid::BOOL => Value::Bool(bytes.first().is_some_and(|b| *b != 0)),
            oid::INT2 => Value::Integer(i64::from(i16::from_be_bytes(fixed(bytes, "int2")?))),
            oid::INT4 => Value::Integer(i64::from(i32::from_be_bytes(fixed(bytes, "int4")?))),
            oid::INT8 => Value::Integer(i64::from_be_bytes(fixed(bytes, "int8")?)),
            oid::OID => Value::Integer(i64::from(u32::from_be_bytes(fixed(bytes, "oid")?))),
            oid::FLOAT4 => Value::Real(f64::from(f32::from_be_bytes(fixed(bytes, "float4")?))),
            oid::FLOAT8 => Value::Real(f64::from_be_bytes(fixed(bytes, "float8")?)),
            oid::BYTEA => Value::Blob(bytes.to_vec()),
            // text, varchar, name, and every `::text` of `column_expression`; any other binary form
            // that is not UTF-8 is shown as bytes rather than guessed at.
            _ => match std::str::from_utf8(bytes) {
                Ok(text) => Value::Text(text.to_owned()),
                Err(_) => Value::Blob(bytes.to_vec()),
            },
        })
    }

    fn from_nullable_sql(bytes: Option<PgValue<'_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(value) => <Value as FromSql<Text, Pg>>::from_sql(value),
            None => Ok(Value::Null),
        }
    }
}

/// A result row of any width, each column read as a [`Value`] by position.
struct PgRow(Vec<Value>);

impl QueryableByName<Pg> for PgRow {
    fn build<'a>(row: &impl NamedRow<'a, Pg>) -> deserialize::Result<Self> {
        let values = (0..Row::field_count(row))
            .map(|i| Row::get_value::<Text, Value, usize>(row, i))
            .collect::<deserialize::Result<Vec<Value>>>()?;
        Ok(PgRow(values))
    }
}

/// The statement with its `?` parameters numbered `$1, $2, …` as PostgreSQL wants them, and the values
/// to bind. A NULL is written as the literal `NULL` instead of being bound: a bound parameter has a
/// type (Diesel sends one), and a NULL typed text cannot be compared with or stored in an integer
/// column, while the untyped literal can. `?` inside quoted identifiers and string literals is left
/// alone (doubled quotes inside them toggle twice, so they need no special case).
fn numbered<'v>(sql: &str, binds: &'v [Value]) -> (String, Vec<&'v Value>) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut bound = Vec::with_capacity(binds.len());
    let mut next = binds.iter();
    let (mut in_ident, mut in_string) = (false, false);
    for ch in sql.chars() {
        match ch {
            '"' if !in_string => in_ident = !in_ident,
            '\'' if !in_ident => in_string = !in_string,
            '?' if !in_ident && !in_string => match next.next() {
                Some(Value::Null) => {
                    out.push_str("NULL");
                    continue;
                }
                Some(value) => {
                    bound.push(value);
                    out.push('$');
                    out.push_str(&bound.len().to_string());
                    continue;
                }
                // More placeholders than values: left as written, so PostgreSQL reports it.
                None => {}
            },
            _ => {}
        }
        out.push(ch);
    }
    (out, bound)
}

fn prepared<'f>(sql: &str, binds: &[Value]) -> BoxedSqlQuery<'f, Pg, SqlQuery> {
    let (sql, bound) = numbered(sql, binds);
    let mut query = diesel::sql_query(sql).into_boxed();
    for value in bound {
        query = match value.clone() {
            Value::Null => query.bind::<diesel::sql_types::Nullable<Text>, Option<String>>(None),
            Value::Integer(n) => query.bind::<BigInt, i64>(n),
            Value::Bool(b) => query.bind::<Bool, bool>(b),
            Value::Real(x) => query.bind::<Double, f64>(x),
            Value::Text(t) => query.bind::<Text, String>(t),
            Value::Blob(b) => query.bind::<Binary, Vec<u8>>(b),
        };
    }
    query
}

impl StudioConnection for PgConnection {
    fn studio_dialect(&self) -> &'static dyn StudioDialect {
        &PostgresStudio
    }

    fn load_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<Vec<Vec<Value>>> {
        let rows: Vec<PgRow> = prepared(sql, binds).load(self)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    fn execute_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<usize> {
        prepared(sql, binds).execute(self)
    }
}

/// A connection for the studio: a reader's session is read-only (every transaction `READ ONLY`, so
/// no statement can write, whatever it is), and every statement has [`STATEMENT_TIMEOUT`].
pub fn connect(
    server: &PostgresTarget,
    access: Access,
) -> Result<DbConnection, crate::db::error::Error> {
    let mut conn = connection::establish(server, access)?;
    conn.batch_execute(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}';"))
        .map_err(|e| connection::connect_error(server, &e))?;
    Ok(conn.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes_and_nulls_are_literals() {
        let binds = [Value::Integer(1), Value::Null, Value::Text("a".into())];
        let (sql, bound) = numbered(
            r#"SELECT "a?""" FROM "t" WHERE "x" = ? AND "y" = ? AND '?''?' <> ? ESCAPE '\'"#,
            &binds,
        );
        assert_eq!(
            sql,
            r#"SELECT "a?""" FROM "t" WHERE "x" = $1 AND "y" = NULL AND '?''?' <> $2 ESCAPE '\'"#
        );
        assert_eq!(bound, vec![&binds[0], &binds[2]]);
    }

    #[test]
    fn booleans_bind_as_booleans_and_unknown_types_as_text() {
        let d = PostgresStudio;
        assert_eq!(
            d.bind_value(ColumnType::Bool, Value::Integer(1)),
            Value::Bool(true)
        );
        assert_eq!(
            d.bind_value(ColumnType::Numeric, Value::Integer(7)),
            Value::Text("7".into())
        );
        assert_eq!(
            d.bind_value(ColumnType::BigInt, Value::Integer(7)),
            Value::Integer(7)
        );
        assert!(d.unwritable(ColumnType::Numeric).is_some());
        assert!(d.unwritable(ColumnType::Bool).is_none());
    }
}
