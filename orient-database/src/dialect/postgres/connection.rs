//! Opening a connection to a PostgreSQL database named by a [`PostgresTarget`], with a message that
//! names the server, the port and the database when it fails (libpq's own errors say only part of it,
//! and never which database).

use diesel::connection::{Connection, SimpleConnection};
use diesel::pg::PgConnection;

use crate::db::backend::Access;
use crate::db::error::Error;
use crate::db::target::PostgresTarget;

/// The name our sessions give themselves, so `pg_stat_activity` (and a migration lock's holder) shows
/// which sessions are ours.
pub const APPLICATION_NAME: &str = "orient";

/// Connects to `target`. A reader's session is read-only (`default_transaction_read_only`), so a read
/// path cannot write by accident, as SQLite's `query_only` readers.
pub fn establish(target: &PostgresTarget, access: Access) -> Result<PgConnection, Error> {
    let mut conn = PgConnection::establish(target.url()).map_err(|e| connect_error(target, &e))?;
    let mut setup = format!("SET application_name = '{APPLICATION_NAME}';");
    if access == Access::ReadOnly {
        setup.push_str(" SET default_transaction_read_only = on;");
    }
    conn.batch_execute(&setup)
        .map_err(|e| connect_error(target, &e))?;
    Ok(conn)
}

/// A failed connection, naming host, port and database and what libpq said.
pub fn connect_error(target: &PostgresTarget, error: &dyn std::fmt::Display) -> Error {
    Error::Connect {
        target: target.redacted().to_owned(),
        host: target.host.clone(),
        port: target.port,
        database: target.database.clone(),
        reason: error.to_string().trim().replace('\n', " "),
    }
}
