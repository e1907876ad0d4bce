//! Planning for engines whose `ALTER TABLE` makes every change in place ([`Planner::alters_in_place`]:
//! PostgreSQL). Nothing is rebuilt; each change becomes `ALTER TABLE` / index statements rendered by the
//! [`Dialect`], and each step names the table locks it takes ([`Planner::change_locks`]).
//!
//! Order, chosen so that no statement trips over another's leftovers:
//! 1. renamed tables, then renamed columns (with the constraints named after them, so constraint names
//!    stay derivable from the schema: [`Dialect::foreign_key_name`]);
//! 2. dropped foreign keys, on every table (a key that goes may hold up a primary key or index that goes);
//! 3. views dropped when a change would trip over them (type changes, dropped columns and tables), then
//!    dropped tables, children first;
//! 4. each remaining table's changes: dropped indexes, dropped primary key, added columns, altered
//!    columns, rows deleted for new unique keys (with the loss accepted), dropped columns, the new
//!    primary key, new indexes;
//! 5. new tables, each after the tables it references (references in a cycle are added in 6);
//! 6. added foreign keys, once every key they reference exists;
//! 7. the views of 3 recreated.
//!
//! With data loss accepted, the rows a change cannot keep are deleted first (steps of kind
//! [`StepKind::Delete`]), exactly the rows [`crate::assess`] counted, and values that cannot convert to a
//! new type take the type's zero value ([`ColumnAlteration::Type`] `lenient`).

use std::collections::{BTreeMap, BTreeSet};

use crate::dangling::dangling_condition;
use crate::diff::Change;
use crate::model::{Column, ForeignKey, Index, IndexOrigin, Name, Schema, Table, UnmodelledObject};
use crate::plan::{Plan, PlanError, PlanOptions, Planner, Step, StepKind, children_first};
use crate::sql::{ColumnAlteration, Dialect};

/// Plans `changes` (from `current` to `desired`) for an engine that alters in place.
pub(super) fn plan(
    changes: &[Change],
    current: &Schema,
    desired: &Schema,
    unmodelled: &[UnmodelledObject],
    planner: &dyn Planner,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let mut builder = Builder {
        planner,
        current,
        desired,
        accept: options.accept_data_loss,
        working: current.clone(),
        steps: Vec::new(),
    };

    for change in changes {
        if let Change::RenameTable { from, to } = change {
            builder.rename_table(change, from, to);
        }
    }

    let mut per_table: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        if !matches!(
            change,
            Change::RenameTable { .. } | Change::CreateTable { .. } | Change::DropTable { .. }
        ) {
            per_table.entry(change.table()).or_default().push(change);
        }
    }
    for (table, list) in &per_table {
        if builder.working.table(table).is_none() {
            return Err(PlanError::MissingTable {
                table: (*table).to_owned(),
                change: list.first().map(ToString::to_string).unwrap_or_default(),
            });
        }
    }

    for (table, list) in &per_table {
        for change in list {
            if let Change::RenameColumn { from, to, .. } = change {
                builder.rename_column(change, table, from, to);
            }
        }
    }
    for (table, list) in &per_table {
        for change in list {
            if let Change::DropForeignKey { foreign_key, .. } = change {
                builder.drop_foreign_key(change, table, foreign_key);
            }
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
    let trips_views = changes.iter().any(|c| match c {
        Change::AlterColumn { from, to, .. } => {
            planner.canonical_type(from.ty) != planner.canonical_type(to.ty)
        }
        Change::DropColumn { .. } | Change::DropTable { .. } => true,
        _ => false,
    });
    let recreate_views = trips_views && unmodelled.iter().any(|o| o.kind.contains("view"));
    if recreate_views {
        builder.steps.push(planner.drop_dependents(unmodelled));
    }
    for table in children_first(&dropped) {
        let change = Change::DropTable {
            table: table.clone(),
        };
        builder.ddl(&change, vec![planner.drop_table(&table.name)]);
        builder.working.tables.retain(|t| t.name != table.name);
    }

    for (table, list) in &per_table {
        builder.alter_table(table, list);
    }

    let created: Vec<&Table> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable { table } => Some(table),
            _ => None,
        })
        .collect();
    let mut deferred: Vec<(Name, ForeignKey)> = Vec::new();
    for (table, later) in parents_first(&created) {
        let mut inline = table.clone();
        inline
            .foreign_keys
            .to_mut()
            .retain(|fk| !later.contains(&fk.references_table));
        for fk in table.foreign_keys.iter() {
            if later.contains(&fk.references_table) {
                deferred.push((table.name.clone(), fk.clone()));
            }
        }
        let mut statements = vec![planner.create_table(&inline)];
        statements.extend(
            table
                .indexes
                .iter()
                .map(|i| planner.create_index(&table.name, i)),
        );
        let change = Change::CreateTable { table: inline };
        builder.push(
            format!("create table `{}`", table.name),
            StepKind::Ddl,
            statements,
            planner.change_locks(&change, current),
        );
    }
    let created_names: BTreeSet<&str> = created.iter().map(|t| t.name.as_ref()).collect();

    let mut added: Vec<(Name, ForeignKey)> = Vec::new();
    for (table, list) in &per_table {
        for change in list {
            if let Change::AddForeignKey { foreign_key, .. } = change {
                added.push((Name::Owned((*table).to_owned()), foreign_key.clone()));
            }
        }
    }
    added.extend(deferred);
    for (table, foreign_key) in added {
        let existed = !created_names.contains(table.as_ref());
        builder.add_foreign_key(&table, &foreign_key, existed);
    }

    if recreate_views {
        builder
            .steps
            .push(planner.recreate_dependents(unmodelled, &dropped_names));
    }
    builder.steps.retain(|s| !s.statements.is_empty());
    Ok(Plan {
        steps: builder.steps,
    })
}

