//! `orient-db lint`'s PostgreSQL rules (OL3xx): statements that hold a lock on a table that already
//! holds rows for as long as they scan or rewrite it, and which type changes lose values here. Pure:
//! no server is involved, so it is compiled without the `postgres` feature.
//!
//! The facts, from the PostgreSQL documentation (docs/current/sql-altertable.html, Notes, and
//! sql-createindex.html):
//! - `CREATE INDEX` without `CONCURRENTLY` takes a SHARE lock: writes wait for the whole build;
//! - "changing the type of an existing column will require the entire table and its indexes to be
//!   rewritten", except when the old type is binary coercible to the new one and `USING` does not
//!   change the contents (varchar widening, varchar → text, a numeric's precision raised at the same
//!   scale). `integer` → `bigint` is NOT binary coercible (4 bytes → 8): it rewrites;
//! - "Adding a column with a volatile DEFAULT … will require the entire table and its indexes to be
//!   rewritten"; a constant or STABLE default (`now()`, `current_timestamp`) is stored once in the
//!   catalog since PostgreSQL 11 and rewrites nothing. Identity, serial and stored generated columns
//!   compute a value per row: they rewrite too;
//! - `ADD FOREIGN KEY` checks every row under SHARE ROW EXCLUSIVE on both tables unless `NOT VALID`;
//!   `VALIDATE CONSTRAINT` later takes only SHARE UPDATE EXCLUSIVE;
//! - `SET NOT NULL` scans the table under ACCESS EXCLUSIVE, "skipped if a valid CHECK constraint
//!   proves no NULL can exist" (PostgreSQL 12+).

use sqlparser::ast::{self, AlterColumnOperation, AlterTableOperation, ColumnOption, DataType};

use crate::lint::engine_rules::{Context, EngineRules, Hit};
use crate::lint::finding::Code;
use crate::lint::statement::{Statement, ident, object_name};

/// Functions whose volatility is VOLATILE in pg_proc (`provolatile = 'v'`), as column defaults.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "nextval",
    "setseed",
];

/// The PostgreSQL rules (stateless: everything they need is in the [`Context`]).
#[derive(Debug, Default)]
pub struct PostgresRules;

impl EngineRules for PostgresRules {
    fn check(&mut self, context: &Context<'_>, statement: &Statement, hits: &mut Vec<Hit>) {
        match &statement.parsed {
            Ok(ast::Statement::CreateIndex(index)) => {
                let table = object_name(&index.table_name);
                if !index.concurrently && context.existing(&table) {
                    hits.push(Hit {
                        code: Code::IndexWithoutConcurrently,
                        message: format!(
                            "builds index {} on existing table `{table}` without CONCURRENTLY",
                            index
                                .name
                                .as_ref()
                                .map(|n| format!("`{}`", object_name(n)))
                                .unwrap_or_default()
                        ),
                        why: format!(
                            "CREATE INDEX holds a SHARE lock on `{table}` for the whole build: every \
                             INSERT, UPDATE and DELETE on it waits"
                        ),
                        instead: "CREATE INDEX CONCURRENTLY, in a migration of its own with \
                                  `run_in_transaction = false` in its metadata.toml (CONCURRENTLY \
                                  cannot run inside a transaction); if it fails, drop the INVALID \
                                  index it leaves and run it again"
                            .to_owned(),
                    });
                }
            }
            Ok(ast::Statement::AlterTable(alter)) => {
                let table = object_name(&alter.name);
                if context.existing(&table) {
                    for operation in &alter.operations {
                        alter_operation(context, &table, operation, hits);
                    }
                }
            }
            _ => {}
        }
    }

    fn narrows(&self, old: &DataType, new: &DataType) -> bool {
        narrows(old, new)
    }
}

