//! SQLite: everything the engine does that is true of SQLite only.
//!
//! - this file: the [`Dialect`] (storage types, default spelling, identifier quoting, DDL);
//! - [`rebuild`]: the table rebuild, SQLite's way of making what `ALTER TABLE` cannot (the [`Planner`]);
//! - [`introspect`]: reading a live database into the model (`sqlite_schema` and the pragmas);
//! - [`engine`]: the schema engine's work through a connection (counts, foreign keys, transactions);
//! - [`connection`]: opening a file safely, with the same pragmas on every connection; [`read_only`]:
//!   opening one without writing anything; [`files`]: the real file and the `-wal`/`-shm` beside it;
//!   [`storage`]: SQLite's storage failures explained, and whether a database can be written;
//! - [`ledger`] and [`lock`]: Diesel's migration ledger with our checksums, and the cross-process
//!   migration lock file;
//! - [`busy`]: recognising "database is locked";
//! - `testing` (feature `testing`): per-test databases copied from a checkpointed template;
//! - `text`: reading text values without copying them (for JSON and the text enums);
//! - operations (`orient-db doctor`, `backup`, `restore`): [`backup`], [`content`] (the content
//!   checksum's rows), [`doctor`], [`inspect`], [`wal`], [`schema_copy`] and
//!   [`compile_options`].
//!
//! [`Planner`]: crate::plan::Planner

pub mod backup;
pub mod busy;
pub mod compile_options;
pub mod connection;
pub mod content;
pub mod default_sql;
pub mod doctor;
pub mod engine;
pub mod files;
pub mod inspect;
pub mod introspect;
pub mod ledger;
pub mod lint;
pub mod lock;
pub mod read_only;
pub mod rebuild;
mod render;
pub mod schema_copy;
pub mod storage;
#[cfg(feature = "studio")]
pub mod studio;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
pub mod transfer;
pub mod wal;

use crate::migrations::replay::{Scratch, replay};
use crate::migrations::{Error, Migration};
use crate::model::{
    Column, ColumnType, DefaultValue, ForeignKey, Index, Introspection, Name, Table,
};
use crate::sql::{ColumnAlteration, Dialect};

/// An empty in-memory database, configured like every connection: where SQLite migrations are
/// replayed.
pub fn scratch_connection() -> Result<diesel::SqliteConnection, Error> {
    connection::in_memory().map_err(|e| {
        Error::Replay(Box::new(Error::BadMigration {
            name: ":memory:".to_owned(),
            reason: e.to_string(),
        }))
    })
}

/// [`scratch_connection`] as a [`Scratch`] to replay in (nothing to remove afterwards).
pub fn scratch() -> Result<Scratch, Error> {
    Ok(Scratch::new(crate::db::backend::from_sqlite(
        scratch_connection()?,
    )))
}

