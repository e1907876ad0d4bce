//! PostgreSQL: everything the schema engine does that is true of PostgreSQL only.
//!
//! The pure parts (the dialect, the planner, rendering, conversions, default spelling) are always
//! compiled, so a SQLite-only build still writes `migrations/postgres/` (`orient-db generate`) and
//! reads it (`check`'s static parity checks); what talks to a server through libpq (`connection`,
//! `engine`, `introspect`, `ledger`, `text`) needs the cargo feature `postgres`.
//!
//! - this file: the [`Dialect`]: exact integer widths (`i32` integer, `i64` and Unix-seconds timestamps
//!   bigint), boolean, text for JSON and enums, identity ids, named constraints;
//! - [`backup`]: `pg_dump` in an exported snapshot with its content checksum, and `pg_restore`
//!   through `psql` in one transaction (`orient-db backup`/`restore`, automatic snapshots);
//! - [`tools`]: finding `pg_dump`, `pg_restore` and `psql`, and running them without the password in
//!   their arguments;
//! - [`connection`]: connecting to a server, with errors that name it;
//! - [`content`]: reading every row for the content checksum, in byte order;
//! - [`copy`]: `insert_all` through `COPY … FROM STDIN`;
//! - [`database`]: creating a database beside the configured one (`worktree --isolated`);
//! - [`doctor`]: `orient-db doctor`'s checks of the server's own views (locks, sessions, slots,
//!   validity, amcheck, settings);
//! - [`convert`]: converting values between types in `ALTER COLUMN … TYPE … USING`, and counting the
//!   values a conversion would lose;
//! - [`planner`]: the [`Planner`]: every change is made in place by `ALTER TABLE` (nothing is rebuilt),
//!   and each step names the table locks it takes;
//! - [`introspect`]: reading a live database (`pg_catalog`, in `current_schema()`) into the model;
//! - [`engine`]: the schema engine's work through a `PgConnection`;
//! - [`ledger`]: Diesel's migration ledger with our checksums, and the advisory migration lock;
//! - [`replica`]: WAL positions for read-your-writes routing to read replicas (a commit's position
//!   on the primary, a standby's replay position and lag);
//! - [`studio`]: the studio's values, parameters and read-only sessions (feature `studio`);
//! - [`testing`]: per-test databases (feature `testing`): `CREATE DATABASE … TEMPLATE …`;
//! - `text`: reading text values without copying them (for JSON and the text enums);
//! - [`transfer`]: `orient-db transfer`'s reading and writing of rows, and the identity sequences.
//!
//! Constraint names follow PostgreSQL's own naming of unnamed constraints (`<table>_pkey`,
//! `<table>_<columns>_fkey`), written explicitly by the renderer and kept up to date when a table or a
//! column is renamed, so a key can always be dropped by the name derived from the schema.
//!
//! [`Planner`]: crate::plan::Planner

#[cfg(feature = "postgres")]
pub mod backup;
#[cfg(feature = "postgres")]
pub mod connection;
#[cfg(feature = "postgres")]
pub mod content;
pub mod convert;
#[cfg(feature = "postgres")]
pub mod copy;
#[cfg(feature = "postgres")]
pub mod database;
pub mod default_sql;
#[cfg(feature = "postgres")]
pub mod doctor;
#[cfg(feature = "postgres")]
pub mod engine;
#[cfg(feature = "postgres")]
pub mod introspect;
#[cfg(feature = "postgres")]
pub mod ledger;
pub mod lint;
pub mod planner;
mod render;
#[cfg(feature = "postgres")]
pub mod replica;
#[cfg(all(feature = "postgres", feature = "studio"))]
pub mod studio;
#[cfg(all(feature = "postgres", feature = "testing"))]
pub mod testing;
#[cfg(feature = "postgres")]
mod text;
#[cfg(feature = "postgres")]
pub mod tools;
#[cfg(feature = "postgres")]
pub mod transfer;
pub mod written_type;

use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Name, Table};
use crate::sql::{ColumnAlteration, Dialect};

