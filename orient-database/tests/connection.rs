//! `orient_database::db` on real database files: pragmas on every connection, transactions, file checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::Text;
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::db::{self, Db, Error};
use orient_database::schema::{NewAgent, agents};

#[derive(QueryableByName, Debug)]
struct Str {
    #[diesel(sql_type = Text)]
    value: String,
}

/// A pragma's value; `column` is the name of its result column (`timeout` for busy_timeout).
fn pragma(conn: &mut DbConnection, name: &str, column: &str) -> String {
    diesel::sql_query(format!(
        "SELECT CAST(\"{column}\" AS TEXT) AS value FROM pragma_{name}"
    ))
    .get_result::<Str>(conn)
    .map(|s| s.value)
    .unwrap_or_else(|e| panic!("pragma {name}: {e}"))
}

fn assert_connection_settings(conn: &mut DbConnection, read_only: bool) {
    assert_eq!(pragma(conn, "journal_mode", "journal_mode"), "wal");
    assert_eq!(pragma(conn, "foreign_keys", "foreign_keys"), "1");
    // synchronous: 1 = NORMAL.
    assert_eq!(pragma(conn, "synchronous", "synchronous"), "1");
    assert_eq!(pragma(conn, "busy_timeout", "timeout"), "5000");
    // temp_store: 2 = MEMORY.
    assert_eq!(pragma(conn, "temp_store", "temp_store"), "2");
    assert_eq!(
        pragma(conn, "legacy_alter_table", "legacy_alter_table"),
        "0"
    );
    let query_only = if read_only { "1" } else { "0" };
    assert_eq!(pragma(conn, "query_only", "query_only"), query_only);
}

#[test]
fn every_connection_has_wal_foreign_keys_busy_timeout_and_synchronous_normal() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();
    assert_connection_settings(&mut db.writer().unwrap(), false);
    // Several readers at once, so the pool opens more than one connection.
    let mut readers: Vec<_> = (0..3).map(|_| db.reader().unwrap()).collect();
    for reader in &mut readers {
        assert_connection_settings(reader, true);
    }
    // A reader cannot write.
    let write = diesel::insert_into(agents::table)
        .values(&NewAgent::new("x", "X"))
        .execute(&mut readers[0]);
    assert!(write.is_err());
}

#[test]
fn double_quoted_strings_are_identifiers_never_literals() {
    // The bundled SQLite is built with SQLITE_DQS=0 (.cargo/config.toml): a missing column is an error
    // instead of the string "nonexistent".
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();
    let result = diesel::sql_query("SELECT \"nonexistent\" AS value FROM agents")
        .load::<Str>(&mut db.reader().unwrap());
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("no such column"), "{message}");
}

#[test]
fn a_transaction_that_fails_midway_leaves_no_row_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();

    // The caller gives up after two inserts.
    let result: Result<(), Error> = db.transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("a", "A"))
            .execute(tx)?;
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("b", "B"))
            .execute(tx)?;
        Err(Error::Query(diesel::result::Error::RollbackTransaction))
    });
    assert!(result.is_err());

    // The database refuses the third statement (duplicate key).
    let result: Result<(), Error> = db.transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("c", "C"))
            .execute(tx)?;
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("c", "C again"))
            .execute(tx)?;
        Ok(())
    });
    assert!(matches!(result, Err(Error::Query(_))), "{result:?}");

    let count: i64 = db
        .read(|conn| Ok::<_, Error>(agents::table.count().get_result(conn)?))
        .unwrap();
    assert_eq!(count, 0);

    db.transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("d", "D"))
            .execute(tx)
            .map_err(Error::from)
    })
    .unwrap();
    let names: Vec<String> = db
        .read(|conn| Ok::<_, Error>(agents::table.select(agents::name).load(conn)?))
        .unwrap();
    assert_eq!(names, vec!["D"]);
}

