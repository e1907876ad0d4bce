//! Awaitable [`Db::transaction`] and [`Db::read`] for tokio services (feature `async`).
//!
//! ```no_run
//! use diesel::prelude::*;
//! use orient_database::db;
//! use orient_database::schema::{agents, Agent, NewAgent};
//!
//! # async fn handler() -> Result<(), db::Error> {
//! db::transaction_async(|tx| {
//!     diesel::insert_into(agents::table).values(&NewAgent::new("helper", "Helper")).execute(tx)?;
//!     Ok::<_, db::Error>(())
//! })
//! .await?;
//! let all: Vec<Agent> = db::read_async(|conn| Ok::<_, db::Error>(agents::table.load(conn)?)).await?;
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! The closure runs on tokio's blocking pool (`spawn_blocking`), which checks a connection out of the
//! same pools the blocking API uses and runs the closure exactly as [`Db::transaction`] / [`Db::read`]
//! do: one writer connection whose callers (blocking and async alike) wait in one queue, with the same
//! checkout timeout ([`crate::db::Options::checkout_timeout`], then [`Error::Pool`]); write transactions
//! begun the engine's way ([`crate::engine::EngineConnection::write_transaction`], `BEGIN IMMEDIATE` on
//! SQLite); `query_only` readers. Nothing here names an engine: it is written against
//! [`DbConnection`], so it works unchanged when that becomes an enum over SQLite and PostgreSQL.
//!
//! A call that waits for a connection waits on a blocking-pool thread, never on a runtime worker, so a
//! handler that does not touch the database (a health check) is served while writers queue. Tokio's
//! blocking pool has at most 512 threads by default (`Builder::max_blocking_threads`); a service that
//! expects more database calls in flight than that should raise it or bound its own concurrency.
//!
//! # Cancellation
//!
//! Dropping the future (a client that disconnects, a `tokio::time::timeout`, a `select!`) never leaves a
//! transaction open or a connection unusable: the closure runs to completion on its blocking thread, the
//! transaction ends there, and the connection goes back to its pool only after that (a closure that
//! panics has its connection discarded instead). What a dropped write means:
//!
//! - dropped before its transaction began (still waiting for the writer): it never begins, and the
//!   closure is never called;
//! - dropped while the closure runs: the closure finishes, then the transaction is **rolled back**,
//!   whatever the closure returned, as dropping a `sqlx::Transaction` does;
//! - dropped while `COMMIT` is under way: it commits.
//!
//! So a caller that gave up cannot tell whether the write happened only in that last window, which is a
//! few microseconds long; anything that must be known to have happened is checked afterwards (by its
//! natural key) or made idempotent. A dropped read simply has its result thrown away.
//!
//! # Why not deadpool-diesel
//!
//! `deadpool-diesel` (0.7, on diesel 2.3 and deadpool 0.13) is the established pattern (`pool.get().await`
//! then `conn.interact(|c| …)` on the blocking pool), and it was evaluated for this:
//!
//! - it is a pool of its own: next to the r2d2 pools of [`Db`] it would give async callers a second
//!   writer connection and a second writer queue, and the two writers would race for SQLite's lock in
//!   the busy handler, which is what the single writer exists to prevent; replacing r2d2 with it would
//!   make the blocking API's checkout async-only;
//! - when an `interact` future is dropped, its connection goes back to the pool while the closure is
//!   still running (the next user waits on a mutex inside it), and a transaction begun in the dropped
//!   closure commits: there is no "roll back what was abandoned";
//! - it knows nothing of `BEGIN IMMEDIATE` or per-connection pragmas (those need its hooks), and its
//!   default features turn on diesel's `with-deprecated`.
//!
//! `spawn_blocking` over the existing pools keeps one writer queue for every caller, `BEGIN IMMEDIATE`,
//! the pragmas and the checkout timeout, and needs nothing from tokio but `rt`.

use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::db::backend::DbConnection;
use crate::db::error::Error;
use crate::db::pool::{self, Connection, ConnectionPool, Db};

const WRITE: &str = "an async write transaction (transaction_async)";
const READ: &str = "an async read (read_async)";
const OPEN: &str = "opening the database for db::transaction_async / db::read_async";

/// [`Db::transaction_async`] on the [`global`](crate::db::global) database, which is opened (and
/// migrated) on a blocking thread the first time.
pub async fn transaction_async<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    global_async()
        .await
        .map_err(E::from)?
        .transaction_async(f)
        .await
}

/// [`Db::read_async`] on the [`global`](crate::db::global) database, which is opened (and migrated) on
/// a blocking thread the first time.
pub async fn read_async<T, E, F>(f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    global_async().await.map_err(E::from)?.read_async(f).await
}

/// [`global`](crate::db::global) without blocking the runtime: opening the database (creating and
/// migrating it, perhaps waiting for another migrator's lock) runs on a blocking thread.
pub async fn global_async() -> Result<&'static Db, Error> {
    if let Some(db) = super::GLOBAL.get() {
        return Ok(db);
    }
    on_blocking_thread(OPEN, |_| super::global()).await?
}

