//! The SQLite dialect: storage types, default spelling, identifier quoting and DDL.

pub mod backup;
pub mod compile_options;
pub mod content;
pub mod default_sql;
pub mod doctor;
pub mod files;
pub mod inspect;
pub mod introspect;
mod render;
pub mod schema_copy;
pub mod wal;

use crate::dialect::Dialect;
use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Table};

/// SQLite, as bundled by libsqlite3-sys.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn storage_type(&self, ty: ColumnType) -> &'static str {
        // Lower case, like the original's Drizzle migrations, so regenerated DDL reads the same.
        match self.canonical_type(ty) {
            ColumnType::Integer => "integer",
            ColumnType::Text => "text",
            ColumnType::Double => "real",
            ColumnType::Binary => "blob",
            _ => "numeric",
        }
    }

    fn canonical_type(&self, ty: ColumnType) -> ColumnType {
        // The five SQLite affinities. A declared `Bool` or `Timestamp` is an INTEGER column: that is exactly
        // what a live database reports for it, so comparing by anything finer would report false drift.
        match ty {
            ColumnType::Integer | ColumnType::BigInt | ColumnType::Bool | ColumnType::Timestamp => {
                ColumnType::Integer
            }
            ColumnType::Text | ColumnType::Json => ColumnType::Text,
            ColumnType::Double => ColumnType::Double,
            ColumnType::Binary => ColumnType::Binary,
            ColumnType::Numeric => ColumnType::Numeric,
        }
    }

    fn canonical_default(&self, default: &DefaultValue) -> Option<DefaultValue> {
        default_sql::canonical(default)
    }

    fn quote_ident(&self, ident: &str) -> String {
        render::quote_ident(ident)
    }

    fn quote_text(&self, text: &str) -> String {
        render::quote_text(text)
    }

    fn render_default(&self, default: &DefaultValue) -> String {
        render::default_value(default)
    }

    fn create_table(&self, table: &Table) -> String {
        render::create_table(table, &table.name)
    }

    fn create_table_named(&self, table: &Table, name: &str) -> String {
        render::create_table(table, name)
    }

    fn create_index(&self, table: &str, index: &Index) -> String {
        render::create_index(table, index)
    }

    fn drop_index(&self, index: &str) -> String {
        format!("DROP INDEX {};", render::quote_ident(index))
    }

    fn drop_table(&self, table: &str) -> String {
        format!("DROP TABLE {};", render::quote_ident(table))
    }

    fn rename_table(&self, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME TO {};",
            render::quote_ident(from),
            render::quote_ident(to)
        )
    }

    fn add_column(&self, table: &str, column: &Column) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {};",
            render::quote_ident(table),
            render::column_definition(None, column)
        )
    }

    fn drop_column(&self, table: &str, column: &str) -> String {
        format!(
            "ALTER TABLE {} DROP COLUMN {};",
            render::quote_ident(table),
            render::quote_ident(column)
        )
    }

    fn rename_column(&self, table: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            render::quote_ident(table),
            render::quote_ident(from),
            render::quote_ident(to)
        )
    }

    fn column_definition(&self, table: &Table, column: &Column) -> String {
        render::column_definition(Some(table), column)
    }

    fn foreign_key_clause(&self, fk: &ForeignKey) -> String {
        render::foreign_key_clause(fk)
    }
}
