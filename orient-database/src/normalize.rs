//! The canonical form two tables are compared in.
//!
//! A declared table and the same table read back from a database differ in ways that are not drift:
//! column order (`agents.model_tier` is last in a database migrated by the original), the spelling of a
//! default (`DEFAULT true` vs `1`), the case of a type name, a `Bool` the database only knows as INTEGER,
//! and defaults the application fills in. Normalising both sides first keeps [`crate::diff`] a plain
//! comparison.

use crate::model::{Column, Schema, Table};
use crate::sql::Dialect;

/// A column as it is compared: canonical type and default, no app-side default, no rename hint.
pub fn normalize_column(table: &Table, column: &Column, dialect: &dyn Dialect) -> Column {
    Column {
        name: column.name.clone(),
        ty: dialect.canonical_type(column.ty),
        nullable: column.nullable && !dialect.never_null(table, column),
        autoincrement: column.autoincrement,
        default: column
            .default
            .as_ref()
            .and_then(|d| dialect.canonical_default(d)),
        app_default: None,
        renamed_from: None,
    }
}

/// A table as it is compared: columns by name, indexes by name, foreign keys in a stable order.
pub fn normalize_table(table: &Table, dialect: &dyn Dialect) -> Table {
    let mut columns: Vec<Column> = table
        .columns
        .iter()
        .map(|c| normalize_column(table, c, dialect))
        .collect();
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    let mut indexes = table.indexes.to_vec();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut foreign_keys = table.foreign_keys.to_vec();
    foreign_keys.sort_by(|a, b| {
        (&a.columns, &a.references_table, &a.references_columns).cmp(&(
            &b.columns,
            &b.references_table,
            &b.references_columns,
        ))
    });
    Table {
        name: table.name.clone(),
        columns: columns.into(),
        primary_key: table.primary_key.clone(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
        renamed_from: None,
    }
}

/// Every table of a schema, normalised.
pub fn normalize_schema(schema: &Schema, dialect: &dyn Dialect) -> Schema {
    Schema::new(
        schema
            .tables
            .iter()
            .map(|t| normalize_table(t, dialect))
            .collect(),
    )
}

/// A short, stable hash of a schema's normalised form: equal for schemas that compare equal.
pub fn fingerprint(schema: &Schema, dialect: &dyn Dialect) -> String {
    use sha2::{Digest, Sha256};
    let normalized = normalize_schema(schema, dialect);
    let json = serde_json::to_vec(&normalized).unwrap_or_default();
    let digest = Sha256::digest(json);
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::sqlite::Sqlite;
    use crate::model::ColumnType;
    use crate::model::{AppDefault, DefaultValue, Name};
    use std::borrow::Cow;

    #[test]
    fn declaration_and_database_spellings_normalise_equal() {
        let mut declared = Table::new("t");
        let mut created = Column::new("created_at", ColumnType::Timestamp);
        created.app_default = Some(AppDefault::Now);
        declared.columns = Cow::Owned(vec![
            Column::new("id", ColumnType::BigInt),
            Column::new("enabled", ColumnType::Bool).default(DefaultValue::Bool(true)),
            created,
        ]);
        declared.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);

        let mut live = Table::new("t");
        live.columns = Cow::Owned(vec![
            Column::new("created_at", ColumnType::Integer),
            Column::new("id", ColumnType::Integer),
            Column::new("enabled", ColumnType::Integer)
                .default(DefaultValue::Expression("(1)".into())),
        ]);
        live.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);

        assert_eq!(
            normalize_table(&declared, &Sqlite),
            normalize_table(&live, &Sqlite)
        );
    }
}
