//! SQLite's table rebuild (sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
//! create the new definition under a temporary name, copy the rows with explicit column lists, drop the
//! old table, rename the new one, recreate its indexes. In that order: renaming the old table first
//! would rewrite other tables' foreign keys to point at the temporary name.
//!
//! The copy names every column on both sides, so a column missing from the old table can never be read
//! as a string literal. An AUTOINCREMENT table keeps its `sqlite_sequence` high-water mark, so ids of
//! deleted rows are never handed out again after a rebuild.

use std::collections::{BTreeMap, BTreeSet};

use crate::dangling::dangling_condition;
use crate::dialect::sqlite::Sqlite;
use crate::diff::Change;
use crate::model::{Column, DefaultValue, IndexOrigin, Name, Schema, Table, UnmodelledObject};
use crate::plan::{Plan, PlanOptions, Planner, Step, StepKind, TableLock};
use crate::sql::Dialect;

/// The temporary name a table is rebuilt under. `__orient_` names are reserved for the tools.
pub fn temporary_name(table: &str) -> String {
    format!("__orient_new_{table}")
}

impl Planner for Sqlite {
    fn alters_in_place(&self) -> bool {
        false
    }

    fn rebuilds_need_foreign_keys_off(&self) -> bool {
        // Dropping the old table during a rebuild would cascade into its children otherwise.
        true
    }

    fn change_locks(&self, _change: &Change, _current: &Schema) -> Vec<TableLock> {
        // SQLite locks the whole database for a write transaction, never one table.
        Vec::new()
    }

    fn delete_locks(&self, _table: &str) -> Vec<TableLock> {
        Vec::new()
    }

    fn requires_rebuild(&self, change: &Change, existing: Option<&Table>) -> bool {
        requires_rebuild(change, existing)
    }

    fn rebuild(
        &self,
        existing: &Table,
        wanted: &Table,
        changes: &[&Change],
        current: &Schema,
        options: PlanOptions,
    ) -> Step {
        rebuild(existing, wanted, changes, current, self, options)
    }

    fn drop_dependents(&self, unmodelled: &[UnmodelledObject]) -> Step {
        drop_dependents(unmodelled, self)
    }

    fn recreate_dependents(
        &self,
        unmodelled: &[UnmodelledObject],
        dropped_tables: &BTreeSet<&str>,
    ) -> Step {
        recreate_dependents(unmodelled, dropped_tables)
    }

