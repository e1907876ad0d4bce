//! The difference between two schemas, as a list of changes that turn `current` into `desired`.
//!
//! Pure: no database, no SQL. Both sides are normalised first ([`crate::normalize`]), so only real
//! differences show up; the changes carry the *desired* side as declared (not normalised), so rendering them
//! writes the declaration's own spelling. Renames are taken only from `renamed_from` hints in the desired
//! schema; a name that vanished and a name that appeared are otherwise a drop and an add.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::model::{Column, ForeignKey, Index, IndexOrigin, Name, Schema, Table};
use crate::normalize::{normalize_column, normalize_table};
use crate::sql::Dialect;

/// One difference between two schemas, phrased as the change that removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    CreateTable {
        table: Table,
    },
    DropTable {
        table: Table,
    },
    RenameTable {
        from: Name,
        to: Name,
    },
    AddColumn {
        table: Name,
        column: Column,
    },
    DropColumn {
        table: Name,
        column: Column,
    },
    RenameColumn {
        table: Name,
        from: Name,
        to: Name,
    },
    /// Type, nullability, default or autoincrement of a column differ.
    AlterColumn {
        table: Name,
        from: Column,
        to: Column,
    },
    CreateIndex {
        table: Name,
        index: Index,
    },
    DropIndex {
        table: Name,
        index: Index,
    },
    AddForeignKey {
        table: Name,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: Name,
        foreign_key: ForeignKey,
    },
    ChangePrimaryKey {
        table: Name,
        from: Vec<Name>,
        to: Vec<Name>,
    },
}

impl Change {
    /// The table the change is about (the new name for a rename).
    pub fn table(&self) -> &str {
        match self {
            Change::CreateTable { table } | Change::DropTable { table } => &table.name,
            Change::RenameTable { to, .. } => to,
            Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::ChangePrimaryKey { table, .. } => table,
        }
    }

    /// The column the change is about, if it is about one.
    pub fn column(&self) -> Option<&str> {
        match self {
            Change::AddColumn { column, .. } | Change::DropColumn { column, .. } => {
                Some(&column.name)
            }
            Change::RenameColumn { to, .. } => Some(to),
            Change::AlterColumn { to, .. } => Some(&to.name),
            _ => None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateTable { table } => write!(f, "create table `{}`", table.name),
            Change::DropTable { table } => write!(f, "drop table `{}`", table.name),
            Change::RenameTable { from, to } => write!(f, "rename table `{from}` to `{to}`"),
            Change::AddColumn { table, column } => write!(
                f,
                "add column `{table}`.`{}` ({})",
                column.name,
                describe_column(column)
            ),
            Change::DropColumn { table, column } => {
                write!(f, "drop column `{table}`.`{}`", column.name)
            }
            Change::RenameColumn { table, from, to } => {
                write!(f, "rename column `{table}`.`{from}` to `{to}`")
            }
            Change::AlterColumn { table, from, to } => write!(
                f,
                "alter column `{table}`.`{}`: {} → {}",
                to.name,
                describe_column(from),
                describe_column(to)
            ),
            Change::CreateIndex { table, index } => write!(
                f,
                "create {}index `{}` on `{table}` ({})",
                if index.unique { "unique " } else { "" },
                index.name,
                index.columns.join(", ")
            ),
            Change::DropIndex { table, index } => {
                write!(f, "drop index `{}` on `{table}`", index.name)
            }
            Change::AddForeignKey { table, foreign_key } => write!(
                f,
                "add foreign key `{table}`({}) → `{}`({})",
                foreign_key.columns.join(", "),
                foreign_key.references_table,
                foreign_key.references_columns.join(", ")
            ),
            Change::DropForeignKey { table, foreign_key } => write!(
                f,
                "drop foreign key `{table}`({}) → `{}`({})",
                foreign_key.columns.join(", "),
                foreign_key.references_table,
                foreign_key.references_columns.join(", ")
            ),
            Change::ChangePrimaryKey { table, from, to } => write!(
                f,
                "change primary key of `{table}` from ({}) to ({})",
                from.join(", "),
                to.join(", ")
            ),
        }
    }
}

