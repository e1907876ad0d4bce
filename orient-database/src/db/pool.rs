//! [`Db`]: one writer connection and a pool of readers on one database.
//!
//! SQLite allows one writer at a time per file. Writers in this process queue for the single writer
//! connection (fair, in-process) instead of spinning in SQLite's busy handler, and every write
//! transaction starts with `BEGIN IMMEDIATE`, so it takes the write lock up front and never fails halfway
//! with SQLITE_BUSY when a read turns into a write. Readers never block the writer in WAL mode; they run
//! with `query_only`, so a read path cannot write by accident. On PostgreSQL the same shape keeps the
//! same semantics (one unit of work per transaction, read-only readers): the server would take more
//! writers, but one queue per process keeps a service's writes in the order it issued them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{Pool, PooledConnection};
use scheduled_thread_pool::ScheduledThreadPool;

use crate::db::backend::{Access, DbConnection};
use crate::db::config::{Config, DEFAULT_LOCK_TIMEOUT};
use crate::db::error::Error;
use crate::db::manager::DbManager;
use crate::db::target::Target;
use crate::dialect::sqlite::connection;
use crate::dialect::sqlite::lock::{self, MigrationLock};
use crate::dialect::sqlite::storage::{storage_error, writable};
use crate::engine::EngineConnection;
use crate::migrations::migrator::{MigrateReport, migrate_locked};
use crate::migrations::source::{Migration, embedded};
use crate::ops::snapshot::{Snapshot, before_migrations};

/// A connection borrowed from a [`Db`]; it goes back to its pool when dropped.
pub type Connection = PooledConnection<DbManager>;

/// How to open a [`Db`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Maximum reader connections (default: 2 per CPU, at least 4).
    pub readers: u32,
    /// How long `writer()`/`reader()` wait for a free connection before failing.
    pub checkout_timeout: Duration,
    /// Whether to apply pending embedded migrations when opening (default: yes).
    pub migrate: bool,
}

impl Default for Options {
    fn default() -> Options {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            readers: u32::try_from(cpus * 2).unwrap_or(8).max(4),
            checkout_timeout: Duration::from_secs(30),
            migrate: true,
        }
    }
}

/// What opening the database did, for callers that report it (the CLI says which directories it created).
#[derive(Debug, Clone, Default)]
pub struct Opened {
    pub created_directories: Vec<PathBuf>,
    pub created_file: bool,
    /// The migrations run (the same as `migration.applied`).
    pub applied_migrations: Vec<Migration>,
    /// What migrating did (adopted versions, applied migrations, checksums recorded), when it ran.
    pub migration: Option<MigrateReport>,
    /// The copy of the database taken first, because the pending migrations lose data
    /// (see [`crate::ops::snapshot`]).
    pub snapshot: Option<Snapshot>,
}

/// Opens one read-write connection to `path`: creates the file and its directories if needed, switches it
/// to WAL and, when `migrate`, migrates it with the embedded migrations. What `Db::open` and
/// `orient-db migrate` both start with.
///
/// Migrating goes through [`crate::migrations::migrator`]: the migration lock (`<file>.migrate-lock`) is
/// taken before the connection reads anything, and everything is checked (unknown versions, edited
/// migrations, adoption of a database without a ledger) before the first write, the switch to WAL
/// included, so a refused database is left byte-identical. Pending migrations that lose data are
/// preceded by an automatic snapshot ([`Opened::snapshot`]); when it cannot be taken, none is applied.
pub fn open_writer(path: &Path, migrate: bool) -> Result<(DbConnection, Opened), Error> {
    let timeout = if migrate {
        lock::timeout_from_env()?
    } else {
        DEFAULT_LOCK_TIMEOUT
    };
    open_writer_within(path, migrate, timeout)
}

