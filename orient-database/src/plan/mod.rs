//! From changes to SQL: which statements, in which order. Pure: nothing here touches a database.
//!
//! Order: renamed tables first (so later steps use the new names), then new tables with their indexes,
//! then per existing table: dropped indexes, renamed, added and dropped columns, new indexes; dropped
//! tables last, children before the tables they reference. What `ALTER TABLE` cannot do is reported as
//! [`PlanError::NeedsRebuild`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::diff::Change;
use crate::model::{Column, DefaultValue, Table};

/// Statements for one change, with the change they implement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub description: String,
    pub statements: Vec<String>,
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

    /// The plan as an SQL script, each step preceded by a comment saying what it does.
    pub fn to_sql(&self) -> String {
        let mut sql = String::new();
        for step in &self.steps {
            sql.push_str("-- ");
            sql.push_str(&step.description);
            sql.push('\n');
            for statement in &step.statements {
                sql.push_str(statement);
                sql.push('\n');
            }
        }
        sql
    }
}

/// A change this planner cannot express as plain DDL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{change}: SQLite's ALTER TABLE cannot do this; it needs a rebuild of table `{table}`, which \
         this version of the planner does not perform"
    )]
    NeedsRebuild { table: String, change: String },
}

/// Orders `changes` and renders them in `dialect`.
pub fn plan(changes: &[Change], dialect: &dyn Dialect) -> Result<Plan, PlanError> {
    let mut plan = Plan::default();
    let mut push = |change: &Change, statements: Vec<String>| {
        plan.steps.push(Step {
            description: change.to_string(),
            statements,
        });
    };

    for change in changes {
        if let Change::RenameTable { from, to } = change {
            push(change, vec![dialect.rename_table(from, to)]);
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
        push(
            &Change::CreateTable {
                table: table.clone(),
            },
            statements,
        );
    }

    let rank = |c: &Change| match c {
        Change::DropIndex { .. } => 0,
        Change::RenameColumn { .. } => 1,
        Change::AddColumn { .. } => 2,
        Change::DropColumn { .. } => 3,
        Change::CreateIndex { .. } => 4,
        _ => 5,
    };
    let mut per_table: Vec<&Change> = changes
        .iter()
        .filter(|c| {
            !matches!(
                c,
                Change::RenameTable { .. } | Change::CreateTable { .. } | Change::DropTable { .. }
            )
        })
        .collect();
    per_table.sort_by_key(|c| (c.table().to_owned(), rank(c)));
    for change in per_table {
        let statements = match change {
            Change::DropIndex { index, .. } => vec![dialect.drop_index(&index.name)],
            Change::RenameColumn { table, from, to } => {
                vec![dialect.rename_column(table, from, to)]
            }
            Change::AddColumn { table, column } if can_add_column(column) => {
                vec![dialect.add_column(table, column)]
            }
            Change::DropColumn { table, column } => vec![dialect.drop_column(table, &column.name)],
            Change::CreateIndex { table, index } => vec![dialect.create_index(table, index)],
            other => {
                return Err(PlanError::NeedsRebuild {
                    table: other.table().to_owned(),
                    change: other.to_string(),
                });
            }
        };
        push(change, statements);
    }

    let dropped: Vec<&Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable { table } => Some(table),
            _ => None,
        })
        .collect();
    for table in children_first(&dropped) {
        push(
            &Change::DropTable {
                table: table.clone(),
            },
            vec![dialect.drop_table(&table.name)],
        );
    }
    Ok(plan)
}

/// `ALTER TABLE ADD COLUMN` takes a column that is not a key, and is nullable or has a constant
/// default (sqlite.org/lang_altertable.html, "ALTER TABLE ADD COLUMN").
fn can_add_column(column: &Column) -> bool {
    let constant_default = match &column.default {
        None | Some(DefaultValue::Null) => false,
        Some(DefaultValue::Expression(_)) => false,
        Some(_) => true,
    };
    !column.autoincrement && (column.nullable || constant_default)
}

/// Tables in an order where each comes before every table it references (among `tables`), so dropping
/// them in this order never deletes through a foreign key.
fn children_first<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
    let mut remaining: Vec<&Table> = tables.to_vec();
    remaining.sort_by(|a, b| a.name.cmp(&b.name));
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let referenced: BTreeSet<&str> = remaining
            .iter()
            .flat_map(|t| t.foreign_keys.iter())
            .map(|fk| fk.references_table.as_ref())
            .collect();
        // A table nobody left references can go now; a cycle is broken at the first table by name.
        let next = remaining
            .iter()
            .position(|t| {
                !referenced.contains(t.name.as_ref())
                    || t.foreign_keys
                        .iter()
                        .all(|fk| fk.references_table == t.name)
                        && !remaining.iter().any(|o| {
                            o.name != t.name
                                && o.foreign_keys
                                    .iter()
                                    .any(|fk| fk.references_table == t.name)
                        })
            })
            .unwrap_or(0);
        ordered.push(remaining.remove(next));
    }
    ordered
}
