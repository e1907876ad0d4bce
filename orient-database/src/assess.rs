//! Which changes lose data, and how many rows they would touch in a live database.
//!
//! Classification is pure ([`loss_checks`]: a change and the SQL that counts what it would lose);
//! measuring runs those counts ([`measure`]). A change is data-losing only when its count is above zero:
//! dropping an empty table loses nothing.
//!
//! | change | what is lost | counted |
//! |---|---|---|
//! | drop table | its rows | every row |
//! | drop column | its values | rows where it is not NULL |
//! | narrowing type | values that do not convert exactly | rows whose value changes under `CAST` |
//! | NOT NULL (no default) | rows holding NULL | rows where it is NULL |
//! | new NOT NULL column without default | every existing row | every row |
//! | UNIQUE / new key | all but one row of each duplicate group | surplus rows |
//! | foreign key | rows pointing at nothing | dangling rows |

use std::collections::BTreeMap;

use diesel::QueryResult;
use serde::Serialize;

use crate::dangling::dangling_condition;
use crate::db::backend::DbConnection;
use crate::diff::Change;
use crate::engine::EngineConnection;
use crate::model::{Column, Name, Schema};
use crate::sql::Dialect;

/// The kinds of data loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    DropTable,
    DropColumn,
    Narrowing,
    NotNullOverNulls,
    RequiredColumn,
    Duplicates,
    DanglingForeignKey,
}

impl LossKind {
    /// What happens to the counted rows when the loss is accepted.
    pub fn consequence(self) -> &'static str {
        match self {
            LossKind::DropTable => "rows deleted with the table",
            LossKind::DropColumn => "values deleted with the column",
            LossKind::Narrowing => "values not of the new type, converted with CAST",
            LossKind::NotNullOverNulls => "rows holding NULL deleted",
            LossKind::RequiredColumn => {
                "rows deleted: a required column without default cannot be filled"
            }
            LossKind::Duplicates => "duplicate rows deleted (the first of each group is kept)",
            LossKind::DanglingForeignKey => "rows referencing nothing deleted",
        }
    }
}

/// A change that can lose data, with the query that counts what it would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossCheck {
    pub change: String,
    pub table: String,
    pub column: Option<String>,
    pub kind: LossKind,
    /// `SELECT count(*) AS n …`
    pub count_sql: String,
}

/// A measured data loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLoss {
    pub change: String,
    pub table: String,
    pub column: Option<String>,
    pub kind: LossKind,
    pub rows: u64,
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} row{} ({})",
            self.change,
            self.rows,
            if self.rows == 1 { "" } else { "s" },
            self.kind.consequence()
        )
    }
}

