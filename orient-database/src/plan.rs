//! From changes to SQL: which statements, in which order. Pure: nothing here touches a database.
//!
//! Order: renamed tables first (later steps use the new names), then new tables with their indexes, then
//! each existing table's changes, dropped tables last (children before the tables they reference). A table
//! whose changes `ALTER TABLE` can make gets plain DDL; the engine's [`Planner`] says which changes it
//! cannot make and how it makes them instead (SQLite rebuilds the table: `dialect/sqlite/rebuild.rs`).
//! When anything is rebuilt, the objects a rebuild trips over (SQLite's views and triggers) are dropped
//! first and recreated last.
//!
//! Engines whose `ALTER TABLE` makes every change in place (PostgreSQL: [`Planner::alters_in_place`])
//! are planned by `plan/in_place.rs` instead, which also names the table locks each step takes
//! ([`Step::locks`]).
//!
//! Running a plan safely (one transaction, checks before commit) is [`crate::apply`]'s job;
//! [`Plan::to_script`] writes the same safety into a migration file.

mod in_place;
mod locks;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diff::Change;
use crate::model::{Name, Schema, Table, UnmodelledObject};
use crate::sql::Dialect;

pub use in_place::steps_for_table;
pub use locks::{Blocks, TableLock, TableWork};

/// What an engine decides when planning, beyond how it spells things ([`Dialect`]): which changes its
/// `ALTER TABLE` cannot make, and how it makes them instead.
pub trait Planner: Dialect + Sync {
    /// Whether this engine's `ALTER TABLE` makes every change in place, so nothing is ever rebuilt and
    /// the plan comes from `plan/in_place.rs` (PostgreSQL). `false`: only the changes
    /// [`Planner::requires_rebuild`] allows are altered, the rest rebuilt (SQLite).
    fn alters_in_place(&self) -> bool;

    /// Whether applying a plan needs foreign-key enforcement off around its transaction, because a
    /// rebuild drops and recreates parent tables (SQLite). Engines that never rebuild keep enforcement
    /// on, and `push` does not ask to switch it.
    fn rebuilds_need_foreign_keys_off(&self) -> bool;

    /// The table locks the statements carrying out `change` take, and what they do to each table while
    /// holding them (`current` is the schema before the plan). Empty on engines that lock the whole
    /// database rather than tables (SQLite).
    fn change_locks(&self, change: &Change, current: &Schema) -> Vec<TableLock>;

    /// The locks a `DELETE` of rows from `table` takes (data-losing changes, accepted).
    fn delete_locks(&self, table: &str) -> Vec<TableLock>;

    /// Whether `ALTER TABLE` cannot make `change` on this engine, so its table is rebuilt. `existing` is
    /// the table as it is now, when it exists.
    fn requires_rebuild(&self, change: &Change, existing: Option<&Table>) -> bool;

    /// The step that turns `existing` into `wanted` by rebuilding it, carrying out `changes` (all about
    /// this table; renamed tables already carry their new name). `current` is the whole current schema.
    fn rebuild(
        &self,
        existing: &Table,
        wanted: &Table,
        changes: &[&Change],
        current: &Schema,
        options: PlanOptions,
    ) -> Step;

    /// Drops the objects outside the model that rebuilds would trip over.
    fn drop_dependents(&self, unmodelled: &[UnmodelledObject]) -> Step;

    /// Recreates what [`Planner::drop_dependents`] dropped, except what belonged to `dropped_tables`.
    fn recreate_dependents(
        &self,
        unmodelled: &[UnmodelledObject],
        dropped_tables: &BTreeSet<&str>,
    ) -> Step;

    /// The plan as a self-contained migration script that opens and checks its own transaction, for
    /// plans that must run outside the migration runner's transaction (those that [`Plan::rebuilds`]).
    fn script(&self, plan: &Plan) -> String;
}

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
    /// The table locks the statements take, held until the plan's transaction ends; empty on engines
    /// without table locks (SQLite).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<TableLock>,
}

impl Step {
    /// The step's statements, one per line, after a comment saying what they do (and which locks
    /// they take).
    pub fn to_sql(&self) -> String {
        let mut sql = format!("-- {}\n", self.description);
        for lock in &self.locks {
            let warning = if lock.blocks_all_while_working() {
                "  [blocks the table while it works]"
            } else {
                ""
            };
            sql.push_str(&format!("--   lock: {lock}{warning}\n"));
        }
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

    /// Whether any table is rebuilt (which needs foreign keys off around the transaction, so the plan
    /// must run outside a migration runner's transaction).
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

    /// The plan as a self-contained script for a migration with `run_in_transaction = false`, written by
    /// the engine ([`Planner::script`]): it opens its own transaction and checks its work before
    /// `COMMIT`.
    pub fn to_script(&self, planner: &dyn Planner) -> String {
        planner.script(self)
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
    planner: &dyn Planner,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    if planner.alters_in_place() {
        return in_place::plan(changes, current, desired, unmodelled, planner, options);
    }
    let dialect: &dyn Dialect = planner;
    let mut steps = Vec::new();
    let step = |description: String, kind: StepKind, statements: Vec<String>| Step {
        description,
        kind,
        statements,
        locks: Vec::new(),
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
        let needs_rebuild = table_changes
            .iter()
            .any(|c| planner.requires_rebuild(c, existing));
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
            table_steps.push(planner.rebuild(existing, wanted, &table_changes, current, options));
        } else {
            table_steps.extend(alter(&table_changes, current, dialect, options));
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
        steps.push(planner.drop_dependents(unmodelled));
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
        steps.push(planner.recreate_dependents(unmodelled, &dropped_names));
    }
    steps.retain(|s| !s.statements.is_empty());
    Ok(Plan { steps })
}

/// A table's changes as `ALTER TABLE` / index statements: dropped indexes, renamed, added and dropped
/// columns, new indexes.
fn alter(
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
                    let key: Vec<&str> = current
                        .table(table)
                        .map(|t| t.primary_key.iter().map(|c| c.as_ref()).collect())
                        .unwrap_or_default();
                    steps.push(Step {
                        description: format!(
                            "delete rows duplicating ({}) in `{table}`, keeping the first of each",
                            columns.join(", ")
                        ),
                        kind: StepKind::Delete {
                            table: Name::Owned(table.to_string()),
                        },
                        statements: vec![dialect.delete_duplicates(table, &columns, &key)],
                        locks: Vec::new(),
                    });
                }
                vec![dialect.create_index(table, index)]
            }
            // Everything else was routed to a rebuild by `Planner::requires_rebuild`.
            _ => continue,
        };
        steps.push(Step {
            description: change.to_string(),
            kind: StepKind::Ddl,
            statements,
            locks: Vec::new(),
        });
    }
    steps
}

/// Tables in an order where each comes before every table it references (among `tables`), so dropping
/// them in this order never deletes through a foreign key.
pub(crate) fn children_first<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
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
