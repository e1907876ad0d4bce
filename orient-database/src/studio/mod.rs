//! `orient-db studio`: a local web page to look inside the database, secure by default.
//!
//! - [`server`]: the HTTP server (axum on tokio): binding, routes, handlers;
//! - [`security`]: the per-launch token and its cookie, the Host allow-list, the Origin and CSRF checks,
//!   the response headers; everything a request passes before it reaches a route;
//! - [`Studio`] (this file): the database side: read-only reader connections (SQLite's `query_only`,
//!   PostgreSQL's read-only sessions), an optional writer (`--write`), and the [`catalog`] of tables,
//!   read again when the engine's schema version changes;
//! - [`pages`]: what each page shows (tables, a table, a row, schema, diagram, migrations, seed data), as
//!   JSON (the diagram's SVG is drawn by [`crate::diagram::svg`]);
//! - [`query`]: keyset pagination, filters and references; [`write`]: edits, inserts and deletes;
//! - [`value`]: values of any column, and input checked against the declared types;
//! - [`engine`]: what the studio asks of the engine (its SQL, its row identity, decoding rows), done by
//!   `dialect/sqlite/studio.rs` and `dialect/postgres/studio.rs`;
//! - [`assets`]: the HTML, CSS and JavaScript, embedded in the binary.
//!
//! The studio holds no transaction between requests: each request takes a connection, reads (or writes)
//! in one short transaction and gives it back, so checkpoints are never held up and the WAL stays small
//! however long the page stays open.

pub mod assets;
pub mod catalog;
pub mod engine;
pub mod error;
pub mod pages;
pub mod query;
pub mod security;
pub mod seed;
pub mod server;
pub mod value;
pub mod write;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::backend::{Access, DbConnection};
use crate::db::target::Target;
use crate::engine::EngineConnection;
use crate::model::Schema;
use crate::schema::TABLES;
use crate::studio::catalog::Catalog;
use crate::studio::engine::StudioConnection;
pub use crate::studio::error::Error;

pub use server::{Options, Server};

/// Reader connections kept open between requests (more are opened when requests overlap).
const IDLE_READERS: usize = 4;

/// The database side of the studio.
pub struct Studio {
    target: Target,
    writable: bool,
    declared: Schema,
    readers: Mutex<Vec<DbConnection>>,
    writer: Mutex<Option<DbConnection>>,
    catalog: Mutex<Option<Arc<Catalog>>>,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio")
            .field("target", &self.target)
            .field("writable", &self.writable)
            .finish_non_exhaustive()
    }
}

impl Studio {
    /// Opens an existing SQLite database file (never creating one, never migrating it, never changing
    /// its journal mode). With `writable`, edits are allowed; otherwise every connection is `query_only`.
    pub fn open(path: &Path, writable: bool) -> Result<Studio, Error> {
        Studio::open_target(
            &Target::Sqlite {
                path: path.to_path_buf(),
            },
            writable,
        )
    }

    /// Opens an existing database on either engine, creating and migrating nothing. With `writable`,
    /// edits are allowed; otherwise every connection is read-only.
    pub fn open_target(target: &Target, writable: bool) -> Result<Studio, Error> {
        // Checks that the database exists (and, for a file, that it is SQLite), and opens the first
        // reader.
        let first = connect(target, Access::ReadOnly, true)?;
        let studio = Studio {
            target: target.clone(),
            writable,
            declared: Schema::from_declared(TABLES),
            readers: Mutex::new(vec![first]),
            writer: Mutex::new(None),
            catalog: Mutex::new(None),
        };
        // Read the schema once now, so a database that cannot be read fails at start, not on first use.
        studio.read(|_, _| Ok(()))?;
        Ok(studio)
    }

    /// The database: a file, or a server's database.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The database as the pages show it (a server's password hidden).
    pub fn location(&self) -> String {
        self.target.to_string()
    }

    pub fn writable(&self) -> bool {
        self.writable
    }

    /// Runs `f` in one read transaction on a `query_only` connection, with the catalog of the schema that
    /// transaction sees. The transaction ends before this returns.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut DbConnection, &Catalog) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut conn = match lock(&self.readers).pop() {
            Some(conn) => conn,
            None => connect(&self.target, Access::ReadOnly, false)?,
        };
        let result = conn.read_transaction(|conn| {
            let catalog = self.catalog(conn)?;
            f(conn, &catalog)
        });
        if result.is_ok() {
            let mut idle = lock(&self.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
        result
    }

    /// Runs `f` in one write transaction (SQLite's `BEGIN IMMEDIATE`) on the writer connection: committed when it returns
    /// `Ok`, rolled back otherwise. Refused unless the studio was started with `--write`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut DbConnection, &Catalog) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if !self.writable {
            return Err(Error::ReadOnly);
        }
        let mut writer = lock(&self.writer);
        if writer.is_none() {
            *writer = Some(connect(&self.target, Access::ReadWrite, false)?);
        }
        let Some(conn) = writer.as_mut() else {
            return Err(Error::ReadOnly);
        };
        conn.write_transaction(|conn| {
            let catalog = self.catalog(conn)?;
            f(conn, &catalog)
        })
    }

    /// The catalog for the schema this connection sees, introspected again when `schema_version` moved
    /// (another process migrated, pushed or altered the database while the studio was open).
    fn catalog(&self, conn: &mut DbConnection) -> Result<Arc<Catalog>, Error> {
        let version = conn.schema_version()?;
        if let Some(cached) = lock(&self.catalog).as_ref()
            && cached.schema_version == version
        {
            return Ok(cached.clone());
        }
        let found = conn.introspect()?;
        let catalog = Arc::new(Catalog::new(
            version,
            found.schema,
            found.unmodelled,
            self.declared.clone(),
            conn.planner(),
            conn.studio_dialect(),
        ));
        *lock(&self.catalog) = Some(catalog.clone());
        Ok(catalog)
    }
}

/// A new connection to the studio's database, the engine's way. `first`: the one opened at start, which
/// checks that the database is there and readable before anything else.
fn connect(target: &Target, access: Access, first: bool) -> Result<DbConnection, Error> {
    match target {
        Target::Sqlite { path } => Ok(crate::dialect::sqlite::studio::connect(
            path, access, first,
        )?),
        #[cfg(feature = "postgres")]
        Target::Postgres(server) => Ok(crate::dialect::postgres::studio::connect(server, access)?),
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(_) => Err(Error::Database(crate::db::error::Error::NotOnThisEngine {
            what: "orient-db studio",
            target: target.to_string(),
            instead: "build orient-database with the `postgres` feature to reach PostgreSQL",
        })),
    }
}

/// A poisoned lock only means another request panicked; the data behind it is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