/// The loss checks of `changes` (from `current` to `desired`) against the `current` schema, whose tables
/// hold the data.
pub fn loss_checks(
    changes: &[Change],
    current: &Schema,
    desired: &Schema,
    dialect: &dyn Dialect,
) -> Vec<LossCheck> {
    let q = |s: &str| dialect.quote_ident(s);
    // Changes run against a table's current name: undo table renames for counting.
    let renamed: BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { from, to } => Some((to.as_ref(), from.as_ref())),
            _ => None,
        })
        .collect();
    let source_table = |table: &str| renamed.get(table).copied().unwrap_or(table).to_owned();
    // Columns renamed in the same push: count on the old name.
    let column_renames: BTreeMap<(String, String), String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameColumn { table, from, to } => {
                Some(((table.to_string(), to.to_string()), from.to_string()))
            }
            _ => None,
        })
        .collect();
    let source_column = |table: &str, column: &str| {
        column_renames
            .get(&(table.to_owned(), column.to_owned()))
            .cloned()
            .unwrap_or_else(|| column.to_owned())
    };
    let exists = |table: &str| current.table(table).is_some();
    // A column's value once the change is made: the old column's, or a new column's default (NULL
    // without one), since a new column has no values yet.
    let value_after = |table: &str, column: &str| -> String {
        let source = source_column(table, column);
        let old = current
            .table(&source_table(table))
            .and_then(|t| t.column(&source));
        match old {
            Some(_) => q(&source),
            None => desired
                .table(table)
                .and_then(|t| t.column(column))
                .and_then(|c| c.default.as_ref())
                .map_or_else(|| "NULL".to_owned(), |d| dialect.render_default(d)),
        }
    };

    let mut checks = Vec::new();
    for change in changes {
        let description = change.to_string();
        let mut push = |table: &str, column: Option<&str>, kind: LossKind, count_sql: String| {
            checks.push(LossCheck {
                change: description.clone(),
                table: table.to_owned(),
                column: column.map(str::to_owned),
                kind,
                count_sql,
            });
        };
        match change {
            Change::DropTable { table } => push(
                &table.name,
                None,
                LossKind::DropTable,
                format!("SELECT count(*) AS n FROM {}", q(&table.name)),
            ),
            Change::DropColumn { table, column } => {
                let t = source_table(table);
                push(
                    table,
                    Some(&column.name),
                    LossKind::DropColumn,
                    format!(
                        "SELECT count(*) AS n FROM {} WHERE {} IS NOT NULL",
                        q(&t),
                        q(&column.name)
                    ),
                );
            }
            Change::AddColumn { table, column }
                if !column.nullable && column.default.is_none() && exists(&source_table(table)) =>
            {
                push(
                    table,
                    Some(&column.name),
                    LossKind::RequiredColumn,
                    format!("SELECT count(*) AS n FROM {}", q(&source_table(table))),
                );
            }
            Change::AlterColumn { table, from, to } => {
                let t = q(&source_table(table));
                let c = q(&source_column(table, &to.name));
                let from_ty = dialect.canonical_type(from.ty);
                let to_ty = dialect.canonical_type(to.ty);
                if from_ty != to_ty
                    && let Some(condition) = dialect.lossy_conversion(&c, from_ty, to_ty)
                {
                    push(
                        table,
                        Some(&to.name),
                        LossKind::Narrowing,
                        format!("SELECT count(*) AS n FROM {t} WHERE {condition}"),
                    );
                }
                if from.nullable && !to.nullable && to.default.is_none() {
                    push(
                        table,
                        Some(&to.name),
                        LossKind::NotNullOverNulls,
                        format!("SELECT count(*) AS n FROM {t} WHERE {c} IS NULL"),
                    );
                }
            }
            Change::CreateIndex { table, index } if index.unique => {
                let t = source_table(table);
                if exists(&t) {
                    let columns: Vec<String> = index
                        .columns
                        .iter()
                        .map(|c| value_after(table, c))
                        .collect();
                    push(
                        table,
                        None,
                        LossKind::Duplicates,
                        duplicates_sql(&q(&t), &columns),
                    );
                }
            }
            Change::ChangePrimaryKey { table, to, .. } => {
                let t = source_table(table);
                if exists(&t) && !to.is_empty() {
                    let columns: Vec<String> =
                        to.iter().map(|c| q(&source_column(table, c))).collect();
                    push(
                        table,
                        None,
                        LossKind::Duplicates,
                        duplicates_sql(&q(&t), &columns),
                    );
                }
            }
            Change::AddForeignKey { table, foreign_key } => {
                let t = source_table(table);
                if exists(&t) {
                    let condition = dangling_condition(
                        foreign_key,
                        &|c| source_column(table, c),
                        current,
                        dialect,
                    );
                    push(
                        table,
                        foreign_key.columns.first().map(|c| c.as_ref()),
                        LossKind::DanglingForeignKey,
                        format!("SELECT count(*) AS n FROM {} WHERE {condition}", q(&t)),
                    );
                }
            }
            _ => {}
        }
    }

    // Values rewritten by the copy (CAST to a new type, NULL filled with a new default) can collide
    // under a unique index that saw them distinct before: two NULLs become the same default, 'a' and 'b'
    // both become 0 as booleans. Count duplicates on the values as they will be.
    let mut altered: BTreeMap<&str, Vec<(&Column, &Column)>> = BTreeMap::new();
    for change in changes {
        if let Change::AlterColumn { table, from, to } = change {
            let rewritten = dialect.canonical_type(from.ty) != dialect.canonical_type(to.ty)
                || (from.nullable && !to.nullable && to.default.is_some());
            if rewritten {
                altered.entry(table.as_ref()).or_default().push((from, to));
            }
        }
    }
    for (table, columns) in altered {
        let Some(wanted) = desired.table(table) else {
            continue;
        };
        let t = q(&source_table(table));
        for index in wanted.indexes.iter().filter(|i| i.unique) {
            if !columns
                .iter()
                .any(|(_, to)| index.columns.contains(&to.name))
            {
                continue;
            }
            let expressions: Vec<String> = index
                .columns
                .iter()
                .map(
                    |name| match columns.iter().find(|(_, to)| to.name == *name) {
                        Some((from, to)) => {
                            converted_value(&q(&source_column(table, name)), from, to, dialect)
                        }
                        None => value_after(table, name),
                    },
                )
                .collect();
            checks.push(LossCheck {
                change: format!(
                    "unique index `{}` on `{table}` over converted values",
                    index.name
                ),
                table: table.to_owned(),
                column: None,
                kind: LossKind::Duplicates,
                count_sql: duplicates_sql(&t, &expressions),
            });
        }
    }
    checks
}

