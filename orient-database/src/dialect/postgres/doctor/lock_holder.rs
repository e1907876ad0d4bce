//! Who holds the migration lock: the transaction-scoped advisory lock every migrator of this database
//! takes ([`LOCK_KEY`]), found in `pg_locks` and described from `pg_stat_activity` (pid, application,
//! client address, user, since when, state), with the sessions waiting behind it.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use crate::dialect::postgres::ledger::LOCK_KEY;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};

#[derive(QueryableByName)]
struct LockRow {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Bool)]
    granted: bool,
    #[diesel(sql_type = Text)]
    application: String,
    #[diesel(sql_type = Text)]
    client: String,
    #[diesel(sql_type = Text)]
    usename: String,
    #[diesel(sql_type = Text)]
    since: String,
    /// Seconds since its transaction began; -1 when the server does not show it to this role.
    #[diesel(sql_type = BigInt)]
    seconds: i64,
    #[diesel(sql_type = Text)]
    state: String,
}

/// An advisory lock on a bigint key is `classid` (high 32 bits), `objid` (low 32 bits), `objsubid` 1.
const QUERY: &str = "\
SELECT a.pid, l.granted,
       coalesce(a.application_name, '') AS application,
       coalesce(host(a.client_addr), '') AS client,
       coalesce(a.usename::text, '') AS usename,
       coalesce(to_char(coalesce(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ'), '') AS since,
       coalesce(extract(epoch FROM now() - a.xact_start)::bigint, -1) AS seconds,
       coalesce(a.state, '') AS state
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
  AND l.pid <> pg_backend_pid()
ORDER BY l.granted DESC, a.pid";

/// A session as a person reads it: `backend pid 42 (orient, user orient, from 10.0.0.5, in a
/// transaction since … for 12 s, idle in transaction)`.
fn describe(row: &LockRow) -> String {
    let mut parts = Vec::new();
    if !row.application.is_empty() {
        parts.push(format!("application `{}`", row.application));
    }
    if !row.usename.is_empty() {
        parts.push(format!("user {}", row.usename));
    }
    parts.push(if row.client.is_empty() {
        "from a local socket".to_owned()
    } else {
        format!("from {}", row.client)
    });
    if !row.since.is_empty() {
        let mut since = format!("in a transaction since {}", row.since);
        if row.seconds >= 0 {
            since.push_str(&format!(" ({} s)", row.seconds));
        }
        parts.push(since);
    }
    if !row.state.is_empty() {
        parts.push(format!("state `{}`", row.state));
    }
    format!("backend pid {} ({})", row.pid, parts.join(", "))
}

pub fn check(d: &mut Diagnosis, session: &mut PgConnection, database: &str) {
    let rows: Vec<LockRow> = match diesel::sql_query(QUERY)
        .bind::<BigInt, _>(LOCK_KEY)
        .load(session)
    {
        Ok(rows) => rows,
        Err(e) => {
            d.skip("migration_lock", format!("pg_locks cannot be read: {e}"));
            return;
        }
    };
    let Some(holder) = rows.iter().find(|r| r.granted) else {
        return;
    };
    let waiting = rows.iter().filter(|r| !r.granted).count();
    d.add(
        Code::MigrationLockHeld,
        Severity::Warning,
        None,
        format!(
            "{} holds the migration lock of {database} (advisory lock {LOCK_KEY}): a migrate or push is \
             running, and every other one waits for it (then exits 4){}. (The session holding the lock \
             sits idle in its transaction while the migrator works on a second session.)",
            describe(holder),
            match waiting {
                0 => String::new(),
                1 => "; 1 more session waits for it".to_owned(),
                n => format!("; {n} more sessions wait for it"),
            }
        ),
        format!(
            "Wait for it to finish. If it is stuck, stop that process on the host it connects from: its \
             transactions roll back and the lock is released. Only once that process is gone, end a \
             session it left behind with `SELECT pg_terminate_backend({})`: ending it while the process \
             still migrates on its other session would let a second migrator start beside it",
            holder.pid
        ),
    );
}
