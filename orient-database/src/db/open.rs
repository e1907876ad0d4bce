//! Opening the configured database for one command, on whichever engine it is: what the tools use
//! instead of knowing about files or servers themselves.
//!
//! - [`open_read_only`]: an existing database, nothing created or changed (SQLite reads a file it may not
//!   write without creating `-wal`/`-shm`; PostgreSQL sessions are read-only);
//! - [`open_existing`]: an existing database, for writing (nothing is created);
//! - [`open_for_change`]: creating an SQLite file if needed, with the migration lock held (`push`
//!   changes the schema, so it waits for migrators and they for it);
//! - [`open_writer`](crate::db::open_config_writer) (in `pool.rs`): created and migrated.

use std::path::{Path, PathBuf};

use crate::db::backend::{Access, DbConnection};
use crate::db::config::Config;
use crate::db::error::Error;
use crate::db::manager::DbManager;
use crate::db::target::Target;
use crate::dialect::sqlite::connection;
use crate::dialect::sqlite::lock::MigrationLock;
use crate::dialect::sqlite::storage::writable;
use crate::migrations::backend::MigrationBackend;

/// The migration lock of this build's connection type: a lock file (SQLite) or the server's advisory
/// lock (PostgreSQL).
pub type DbLock = <DbConnection as MigrationBackend>::Lock;

/// An SQLite lock file's lock as the build's lock type.
#[cfg(not(feature = "postgres"))]
fn db_lock(lock: MigrationLock) -> DbLock {
    lock
}

#[cfg(feature = "postgres")]
fn db_lock(lock: MigrationLock) -> DbLock {
    crate::db::multi_migrations::DbLock::Sqlite(lock)
}

/// Whether the configured database is known to exist without connecting: an SQLite file that is
/// there; a PostgreSQL database always counts (connecting says whether it really does).
pub fn exists(config: &Config) -> bool {
    match &config.target {
        Target::Sqlite { path } => path.exists(),
        Target::Postgres(_) => true,
    }
}

/// Opens the configured database read-only; a missing one is an error and nothing is created.
pub fn open_read_only(config: &Config) -> Result<DbConnection, Error> {
    match &config.target {
        Target::Sqlite { path } => connection::open_read_only(path),
        Target::Postgres(_) => DbManager::new(config.target.clone(), Access::ReadOnly).open(),
    }
}

/// Opens the configured database for writing; a missing one is an error and nothing is created.
pub fn open_existing(config: &Config, step: &str) -> Result<DbConnection, Error> {
    match &config.target {
        Target::Sqlite { path } => {
            connection::prepare_file(path, false)?;
            writable(path, step)?;
            connection::establish(path, Access::ReadWrite)
        }
        Target::Postgres(_) => DbManager::new(config.target.clone(), Access::ReadWrite).open(),
    }
}

/// A database opened for a schema change, with the migration lock held.
pub struct ForChange {
    pub conn: DbConnection,
    /// Released by [`ForChange::release`] (or when dropped).
    pub lock: Option<DbLock>,
    /// Directories created for a new SQLite file, outermost first.
    pub created_directories: Vec<PathBuf>,
    /// Whether the database did not exist before (an SQLite file created now).
    pub created: bool,
}

impl std::fmt::Debug for ForChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForChange")
            .field("locked", &self.lock.is_some())
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl ForChange {
    /// What a database needs once a change wrote to it (or created it): an SQLite file is switched to
    /// write-ahead logging (a refused change leaves the file as it was, journal mode included).
    pub fn settle(&mut self, target: &Target) -> Result<(), Error> {
        match target {
            Target::Sqlite { path } => connection::enable_wal(&mut self.conn, path),
            Target::Postgres(_) => Ok(()),
        }
    }

    /// Releases the migration lock.
    pub fn release(&mut self) -> Result<(), Error> {
        match self.lock.take() {
            Some(lock) => Ok(self.conn.unlock(lock)?),
            None => Ok(()),
        }
    }
}

/// Opens the configured database for a schema change, creating an SQLite file (and its directories)
/// if needed, with the migration lock held. On SQLite the lock is taken before connecting, because
/// connecting creates a missing file; on PostgreSQL it is taken through the connection.
pub fn open_for_change(config: &Config, step: &str) -> Result<ForChange, Error> {
    match &config.target {
        Target::Sqlite { path } => {
            let prepared = connection::prepare_file(path, true)?;
            writable(path, step)?;
            let lock = MigrationLock::acquire_within(path, config.lock_timeout)?;
            let conn: DbConnection = connection::establish(path, Access::ReadWrite)?;
            Ok(ForChange {
                conn,
                lock: Some(db_lock(lock)),
                created_directories: prepared.created_directories,
                created: !prepared.existed,
            })
        }
        Target::Postgres(_) => {
            let mut conn = DbManager::new(config.target.clone(), Access::ReadWrite).open()?;
            let lock = conn.lock(&config.target)?;
            Ok(ForChange {
                conn,
                lock: Some(lock),
                created_directories: Vec::new(),
                created: false,
            })
        }
    }
}

// Here rather than in config.rs: the configuration does not depend on the connection layer's errors.
impl Config {
    /// The database file, for what works on SQLite files only (`what`); on PostgreSQL an error saying
    /// so and what to do `instead`.
    pub fn require_sqlite(
        &self,
        what: &'static str,
        instead: &'static str,
    ) -> Result<&Path, Error> {
        self.target
            .sqlite_path()
            .ok_or_else(|| Error::NotOnThisEngine {
                what,
                target: self.target.to_string(),
                instead,
            })
    }
}
