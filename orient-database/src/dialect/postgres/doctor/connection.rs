//! Reaching the server: doctor's one session, and, when there is none, a finding that says which of
//! the three usual causes it is (nothing answers, the login is refused, the database does not exist),
//! naming host, port and database with the URL's password hidden.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::backend::Access;
use crate::db::error::Error;
use crate::db::target::PostgresTarget;
use crate::dialect::postgres::connection::establish;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};

/// How long doctor waits for a server that does not answer (libpq waits forever by default), unless
/// the URL sets `connect_timeout` itself.
pub const CONNECT_TIMEOUT_SECONDS: u32 = 10;

/// Why a session could not be had, from what libpq said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing answered (refused, unknown host, timeout, no socket).
    Unreachable,
    /// The server answered and refused the user.
    Login,
    /// The server answered and has no such database.
    NoDatabase,
}

/// Sorts libpq's message into a [`Refusal`]. libpq's messages are English whatever the locale of
/// the client, and the server's are English unless `lc_messages` says otherwise, in which case the
/// message still names host and port and is filed as unreachable.
pub fn classify(reason: &str) -> Refusal {
    let lower = reason.to_ascii_lowercase();
    if (lower.contains("role \"") && lower.contains("does not exist"))
        || lower.contains("authentication failed")
        || lower.contains("no pg_hba.conf entry")
        || lower.contains("password")
        || lower.contains("permission denied for database")
        || lower.contains("not permitted to log in")
    {
        Refusal::Login
    } else if lower.contains("database \"") && lower.contains("does not exist") {
        Refusal::NoDatabase
    } else {
        Refusal::Unreachable
    }
}

/// `server` with libpq's `connect_timeout` set, unless its URL sets one.
fn with_timeout(server: &PostgresTarget) -> PostgresTarget {
    let url = server.url();
    if url.contains("connect_timeout=") {
        return server.clone();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    PostgresTarget::parse(&format!(
        "{url}{separator}connect_timeout={CONNECT_TIMEOUT_SECONDS}"
    ))
    .unwrap_or_else(|_| server.clone())
}

#[derive(QueryableByName)]
struct Identity {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Text)]
    role: String,
}

/// A read-only session with `server`, or a finding saying why there is none.
pub fn connect(d: &mut Diagnosis, server: &PostgresTarget) -> Option<PgConnection> {
    match establish(&with_timeout(server), Access::ReadOnly) {
        Ok(mut session) => {
            if let Ok(who) = diesel::sql_query(
                "SELECT current_setting('server_version') AS version, current_user::text AS role",
            )
            .get_result::<Identity>(&mut session)
            {
                d.server_version = Some(who.version);
                d.role = Some(who.role);
            }
            Some(session)
        }
        Err(Error::Connect { reason, .. }) => {
            refused(d, server, &reason);
            None
        }
        Err(other) => {
            refused(d, server, &other.to_string());
            None
        }
    }
}

fn refused(d: &mut Diagnosis, server: &PostgresTarget, reason: &str) {
    let place = format!(
        "the PostgreSQL database {} on {}:{} ({})",
        server.database,
        server.host,
        server.port,
        server.redacted()
    );
    let user = server
        .user
        .as_deref()
        .unwrap_or("(libpq's default: the OS user's name)");
    match classify(reason) {
        Refusal::Unreachable => d.add(
            Code::ServerUnreachable,
            Severity::Error,
            None,
            format!(
                "cannot reach {place}: {reason}; every command and service using it fails the same way"
            ),
            format!(
                "Start the server, or correct the host and port in DATABASE_URL (`orient-db path` shows \
                 where it comes from). `pg_isready -h {} -p {}` says whether it accepts connections; \
                 check firewalls and the server's `listen_addresses`",
                server.host, server.port
            ),
        ),
        Refusal::Login => d.add(
            Code::LoginRefused,
            Severity::Error,
            None,
            format!("the server refused user {user} for {place}: {reason}"),
            format!(
                "Correct the user and password in DATABASE_URL, or let the server admit them: the role \
                 must exist with LOGIN (`CREATE ROLE … LOGIN PASSWORD …`), have CONNECT on database \
                 {}, and match a line of the server's pg_hba.conf for this host",
                server.database
            ),
        ),
        Refusal::NoDatabase => d.add(
            Code::DatabaseMissing,
            Severity::Error,
            None,
            format!("{place} does not exist: {reason}"),
            format!(
                "Create it (`createdb -h {} -p {} {}`; the tools never create a PostgreSQL database), \
                 then run `orient-db migrate`; or correct the database name in DATABASE_URL",
                server.host, server.port, server.database
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_messages_are_sorted_by_cause() {
        for (reason, expected) in [
            (
                "connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
                Refusal::Unreachable,
            ),
            (
                "could not translate host name \"db.invalid\" to address",
                Refusal::Unreachable,
            ),
            (
                "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password \
                 authentication failed for user \"orient\"",
                Refusal::Login,
            ),
            ("FATAL:  role \"ghost\" does not exist", Refusal::Login),
            (
                "FATAL:  no pg_hba.conf entry for host \"10.0.0.1\"",
                Refusal::Login,
            ),
            (
                "FATAL:  database \"orient\" does not exist",
                Refusal::NoDatabase,
            ),
        ] {
            assert_eq!(classify(reason), expected, "{reason}");
        }
    }

    #[test]
    fn a_timeout_is_added_unless_the_url_sets_one() {
        let plain = PostgresTarget::parse("postgres://u:secret@h:5/db").unwrap_or_else(|e| {
            panic!("{e}");
        });
        assert!(with_timeout(&plain).url().ends_with("?connect_timeout=10"));
        let set = PostgresTarget::parse("postgres://h/db?connect_timeout=3").unwrap_or_else(|e| {
            panic!("{e}");
        });
        assert_eq!(with_timeout(&set).url(), set.url());
        let other = PostgresTarget::parse("postgres://h/db?sslmode=disable").unwrap_or_else(|e| {
            panic!("{e}");
        });
        assert!(
            with_timeout(&other)
                .url()
                .ends_with("?sslmode=disable&connect_timeout=10")
        );
    }
}
