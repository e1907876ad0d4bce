//! What the studio knows about the database's tables: the live schema (introspected, and read again
//! whenever `PRAGMA schema_version` changes), the declared structs ([`crate::schema::TABLES`]) and the
//! `check` between them.
//!
//! Every table or column name that arrives in a request is looked up here first; an unknown name is a
//! 400, and only names found in the live schema ever reach SQL, quoted by the dialect.

use serde::Serialize;

use crate::check::{DatabaseCheck, Difference, check_database};
use crate::dialect::sqlite::Sqlite;
use crate::model::UnmodelledObject;
use crate::model::{AppDefault, ColumnType, FkAction, Schema, Table};
use crate::sql::Dialect;
use crate::studio::error::Error;

/// The schema of the database at one `schema_version`, with the declared one and their differences.
#[derive(Debug)]
pub struct Catalog {
    pub schema_version: i64,
    pub live: Schema,
    pub unmodelled: Vec<UnmodelledObject>,
    pub declared: Schema,
    pub check: DatabaseCheck,
}

/// What a table looks like to the pages: its live columns with their declared types.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    pub name: String,
    pub declared: bool,
    pub columns: Vec<ColumnInfo>,
    /// The columns identifying a row: the primary key, or `rowid` for a table without one.
    pub key: Vec<String>,
    /// Whether `key` is SQLite's `rowid` (not a column of the table).
    pub key_is_rowid: bool,
    /// The differences `check` finds between this table and its struct.
    pub differences: Vec<Difference>,
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

impl Catalog {
    pub fn new(
        schema_version: i64,
        live: Schema,
        unmodelled: Vec<UnmodelledObject>,
        declared: Schema,
        dialect: &dyn Dialect,
    ) -> Catalog {
        let check = check_database(Some(&live), &declared, dialect);
        Catalog {
            schema_version,
            live,
            unmodelled,
            declared,
            check,
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
        let key = if key_is_rowid {
            vec!["rowid".to_owned()]
        } else {
            live.primary_key.iter().map(ToString::to_string).collect()
        };
        Ok(TableView {
            name: name.to_owned(),
            declared: declared.is_some(),
            columns,
            key,
            key_is_rowid,
            differences: self.differences_of(name),
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
        quote(&self.name)
    }

    /// The SQL of the key columns (`"id"`, or `rowid`).
    pub fn key_sql(&self) -> Vec<String> {
        if self.key_is_rowid {
            vec!["rowid".to_owned()]
        } else {
            self.key.iter().map(|k| quote(k)).collect()
        }
    }

    /// The type of each key column (`rowid` is an integer).
    pub fn key_types(&self) -> Vec<ColumnType> {
        if self.key_is_rowid {
            return vec![ColumnType::BigInt];
        }
        self.key
            .iter()
            .map(|k| self.column(k).map_or(ColumnType::Text, |c| c.ty))
            .collect()
    }

    /// The select list: every column, then `rowid` when it is the key.
    pub fn select_list(&self) -> String {
        let mut list: Vec<String> = self.columns.iter().map(|c| quote(&c.name)).collect();
        if self.key_is_rowid {
            list.push("rowid".to_owned());
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
}

/// Quotes an identifier that was found in the live schema.
pub fn quote(ident: &str) -> String {
    Sqlite.quote_ident(ident)
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
