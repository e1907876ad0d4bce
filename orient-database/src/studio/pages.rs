//! What each page shows, as data: the functions the HTTP handlers call (and the benchmarks time).

use serde::Serialize;

use crate::check::Difference;
use crate::diagram::{self, mermaid, svg};
use crate::migrations::{self, runner};
use crate::model::Table;
use crate::model::UnmodelledObject;
use crate::studio::Studio;
use crate::studio::catalog::{Catalog, TableView};
use crate::studio::error::Error;
use crate::studio::query::{self, Condition, Page, PageRequest, Referencing, RowOut};
use crate::studio::value::Value;
use crate::studio::write::{self, DeleteInput, DeletePlan, RowInput};

/// What every page shows in its header.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub database: String,
    pub writable: bool,
    pub schema_version: i64,
}

pub fn info(studio: &Studio) -> Result<Info, Error> {
    studio.read(|_, catalog| {
        Ok(Info {
            database: studio.location(),
            writable: studio.writable(),
            schema_version: catalog.schema_version,
        })
    })
}

/// The tables page.
#[derive(Debug, Clone, Serialize)]
pub struct TablesPage {
    pub database: String,
    pub writable: bool,
    pub tables: Vec<TableSummary>,
    /// Views, triggers and virtual tables the model does not describe.
    pub unmodelled: Vec<UnmodelledObject>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSummary {
    pub name: String,
    /// `None` for a declared table missing from the database.
    pub rows: Option<i64>,
    /// `ok`, `drift` (the live table differs from its struct), `missing` (declared, not in the database)
    /// or `undeclared` (in the database, no struct).
    pub status: &'static str,
    pub differences: usize,
}

/// Every table, with its row count and how it compares with its struct.
pub fn tables(studio: &Studio) -> Result<TablesPage, Error> {
    studio.read(|conn, catalog| {
        let mut tables = Vec::new();
        for live in &catalog.live.tables {
            let view = catalog.table(&live.name)?;
            let rows = query::count(conn, &view, &Condition::default())?;
            let status = if !view.declared {
                "undeclared"
            } else if view.differences.is_empty() {
                "ok"
            } else {
                "drift"
            };
            tables.push(TableSummary {
                name: view.name,
                rows: Some(rows),
                status,
                differences: view.differences.len(),
            });
        }
        for missing in &catalog.check.missing_tables {
            tables.push(TableSummary {
                name: missing.clone(),
                rows: None,
                status: "missing",
                differences: 0,
            });
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(TablesPage {
            database: studio.location(),
            writable: studio.writable(),
            tables,
            unmodelled: catalog.unmodelled.clone(),
        })
    })
}

/// One page of a table's rows.
pub fn table_page(studio: &Studio, table: &str, request: &PageRequest) -> Result<Page, Error> {
    studio.read(|conn, catalog| query::page(conn, catalog.table(table)?, request))
}

/// How many rows match the filters (asked for separately: on a large table with a `has.` filter it
/// reads the whole table, and the page should not wait for it).
pub fn count(studio: &Studio, table: &str, filters: &[query::Filter]) -> Result<i64, Error> {
    studio.read(|conn, catalog| {
        let view = catalog.table(table)?;
        let condition = query::filter_condition(&view, filters)?;
        query::count(conn, &view, &condition)
    })
}

/// A row page: every field in full, and the rows that point at it.
#[derive(Debug, Clone, Serialize)]
pub struct RowPage {
    pub table: TableView,
    pub row: RowOut,
    pub referenced_by: Vec<Referencing>,
}

pub fn row(studio: &Studio, table: &str, key: &str) -> Result<RowPage, Error> {
    studio.read(|conn, catalog| {
        let view = catalog.table(table)?;
        let key = query::parse_key(&view, key)?;
        let values = query::find_row(conn, &view, &key)?;
        let referenced_by = referencing(conn, catalog, &view, &values)?;
        Ok(RowPage {
            row: query::row_out(&view, &values, None),
            table: view,
            referenced_by,
        })
    })
}

/// For each foreign key pointing at the table, the rows pointing at this row (the first few, and how
/// many there are).
fn referencing(
    conn: &mut crate::db::backend::DbConnection,
    catalog: &Catalog,
    table: &TableView,
    values: &[Value],
) -> Result<Vec<Referencing>, Error> {
    let mut found = Vec::new();
    for (child, (columns, referenced, _)) in write::referencing_keys(catalog, &table.name) {
        let child_view = catalog.table(&child.name)?;
        let mut condition = Condition::default();
        let mut shown = Vec::new();
        let mut filter = Vec::new();
        for (column, target) in columns.iter().zip(&referenced) {
            let Some(value) = table.column_index(target).and_then(|i| values.get(i)) else {
                continue;
            };
            let expression = match child_view.column(column) {
                Ok(info) => child_view.expression(info),
                Err(_) => child_view.quote(column),
            };
            condition.sql.push(format!("{expression} = ?"));
            condition.binds.push(value.clone());
            shown.push(value.to_json());
            filter.push((format!("eq.{column}"), value.to_text()));
        }
        // A NULL key points at nothing.
        if condition.sql.len() != columns.len() || condition.binds.iter().any(|v| v.is_null()) {
            continue;
        }
        let count = query::count(conn, &child_view, &condition)?;
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT {}",
            child_view.select_list(),
            child_view.quoted(),
            condition.where_clause(),
            child_view.key_sql().join(", "),
            query::REFERENCING_ROWS
        );
        let rows = query::load(conn, &sql, &condition.binds)?
            .iter()
            .map(|r| query::row_out(&child_view, r, Some(query::CELL_CHARS)))
            .collect();
        found.push(Referencing {
            table: child_view,
            columns,
            values: shown,
            filter,
            count,
            rows,
        });
    }
    Ok(found)
}

/// The schema page: per table, the declared and the live model and what `check` says about them.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaPage {
    pub schema_version: i64,
    pub clean: bool,
    pub tables: Vec<SchemaTable>,
    pub unmodelled: Vec<UnmodelledObject>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaTable {
    pub name: String,
    pub status: &'static str,
    pub declared: Option<Table>,
    pub live: Option<Table>,
    pub differences: Vec<Difference>,
}

pub fn schema(studio: &Studio) -> Result<SchemaPage, Error> {
    studio.read(|_, catalog| {
        let mut names: Vec<&str> = catalog.live.table_names();
        for declared in catalog.declared.table_names() {
            if !names.contains(&declared) {
                names.push(declared);
            }
        }
        names.sort_unstable();
        let tables = names
            .into_iter()
            .map(|name| {
                let declared = catalog.declared.table(name).cloned();
                let live = catalog.live.table(name).cloned();
                let differences = catalog.differences_of(name);
                let status = match (&declared, &live) {
                    (Some(_), None) => "missing",
                    (None, _) => "undeclared",
                    _ if differences.is_empty() => "ok",
                    _ => "drift",
                };
                SchemaTable {
                    name: name.to_owned(),
                    status,
                    declared,
                    live,
                    differences,
                }
            })
            .collect();
        Ok(SchemaPage {
            schema_version: catalog.schema_version,
            clean: catalog.check.clean,
            tables,
            unmodelled: catalog.unmodelled.clone(),
        })
    })
}

/// The diagram page: the live schema as an SVG ER diagram (tables linking to their pages) and as
/// Mermaid text to copy, both with the structs' logical types where the columns are stored as declared.
#[derive(Debug, Clone, Serialize)]
pub struct DiagramPage {
    pub tables: usize,
    pub foreign_keys: usize,
    pub svg: String,
    pub mermaid: String,
}

pub fn diagram(studio: &Studio) -> Result<DiagramPage, Error> {
    studio.read(|_, catalog| {
        let schema =
            diagram::with_declared_types(&catalog.live, &catalog.declared, catalog.planner);
        let options = svg::Options {
            link_prefix: Some("#/table/".to_owned()),
            ..svg::Options::default()
        };
        Ok(DiagramPage {
            tables: schema.tables.len(),
            foreign_keys: schema.foreign_key_count(),
            svg: svg::render(&schema, &options),
            mermaid: mermaid::render(&schema),
        })
    })
}

/// The diagram as a file of its own (no links: they only lead somewhere inside the page).
pub fn diagram_svg(studio: &Studio) -> Result<String, Error> {
    studio.read(|_, catalog| {
        let schema =
            diagram::with_declared_types(&catalog.live, &catalog.declared, catalog.planner);
        Ok(svg::render(&schema, &svg::Options::default()))
    })
}

/// The migrations page: what `orient-db migrate status` says.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationsPage {
    #[serde(flatten)]
    pub status: migrations::Status,
}