/// [`open_writer`] for a resolved [`Config`], on its engine: an SQLite file is created if needed and
/// migrated under its lock file (with its migration lock timeout); a PostgreSQL database must exist (it
/// is never created here) and is migrated under the server's advisory lock.
pub fn open_config_writer(config: &Config, migrate: bool) -> Result<(DbConnection, Opened), Error> {
    match &config.target {
        Target::Sqlite { path } => open_writer_within(path, migrate, config.lock_timeout),
        Target::Postgres(_) => open_server_writer(config, migrate),
    }
}

/// Connects to a PostgreSQL database and, when `migrate`, migrates it: the advisory migration lock is
/// taken before the ledger is read, as on SQLite.
#[cfg(feature = "postgres")]
fn open_server_writer(config: &Config, migrate: bool) -> Result<(DbConnection, Opened), Error> {
    let mut conn = DbManager::new(config.target.clone(), Access::ReadWrite).open()?;
    if !migrate {
        return Ok((conn, Opened::default()));
    }
    let all = crate::migrations::source::embedded_for(&config.target)?;
    let report = crate::migrations::migrator::migrate(&mut conn, &config.target, &all)?;
    let opened = Opened {
        applied_migrations: report.applied.clone(),
        migration: Some(report),
        ..Opened::default()
    };
    Ok((conn, opened))
}

#[cfg(not(feature = "postgres"))]
fn open_server_writer(config: &Config, _migrate: bool) -> Result<(DbConnection, Opened), Error> {
    Err(Error::NotOnThisEngine {
        what: "this build",
        target: config.target.to_string(),
        instead: "build orient-database with the `postgres` feature to reach PostgreSQL",
    })
}

/// [`open_writer`], waiting up to `lock_timeout` for another migrator. A storage failure (disk full, a
/// file-size limit, a lock held too long, a file that cannot be written) is reported naming the file,
/// the step and what to do.
fn open_writer_within(
    path: &Path,
    migrate: bool,
    lock_timeout: Duration,
) -> Result<(DbConnection, Opened), Error> {
    let step = if migrate {
        "opening and migrating the database"
    } else {
        "opening the database"
    };
    open_writer_steps(path, migrate, lock_timeout)
        .map_err(|e| storage_error(path, step, &e).unwrap_or(e))
}

fn open_writer_steps(
    path: &Path,
    migrate: bool,
    lock_timeout: Duration,
) -> Result<(DbConnection, Opened), Error> {
    if !migrate {
        let prepared = connection::prepare_file(path, true)?;
        let mut conn: DbConnection = connection::establish(path, Access::ReadWrite)?;
        connection::enable_wal(&mut conn, path)?;
        let opened = Opened {
            created_directories: prepared.created_directories,
            created_file: !prepared.existed,
            ..Opened::default()
        };
        return Ok((conn, opened));
    }
    // The file is checked before the lock file is created beside it, so a path to something that is
    // not a database gets nothing new next to it. The check reads the file while ignoring other
    // connections; if it fails while another migrator may be writing the file, it is repeated under the
    // lock. The lock is taken before connecting, because connecting creates a missing file.
    // Whether this process can write there is checked before the lock file is created, so a read-only
    // mount or another user's files are named as such.
    let lock = |path: &Path| -> Result<MigrationLock, Error> {
        writable(path, "migrating")?;
        Ok(MigrationLock::acquire_within(path, lock_timeout)?)
    };
    let (prepared, lock) = match connection::prepare_file(path, true) {
        Ok(prepared) => (prepared, lock(path)?),
        Err(Error::NotADatabase { .. } | Error::Corrupt { .. })
            if lock::lock_path(path).exists() =>
        {
            let lock = lock(path)?;
            (connection::prepare_file(path, true)?, lock)
        }
        Err(e) => return Err(e),
    };
    let mut conn: DbConnection = connection::establish(path, Access::ReadWrite)?;
    let all = embedded()?;
    let mut snapshot = None;
    let target = Target::Sqlite {
        path: path.to_path_buf(),
    };
    let report = migrate_locked(&mut conn, &target, &lock, &all, |conn, pending| {
        connection::enable_wal(conn, path)?;
        snapshot = before_migrations(conn, pending).map_err(|e| Error::Snapshot(e.into()))?;
        Ok::<_, Error>(())
    })?;
    drop(lock);
    // Another process may have created (and migrated) it while this one waited for the lock.
    let created_file = !prepared.existed && report.fresh;
    let opened = Opened {
        created_directories: prepared.created_directories,
        created_file,
        applied_migrations: report.applied.clone(),
        migration: Some(report),
        snapshot,
    };
    Ok((conn, opened))
}