fn alter_operation(
    context: &Context<'_>,
    table: &str,
    operation: &AlterTableOperation,
    hits: &mut Vec<Hit>,
) {
    match operation {
        AlterTableOperation::AlterColumn {
            column_name,
            op:
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                },
        } => {
            let column = ident(column_name);
            let old = context
                .catalog
                .table(table)
                .and_then(|t| t.column(&column))
                .map(|c| &c.data_type);
            if using.is_some() || old.is_none_or(|old| rewrites(old, data_type)) {
                let from = old
                    .map(|t| format!("from {t} "))
                    .unwrap_or_else(|| "from a type this linter has not seen ".to_owned());
                hits.push(Hit {
                    code: Code::RewritingTypeChange,
                    message: format!(
                        "changes column `{table}`.`{column}` {from}to {data_type}, which rewrites the table"
                    ),
                    why: format!(
                        "the change is not binary coercible{}: `{table}` and its indexes are rewritten \
                         under an ACCESS EXCLUSIVE lock, and reads and writes wait for the whole rewrite",
                        if using.is_some() { " (it has USING)" } else { "" }
                    ),
                    instead: format!(
                        "add a new column of type {data_type}, backfill it in batches, switch over, and \
                         drop `{column}` in a later migration; only varchar widening, varchar → text \
                         and raising a numeric's precision skip the rewrite"
                    ),
                });
            }
        }
        AlterTableOperation::AddColumn { column_def, .. } => {
            // A column constraint cannot be NOT VALID: the safe form is a separate ADD CONSTRAINT.
            for option in &column_def.options {
                if let ColumnOption::ForeignKey(fk) = &option.option {
                    let column = ident(&column_def.name);
                    let parent = object_name(&fk.foreign_table);
                    hits.push(validated_foreign_key(
                        table,
                        &parent,
                        format!("column `{column}` with a foreign key (REFERENCES {parent})"),
                        format!(
                            "add `{column}` without REFERENCES, then `ALTER TABLE {table} ADD \
                             CONSTRAINT … FOREIGN KEY ({column}) REFERENCES {parent} … NOT VALID`, and \
                             VALIDATE CONSTRAINT it in a later migration, which lets writes go on"
                        ),
                    ));
                }
            }
            if let Some(cause) = per_row_value(column_def) {
                let column = ident(&column_def.name);
                hits.push(Hit {
                    code: Code::VolatileDefault,
                    message: format!(
                        "adds column `{table}`.`{column}` with {cause}, which rewrites the table"
                    ),
                    why: format!(
                        "{cause} is computed for every existing row: `{table}` is rewritten under an \
                         ACCESS EXCLUSIVE lock (a constant or STABLE default such as now() is not, \
                         since PostgreSQL 11)"
                    ),
                    instead: format!(
                        "add `{column}` without it (or with a constant default), then `ALTER COLUMN \
                         … SET DEFAULT` for new rows, and backfill the existing rows in batches"
                    ),
                });
            }
        }
        AlterTableOperation::AddConstraint {
            constraint: ast::TableConstraint::ForeignKey(fk),
            not_valid: false,
        } => {
            let name = fk
                .name
                .as_ref()
                .map(ident)
                .unwrap_or_else(|| "<constraint>".to_owned());
            let instead = format!(
                "add it with NOT VALID (only new rows are checked), then `ALTER TABLE {table} \
                 VALIDATE CONSTRAINT {name}` in a later migration, which lets writes go on"
            );
            hits.push(validated_foreign_key(
                table,
                &object_name(&fk.foreign_table),
                format!("foreign key `{name}`"),
                instead,
            ));
        }
        AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetNotNull,
        } => {
            let column = ident(column_name);
            let already = context
                .catalog
                .table(table)
                .and_then(|t| t.column(&column))
                .is_some_and(|c| c.not_null);
            let proven = context
                .before
                .table(table)
                .is_some_and(|t| t.proven_not_null.contains(&column));
            if !already && !proven {
                hits.push(Hit {
                    code: Code::SetNotNullScan,
                    message: format!(
                        "sets `{table}`.`{column}` NOT NULL without a CHECK validated in an earlier migration"
                    ),
                    why: format!(
                        "SET NOT NULL scans all of `{table}` under an ACCESS EXCLUSIVE lock unless a \
                         valid CHECK ({column} IS NOT NULL) already proves it (PostgreSQL 12+)"
                    ),
                    instead: format!(
                        "add CONSTRAINT … CHECK ({column} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it \
                         in a later migration, then SET NOT NULL (no scan) and drop the check"
                    ),
                });
            }
        }
        _ => {}
    }
}

/// What makes an added column computed row by row: a volatile default, identity, serial, a stored
/// generated expression.
/// OL304: `what` (a foreign key, or a column carrying one) added to the existing table `table` is
/// checked against every row at once.
fn validated_foreign_key(table: &str, parent: &str, what: String, instead: String) -> Hit {
    let locked = if parent == table {
        format!("`{table}`")
    } else {
        format!("`{table}` and `{parent}`")
    };
    Hit {
        code: Code::ValidatedForeignKey,
        message: format!(
            "adds {what} from existing table `{table}` to `{parent}` without NOT VALID"
        ),
        why: format!(
            "every row of `{table}` is checked while a SHARE ROW EXCLUSIVE lock is held on {locked}: \
             writes wait"
        ),
        instead,
    }
}

fn per_row_value(column: &ast::ColumnDef) -> Option<String> {
    let ty = column.data_type.to_string().to_lowercase();
    if ty.contains("serial") {
        return Some(format!("type {ty} (a nextval() default)"));
    }
    for option in &column.options {
        match &option.option {
            ColumnOption::Default(expr) => {
                let text = expr.to_string().to_lowercase();
                if let Some(function) = VOLATILE.iter().find(|f| calls(&text, f)) {
                    return Some(format!("the volatile default {function}()"));
                }
            }
            ColumnOption::Generated { .. } | ColumnOption::Identity(_) => {
                return Some("a generated or identity value".to_owned());
            }
            _ => {}
        }
    }
    None
}

