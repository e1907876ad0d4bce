//! From changes to SQL: which statements, in which order. Pure: nothing here touches a database.
//!
//! Order: renamed tables first (later steps use the new names), then new tables with their indexes, then
//! each existing table's changes, dropped tables last (children before the tables they reference). A table
//! whose changes `ALTER TABLE` can do gets plain DDL; any other is rebuilt ([`rebuild`]): create the new
//! definition under a temporary name, copy with explicit column lists, drop, rename, recreate indexes. When
//! anything is rebuilt, views and triggers are dropped first and recreated last, because SQLite checks
//! them against the schema while tables are renamed.
//!
//! Running a plan safely (foreign keys off *before* the transaction, one transaction, checks before
//! commit) is [`crate::apply`]'s job; [`Plan::to_script`] writes the same safety into a migration file.

mod rebuild;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::dialect::Dialect;
use crate::dialect::sqlite::introspect::UnmodelledObject;
use crate::diff::Change;
use crate::model::{Column, DefaultValue, Name, Schema, Table};

/// How far the plan may go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Include the statements that make data-losing changes possible: delete duplicate, dangling or NULL
    /// rows, convert narrowed values with CAST. Without it those changes fail on data that violates them
    /// (and `push` refuses them before trying).
    pub accept_data_loss: bool,
}

/// What a step does, beyond its statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Plain DDL.
    Ddl,
    /// The rebuild of one table; its row count is verified unless rows may be deleted.
    Rebuild { table: Name, may_delete_rows: bool },
    /// Deletes rows that a data-losing change cannot keep.
    Delete { table: Name },
    /// Drops or recreates views and triggers around rebuilds.
    Dependents,
}

/// Statements for one change, with the change they implement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub description: String,
    pub kind: StepKind,
    pub statements: Vec<String>,
}

impl Step {
    /// The step's statements, one per line, after a comment saying what they do.
    pub fn to_sql(&self) -> String {
        let mut sql = format!("-- {}\n", self.description);
        for statement in &self.statements {
            sql.push_str(statement);
            sql.push('\n');
        }
        sql
    }
}

/// An ordered list of steps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every statement, in order.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .flat_map(|s| s.statements.iter().map(String::as_str))
    }

    /// Whether any table is rebuilt (which needs foreign keys off around the transaction).
    pub fn rebuilds(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Rebuild { .. }))
    }

    /// The plan as SQL, each step preceded by a comment saying what it does. For a migration that Diesel
    /// runs in a transaction (no rebuild).
    pub fn to_sql(&self) -> String {
        self.steps.iter().map(Step::to_sql).collect()
    }

    /// The plan as a self-contained script for a migration with `run_in_transaction = false`: it turns
    /// foreign keys off (and stops if they stay on), runs in one `BEGIN IMMEDIATE` transaction, checks row
    /// counts of rebuilt tables and foreign keys before `COMMIT`, and turns foreign keys back on. The
    /// checks fail through a CHECK constraint of a temporary table, the one way plain SQL can abort.
    pub fn to_script(&self, dialect: &dyn Dialect) -> String {
        rebuild::script(self, dialect)
    }
}

/// A change that cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{change}: table `{table}` is not in the current schema, so it cannot be rebuilt")]
    MissingTable { table: String, change: String },
}

/// Orders `changes` (from [`crate::diff::diff`]`(current, desired)`) and renders them.
///
/// `unmodelled` lists the views and triggers of the current database (from introspection), which are
/// recreated around rebuilds.
pub fn plan(
    changes: &[Change],
    current: &Schema,
    desired: &Schema,
    unmodelled: &[UnmodelledObject],
    dialect: &dyn Dialect,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let mut steps = Vec::new();
    let step = |description: String, kind: StepKind, statements: Vec<String>| Step {
        description,
        kind,
        statements,
    };

    // Old name → new name of renamed tables.
    let mut table_renames: BTreeMap<String, String> = BTreeMap::new();
    for change in changes {
        if let Change::RenameTable { from, to } = change {
            table_renames.insert(from.to_string(), to.to_string());
            steps.push(step(
                change.to_string(),
                StepKind::Ddl,
                vec![dialect.rename_table(from, to)],
            ));
        }
    }

    let mut created: Vec<&Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable { table } => Some(table),
            _ => None,
        })
        .collect();
    created.sort_by(|a, b| a.name.cmp(&b.name));
    for table in created {
        let mut statements = vec![dialect.create_table(table)];
        statements.extend(
            table
                .indexes
                .iter()
                .map(|i| dialect.create_index(&table.name, i)),
        );
        steps.push(step(
            format!("create table `{}`", table.name),
            StepKind::Ddl,
            statements,
        ));
    }

    // Every other change, grouped by table.
    let mut per_table: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        if !matches!(
            change,
            Change::RenameTable { .. } | Change::CreateTable { .. } | Change::DropTable { .. }
        ) {
            per_table.entry(change.table()).or_default().push(change);
        }
    }
    let current_name = |table: &str| -> String {
        table_renames
            .iter()
            .find(|(_, new)| new.as_str() == table)
            .map_or_else(|| table.to_owned(), |(old, _)| old.clone())
    };
    let mut table_steps = Vec::new();
    let mut rebuilt = BTreeSet::new();
    for (table, table_changes) in per_table {
        let existing = current.table(&current_name(table));
        let wanted = desired.table(table);
        let needs_rebuild = table_changes.iter().any(|c| requires_rebuild(c, existing));
        if needs_rebuild {
            let (Some(existing), Some(wanted)) = (existing, wanted) else {
                return Err(PlanError::MissingTable {
                    table: table.to_owned(),
                    change: table_changes
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                });
            };
            rebuilt.insert(table.to_owned());
            table_steps.extend(rebuild::rebuild(
                existing,
                wanted,
                &table_changes,
                current,
                dialect,
                options,
            ));
        } else {
            table_steps.extend(alter(table, &table_changes, current, dialect, options));
        }
    }

    let dropped: Vec<&Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable { table } => Some(table),
            _ => None,
        })
        .collect();
    let dropped_names: BTreeSet<&str> = dropped.iter().map(|t| t.name.as_ref()).collect();

    if !rebuilt.is_empty() {
        steps.push(rebuild::drop_dependents(unmodelled, dialect));
    }
    steps.extend(table_steps);
    for table in children_first(&dropped) {
        steps.push(step(
            format!("drop table `{}`", table.name),
            StepKind::Ddl,
            vec![dialect.drop_table(&table.name)],
        ));
    }
    if !rebuilt.is_empty() {
        steps.push(rebuild::recreate_dependents(unmodelled, &dropped_names));
    }
    steps.retain(|s| !s.statements.is_empty());
    Ok(Plan { steps })
}

