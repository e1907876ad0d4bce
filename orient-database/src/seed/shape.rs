//! Which tables and columns the live database has, read once before comparing or seeding: a table
//! that does not exist is skipped, a column the live table lacks reads as NULL (and stops seeding it).

use std::collections::{HashMap, HashSet};

use diesel::QueryResult;

use crate::db::backend::DbConnection;
use crate::engine::EngineConnection;
use crate::seed::SeedTable;

/// The tables of the live database and their columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    columns: HashMap<String, HashSet<String>>,
}

impl Shape {
    /// Reads the live schema through the schema engine's introspection (reads only).
    pub fn read(conn: &mut DbConnection) -> QueryResult<Shape> {
        // The one place seeding asks the engine what the database holds.
        let live = conn.introspect()?.schema;
        let columns = live
            .tables
            .into_iter()
            .map(|table| {
                let columns = table.columns.iter().map(|c| c.name.to_string());
                (table.name.into_owned(), columns.collect())
            })
            .collect();
        Ok(Shape { columns })
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
    pub fn missing_columns(&self, table: &dyn SeedTable) -> Vec<&'static str> {
        if !self.has_table(table.name()) {
            return Vec::new();
        }
        table
            .key()
            .iter()
            .chain(table.columns())
            .copied()
            .filter(|column| !self.has_column(table.name(), column))
            .collect()
    }
}
