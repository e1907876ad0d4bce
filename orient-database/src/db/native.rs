//! [`native!`](crate::native): a hot path written once and compiled for each engine's own connection.
//!
//! Queries written against [`DbConnection`](crate::db::DbConnection) work on both engines. In a build
//! with PostgreSQL that type is Diesel's `MultiConnection` enum, which renders every query's SQL again
//! on each execution to collect its binds for the engine inside (BENCHMARKS.md: a primary-key lookup
//! costs about 0.9× the speed of the raw `postgres` crate that way, 1.08× without the enum). A body
//! wrapped in `native!` is compiled once per engine against that engine's connection instead, so its
//! prepared statement is found by the query's type, as with Diesel on a single engine: the speed of
//! the engine's own connection, for the price of compiling the body twice. In a SQLite-only build the
//! connection already is SQLite's and the macro is the body itself.
//!
//! ```
//! # use diesel::prelude::*;
//! # use orient_database::schema::{agents, Agent};
//! # fn lookup(conn: &mut orient_database::db::DbConnection) -> QueryResult<Agent> {
//! orient_database::native!(conn, |c| agents::table
//!     .find("ori")
//!     .select(Agent::as_select())
//!     .get_result(c))
//! # }
//! ```
//!
//! The body must compile for every engine of the build (the structs `#[derive(Table)]` makes do), and
//! its type is the same on each; it cannot return the connection itself.

/// `$body` with `$c` bound to the engine's own connection inside `$conn` (a `&mut DbConnection`).
/// See [`crate::db::native`].
#[cfg(feature = "postgres")]
#[macro_export]
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut *$conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}

/// `$body` with `$c` bound to `$conn` (a `&mut DbConnection`, SQLite's own connection in this build).
/// See [`crate::db::native`].
#[cfg(not(feature = "postgres"))]
#[macro_export]
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {{
        let $c: &mut $crate::db::DbConnection = &mut *$conn;
        $body
    }};
}
