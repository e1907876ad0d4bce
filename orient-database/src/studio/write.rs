//! Editing, with `--write`: update a row, insert one, delete one after showing what the delete cascades
//! to. Each runs in one `BEGIN IMMEDIATE` transaction on the studio's writer connection (see
//! [`crate::studio::Studio::write`]); values are checked against the declared column types first.

use std::collections::BTreeMap;

use crate::db::backend::DbConnection;
use serde::{Deserialize, Serialize};

use crate::model::{FkAction, Table};
use crate::studio::catalog::{Catalog, TableView};
use crate::studio::engine::StudioConnection;
use crate::studio::error::Error;
use crate::studio::query::{self, Condition};
use crate::studio::value::{self, Value};
use crate::types::Timestamp;

/// The body of an update or an insert: column → value (JSON; strings are read by the column's type).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowInput {
    pub values: BTreeMap<String, serde_json::Value>,
}

/// Checks every value against its column; names every column that is wrong.
fn checked_values(
    table: &TableView,
    input: &RowInput,
    allow_key: bool,
) -> Result<Vec<(String, Value)>, Error> {
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for (name, raw) in &input.values {
        let column = table.column(name)?;
        if column.primary_key && !allow_key {
            problems.push(format!(
                "`{name}` is the primary key; it cannot be edited here (rows elsewhere point at it)"
            ));
            continue;
        }
        if let Some(why) = table.dialect.unwritable(column.ty) {
            problems.push(format!("`{name}`: {why}"));
            continue;
        }
        match value::parse_json(column.ty, column.nullable, raw) {
            Ok(v) => values.push((column.name.clone(), table.dialect.bind_value(column.ty, v))),
            Err(e) => problems.push(format!("`{name}` ({}): {}", column.ty, e.0)),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Updates the given columns of one row. Returns the key of the row.
pub fn update(
    conn: &mut DbConnection,
    table: &TableView,
    key: &[Value],
    input: &RowInput,
) -> Result<(), Error> {
    table.check_writable()?;
    let values = checked_values(table, input, false)?;
    if values.is_empty() {
        return Err(Error::BadRequest("nothing to change".to_owned()));
    }
    let condition = query::key_condition(table, key);
    let assignments: Vec<String> = values
        .iter()
        .map(|(name, _)| format!("{} = ?", table.quote(name)))
        .collect();
    let mut binds: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
    binds.extend(condition.binds.iter().cloned());
    let sql = format!(
        "UPDATE {} SET {}{}",
        table.quoted(),
        assignments.join(", "),
        condition.where_clause()
    );
    let changed = execute(conn, &sql, &binds)?;
    if changed != 1 {
        return Err(Error::NotFound(format!(
            "no row of `{}` has that key (it may have been deleted)",
            table.name
        )));
    }
    Ok(())
}

/// Inserts a row. Columns left out get their SQL default, or the current time for a declared
/// `default_now`; a NOT NULL column with neither must be given. Returns the new row's key as text.
pub fn insert(
    conn: &mut DbConnection,
    table: &TableView,
    input: &RowInput,
) -> Result<String, Error> {
    table.check_writable()?;
    let mut values = checked_values(table, input, true)?;
    let mut missing = Vec::new();
    for column in &table.columns {
        if values.iter().any(|(n, _)| *n == column.name) {
            continue;
        }
        if column.default_now {
            values.push((
                column.name.clone(),
                Value::Integer(Timestamp::now().unix_seconds()),
            ));
        } else if !column.nullable && column.default.is_none() && !column.autoincrement {
            // The engine may fill a single-column key itself (SQLite's INTEGER PRIMARY KEY).
            let filled =
                column.primary_key && table.key.len() == 1 && table.dialect.fills_key(column.ty);
            if !filled {
                missing.push(format!("`{}` ({}) is required", column.name, column.ty));
            }
        }
    }
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    let returning = table.key_sql().join(", ");
    let sql = if values.is_empty() {
        format!(
            "INSERT INTO {} DEFAULT VALUES RETURNING {returning}",
            table.quoted()
        )
    } else {
        let names: Vec<String> = values.iter().map(|(n, _)| table.quote(n)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {returning}",
            table.quoted(),
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        )
    };
    let binds: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
    let rows = query::load(conn, &sql, &binds)?;
    let key = rows.first().cloned().unwrap_or_default();
    let positions: Vec<usize> = (0..key.len()).collect();
    Ok(query::key_text(&positions, &key))
}

/// What deleting a row does to other rows, through the foreign keys' ON DELETE actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    pub table: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// `delete` (cascade), `set_null`, `set_default`, or `blocked` (RESTRICT / NO ACTION: the delete
    /// fails while these rows exist).
    pub action: String,
    pub rows: i64,
    /// 1 for rows pointing at the deleted row, 2 for rows pointing at those, …
    pub depth: usize,
}

/// The effects of deleting a row, before it is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePlan {
    pub table: String,
    pub key: String,
    pub effects: Vec<Effect>,
    /// Whether a RESTRICT / NO ACTION foreign key stops the delete.
    pub blocked: bool,
}

/// The body of a delete: the effects the person confirmed. The delete is refused (409) when they no
/// longer match, so nobody confirms one thing and gets another.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteInput {
    pub confirm: Vec<Effect>,
}