/// A column's value as the rebuild's copy writes it (with the loss accepted): converted to the new type,
/// NULL replaced by the new default.
fn converted_value(quoted: &str, from: &Column, to: &Column, dialect: &dyn Dialect) -> String {
    let mut value = quoted.to_owned();
    if dialect.canonical_type(from.ty) != dialect.canonical_type(to.ty) {
        value = dialect.cast(&value, from.ty, to.ty);
    }
    if from.nullable
        && !to.nullable
        && let Some(default) = &to.default
    {
        value = format!("coalesce({value}, {})", dialect.render_default(default));
    }
    value
}

/// Rows beyond the first of each group of equal (non-NULL) keys: NULLs never collide in a UNIQUE index.
/// The key expressions are grouped through aliases, because SQLite reads a constant integer in
/// `GROUP BY` (a new column's default, say) as a column position. Portable SQL: subqueries are named and
/// the sum is cast back to an integer (PostgreSQL sums integers as numeric).
fn duplicates_sql(table: &str, expressions: &[String]) -> String {
    let keys: Vec<String> = (0..expressions.len()).map(|i| format!("k{i}")).collect();
    let select = expressions
        .iter()
        .zip(&keys)
        .map(|(e, k)| format!("{e} AS {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let not_null = keys
        .iter()
        .map(|k| format!("{k} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    format!(
        "SELECT CAST(coalesce(sum(n - 1), 0) AS BIGINT) AS n FROM (SELECT count(*) AS n FROM \
         (SELECT {select} FROM {table}) AS v WHERE {not_null} GROUP BY {} HAVING count(*) > 1) AS g",
        keys.join(", ")
    )
}

/// Runs the loss checks of `changes` and returns those that would lose at least one row.
pub fn measure(
    conn: &mut DbConnection,
    changes: &[Change],
    current: &Schema,
    desired: &Schema,
) -> QueryResult<Vec<DataLoss>> {
    let dialect = conn.planner();
    let mut losses = Vec::new();
    for check in loss_checks(changes, current, desired, dialect) {
        let rows = conn.count(&check.count_sql)?;
        if rows > 0 {
            losses.push(DataLoss {
                change: check.change,
                table: check.table,
                column: check.column,
                kind: check.kind,
                rows: u64::try_from(rows).unwrap_or(0),
            });
        }
    }
    Ok(losses)
}

/// Names of a table's columns as they are in `current`, for messages.
pub fn column_names(schema: &Schema, table: &str) -> Vec<Name> {
    schema
        .table(table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}