/// Whether `ALTER TABLE` cannot make this change (sqlite.org/lang_altertable.html).
fn requires_rebuild(change: &Change, existing: Option<&Table>) -> bool {
    match change {
        Change::AlterColumn { .. }
        | Change::AddForeignKey { .. }
        | Change::DropForeignKey { .. }
        | Change::ChangePrimaryKey { .. } => true,
        Change::AddColumn { column, .. } => !can_add_column(column),
        // DROP COLUMN refuses key, UNIQUE-constraint and foreign-key columns.
        Change::DropColumn { column, .. } => existing.is_none_or(|t| {
            t.is_primary_key(&column.name)
                || t.foreign_keys
                    .iter()
                    .any(|fk| fk.columns.contains(&column.name))
                || t.indexes.iter().any(|i| {
                    i.origin == crate::model::IndexOrigin::UniqueConstraint
                        && i.columns.contains(&column.name)
                })
        }),
        _ => false,
    }
}

/// `ALTER TABLE ADD COLUMN` takes a column that is not a key, and is nullable or has a constant default.
fn can_add_column(column: &Column) -> bool {
    let constant_default = match &column.default {
        None | Some(DefaultValue::Null) | Some(DefaultValue::Expression(_)) => false,
        Some(_) => true,
    };
    !column.autoincrement && (column.nullable || constant_default)
}

/// A table's changes as `ALTER TABLE` / index statements: dropped indexes, renamed, added and dropped
/// columns, new indexes.
fn alter(
    table: &str,
    changes: &[&Change],
    current: &Schema,
    dialect: &dyn Dialect,
    options: PlanOptions,
) -> Vec<Step> {
    let rank = |c: &Change| match c {
        Change::DropIndex { .. } => 0,
        Change::RenameColumn { .. } => 1,
        Change::AddColumn { .. } => 2,
        Change::DropColumn { .. } => 3,
        _ => 4,
    };
    let mut ordered: Vec<&Change> = changes.to_vec();
    ordered.sort_by_key(|c| rank(c));
    let mut steps = Vec::new();
    for change in ordered {
        let statements = match change {
            Change::DropIndex { index, .. } => vec![dialect.drop_index(&index.name)],
            Change::RenameColumn { table, from, to } => {
                vec![dialect.rename_column(table, from, to)]
            }
            Change::AddColumn { table, column } => vec![dialect.add_column(table, column)],
            Change::DropColumn { table, column } => vec![dialect.drop_column(table, &column.name)],
            Change::CreateIndex { table, index } => {
                if options.accept_data_loss && index.unique && current.table(table).is_some() {
                    let columns: Vec<&str> = index.columns.iter().map(|c| c.as_ref()).collect();
                    steps.push(Step {
                        description: format!(
                            "delete rows duplicating ({}) in `{table}`, keeping the first of each",
                            columns.join(", ")
                        ),
                        kind: StepKind::Delete {
                            table: Name::Owned(table.to_string()),
                        },
                        statements: vec![rebuild::delete_duplicates(table, &columns, dialect)],
                    });
                }
                vec![dialect.create_index(table, index)]
            }
            // Everything else was routed to a rebuild by `requires_rebuild`.
            _ => continue,
        };
        let _ = table;
        steps.push(Step {
            description: change.to_string(),
            kind: StepKind::Ddl,
            statements,
        });
    }
    steps
}

/// Tables in an order where each comes before every table it references (among `tables`), so dropping
/// them in this order never deletes through a foreign key.
fn children_first<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
    let mut remaining: Vec<&Table> = tables.to_vec();
    remaining.sort_by(|a, b| a.name.cmp(&b.name));
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        // A table no other remaining table references can go now; a cycle is broken by name order.
        let next = remaining
            .iter()
            .position(|t| {
                !remaining.iter().any(|other| {
                    other.name != t.name
                        && other
                            .foreign_keys
                            .iter()
                            .any(|fk| fk.references_table == t.name)
                })
            })
            .unwrap_or(0);
        ordered.push(remaining.remove(next));
    }
    ordered
}