/// How deep cascades are followed (the Orient schema is two levels deep).
const MAX_DEPTH: usize = 8;

/// Counts, level by level, the rows a delete of `key` would delete, change or be blocked by.
pub fn delete_plan(
    conn: &mut DbConnection,
    catalog: &Catalog,
    table: &TableView,
    key: &[Value],
    key_text: &str,
) -> Result<DeletePlan, Error> {
    table.check_writable()?;
    query::find_row(conn, table, key)?;
    let root = query::key_condition(table, key);
    // The rows being deleted, as a subquery over their table.
    let start = Deleted {
        table: table.name.clone(),
        from_where: format!("FROM {}{}", table.quoted(), root.where_clause()),
        binds: root.binds.clone(),
    };
    let mut effects = Vec::new();
    let mut level = vec![start];
    for depth in 1..=MAX_DEPTH {
        let mut next = Vec::new();
        for deleted in &level {
            for (child, fk) in referencing_keys(catalog, &deleted.table) {
                let referenced: Vec<String> = fk.1.iter().map(|c| table.quote(c)).collect();
                let referencing: Vec<String> = fk.0.iter().map(|c| table.quote(c)).collect();
                let pointing = format!(
                    "{} IN (SELECT {} {})",
                    tuple(&referencing),
                    referenced.join(", "),
                    deleted.from_where
                );
                let condition = Condition {
                    sql: vec![pointing.clone()],
                    binds: deleted.binds.clone(),
                };
                let child_view = catalog.table(&child.name)?;
                let rows = query::count(conn, &child_view, &condition)?;
                if rows == 0 {
                    continue;
                }
                let action = match fk.2 {
                    FkAction::Cascade => "delete",
                    FkAction::SetNull => "set_null",
                    FkAction::SetDefault => "set_default",
                    FkAction::Restrict | FkAction::NoAction => "blocked",
                };
                effects.push(Effect {
                    table: child.name.to_string(),
                    columns: fk.0.clone(),
                    action: action.to_owned(),
                    rows,
                    depth,
                });
                if fk.2 == FkAction::Cascade {
                    next.push(Deleted {
                        table: child.name.to_string(),
                        from_where: format!("FROM {} WHERE {pointing}", table.quote(&child.name)),
                        binds: deleted.binds.clone(),
                    });
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    let blocked = effects.iter().any(|e| e.action == "blocked");
    Ok(DeletePlan {
        table: table.name.clone(),
        key: key_text.to_owned(),
        effects,
        blocked,
    })
}

/// Deletes a row if its effects are still the confirmed ones.
pub fn delete(
    conn: &mut DbConnection,
    catalog: &Catalog,
    table: &TableView,
    key: &[Value],
    key_text: &str,
    input: &DeleteInput,
) -> Result<DeletePlan, Error> {
    let plan = delete_plan(conn, catalog, table, key, key_text)?;
    if plan.effects != input.confirm {
        return Err(Error::Conflict(
            "the rows this delete affects changed since it was confirmed; review it again"
                .to_owned(),
        ));
    }
    if plan.blocked {
        return Err(Error::Conflict(
            "other rows still point at this row through a RESTRICT / NO ACTION foreign key"
                .to_owned(),
        ));
    }
    let condition = query::key_condition(table, key);
    let sql = format!("DELETE FROM {}{}", table.quoted(), condition.where_clause());
    if execute(conn, &sql, &condition.binds)? != 1 {
        return Err(Error::NotFound(format!(
            "no row of `{}` has that key",
            table.name
        )));
    }
    Ok(plan)
}

/// The rows deleted at one level: `FROM … WHERE …`, to select any of their columns.
struct Deleted {
    table: String,
    from_where: String,
    binds: Vec<Value>,
}

/// (referencing columns, referenced columns, on delete)
type FkColumns = (Vec<String>, Vec<String>, FkAction);

/// Every foreign key in the live schema that points at `table`.
pub fn referencing_keys<'a>(catalog: &'a Catalog, table: &str) -> Vec<(&'a Table, FkColumns)> {
    let target = catalog.live.table(table);
    let mut found = Vec::new();
    for child in &catalog.live.tables {
        for fk in child.foreign_keys.iter() {
            if fk.references_table != table {
                continue;
            }
            let referenced: Vec<String> = if fk.references_columns.is_empty() {
                // `REFERENCES parent` without columns means the parent's primary key.
                target
                    .map(|t| t.primary_key.iter().map(ToString::to_string).collect())
                    .unwrap_or_default()
            } else {
                fk.references_columns
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            };
            found.push((
                child,
                (
                    fk.columns.iter().map(ToString::to_string).collect(),
                    referenced,
                    fk.on_delete,
                ),
            ));
        }
    }
    found
}

fn tuple(columns: &[String]) -> String {
    if columns.len() == 1 {
        columns.join("")
    } else {
        format!("({})", columns.join(", "))
    }
}

/// Runs a statement and returns how many rows it changed.
fn execute(conn: &mut DbConnection, sql: &str, binds: &[Value]) -> Result<usize, Error> {
    Ok(conn.execute_values(sql, binds)?)
}
