//! How a database compares with the seed data: per seed row, missing, matching, or differing in named
//! columns. Reads only (plain `SELECT`s through each table's Diesel DSL), so it works on a `query_only`
//! connection.
//!
//! One query per table ([`SeedTable::find`]): the rows whose first key column is one of the seed values
//! (`IN (…)`, which the key's index serves), each read through the types of the table's insert struct.
//! Rows are matched to seed rows by their whole natural key, NULL-safely; when several rows share a key,
//! the oldest (lowest primary key) is the seeded one and the others are left alone.

use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::seed::{SeedTable, Shape, tables};

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
    /// The natural key, as [`SeedTable::keys`].
    pub key: String,
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
    /// One per seed row, in insert order.
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
pub fn status(conn: &mut DbConnection) -> Result<Vec<TableSeedStatus>, diesel::result::Error> {
    let shape = Shape::read(conn)?;
    tables()
        .into_iter()
        .map(|table| compare_table(conn, table, &shape).map(TableSeedStatus::from))
        .collect()
}

/// The seed rows of `table` compared with the database (`shape` from [`Shape::read`]). Reads only.
pub fn compare_table(
    conn: &mut DbConnection,
    table: &dyn SeedTable,
    shape: &Shape,
) -> diesel::QueryResult<TableComparison> {
    let exists = shape.has_table(table.name());
    let missing_columns = shape.missing_columns(table);
    let key_missing = table.key().iter().any(|k| missing_columns.contains(k));
    let keys = table.keys();
    let found = if exists && !key_missing {
        table.find(conn, shape)?
    } else {
        vec![None; keys.len()]
    };
    let rows = keys
        .into_iter()
        .zip(found)
        .map(|(key, found)| RowComparison {
            key,
            state: match found {
                None => SeedRowState::Missing,
                Some(fields) if fields.is_empty() => SeedRowState::Matches,
                Some(fields) => SeedRowState::Differs {
                    fields: fields.into_iter().map(str::to_owned).collect(),
                },
            },
        })
        .collect();
    Ok(TableComparison {
        table: table.name(),
        exists,
        missing_columns,
        rows,
    })
}
