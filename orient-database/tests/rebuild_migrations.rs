//! Migrations that rebuild a table: generated from the structs, applied with child rows present, checked,
//! reverted; a guard that fails leaves the database and the connection as they were; a migration whose
//! changes committed but whose ledger row did not is recorded, not run twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_testkit::sqlite::{connect, query_number as number};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use orient_database::check::{check_database, check_migrations};
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::db::target::Target;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::dialect::sqlite::replay_migrations as replay;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::migrations::{self, generate::generate, migrate, revert_last};
use orient_database::types::Timestamp;

/// The schema the structs declare.
fn declared() -> orient_database::model::Schema {
    orient_database::model::Schema::from_declared(orient_database::schema::TABLES)
}

/// The repository's first migration, then one adding `agents.model_tier` with DEFAULT 'free' instead of
/// the declared 'cheap': the structs now differ from the migrations by a default, which needs a rebuild.
fn migrations_with_an_old_default(dir: &Path) {
    let repo = orient_testkit::repository_migrations();
    orient_testkit::copy_dir(
        &repo.join("2026-02-01-231009_initial_schema"),
        &dir.join("2026-02-01-231009_initial_schema"),
    );
    let second = dir.join("2026-02-02-094141_agents_model_tier");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        second.join("up.sql"),
        "ALTER TABLE \"agents\" ADD COLUMN \"model_tier\" text DEFAULT 'free';\n",
    )
    .unwrap();
    std::fs::write(
        second.join("down.sql"),
        "ALTER TABLE \"agents\" DROP COLUMN \"model_tier\";\n",
    )
    .unwrap();
}

fn children(conn: &mut DbConnection) -> String {
    ["agent_skills", "agent_tools", "context_rules"]
        .map(|t| orient_testkit::sqlite::table_content(conn, t))
        .join("/")
}

fn with_rows(conn: &mut DbConnection) {
    conn.batch_execute(
        "INSERT INTO agents (id, name) VALUES ('ori', 'Ori'), ('explorer', 'Explorer');
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'a'), ('explorer', 'b');
         INSERT INTO agent_tools (agent_id, pattern, type) VALUES ('ori', 'x_*', 'allow');
         INSERT INTO context_rules (context_type, agent_id, priority) VALUES ('default', 'ori', 0), ('platform', 'explorer', 5);",
    )
    .unwrap();
}

#[test]
fn a_generated_rebuild_migration_applies_checks_clean_and_reverts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let migrations_dir = dir.path().join("migrations");
    migrations_with_an_old_default(&migrations_dir);

    let generated = generate(
        &migrations_dir,
        "model_tier_defaults_to_cheap",
        &declared(),
        Timestamp::from_unix_seconds(1_780_000_000),
        orient_database::dialect::sqlite::scratch().unwrap(),
    )
    .unwrap()
    .expect("the default differs, so there is a migration to write");
    assert!(generated.self_managed);
    let metadata = std::fs::read_to_string(generated.directory.join("metadata.toml")).unwrap();
    assert!(metadata.contains("run_in_transaction = false"));
    let up = &generated.up;
    let off = up.find("PRAGMA foreign_keys = OFF;").unwrap();
    let begin = up.find("BEGIN IMMEDIATE;").unwrap();
    let commit = up.find("COMMIT;").unwrap();
    assert!(
        off < begin && begin < commit,
        "foreign keys go off before BEGIN:\n{up}"
    );
    assert!(up.contains("CREATE TABLE \"__orient_new_agents\""));
    assert!(up.contains("FROM pragma_foreign_key_check"));
    assert!(up.contains("'row_count'"));

    let all = migrations::from_directory(&migrations_dir).unwrap();
    assert_eq!(all.len(), 3);
    assert!(!all[2].run_in_transaction);
    let db = dir.path().join("orient.db");
    let mut conn = from_sqlite(connect(&db));
    migrate(&mut conn, &Target::sqlite(&db), &all[..2]).unwrap();
    with_rows(&mut conn);
    let before = children(&mut conn);

    let report = migrate(&mut conn, &Target::sqlite(&db), &all).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(children(&mut conn), before, "child rows changed");
    assert_eq!(
        number(
            &mut conn,
            "SELECT foreign_keys AS n FROM pragma_foreign_keys"
        ),
        1
    );
    let live = conn.introspect().unwrap().schema;
    assert!(check_database(Some(&live), &declared(), &Sqlite).clean);
    assert!(check_migrations(&replay(&all).unwrap().schema, &declared(), &Sqlite).clean);

    let reverted = revert_last(&mut conn, &Target::sqlite(&db), &all).unwrap();
    assert_eq!(reverted.reverted.name, all[2].name);
    let live = conn.introspect().unwrap().schema;
    assert_eq!(
        diff(&live, &replay(&all[..2]).unwrap().schema, &Sqlite),
        vec![]
    );
    assert_eq!(children(&mut conn), before);
    assert_eq!(number(&mut conn, "SELECT count(*) AS n FROM agents"), 2);
}

