//! What the schema engine does through a live connection, for each database engine.
//!
//! The generic steps (`push`, [`crate::assess::measure`], [`crate::apply`], the migrator's adoption)
//! say *what* to do; an [`EngineConnection`] says how its engine does it: reading the schema into the
//! model, counting rows, switching foreign-key enforcement off around a table rebuild, listing rows that
//! reference nothing, and opening a write transaction the engine's way. SQLite's implementation lives in
//! `dialect/sqlite/engine.rs`; every public function of the engine takes [`crate::db::backend::DbConnection`],
//! which implements this trait.

use diesel::QueryResult;
use serde::Serialize;

use crate::model::Introspection;
use crate::plan::Planner;

/// A row that references nothing, as the engine's foreign-key check reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The table holding the row.
    pub table: String,
    /// The row's identity in that table, when the engine can name it (SQLite's rowid).
    pub rowid: Option<i64>,
    /// The table the row should reference.
    pub parent: String,
}

/// A connection that knows its engine. See the module documentation.
pub trait EngineConnection {
    /// How this engine spells, compares and plans the model.
    fn planner(&self) -> &'static dyn Planner;

    /// Whether `error`, raised by this engine, means another connection held the lock for the whole
    /// wait (SQLite's "database is locked").
    fn is_locked(error: &diesel::result::Error) -> bool
    where
        Self: Sized;

    /// Reads the live schema into the model; objects the model cannot express are listed apart.
    fn introspect(&mut self) -> QueryResult<Introspection>;

    /// A number that changes whenever the schema changes (SQLite's `PRAGMA schema_version`), so that a
    /// long-lived reader (the studio) knows when to introspect again.
    fn schema_version(&mut self) -> QueryResult<i64>;

    /// Runs a query of the form `SELECT … AS n` and returns `n`.
    fn count(&mut self, sql: &str) -> QueryResult<i64>;

    /// Runs one or more statements that return no rows.
    fn execute_sql(&mut self, sql: &str) -> QueryResult<()>;

    /// Whether the application table `name` exists.
    fn table_exists(&mut self, name: &str) -> QueryResult<bool>;

    /// Whether foreign keys are enforced on this connection now.
    fn foreign_keys_enforced(&mut self) -> QueryResult<bool>;

    /// Turns enforcement on or off for this connection. Engines that cannot switch it (or need not,
    /// because they never rebuild tables) leave it as it is; callers read it back.
    fn enforce_foreign_keys(&mut self, on: bool) -> QueryResult<()>;

    /// Rows that reference nothing, at most `limit` of them, and how many there are in all.
    fn foreign_key_violations(&mut self, limit: usize) -> QueryResult<(Vec<Violation>, usize)>;

    /// Records a push in [`crate::bookkeeping::PUSH_LOG`] (created if missing): the fingerprint of the
    /// schema the database was made to match, the changes (a JSON array) and how many statements ran.
    fn record_push(&mut self, fingerprint: &str, changes: &str, statements: i64)
    -> QueryResult<()>;

    /// Runs `f` in one write transaction, taking the engine's write lock up front where it has one
    /// (SQLite's `BEGIN IMMEDIATE`), so the transaction never fails halfway on a lock.
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;

    /// Runs `f` in one read transaction: one consistent view, nothing written, no write lock taken.
    fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;
}
