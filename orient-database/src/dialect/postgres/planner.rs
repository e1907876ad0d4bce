//! The [`Planner`] for PostgreSQL: `ALTER TABLE` makes every change in place (type changes with
//! `USING`, SET/DROP NOT NULL, SET/DROP DEFAULT, identities, constraints, renames), inside the plan's
//! one transaction (PostgreSQL's DDL is transactional), so nothing is rebuilt and foreign keys stay
//! enforced throughout. The generic [`crate::plan`] orders the steps; this file says which locks each
//! takes.
//!
//! Locks, from the PostgreSQL 15 documentation (sql-altertable.html: "An ACCESS EXCLUSIVE lock is
//! acquired unless explicitly noted"; "ADD FOREIGN KEY requires a SHARE ROW EXCLUSIVE lock … on the
//! referenced table, in addition to the lock on the table on which the constraint is declared";
//! sql-createindex.html: "a normal index build locks out writes (but not reads) on the table";
//! explicit-locking.html for what each mode blocks) and checked against `pg_locks` by the tests:
//! dropping a foreign key, or a table that has one, also takes ACCESS EXCLUSIVE on the referenced table
//! (its triggers go). The work done under them, from the same pages and checked against
//! `pg_stat_xact_user_tables` and `pg_relation_filenode` by the tests:
//!
//! | statement | lock | work |
//! |---|---|---|
//! | ALTER COLUMN TYPE | ACCESS EXCLUSIVE | rewrites the table and its indexes ("Changing the type of an existing column will normally cause the entire table and its indexes to be rebuilt") |
//! | SET NOT NULL | ACCESS EXCLUSIVE | scans the table ("SET NOT NULL may only be applied to a column provided none of the records in the table contain a NULL value … checked by a full table scan") |
//! | ADD COLUMN with a volatile default or an identity | ACCESS EXCLUSIVE | rewrites ("Adding a column with a volatile DEFAULT … will require the entire table and its indexes to be rewritten") |
//! | ADD COLUMN … NOT NULL without default | ACCESS EXCLUSIVE | scans (the table must be empty) |
//! | ADD COLUMN otherwise, DROP COLUMN, SET/DROP DEFAULT, DROP NOT NULL, identities, renames, DROP INDEX, DROP CONSTRAINT, DROP TABLE | ACCESS EXCLUSIVE | catalog only |
//! | ADD PRIMARY KEY | ACCESS EXCLUSIVE | scans (builds its index, checks NOT NULL) |
//! | ADD FOREIGN KEY | SHARE ROW EXCLUSIVE on both tables | scans both (validation) |
//! | CREATE INDEX | SHARE | scans |
//! | CREATE TABLE … REFERENCES | SHARE ROW EXCLUSIVE on the referenced table | catalog only |
//! | DELETE | ROW EXCLUSIVE | scans |

use std::collections::BTreeSet;

use crate::dialect::postgres::Postgres;
use crate::diff::Change;
use crate::model::{DefaultValue, Name, Schema, Table, UnmodelledObject};
use crate::plan::{
    Blocks, Plan, PlanOptions, Planner, Step, StepKind, TableLock, TableWork, steps_for_table,
};
use crate::sql::Dialect;

const ACCESS_EXCLUSIVE: &str = "ACCESS EXCLUSIVE";
const SHARE_ROW_EXCLUSIVE: &str = "SHARE ROW EXCLUSIVE";
const SHARE: &str = "SHARE";
const ROW_EXCLUSIVE: &str = "ROW EXCLUSIVE";

fn lock(table: &str, mode: &'static str, work: TableWork) -> TableLock {
    let blocks = match mode {
        ACCESS_EXCLUSIVE => Blocks::ReadsAndWrites,
        ROW_EXCLUSIVE => Blocks::SchemaChanges,
        _ => Blocks::Writes,
    };
    TableLock {
        table: Name::Owned(table.to_owned()),
        lock: mode,
        blocks,
        work,
    }
}