/// Migrations ending in a generated rebuild of `agents`, and a database holding rows that has every
/// migration but that rebuild.
fn before_the_rebuild() -> (
    tempfile::TempDir,
    Vec<migrations::Migration>,
    PathBuf,
    DbConnection,
) {
    let dir = tempfile::tempdir().unwrap();
    let migrations_dir = dir.path().join("migrations");
    migrations_with_an_old_default(&migrations_dir);
    generate(
        &migrations_dir,
        "cheap",
        &declared(),
        Timestamp::from_unix_seconds(1_780_000_000),
        orient_database::dialect::sqlite::scratch().unwrap(),
    )
    .unwrap()
    .unwrap();
    let all = migrations::from_directory(&migrations_dir).unwrap();
    let db = dir.path().join("orient.db");
    let mut conn = from_sqlite(connect(&db));
    migrate(&mut conn, &Target::sqlite(&db), &all[..2]).unwrap();
    with_rows(&mut conn);
    (dir, all, db, conn)
}

#[test]
fn a_failing_guard_leaves_the_database_and_the_connection_as_they_were() {
    let (_dir, all, db, mut conn) = before_the_rebuild();
    // A skill of an agent that does not exist: the rebuild's foreign-key guard must stop it.
    conn.batch_execute(
        "PRAGMA foreign_keys = OFF; INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ghost', 'x'); PRAGMA foreign_keys = ON;",
    )
    .unwrap();
    let schema_before = conn.introspect().unwrap().schema;

    let error = migrate(&mut conn, &Target::sqlite(&db), &all)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("foreign key violations after the rebuild"),
        "{error}"
    );
    assert!(error.contains(&all[2].name.to_string()), "{error}");
    assert_eq!(
        diff(&conn.introspect().unwrap().schema, &schema_before, &Sqlite),
        vec![]
    );
    // The connection is usable as before: no transaction left open, foreign keys on, no guard tables.
    assert_eq!(
        number(
            &mut conn,
            "SELECT foreign_keys AS n FROM pragma_foreign_keys"
        ),
        1
    );
    conn.batch_execute("BEGIN; ROLLBACK;").unwrap();
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM temp.sqlite_schema WHERE name LIKE '__orient_%'"
        ),
        0
    );
    let status = migrations::runner::status(&mut conn, &all).unwrap();
    assert_eq!(status.pending.len(), 1);
}

#[test]
fn a_rebuild_committed_but_not_recorded_is_recorded_not_run_again() {
    let (_dir, all, db, mut conn) = before_the_rebuild();
    // The script ran and committed; the process died before the ledger row was written.
    conn.batch_execute(&all[2].up).unwrap();

    let report = migrate(&mut conn, &Target::sqlite(&db), &all).unwrap();
    assert_eq!(report.recovered.len(), 1);
    assert!(report.applied.is_empty());
    let status = migrations::runner::status(&mut conn, &all).unwrap();
    assert!(status.pending.is_empty());
    assert_eq!(
        diff(&conn.introspect().unwrap().schema, &declared(), &Sqlite),
        vec![]
    );
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM agent_skills"),
        2
    );
}
