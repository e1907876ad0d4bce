//! `diesel migration run` on the files the binaries embed produces the declared schema, on the ledger
//! our runner reads. Uses the Diesel CLI when it is on PATH (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use orient_database::db::backend::from_sqlite;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::migrations;
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_testkit::{Project, describe, on_path};

fn diesel_cli() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("ORIENT_DIESEL_CLI")
        .map(std::path::PathBuf::from)
        .or_else(|| on_path("diesel"));
    if found.is_none() {
        assert!(
            std::env::var_os("ORIENT_REQUIRE_DIESEL_CLI").is_none(),
            "ORIENT_REQUIRE_DIESEL_CLI is set but no `diesel` is on PATH"
        );
        eprintln!(
            "SKIPPED: the Diesel CLI is not on PATH; install it with `cargo install diesel_cli \
             --no-default-features --features sqlite-bundled,postgres-bundled` (.ci/run does)"
        );
    }
    found
}

/// The `DATABASE_URL` and `--migration-dir` the Diesel CLI gets for `project`'s database: the default
/// instance file (created empty, as `diesel` only opens) with `migrations/sqlite`, or the PostgreSQL
/// database with `migrations/postgres`.
fn diesel_target(project: &Project) -> (String, &'static str) {
    match project.url() {
        Some(url) => (url.to_owned(), "migrations/postgres"),
        None => {
            let db = project.db();
            std::fs::create_dir_all(db.parent().unwrap()).unwrap();
            (db.to_str().unwrap().to_owned(), "migrations/sqlite")
        }
    }
}

/// `orient-db --json check` on the project's database must be clean, and `migrate status` list every
/// shipped migration as applied: our runner reads the ledger Diesel wrote.
fn assert_orient_agrees(project: &Project, label: &str) {
    let check = project.run(&["--json", "check"], &[]);
    assert_eq!(check.code, 0, "after {label}: {check:?}");
    let status = project.run(&["--json", "migrate", "status"], &[]).json();
    assert_eq!(
        status["applied"].as_array().map(Vec::len),
        Some(2),
        "after {label}: {status}"
    );
    assert_eq!(status["pending"], serde_json::json!([]), "after {label}");
    assert_eq!(status["unknown"], serde_json::json!([]), "after {label}");
}

orient_testkit::on_each_engine! {
    fn diesel_migration_run_and_redo_produce_the_declared_schema(project: Project) {
        let Some(diesel) = diesel_cli() else { return };
        project.add_migrations();
        let (url, dir) = diesel_target(&project);
        let diesel_run = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--migration-dir", dir]);
            project.command(&diesel, &all, &[("DATABASE_URL", &url)])
        };

        let run = diesel_run(&["migration", "run"]);
        assert!(run.status.success(), "{}", describe(&run));
        assert_orient_agrees(&project, "diesel migration run");

        // down.sql and up.sql of the last migration, through Diesel's own runner.
        let redo = diesel_run(&["migration", "redo"]);
        assert!(redo.status.success(), "{}", describe(&redo));
        assert_orient_agrees(&project, "diesel migration redo");

        // Diesel lists both as applied.
        let list = diesel_run(&["migration", "list"]);
        let text = String::from_utf8_lossy(&list.stdout);
        assert!(
            text.contains("[X] 2026-02-01-231009_initial_schema"),
            "{text}"
        );
        assert!(
            text.contains("[X] 2026-02-02-094141_agents_model_tier"),
            "{text}"
        );
    }

    fn diesel_sees_a_database_migrated_by_orient_as_up_to_date(project: Project) {
        let Some(diesel) = diesel_cli() else { return };
        project.add_migrations();
        let migrate = project.run(&["migrate"], &[]);
        assert_eq!(migrate.code, 0, "{migrate:?}");
        let (url, dir) = diesel_target(&project);
        let pending = project.command(
            &diesel,
            &["migration", "pending", "--migration-dir", dir],
            &[("DATABASE_URL", &url)],
        );
        assert!(pending.status.success(), "{}", describe(&pending));
        assert!(
            String::from_utf8_lossy(&pending.stdout).contains("false"),
            "{}",
            describe(&pending)
        );
    }
}

/// A rebuild migration written by `generate` (its own transaction, foreign keys off before BEGIN) under
/// Diesel's runner: child rows survive `diesel migration run` and `diesel migration revert`.
#[test]
fn diesel_runs_and_reverts_a_generated_rebuild_migration_without_losing_child_rows() {
    let Some(diesel) = diesel_cli() else { return };
    let project = Project::with_migrations();
    let dir = project.root().join("migrations/sqlite");
    // The structs say model_tier defaults to 'cheap'; make the migrations say 'free'.
    let second = dir.join("2026-02-02-094141_agents_model_tier");
    std::fs::write(
        second.join("up.sql"),
        "ALTER TABLE \"agents\" ADD COLUMN \"model_tier\" text DEFAULT 'free';\n",
    )
    .unwrap();
    let url = project.root().join("diesel.db");
    let url = url.to_str().unwrap();
    let run = project.command(&diesel, &["migration", "run"], &[("DATABASE_URL", url)]);
    assert!(run.status.success(), "{}", describe(&run));

    let mut conn = from_sqlite(SqliteConnection::establish(url).unwrap());
    diesel::sql_query("INSERT INTO agents (id, name) VALUES ('ori', 'Ori')")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(
        "INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'a'), ('ori', 'b')",
    )
    .execute(&mut conn)
    .unwrap();
    drop(conn);

    let generated = migrations::generate::generate(
        &dir,
        "model_tier_cheap",
        &Schema::from_declared(TABLES),
        orient_database::types::Timestamp::now(),
        orient_database::dialect::sqlite::scratch().unwrap(),
    )
    .unwrap()
    .unwrap();
    assert!(generated.self_managed);

    let run = project.command(&diesel, &["migration", "run"], &[("DATABASE_URL", url)]);
    assert!(run.status.success(), "{}", describe(&run));
    let mut conn = from_sqlite(SqliteConnection::establish(url).unwrap());
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &Schema::from_declared(TABLES), &Sqlite), vec![]);
    let skills: i64 =
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM agent_skills")
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(
        skills, 2,
        "the rebuild of agents cascaded into agent_skills"
    );
    drop(conn);

    let revert = project.command(&diesel, &["migration", "revert"], &[("DATABASE_URL", url)]);
    assert!(revert.status.success(), "{}", describe(&revert));
    let mut conn = from_sqlite(SqliteConnection::establish(url).unwrap());
    let skills: i64 =
        diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM agent_skills")
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(skills, 2);
    let all = migrations::from_directory(&dir).unwrap();
    let previous = orient_database::dialect::sqlite::replay_migrations(&all[..2])
        .unwrap()
        .schema;
    assert_eq!(
        diff(&conn.introspect().unwrap().schema, &previous, &Sqlite),
        vec![]
    );
}
