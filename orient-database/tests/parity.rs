//! The parity gate: `orient-db check` on both migration directories, and `orient-db generate` writing
//! both, driven through the real binary in scratch projects. Without a server, what can be checked
//! statically (version sets, `up.sql`) is; with one (feature `postgres`, the throwaway server of
//! `orient_testkit::postgres`), the PostgreSQL directory is replayed in a scratch schema, and the files
//! `generate` writes are applied to a real database.
//!
//! `cargo test -p orient-database --test parity` (SQLite lane);
//! `ORIENT_REQUIRE_POSTGRES=1 cargo test -p orient-database --features postgres --test parity`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_testkit::{Project, listing};

const NO_SERVER: &str = "PostgreSQL migrations not replayed: no PostgreSQL server configured (set \
                         DATABASE_URL=postgres://…)";
const MODEL_TIER: &str = "2026-02-02-094141_agents_model_tier";

#[test]
fn a_clean_repository_passes_and_says_postgres_was_not_replayed_without_a_server() {
    let project = Project::with_migrations();
    let run = project.run(&["check", "--no-database"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(NO_SERVER), "{run:?}");
    assert!(
        run.stdout
            .contains("ok: migrations/sqlite and migrations/postgres hold the same versions"),
        "{run:?}"
    );
    let json = project
        .run(&["--json", "check", "--no-database"], &[])
        .json();
    assert_eq!(json["clean"], true, "{json}");
    assert_eq!(json["postgres_migrations"]["replayed"], false, "{json}");
    assert_eq!(json["postgres_migrations"]["skipped"], NO_SERVER, "{json}");
    assert_eq!(json["parity"]["problems"], serde_json::json!([]), "{json}");
}

#[test]
fn a_version_missing_from_postgres_is_drift_naming_it_and_where() {
    let project = Project::with_migrations();
    std::fs::remove_dir_all(project.path("migrations/postgres").join(MODEL_TIER)).unwrap();
    let run = project.run(&["check", "--no-database"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stdout.contains(
            "version 20260202094141 (migrations/sqlite/2026-02-02-094141_agents_model_tier) is \
             missing from migrations/postgres/"
        ),
        "{run:?}"
    );
    let json = project
        .run(&["--json", "check", "--no-database"], &[])
        .json();
    assert_eq!(json["clean"], false);
    let problems = json["parity"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{json}");
    assert_eq!(problems[0]["kind"], "missing_version");
    assert_eq!(problems[0]["version"], "20260202094141");
    assert_eq!(problems[0]["directory"], "migrations/postgres");
    // generate refuses too (a diff rendered for both would not do the same on both), writing nothing.
    let before = listing(project.root());
    let generate = project.run(&["generate", "anything"], &[]);
    assert_eq!(generate.code, 5, "{generate:?}");
    assert!(generate.stderr.contains("not in parity"), "{generate:?}");
    assert!(generate.stderr.contains("20260202094141"), "{generate:?}");
    assert_eq!(listing(project.root()), before);
}

#[test]
fn a_version_missing_from_sqlite_is_drift_too() {
    let project = Project::with_migrations();
    std::fs::remove_dir_all(project.path("migrations/sqlite").join(MODEL_TIER)).unwrap();
    let json = project
        .run(&["--json", "check", "--no-database"], &[])
        .json();
    let problems = json["parity"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{json}");
    assert_eq!(problems[0]["kind"], "missing_version");
    assert_eq!(problems[0]["directory"], "migrations/sqlite");
    assert_eq!(json["clean"], false);
}

#[test]
fn a_postgres_version_without_up_sql_is_drift_naming_the_version() {
    let project = Project::with_migrations();
    std::fs::remove_file(
        project
            .path("migrations/postgres")
            .join(MODEL_TIER)
            .join("up.sql"),
    )
    .unwrap();
    let run = project.run(&["check", "--no-database"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stdout.contains(
            "migrations/postgres/2026-02-02-094141_agents_model_tier has no up.sql (version \
             20260202094141)"
        ),
        "{run:?}"
    );
    let json = project
        .run(&["--json", "check", "--no-database"], &[])
        .json();
    assert_eq!(json["parity"]["problems"][0]["kind"], "missing_up_sql");
    assert_eq!(json["parity"]["problems"][0]["version"], "20260202094141");
}

#[test]
fn a_missing_postgres_directory_is_drift_and_generate_says_what_to_do() {
    let project = Project::with_migrations();
    std::fs::remove_dir_all(project.path("migrations/postgres")).unwrap();
    let run = project.run(&["check", "--no-database"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stdout.contains("migrations/postgres does not exist"),
        "{run:?}"
    );
    let before = listing(project.root());
    let generate = project.run(&["generate", "anything"], &[]);
    assert_eq!(generate.code, 5, "{generate:?}");
    assert!(
        generate
            .stderr
            .contains("migrations/postgres does not exist")
            && generate.stderr.contains("Create migrations/postgres/"),
        "{generate:?}"
    );
    assert_eq!(listing(project.root()), before, "generate wrote something");
}

/// The structs with a new `agents.priority` column of type `ty`.
fn with_priority(ty: orient_database::model::ColumnType) -> orient_database::model::Schema {
    use orient_database::model::{Column, DefaultValue, Schema};
    let mut schema = Schema::from_declared(orient_database::schema::TABLES);
    let agents = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "agents")
        .unwrap();
    agents.columns.to_mut().push(
        Column::new("priority", ty)
            .not_null()
            .default(DefaultValue::Integer(0)),
    );
    Schema::new(schema.tables)
}

/// `agents.priority` added as an `i32`, then widened to `i64`: two generated migrations, the second
/// visible to PostgreSQL only (SQLite records `integer` for both).
fn widen_priority(project: &Project) -> orient_database::migrations::generate::GeneratedBoth {
    use orient_database::migrations::generate::generate_both;
    use orient_database::migrations::parity::project_directories;
    use orient_database::model::ColumnType;
    use orient_database::types::Timestamp;
    let dirs = project_directories(project.root()).unwrap();
    generate_both(
        &dirs,
        "agent_priority",
        &with_priority(ColumnType::Integer),
        Timestamp::from_unix_seconds(1_780_000_000),
    )
    .unwrap()
    .expect("a new column is a migration");
    generate_both(
        &dirs,
        "widen_agent_priority",
        &with_priority(ColumnType::BigInt),
        Timestamp::from_unix_seconds(1_780_000_100),
    )
    .unwrap()
    .expect("a width-only change is a migration for PostgreSQL")
}

#[test]
fn a_width_only_change_is_generated_for_postgres_without_a_server() {
    let project = Project::with_migrations();
    let widened = widen_priority(&project);
    assert!(
        widened
            .postgres
            .up
            .contains(r#"ALTER TABLE "agents" ALTER COLUMN "priority" TYPE bigint"#),
        "{}",
        widened.postgres.up
    );
    assert!(
        widened.postgres.down.contains("TYPE integer"),
        "{}",
        widened.postgres.down
    );
    assert!(
        widened.sqlite.up.contains("Nothing changes on SQLite"),
        "{}",
        widened.sqlite.up
    );
    // Once written, the structs and both directories agree: nothing more to generate.
    let dirs = orient_database::migrations::parity::project_directories(project.root()).unwrap();
    let again = orient_database::migrations::generate::generate_both(
        &dirs,
        "nothing",
        &with_priority(orient_database::model::ColumnType::BigInt),
        orient_database::types::Timestamp::from_unix_seconds(1_780_000_200),
    )
    .unwrap();
    assert!(again.is_none(), "{again:?}");
}

/// With a server: the PostgreSQL directory replayed in a scratch schema on it.
#[cfg(feature = "postgres")]
mod with_a_server {
    use super::*;

    use diesel::prelude::*;
    use orient_database::db::DbConnection;
    use orient_database::db::target::{PostgresTarget, Target};
    use orient_database::dialect::postgres::Postgres;
    use orient_database::dialect::sqlite::Sqlite;
    use orient_database::diff::diff;
    use orient_database::engine::EngineConnection;
    use orient_database::migrations::generate::generate_both;
    use orient_database::migrations::parity::project_directories;
    use orient_database::migrations::{from_directory, migrate};
    use orient_database::model::{Column, ColumnType, DefaultValue, Index, Schema, Table};
    use orient_database::types::Timestamp;
    use orient_testkit::postgres::server;
    use std::borrow::Cow;

    /// A new database on the test server, as DATABASE_URL; `None` when skipped.
    fn database(hint: &str) -> Option<String> {
        let server = server()?;
        Some(server.url(&server.create_database(hint)))
    }

    #[test]
    fn a_clean_repository_replays_clean_on_the_server_and_after_migrate() {
        let Some(url) = database("parity_clean") else {
            return;
        };
        let project = Project::with_migrations();
        let env = [("DATABASE_URL", url.as_str())];
        let run = project.run(&["check", "--no-database"], &env);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("ok: the PostgreSQL migrations") && !run.stdout.contains(NO_SERVER),
            "{run:?}"
        );
        let json = project
            .run(&["--json", "check", "--no-database"], &env)
            .json();
        assert_eq!(json["postgres_migrations"]["replayed"], true, "{json}");
        assert_eq!(json["postgres_migrations"]["clean"], true, "{json}");
        assert_eq!(json["parity"]["clean"], true, "{json}");
        // The scratch schema is gone afterwards.
        let mut conn = PgConnection::establish(&url).unwrap();
        let schemas: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '__orient_scratch%'",
        )
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(schemas, 0);
        // migrate, then the whole check (database included) is clean.
        assert_eq!(project.run(&["migrate"], &env).code, 0);
        let full = project.run(&["check"], &env);
        assert_eq!(full.code, 0, "{full:?}");
    }

    #[test]
    fn a_narrowed_postgres_column_is_drift_naming_the_version_and_the_column() {
        let Some(url) = database("parity_narrowed") else {
            return;
        };
        let project = Project::with_migrations();
        let up = project
            .path("migrations/postgres")
            .join("2026-02-01-231009_initial_schema")
            .join("up.sql");
        let sql = std::fs::read_to_string(&up).unwrap();
        // `agents` is the first table: its created_at (a Timestamp, i64 Unix seconds, bigint) becomes a
        // 32-bit integer.
        let narrowed = sql.replacen("\"created_at\" bigint", "\"created_at\" integer", 1);
        assert_ne!(narrowed, sql);
        assert!(
            narrowed.find("\"created_at\" integer")
                < narrowed.find("CREATE TABLE \"agent_skills\"")
        );
        std::fs::write(&up, narrowed).unwrap();
        let env = [("DATABASE_URL", url.as_str())];
        let run = project.run(&["check", "--no-database"], &env);
        assert_eq!(run.code, 5, "{run:?}");
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains("`agents`.`created_at`"))
            .unwrap_or_else(|| panic!("no line names the column: {run:?}"));
        assert!(
            line.contains("type integer where timestamp is declared"),
            "{line}"
        );
        assert!(
            line.contains("version 20260201231009")
                && line.contains("migrations/postgres/2026-02-01-231009_initial_schema/up.sql"),
            "{line}"
        );
        let json = project
            .run(&["--json", "check", "--no-database"], &env)
            .json();
        let differences = json["postgres_migrations"]["differences"]
            .as_array()
            .unwrap();
        assert_eq!(differences.len(), 1, "{json}");
        assert_eq!(differences[0]["table"], "agents");
        assert_eq!(differences[0]["column"], "created_at");
        assert_eq!(
            differences[0]["migration"],
            "2026-02-01-231009_initial_schema"
        );
        // SQLite's side is untouched, and the replays still agree at SQLite's resolution.
        assert_eq!(json["migrations"]["clean"], true, "{json}");
    }

    #[test]
    fn a_deleted_postgres_up_sql_is_drift_naming_the_version_and_the_column() {
        let Some(url) = database("parity_deleted") else {
            return;
        };
        let project = Project::with_migrations();
        std::fs::remove_file(
            project
                .path("migrations/postgres")
                .join(MODEL_TIER)
                .join("up.sql"),
        )
        .unwrap();
        let env = [("DATABASE_URL", url.as_str())];
        let run = project.run(&["check", "--no-database"], &env);
        assert_eq!(run.code, 5, "{run:?}");
        assert!(
            run.stdout
                .contains("has no up.sql (version 20260202094141)"),
            "{run:?}"
        );
        // The rest was replayed, so the column the missing file made is named.
        assert!(
            run.stdout.contains(
                "column `agents`.`model_tier` is declared but missing from the PostgreSQL migrations"
            ),
            "{run:?}"
        );
    }

    #[test]
    fn a_column_changed_by_a_later_postgres_migration_names_that_migration() {
        let Some(url) = database("parity_later") else {
            return;
        };
        let project = Project::with_migrations();
        // The second migration also makes agents.name nullable, on PostgreSQL only.
        let up = project
            .path("migrations/postgres")
            .join(MODEL_TIER)
            .join("up.sql");
        let mut sql = std::fs::read_to_string(&up).unwrap();
        sql.push_str("ALTER TABLE \"agents\" ALTER COLUMN \"name\" DROP NOT NULL;\n");
        std::fs::write(&up, sql).unwrap();
        let env = [("DATABASE_URL", url.as_str())];
        let json = project
            .run(&["--json", "check", "--no-database"], &env)
            .json();
        assert_eq!(json["clean"], false, "{json}");
        let differences = json["postgres_migrations"]["differences"]
            .as_array()
            .unwrap();
        assert_eq!(differences.len(), 1, "{json}");
        assert_eq!(differences[0]["column"], "name");
        assert_eq!(differences[0]["migration"], MODEL_TIER);
        // The replays disagree on nullability: the parity section says so too.
        let problems = json["parity"]["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|p| p["kind"] == "column_differs"
                && p["column"] == "name"
                && p["message"]
                    .as_str()
                    .unwrap()
                    .contains("NOT NULL on SQLite, nullable on PostgreSQL")),
            "{json}"
        );
    }

    /// The declared schema, changed: a new table with a foreign key and an identity id, a new `i32`
    /// column with a default, a changed default (a rebuild on SQLite, in place on PostgreSQL), a new
    /// index.
    fn changed_structs() -> Schema {
        let mut schema = Schema::from_declared(orient_database::schema::TABLES);
        let agents = schema
            .tables
            .iter_mut()
            .find(|t| t.name == "agents")
            .unwrap();
        let columns = agents.columns.to_mut();
        columns
            .push(Column::new("priority", ColumnType::Integer).default(DefaultValue::Integer(0)));
        columns
            .iter_mut()
            .find(|c| c.name == "mode")
            .unwrap()
            .default = Some(DefaultValue::Text(Cow::Borrowed("subagent")));
        agents
            .indexes
            .to_mut()
            .push(Index::new("idx_agents_priority", &["priority"], false));
        let mut notes = Table::new("agent_notes");
        let mut id = Column::new("id", ColumnType::BigInt).not_null();
        id.autoincrement = true;
        notes.columns = vec![
            id,
            Column::new("agent_id", ColumnType::Text).not_null(),
            Column::new("body", ColumnType::Text).not_null(),
            Column::new("pinned", ColumnType::Bool)
                .not_null()
                .default(DefaultValue::Bool(false)),
            Column::new("created_at", ColumnType::Timestamp),
        ]
        .into();
        notes.primary_key = vec![Cow::Borrowed("id")].into();
        notes.foreign_keys = vec![orient_database::model::ForeignKey {
            columns: vec![Cow::Borrowed("agent_id")].into(),
            references_table: Cow::Borrowed("agents"),
            references_columns: vec![Cow::Borrowed("id")].into(),
            on_delete: orient_database::model::FkAction::Cascade,
            on_update: orient_database::model::FkAction::NoAction,
        }]
        .into();
        schema.tables.push(notes);
        Schema::new(schema.tables)
    }

    #[test]
    fn a_generated_widening_applies_on_a_real_server_and_compares_clean() {
        let Some(url) = database("parity_widen") else {
            return;
        };
        let project = Project::with_migrations();
        widen_priority(&project);
        let dirs = project_directories(project.root()).unwrap();
        let postgres = from_directory(&dirs.postgres).unwrap();
        let target = Target::Postgres(PostgresTarget::parse(&url).unwrap());
        let mut conn = DbConnection::Postgres(PgConnection::establish(&url).unwrap());
        migrate(&mut conn, &target, &postgres).unwrap();
        let live = conn.introspect().unwrap().schema;
        assert_eq!(
            diff(&live, &with_priority(ColumnType::BigInt), &Postgres),
            vec![]
        );
    }

    #[test]
    fn generated_postgres_files_apply_on_a_real_server_and_both_compare_clean() {
        let Some(url) = database("parity_generate") else {
            return;
        };
        let project = Project::with_migrations();
        let dirs = project_directories(project.root()).unwrap();
        let desired = changed_structs();
        let generated = generate_both(
            &dirs,
            "notes_and_priority",
            &desired,
            Timestamp::from_unix_seconds(1_780_000_000),
        )
        .unwrap()
        .expect("the structs changed, so there is a migration to write");
        assert_eq!(
            generated.sqlite.directory.file_name(),
            generated.postgres.directory.file_name()
        );
        assert!(
            generated.sqlite.self_managed,
            "SQLite rebuilds agents for the default"
        );
        assert!(
            !generated.postgres.self_managed
                && !generated.postgres.directory.join("metadata.toml").exists(),
            "PostgreSQL alters in place, inside Diesel's transaction"
        );

        // SQLite: replayed in memory, the structs exactly.
        let sqlite = from_directory(&dirs.sqlite).unwrap();
        assert_eq!(sqlite.len(), 3);
        let replayed = orient_database::dialect::sqlite::replay_migrations(&sqlite)
            .unwrap()
            .schema;
        assert_eq!(diff(&replayed, &desired, &Sqlite), vec![]);

        // PostgreSQL: applied by the migrator to a real database, which then reads back as the structs.
        let postgres = from_directory(&dirs.postgres).unwrap();
        assert_eq!(postgres.len(), 3);
        let target = Target::Postgres(PostgresTarget::parse(&url).unwrap());
        let mut conn = DbConnection::Postgres(PgConnection::establish(&url).unwrap());
        let report = migrate(&mut conn, &target, &postgres).unwrap();
        assert_eq!(report.applied.len(), 3, "{report:?}");
        let live = conn.introspect().unwrap().schema;
        assert_eq!(diff(&live, &desired, &Postgres), vec![]);
        // ...and down.sql undoes it exactly: back to the schema of the first two migrations.
        orient_database::migrations::revert_last(&mut conn, &target, &postgres).unwrap();
        let live = conn.introspect().unwrap().schema;
        let original = Schema::from_declared(orient_database::schema::TABLES);
        assert_eq!(diff(&live, &original, &Postgres), vec![]);
    }
}
