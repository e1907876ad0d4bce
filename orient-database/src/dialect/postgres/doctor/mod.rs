//! The PostgreSQL checks of `orient-db doctor` ([`crate::ops::doctor`]). Where SQLite's doctor reads
//! files, these read the server's own views, on one read-only session that creates nothing (no
//! extension, no table, no schema):
//!
//! - [`connection`]: reaching the server (an unreachable server, a refused login, a missing database
//!   are findings naming host, port and database);
//! - [`lock_holder`]: who holds the advisory migration lock (`pg_locks` joined to `pg_stat_activity`);
//! - [`sessions`]: sessions idle inside a transaction (they hold locks and hold back vacuum);
//! - [`slots`]: replication slots nobody consumes, retaining WAL;
//! - [`validity`]: constraints left `NOT VALID` and invalid indexes in our schema;
//! - [`amcheck`]: `bt_index_check` on our indexes when the extension is installed;
//! - [`settings`]: server settings that risk data, and connections used against `max_connections`.
//!
//! `ops/doctor.rs` runs them, after its engine-neutral migrations and schema checks.

pub mod amcheck;
pub mod connection;
pub mod lock_holder;
pub mod sessions;
pub mod settings;
pub mod slots;
pub mod validity;

use std::time::Duration;

use diesel::pg::PgConnection;

use crate::ops::diagnosis::Diagnosis;

/// The checks that need a session, in the order they run.
pub const NEED_A_SESSION: [&str; 10] = [
    "migrations",
    "schema",
    "migration_lock",
    "idle_transactions",
    "replication_slots",
    "constraints",
    "indexes",
    "amcheck",
    "server_settings",
    "connections",
];

/// The checks of the server's own views; sessions idle in a transaction longer than
/// `idle_threshold` are findings.
pub fn server_checks(
    d: &mut Diagnosis,
    session: &mut PgConnection,
    database: &str,
    idle_threshold: Duration,
) {
    if d.check("migration_lock") {
        lock_holder::check(d, session, database);
    }
    if d.check("idle_transactions") {
        sessions::check(d, session, database, idle_threshold);
    }
    if d.check("replication_slots") {
        slots::check(d, session);
    }
    if d.check("constraints") {
        validity::constraints(d, session, database);
    }
    if d.check("indexes") {
        validity::indexes(d, session, database);
    }
    if d.check("amcheck") {
        amcheck::check(d, session, database);
    }
    if d.check("server_settings") {
        settings::risky(d, session);
    }
    if d.check("connections") {
        settings::connections(d, session);
    }
}