fn describe_column(column: &Column) -> String {
    let mut text = column.ty.to_string();
    if !column.nullable {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    if column.autoincrement {
        text.push_str(" AUTOINCREMENT");
    }
    text
}

/// The changes that turn `current` into `desired`.
pub fn diff(current: &Schema, desired: &Schema, dialect: &dyn Dialect) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut matched_current: BTreeSet<&str> = BTreeSet::new();
    // Old table name → new table name, so foreign keys that point at a renamed table still compare equal.
    let mut table_renames: BTreeMap<String, String> = BTreeMap::new();
    let mut pairs: Vec<(&Table, &Table)> = Vec::new();

    for want in &desired.tables {
        if let Some(have) = current.table(&want.name) {
            matched_current.insert(&have.name);
            pairs.push((have, want));
            continue;
        }
        let renamed = want.renamed_from.as_deref().and_then(|old| {
            let free = desired.table(old).is_none();
            current.table(old).filter(|_| free)
        });
        match renamed {
            Some(have) => {
                matched_current.insert(&have.name);
                table_renames.insert(have.name.to_string(), want.name.to_string());
                changes.push(Change::RenameTable {
                    from: have.name.clone(),
                    to: want.name.clone(),
                });
                pairs.push((have, want));
            }
            None => changes.push(Change::CreateTable {
                table: want.clone(),
            }),
        }
    }

    for (have, want) in pairs {
        diff_table(have, want, &table_renames, dialect, &mut changes);
    }

    for have in &current.tables {
        if !matched_current.contains(have.name.as_ref()) {
            changes.push(Change::DropTable {
                table: have.clone(),
            });
        }
    }
    changes
}

