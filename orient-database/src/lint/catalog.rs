//! What the migrations before the one being linted created, and what this one has done so far: tables,
//! their columns (type, NOT NULL, default), foreign keys and the NOT NULL checks PostgreSQL can rely on.
//! Replayed from the SQL itself, statement by statement, in version order; no database is involved.
//! Only what the rules need is kept.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, ReferentialAction,
    RenameTableNameKind, TableConstraint,
};

use super::statement::{ident, is_temporary_name, object_name};

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: ast::DataType,
    pub not_null: bool,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyInfo {
    pub parent: String,
    pub on_delete: Option<ReferentialAction>,
}

impl ForeignKeyInfo {
    /// Whether deleting a parent row changes child rows (deletes them, or overwrites their key).
    pub fn acts_on_delete(&self) -> bool {
        matches!(
            self.on_delete,
            Some(
                ReferentialAction::Cascade
                    | ReferentialAction::SetNull
                    | ReferentialAction::SetDefault
            )
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableInfo {
    pub columns: Vec<ColumnInfo>,
    pub foreign_keys: Vec<ForeignKeyInfo>,
    /// Columns with a valid `CHECK (column IS NOT NULL)`: PostgreSQL's `SET NOT NULL` skips its scan.
    pub proven_not_null: BTreeSet<String>,
    /// `CHECK (column IS NOT NULL) NOT VALID` constraints not yet validated: constraint → column.
    pub unvalidated_checks: BTreeMap<String, String>,
}

impl TableInfo {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The tables known at a point of the replay.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tables: BTreeMap<String, TableInfo>,
}

/// `CREATE TABLE`'s columns and constraints as a [`TableInfo`].
pub fn table_info(create: &ast::CreateTable) -> TableInfo {
    columns_info(&create.columns, &create.constraints)
}

fn columns_info(columns: &[ast::ColumnDef], constraints: &[TableConstraint]) -> TableInfo {
    let mut info = TableInfo::default();
    for column in columns {
        let name = ident(&column.name);
        let mut not_null = false;
        let mut default = None;
        for option in &column.options {
            match &option.option {
                ColumnOption::NotNull => not_null = true,
                ColumnOption::PrimaryKey(_) => not_null = true,
                ColumnOption::Default(expr) => default = Some(expr.clone()),
                ColumnOption::ForeignKey(fk) => info.foreign_keys.push(ForeignKeyInfo {
                    parent: object_name(&fk.foreign_table),
                    on_delete: fk.on_delete,
                }),
                ColumnOption::Check(check)
                    if not_null_check(&check.expr).as_deref() == Some(name.as_str()) =>
                {
                    info.proven_not_null.insert(name.clone());
                }
                _ => {}
            }
        }
        info.columns.push(ColumnInfo {
            name,
            data_type: column.data_type.clone(),
            not_null,
            default,
        });
    }
    for constraint in constraints {
        add_constraint(&mut info, constraint, false);
    }
    info
}

fn add_constraint(info: &mut TableInfo, constraint: &TableConstraint, not_valid: bool) {
    match constraint {
        TableConstraint::ForeignKey(fk) => info.foreign_keys.push(ForeignKeyInfo {
            parent: object_name(&fk.foreign_table),
            on_delete: fk.on_delete,
        }),
        TableConstraint::Check(check) => {
            if let Some(column) = not_null_check(&check.expr) {
                match (&check.name, not_valid) {
                    (Some(name), true) => {
                        info.unvalidated_checks.insert(ident(name), column);
                    }
                    (_, false) => {
                        info.proven_not_null.insert(column);
                    }
                    // NOT VALID without a name cannot be validated by name later.
                    (None, true) => {}
                }
            }
        }
        TableConstraint::PrimaryKey(pk) => {
            for column in &pk.columns {
                if let Expr::Identifier(name) = &column.column.expr {
                    let name = ident(name);
                    if let Some(c) = info.columns.iter_mut().find(|c| c.name == name) {
                        c.not_null = true;
                    }
                }
            }
        }
        _ => {}
    }
}

/// The column of `CHECK (column IS NOT NULL)`.
pub fn not_null_check(expr: &Expr) -> Option<String> {
    match expr {
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Identifier(name) => Some(ident(name)),
            Expr::Nested(inner) => not_null_check(&Expr::IsNotNull(inner.clone())),
            _ => None,
        },
        Expr::Nested(inner) => not_null_check(inner),
        _ => None,
    }
}

/// The new name of `RENAME TO`.
pub fn renamed_to(kind: &RenameTableNameKind) -> String {
    match kind {
        RenameTableNameKind::As(name) | RenameTableNameKind::To(name) => object_name(name),
    }
}

impl Catalog {
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.get(name)
    }

    /// The tables (other than `parent` itself) whose foreign keys change their rows when a row of
    /// `parent` is deleted.
    pub fn acting_children(&self, parent: &str) -> Vec<String> {
        self.tables
            .iter()
            .filter(|(name, info)| {
                name.as_str() != parent
                    && info
                        .foreign_keys
                        .iter()
                        .any(|fk| fk.parent == parent && fk.acts_on_delete())
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Records what `statement` does to the tables.
    pub fn apply(&mut self, statement: &ast::Statement) {
        match statement {
            ast::Statement::CreateTable(create) => {
                if create.temporary || is_temporary_name(&create.name) {
                    return;
                }
                let name = object_name(&create.name);
                if create.if_not_exists && self.tables.contains_key(&name) {
                    return;
                }
                self.tables.insert(name, table_info(create));
            }
            ast::Statement::Drop {
                object_type: ast::ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.tables.remove(&object_name(name));
                }
            }
            ast::Statement::AlterTable(alter) => {
                let mut name = object_name(&alter.name);
                for operation in &alter.operations {
                    name = self.alter(&name, operation);
                }
            }
            _ => {}
        }
    }

    /// Applies one `ALTER TABLE` operation; returns the table's name afterwards.
    fn alter(&mut self, table: &str, operation: &AlterTableOperation) -> String {
        let Some(info) = self.tables.get_mut(table) else {
            return table.to_owned();
        };
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                let created = columns_info(std::slice::from_ref(column_def), &[]);
                info.columns.extend(created.columns);
                info.foreign_keys.extend(created.foreign_keys);
                info.proven_not_null.extend(created.proven_not_null);
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                for column in column_names {
                    let column = ident(column);
                    info.columns.retain(|c| c.name != column);
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let old = ident(old_column_name);
                if let Some(c) = info.columns.iter_mut().find(|c| c.name == old) {
                    c.name = ident(new_column_name);
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let new = renamed_to(table_name);
                if let Some(info) = self.tables.remove(table) {
                    self.tables.insert(new.clone(), info);
                }
                return new;
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = ident(column_name);
                if let Some(c) = info.columns.iter_mut().find(|c| c.name == column) {
                    match op {
                        AlterColumnOperation::SetNotNull => c.not_null = true,
                        AlterColumnOperation::DropNotNull => c.not_null = false,
                        AlterColumnOperation::SetDefault { value } => {
                            c.default = Some(value.clone())
                        }
                        AlterColumnOperation::DropDefault => c.default = None,
                        AlterColumnOperation::SetDataType { data_type, .. } => {
                            c.data_type = data_type.clone()
                        }
                        _ => {}
                    }
                }
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => add_constraint(info, constraint, *not_valid),
            AlterTableOperation::ValidateConstraint { name } => {
                if let Some(column) = info.unvalidated_checks.remove(&ident(name)) {
                    info.proven_not_null.insert(column);
                }
            }
            _ => {}
        }
        table.to_owned()
    }
}
