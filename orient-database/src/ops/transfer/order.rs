//! The order tables are copied in: every table after the tables its foreign keys reference, so each
//! row's parent is already there when it is inserted (PostgreSQL checks foreign keys per statement,
//! SQLite per row). Deleting (`--replace`) goes the other way.

use crate::model::Table;

/// `tables` with every table after the tables it references; among tables free to go, registration
/// order. A cycle (which the registered schema does not have) keeps its tables in registration order
/// after the others, where the database's own check reports the row that cannot go in.
pub fn parents_first<'t>(tables: &[&'t Table]) -> Vec<&'t Table> {
    let mut placed: Vec<&'t Table> = Vec::with_capacity(tables.len());
    let mut waiting: Vec<&'t Table> = tables.to_vec();
    while !waiting.is_empty() {
        let ready = waiting.iter().position(|table| {
            table.foreign_keys.iter().all(|fk| {
                fk.references_table == table.name
                    || placed.iter().any(|p| p.name == fk.references_table)
                    || !waiting.iter().any(|w| w.name == fk.references_table)
            })
        });
        match ready {
            Some(i) => placed.push(waiting.remove(i)),
            None => {
                placed.append(&mut waiting);
            }
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TABLES;

    #[test]
    fn every_registered_table_comes_after_its_parents() {
        let order = parents_first(TABLES);
        assert_eq!(order.len(), TABLES.len());
        for (i, table) in order.iter().enumerate() {
            for fk in table.foreign_keys.iter() {
                let parent = order
                    .iter()
                    .position(|t| t.name == fk.references_table)
                    .unwrap_or(usize::MAX);
                assert!(
                    parent < i,
                    "{} before its parent {}",
                    table.name,
                    fk.references_table
                );
            }
        }
    }
}
