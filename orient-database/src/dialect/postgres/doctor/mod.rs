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
//! The migrations and schema checks are the engine-neutral ones of `ops/doctor.rs`.

pub mod amcheck;
pub mod connection;
pub mod lock_holder;
pub mod sessions;
pub mod settings;
pub mod slots;
pub mod validity;

use diesel::pg::PgConnection;

use crate::db::backend::DbConnection;
use crate::db::target::PostgresTarget;
use crate::dialect::postgres::Postgres;
use crate::migrations;
use crate::ops::diagnosis::{Diagnosis, DoctorReport};
use crate::ops::doctor::{DoctorOptions, migrations_check, schema_check};

/// The checks that need a session, in the order they run.
const NEED_A_SESSION: [&str; 10] = [
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

/// Checks the PostgreSQL database `server`. Never fails: what stops the session is a finding, and
/// every check that needed it is reported as skipped.
pub fn diagnose(server: &PostgresTarget, options: &DoctorOptions) -> DoctorReport {
    let label = server.redacted().to_owned();
    let mut d = Diagnosis::new("postgres", label.clone()).leaving_out(&options.skip);
    d.check("connection");
    let Some(session) = connection::connect(&mut d, server) else {
        for name in NEED_A_SESSION {
            d.skip(
                name,
                "there is no session with the database (see the findings above)",
            );
        }
        return d.finish(None);
    };
    let mut conn = DbConnection::from(session);
    let mut pending = 0;
    if d.check("migrations") {
        pending = migrations_check(
            &mut d,
            &mut conn,
            migrations::embedded_postgres(),
            &label,
            None,
        );
    }
    if d.check("schema") {
        schema_check(&mut d, &mut conn, &Postgres, &label, None, pending);
    }
    if let DbConnection::Postgres(session) = &mut conn {
        server_checks(&mut d, session, &label, options);
    }
    d.finish(None)
}

/// The checks of the server's own views.
fn server_checks(
    d: &mut Diagnosis,
    session: &mut PgConnection,
    database: &str,
    options: &DoctorOptions,
) {
    if d.check("migration_lock") {
        lock_holder::check(d, session, database);
    }
    if d.check("idle_transactions") {
        sessions::check(d, session, database, options.idle_threshold);
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
