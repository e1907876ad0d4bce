//! How a database compares with the seed data: per seed row, missing, matching, or differing in named
//! columns. Reads only (plain `SELECT`s), so it works on a `query_only` connection.
//!
//! One query per table: the rows whose first key column is one of the seed values (`IN (…)`, which the
//! key's index serves), each read as one `json_array(rowid, key…, columns…)` so that any table's row comes
//! back as one text value without a struct per table, with SQLite's own types (`1` is not `'1'`). Rows
//! are matched to seed rows by their whole natural key in Rust, NULL-safely; when several rows share a
//! key, the oldest (lowest rowid) is the seeded one and the others are left alone.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;
use serde_json::Value;

use crate::dialect::sqlite::Sqlite;
use crate::seed::{SeedRow, SeedTable, SeedValue, tables};
use crate::sql::Dialect;

/// Which tables exist and their columns: read once, before comparing.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    columns: HashMap<String, HashSet<String>>,
}

#[derive(QueryableByName)]
struct TableColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

impl Shape {
    /// Reads which of `tables` exist and their columns, in one query.
    pub fn read(conn: &mut SqliteConnection, tables: &[&str]) -> QueryResult<Shape> {
        if tables.is_empty() {
            return Ok(Shape::default());
        }
        let placeholders = vec!["?"; tables.len()].join(", ");
        let mut query = diesel::sql_query(format!(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM main.sqlite_schema AS m JOIN pragma_table_info(m.name) AS p \
             WHERE m.type = 'table' AND m.name IN ({placeholders})"
        ))
        .into_boxed();
        for table in tables {
            query = query.bind::<Text, _>(*table);
        }
        let mut shape = Shape::default();
        for row in query.load::<TableColumn>(conn)? {
            shape
                .columns
                .entry(row.table_name)
                .or_default()
                .insert(row.column_name);
        }
        Ok(shape)
    }

    pub fn has_table(&self, table: &str) -> bool {
        self.columns.contains_key(table)
    }

    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.columns
            .get(table)
            .is_some_and(|columns| columns.contains(column))
    }

    /// The key and compared columns of `table` that its live table lacks (empty when it does not exist).
    pub fn missing_columns(&self, table: &SeedTable) -> Vec<&'static str> {
        if !self.has_table(table.name) {
            return Vec::new();
        }
        table
            .data_columns()
            .filter(|column| !self.has_column(table.name, column))
            .collect()
    }
}

/// Whether the database holds a seed row, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SeedRowState {
    /// No row has its natural key.
    Missing,
    /// A row has its key and every seeded column equals the seed value.
    Matches,
    /// A row has its key, and these seeded columns hold other values (timestamps are never compared).
    Differs { fields: Vec<String> },
}

/// One seed row in the database, for the studio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedRowStatus {
    /// The natural key, e.g. `ori / tool-discovery`.
    pub key: String,
    #[serde(flatten)]
    pub state: SeedRowState,
}

/// One seed table in the database, for the studio: every seed row, in seeding order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSeedStatus {
    pub table: &'static str,
    /// Whether the table exists (when it does not, every row is `Missing`).
    pub exists: bool,
    pub rows: Vec<SeedRowStatus>,
}

/// One seed row compared with the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowComparison {
    /// The natural key, as [`SeedRow::display_key`].
    pub key: String,
    /// The matching row's rowid (its `id` where the table has an integer id); `None` when missing.
    pub rowid: Option<i64>,
    #[serde(flatten)]
    pub state: SeedRowState,
}

/// A seed table compared with the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableComparison {
    pub table: &'static str,
    pub exists: bool,
    /// Seeded columns the live table lacks (a schema older than the migrations). A missing compared
    /// column reads as NULL; with a missing key column no row can be found, and every row is `Missing`.
    pub missing_columns: Vec<&'static str>,
    /// One per seed row, in the order of [`SeedTable::rows`].
    pub rows: Vec<RowComparison>,
}

impl From<TableComparison> for TableSeedStatus {
    fn from(comparison: TableComparison) -> TableSeedStatus {
        TableSeedStatus {
            table: comparison.table,
            exists: comparison.exists,
            rows: comparison
                .rows
                .into_iter()
                .map(|row| SeedRowStatus {
                    key: row.key,
                    state: row.state,
                })
                .collect(),
        }
    }
}

