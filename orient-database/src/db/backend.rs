//! The one connection type every public signature takes.
//!
//! Services, the schema engine, the seeder and the code `#[derive(Table)]` generates all name
//! [`DbConnection`], never an engine's own connection type, so choosing the engine is decided here and
//! nowhere else. A SQLite-only build uses SQLite's connection itself, which costs nothing per statement;
//! a build with the `postgres` feature uses an enum over both engines (`db/multi.rs`), and everything
//! written against the alias compiles unchanged.

/// The connection type of the database this build talks to.
#[cfg(not(feature = "postgres"))]
pub type DbConnection = diesel::SqliteConnection;

#[cfg(feature = "postgres")]
pub use crate::db::multi::DbConnection;

/// `conn` as the connection type of the build.
#[cfg(not(feature = "postgres"))]
pub fn from_sqlite(conn: diesel::SqliteConnection) -> DbConnection {
    conn
}

/// `conn` as the connection type of the build.
#[cfg(feature = "postgres")]
pub fn from_sqlite(conn: diesel::SqliteConnection) -> DbConnection {
    DbConnection::Sqlite(conn)
}

/// The SQLite connection inside `conn`, when it is one: for what only SQLite does (its backup API, its
/// file-level checks).
#[cfg(not(feature = "postgres"))]
pub fn as_sqlite(conn: &mut DbConnection) -> Option<&mut diesel::SqliteConnection> {
    Some(conn)
}

/// The SQLite connection inside `conn`, when it is one: for what only SQLite does (its backup API, its
/// file-level checks).
#[cfg(feature = "postgres")]
pub fn as_sqlite(conn: &mut DbConnection) -> Option<&mut diesel::SqliteConnection> {
    match conn {
        DbConnection::Sqlite(c) => Some(c),
        DbConnection::Postgres(_) => None,
    }
}

/// What a connection may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Any write fails (SQLite's `query_only`, PostgreSQL's read-only transactions), so a reader can
    /// never modify the database by mistake.
    ReadOnly,
}

/// Whether `error` means another connection held the database's lock for the whole wait, on the engine
/// of this build.
pub fn is_locked(error: &diesel::result::Error) -> bool {
    <DbConnection as crate::engine::EngineConnection>::is_locked(error)
}
