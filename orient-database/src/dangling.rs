//! Rows of a child table whose foreign key is set but matches no parent row ("dangling"): the SQL
//! condition that finds them, used to count them (`assess`), to delete them when that loss is accepted
//! (the planners), and to check a rebuild. Apart from all three so that none depends on another for it.

use crate::model::{ForeignKey, Schema};
use crate::sql::Dialect;

/// The condition, on the child table, of rows whose key is set but matches no parent row.
pub fn dangling_condition(
    fk: &ForeignKey,
    source_column: &dyn Fn(&str) -> String,
    current: &Schema,
    dialect: &dyn Dialect,
) -> String {
    let q = |s: &str| dialect.quote_ident(s);
    let set = fk
        .columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", q(&source_column(c))))
        .collect::<Vec<_>>()
        .join(" AND ");
    if current.table(&fk.references_table).is_none() {
        // The parent is new and empty: every set key dangles.
        return set;
    }
    let matches = fk
        .columns
        .iter()
        .zip(fk.references_columns.iter())
        .map(|(c, p)| format!("p.{} = {}", q(p), q(&source_column(c))))
        .collect::<Vec<_>>()
        .join(" AND ");
    format!(
        "{set} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {matches})",
        q(&fk.references_table)
    )
}