/// Whether `text` calls `function` (not merely a longer name ending in it).
fn calls(text: &str, function: &str) -> bool {
    text.match_indices(&format!("{function}(")).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// A type as the rules compare it.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// Integers by width in bytes.
    Integer(u8),
    /// Character types by length limit (`None`: unlimited, like text).
    Text(Option<u64>),
    /// numeric(precision, scale); `None`: unconstrained.
    Numeric(Option<(u64, u64)>),
    Float(u8),
    Other(String),
}

fn shape(ty: &DataType) -> Shape {
    let text = ty.to_string().to_lowercase();
    let base = text.split('(').next().unwrap_or_default().trim().to_owned();
    let args: Vec<u64> = text
        .split_once('(')
        .map(|(_, rest)| {
            rest.trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match base.as_str() {
        "smallint" | "int2" | "smallserial" => Shape::Integer(2),
        "integer" | "int" | "int4" | "serial" => Shape::Integer(4),
        "bigint" | "int8" | "bigserial" => Shape::Integer(8),
        "text" => Shape::Text(None),
        "varchar" | "character varying" | "char" | "character" | "bpchar" => {
            Shape::Text(args.first().copied())
        }
        "numeric" | "decimal" => Shape::Numeric(match args.as_slice() {
            [p] => Some((*p, 0)),
            [p, s, ..] => Some((*p, *s)),
            _ => None,
        }),
        "real" | "float4" => Shape::Float(4),
        "double precision" | "float8" | "double" | "float" => Shape::Float(8),
        _ => Shape::Other(text),
    }
}

/// Whether values of `old` may not survive as `new`.
fn narrows(old: &DataType, new: &DataType) -> bool {
    match (shape(old), shape(new)) {
        (Shape::Integer(a), Shape::Integer(b)) => b < a,
        (Shape::Float(a), Shape::Float(b)) => b < a,
        (Shape::Text(a), Shape::Text(b)) => match (a, b) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b < a,
        },
        (Shape::Numeric(a), Shape::Numeric(b)) => match (a, b) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some((p, s)), Some((p2, s2))) => p2 < p || s2 < s || (p2 - s2) < (p - s),
        },
        // Every value has a text form; integers fit an unconstrained numeric.
        (_, Shape::Text(None)) => false,
        (Shape::Integer(_), Shape::Numeric(None)) => false,
        (Shape::Integer(a), Shape::Float(8)) => a < 8,
        (a, b) => a != b,
    }
}

/// Whether `ALTER COLUMN … TYPE new` (without USING) rewrites a column of type `old`: everything but
/// the binary-coercible changes the documentation names.
fn rewrites(old: &DataType, new: &DataType) -> bool {
    match (shape(old), shape(new)) {
        (a, b) if a == b => false,
        // varchar(n) → varchar(m ≥ n), varchar → text; text → unlimited varchar.
        (Shape::Text(_), Shape::Text(None)) => false,
        (Shape::Text(Some(a)), Shape::Text(Some(b))) => b < a || is_char(old) || is_char(new),
        // numeric(p, s) → numeric(p' ≥ p, s), or unconstrained.
        (Shape::Numeric(_), Shape::Numeric(None)) => false,
        (Shape::Numeric(Some((p, s))), Shape::Numeric(Some((p2, s2)))) => !(s2 == s && p2 >= p),
        _ => true,
    }
}

/// `char(n)` pads to its length: a change to or from it is not binary coercible.
fn is_char(ty: &DataType) -> bool {
    let text = ty.to_string().to_lowercase();
    text.starts_with("char(") || text.starts_with("character(") || text == "char"
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::{CharacterLength, ExactNumberInfo};

    fn varchar(n: u64) -> DataType {
        DataType::Varchar(Some(CharacterLength::IntegerLength {
            length: n,
            unit: None,
        }))
    }

    #[test]
    fn widths_and_rewrites_follow_the_documentation() {
        assert!(narrows(&DataType::BigInt(None), &DataType::Integer(None)));
        assert!(!narrows(&DataType::Integer(None), &DataType::BigInt(None)));
        assert!(narrows(&DataType::Text, &varchar(10)));
        assert!(narrows(&varchar(20), &varchar(10)));
        assert!(!narrows(&varchar(10), &DataType::Text));
        // int → bigint widens but is not binary coercible: it rewrites.
        assert!(rewrites(&DataType::Integer(None), &DataType::BigInt(None)));
        assert!(!rewrites(&varchar(10), &varchar(20)));
        assert!(!rewrites(&varchar(10), &DataType::Text));
        assert!(rewrites(&varchar(20), &varchar(10)));
        assert!(!rewrites(
            &DataType::Numeric(ExactNumberInfo::PrecisionAndScale(10, 2)),
            &DataType::Numeric(ExactNumberInfo::PrecisionAndScale(12, 2))
        ));
        assert!(rewrites(&DataType::Text, &DataType::Integer(None)));
    }

    #[test]
    fn only_volatile_functions_count() {
        assert!(calls("random()", "random"));
        assert!(calls("(gen_random_uuid())::text", "gen_random_uuid"));
        assert!(!calls("my_random()", "random"));
        assert!(!VOLATILE.iter().any(|f| calls("now()", f)));
    }
}