/// An open database.
#[derive(Debug)]
pub struct Db {
    config: Config,
    writer: Pool<DbManager>,
    readers: Pool<DbManager>,
    opened: Opened,
    /// The read replicas (`DATABASE_READ_URL`), when there are any.
    #[cfg(feature = "postgres")]
    replicas: Option<Arc<crate::db::replicas::Replicas>>,
    // Declared after the pools: fields drop in order, so this waits once both pool handles are gone.
    _housekeeping: Housekeeping,
}

/// The pools' housekeeping thread. r2d2 opens connections on it, holding the pool while it does; a `Db`
/// dropped right after opening could leave that thread with the last handle, and the connections would
/// then close a moment later, on that thread, checkpointing the WAL under an exclusive lock just as the
/// next client opens the file. Dropping this waits for the thread to finish what it was doing, so a
/// dropped `Db` has closed its connections (those not still borrowed) when the drop returns.
struct Housekeeping(Arc<ScheduledThreadPool>);

impl std::fmt::Debug for Housekeeping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Housekeeping")
    }
}

impl Drop for Housekeeping {
    fn drop(&mut self) {
        // One thread runs the jobs in order: when this one runs, the jobs before it have finished and
        // dropped what they held. Bounded, so a connection stuck opening cannot hang the caller.
        let (done, finished) = std::sync::mpsc::channel();
        self.0.execute(move || {
            let _ = done.send(());
        });
        let _ = finished.recv_timeout(Duration::from_secs(10));
    }
}

impl Db {
    /// Opens (creating it and its directories if needed) and migrates the database of `config`.
    pub fn open(config: &Config) -> Result<Db, Error> {
        Db::open_with(config, &Options::default())
    }

    /// Opens the database file at `path` (tools and tests; services use [`Config::from_env`]).
    pub fn open_path(path: impl AsRef<Path>) -> Result<Db, Error> {
        Db::open(&Config::for_path(path))
    }

    pub fn open_with(config: &Config, options: &Options) -> Result<Db, Error> {
        let (conn, opened) = open_config_writer(config, options.migrate)?;
        drop(conn);
        Db::with_pools(config, options, opened)
    }

    /// Opens the pools on a file known to be a migrated database in WAL mode, skipping the checks and the
    /// writer step of [`Db::open_with`]: a per-test copy of a template that was itself opened and
    /// migrated through [`open_writer`] (`crate::testing`), where those steps would only cost time.
    #[cfg(feature = "testing")]
    pub(crate) fn open_ready(config: &Config, options: &Options) -> Result<Db, Error> {
        Db::with_pools(config, options, Opened::default())
    }

