//! The [`Dialect`] trait: how one database engine writes the model as SQL.
//!
//! The schema model ([`crate::model`]) knows no SQL. A dialect says how a logical type is stored, how a
//! default is written, how identifiers are quoted and how each DDL statement reads: pure functions, used
//! to compare ([`crate::normalize`], [`crate::diff`]) and to render ([`crate::plan`], `generate`). Each
//! engine implements it under `dialect/<engine>/`, with the engine's other traits.

use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Name, Table};

/// One change `ALTER TABLE … ALTER COLUMN` makes to a column in place, on engines that can (PostgreSQL).
/// SQLite's `ALTER TABLE` can make none of them: its planner rebuilds the table instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnAlteration {
    /// Converts the column's values from `from` to `to`. With `lenient`, a value that cannot be converted
    /// becomes the type's zero value instead of failing the statement (the data loss was accepted).
    Type {
        from: ColumnType,
        to: ColumnType,
        lenient: bool,
    },
    /// Sets the default of a column of type `ty` (PostgreSQL spells a boolean default `true`, never 1).
    SetDefault {
        default: DefaultValue,
        ty: ColumnType,
    },
    DropDefault,
    SetNotNull,
    DropNotNull,
    /// Makes the column an autoincrement id (PostgreSQL: an identity column).
    AddIdentity,
    DropIdentity,
}

/// How one SQL dialect stores and spells the model.
pub trait Dialect {
    /// A short name for messages (`sqlite`).
    fn name(&self) -> &'static str;

    /// The type the dialect writes in DDL for a logical type (`integer` for a SQLite `Bool`).
    fn storage_type(&self, ty: ColumnType) -> &'static str;

    /// The logical type two columns are compared by. Types stored the same way compare equal: in SQLite a
    /// `Bool`, a `Timestamp` and a `BigInt` are all INTEGER columns, and a live database cannot tell them apart.
    fn canonical_type(&self, ty: ColumnType) -> ColumnType;

    /// The value two defaults are compared by (`true` and `1` are the same default in SQLite).
    fn canonical_default(&self, default: &DefaultValue) -> Option<DefaultValue>;

    /// Quotes an identifier. Every identifier the renderer writes goes through here, never through `format!`.
    fn quote_ident(&self, ident: &str) -> String;

    /// Quotes a string literal (`'it''s'`).
    fn quote_text(&self, text: &str) -> String;

    /// SQL that fails with `refusal` in its error message when `count_sql` (`SELECT count(*) AS n …`)
    /// counts anything, and otherwise changes nothing: the guard a generated migration runs before a
    /// change that would lose what it counts.
    fn loss_guard(&self, count_sql: &str, refusal: &str) -> String;

    /// Writes a default value as SQL.
    fn render_default(&self, default: &DefaultValue) -> String;

    /// `CREATE TABLE` for a table (without its indexes).
    fn create_table(&self, table: &Table) -> String;

    /// `CREATE TABLE` under another name, used by the table rebuild (create new, copy, drop, rename).
    fn create_table_named(&self, table: &Table, name: &str) -> String;

    /// `CREATE [UNIQUE] INDEX`.
    fn create_index(&self, table: &str, index: &Index) -> String;

    // The statements below are written alike by both engines; a dialect overrides one only if its SQL
    // differs.

    fn drop_index(&self, index: &str) -> String {
        format!("DROP INDEX {};", self.quote_ident(index))
    }

    fn drop_table(&self, table: &str) -> String {
        format!("DROP TABLE {};", self.quote_ident(table))
    }

    fn rename_table(&self, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME TO {};",
            self.quote_ident(from),
            self.quote_ident(to)
        )
    }

    /// `ALTER TABLE … ADD COLUMN`.
    fn add_column(&self, table: &str, column: &Column) -> String;

    fn drop_column(&self, table: &str, column: &str) -> String {
        format!(
            "ALTER TABLE {} DROP COLUMN {};",
            self.quote_ident(table),
            self.quote_ident(column)
        )
    }

    fn rename_column(&self, table: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            self.quote_ident(table),
            self.quote_ident(from),
            self.quote_ident(to)
        )
    }

    /// The column definition inside `CREATE TABLE` (`"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL`).
    fn column_definition(&self, table: &Table, column: &Column) -> String;

    /// The `FOREIGN KEY (…) REFERENCES …` clause.
    fn foreign_key_clause(&self, fk: &ForeignKey) -> String;

    /// Whether `column` of `table` can never hold NULL whatever its declaration says (a primary key
    /// the engine makes NOT NULL), so that a missing `NOT NULL` on it is no difference.
    fn never_null(&self, table: &Table, column: &Column) -> bool;

    /// `expression`, of type `from`, converted to `to` the way a change whose data loss was accepted
    /// converts it (`CAST(x AS INTEGER)`). Never fails on a value: what cannot be converted takes a
    /// fallback value (SQLite's CAST gives 0; PostgreSQL's conversion the type's zero value).
    fn cast(&self, expression: &str, from: ColumnType, to: ColumnType) -> String;

    /// The condition of rows whose value in `column` (an already quoted expression, of type `from`) would
    /// change, or fail to convert, when converted to `to`; `None` when every value fits. Counts what a
    /// narrowing loses.
    fn lossy_conversion(&self, column: &str, from: ColumnType, to: ColumnType) -> Option<String>;

    /// A statement deleting all but the first row of each group of rows of `table` equal on `columns`;
    /// rows with a NULL among them stay (NULLs never collide in a UNIQUE index). The first row is the
    /// oldest: the lowest `key` (the table's primary key, possibly empty) on engines without a rowid,
    /// the lowest rowid on SQLite.
    fn delete_duplicates(&self, table: &str, columns: &[&str], key: &[&str]) -> String;

    /// `ALTER TABLE … ALTER COLUMN …` making one [`ColumnAlteration`].
    fn alter_column(&self, table: &str, column: &str, alteration: &ColumnAlteration) -> String;

    /// After [`ColumnAlteration::AddIdentity`] on a table holding rows: the statement that makes the
    /// next id higher than every id present.
    fn sync_identity(&self, table: &str, column: &str) -> String;

    /// The name of `table`'s primary-key constraint, which dropping the key needs.
    fn primary_key_name(&self, table: &str) -> String;

    /// The name of the foreign-key constraint `fk` of `table`, which dropping it needs.
    fn foreign_key_name(&self, table: &str, fk: &ForeignKey) -> String;

    /// `ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY`.
    fn add_primary_key(&self, table: &str, columns: &[Name]) -> String;

    /// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`.
    fn add_foreign_key(&self, table: &str, fk: &ForeignKey) -> String;

    /// `ALTER TABLE … DROP CONSTRAINT`.
    fn drop_constraint(&self, table: &str, name: &str) -> String;

    /// `ALTER TABLE … RENAME CONSTRAINT`.
    fn rename_constraint(&self, table: &str, from: &str, to: &str) -> String;
}
