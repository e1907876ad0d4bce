//! What the studio knows about the database's tables: the live schema (introspected, and read again
//! whenever `PRAGMA schema_version` changes), the declared structs ([`crate::schema::TABLES`]) and the
//! `check` between them.
//!
//! Every table or column name that arrives in a request is looked up here first; an unknown name is a
//! 400, and only names found in the live schema ever reach SQL, quoted by the dialect.

use serde::Serialize;

use crate::check::{DatabaseCheck, Difference, check_database};
use crate::model::UnmodelledObject;
use crate::model::{AppDefault, ColumnType, FkAction, Schema, Table};
use crate::plan::Planner;
use crate::studio::engine::StudioDialect;
use crate::studio::error::Error;

/// The schema of the database at one `schema_version`, with the declared one and their differences.
pub struct Catalog {
    pub schema_version: i64,
    pub live: Schema,
    pub unmodelled: Vec<UnmodelledObject>,
    pub declared: Schema,
    pub check: DatabaseCheck,
    /// The engine's dialect, for the diagram's types.
    pub planner: &'static dyn Planner,
    /// How the engine's SQL reads any column.
    pub studio: &'static dyn StudioDialect,
}

/// What a table looks like to the pages: its live columns with their declared types.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    pub name: String,
    pub declared: bool,
    pub columns: Vec<ColumnInfo>,
    /// The columns identifying a row: the primary key, or the engine's row identity (SQLite's `rowid`,
    /// PostgreSQL's `ctid`) for a table without one.
    pub key: Vec<String>,
    /// Whether `key` is the engine's row identity (not a column of the table).
    pub key_is_rowid: bool,
    /// Why the rows of this table cannot be edited, when they cannot (a PostgreSQL table without a
    /// primary key: `ctid` moves when a row is updated, so it cannot name a row to change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<String>,
    /// The differences `check` finds between this table and its struct.
    pub differences: Vec<Difference>,
    #[serde(skip)]
    pub dialect: &'static dyn StudioDialect,
}

/// One live column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    /// The type the values are shown and checked as: the declared type when the column is declared,
    /// else what the live column's affinity says.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub declared_type: Option<ColumnType>,
    pub nullable: bool,
    pub primary_key: bool,
    pub autoincrement: bool,
    /// The SQL default, as SQL-like text.
    pub default: Option<String>,
    /// Filled with the current time on insert by the application (`default_now`).
    pub default_now: bool,
    /// The first column of an index (or the key): pages can be sorted by it without scanning the table.
    pub sortable: bool,
    /// A single-column foreign key from this column.
    pub references: Option<ColumnReference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReference {
    pub table: String,
    pub column: String,
    /// Whether `column` is the referenced table's primary key, so a value links to one row.
    pub to_key: bool,
    pub on_delete: FkAction,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("schema_version", &self.schema_version)
            .field("live", &self.live)
            .field("check", &self.check)
            .field("dialect", &self.planner.name())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    pub fn new(
        schema_version: i64,
        live: Schema,
        unmodelled: Vec<UnmodelledObject>,
        declared: Schema,
        planner: &'static dyn Planner,
        studio: &'static dyn StudioDialect,
    ) -> Catalog {
        let check = check_database(Some(&live), &declared, planner);
        Catalog {
            schema_version,
            live,
            unmodelled,
            declared,
            check,
            planner,
            studio,
        }
    }

    /// A live table by name, or a 400 naming the tables there are.
    pub fn live_table(&self, name: &str) -> Result<&Table, Error> {
        self.live.table(name).ok_or_else(|| {
            if self.declared.table(name).is_some() {
                Error::BadRequest(format!(
                    "table `{name}` is declared but missing from the database; run `orient-db migrate`"
                ))
            } else {
                Error::BadRequest(format!("unknown table `{}`", printable(name)))
            }
        })
    }

    /// The view of a live table the pages use.
    pub fn table(&self, name: &str) -> Result<TableView, Error> {
        let live = self.live_table(name)?;
        let declared = self.declared.table(name);
        let sortable_first: Vec<&str> = live
            .indexes
            .iter()
            .filter_map(|i| i.columns.first().map(|c| c.as_ref()))
            .collect();
        let columns = live
            .columns
            .iter()
            .map(|c| {
                let declared_column = declared.and_then(|t| t.column(&c.name));
                let declared_type = declared_column.map(|d| d.ty);
                let fk = live.foreign_keys.iter().find(|f| {
                    f.columns.len() == 1 && f.columns.first().is_some_and(|fc| *fc == c.name)
                });
                let references = fk.and_then(|f| {
                    let column = f.references_columns.first()?.to_string();
                    let to_key = self.live.table(&f.references_table).is_some_and(|t| {
                        t.primary_key.len() == 1
                            && t.primary_key.first().is_some_and(|p| *p == column)
                    });
                    Some(ColumnReference {
                        table: f.references_table.to_string(),
                        column,
                        to_key,
                        on_delete: f.on_delete,
                    })
                });
                let primary_key = live.is_primary_key(&c.name);
                // An undeclared INTEGER column holds any 64-bit integer (`Integer` in the model is i32).
                let live_type = match c.ty {
                    ColumnType::Integer => ColumnType::BigInt,
                    other => other,
                };
                ColumnInfo {
                    name: c.name.to_string(),
                    ty: declared_type.unwrap_or(live_type),
                    declared_type,
                    nullable: c.nullable && !(primary_key && c.autoincrement),
                    primary_key,
                    autoincrement: c.autoincrement,
                    default: c.default.as_ref().map(ToString::to_string),
                    default_now: declared_column
                        .is_some_and(|d| d.app_default == Some(AppDefault::Now)),
                    sortable: (primary_key && live.primary_key.len() == 1)
                        || sortable_first.contains(&c.name.as_ref()),
                    references,
                }
            })
            .collect();
        let key_is_rowid = live.primary_key.is_empty();
        let implicit = self.studio.implicit_key();
        let key = if key_is_rowid {
            vec![implicit.name.to_owned()]
        } else {
            live.primary_key.iter().map(ToString::to_string).collect()
        };
        let read_only = key_is_rowid
            .then_some(implicit.read_only)
            .flatten()
            .map(|why| format!("`{name}` {why}"));
        Ok(TableView {
            name: name.to_owned(),
            declared: declared.is_some(),
            columns,
            key,
            key_is_rowid,
            read_only,
            differences: self.differences_of(name),
            dialect: self.studio,
        })
    }

    /// What `check` says about one table.
    pub fn differences_of(&self, table: &str) -> Vec<Difference> {
        self.check
            .differences
            .iter()
            .filter(|d| d.table == table)
            .cloned()
            .collect()
    }
}