    fn script(&self, plan: &Plan) -> String {
        script(plan, self)
    }
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
                    i.origin == IndexOrigin::UniqueConstraint && i.columns.contains(&column.name)
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

/// The rebuild of `existing` into `wanted`, carrying out `changes` (all of them about this table).
fn rebuild(
    existing: &Table,
    wanted: &Table,
    changes: &[&Change],
    current: &Schema,
    dialect: &dyn Dialect,
    options: PlanOptions,
) -> Step {
    let q = |s: &str| dialect.quote_ident(s);
    // At this point of the plan, renamed tables already carry their new name.
    let table = wanted.name.as_ref();
    let temp = temporary_name(table);
    let accept = options.accept_data_loss;

    // New column name → the old column it takes its values from.
    let renamed: BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameColumn { from, to, .. } => Some((to.as_ref(), from.as_ref())),
            _ => None,
        })
        .collect();
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    let mut conditions = Vec::new();
    for column in wanted.columns.iter() {
        let source_name = renamed
            .get(column.name.as_ref())
            .copied()
            .unwrap_or(&column.name);
        let Some(old) = existing.column(source_name) else {
            // A new column takes its default (or NULL). A required one without default cannot be
            // filled: the copy fails, unless the loss of every row is accepted.
            if accept && !column.nullable && column.default.is_none() {
                conditions.push("0".to_owned());
            }
            continue;
        };
        let mut expression = q(source_name);
        if accept && dialect.canonical_type(old.ty) != dialect.canonical_type(column.ty) {
            expression = dialect.cast(&expression, old.ty, column.ty);
        }
        if old.nullable && !column.nullable {
            match &column.default {
                Some(default) => {
                    expression = format!(
                        "coalesce({expression}, {})",
                        dialect.render_default(default)
                    );
                }
                None if accept => conditions.push(format!("{} IS NOT NULL", q(source_name))),
                None => {}
            }
        }
        targets.push(q(&column.name));
        sources.push(expression);
    }

    let mut statements = Vec::new();
    let keeps_sequence = existing.columns.iter().any(|c| c.autoincrement)
        && wanted.columns.iter().any(|c| c.autoincrement);
    if keeps_sequence {
        statements.push(
            "CREATE TEMP TABLE IF NOT EXISTS \"__orient_sequence\" (\"name\" TEXT PRIMARY KEY, \"seq\" INTEGER);"
                .to_owned(),
        );
        statements.push(format!(
            "INSERT OR REPLACE INTO temp.\"__orient_sequence\" SELECT \"name\", \"seq\" FROM main.\"sqlite_sequence\" WHERE \"name\" = {};",
            dialect.quote_text(table)
        ));
    }
    statements.push(dialect.create_table_named(wanted, &temp));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    // With the loss accepted, rows that break the new key or NOT NULL are skipped (the first of each
    // duplicate group, in rowid order, is kept); otherwise the copy fails and the whole plan rolls back.
    statements.push(format!(
        "INSERT {}INTO {} ({}) SELECT {} FROM {}{filter} ORDER BY rowid;",
        if accept { "OR IGNORE " } else { "" },
        q(&temp),
        targets.join(", "),
        sources.join(", "),
        q(table),
    ));
    // `INSERT OR IGNORE` and the deletions below may drop rows: their count is not checked then.
    let may_delete_rows = accept;
    if accept {
        // Every unique index, not only new ones: converted values can collide under an old index too.
        for index in wanted.indexes.iter().filter(|i| i.unique) {
            let columns: Vec<&str> = index.columns.iter().map(|c| c.as_ref()).collect();
            statements.push(dialect.delete_duplicates(&temp, &columns, &[]));
        }
        for change in changes {
            if let Change::AddForeignKey { foreign_key, .. } = change {
                let condition =
                    dangling_condition(foreign_key, &|c| c.to_owned(), current, dialect);
                statements.push(format!("DELETE FROM {} WHERE {condition};", q(&temp)));
            }
        }
    }
    statements.push(dialect.drop_table(table));
    statements.push(dialect.rename_table(&temp, table));
    statements.extend(
        wanted
            .indexes
            .iter()
            .map(|i| dialect.create_index(table, i)),
    );
    if keeps_sequence {
        let name = dialect.quote_text(table);
        let saved =
            format!("(SELECT \"seq\" FROM temp.\"__orient_sequence\" WHERE \"name\" = {name})");
        statements.push(format!(
            "INSERT INTO main.\"sqlite_sequence\" (\"name\", \"seq\") SELECT {name}, {saved} \
             WHERE {saved} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM main.\"sqlite_sequence\" WHERE \"name\" = {name});"
        ));
        statements.push(format!(
            "UPDATE main.\"sqlite_sequence\" SET \"seq\" = {saved} WHERE \"name\" = {name} AND \"seq\" < {saved};"
        ));
        statements.push(format!(
            "DELETE FROM temp.\"__orient_sequence\" WHERE \"name\" = {name};"
        ));
    }

    let description = format!(
        "rebuild table `{table}`: {}",
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    Step {
        description,
        kind: StepKind::Rebuild {
            table: Name::Owned(table.to_owned()),
            may_delete_rows,
        },
        statements,
        locks: Vec::new(),
    }
}

/// Drops every trigger and view, which rebuilds would otherwise trip over.
fn drop_dependents(unmodelled: &[UnmodelledObject], dialect: &dyn Dialect) -> Step {
    let q = |s: &str| dialect.quote_ident(s);
    let mut statements = Vec::new();
    for object in unmodelled.iter().filter(|o| o.kind == "trigger") {
        statements.push(format!("DROP TRIGGER {};", q(&object.name)));
    }
    for object in unmodelled.iter().filter(|o| o.kind == "view") {
        statements.push(format!("DROP VIEW {};", q(&object.name)));
    }
    Step {
        description: "drop views and triggers while tables are rebuilt".to_owned(),
        kind: StepKind::Dependents,
        statements,
        locks: Vec::new(),
    }
}