/// PostgreSQL (14 and later).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn storage_type(&self, ty: ColumnType) -> &'static str {
        match self.canonical_type(ty) {
            ColumnType::Integer => "integer",
            ColumnType::BigInt => "bigint",
            ColumnType::Bool => "boolean",
            ColumnType::Double => "double precision",
            ColumnType::Binary => "bytea",
            ColumnType::Numeric => "numeric",
            _ => "text",
        }
    }

    fn canonical_type(&self, ty: ColumnType) -> ColumnType {
        // Exact widths: Diesel decodes an int8 column into an `i32` field as an error, so an integer
        // column where the struct says `i64` is drift here, unlike in SQLite.
        match ty {
            ColumnType::BigInt | ColumnType::Timestamp => ColumnType::BigInt,
            ColumnType::Text | ColumnType::Json => ColumnType::Text,
            other => other,
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
        // `'%'` as the format: the refusal is a parameter, so a `%` in it is not a placeholder.
        format!(
            "DO $orient_guard$ BEGIN\n  IF (SELECT n FROM ({count_sql}) AS counted) > 0 THEN\n    \
             RAISE EXCEPTION '%', {};\n  END IF;\nEND $orient_guard$;",
            render::quote_text(refusal)
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
            render::column_definition(column)
        )
    }

    fn column_definition(&self, _table: &Table, column: &Column) -> String {
        render::column_definition(column)
    }

    fn foreign_key_clause(&self, fk: &ForeignKey) -> String {
        render::foreign_key_clause(fk)
    }

    fn never_null(&self, table: &Table, column: &Column) -> bool {
        // PostgreSQL makes every primary-key column NOT NULL.
        table.is_primary_key(&column.name)
    }

    fn cast(&self, expression: &str, from: ColumnType, to: ColumnType) -> String {
        convert::lenient(
            expression,
            self.canonical_type(from),
            self.canonical_type(to),
        )
    }

    fn lossy_conversion(&self, column: &str, from: ColumnType, to: ColumnType) -> Option<String> {
        convert::lossy(column, self.canonical_type(from), self.canonical_type(to))
    }

    fn delete_duplicates(&self, table: &str, columns: &[&str], key: &[&str]) -> String {
        // No rowid: number the rows of each group, oldest first (lowest primary key; without one, the
        // physical order, `ctid`), and delete all but the first by their `ctid`.
        let q = render::quote_ident;
        let list = columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
        let order = if key.is_empty() {
            "ctid".to_owned()
        } else {
            key.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        };
        let not_null = columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", q(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        format!(
            "DELETE FROM {t} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER \
             (PARTITION BY {list} ORDER BY {order}) AS n FROM {t} WHERE {not_null}) AS d WHERE n > 1);",
            t = q(table)
        )
    }

    fn alter_column(&self, table: &str, column: &str, alteration: &ColumnAlteration) -> String {
        let c = render::quote_ident(column);
        let action = match alteration {
            ColumnAlteration::Type { from, to, lenient } => {
                let (from, to) = (self.canonical_type(*from), self.canonical_type(*to));
                let using = if *lenient {
                    convert::lenient(&c, from, to)
                } else {
                    convert::strict(&c, from, to)
                };
                format!("TYPE {} USING {using}", self.storage_type(to))
            }
            ColumnAlteration::SetDefault { default, ty } => {
                format!("SET DEFAULT {}", render::default_for(*ty, default))
            }
            ColumnAlteration::DropDefault => "DROP DEFAULT".to_owned(),
            ColumnAlteration::SetNotNull => "SET NOT NULL".to_owned(),
            ColumnAlteration::DropNotNull => "DROP NOT NULL".to_owned(),
            ColumnAlteration::AddIdentity => "ADD GENERATED BY DEFAULT AS IDENTITY".to_owned(),
            ColumnAlteration::DropIdentity => "DROP IDENTITY".to_owned(),
        };
        format!(
            "ALTER TABLE {} ALTER COLUMN {c} {action};",
            render::quote_ident(table)
        )
    }

    fn sync_identity(&self, table: &str, column: &str) -> String {
        // A new identity starts at 1 whatever ids the rows hold. `pg_get_serial_sequence` parses its
        // first argument as SQL (quoted identifier) and takes the second literally.
        let t = render::quote_ident(table);
        let c = render::quote_ident(column);
        format!(
            "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({c}), 0) + 1, false) FROM {t};",
            render::quote_text(&t),
            render::quote_text(column)
        )
    }

    fn primary_key_name(&self, table: &str) -> String {
        render::primary_key_name(table)
    }

    fn foreign_key_name(&self, table: &str, fk: &ForeignKey) -> String {
        render::foreign_key_name(table, fk)
    }

    fn add_primary_key(&self, table: &str, columns: &[Name]) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});",
            render::quote_ident(table),
            render::quote_ident(&render::primary_key_name(table)),
            render::quote_list(columns)
        )
    }

    fn add_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            render::quote_ident(table),
            render::quote_ident(&render::foreign_key_name(table, fk)),
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