/// `table`, then every other table its foreign keys reference, each once.
fn with_parents<'a>(table: &'a str, parents: impl Iterator<Item = &'a Name>) -> Vec<&'a str> {
    let mut seen = BTreeSet::from([table]);
    let mut tables = vec![table];
    for parent in parents {
        if seen.insert(parent.as_ref()) {
            tables.push(parent.as_ref());
        }
    }
    tables
}

impl Planner for Postgres {
    fn alters_in_place(&self) -> bool {
        true
    }

    fn rebuilds_need_foreign_keys_off(&self) -> bool {
        false
    }

    fn requires_rebuild(&self, _change: &Change, _existing: Option<&Table>) -> bool {
        false
    }

    fn rebuild(
        &self,
        _existing: &Table,
        wanted: &Table,
        changes: &[&Change],
        current: &Schema,
        options: PlanOptions,
    ) -> Step {
        // Never asked (`requires_rebuild` is always false); if it is, the table is altered in place.
        steps_for_table(wanted, changes, current, self, options)
    }

    fn drop_dependents(&self, unmodelled: &[UnmodelledObject]) -> Step {
        // PostgreSQL refuses to change the type of, or drop, a column or table a view reads. Views go
        // in reverse creation order (a view may read an older one); triggers stay, nothing rebuilds
        // their tables.
        let statements = unmodelled
            .iter()
            .rev()
            .filter_map(|o| match o.kind.as_str() {
                "view" => Some(format!("DROP VIEW {};", self.quote_ident(&o.name))),
                "materialized view" => Some(format!(
                    "DROP MATERIALIZED VIEW {};",
                    self.quote_ident(&o.name)
                )),
                _ => None,
            })
            .collect();
        Step {
            description: "drop views while the columns and tables they read change".to_owned(),
            kind: StepKind::Dependents,
            statements,
            locks: Vec::new(),
        }
    }

    fn recreate_dependents(
        &self,
        unmodelled: &[UnmodelledObject],
        _dropped_tables: &BTreeSet<&str>,
    ) -> Step {
        // A view over a dropped table or column cannot come back: its CREATE fails and the plan with
        // it, rather than the view silently disappearing.
        let statements = unmodelled
            .iter()
            .filter(|o| o.kind == "view" || o.kind == "materialized view")
            .filter_map(|o| o.sql.as_ref())
            .map(|sql| format!("{};", sql.trim_end().trim_end_matches(';')))
            .collect();
        Step {
            description: "recreate views".to_owned(),
            kind: StepKind::Dependents,
            statements,
            locks: Vec::new(),
        }
    }

    fn script(&self, plan: &Plan) -> String {
        // PostgreSQL's DDL is transactional and nothing needs foreign keys off: Diesel's own transaction
        // around the migration is the whole safety.
        plan.to_sql()
    }