    fn with_pools(config: &Config, options: &Options, opened: Opened) -> Result<Db, Error> {
        // One small thread pool for both pools' housekeeping instead of three threads each.
        let housekeeping = Arc::new(ScheduledThreadPool::new(1));
        let writer = Pool::builder()
            .max_size(1)
            .min_idle(Some(1))
            .connection_timeout(options.checkout_timeout)
            // A checkout health query would cost a round trip on every transaction; a broken
            // connection surfaces as an error on first use instead.
            .test_on_check_out(false)
            .thread_pool(housekeeping.clone())
            .build(DbManager::new(config.target.clone(), Access::ReadWrite))?;
        let readers = Pool::builder()
            .max_size(options.readers.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.checkout_timeout)
            .test_on_check_out(false)
            .thread_pool(housekeeping.clone())
            .build(DbManager::new(config.target.clone(), Access::ReadOnly))?;

        #[cfg(feature = "postgres")]
        let replicas = crate::db::replicas::Replicas::open(config, options.readers)?;
        Ok(Db {
            config: config.clone(),
            writer,
            readers,
            opened,
            #[cfg(feature = "postgres")]
            replicas,
            _housekeeping: Housekeeping(housekeeping),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The database: its file, or its server (shown with the password hidden).
    pub fn target(&self) -> &Target {
        &self.config.target
    }

    /// The database file, for an SQLite database.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.config.target.sqlite_path()
    }

    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// The writer connection. Prefer [`Db::transaction`], which also takes the write lock up front.
    pub fn writer(&self) -> Result<Connection, Error> {
        Ok(self.writer.get()?)
    }

    /// A reader connection (`query_only`) on the primary database, never a replica: [`Db::read`]
    /// chooses between them.
    pub fn reader(&self) -> Result<Connection, Error> {
        Ok(self.readers.get()?)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer: committed if it returns `Ok`, rolled back
    /// entirely if it returns `Err` (or panics).
    pub fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<Error>,
    {
        let mut conn = self.writer().map_err(E::from)?;
        let value = write_transaction(&mut conn, f)?;
        #[cfg(feature = "postgres")]
        if let Some(replicas) = &self.replicas {
            replicas.committed(&mut conn, &self.readers);
        }
        Ok(value)
    }

    /// Runs `f` on a reader connection. Each statement sees a consistent snapshot; wrap several in
    /// `conn.transaction(…)` for one snapshot across them.
    ///
    /// With read replicas (`DATABASE_READ_URL`), the reader is a replica's that has replayed every write
    /// this process committed, else the primary's (see `db/replicas.rs`). `f` may then run twice: when
    /// a replica's connection breaks under it, it is run again on the primary (a reader cannot write,
    /// so the first run changed nothing).
    pub fn read<T, E, F>(&self, mut f: F) -> Result<T, E>
    where
        F: FnMut(&mut DbConnection) -> Result<T, E>,
        E: From<Error>,
    {
        #[cfg(feature = "postgres")]
        if let Some(replicas) = &self.replicas {
            return replicas.read(&self.readers, f);
        }
        let mut conn = self.reader().map_err(E::from)?;
        f(&mut conn)
    }

    /// The read replicas, for the async API (moved onto a blocking thread).
    #[cfg(all(feature = "async", feature = "postgres"))]
    pub(crate) fn replicas(&self) -> Option<Arc<crate::db::replicas::Replicas>> {
        self.replicas.clone()
    }

    /// Handles on the writer pool and the reader pool, for the async API, which checks connections out
    /// on a blocking thread that may outlive the borrow of `self`.
    #[cfg(feature = "async")]
    pub(crate) fn pools(&self) -> (ConnectionPool, ConnectionPool) {
        (self.writer.clone(), self.readers.clone())
    }
}

/// The pool type behind [`Db`]'s writer and readers.
#[cfg(feature = "async")]
pub(crate) type ConnectionPool = Pool<DbManager>;

/// Runs `f` in one write transaction on `conn`, the engine's way (`BEGIN IMMEDIATE` on SQLite):
/// committed if it returns `Ok`, rolled back if it returns `Err`. If it panics, the transaction is left
/// open and the pool discards the connection (it is dropped while panicking), so no connection goes back
/// to a pool mid-transaction. [`Db::transaction`] and its async counterpart both end here.
pub(crate) fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    conn.write_transaction::<T, Failure<E>, _>(|conn| f(conn).map_err(Failure::Caller))
        .map_err(|failure| match failure {
            Failure::Caller(e) => e,
            Failure::Database(e) => E::from(Error::from(e)),
        })
}

/// Keeps the caller's error apart from Diesel's own while the transaction unwinds.
enum Failure<E> {
    Caller(E),
    Database(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Failure<E> {
    fn from(e: diesel::result::Error) -> Failure<E> {
        Failure::Database(e)
    }
}