/// The in-place plan of one table's changes as a single step, for engines asked to "rebuild" a table
/// they alter in place ([`Planner::rebuild`]; never asked by [`crate::plan::plan`] on such engines).
pub fn steps_for_table(
    wanted: &Table,
    changes: &[&Change],
    current: &Schema,
    planner: &dyn Planner,
    options: PlanOptions,
) -> Step {
    let owned: Vec<Change> = changes.iter().map(|c| (*c).clone()).collect();
    let mut desired = current.clone();
    desired
        .tables
        .retain(|t| t.name != wanted.name && Some(&t.name) != wanted.renamed_from.as_ref());
    desired.tables.push(wanted.clone());
    let desired = Schema::new(desired.tables);
    // `plan` fails only for a table missing from `current`, and the table being "rebuilt" is in it.
    let steps = plan(&owned, current, &desired, &[], planner, options)
        .map(|p| p.steps)
        .unwrap_or_default();
    let mut locks = Vec::new();
    for lock in steps.iter().flat_map(|s| s.locks.iter()) {
        if !locks.contains(lock) {
            locks.push(lock.clone());
        }
    }
    Step {
        description: format!(
            "alter table `{}` in place: {}",
            wanted.name,
            changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        kind: StepKind::Ddl,
        statements: steps.into_iter().flat_map(|s| s.statements).collect(),
        locks,
    }
}

struct Builder<'a> {
    planner: &'a dyn Planner,
    current: &'a Schema,
    desired: &'a Schema,
    accept: bool,
    /// The schema as the steps so far leave it (renames made, dropped objects gone): constraint names
    /// and keys are read from here.
    working: Schema,
    steps: Vec<Step>,
}

