//! The one schema model every tool works on.
//!
//! Three producers build it: `#[derive(Table)]` (a `const` per table, see [`TableModel`]), the SQLite
//! introspector (a live database, see [`crate::dialect::sqlite::introspect`]) and replaying the
//! migrations into an in-memory database (which is introspection again). Every consumer (the renderer,
//! the normaliser, `diff`, `check`, the studio) reads the same types.
//!
//! The model speaks no SQL dialect: a column has a logical [`ColumnType`] (`Timestamp`, `Bool`, `Json`…)
//! and each dialect decides how it is stored. Names are `Cow<'static, str>` so that the derive can build a
//! table in a `const` (borrowed) and introspection can build one at run time (owned) with the same type.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// An identifier or text held by the model: borrowed in `const` declarations, owned when read from a database.
pub type Name = Cow<'static, str>;

/// Logical column types. Each dialect maps them to a storage type; see
/// [`Dialect::storage_type`](crate::sql::Dialect::storage_type).
///
/// The set is what Diesel's `MultiConnection` can carry to both SQLite and PostgreSQL, so the same structs
/// can later serve PostgreSQL: timestamps are Unix seconds in a `BigInt`, JSON is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// 32-bit integer (Diesel `Integer`).
    Integer,
    /// 64-bit integer (Diesel `BigInt`), also every autoincrement id.
    BigInt,
    /// Boolean (Diesel `Bool`); SQLite stores 0/1 in an INTEGER column.
    Bool,
    /// Text (Diesel `Text`).
    Text,
    /// 64-bit float (Diesel `Double`).
    Double,
    /// Bytes (Diesel `Binary`).
    Binary,
    /// A point in time as Unix seconds (Diesel `BigInt`, Rust [`Timestamp`](crate::types::Timestamp)).
    Timestamp,
    /// A JSON document stored as text (Diesel `Text`, Rust [`Json`](crate::types::Json)).
    Json,
    /// SQLite's NUMERIC affinity: only ever produced by introspecting a column declared outside our types
    /// (e.g. `numeric`, `decimal(10,2)`, `boolean` written by hand).
    Numeric,
}

impl ColumnType {
    /// The lower-case name used in messages and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::BigInt => "bigint",
            ColumnType::Bool => "bool",
            ColumnType::Text => "text",
            ColumnType::Double => "double",
            ColumnType::Binary => "binary",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Json => "json",
            ColumnType::Numeric => "numeric",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SQL `DEFAULT` clause, as a value rather than as text, so that `DEFAULT true`, `DEFAULT 1` and
/// `DEFAULT (1)` can be recognised as the same default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DefaultValue {
    /// `DEFAULT NULL`.
    Null,
    /// `DEFAULT true` / `DEFAULT false`.
    Bool(bool),
    /// An integer literal.
    Integer(i64),
    /// A floating-point literal, kept as written (`f64` is not `Eq`); compared numerically by the normaliser.
    Real(Name),
    /// A string literal, unquoted (`'cheap'` is `Text("cheap")`).
    Text(Name),
    /// Anything else, verbatim: `CURRENT_TIMESTAMP`, `(unixepoch())`, a blob literal…
    Expression(Name),
}

/// SQL-like text for messages (`'cheap'`, `true`, `0`); each dialect renders its own DDL.
impl fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::Null => f.write_str("NULL"),
            DefaultValue::Bool(b) => write!(f, "{b}"),
            DefaultValue::Integer(n) => write!(f, "{n}"),
            DefaultValue::Real(text) | DefaultValue::Expression(text) => f.write_str(text),
            DefaultValue::Text(text) => write!(f, "'{}'", text.replace('\'', "''")),
        }
    }
}

/// A default the application fills in on insert, with no SQL `DEFAULT` in the DDL (the original Orient's
/// `$defaultFn(() => new Date())`). It is part of the declared model but invisible in a database, so it
/// never counts as drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppDefault {
    /// The current time, filled by the generated insert struct's constructor.
    Now,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Column {
    pub name: Name,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub nullable: bool,
    /// `INTEGER PRIMARY KEY AUTOINCREMENT`: ids are never reused, even after the highest row is deleted.
    pub autoincrement: bool,
    pub default: Option<DefaultValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_default: Option<AppDefault>,
    /// The name this column had before, declared with `#[orient(renamed_from = "…")]`. Renames are never
    /// guessed: without this, a changed name is a dropped column and a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<Name>,
}

impl Column {
    /// A nullable column without default, for building models by hand (tests, introspection).
    pub fn new(name: impl Into<Name>, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            autoincrement: false,
            default: None,
            app_default: None,
            renamed_from: None,
        }
    }

    pub fn not_null(mut self) -> Column {
        self.nullable = false;
        self
    }

    pub fn default(mut self, value: DefaultValue) -> Column {
        self.default = Some(value);
        self
    }
}

/// An index, named as it is in the database. A column declared `UNIQUE` inline and a single-column
/// unique index are the same constraint; see [`IndexOrigin`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Index {
    pub name: Name,
    pub columns: Cow<'static, [Name]>,
    pub unique: bool,
    pub origin: IndexOrigin,
}

