//! `orient_database::testing` and `#[orient_database::test]`: every test gets its own migrated (or
//! seeded) database, copied from a template built once per process, and it is gone when the test ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use orient_database::db::{self, Db, DbConnection};
use orient_database::migrations::{self, runner};
use orient_database::schema::{Agent, NewAgent, agents};
use orient_database::testing::{Engine, SeedError, Template, TestDb};

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn agent_ids(db: &Db) -> Vec<String> {
    db.read(|conn| {
        Ok::<_, db::Error>(
            agents::table
                .select(agents::id)
                .order(agents::id)
                .load(conn)?,
        )
    })
    .unwrap()
}

fn add_agent(db: &Db, id: &str) {
    db.transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new(id, id))
            .execute(tx)?;
        Ok::<_, db::Error>(())
    })
    .unwrap();
}

/// The database's directory: each test database has one of its own.
fn directory(db: &Db) -> PathBuf {
    db.sqlite_path().unwrap().parent().unwrap().to_path_buf()
}

#[test]
fn each_database_is_fully_migrated_in_wal_mode_and_separate_from_the_others() {
    let first = TestDb::new().unwrap();
    let second = TestDb::new().unwrap();
    assert_eq!(first.engine(), Engine::Sqlite);
    assert_ne!(directory(&first), directory(&second));

    let mut conn = first.connect().unwrap();
    let status = runner::status(&mut conn, &migrations::embedded().unwrap()).unwrap();
    assert!(status.pending.is_empty(), "{status:?}");
    assert_eq!(status.applied.len(), migrations::embedded().unwrap().len());
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
    let integrity: Vec<Number> = diesel::sql_query(
        "SELECT count(*) AS n FROM pragma_integrity_check WHERE integrity_check != 'ok'",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(integrity[0].n, 0);
    // Every declared table is there.
    for table in orient_database::schema::TABLES {
        let found: Number = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = '{}'",
            table.name
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(found.n, 1, "table {} is missing", table.name);
    }

    add_agent(&first, "only-in-first");
    assert_eq!(agent_ids(&first), ["only-in-first"]);
    assert!(agent_ids(&second).is_empty());
    // A later copy is still the empty template, not the first test's database.
    assert!(agent_ids(&TestDb::new().unwrap()).is_empty());
}

#[test]
fn dropping_the_database_deletes_its_files() {
    let db = TestDb::new().unwrap();
    add_agent(&db, "helper");
    let mut conn = db.connect().unwrap();
    conn.batch_execute("SELECT 1").unwrap();
    let dir = directory(&db);
    assert!(db.sqlite_path().unwrap().is_file());
    drop(conn);
    drop(db);
    assert!(!dir.exists(), "{} is still there", dir.display());
}

static HOOK_RUNS: AtomicUsize = AtomicUsize::new(0);

fn seed_two_agents(conn: &mut DbConnection) -> Result<(), SeedError> {
    HOOK_RUNS.fetch_add(1, Ordering::SeqCst);
    NewAgent::insert_all(
        conn,
        &[
            NewAgent::new("seeded-a", "A"),
            NewAgent::new("seeded-b", "B"),
        ],
    )?;
    Ok(())
}

static TWO_AGENTS: Template = Template::seeded("two agents", seed_two_agents);

#[test]
fn a_seeded_template_runs_its_hook_once_and_every_copy_has_the_rows() {
    let first = TestDb::from_template(&TWO_AGENTS).unwrap();
    let second = TWO_AGENTS.database().unwrap();
    assert_eq!(agent_ids(&first), ["seeded-a", "seeded-b"]);
    add_agent(&first, "extra");
    assert_eq!(agent_ids(&first), ["extra", "seeded-a", "seeded-b"]);
    assert_eq!(agent_ids(&second), ["seeded-a", "seeded-b"]);
    assert_eq!(HOOK_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(TWO_AGENTS.name(), "two agents");
}

static FAILING_RUNS: AtomicUsize = AtomicUsize::new(0);

fn seed_a_duplicate(conn: &mut DbConnection) -> Result<(), SeedError> {
    FAILING_RUNS.fetch_add(1, Ordering::SeqCst);
    let agent = NewAgent::new("twice", "Twice");
    NewAgent::insert_all(conn, &[agent.clone(), agent])?;
    Ok(())
}

static FAILING: Template = Template::seeded("a duplicate agent", seed_a_duplicate);

#[test]
fn a_failing_seed_hook_is_reported_once_built_and_to_every_test_naming_the_template() {
    for _ in 0..2 {
        let error = TestDb::from_template(&FAILING).unwrap_err().to_string();
        assert!(
            error.starts_with("cannot build the test database template `a duplicate agent`: the seed hook failed: UNIQUE constraint failed: agents.id"),
            "{error}"
        );
        assert!(
            error.contains("fix the hook or the data it writes"),
            "{error}"
        );
    }
    assert_eq!(FAILING_RUNS.load(Ordering::SeqCst), 1);
}

// The attribute.

#[orient_database::test]
fn the_attribute_hands_over_a_migrated_db(db: Db) {
    assert!(agent_ids(&db).is_empty());
    add_agent(&db, "helper");
    assert_eq!(agent_ids(&db), ["helper"]);
    // Named after the test, so a database left by a killed test says whose it was.
    let dir = directory(&db);
    let name = dir.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("orient-test-the_attribute_hands_over_a_migrated_db-"),
        "{name}"
    );
}

#[orient_database::test]
fn the_attribute_hands_over_a_test_db(db: TestDb) {
    let mut conn = db.connect().unwrap();
    diesel::insert_into(agents::table)
        .values(&NewAgent::new("direct", "Direct"))
        .execute(&mut conn)
        .unwrap();
    let agents: Vec<Agent> = db
        .read(|conn| Ok::<_, db::Error>(agents::table.load(conn)?))
        .unwrap();
    assert_eq!(agents.len(), 1);
}

#[orient_database::test(template = TWO_AGENTS)]
fn the_attribute_copies_the_template_it_is_given(db: Db) {
    assert_eq!(agent_ids(&db), ["seeded-a", "seeded-b"]);
}

#[orient_database::test]
fn the_attribute_keeps_the_return_type(db: Db) -> Result<(), db::Error> {
    let n: i64 = db.read(|conn| Ok::<_, db::Error>(agents::table.count().get_result(conn)?))?;
    assert_eq!(n, 0);
    Ok(())
}

static PANICKED_IN: Mutex<Option<PathBuf>> = Mutex::new(None);

#[orient_database::test]
#[should_panic(expected = "on purpose")]
fn a_panicking_test(db: Db) {
    *PANICKED_IN.lock().unwrap() = Some(directory(&db));
    panic!("on purpose");
}

#[test]
fn a_test_that_panics_still_deletes_its_database() {
    // The attribute's function is an ordinary function too: run it and watch its database go.
    let outcome = std::panic::catch_unwind(a_panicking_test);
    assert!(outcome.is_err());
    let dir = PANICKED_IN.lock().unwrap().clone().unwrap();
    assert!(!dir.exists(), "{} is still there", dir.display());
}

// PostgreSQL: the same databases on a server (`CREATE DATABASE … TEMPLATE …`).

#[cfg(feature = "postgres")]
static PG_HOOK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cfg(feature = "postgres")]
fn seed_two_agents_on_postgres(conn: &mut DbConnection) -> Result<(), SeedError> {
    PG_HOOK_RUNS.fetch_add(1, Ordering::SeqCst);
    NewAgent::insert_all(
        conn,
        &[
            NewAgent::new("seeded-a", "A"),
            NewAgent::new("seeded-b", "B"),
        ],
    )?;
    Ok(())
}