/// The schema SQLite migrations produce, replayed in memory.
pub fn replay_migrations(migrations: &[Migration]) -> Result<Introspection, Error> {
    replay(scratch()?, migrations)
}

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

    fn loss_guard(&self, count_sql: &str, refusal: &str) -> String {
        // SQLite has no RAISE outside triggers: a CHECK constraint named after the refusal fails
        // ("CHECK constraint failed: <refusal>") when the count is not 0. A temporary table, so the
        // database's schema never sees it; dropped again at once (and rolled back with a failure).
        let table = render::quote_ident("orient_loss_guard");
        format!(
            "CREATE TEMP TABLE {table} (n INTEGER CONSTRAINT {} CHECK (n = 0));\n\
             INSERT INTO {table} (n) SELECT n FROM ({count_sql});\n\
             DROP TABLE {table};",
            render::quote_ident(refusal)
        )
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

    fn add_column(&self, table: &str, column: &Column) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {};",
            render::quote_ident(table),
            render::column_definition(None, column)
        )
    }

    fn column_definition(&self, table: &Table, column: &Column) -> String {
        render::column_definition(Some(table), column)
    }

    fn foreign_key_clause(&self, fk: &ForeignKey) -> String {
        render::foreign_key_clause(fk)
    }

    fn never_null(&self, table: &Table, column: &Column) -> bool {
        // A rowid alias (the one INTEGER primary key column) can never hold NULL, whether or not
        // `NOT NULL` was written. Other primary keys can, in SQLite.
        table.primary_key.len() == 1
            && table.primary_key[0] == column.name
            && self.canonical_type(column.ty) == ColumnType::Integer
    }

    fn cast(&self, expression: &str, _from: ColumnType, to: ColumnType) -> String {
        // SQLite's CAST never fails: what does not convert becomes 0 (or a prefix of it).
        format!(
            "CAST({expression} AS {})",
            self.storage_type(to).to_ascii_uppercase()
        )
    }

    fn lossy_conversion(
        &self,
        column: &str,
        _from: ColumnType,
        target: ColumnType,
    ) -> Option<String> {
        // A value survives a conversion when its storage class (`typeof`) already fits the target's
        // affinity: integers fit a REAL column, NULL fits everything, anything fits a blob.
        let fitting: &[&str] = match self.canonical_type(target) {
            ColumnType::Binary => return None,
            ColumnType::Text => &["text", "integer", "real", "null"],
            ColumnType::Double => &["real", "integer", "null"],
            ColumnType::Numeric => &["integer", "real", "null"],
            _ => &["integer", "null"],
        };
        let list = fitting
            .iter()
            .map(|t| render::quote_text(t))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!("typeof({column}) NOT IN ({list})"))
    }

    fn delete_duplicates(&self, table: &str, columns: &[&str], _key: &[&str]) -> String {
        // The first row of a group is the one with the lowest rowid, the oldest insert.
        let q = render::quote_ident;
        let list = columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
        let not_null = columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", q(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        format!(
            "DELETE FROM {t} WHERE {not_null} AND rowid NOT IN (SELECT min(rowid) FROM {t} WHERE {not_null} GROUP BY {list});",
            t = q(table)
        )
    }

    // SQLite's ALTER TABLE can only rename, add and drop columns: the statements below are standard SQL
    // that it rejects. Its planner never asks for them (`requires_rebuild` routes every such change to a
    // table rebuild); they exist so engine-neutral code can be written once.

    fn alter_column(&self, table: &str, column: &str, alteration: &ColumnAlteration) -> String {
        let action = match alteration {
            ColumnAlteration::Type { to, .. } => format!("TYPE {}", self.storage_type(*to)),
            ColumnAlteration::SetDefault { default, .. } => {
                format!("SET DEFAULT {}", render::default_value(default))
            }
            ColumnAlteration::DropDefault => "DROP DEFAULT".to_owned(),
            ColumnAlteration::SetNotNull => "SET NOT NULL".to_owned(),
            ColumnAlteration::DropNotNull => "DROP NOT NULL".to_owned(),
            ColumnAlteration::AddIdentity => "ADD GENERATED BY DEFAULT AS IDENTITY".to_owned(),
            ColumnAlteration::DropIdentity => "DROP IDENTITY".to_owned(),
        };
        format!(
            "ALTER TABLE {} ALTER COLUMN {} {action};",
            render::quote_ident(table),
            render::quote_ident(column)
        )
    }

    fn sync_identity(&self, table: &str, column: &str) -> String {
        // AUTOINCREMENT hands out max(rowid, sqlite_sequence.seq) + 1 already; raising the recorded
        // high-water mark to the largest id present is the equivalent.
        let max = format!(
            "(SELECT max({}) FROM {})",
            render::quote_ident(column),
            render::quote_ident(table)
        );
        format!(
            "UPDATE \"sqlite_sequence\" SET \"seq\" = {max} WHERE \"name\" = {} AND \"seq\" < {max};",
            render::quote_text(table)
        )
    }

    fn primary_key_name(&self, table: &str) -> String {
        format!("{table}_pkey")
    }

    fn foreign_key_name(&self, table: &str, fk: &ForeignKey) -> String {
        format!("{table}_{}_fkey", fk.columns.join("_"))
    }

    fn add_primary_key(&self, table: &str, columns: &[Name]) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});",
            render::quote_ident(table),
            render::quote_ident(&self.primary_key_name(table)),
            columns
                .iter()
                .map(|c| render::quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn add_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            render::quote_ident(table),
            render::quote_ident(&self.foreign_key_name(table, fk)),
            render::foreign_key_clause(fk)
        )
    }

    fn drop_constraint(&self, table: &str, name: &str) -> String {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            render::quote_ident(table),
            render::quote_ident(name)
        )
    }

    fn rename_constraint(&self, table: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
            render::quote_ident(table),
            render::quote_ident(from),
            render::quote_ident(to)
        )
    }
}
