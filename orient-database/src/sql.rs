//! The [`Dialect`] trait: how one database engine writes the model as SQL.
//!
//! The schema model ([`crate::model`]) knows no SQL. A dialect says how a logical type is stored, how a
//! default is written, how identifiers are quoted and how each DDL statement reads: pure functions, used
//! to compare ([`crate::normalize`], [`crate::diff`]) and to render ([`crate::plan`], `generate`). Each
//! engine implements it under `dialect/<engine>/`, with the engine's other traits.

use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Table};

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

    /// Writes a default value as SQL.
    fn render_default(&self, default: &DefaultValue) -> String;

    /// `CREATE TABLE` for a table (without its indexes).
    fn create_table(&self, table: &Table) -> String;

    /// `CREATE TABLE` under another name, used by the table rebuild (create new, copy, drop, rename).
    fn create_table_named(&self, table: &Table, name: &str) -> String;

    /// `CREATE [UNIQUE] INDEX`.
    fn create_index(&self, table: &str, index: &Index) -> String;

    fn drop_index(&self, index: &str) -> String;

    fn drop_table(&self, table: &str) -> String;

    fn rename_table(&self, from: &str, to: &str) -> String;

    /// `ALTER TABLE … ADD COLUMN`.
    fn add_column(&self, table: &str, column: &Column) -> String;

    fn drop_column(&self, table: &str, column: &str) -> String;

    fn rename_column(&self, table: &str, from: &str, to: &str) -> String;

    /// The column definition inside `CREATE TABLE` (`"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL`).
    fn column_definition(&self, table: &Table, column: &Column) -> String;

    /// The `FOREIGN KEY (…) REFERENCES …` clause.
    fn foreign_key_clause(&self, fk: &ForeignKey) -> String;

    /// Whether `column` of `table` can never hold NULL whatever its declaration says (a primary key
    /// the engine makes NOT NULL), so that a missing `NOT NULL` on it is no difference.
    fn never_null(&self, table: &Table, column: &Column) -> bool;

    /// `expression` converted to `ty` (`CAST(x AS INTEGER)`).
    fn cast(&self, expression: &str, ty: ColumnType) -> String;

    /// The condition of rows whose value in `column` (an already quoted expression) would change when
    /// converted to `target`; `None` when every value fits. Counts what a narrowing loses.
    fn lossy_conversion(&self, column: &str, target: ColumnType) -> Option<String>;

    /// A statement deleting all but the first row (in insertion order) of each group of rows of `table`
    /// equal on `columns`; rows with a NULL among them stay (NULLs never collide in a UNIQUE index).
    fn delete_duplicates(&self, table: &str, columns: &[&str]) -> String;
}