impl Index {
    pub fn new(name: impl Into<Name>, columns: &[&str], unique: bool) -> Index {
        Index {
            name: name.into(),
            columns: columns
                .iter()
                .map(|c| Name::Owned((*c).to_owned()))
                .collect(),
            unique,
            origin: IndexOrigin::CreateIndex,
        }
    }
}

/// Where an index comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexOrigin {
    /// `CREATE [UNIQUE] INDEX name ON …`: what we declare and generate.
    CreateIndex,
    /// A `UNIQUE` constraint written inside `CREATE TABLE`; SQLite names it `sqlite_autoindex_<table>_N`.
    /// It matches a declared unique index on the same columns, whatever that index is called.
    UniqueConstraint,
}

/// What a foreign key does when the referenced row is deleted or its key updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// The SQL spelling, e.g. `SET NULL`.
    pub fn as_sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// Reads the spelling SQLite reports in `pragma_foreign_key_list` (any case, any spacing).
    pub fn from_sql(text: &str) -> Option<FkAction> {
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        match words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["NO", "ACTION"] | [] => Some(FkAction::NoAction),
            ["RESTRICT"] => Some(FkAction::Restrict),
            ["CASCADE"] => Some(FkAction::Cascade),
            ["SET", "NULL"] => Some(FkAction::SetNull),
            ["SET", "DEFAULT"] => Some(FkAction::SetDefault),
            _ => None,
        }
    }
}

/// A foreign key from `columns` of the owning table to `references_columns` of `references_table`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ForeignKey {
    pub columns: Cow<'static, [Name]>,
    pub references_table: Name,
    pub references_columns: Cow<'static, [Name]>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Table {
    pub name: Name,
    /// In declaration order. Physical order is not drift: the normaliser compares columns by name.
    pub columns: Cow<'static, [Column]>,
    /// Primary-key column names, in key order. Empty only for introspected tables without a key.
    pub primary_key: Cow<'static, [Name]>,
    pub indexes: Cow<'static, [Index]>,
    pub foreign_keys: Cow<'static, [ForeignKey]>,
    /// The name this table had before (`#[orient(renamed_from = "…")]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<Name>,
}

impl Table {
    pub fn new(name: impl Into<Name>) -> Table {
        Table {
            name: name.into(),
            columns: Cow::Owned(Vec::new()),
            primary_key: Cow::Owned(Vec::new()),
            indexes: Cow::Owned(Vec::new()),
            foreign_keys: Cow::Owned(Vec::new()),
            renamed_from: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub fn is_primary_key(&self, column: &str) -> bool {
        self.primary_key.iter().any(|c| c == column)
    }

    /// This table without one column (and without the indexes and foreign keys that use it).
    pub fn without_column(&self, column: &str) -> Table {
        let mut table = self.clone();
        table.columns.to_mut().retain(|c| c.name != column);
        table.primary_key.to_mut().retain(|c| c != column);
        table
            .indexes
            .to_mut()
            .retain(|i| !i.columns.iter().any(|c| c == column));
        table
            .foreign_keys
            .to_mut()
            .retain(|f| !f.columns.iter().any(|c| c == column));
        table
    }
}

/// A whole database schema: a set of tables, kept sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
}

impl Schema {
    pub fn new(mut tables: Vec<Table>) -> Schema {
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Schema { tables }
    }

    /// The schema a list of declared tables describes (e.g. [`crate::schema::TABLES`]).
    pub fn from_declared(tables: &[&Table]) -> Schema {
        Schema::new(tables.iter().map(|t| (*t).clone()).collect())
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn table_names(&self) -> Vec<&str> {
        self.tables.iter().map(|t| t.name.as_ref()).collect()
    }

    pub fn index_count(&self) -> usize {
        self.tables.iter().map(|t| t.indexes.len()).sum()
    }

    pub fn foreign_key_count(&self) -> usize {
        self.tables.iter().map(|t| t.foreign_keys.len()).sum()
    }
}

/// Implemented by `#[derive(Table)]` for the struct and for its Diesel `table` type, so generic code (the
/// registry, foreign keys of other tables, the studio) can reach a table's model from either.
pub trait TableModel {
    /// The SQL table name.
    const NAME: &'static str;
    /// The declared model of the table.
    const TABLE: Table;
}

/// What introspecting a live database found: the schema in the model, and what the model cannot
/// express. Every engine's introspector produces this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// The application tables, in the model.
    pub schema: Schema,
    /// Objects present in the database that the model does not describe.
    pub unmodelled: Vec<UnmodelledObject>,
}

/// A database object outside the model (a view, a trigger, a virtual table…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmodelledObject {
    /// `view`, `trigger`, `virtual table`, `shadow table` (SQLite); other engines add their own kinds.
    pub kind: String,
    pub name: String,
    /// The table it belongs to (for triggers), else its own name.
    pub table: String,
    /// Its `CREATE` statement, used to recreate triggers after a table rebuild.
    pub sql: Option<String>,
}