pub fn migrations(studio: &Studio) -> Result<MigrationsPage, Error> {
    let all = migrations::embedded_for(studio.target())?;
    studio.read(|conn, _| {
        Ok(MigrationsPage {
            status: runner::status(conn, &all)?,
        })
    })
}

/// Updates a row; returns it as the row page shows it.
pub fn update_row(
    studio: &Studio,
    table: &str,
    key: &str,
    input: &RowInput,
) -> Result<RowPage, Error> {
    studio.write(|conn, catalog| {
        let view = catalog.table(table)?;
        let key = query::parse_key(&view, key)?;
        write::update(conn, &view, &key, input)
    })?;
    row(studio, table, key)
}

/// Inserts a row; returns the new row's page.
pub fn insert_row(studio: &Studio, table: &str, input: &RowInput) -> Result<RowPage, Error> {
    let key = studio.write(|conn, catalog| {
        let view = catalog.table(table)?;
        write::insert(conn, &view, input)
    })?;
    row(studio, table, &key)
}

/// What deleting a row would do, for the confirmation.
pub fn delete_plan(studio: &Studio, table: &str, key: &str) -> Result<DeletePlan, Error> {
    studio.read(|conn, catalog| {
        let view = catalog.table(table)?;
        let parsed = query::parse_key(&view, key)?;
        write::delete_plan(conn, catalog, &view, &parsed, key)
    })
}

/// Deletes a row whose effects match the confirmed ones.
pub fn delete_row(
    studio: &Studio,
    table: &str,
    key: &str,
    input: &DeleteInput,
) -> Result<DeletePlan, Error> {
    studio.write(|conn, catalog| {
        let view = catalog.table(table)?;
        let parsed = query::parse_key(&view, key)?;
        write::delete(conn, catalog, &view, &parsed, key, input)
    })
}
