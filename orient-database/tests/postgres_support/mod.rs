//! Diesel connections to databases of their own on the test process's throwaway PostgreSQL server
//! (`orient_testkit::postgres`, which starts and reaps it).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::Text;
use orient_testkit::postgres::server;

/// A connection to a new database of its own on the test server; `None` when skipped (no PostgreSQL
/// binaries, and `ORIENT_REQUIRE_POSTGRES` unset).
pub fn connect(hint: &str) -> Option<PgConnection> {
    let server = server()?;
    let name = server.create_database(hint);
    Some(
        PgConnection::establish(&server.url(&name))
            .unwrap_or_else(|e| panic!("connecting to {name}: {e}\n{}", server.log())),
    )
}

/// A second connection to the database `conn` is connected to.
pub fn connect_again(conn: &mut PgConnection) -> PgConnection {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let server = server().expect("a server, since a connection exists");
    let name: Name = diesel::sql_query("SELECT current_database()::text AS name")
        .get_result(conn)
        .expect("current_database()");
    PgConnection::establish(&server.url(&name.name)).expect("second connection")
}
