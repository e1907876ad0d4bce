//! The schema a list of migrations produces, computed by applying them to a scratch database of their
//! engine (SQLite's is in memory: `dialect::sqlite::scratch`; PostgreSQL's a schema of its own on the
//! target server, dropped afterwards), so `check`, `generate` and adoption need no database file. This
//! is the one place migrations are replayed.

use crate::db::backend::DbConnection;
use crate::db::target::Target;
use crate::engine::EngineConnection;
use crate::migrations::backend::MigrationBackend;
use crate::migrations::{Error, Migration, runner};
use crate::model::Introspection;

fn replay_error(error: Error) -> Error {
    Error::Replay(Box::new(error))
}

/// An empty database to replay migrations in, removed (when it is more than an in-memory database)
/// when this is dropped.
pub struct Scratch {
    conn: DbConnection,
    cleanup: Option<String>,
}

impl Scratch {
    /// A database with nothing to remove afterwards (SQLite in memory).
    pub fn new(conn: DbConnection) -> Scratch {
        Scratch {
            conn,
            cleanup: None,
        }
    }

    /// A scratch database of `target`'s engine, next to it, opened through `conn` (a connection to it).
    pub fn of(conn: &mut DbConnection, target: &Target) -> Result<Scratch, Error> {
        let (conn, cleanup) = conn.scratch(target)?;
        Ok(Scratch { conn, cleanup })
    }

    /// The scratch database.
    pub fn connection(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(cleanup) = &self.cleanup
            && let Err(e) = self.conn.execute_sql(cleanup)
        {
            tracing::warn!(
                "could not remove a scratch schema ({cleanup}): {e}; drop it by hand, nothing else uses it"
            );
        }
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("cleanup", &self.cleanup)
            .finish_non_exhaustive()
    }
}

/// A scratch database that migrations are applied to one at a time.
pub struct Replay {
    scratch: Scratch,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Replay")
    }
}

impl Replay {
    /// Replays into `scratch`, an empty database of the migrations' engine.
    pub fn on(scratch: Scratch) -> Replay {
        Replay { scratch }
    }

    /// Applies one migration (and records it in the scratch ledger).
    pub fn apply(&mut self, migration: &Migration) -> Result<(), Error> {
        self.scratch.conn.ensure_ledger().map_err(replay_error)?;
        self.scratch.conn.apply_one(migration).map_err(replay_error)
    }

    /// Applies every migration of `migrations` not applied yet.
    pub fn apply_all(&mut self, migrations: &[Migration]) -> Result<(), Error> {
        runner::run_pending(&mut self.scratch.conn, migrations)
            .map(|_| ())
            .map_err(replay_error)
    }

    /// The scratch database, with what was applied to it (a dry run works on it).
    pub fn into_scratch(self) -> Scratch {
        self.scratch
    }

    /// The scratch database's schema now.
    pub fn schema(&mut self) -> Result<Introspection, Error> {
        self.scratch
            .conn
            .introspect()
            .map_err(|e| replay_error(Error::Introspect(e)))
    }
}

/// Applies `migrations` in order to `scratch` (an empty database) and reads its schema back.
pub fn replay(scratch: Scratch, migrations: &[Migration]) -> Result<Introspection, Error> {
    let mut replay = Replay::on(scratch);
    replay.apply_all(migrations)?;
    replay.schema()
}

/// The schemas after each prefix of `migrations`: element `k - 1` is the schema after the first `k`,
/// computed by applying them one by one to `scratch` (an empty database).
pub fn prefix_schemas(
    scratch: Scratch,
    migrations: &[Migration],
) -> Result<Vec<Introspection>, Error> {
    let mut replay = Replay::on(scratch);
    let mut schemas = Vec::with_capacity(migrations.len());
    for migration in migrations {
        replay.apply(migration)?;
        schemas.push(replay.schema()?);
    }
    Ok(schemas)
}