impl<'a> Builder<'a> {
    fn dialect(&self) -> &'a dyn Dialect {
        self.planner
    }

    fn push(
        &mut self,
        description: String,
        kind: StepKind,
        statements: Vec<String>,
        locks: Vec<crate::plan::TableLock>,
    ) {
        self.steps.push(Step {
            description,
            kind,
            statements,
            locks,
        });
    }

    /// A DDL step carrying out `change`, with the locks the engine says it takes.
    fn ddl(&mut self, change: &Change, statements: Vec<String>) {
        let locks = self.planner.change_locks(change, self.current);
        self.push(change.to_string(), StepKind::Ddl, statements, locks);
    }

    /// A step deleting the rows of `table` that a data-losing change cannot keep.
    fn delete(&mut self, table: &str, description: String, statement: String) {
        let locks = self.planner.delete_locks(table);
        self.push(
            description,
            StepKind::Delete {
                table: Name::Owned(table.to_owned()),
            },
            vec![statement],
            locks,
        );
    }

    fn working_table(&mut self, name: &str) -> Option<&mut Table> {
        self.working.tables.iter_mut().find(|t| t.name == name)
    }

    fn rename_table(&mut self, change: &Change, from: &str, to: &str) {
        let d = self.dialect();
        let mut statements = vec![d.rename_table(from, to)];
        if let Some(table) = self.working.table(from) {
            // The engine keeps constraint names through a rename; ours are derived from the table's
            // name, so they follow it.
            if !table.primary_key.is_empty() {
                let (old, new) = (d.primary_key_name(from), d.primary_key_name(to));
                if old != new {
                    statements.push(d.rename_constraint(to, &old, &new));
                }
            }
            for fk in table.foreign_keys.iter() {
                let (old, new) = (d.foreign_key_name(from, fk), d.foreign_key_name(to, fk));
                if old != new {
                    statements.push(d.rename_constraint(to, &old, &new));
                }
            }
        }
        self.ddl(change, statements);
        for table in &mut self.working.tables {
            if table.name == from {
                table.name = Name::Owned(to.to_owned());
            }
            for fk in table.foreign_keys.to_mut() {
                if fk.references_table == from {
                    fk.references_table = Name::Owned(to.to_owned());
                }
            }
        }
    }

    fn rename_column(&mut self, change: &Change, table: &str, from: &str, to: &str) {
        let d = self.dialect();
        let mut statements = vec![d.rename_column(table, from, to)];
        let rename = |name: &mut Name| {
            if *name == from {
                *name = Name::Owned(to.to_owned());
            }
        };
        if let Some(t) = self.working.table(table) {
            for fk in t
                .foreign_keys
                .iter()
                .filter(|fk| fk.columns.contains(&from.into()))
            {
                let mut renamed = fk.clone();
                renamed.columns.to_mut().iter_mut().for_each(rename);
                let (old, new) = (
                    d.foreign_key_name(table, fk),
                    d.foreign_key_name(table, &renamed),
                );
                if old != new {
                    statements.push(d.rename_constraint(table, &old, &new));
                }
            }
        }
        self.ddl(change, statements);
        for t in &mut self.working.tables {
            if t.name == table {
                for column in t.columns.to_mut() {
                    rename(&mut column.name);
                }
                t.primary_key.to_mut().iter_mut().for_each(rename);
                for index in t.indexes.to_mut() {
                    index.columns.to_mut().iter_mut().for_each(rename);
                }
                for fk in t.foreign_keys.to_mut() {
                    fk.columns.to_mut().iter_mut().for_each(rename);
                }
            }
            for fk in t.foreign_keys.to_mut() {
                if fk.references_table == table {
                    fk.references_columns.to_mut().iter_mut().for_each(rename);
                }
            }
        }
    }

    fn drop_foreign_key(&mut self, change: &Change, table: &str, fk: &ForeignKey) {
        let name = self.dialect().foreign_key_name(table, fk);
        self.ddl(change, vec![self.dialect().drop_constraint(table, &name)]);
        if let Some(t) = self.working_table(table) {
            t.foreign_keys.to_mut().retain(|f| {
                !(f.columns == fk.columns && f.references_table == fk.references_table)
            });
        }
    }

    fn add_foreign_key(&mut self, table: &str, fk: &ForeignKey, existed: bool) {
        let d = self.dialect();
        if self.accept && existed {
            // Every table exists by now (a new parent is empty), so the condition compares with the
            // parent's rows in all cases.
            let condition = dangling_condition(fk, &|c| c.to_owned(), self.desired, d);
            self.delete(
                table,
                format!(
                    "delete rows of `{table}` whose ({}) reference nothing in `{}`",
                    fk.columns.join(", "),
                    fk.references_table
                ),
                format!("DELETE FROM {} WHERE {condition};", d.quote_ident(table)),
            );
        }
        let change = Change::AddForeignKey {
            table: Name::Owned(table.to_owned()),
            foreign_key: fk.clone(),
        };
        self.ddl(&change, vec![d.add_foreign_key(table, fk)]);
    }

    /// A deletion keeping the oldest row of each group of rows equal on `columns`.
    fn delete_duplicates(&mut self, table: &str, columns: &[Name], why: &str) {
        let key: Vec<String> = self
            .working
            .table(table)
            .map(|t| t.primary_key.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let key: Vec<&str> = key.iter().map(String::as_str).collect();
        let columns: Vec<&str> = columns.iter().map(|c| c.as_ref()).collect();
        let statement = self.dialect().delete_duplicates(table, &columns, &key);
        self.delete(
            table,
            format!(
                "delete rows duplicating ({}) in `{table}` ({why}), keeping the oldest of each",
                columns.join(", ")
            ),
            statement,
        );
    }

    /// Step 4 of the module documentation for one table.
    fn alter_table(&mut self, table: &str, changes: &[&Change]) {
        let d = self.planner;
        for change in changes {
            if let Change::DropIndex { index, .. } = change {
                let statement = if index.origin == IndexOrigin::UniqueConstraint {
                    d.drop_constraint(table, &index.name)
                } else {
                    d.drop_index(&index.name)
                };
                self.ddl(change, vec![statement]);
                if let Some(t) = self.working_table(table) {
                    t.indexes.to_mut().retain(|i| i.name != index.name);
                }
            }
        }

        let old_key: Vec<Name> = self
            .working
            .table(table)
            .map(|t| t.primary_key.to_vec())
            .unwrap_or_default();
        let new_key = changes.iter().find_map(|c| match c {
            Change::ChangePrimaryKey { from, to, .. } => Some((from.clone(), to.clone())),
            _ => None,
        });
        if let Some((from, _)) = &new_key
            && !old_key.is_empty()
        {
            let change = Change::ChangePrimaryKey {
                table: Name::Owned(table.to_owned()),
                from: from.clone(),
                to: Vec::new(),
            };
            let locks = self.planner.change_locks(&change, self.current);
            self.push(
                format!("drop the primary key of `{table}` ({})", from.join(", ")),
                StepKind::Ddl,
                vec![d.drop_constraint(table, &d.primary_key_name(table))],
                locks,
            );
        }

        for change in changes {
            if let Change::AddColumn { column, .. } = change {
                if self.accept
                    && !column.nullable
                    && column.default.is_none()
                    && !column.autoincrement
                {
                    self.delete(
                        table,
                        format!(
                            "delete every row of `{table}`: new required column `{}` has no default",
                            column.name
                        ),
                        format!("DELETE FROM {};", d.quote_ident(table)),
                    );
                }
                self.ddl(change, vec![d.add_column(table, column)]);
                if let Some(t) = self.working_table(table) {
                    t.columns.to_mut().push(column.clone());
                }
            }
        }

        for change in changes {
            if let Change::AlterColumn { from, to, .. } = change {
                self.alter_column(change, table, from, to);
            }
        }

        // Rows a new unique key cannot hold, deleted while the old key (whose columns all still exist
        // here) orders them: the oldest row of each group stays.
        if self.accept {
            if let Some(t) = self.working_table(table) {
                t.primary_key = old_key.clone().into();
            }
            if let Some((_, to)) = &new_key
                && !to.is_empty()
            {
                self.delete_duplicates(table, to, "the new primary key");
            }
            for change in changes {
                if let Change::CreateIndex { index, .. } = change
                    && index.unique
                {
                    self.delete_duplicates(
                        table,
                        &index.columns,
                        &format!("new unique index `{}`", index.name),
                    );
                }
            }
            if new_key.is_some()
                && let Some(t) = self.working_table(table)
            {
                t.primary_key = Vec::new().into();
            }
        }

        for change in changes {
            if let Change::DropColumn { column, .. } = change {
                self.ddl(change, vec![d.drop_column(table, &column.name)]);
                if let Some(t) = self.working_table(table) {
                    *t = t.without_column(&column.name);
                }
            }
        }

        if let Some((from, to)) = &new_key
            && !to.is_empty()
        {
            let change = Change::ChangePrimaryKey {
                table: Name::Owned(table.to_owned()),
                from: from.clone(),
                to: to.clone(),
            };
            self.ddl(&change, vec![d.add_primary_key(table, to)]);
            if let Some(t) = self.working_table(table) {
                t.primary_key = to.clone().into();
            }
        }

        for change in changes {
            if let Change::CreateIndex { index, .. } = change {
                self.ddl(change, vec![d.create_index(table, index)]);
                if let Some(t) = self.working_table(table) {
                    t.indexes.to_mut().push(index.clone());
                }
            }
        }
    }

    /// One column's type, default, nullability and identity, in the order the engine needs them: the
    /// identity goes before a type change and comes back last, an old default goes before a type change
    /// (it may not convert), NULLs take the new default before `NOT NULL`.
    fn alter_column(&mut self, change: &Change, table: &str, from: &Column, to: &Column) {
        let d = self.planner;
        let column = to.name.as_ref();
        let type_change = d.canonical_type(from.ty) != d.canonical_type(to.ty);
        let canonical = |v: &Option<crate::model::DefaultValue>| {
            v.as_ref().and_then(|v| d.canonical_default(v))
        };
        let fills = from.nullable && !to.nullable && canonical(&to.default).is_some();

        // With the loss accepted, converted or filled values may collide under a unique index: the
        // index goes, the duplicates are deleted, the index comes back.
        let rebuilt: Vec<Index> = if self.accept && (type_change || fills) {
            self.working
                .table(table)
                .map(|t| {
                    t.indexes
                        .iter()
                        .filter(|i| i.unique && i.columns.iter().any(|c| c == column))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        for index in &rebuilt {
            let change = Change::DropIndex {
                table: Name::Owned(table.to_owned()),
                index: index.clone(),
            };
            let statement = if index.origin == IndexOrigin::UniqueConstraint {
                d.drop_constraint(table, &index.name)
            } else {
                d.drop_index(&index.name)
            };
            self.ddl(&change, vec![statement]);
        }

        if from.nullable && !to.nullable && !fills && self.accept {
            // NULL converts to NULL, so these are the same rows before and after a type change.
            self.delete(
                table,
                format!("delete rows of `{table}` where `{column}` is NULL (it becomes NOT NULL)"),
                format!(
                    "DELETE FROM {} WHERE {} IS NULL;",
                    d.quote_ident(table),
                    d.quote_ident(column)
                ),
            );
        }

        let alter = |a: ColumnAlteration| d.alter_column(table, column, &a);
        let mut statements = Vec::new();
        if from.autoincrement && !to.autoincrement {
            statements.push(alter(ColumnAlteration::DropIdentity));
        }
        let mut default_now = from.default.clone();
        if type_change {
            if canonical(&default_now).is_some() {
                statements.push(alter(ColumnAlteration::DropDefault));
                default_now = None;
            }
            statements.push(alter(ColumnAlteration::Type {
                from: from.ty,
                to: to.ty,
                lenient: self.accept,
            }));
        }
        if canonical(&default_now) != canonical(&to.default) {
            statements.push(match &to.default {
                Some(value) if canonical(&to.default).is_some() => {
                    alter(ColumnAlteration::SetDefault {
                        default: value.clone(),
                        ty: to.ty,
                    })
                }
                _ => alter(ColumnAlteration::DropDefault),
            });
        }
        let in_key = self
            .desired
            .table(table)
            .is_some_and(|t| t.is_primary_key(column));
        if from.nullable && !to.nullable {
            if fills {
                statements.push(format!(
                    "UPDATE {t} SET {c} = DEFAULT WHERE {c} IS NULL;",
                    t = d.quote_ident(table),
                    c = d.quote_ident(column)
                ));
            }
            statements.push(alter(ColumnAlteration::SetNotNull));
        } else if !from.nullable && to.nullable && !in_key {
            statements.push(alter(ColumnAlteration::DropNotNull));
        }
        if !from.autoincrement && to.autoincrement {
            statements.push(alter(ColumnAlteration::AddIdentity));
            statements.push(d.sync_identity(table, column));
        }
        self.ddl(change, statements);
        if let Some(t) = self.working_table(table) {
            for c in t.columns.to_mut() {
                if c.name == column {
                    *c = to.clone();
                }
            }
        }

        for index in rebuilt {
            self.delete_duplicates(
                table,
                &index.columns,
                &format!("unique index `{}` over converted values", index.name),
            );
            let change = Change::CreateIndex {
                table: Name::Owned(table.to_owned()),
                index: index.clone(),
            };
            let statement = if index.origin == IndexOrigin::UniqueConstraint {
                // Recreated as the equivalent unique index: the model compares them equal.
                d.create_index(
                    table,
                    &Index {
                        origin: IndexOrigin::CreateIndex,
                        ..index.clone()
                    },
                )
            } else {
                d.create_index(table, &index)
            };
            self.ddl(&change, vec![statement]);
        }
    }
}

/// New tables in an order where each comes after the new tables it references, each with the names of
/// the new tables it references that come later (a cycle, broken by name order): those references are
/// added once every table exists.
fn parents_first<'a>(tables: &[&'a Table]) -> Vec<(&'a Table, BTreeSet<Name>)> {
    let mut remaining: Vec<&Table> = tables.to_vec();
    remaining.sort_by(|a, b| a.name.cmp(&b.name));
    let new: BTreeSet<&str> = remaining.iter().map(|t| t.name.as_ref()).collect();
    let mut placed: BTreeSet<Name> = BTreeSet::new();
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let ready = |t: &&Table| {
            t.foreign_keys.iter().all(|fk| {
                fk.references_table == t.name
                    || !new.contains(fk.references_table.as_ref())
                    || placed.contains(&fk.references_table)
            })
        };
        let next = remaining.iter().position(ready).unwrap_or(0);
        let table = remaining.remove(next);
        let later: BTreeSet<Name> = table
            .foreign_keys
            .iter()
            .filter(|fk| {
                fk.references_table != table.name
                    && new.contains(fk.references_table.as_ref())
                    && !placed.contains(&fk.references_table)
            })
            .map(|fk| fk.references_table.clone())
            .collect();
        placed.insert(table.name.clone());
        ordered.push((table, later));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnType, FkAction};
    use std::borrow::Cow;

    fn table(name: &str, parents: &[&str]) -> Table {
        let mut t = Table::new(name.to_owned());
        t.columns = Cow::Owned(vec![Column::new("id", ColumnType::BigInt).not_null()]);
        t.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);
        t.foreign_keys = Cow::Owned(
            parents
                .iter()
                .map(|p| ForeignKey {
                    columns: Cow::Owned(vec![Name::Borrowed("id")]),
                    references_table: Name::Owned((*p).to_owned()),
                    references_columns: Cow::Owned(vec![Name::Borrowed("id")]),
                    on_delete: FkAction::Cascade,
                    on_update: FkAction::NoAction,
                })
                .collect(),
        );
        t
    }

    #[test]
    fn new_tables_come_after_their_parents_and_cycles_are_deferred() {
        let a = table("a_child", &["b_parent", "a_child"]);
        let b = table("b_parent", &["existing"]);
        let c = table("c", &["d"]);
        let d = table("d", &["c"]);
        let order = parents_first(&[&a, &b, &c, &d]);
        let names: Vec<&str> = order.iter().map(|(t, _)| t.name.as_ref()).collect();
        assert_eq!(names, ["b_parent", "a_child", "c", "d"]);
        assert!(order[0].1.is_empty() && order[1].1.is_empty());
        assert_eq!(order[2].1, BTreeSet::from([Name::Borrowed("d")]));
        assert!(order[3].1.is_empty());
    }
}
