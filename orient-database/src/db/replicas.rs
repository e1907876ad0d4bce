//! Routing reads to read replicas without losing this process's writes (`DATABASE_READ_URL`).
//!
//! - Writes ([`crate::db::Db::transaction`]) go to the primary; after each commit the primary's WAL
//!   position is recorded, process-wide for that primary ([`position_of`]): the highest position any
//!   write of this process committed at.
//! - A read goes to a replica whose replayed position, as last seen, is at or past that position: no
//!   extra query. Otherwise it polls one replica's replay position for up to the wait bound
//!   (`ORIENT_REPLICA_WAIT_MS`) and reads there once it has caught up, or else reads on the primary.
//!   So a read never misses a write this process committed before it.
//! - A replica that cannot be reached, lags more than `ORIENT_REPLICA_MAX_LAG_MS`, or whose migration
//!   ledger lacks migrations this binary has (checked at first use and each time it comes back) is
//!   skipped: one warning when that starts, one line when it is used again; never an error to the
//!   caller. It is retried every `ORIENT_REPLICA_RECHECK_MS`; a replica in use has its lag measured
//!   as often.
//! - A read whose replica connection breaks under it (the standby stopped) is repeated on the
//!   primary. Readers' sessions are read-only, so the first attempt changed nothing.
//!
//! The queries themselves are PostgreSQL's (`crate::dialect::postgres::replica`); this file is the
//! policy.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use diesel::r2d2::{Pool, R2D2Connection};

use crate::db::backend::{Access, DbConnection};
use crate::db::config::Config;
use crate::db::error::Error;
use crate::db::manager::DbManager;
use crate::db::replica_config::ReadReplicas;
use crate::db::target::{PostgresTarget, Target};
use crate::dialect::postgres::replica::{self, Lsn};
use crate::migrations::runner;
use crate::migrations::source::{Migration, embedded_for};

/// The replicas of one [`crate::db::Db`].
pub(crate) struct Replicas {
    members: Vec<Member>,
    /// The highest commit position of this process's writes to the primary.
    written: Arc<AtomicU64>,
    /// Until when every read goes to the primary (milliseconds since `epoch`): set when the position of
    /// a commit could not be read.
    primary_until: AtomicU64,
    epoch: Instant,
    next: AtomicUsize,
    settings: ReadReplicas,
    /// The migrations this binary has: a replica's ledger must hold them all.
    migrations: Vec<Migration>,
    /// Idle connections kept per replica.
    idle_max: usize,
}