/// Every seed table compared with the database, in seeding order. Reads only.
pub fn status(conn: &mut SqliteConnection) -> Result<Vec<TableSeedStatus>, diesel::result::Error> {
    let tables = tables();
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let shape = Shape::read(conn, &names)?;
    tables
        .iter()
        .map(|table| compare_table(conn, table, &shape).map(TableSeedStatus::from))
        .collect()
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

/// The seed rows of `table` compared with the database (`shape` from [`Shape::read`]). Reads only.
pub fn compare_table(
    conn: &mut SqliteConnection,
    table: &SeedTable,
    shape: &Shape,
) -> QueryResult<TableComparison> {
    let exists = shape.has_table(table.name);
    let missing_columns = shape.missing_columns(table);
    let mut found: Vec<Option<(i64, SeedRowState)>> = vec![None; table.rows.len()];
    let key_missing = table.key.iter().any(|k| missing_columns.contains(k));
    if exists && !key_missing {
        let by_key: HashMap<Vec<KeyPart>, usize> = table
            .rows
            .iter()
            .enumerate()
            .rev() // a duplicate key in the data would match its first row
            .map(|(i, row)| (row.key.iter().map(KeyPart::from).collect(), i))
            .collect();
        for Candidate { rowid, key, values } in candidates(conn, table, shape)? {
            let Some(&index) = by_key.get(&key) else {
                continue;
            };
            if found[index].is_some() {
                continue; // a later row with the same key: not the seeded one
            }
            found[index] = Some((rowid, state_of(table, &table.rows[index], &values)));
        }
    }
    let rows = table
        .rows
        .iter()
        .zip(found)
        .map(|(row, found)| {
            let (rowid, state) = match found {
                Some((rowid, state)) => (Some(rowid), state),
                None => (None, SeedRowState::Missing),
            };
            RowComparison {
                key: row.display_key(),
                rowid,
                state,
            }
        })
        .collect();
    Ok(TableComparison {
        table: table.name,
        exists,
        missing_columns,
        rows,
    })
}

/// A stored row that may be a seed row.
struct Candidate {
    rowid: i64,
    key: Vec<KeyPart>,
    /// The compared columns, in the order of [`SeedTable::columns`].
    values: Vec<Value>,
}

/// The rows that may match a seed row, in rowid order.
fn candidates(
    conn: &mut SqliteConnection,
    table: &SeedTable,
    shape: &Shape,
) -> QueryResult<Vec<Candidate>> {
    let Some(first) = table.key.first() else {
        return Ok(Vec::new());
    };
    let mut firsts: Vec<&SeedValue> = Vec::new();
    for row in &table.rows {
        if let Some(value) = row.key.first()
            && *value != SeedValue::Null
            && !firsts.contains(&value)
        {
            firsts.push(value);
        }
    }
    if firsts.is_empty() {
        return Ok(Vec::new());
    }
    let dialect = Sqlite;
    let expressions: Vec<String> = std::iter::once("rowid".to_owned())
        .chain(table.data_columns().map(|column| {
            if shape.has_column(table.name, column) {
                // A BLOB cannot go into JSON; it can never equal seed data either.
                let q = dialect.quote_ident(column);
                format!(
                    "CASE typeof({q}) WHEN 'blob' THEN json_object('blob', hex({q})) ELSE {q} END"
                )
            } else {
                "NULL".to_owned()
            }
        }))
        .collect();
    let sql = format!(
        "SELECT json_array({}) AS row FROM {} WHERE {} IN ({}) ORDER BY rowid",
        expressions.join(", "),
        dialect.quote_ident(table.name),
        dialect.quote_ident(first),
        vec!["?"; firsts.len()].join(", ")
    );
    let mut query = diesel::sql_query(sql).into_boxed();
    for value in firsts {
        query = value.bind(query);
    }
    let rows: Vec<JsonRow> = query.load(conn)?;
    let key_len = table.key.len();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let values: Vec<Value> = serde_json::from_str(&row.row)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        let Some(rowid) = values.first().and_then(Value::as_i64) else {
            continue;
        };
        let Some(key) = values.get(1..=key_len).and_then(|key| {
            key.iter()
                .map(KeyPart::from_json)
                .collect::<Option<Vec<_>>>()
        }) else {
            continue; // a key value of another type (a number in a text key): not a seed row
        };
        let rest = values.get(1 + key_len..).unwrap_or_default().to_vec();
        out.push(Candidate {
            rowid,
            key,
            values: rest,
        });
    }
    Ok(out)
}

fn state_of(table: &SeedTable, seed: &SeedRow, values: &[Value]) -> SeedRowState {
    let fields: Vec<String> = table
        .columns
        .iter()
        .zip(&seed.values)
        .enumerate()
        .filter(|(i, (_, expected))| !same(expected, values.get(*i).unwrap_or(&Value::Null)))
        .map(|(_, (column, _))| (*column).to_owned())
        .collect();
    if fields.is_empty() {
        SeedRowState::Matches
    } else {
        SeedRowState::Differs { fields }
    }
}

/// Whether a stored value (as `json_array` renders it) is the seed value, type included.
fn same(seed: &SeedValue, stored: &Value) -> bool {
    match (seed, stored) {
        (SeedValue::Null, Value::Null) => true,
        (SeedValue::Integer(expected), Value::Number(n)) => n.as_i64() == Some(*expected),
        (SeedValue::Text(expected), Value::String(s)) => expected == s,
        _ => false,
    }
}

/// A key value, comparable between seed data and stored rows (NULL equals NULL here).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Null,
    Integer(i64),
    Text(String),
}

impl From<&SeedValue> for KeyPart {
    fn from(value: &SeedValue) -> KeyPart {
        match value {
            SeedValue::Null => KeyPart::Null,
            SeedValue::Integer(i) => KeyPart::Integer(*i),
            SeedValue::Text(t) => KeyPart::Text(t.to_string()),
        }
    }
}

impl KeyPart {
    fn from_json(value: &Value) -> Option<KeyPart> {
        match value {
            Value::Null => Some(KeyPart::Null),
            Value::Number(n) => n.as_i64().map(KeyPart::Integer),
            Value::String(s) => Some(KeyPart::Text(s.clone())),
            _ => None,
        }
    }
}