/// Recreates the views and triggers dropped by [`drop_dependents`], from their own SQL, in the order they
/// were first created (views before triggers, which may be on views). Triggers of dropped tables go with
/// their tables.
fn recreate_dependents(unmodelled: &[UnmodelledObject], dropped_tables: &BTreeSet<&str>) -> Step {
    let mut statements = Vec::new();
    for kind in ["view", "trigger"] {
        for object in unmodelled.iter().filter(|o| o.kind == kind) {
            if kind == "trigger" && dropped_tables.contains(object.table.as_str()) {
                continue;
            }
            if let Some(sql) = &object.sql {
                statements.push(format!("{};", sql.trim_end_matches(';')));
            }
        }
    }
    Step {
        description: "recreate views and triggers".to_owned(),
        kind: StepKind::Dependents,
        statements,
        locks: Vec::new(),
    }
}

/// The plan as a self-guarding script, for migrations Diesel runs outside a transaction.
fn script(plan: &Plan, dialect: &dyn Dialect) -> String {
    let q = |s: &str| dialect.quote_ident(s);
    let guard = "temp.\"__orient_guard\"";
    let mut sql = String::from(
        "-- This migration rebuilds tables, so it runs outside Diesel's transaction (metadata.toml:\n\
         -- run_in_transaction = false) and opens its own. Foreign keys go off *before* BEGIN: inside a\n\
         -- transaction the pragma does nothing, and dropping a parent table would then delete or orphan\n\
         -- the rows of its children. Each check below fails through a CHECK constraint whose name says\n\
         -- what went wrong, which stops the script before COMMIT.\n\
         PRAGMA foreign_keys = OFF;\n\
         CREATE TEMP TABLE \"__orient_guard\" (\n\
         \t\"kind\" TEXT NOT NULL,\n\
         \t\"failures\" INTEGER NOT NULL,\n\
         \tCONSTRAINT \"foreign keys are still on: run this migration outside a transaction\" CHECK (\"kind\" <> 'foreign_keys_off' OR \"failures\" = 0),\n\
         \tCONSTRAINT \"a rebuilt table lost or gained rows\" CHECK (\"kind\" <> 'row_count' OR \"failures\" = 0),\n\
         \tCONSTRAINT \"foreign key violations after the rebuild\" CHECK (\"kind\" <> 'foreign_key_check' OR \"failures\" = 0)\n\
         );\n",
    );
    sql.push_str(&format!(
        "INSERT INTO {guard} SELECT 'foreign_keys_off', \"foreign_keys\" FROM pragma_foreign_keys;\n"
    ));
    sql.push_str("BEGIN IMMEDIATE;\n");
    let counted = plan.steps.iter().any(|s| {
        matches!(
            s.kind,
            StepKind::Rebuild {
                may_delete_rows: false,
                ..
            }
        )
    });
    if counted {
        sql.push_str(
            "CREATE TEMP TABLE \"__orient_counts\" (\"name\" TEXT PRIMARY KEY, \"rows\" INTEGER NOT NULL);\n",
        );
    }
    for step in &plan.steps {
        let counted_table = match &step.kind {
            StepKind::Rebuild {
                table,
                may_delete_rows: false,
            } => Some(table.as_ref()),
            _ => None,
        };
        if let Some(table) = counted_table {
            sql.push_str(&format!(
                "INSERT INTO temp.\"__orient_counts\" SELECT {}, count(*) FROM {};\n",
                dialect.quote_text(table),
                q(table)
            ));
        }
        sql.push_str(&step.to_sql());
        if let Some(table) = counted_table {
            sql.push_str(&format!(
                "INSERT INTO {guard} SELECT 'row_count', (SELECT \"rows\" FROM temp.\"__orient_counts\" WHERE \"name\" = {}) - count(*) FROM {};\n",
                dialect.quote_text(table),
                q(table)
            ));
        }
    }
    sql.push_str(&format!(
        "INSERT INTO {guard} SELECT 'foreign_key_check', count(*) FROM pragma_foreign_key_check;\n"
    ));
    sql.push_str("COMMIT;\n");
    if counted {
        sql.push_str("DROP TABLE temp.\"__orient_counts\";\n");
    }
    sql.push_str("DROP TABLE temp.\"__orient_guard\";\nPRAGMA foreign_keys = ON;\n");
    sql
}
