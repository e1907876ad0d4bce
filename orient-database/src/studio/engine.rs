//! What the studio asks of the database engine: how its SQL reads and compares any column, which
//! implicit row identity a table without a primary key has, and how a query's rows are decoded into
//! [`Value`]s. The pages, queries and edits are written once against these two traits; each engine
//! implements them under its own dialect directory (`dialect/sqlite/studio.rs`,
//! `dialect/postgres/studio.rs`), and the connection of a build with both engines hands each call to
//! the engine behind it.

use diesel::QueryResult;

use crate::model::ColumnType;
use crate::studio::value::Value;

/// The row identity of a table without a primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImplicitKey {
    /// What the page calls it (`rowid`, `ctid`).
    pub name: &'static str,
    /// The SQL that reads it, in the select list, comparisons and ORDER BY.
    pub expression: &'static str,
    /// The type its values are read back as.
    pub ty: ColumnType,
    /// Why rows of such a table cannot be edited through it, when they cannot (`None`: they can).
    pub read_only: Option<&'static str>,
}

/// How one engine's SQL says what the studio needs. Identifiers reaching these functions were found in
/// the live schema and are quoted already.
pub trait StudioDialect: std::fmt::Debug + Send + Sync {
    /// Quotes an identifier found in the live schema.
    fn quote_ident(&self, ident: &str) -> String;

    /// The expression reading the quoted column `quoted` of type `ty`, so that its values decode into
    /// [`Value`]s and compare with bound values (PostgreSQL reads types the model does not know as
    /// text).
    fn column_expression(&self, quoted: String, ty: ColumnType) -> String;

    /// A condition "`expression` contains the bound pattern" (a `LIKE` pattern with `\` as escape).
    fn contains(&self, expression: &str) -> String;

    /// The row identity of a table without a primary key.
    fn implicit_key(&self) -> ImplicitKey;

    /// A value read from input (parsed by the column's type) as the engine compares and stores it in a
    /// column of type `ty` (PostgreSQL's booleans are not integers).
    fn bind_value(&self, ty: ColumnType, value: Value) -> Value;

    /// Why a column of type `ty` cannot be written through the studio, if it cannot.
    fn unwritable(&self, ty: ColumnType) -> Option<&'static str>;

    /// Whether the engine fills the single-column primary key of type `ty` itself when an insert leaves
    /// it out, even without a default or an identity (SQLite's `INTEGER PRIMARY KEY`, the rowid).
    fn fills_key(&self, ty: ColumnType) -> bool;
}

/// A connection the studio can run its dynamic queries on.
pub trait StudioConnection {
    /// The dialect of the engine behind this connection.
    fn studio_dialect(&self) -> &'static dyn StudioDialect;

    /// Runs a query whose parameters are written `?` and returns each row as values in select order.
    fn load_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<Vec<Vec<Value>>>;

    /// Runs a statement whose parameters are written `?` and returns how many rows it changed.
    fn execute_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<usize>;
}

/// A build with both engines: each call goes to the engine behind the connection.
#[cfg(feature = "postgres")]
impl StudioConnection for crate::db::multi::DbConnection {
    fn studio_dialect(&self) -> &'static dyn StudioDialect {
        match self {
            Self::Sqlite(c) => c.studio_dialect(),
            Self::Postgres(c) => c.studio_dialect(),
        }
    }

    fn load_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<Vec<Vec<Value>>> {
        match self {
            Self::Sqlite(c) => c.load_values(sql, binds),
            Self::Postgres(c) => c.load_values(sql, binds),
        }
    }

    fn execute_values(&mut self, sql: &str, binds: &[Value]) -> QueryResult<usize> {
        match self {
            Self::Sqlite(c) => c.execute_values(sql, binds),
            Self::Postgres(c) => c.execute_values(sql, binds),
        }
    }
}
