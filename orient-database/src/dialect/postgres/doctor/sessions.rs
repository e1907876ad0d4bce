//! Sessions idle inside a transaction for longer than a threshold: a request that began a transaction
//! and never ended it (a leaked pooled connection, a debugger, a forgotten `psql`). It keeps every lock
//! it took, so DDL and `migrate` queue behind it and everything queues behind them; with a snapshot or
//! a transaction id it also holds back vacuum's horizon, so dead rows pile up in every table.
//!
//! Only sessions of this database count (the horizon of our tables is per database), and not the
//! session holding the migration lock, which sits idle in its transaction by design while a migrator
//! works (the `migration_lock` check names it).

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Text};

use crate::dialect::postgres::ledger::LOCK_KEY;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};

#[derive(QueryableByName)]
struct IdleRow {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Text)]
    usename: String,
    #[diesel(sql_type = Text)]
    application: String,
    #[diesel(sql_type = Text)]
    client: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    idle_seconds: i64,
    #[diesel(sql_type = BigInt)]
    transaction_seconds: i64,
    /// It has a snapshot or a transaction id: vacuum cannot remove rows it might still see.
    #[diesel(sql_type = Bool)]
    holds_horizon: bool,
    /// Relation and other locks (its own virtual transaction id left out).
    #[diesel(sql_type = BigInt)]
    locks: i64,
}

const QUERY: &str = "\
SELECT a.pid,
       coalesce(a.usename::text, '') AS usename,
       coalesce(a.application_name, '') AS application,
       coalesce(host(a.client_addr), '') AS client,
       a.state,
       floor(extract(epoch FROM now() - a.state_change))::bigint AS idle_seconds,
       floor(extract(epoch FROM now() - coalesce(a.xact_start, a.state_change)))::bigint AS transaction_seconds,
       (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AS holds_horizon,
       (SELECT count(*) FROM pg_locks l
         WHERE l.pid = a.pid AND l.locktype NOT IN ('virtualxid', 'transactionid')) AS locks
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
  AND a.state_change <= now() - make_interval(secs => $1)
  AND NOT EXISTS (
        SELECT 1 FROM pg_locks m
         WHERE m.pid = a.pid AND m.locktype = 'advisory' AND m.granted AND m.objsubid = 1
           AND ((m.classid::bigint << 32) | m.objid::bigint) = $2)
ORDER BY a.state_change, a.pid";

#[derive(QueryableByName)]
struct Timeout {
    #[diesel(sql_type = Text)]
    setting: String,
}

/// How many sessions a finding lists before saying "and N more".
const LISTED: usize = 10;

pub fn check(d: &mut Diagnosis, session: &mut PgConnection, database: &str, threshold: Duration) {
    let rows: Vec<IdleRow> = match diesel::sql_query(QUERY)
        .bind::<Double, _>(threshold.as_secs_f64())
        .bind::<BigInt, _>(LOCK_KEY)
        .load(session)
    {
        Ok(rows) => rows,
        Err(e) => {
            d.skip(
                "idle_transactions",
                format!("pg_stat_activity cannot be read: {e}"),
            );
            return;
        }
    };
    if rows.is_empty() {
        return;
    }
    let timeout = diesel::sql_query(
        "SELECT current_setting('idle_in_transaction_session_timeout') AS setting",
    )
    .get_result::<Timeout>(session)
    .map(|t| t.setting)
    .unwrap_or_default();
    let mut lines: Vec<String> = rows.iter().take(LISTED).map(describe).collect();
    if rows.len() > LISTED {
        lines.push(format!("  - and {} more", rows.len() - LISTED));
    }
    let harm = if rows.iter().any(|r| r.holds_horizon) {
        "They keep their locks (DDL, `migrate` and `push` queue behind them, and every query behind \
         those), and those holding a snapshot or transaction id hold back vacuum: dead rows pile up in \
         every table"
    } else {
        "They keep the locks they took: DDL, `migrate` and `push` queue behind them, and every query \
         behind those"
    };
    let pids: Vec<String> = rows.iter().map(|r| r.pid.to_string()).collect();
    d.add(
        Code::IdleInTransaction,
        Severity::Warning,
        None,
        format!(
            "{} session{} of {database} {} idle inside a transaction for more than {} s:\n{}\n{harm}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            if rows.len() == 1 { "is" } else { "are" },
            threshold.as_secs(),
            lines.join("\n")
        ),
        format!(
            "Find the code that begins a transaction and never ends it (the application and client \
             above say where it runs). To end them now: `SELECT pg_terminate_backend(pid) FROM \
             pg_stat_activity WHERE pid IN ({})` (their transactions roll back). To have the server \
             end such sessions itself: `ALTER DATABASE … SET idle_in_transaction_session_timeout = \
             '5min'` (now {})",
            pids.join(", "),
            if timeout.is_empty() || timeout == "0" {
                "0: off".to_owned()
            } else {
                timeout
            }
        ),
    );
}

fn describe(row: &IdleRow) -> String {
    let mut facts = vec![format!("`{}` for {} s", row.state, row.idle_seconds)];
    if row.transaction_seconds > row.idle_seconds {
        facts.push(format!("transaction open {} s", row.transaction_seconds));
    }
    if !row.application.is_empty() {
        facts.push(format!("application `{}`", row.application));
    }
    if !row.usename.is_empty() {
        facts.push(format!("user {}", row.usename));
    }
    facts.push(if row.client.is_empty() {
        "from a local socket".to_owned()
    } else {
        format!("from {}", row.client)
    });
    if row.locks > 0 {
        facts.push(format!(
            "holding {} lock{}",
            row.locks,
            if row.locks == 1 { "" } else { "s" }
        ));
    }
    if row.holds_horizon {
        facts.push("holding back vacuum".to_owned());
    }
    format!("  - backend pid {}: {}", row.pid, facts.join(", "))
}