impl Db {
    /// [`Db::transaction`], awaitable: `f` runs in one write transaction (`BEGIN IMMEDIATE` on SQLite)
    /// on the writer connection, on tokio's blocking pool. Committed if `f` returns `Ok`, rolled back if
    /// it returns `Err`; a panic in `f` is resumed in the caller. Dropping the future never leaves a
    /// transaction open; what it means for the write is in [`crate::db::asynchronous`].
    pub async fn transaction_async<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let (writer, readers) = self.pools();
        let replicas = self.replica_handle();
        on_blocking_thread(WRITE, move |cancel| {
            let (value, mut conn) = write(&writer, cancel, f)?;
            committed(&replicas, &mut conn, &readers);
            Ok(value)
        })
        .await
        .map_err(E::from)?
    }

    /// [`Db::read`], awaitable: `f` runs on a `query_only` reader connection, on tokio's blocking pool;
    /// with read replicas, on a replica's as [`Db::read`] chooses (and may run twice, as there).
    pub async fn read_async<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let (_, readers) = self.pools();
        let replicas = self.replica_handle();
        on_blocking_thread(READ, move |cancel| read(&readers, &replicas, cancel, f))
            .await
            .map_err(E::from)?
    }
}

/// Set when the future awaiting a blocking job is dropped, so the job knows nobody waits for it.
#[derive(Debug, Clone, Default)]
struct Cancel(Arc<AtomicBool>);

impl Cancel {
    fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Held by the awaiting future; dropping it (the future completed or was dropped) sets the flag. Once
/// the job has finished the flag no longer matters, so it is set in both cases.
struct SetOnDrop(Cancel);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.0.store(true, Ordering::Release);
    }
}

/// Runs `job` on the current runtime's blocking pool and waits for it. A panic in `job` is resumed here.
async fn on_blocking_thread<R, J>(operation: &'static str, job: J) -> Result<R, Error>
where
    J: FnOnce(&Cancel) -> R + Send + 'static,
    R: Send + 'static,
{
    let runtime =
        tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime { operation })?;
    let cancel = Cancel::default();
    let _set_on_drop = SetOnDrop(cancel.clone());
    match runtime.spawn_blocking(move || job(&cancel)).await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => panic::resume_unwind(e.into_panic()),
        // The runtime shut down before the job started.
        Err(_) => Err(Error::Cancelled { operation }),
    }
}

/// The blocking half of [`Db::transaction_async`]: waits for the writer, then runs `f` in one write
/// transaction unless the caller has gone; a caller that goes while `f` runs gets its transaction
/// rolled back. The writer is handed back after a commit, for the read replicas' bookkeeping.
fn write<T, E, F>(writer: &ConnectionPool, cancel: &Cancel, f: F) -> Result<(T, Connection), E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    let cancelled = || E::from(Error::Cancelled { operation: WRITE });
    if cancel.is_set() {
        return Err(cancelled());
    }
    let mut conn = writer.get().map_err(|e| E::from(Error::from(e)))?;
    // The wait for the writer may have been long: the caller may have gone meanwhile.
    if cancel.is_set() {
        return Err(cancelled());
    }
    pool::write_transaction(&mut conn, |tx| {
        let value = f(tx).map_err(Outcome::Caller)?;
        if cancel.is_set() {
            return Err(Outcome::Abandoned);
        }
        Ok(value)
    })
    .map(|value| (value, conn))
    .map_err(|outcome| match outcome {
        Outcome::Caller(e) => e,
        Outcome::Abandoned => cancelled(),
    })
}

/// The read replicas of a `Db` (nothing in a build without PostgreSQL).
#[cfg(feature = "postgres")]
type ReplicaHandle = Option<Arc<crate::db::replicas::Replicas>>;
#[cfg(not(feature = "postgres"))]
type ReplicaHandle = NoReplicas;

/// What a build without PostgreSQL has in place of read replicas.
#[cfg(not(feature = "postgres"))]
struct NoReplicas;

impl Db {
    #[cfg(feature = "postgres")]
    fn replica_handle(&self) -> ReplicaHandle {
        self.replicas()
    }

    #[cfg(not(feature = "postgres"))]
    fn replica_handle(&self) -> ReplicaHandle {
        NoReplicas
    }
}

/// Records a commit's position for the read replicas, when there are any.
#[cfg(feature = "postgres")]
fn committed(replicas: &ReplicaHandle, conn: &mut Connection, readers: &ConnectionPool) {
    if let Some(replicas) = replicas {
        replicas.committed(conn, readers);
    }
}

#[cfg(not(feature = "postgres"))]
fn committed(_: &ReplicaHandle, _: &mut Connection, _: &ConnectionPool) {}

/// The blocking half of [`Db::read_async`].
fn read<T, E, F>(
    readers: &ConnectionPool,
    replicas: &ReplicaHandle,
    cancel: &Cancel,
    mut f: F,
) -> Result<T, E>
where
    F: FnMut(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    let cancelled = || E::from(Error::Cancelled { operation: READ });
    if cancel.is_set() {
        return Err(cancelled());
    }
    #[cfg(feature = "postgres")]
    if let Some(replicas) = replicas {
        return replicas.read(readers, f);
    }
    #[cfg(not(feature = "postgres"))]
    let NoReplicas = replicas;
    let mut conn = readers.get().map_err(|e| E::from(Error::from(e)))?;
    if cancel.is_set() {
        return Err(cancelled());
    }
    f(&mut conn)
}

/// How a write transaction's closure ended: the caller's own result, or rolled back because the caller
/// went away.
enum Outcome<E> {
    Caller(E),
    Abandoned,
}

impl<E: From<Error>> From<Error> for Outcome<E> {
    fn from(e: Error) -> Outcome<E> {
        Outcome::Caller(E::from(e))
    }
}
