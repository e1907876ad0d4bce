//! What read-your-writes routing asks a PostgreSQL server: positions in its write-ahead log (WAL).
//!
//! A position (`pg_lsn`) is handled as a number of bytes from `0/0`, so positions compare as
//! integers. Positions of a primary and of its streaming standbys are positions in the same WAL, so
//! "the standby has replayed up to P" means it shows every commit whose record ends at or before P.
//! The routing policy that uses these is engine-neutral: `crate::db::replicas`.

use std::time::Duration;

use diesel::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::backend::DbConnection;

/// A WAL position, in bytes from `0/0`.
pub type Lsn = u64;

/// How far a replica is, as one query sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayState {
    /// The position replayed (a standby) or written (a server that is not in recovery: it has
    /// applied all of its own WAL).
    pub replayed: Lsn,
    /// How far behind the primary the standby is: nothing while it has replayed all it received,
    /// else the age of the last transaction it replayed.
    pub lag: Duration,
}

/// The position after this session's last commit, on a primary; `None` on SQLite.
///
/// Read AFTER `COMMIT`, on the same session: the commit record is the last thing a transaction writes
/// to the WAL, at `COMMIT`, so a position read inside the transaction (before it) ends before the
/// commit record, and a standby that has replayed up to that position has not replayed the commit yet
/// and does not show the transaction's rows. The insert position (not `pg_current_wal_lsn()`, the
/// position written out of the WAL buffers) includes the commit record even when the commit did not
/// wait for its flush (`synchronous_commit = off`).
pub fn commit_position(conn: &mut DbConnection) -> QueryResult<Option<Lsn>> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    let lsn: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "(pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint",
    ))
    .get_result(pg)?;
    Ok(Some(as_lsn(lsn)))
}

/// The position a replica has replayed: one cheap query, what a read waiting for its write polls.
pub fn replayed(conn: &mut DbConnection) -> QueryResult<Lsn> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(0);
    };
    let lsn: i64 = diesel::select(diesel::dsl::sql::<BigInt>(REPLAYED)).get_result(pg)?;
    Ok(as_lsn(lsn))
}

/// The replayed position and the lag, in one query: what a health check asks.
pub fn replay_state(conn: &mut DbConnection) -> QueryResult<ReplayState> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(ReplayState {
            replayed: 0,
            lag: Duration::ZERO,
        });
    };
    let (replayed, lag_ms): (i64, i64) = diesel::select(diesel::dsl::sql::<(BigInt, BigInt)>(
        &format!("{REPLAYED}, {LAG_MS}"),
    ))
    .get_result(pg)?;
    Ok(ReplayState {
        replayed: as_lsn(replayed),
        lag: Duration::from_millis(u64::try_from(lag_ms).unwrap_or(0)),
    })
}

/// A standby's replay position (0 before it has replayed anything); the written position of a server
/// that is not in recovery (the primary itself named as a replica).
const REPLAYED: &str = "(CASE WHEN pg_is_in_recovery() \
     THEN coalesce(pg_last_wal_replay_lsn(), '0/0'::pg_lsn) \
     ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint";

/// Zero while a standby has replayed everything it received (an idle primary sends nothing, and the
/// age of the last replayed transaction would then say nothing about lag); else that age.
const LAG_MS: &str = "CASE WHEN NOT pg_is_in_recovery() \
     OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0::bigint \
     ELSE coalesce((extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) \
     END";

fn as_lsn(value: i64) -> Lsn {
    u64::try_from(value).unwrap_or(0)
}
