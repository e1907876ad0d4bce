//! The rules true of both engines: destructive changes (OL1xx) and changes that break services still
//! running the previous version during a rolling deploy (OL2xx). Each applies to tables that existed
//! before the migration; a table the migration created itself holds nothing and nobody else uses it.

use sqlparser::ast::{self, AlterColumnOperation, AlterTableOperation, ColumnOption, DataType};

use super::catalog::{TableInfo, renamed_to};
use super::engine_rules::{Context, EngineRules, Hit};
use super::finding::Code;
use super::statement::{ident, object_name};

/// What "guarded" adds to a destructive finding's message.
const GUARDED: &str = " (guarded: on a database holding data this loses, the migration fails and \
                       changes nothing; where it runs, the data is gone)";

fn guarded_note(guarded: bool) -> &'static str {
    if guarded { GUARDED } else { "" }
}

/// OL101 for a table dropped (and not rebuilt under its name).
pub fn drop_table(table: &str, guarded: bool) -> Hit {
    Hit {
        code: Code::DropTable,
        message: format!("drops table `{table}`{}", guarded_note(guarded)),
        why: format!(
            "every row of `{table}` is lost, and services still running the previous version fail on \
             their next query of it"
        ),
        instead:
            "stop using the table in a release first, then drop it in a later migration after a \
                  backup (`orient-db backup`); if the loss is intended, accept it with \
                  `-- orient:allow OL101 <reason>`"
                .to_owned(),
    }
}

fn drop_column(table: &str, column: &str, guarded: bool, how: &str) -> Hit {
    Hit {
        code: Code::DropColumn,
        message: format!("{how} column `{table}`.`{column}`{}", guarded_note(guarded)),
        why: format!(
            "the values of `{column}` are lost, and the previous version's queries naming `{column}` \
             fail while it still runs"
        ),
        instead: format!(
            "ship a release that no longer reads or writes `{column}`, then drop it in a later \
             migration; keep a backup"
        ),
    }
}

fn narrow(table: &str, column: &str, old: &DataType, new: &DataType, guarded: bool) -> Hit {
    Hit {
        code: Code::NarrowColumn,
        message: format!(
            "narrows column `{table}`.`{column}` from {old} to {new}{}",
            guarded_note(guarded)
        ),
        why: format!(
            "values of `{column}` that do not fit {new} are truncated, rejected or make the migration \
             fail, and the previous version may still write such values"
        ),
        instead: format!(
            "keep the wider type, or add a new column of type {new}, backfill and check it, switch \
             readers and writers to it, and drop `{column}` in a later migration"
        ),
    }
}

fn required_column(table: &str, column: &str, how: &str) -> Hit {
    Hit {
        code: Code::AddRequiredColumn,
        message: format!("{how} NOT NULL column `{table}`.`{column}` without a default"),
        why: format!(
            "the rows already in `{table}` have no value for it (the ALTER fails on a table holding \
             rows), and the previous version's INSERTs, which do not name `{column}`, fail"
        ),
        instead: format!(
            "add `{column}` nullable or with a DEFAULT, backfill it, and make it NOT NULL in a later \
             migration once every writer sets it"
        ),
    }
}

/// Whether a column definition fills itself: a default, an identity, a generated expression.
fn fills_itself(column: &ast::ColumnDef) -> bool {
    column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::Default(_) | ColumnOption::Generated { .. } | ColumnOption::Identity(_)
        )
    }) || column
        .data_type
        .to_string()
        .to_lowercase()
        .contains("serial")
}

fn is_not_null(column: &ast::ColumnDef) -> bool {
    column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
        )
    })
}

/// The engine-neutral rules for one parsed statement.
pub fn check(
    context: &Context<'_>,
    engine: &dyn EngineRules,
    statement: &ast::Statement,
    hits: &mut Vec<Hit>,
) {
    let ast::Statement::AlterTable(alter) = statement else {
        return;
    };
    let table = object_name(&alter.name);
    if !context.existing(&table) {
        return;
    }
    for operation in &alter.operations {
        match operation {
            AlterTableOperation::DropColumn { column_names, .. } => {
                for column in column_names {
                    let column = ident(column);
                    let guarded = context.guarded(&table, Some(&column));
                    hits.push(drop_column(&table, &column, guarded, "drops"));
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let to = renamed_to(table_name);
                hits.push(Hit {
                    code: Code::RenameTable,
                    message: format!("renames table `{table}` to `{to}`"),
                    why: format!(
                        "services still running the previous version query `{table}` and fail until \
                         they are all replaced"
                    ),
                    instead: format!(
                        "create `{to}` beside `{table}` (or a view named `{table}` over `{to}`), move \
                         readers and writers over in steps, and drop `{table}` in a later migration"
                    ),
                });
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let (old, new) = (ident(old_column_name), ident(new_column_name));
                hits.push(Hit {
                    code: Code::RenameColumn,
                    message: format!("renames column `{table}`.`{old}` to `{new}`"),
                    why: format!(
                        "services still running the previous version read and write `{old}` and fail \
                         until they are all replaced"
                    ),
                    instead: format!(
                        "add `{new}`, write both and backfill it, switch reads to `{new}`, and drop \
                         `{old}` in a later migration"
                    ),
                });
            }
            AlterTableOperation::AddColumn { column_def, .. }
                if is_not_null(column_def) && !fills_itself(column_def) =>
            {
                hits.push(required_column(&table, &ident(&column_def.name), "adds"));
            }
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { data_type, .. },
            } => {
                let column = ident(column_name);
                let old = context
                    .catalog
                    .table(&table)
                    .and_then(|t| t.column(&column))
                    .map(|c| &c.data_type);
                if let Some(old) = old
                    && engine.narrows(old, data_type)
                {
                    let guarded = context.guarded(&table, Some(&column));
                    hits.push(narrow(&table, &column, old, data_type, guarded));
                }
            }
            _ => {}
        }
    }
}

/// The findings of rebuilding `table` (create a new table, copy, drop the old one, rename the new one
/// into its name) from `old` into `new`: columns left out, narrowed, or new and required.
pub fn rebuild(
    table: &str,
    old: &TableInfo,
    new: &TableInfo,
    engine: &dyn EngineRules,
    guarded: bool,
    hits: &mut Vec<Hit>,
) {
    for column in &old.columns {
        match new.column(&column.name) {
            None => hits.push(drop_column(
                table,
                &column.name,
                guarded,
                "rebuilds the table without",
            )),
            Some(kept) if engine.narrows(&column.data_type, &kept.data_type) => hits.push(narrow(
                table,
                &column.name,
                &column.data_type,
                &kept.data_type,
                guarded,
            )),
            Some(_) => {}
        }
    }
    for column in &new.columns {
        if old.column(&column.name).is_none() && column.not_null && column.default.is_none() {
            hits.push(required_column(
                table,
                &column.name,
                "rebuilds the table with a new",
            ));
        }
    }
}
