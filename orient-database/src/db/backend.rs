//! The one connection type every public signature takes.
//!
//! Services, the schema engine, the seeder and the code `#[derive(Table)]` generates all name
//! [`DbConnection`], never an engine's own connection type, so choosing the engine is decided here and
//! nowhere else. Today it is SQLite's connection; a build with a second engine turns it into an enum
//! over both (Diesel's `MultiConnection`), and everything written against the alias keeps compiling.

/// The connection type of the database this build talks to.
pub type DbConnection = diesel::SqliteConnection;

/// Whether `error` means another connection held the database's lock for the whole wait, on the engine
/// of this build.
pub fn is_locked(error: &diesel::result::Error) -> bool {
    <DbConnection as crate::engine::EngineConnection>::is_locked(error)
}