impl TableView {
    /// A column by name, or a 400.
    pub fn column(&self, name: &str) -> Result<&ColumnInfo, Error> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            Error::BadRequest(format!(
                "table `{}` has no column `{}`",
                self.name,
                printable(name)
            ))
        })
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The quoted table name.
    pub fn quoted(&self) -> String {
        self.quote(&self.name)
    }

    /// Quotes an identifier found in the live schema, the engine's way.
    pub fn quote(&self, ident: &str) -> String {
        self.dialect.quote_ident(ident)
    }

    /// The SQL reading a column, as values the studio decodes and compares.
    pub fn expression(&self, column: &ColumnInfo) -> String {
        self.dialect
            .column_expression(self.quote(&column.name), column.ty)
    }

    /// The SQL of the key columns (`"id"`, or the engine's row identity).
    pub fn key_sql(&self) -> Vec<String> {
        if self.key_is_rowid {
            vec![self.dialect.implicit_key().expression.to_owned()]
        } else {
            self.key
                .iter()
                .map(|k| match self.column(k) {
                    Ok(column) => self.expression(column),
                    Err(_) => self.quote(k),
                })
                .collect()
        }
    }

    /// The type of each key column (the row identity's type for a table without a primary key).
    pub fn key_types(&self) -> Vec<ColumnType> {
        if self.key_is_rowid {
            return vec![self.dialect.implicit_key().ty];
        }
        self.key
            .iter()
            .map(|k| self.column(k).map_or(ColumnType::Text, |c| c.ty))
            .collect()
    }

    /// The select list: every column, then the row identity when it is the key.
    pub fn select_list(&self) -> String {
        let mut list: Vec<String> = self.columns.iter().map(|c| self.expression(c)).collect();
        if self.key_is_rowid {
            list.push(self.dialect.implicit_key().expression.to_owned());
        }
        list.join(", ")
    }

    /// Where each key value sits in a row read with [`TableView::select_list`].
    pub fn key_positions(&self) -> Vec<usize> {
        if self.key_is_rowid {
            return vec![self.columns.len()];
        }
        self.key
            .iter()
            .filter_map(|k| self.column_index(k))
            .collect()
    }

    /// A refusal when the rows of this table cannot be edited.
    pub fn check_writable(&self) -> Result<(), Error> {
        match &self.read_only {
            Some(why) => Err(Error::Refused(why.clone())),
            None => Ok(()),
        }
    }
}

/// A name from a request, shortened and stripped of control characters for an error message.
pub fn printable(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
    if name.chars().count() > 80 {
        format!("{cleaned}…")
    } else {
        cleaned
    }
}
