//! orient-testkit cannot depend on orient-database (its Cargo.toml says why), so the one thing it
//! repeats, the pragmas of every read-write connection, is checked against the library here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::Text;
use orient_database::db::connection::{Access, configure};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Every setting `configure` touches, as SQLite reports it on `conn`.
fn settings(conn: &mut SqliteConnection) -> Vec<(&'static str, String)> {
    [
        "busy_timeout",
        "foreign_keys",
        "synchronous",
        "temp_store",
        "cache_size",
        "legacy_alter_table",
        "query_only",
    ]
    .into_iter()
    .map(|pragma| {
        let value = diesel::sql_query(format!(
            "SELECT CAST((SELECT * FROM pragma_{pragma}) AS TEXT) AS value"
        ))
        .get_result::<Setting>(conn)
        .unwrap_or_else(|e| panic!("{pragma}: {e}"))
        .value;
        (pragma, value)
    })
    .collect()
}

#[test]
fn the_testkit_connects_with_the_librarys_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orient.db");
    let mut library = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    configure(&mut library, Access::ReadWrite).unwrap();
    let mut testkit = orient_testkit::sqlite::connect(&path);
    let expected = settings(&mut library);
    assert_eq!(settings(&mut testkit), expected);
    // And both differ from a connection without them, so the comparison can fail.
    let mut plain = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    assert_ne!(settings(&mut plain), expected);
}