    fn change_locks(&self, change: &Change, current: &Schema) -> Vec<TableLock> {
        use TableWork::{Catalog, Rewrite, Scan};
        let exclusive = |table: &str, work| vec![lock(table, ACCESS_EXCLUSIVE, work)];
        match change {
            Change::CreateTable { table } => with_parents(
                &table.name,
                table.foreign_keys.iter().map(|fk| &fk.references_table),
            )
            .into_iter()
            .skip(1)
            .filter(|parent| current.table(parent).is_some())
            .map(|parent| lock(parent, SHARE_ROW_EXCLUSIVE, Catalog))
            .collect(),
            Change::DropTable { table } => with_parents(
                &table.name,
                table.foreign_keys.iter().map(|fk| &fk.references_table),
            )
            .into_iter()
            .map(|t| lock(t, ACCESS_EXCLUSIVE, Catalog))
            .collect(),
            Change::RenameTable { from, .. } => exclusive(from, Catalog),
            Change::AddColumn { table, column } => {
                let volatile = column.autoincrement
                    || matches!(column.default, Some(DefaultValue::Expression(_)));
                let work = if volatile {
                    // An expression default may be volatile; only then does PostgreSQL rewrite, but
                    // which expressions are is not known here.
                    Rewrite
                } else if !column.nullable && column.default.is_none() {
                    Scan
                } else {
                    Catalog
                };
                exclusive(table, work)
            }
            Change::DropColumn { table, .. } | Change::RenameColumn { table, .. } => {
                exclusive(table, Catalog)
            }
            Change::AlterColumn { table, from, to } => {
                let work = if self.canonical_type(from.ty) != self.canonical_type(to.ty) {
                    Rewrite
                } else if (from.nullable && !to.nullable)
                    || (!from.autoincrement && to.autoincrement)
                {
                    Scan
                } else {
                    Catalog
                };
                exclusive(table, work)
            }
            Change::CreateIndex { table, .. } => vec![lock(table, SHARE, Scan)],
            Change::DropIndex { table, .. } => exclusive(table, Catalog),
            Change::AddForeignKey { table, foreign_key } => {
                with_parents(table, std::iter::once(&foreign_key.references_table))
                    .into_iter()
                    .map(|t| lock(t, SHARE_ROW_EXCLUSIVE, Scan))
                    .collect()
            }
            Change::DropForeignKey { table, foreign_key } => {
                with_parents(table, std::iter::once(&foreign_key.references_table))
                    .into_iter()
                    .map(|t| lock(t, ACCESS_EXCLUSIVE, Catalog))
                    .collect()
            }
            Change::ChangePrimaryKey { table, to, .. } => {
                exclusive(table, if to.is_empty() { Catalog } else { Scan })
            }
        }
    }

    fn delete_locks(&self, table: &str) -> Vec<TableLock> {
        vec![lock(table, ROW_EXCLUSIVE, TableWork::Scan)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, ColumnType, Name};
    use std::borrow::Cow;

    fn table() -> Table {
        let mut t = Table::new("t");
        t.columns = Cow::Owned(vec![
            Column::new("id", ColumnType::BigInt).not_null(),
            Column::new("v", ColumnType::Text),
        ]);
        t.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);
        t
    }

    #[test]
    fn a_rebuild_is_the_in_place_alteration_in_one_step() {
        let existing = table();
        let mut wanted = table();
        wanted.columns.to_mut()[1].ty = ColumnType::BigInt;
        wanted
            .columns
            .to_mut()
            .push(Column::new("w", ColumnType::Bool));
        let current = Schema::new(vec![existing.clone()]);
        let changes = crate::diff::diff(&current, &Schema::new(vec![wanted.clone()]), &Postgres);
        let refs: Vec<&Change> = changes.iter().collect();
        let step = Postgres.rebuild(&existing, &wanted, &refs, &current, PlanOptions::default());
        assert_eq!(
            step.statements,
            [
                "ALTER TABLE \"t\" ADD COLUMN \"w\" boolean;",
                "ALTER TABLE \"t\" ALTER COLUMN \"v\" TYPE bigint USING \"v\"::bigint;",
            ]
        );
        assert!(step.locks.iter().any(|l| l.work == TableWork::Rewrite));
    }

    #[test]
    fn locks_follow_the_documented_table() {
        let t = table();
        let current = Schema::new(vec![t.clone()]);
        let mut to = t.columns[1].clone();
        to.nullable = false;
        let change = Change::AlterColumn {
            table: "t".into(),
            from: t.columns[1].clone(),
            to,
        };
        let locks = Postgres.change_locks(&change, &current);
        assert_eq!(locks.len(), 1);
        assert_eq!(
            (locks[0].lock, locks[0].work),
            (ACCESS_EXCLUSIVE, TableWork::Scan)
        );
        assert!(locks[0].blocks_all_while_working());
        let index = Change::CreateIndex {
            table: "t".into(),
            index: crate::model::Index::new("i", &["v"], false),
        };
        let locks = Postgres.change_locks(&index, &current);
        assert_eq!((locks[0].lock, locks[0].blocks), (SHARE, Blocks::Writes));
        assert_eq!(Postgres.delete_locks("t")[0].blocks, Blocks::SchemaChanges);
    }
}