#[cfg(feature = "postgres")]
static TWO_AGENTS_PG: Template = Template::seeded("two agents (pg)", seed_two_agents_on_postgres);

#[cfg(feature = "postgres")]
#[test]
fn on_postgres_each_test_gets_a_copy_of_the_template_dropped_with_it() {
    let Some(server) = orient_testkit::postgres::server() else {
        return;
    };
    let first = TestDb::on(Engine::Postgres, &TWO_AGENTS_PG, "first").unwrap();
    let second = TestDb::on(Engine::Postgres, &TWO_AGENTS_PG, "second").unwrap();
    assert_eq!(first.engine(), Engine::Postgres);
    assert_eq!(agent_ids(&first), ["seeded-a", "seeded-b"]);
    add_agent(&first, "extra");
    assert_eq!(agent_ids(&first), ["extra", "seeded-a", "seeded-b"]);
    assert_eq!(agent_ids(&second), ["seeded-a", "seeded-b"]);
    assert_eq!(PG_HOOK_RUNS.load(Ordering::SeqCst), 1);
    // Migrated: the ledger holds every shipped PostgreSQL migration.
    let mut conn = second.connect().unwrap();
    let status = runner::status(&mut conn, &migrations::embedded_postgres().unwrap()).unwrap();
    assert!(
        status.pending.is_empty() && status.unknown.is_empty(),
        "{status:?}"
    );
    assert_eq!(status.applied.len(), 2);
    drop(conn);

    let databases = || {
        server.psql(
            "postgres",
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'orient_t_%'",
        )
    };
    let before: i64 = databases().parse().unwrap();
    let leaked = first.connect().unwrap(); // a connection the test forgot to close
    drop(first);
    drop(leaked);
    assert_eq!(databases().parse::<i64>().unwrap(), before - 1);
    drop(second);
    assert_eq!(databases().parse::<i64>().unwrap(), before - 2);
}