#[test]
fn opening_creates_missing_directories_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/orient.db");
    let db = Db::open_path(&path).unwrap();
    assert_eq!(
        db.opened().created_directories,
        vec![dir.path().join("a"), dir.path().join("a/b")]
    );
    assert!(db.opened().created_file);
    assert_eq!(db.opened().applied_migrations.len(), 2);
    drop(db);
    let again = Db::open_path(&path).unwrap();
    assert!(again.opened().created_directories.is_empty());
    assert!(!again.opened().created_file);
    assert!(again.opened().applied_migrations.is_empty());
}

#[test]
fn bad_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 4096]).unwrap();
    let hash = orient_testkit::sha256_file(&junk);
    assert!(matches!(
        Db::open_path(&junk),
        Err(Error::NotADatabase { .. })
    ));
    assert_eq!(orient_testkit::sha256_file(&junk), hash);
    assert_eq!(orient_testkit::listing(dir.path()), vec!["junk.db"]);

    let subdir = dir.path().join("sub");
    std::fs::create_dir(&subdir).unwrap();
    assert!(matches!(
        Db::open_path(&subdir),
        Err(Error::IsDirectory { .. })
    ));

    let missing = dir.path().join("missing.db");
    assert!(matches!(
        db::connection::open_read_only(&missing),
        Err(Error::NotFound { .. })
    ));
    assert!(!missing.exists());
}

#[test]
fn an_empty_file_is_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let db = Db::open_path(&path).unwrap();
    assert_eq!(db.opened().applied_migrations.len(), 2);
}

#[test]
fn migration_failure_at_open_is_an_error_not_a_warning() {
    // A database with no table but a view named like one of ours (a database with tables is adopted or
    // refused before any migration runs): the initial migration cannot create the table.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clash.db");
    {
        let mut conn = from_sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap());
        diesel::sql_query("CREATE VIEW agent_skills AS SELECT 1 AS x")
            .execute(&mut conn)
            .unwrap();
    }
    let error = Db::open_path(&path).expect_err("opening must fail");
    let message = error.to_string();
    assert!(
        message.contains("2026-02-01-231009_initial_schema/up.sql"),
        "{message}"
    );
    assert!(message.contains("already exists"), "{message}");
    // Nothing of the failed migration was applied.
    let mut conn = from_sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap());
    let tables: Vec<Str> = diesel::sql_query(
        "SELECT name AS value FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .load(&mut conn)
    .unwrap();
    let names: Vec<String> = tables.into_iter().map(|t| t.value).collect();
    assert_eq!(names, vec!["__diesel_schema_migrations"]);
}

#[test]
fn the_bundled_sqlite_has_the_build_options_the_workspace_relies_on() {
    // .cargo/config.toml sets them; without them the code is still correct but slower (and DQS=0 also
    // backs the rebuild's copy step), so losing them must not go unnoticed.
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();
    let options: Vec<Str> =
        diesel::sql_query("SELECT compile_options AS value FROM pragma_compile_options")
            .load(&mut db.reader().unwrap())
            .unwrap();
    let options: Vec<String> = options.into_iter().map(|o| o.value).collect();
    for wanted in [
        "DQS=0",
        "DEFAULT_MEMSTATUS=0",
        "THREADSAFE=2",
        "ENABLE_QPSG",
    ] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} missing from {options:?}"
        );
    }
}

#[test]
fn dropping_a_db_closes_its_connections_before_returning() {
    // The last connection of a WAL database checkpoints and removes the -wal file as it closes; if any
    // closed later, on the pool's thread, another client opening the file then could find it locked.
    let dir = tempfile::tempdir().unwrap();
    for round in 0..200 {
        let path = dir.path().join(format!("drop-{round}.db"));
        drop(Db::open_path(&path).unwrap());
        let wal = dir.path().join(format!("drop-{round}.db-wal"));
        assert!(
            !wal.exists(),
            "round {round}: a connection was still open after drop"
        );
        let mut conn = from_sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap());
        diesel::sql_query("SELECT name AS value FROM sqlite_schema LIMIT 1")
            .load::<Str>(&mut conn)
            .unwrap();
    }
}
