//! Databases on a server, beside the configured one: `orient-db worktree --isolated` gives a checkout a
//! database of its own on the same server, as it gives an SQLite checkout a file of its own.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::db::backend::Access;
use crate::db::error::Error;
use crate::db::target::PostgresTarget;
use crate::dialect::postgres::Postgres;
use crate::dialect::postgres::connection::{connect_error, establish};
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

/// Database `name` on `beside`'s server, created (empty, owned by `beside`'s user) unless it exists:
/// its target (same server, user and options) and whether it was created. The connection that
/// creates it is to `beside`'s database, which must exist.
pub fn ensure_beside(beside: &PostgresTarget, name: &str) -> Result<(PostgresTarget, bool), Error> {
    let target = beside
        .with_database(name)
        .map_err(|e| connect_error(beside, &format!("database name {name:?}: {e}")))?;
    let mut conn = establish(beside, Access::ReadWrite)?;
    let exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result::<Exists>(&mut conn)?
            .exists;
    if exists {
        return Ok((target, false));
    }
    // CREATE DATABASE takes no parameters and cannot run in a transaction: a quoted identifier.
    conn.batch_execute(&format!("CREATE DATABASE {}", Postgres.quote_ident(name)))
        .map_err(|e| Error::CreateDatabase {
            beside: beside.redacted().to_owned(),
            database: name.to_owned(),
            reason: e.to_string().trim().to_owned(),
        })?;
    Ok((target, true))
}
