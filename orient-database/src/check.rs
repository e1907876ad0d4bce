//! `check`: does everything agree with the structs? For CI and for people.
//!
//! (a) The migrations, replayed in memory, produce the declared schema (a struct changed without a
//! migration fails here, naming the table and column). (b) Every registered table exists in the live
//! database ("Missing required tables: a, b"). (c) The live database equals the declared schema, each
//! drift listed. Pure given its inputs: the caller reads the migrations and opens the database.

use serde::Serialize;

use crate::diff::{Change, diff};
use crate::model::Schema;
use crate::sql::Dialect;

/// One difference, worded as an observation about `place` ("the migrations", "the database").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub table: String,
    pub column: Option<String>,
    /// The kind of change that would remove it (`add_column`, `alter_column`, …).
    pub kind: String,
    pub message: String,
    /// The migration that last changed the table or column (its directory name), when it was looked
    /// for: `check` names it for differences between the migrations and the structs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
}

/// (a): the migrations against the structs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationsCheck {
    pub clean: bool,
    pub differences: Vec<Difference>,
}

/// (b) and (c): the live database against the structs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseCheck {
    pub clean: bool,
    /// Registered tables the database lacks (all of them when the file does not exist).
    pub missing_tables: Vec<String>,
    /// Every other difference.
    pub differences: Vec<Difference>,
}

/// Compares the schema the migrations produce with the declared one.
pub fn check_migrations(
    replayed: &Schema,
    declared: &Schema,
    dialect: &dyn Dialect,
) -> MigrationsCheck {
    check_migrations_in(replayed, declared, dialect, "the migrations")
}

/// [`check_migrations`], with the migrations called `place` in messages ("the PostgreSQL migrations").
pub fn check_migrations_in(
    replayed: &Schema,
    declared: &Schema,
    dialect: &dyn Dialect,
    place: &str,
) -> MigrationsCheck {
    let differences: Vec<Difference> = diff(replayed, declared, dialect)
        .iter()
        .map(|c| difference(c, place))
        .collect();
    MigrationsCheck {
        clean: differences.is_empty(),
        differences,
    }
}

/// Compares a live database's schema (`None`: the file does not exist) with the declared one.
pub fn check_database(
    live: Option<&Schema>,
    declared: &Schema,
    dialect: &dyn Dialect,
) -> DatabaseCheck {
    let Some(live) = live else {
        return DatabaseCheck {
            clean: false,
            missing_tables: declared
                .table_names()
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            differences: Vec::new(),
        };
    };
    let mut missing_tables = Vec::new();
    let mut differences = Vec::new();
    for change in diff(live, declared, dialect) {
        match &change {
            Change::CreateTable { table } => missing_tables.push(table.name.to_string()),
            other => differences.push(difference(other, "the database")),
        }
    }
    DatabaseCheck {
        clean: missing_tables.is_empty() && differences.is_empty(),
        missing_tables,
        differences,
    }
}

/// `change` turns `place` into the declaration; say what is different about `place`.
fn difference(change: &Change, place: &str) -> Difference {
    let message = match change {
        Change::CreateTable { table } => {
            format!(
                "table `{}` is declared but missing from {place}",
                table.name
            )
        }
        Change::DropTable { table } => {
            format!("table `{}` is in {place} but not declared", table.name)
        }
        Change::RenameTable { from, to } => format!(
            "table `{to}` is declared as renamed from `{from}`, which {place} still calls it"
        ),
        Change::AddColumn { table, column } => format!(
            "column `{table}`.`{}` is declared but missing from {place}",
            column.name
        ),
        Change::DropColumn { table, column } => format!(
            "column `{table}`.`{}` is in {place} but not declared",
            column.name
        ),
        Change::RenameColumn { table, from, to } => format!(
            "column `{table}`.`{to}` is declared as renamed from `{from}`, which {place} still calls it"
        ),
        Change::AlterColumn { table, from, to } => {
            let mut parts = Vec::new();
            if from.ty != to.ty {
                parts.push(format!("type {} where {} is declared", from.ty, to.ty));
            }
            if from.nullable != to.nullable {
                parts.push(if from.nullable {
                    "nullable where NOT NULL is declared".to_owned()
                } else {
                    "NOT NULL where nullable is declared".to_owned()
                });
            }
            if from.default != to.default {
                let show = |d: &Option<crate::model::DefaultValue>| {
                    d.as_ref()
                        .map_or_else(|| "no default".to_owned(), |d| format!("DEFAULT {d}"))
                };
                parts.push(format!(
                    "{} where {} is declared",
                    show(&from.default),
                    show(&to.default)
                ));
            }
            if from.autoincrement != to.autoincrement {
                parts.push(if from.autoincrement {
                    "AUTOINCREMENT where it is not declared".to_owned()
                } else {
                    "no AUTOINCREMENT where it is declared".to_owned()
                });
            }
            if parts.is_empty() {
                parts.push(format!("{from:?} where {to:?} is declared"));
            }
            format!(
                "column `{table}`.`{}` differs in {place}: {}",
                to.name,
                parts.join("; ")
            )
        }
        Change::CreateIndex { table, index } => format!(
            "index `{}` on `{table}` ({}) is declared but missing from {place}",
            index.name,
            index.columns.join(", ")
        ),
        Change::DropIndex { table, index } => format!(
            "index `{}` on `{table}` ({}) is in {place} but not declared",
            index.name,
            index.columns.join(", ")
        ),
        Change::AddForeignKey { table, foreign_key } => format!(
            "foreign key `{table}`({}) → `{}` is declared but missing from {place}",
            foreign_key.columns.join(", "),
            foreign_key.references_table
        ),
        Change::DropForeignKey { table, foreign_key } => format!(
            "foreign key `{table}`({}) → `{}` is in {place} but not declared (or differs)",
            foreign_key.columns.join(", "),
            foreign_key.references_table
        ),
        Change::ChangePrimaryKey { table, from, to } => format!(
            "the primary key of `{table}` is ({}) in {place} where ({}) is declared",
            from.join(", "),
            to.join(", ")
        ),
    };
    let kind = serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("change").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_default();
    Difference {
        table: change.table().to_owned(),
        column: change.column().map(str::to_owned),
        kind,
        message,
        migration: None,
    }
}