impl std::fmt::Debug for Replicas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replicas")
            .field(
                "replicas",
                &self.members.iter().map(|m| &m.target).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The commit position this process has recorded for the primary `target`, shared by every `Db` of the
/// process on that primary.
fn position_of(target: &PostgresTarget) -> Arc<AtomicU64> {
    static POSITIONS: OnceLock<Mutex<BTreeMap<String, Arc<AtomicU64>>>> = OnceLock::new();
    let mut positions = lock(POSITIONS.get_or_init(Mutex::default));
    positions
        .entry(target.url().to_owned())
        .or_default()
        .clone()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Replicas {
    /// The replicas of `config`, or `None` when it has none. Connects to nothing: each replica is
    /// checked at its first use, so a replica that is down does not stop the service from starting.
    pub(crate) fn open(config: &Config, idle_max: u32) -> Result<Option<Arc<Replicas>>, Error> {
        let Target::Postgres(primary) = &config.target else {
            return Ok(None);
        };
        if config.read_replicas.is_empty() {
            return Ok(None);
        }
        let members = config
            .read_replicas
            .replicas
            .iter()
            .map(|target| Member {
                target: target.clone(),
                manager: DbManager::new(Target::Postgres(target.clone()), Access::ReadOnly),
                idle: Mutex::new(Vec::new()),
                replayed: AtomicU64::new(0),
                state: Mutex::new(State {
                    health: Health::Unchecked,
                    next_check: Instant::now(),
                    checking: false,
                }),
            })
            .collect();
        Ok(Some(Arc::new(Replicas {
            members,
            written: position_of(primary),
            primary_until: AtomicU64::new(0),
            epoch: Instant::now(),
            next: AtomicUsize::new(0),
            settings: config.read_replicas.clone(),
            migrations: embedded_for(&config.target)?,
            idle_max: usize::try_from(idle_max).unwrap_or(4).max(1),
        })))
    }

    /// Records the position of the commit `conn` (the writer, right after `COMMIT`) just made.
    pub(crate) fn committed(&self, conn: &mut DbConnection, primary: &Pool<DbManager>) {
        let position = replica::commit_position(conn).or_else(|first| {
            // The writer's session may have broken after COMMIT; any session's insert position on the
            // primary is at or past the commit.
            let mut other = primary.get().map_err(|_| first)?;
            replica::commit_position(&mut other)
        });
        match position {
            Ok(Some(lsn)) => {
                self.written.fetch_max(lsn, Ordering::AcqRel);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "could not read the primary's WAL position after a commit; reads go to the \
                     primary for {:?} (ORIENT_REPLICA_MAX_LAG_MS), so none misses that write",
                    self.settings.max_lag
                );
                let until = self.elapsed_ms() + millis(self.settings.max_lag);
                self.primary_until.fetch_max(until, Ordering::AcqRel);
            }
        }
    }

    fn elapsed_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    /// Runs `f` on a replica that shows every write of this process, else on `primary`'s readers.
    pub(crate) fn read<T, E, F>(&self, primary: &Pool<DbManager>, mut f: F) -> Result<T, E>
    where
        F: FnMut(&mut DbConnection) -> Result<T, E>,
        E: From<Error>,
    {
        if let Some((member, mut conn)) = self.replica_for_read() {
            match f(&mut conn) {
                Ok(value) => {
                    member.check_in(conn, self.idle_max);
                    return Ok(value);
                }
                Err(error) => {
                    if conn.ping().is_ok() {
                        // The caller's own error (a missing row, a bad query): theirs to see.
                        member.check_in(conn, self.idle_max);
                        return Err(error);
                    }
                    member.skip(
                        "its connection broke during a read (the read was repeated on the primary)"
                            .to_owned(),
                        self.settings.recheck,
                    );
                }
            }
        }
        let mut conn = primary.get().map_err(|e| E::from(Error::from(e)))?;
        f(&mut conn)
    }

    /// A replica connection that shows every write of this process, if one is ready within the wait
    /// bound.
    fn replica_for_read(&self) -> Option<(&Member, DbConnection)> {
        if self.primary_until.load(Ordering::Acquire) > self.elapsed_ms() {
            return None;
        }
        let wanted = self.written.load(Ordering::Acquire);
        let count = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
        let mut behind = None;
        for member in (0..count).map(|i| &self.members[(start + i) % count]) {
            let checked = match member.claim_check() {
                Claim::Skip => continue,
                Claim::Use => None,
                Claim::Check => match self.check(member) {
                    Some(conn) => Some(conn),
                    None => continue,
                },
            };
            if member.replayed.load(Ordering::Acquire) >= wanted {
                let conn = match checked {
                    Some(conn) => conn,
                    None => member.check_out(self.settings.recheck)?,
                };
                return Some((member, conn));
            }
            if behind.is_none() {
                behind = Some((member, checked));
            } else if let Some(conn) = checked {
                member.check_in(conn, self.idle_max);
            }
        }
        let (member, checked) = behind?;
        if self.settings.wait.is_zero() {
            if let Some(conn) = checked {
                member.check_in(conn, self.idle_max);
            }
            return None;
        }
        let conn = match checked {
            Some(conn) => conn,
            None => member.check_out(self.settings.recheck)?,
        };
        self.wait_for(member, conn, wanted)
            .map(|conn| (member, conn))
    }

    /// Polls `member`'s replay position until it reaches `wanted` (the connection to read on) or the
    /// wait bound passes (`None`: the read goes to the primary).
    fn wait_for(
        &self,
        member: &Member,
        mut conn: DbConnection,
        wanted: Lsn,
    ) -> Option<DbConnection> {
        let deadline = Instant::now() + self.settings.wait;
        let mut pause = Duration::from_micros(250);
        loop {
            match replica::replayed(&mut conn) {
                Ok(lsn) => {
                    member.replayed.fetch_max(lsn, Ordering::AcqRel);
                    if lsn >= wanted {
                        return Some(conn);
                    }
                }
                Err(e) => {
                    member.skip(
                        format!("reading its replay position failed: {e}"),
                        self.settings.recheck,
                    );
                    return None;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                member.check_in(conn, self.idle_max);
                return None;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }

    /// Checks `member` (this thread claimed the check): reachable, its ledger complete (at first use
    /// and when it comes back), its lag within the bound. The connection it used, if it passed.
    fn check(&self, member: &Member) -> Option<DbConnection> {
        let recheck = self.settings.recheck;
        let mut conn = match member.manager.open_or_idle(&member.idle) {
            Ok(conn) => conn,
            Err(e) => {
                member.skip(format!("it cannot be reached: {e}"), recheck);
                return None;
            }
        };
        if member.needs_ledger_check()
            && let Some(reason) = self.ledger_behind(&mut conn)
        {
            member.skip(reason, recheck);
            return None;
        }
        match replica::replay_state(&mut conn) {
            Ok(state) if state.lag > self.settings.max_lag => {
                member.skip(
                    format!(
                        "it lags {} ms behind the primary, more than ORIENT_REPLICA_MAX_LAG_MS={}",
                        state.lag.as_millis(),
                        self.settings.max_lag.as_millis()
                    ),
                    recheck,
                );
                None
            }
            Ok(state) => {
                member.replayed.fetch_max(state.replayed, Ordering::AcqRel);
                member.use_again(recheck);
                Some(conn)
            }
            Err(e) => {
                member.skip(format!("reading its replay position failed: {e}"), recheck);
                None
            }
        }
    }

    /// Why `conn`'s ledger is behind this binary, if it is.
    fn ledger_behind(&self, conn: &mut DbConnection) -> Option<String> {
        match runner::status(conn, &self.migrations) {
            Ok(status) if status.pending.is_empty() => None,
            Ok(status) => Some(format!(
                "its migration ledger is behind this binary: {} migration(s) not applied there \
                 (the first is {}); it is used once it has replayed them",
                status.pending.len(),
                status.pending[0].name
            )),
            Err(e) => Some(format!("its migration ledger cannot be read: {e}")),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One replica: its connections and what is known of it.
struct Member {
    target: PostgresTarget,
    manager: DbManager,
    /// Idle connections. A small pool of its own rather than r2d2's: r2d2 keeps retrying a failed
    /// connect until its checkout timeout, and a read must move on to the primary at once.
    idle: Mutex<Vec<DbConnection>>,
    /// The highest position it was seen to have replayed.
    replayed: AtomicU64,
    state: Mutex<State>,
}

struct State {
    health: Health,
    /// When it is checked next (in use) or retried (skipped).
    next_check: Instant,
    /// Whether a thread is checking it now (the others do not wait for that).
    checking: bool,
}

#[derive(PartialEq, Eq)]
enum Health {
    /// Not used yet: checked (ledger included) before its first read.
    Unchecked,
    InUse,
    /// Skipped, for this reason, until it passes a check (ledger included).
    Skipped(String),
}

/// What a read may do with a replica.
enum Claim {
    Skip,
    /// In use, no check due (or another thread is checking it).
    Use,
    /// This thread checks it now.
    Check,
}

impl DbManager {
    /// An idle connection from `idle`, else a new one.
    fn open_or_idle(&self, idle: &Mutex<Vec<DbConnection>>) -> Result<DbConnection, Error> {
        match lock(idle).pop() {
            Some(conn) => Ok(conn),
            None => self.open(),
        }
    }
}

impl Member {
    fn claim_check(&self) -> Claim {
        let mut state = lock(&self.state);
        let due = Instant::now() >= state.next_check;
        match (&state.health, due && !state.checking) {
            (_, true) => {
                state.checking = true;
                Claim::Check
            }
            (Health::InUse, false) => Claim::Use,
            (Health::Unchecked | Health::Skipped(_), false) => Claim::Skip,
        }
    }

    fn needs_ledger_check(&self) -> bool {
        lock(&self.state).health != Health::InUse
    }

    /// A connection for a read, or `None` (the replica skipped) when none can be opened.
    fn check_out(&self, recheck: Duration) -> Option<DbConnection> {
        match self.manager.open_or_idle(&self.idle) {
            Ok(conn) => Some(conn),
            Err(e) => {
                self.skip(format!("it cannot be reached: {e}"), recheck);
                None
            }
        }
    }

    fn check_in(&self, conn: DbConnection, idle_max: usize) {
        let mut idle = lock(&self.idle);
        if idle.len() < idle_max {
            idle.push(conn);
        }
    }

    /// Skips this replica until `recheck` from now; warns when it was in use (or never used).
    fn skip(&self, reason: String, recheck: Duration) {
        // Its other connections are most likely as broken as the one that failed.
        lock(&self.idle).clear();
        let mut state = lock(&self.state);
        if !matches!(state.health, Health::Skipped(_)) {
            tracing::warn!(
                replica = %self.target,
                %reason,
                "read replica skipped: reads go to another replica or the primary; it is retried \
                 every {} ms (ORIENT_REPLICA_RECHECK_MS)",
                recheck.as_millis()
            );
        } else {
            tracing::debug!(replica = %self.target, %reason, "read replica still skipped");
        }
        state.health = Health::Skipped(reason);
        state.next_check = Instant::now() + recheck;
        state.checking = false;
    }

    /// Marks this replica in use after a check it passed.
    fn use_again(&self, recheck: Duration) {
        let mut state = lock(&self.state);
        if let Health::Skipped(reason) = &state.health {
            tracing::info!(
                replica = %self.target,
                was = %reason,
                "read replica recovered: reads use it again"
            );
        }
        state.health = Health::InUse;
        state.next_check = Instant::now() + recheck;
        state.checking = false;
    }
}