fn diff_table(
    have: &Table,
    want: &Table,
    table_renames: &BTreeMap<String, String>,
    dialect: &dyn Dialect,
    changes: &mut Vec<Change>,
) {
    let table = want.name.clone();
    // Old column name → new column name.
    let mut column_renames: BTreeMap<String, String> = BTreeMap::new();
    let mut matched: BTreeSet<&str> = BTreeSet::new();

    for column in want.columns.iter() {
        let existing = have.column(&column.name).or_else(|| {
            let old = column.renamed_from.as_deref()?;
            let free = want.column(old).is_none();
            have.column(old).filter(|_| free)
        });
        let Some(existing) = existing else {
            changes.push(Change::AddColumn {
                table: table.clone(),
                column: column.clone(),
            });
            continue;
        };
        matched.insert(&existing.name);
        if existing.name != column.name {
            column_renames.insert(existing.name.to_string(), column.name.to_string());
            changes.push(Change::RenameColumn {
                table: table.clone(),
                from: existing.name.clone(),
                to: column.name.clone(),
            });
        }
        let mut before = normalize_column(have, existing, dialect);
        before.name = column.name.clone();
        let after = normalize_column(want, column, dialect);
        if before != after {
            let mut from = existing.clone();
            from.name = column.name.clone();
            // The same type in this engine's terms (SQLite stores a `bool` as integer): say it in the
            // declared type's words, so a changed default does not read as a changed type.
            if before.ty == after.ty {
                from.ty = column.ty;
            }
            changes.push(Change::AlterColumn {
                table: table.clone(),
                from,
                to: column.clone(),
            });
        }
    }
    for column in have.columns.iter() {
        if !matched.contains(column.name.as_ref()) {
            changes.push(Change::DropColumn {
                table: table.clone(),
                column: column.clone(),
            });
        }
    }

    let rename = |name: &Name| -> Name {
        match column_renames.get(name.as_ref()) {
            Some(new) => Name::Owned(new.clone()),
            None => name.clone(),
        }
    };
    let have_pk: Vec<Name> = have.primary_key.iter().map(rename).collect();
    if have_pk != want.primary_key.as_ref() {
        changes.push(Change::ChangePrimaryKey {
            table: table.clone(),
            from: have_pk,
            to: want.primary_key.to_vec(),
        });
    }

    diff_indexes(have, want, &table, &rename, changes);

    let have_norm = normalize_table(have, dialect);
    let want_norm = normalize_table(want, dialect);
    let have_fks: Vec<ForeignKey> = have_norm
        .foreign_keys
        .iter()
        .map(|fk| ForeignKey {
            columns: fk.columns.iter().map(rename).collect(),
            references_table: match table_renames.get(fk.references_table.as_ref()) {
                Some(new) => Name::Owned(new.clone()),
                None => fk.references_table.clone(),
            },
            ..fk.clone()
        })
        .collect();
    for fk in want_norm.foreign_keys.iter() {
        if !have_fks.contains(fk) {
            changes.push(Change::AddForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }
    for fk in &have_fks {
        if !want_norm.foreign_keys.contains(fk) {
            changes.push(Change::DropForeignKey {
                table: table.clone(),
                foreign_key: fk.clone(),
            });
        }
    }
}

/// Indexes match by name. An unnamed unique constraint (`UNIQUE` written inline) and a unique index on the
/// same columns are the same constraint, whatever the index is called.
fn diff_indexes(
    have: &Table,
    want: &Table,
    table: &Name,
    rename: &dyn Fn(&Name) -> Name,
    changes: &mut Vec<Change>,
) {
    let renamed = |index: &Index| Index {
        columns: index.columns.iter().map(rename).collect(),
        ..index.clone()
    };
    let have_indexes: Vec<Index> = have.indexes.iter().map(renamed).collect();
    let mut unmatched_have: Vec<&Index> = Vec::new();
    let mut unmatched_want: Vec<&Index> = Vec::new();
    for index in &have_indexes {
        match want.index(&index.name) {
            Some(other) if same_index(index, other) => {}
            Some(other) => {
                changes.push(Change::DropIndex {
                    table: table.clone(),
                    index: index.clone(),
                });
                changes.push(Change::CreateIndex {
                    table: table.clone(),
                    index: other.clone(),
                });
            }
            None => unmatched_have.push(index),
        }
    }
    for index in want.indexes.iter() {
        if !have_indexes.iter().any(|i| i.name == index.name) {
            unmatched_want.push(index);
        }
    }
    // Pair anonymous unique constraints with unique indexes on the same columns, on either side.
    unmatched_have.retain(|h| {
        let position = unmatched_want.iter().position(|w| {
            (h.origin == IndexOrigin::UniqueConstraint || w.origin == IndexOrigin::UniqueConstraint)
                && h.unique
                && w.unique
                && h.columns == w.columns
        });
        match position {
            Some(p) => {
                unmatched_want.remove(p);
                false
            }
            None => true,
        }
    });
    for index in unmatched_have {
        changes.push(Change::DropIndex {
            table: table.clone(),
            index: index.clone(),
        });
    }
    for index in unmatched_want {
        changes.push(Change::CreateIndex {
            table: table.clone(),
            index: index.clone(),
        });
    }
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.unique == b.unique && a.columns == b.columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::sqlite::Sqlite;
    use crate::model::{ColumnType, DefaultValue};
    use std::borrow::Cow;

    fn table(name: &str, columns: Vec<Column>) -> Table {
        let mut t = Table::new(name.to_owned());
        t.primary_key = Cow::Owned(vec![columns[0].name.clone()]);
        t.columns = Cow::Owned(columns);
        t
    }

    #[test]
    fn identical_schemas_have_no_changes_whatever_the_column_order() {
        let a = Schema::new(vec![table(
            "t",
            vec![
                Column::new("id", ColumnType::BigInt).not_null(),
                Column::new("a", ColumnType::Text),
                Column::new("b", ColumnType::Bool).default(DefaultValue::Bool(false)),
            ],
        )]);
        let mut b = a.clone();
        b.tables[0].columns.to_mut().swap(1, 2);
        b.tables[0].columns.to_mut()[1].default = Some(DefaultValue::Integer(0));
        assert_eq!(diff(&a, &b, &Sqlite), vec![]);
    }

    #[test]
    fn a_vanished_name_is_a_drop_and_an_add_unless_declared_renamed() {
        let before = Schema::new(vec![table(
            "t",
            vec![
                Column::new("id", ColumnType::BigInt).not_null(),
                Column::new("name", ColumnType::Text),
            ],
        )]);
        let mut after = before.clone();
        after.tables[0].columns.to_mut()[1].name = "full_name".into();
        let changes = diff(&before, &after, &Sqlite);
        assert!(matches!(changes[0], Change::AddColumn { .. }));
        assert!(matches!(changes[1], Change::DropColumn { .. }));

        after.tables[0].columns.to_mut()[1].renamed_from = Some("name".into());
        assert_eq!(
            diff(&before, &after, &Sqlite),
            vec![Change::RenameColumn {
                table: "t".into(),
                from: "name".into(),
                to: "full_name".into()
            }]
        );
    }

    #[test]
    fn an_inline_unique_constraint_equals_a_named_unique_index() {
        let mut declared = table(
            "m",
            vec![
                Column::new("id", ColumnType::BigInt).not_null(),
                Column::new("message_id", ColumnType::Text),
            ],
        );
        declared.indexes = Cow::Owned(vec![Index::new(
            "messages_message_id_unique",
            &["message_id"],
            true,
        )]);
        let mut live = declared.clone();
        live.indexes.to_mut()[0].name = "sqlite_autoindex_m_1".into();
        live.indexes.to_mut()[0].origin = IndexOrigin::UniqueConstraint;
        let declared = Schema::new(vec![declared]);
        let live = Schema::new(vec![live]);
        assert_eq!(diff(&live, &declared, &Sqlite), vec![]);
        assert_eq!(diff(&declared, &live, &Sqlite), vec![]);
    }
}
