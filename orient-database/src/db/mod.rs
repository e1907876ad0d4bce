//! `orient_database::db`: what services use to reach the Orient database.
//!
//! ```no_run
//! use diesel::prelude::*;
//! use orient_database::db;
//! use orient_database::schema::{agents, Agent, NewAgent};
//!
//! # fn main() -> Result<(), db::Error> {
//! // Writes: one IMMEDIATE transaction, all or nothing.
//! db::transaction(|tx| {
//!     diesel::insert_into(agents::table).values(&NewAgent::new("helper", "Helper")).execute(tx)?;
//!     Ok::<_, db::Error>(())
//! })?;
//! // Reads: a pooled read-only connection.
//! let all: Vec<Agent> = db::read(|conn| Ok::<_, db::Error>(agents::table.load(conn)?))?;
//! # Ok(()) }
//! ```
//!
//! The database is found from the environment and `.env` ([`Config`]); it is created and migrated at
//! first use, and a failure to do so is an error, never a warning. Every connection runs in WAL mode with
//! foreign keys on, `synchronous = NORMAL` and a busy timeout ([`connection`]).
//!
//! Hot paths: [`native!`](crate::native) compiles a query once per engine against the engine's own
//! connection, which a build with PostgreSQL needs for its full speed ([`native`]).
//!
//! Feature `async`: [`transaction_async`] and [`read_async`] (and the same on [`Db`]) for tokio
//! services, running the closure on tokio's blocking pool; how they behave when cancelled, and why they
//! are not built on deadpool-diesel, is in [`asynchronous`].

#[cfg(feature = "async")]
pub mod asynchronous;
pub mod backend;
pub mod config;
pub mod config_error;
pub mod env_file;
pub mod error;
pub mod instance;
mod manager;
#[cfg(feature = "postgres")]
pub mod multi;
#[cfg(feature = "postgres")]
pub mod multi_migrations;
pub mod native;
pub mod open;
mod pool;
pub mod replica_config;
#[cfg(feature = "postgres")]
mod replicas;
pub mod storage;
pub mod target;
pub mod variables;

use std::sync::{Mutex, OnceLock};

pub use crate::dialect::sqlite::connection;
#[cfg(feature = "async")]
pub use asynchronous::{global_async, read_async, transaction_async};
pub use backend::DbConnection;
pub use config::Config;
pub use config_error::ConfigError;
pub use error::Error;
pub use open::{DbLock, ForChange, open_existing, open_for_change, open_read_only};
pub use pool::{Connection, Db, Opened, Options, open_config_writer, open_writer};

static GLOBAL: OnceLock<Db> = OnceLock::new();
static OPENING: Mutex<()> = Mutex::new(());

/// The process-wide database, opened from [`Config::from_env`] on first use.
///
/// A failure is returned to the caller (and the next call tries again); it is never cached or hidden.
pub fn global() -> Result<&'static Db, Error> {
    if let Some(db) = GLOBAL.get() {
        return Ok(db);
    }
    let _opening = OPENING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(db) = GLOBAL.get() {
        return Ok(db);
    }
    let db = Db::open(&Config::from_env()?)?;
    Ok(GLOBAL.get_or_init(|| db))
}

/// [`Db::transaction`] on the [`global`] database.
pub fn transaction<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    global().map_err(E::from)?.transaction(f)
}

/// [`Db::read`] on the [`global`] database.
pub fn read<T, E, F>(f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    global().map_err(E::from)?.read(f)
}
