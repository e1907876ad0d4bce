//! The `orient-db` binary, driven as a process on real files: configuration, bad input, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_testkit::{Engine, Project, listing, sha256_file};

#[test]
fn migrate_creates_missing_directories_says_so_and_is_idempotent() {
    let project = Project::new();
    let first = project.run(&["migrate"], &[]);
    assert_eq!(first.code, 0, "{first:?}");
    let db = project.path(".dev-data/instance-0/orient.db");
    assert!(db.is_file());
    assert!(first.stderr.contains("created directory"), "{first:?}");
    assert!(first.stderr.contains(".dev-data/instance-0"), "{first:?}");
    assert!(
        first
            .stdout
            .contains("applied 2026-02-01-231009_initial_schema")
    );
    assert!(
        first
            .stdout
            .contains("applied 2026-02-02-094141_agents_model_tier")
    );

    let second = project.run(&["--json", "migrate"], &[]);
    assert_eq!(second.code, 0, "{second:?}");
    let report = second.json();
    assert_eq!(report["applied"], serde_json::json!([]));
    assert_eq!(report["up_to_date"], true);
    assert_eq!(report["total_applied"], 2);
    assert_eq!(report["created_database"], false);
}

#[test]
fn status_lists_applied_and_pending_as_text_and_json() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let text = project.run(&["migrate", "status"], &[]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .contains("applied  2026-02-01-231009_initial_schema")
    );
    let json = project.run(&["--json", "migrate", "status"], &[]).json();
    assert_eq!(json["applied"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["pending"], serde_json::json!([]));
    assert_eq!(json["applied"][1]["version"], "20260202094141");
}

#[test]
fn read_only_commands_on_a_missing_database_create_nothing() {
    let project = Project::new();
    let before = listing(project.root());
    let path = project.run(&["path"], &[]);
    assert_eq!(path.code, 0, "{path:?}");
    assert!(path.stdout.contains("exists:       no"), "{path:?}");
    let status = project.run(&["migrate", "status"], &[]);
    assert_eq!(status.code, 2, "{status:?}");
    assert!(
        status.stderr.contains("database file not found"),
        "{status:?}"
    );
    assert!(status.stderr.contains("orient-db migrate"), "{status:?}");
    let schema = project.run(&["schema"], &[]);
    assert_eq!(schema.code, 2, "{schema:?}");
    let json = project.run(&["--json", "schema", "agents"], &[]);
    assert_eq!(json.code, 2, "{json:?}");
    assert_eq!(json.json()["error"]["exit_code"], 2);
    assert_eq!(
        listing(project.root()),
        before,
        "a read-only command created a file"
    );
}

#[test]
fn read_only_commands_leave_an_existing_database_byte_identical() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    let before = (sha256_file(&db), listing(project.root()));
    for args in [
        &["migrate", "status"][..],
        &["schema"],
        &["schema", "agents"],
        &["path"],
    ] {
        let run = project.run(args, &[]);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
    }
    assert_eq!((sha256_file(&db), listing(project.root())), before);
}

#[test]
fn schema_prints_create_statements_and_rejects_unknown_tables() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let agents = project.run(&["schema", "agents"], &[]);
    assert_eq!(agents.code, 0, "{agents:?}");
    assert!(
        agents.stdout.starts_with("CREATE TABLE \"agents\" ("),
        "{agents:?}"
    );
    assert!(
        agents
            .stdout
            .contains("\"model_tier\" text DEFAULT 'cheap'")
    );
    assert!(!agents.stdout.contains("agent_skills"));
    let skills = project.run(&["schema", "agent_skills"], &[]);
    assert!(
        skills
            .stdout
            .contains("CREATE INDEX \"idx_agent_skills_agent\""),
        "{skills:?}"
    );
    let all = project.run(&["--json", "schema"], &[]).json();
    let tables = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "table")
        .count();
    // 34 Orient tables, Diesel's ledger, our migration checksums and sqlite_sequence.
    assert_eq!(tables, 37);
    let unknown = project.run(&["schema", "nope"], &[]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stderr.contains("no table `nope`"), "{unknown:?}");
    assert!(unknown.stderr.contains("agents"), "{unknown:?}");
}

#[test]
fn unsupported_database_type_is_a_usage_error_naming_the_variable() {
    let project = Project::new();
    for command in [&["path"][..], &["migrate"], &["migrate", "status"]] {
        let run = project.run(command, &[("DATABASE_TYPE", "mysql")]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("DATABASE_TYPE=mysql"), "{run:?}");
        assert!(run.stderr.contains("supported values: sqlite"), "{run:?}");
    }
    assert_eq!(listing(project.root()), vec!["diesel.toml"]);
}

#[test]
fn a_directory_as_database_path_is_refused_and_left_alone() {
    let project = Project::new();
    std::fs::create_dir(project.path("adir")).unwrap();
    let before = listing(project.root());
    for command in [&["migrate"][..], &["migrate", "status"], &["schema"]] {
        let run = project.run(command, &[("SQLITE_DATABASE", "adir")]);
        assert_eq!(run.code, 2, "{command:?}: {run:?}");
        assert!(run.stderr.contains("is a directory"), "{run:?}");
        assert!(
            run.stderr
                .contains(&project.path("adir").display().to_string())
        );
    }
    assert_eq!(listing(project.root()), before);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_byte_identical_without_wal_or_shm() {
    let project = Project::new();
    let junk = project.path("junk.db");
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&junk, &bytes).unwrap();
    let png = project.path("image.db");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let before = listing(project.root());
    for file in [&junk, &png] {
        let hash = sha256_file(file);
        for command in [&["migrate"][..], &["migrate", "status"], &["schema"]] {
            let run = project.run(command, &[("SQLITE_DATABASE", file.to_str().unwrap())]);
            assert_eq!(run.code, 1, "{command:?}: {run:?}");
            assert!(run.stderr.contains("is not an SQLite database"), "{run:?}");
            assert_eq!(sha256_file(file), hash);
        }
    }
    assert_eq!(
        listing(project.root()),
        before,
        "-wal or -shm files appeared"
    );
}

#[test]
fn a_malformed_env_file_names_the_file_and_the_line() {
    let project = Project::new();
    std::fs::write(
        project.path(".env"),
        "# settings\nAI_INSTANCE_ID=2\nFOO BAR\n",
    )
    .unwrap();
    let run = project.run(&["path"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let env = project.path(".env").display().to_string();
    assert!(run.stderr.contains(&format!("{env}:3")), "{run:?}");
    assert!(run.stderr.contains("FOO BAR"), "{run:?}");
    let migrate = project.run(&["migrate"], &[]);
    assert_eq!(migrate.code, 2, "{migrate:?}");
    assert_eq!(listing(project.root()), vec![".env", "diesel.toml"]);
}

#[test]
fn path_reports_each_variable_and_the_environment_wins_over_dot_env() {
    let project = Project::new();
    std::fs::create_dir(project.path("sub")).unwrap();
    std::fs::write(
        project.path(".env"),
        "SQLITE_DB_PATH=data/from-env-file.db\n",
    )
    .unwrap();
    let from_file = orient_testkit::run_in(&project.path("sub"), &["--json", "path"], &[]).json();
    assert_eq!(
        from_file["path"],
        project.path("data/from-env-file.db").display().to_string(),
        "relative paths resolve against the project root, not the current directory"
    );
    assert_eq!(from_file["path_variable"], "SQLITE_DB_PATH");
    assert_eq!(from_file["path_origin"]["kind"], "env_file");

    let from_env = project
        .run(
            &["--json", "path"],
            &[("SQLITE_DATABASE", "/tmp/elsewhere.db")],
        )
        .json();
    assert_eq!(from_env["path"], "/tmp/elsewhere.db");
    assert_eq!(from_env["path_variable"], "SQLITE_DATABASE");
    assert_eq!(from_env["path_origin"]["kind"], "environment");

    let url = project
        .run(&["--json", "path"], &[("DATABASE_URL", "sqlite://url.db")])
        .json();
    // SQLITE_DB_PATH from .env still outranks DATABASE_URL from the environment.
    assert_eq!(url["path_variable"], "SQLITE_DB_PATH");
}

#[test]
fn instance_numbers_follow_ai_instance_id_then_the_worktree_name() {
    let base = tempfile::tempdir().unwrap();
    for (worktree, expected) in [
        ("my-feature-1736639420", 6),
        ("schema-changes-1700000000", 8),
    ] {
        let root = base.path().join("claude-worktrees/orient").join(worktree);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("diesel.toml"), "").unwrap();
        let run = orient_testkit::run_in(&root, &["--json", "path"], &[]).json();
        assert_eq!(run["instance"]["id"], expected, "{run}");
        assert_eq!(
            run["path"],
            root.join(format!(".dev-data/instance-{expected}/orient.db"))
                .display()
                .to_string()
        );
        let pinned =
            orient_testkit::run_in(&root, &["--json", "path"], &[("AI_INSTANCE_ID", "3")]).json();
        assert_eq!(pinned["instance"]["id"], 3);
    }
    let bad = orient_testkit::run_in(base.path(), &["path"], &[("AI_INSTANCE_ID", "three")]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("AI_INSTANCE_ID=three"), "{bad:?}");
}

orient_testkit::on_each_engine! {
    /// Every command that writes refuses a ledger naming a version this binary does not ship: it
    /// would not know what that migration did (a `push` would drop the newer tables and columns).
    fn a_database_migrated_by_a_newer_binary_is_refused_unchanged(project: Project) {
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        project.execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000');
             CREATE TABLE newer_feature (id integer PRIMARY KEY, note text);
             INSERT INTO newer_feature (id, note) VALUES (1, 'made by the newer binary');",
        );
        if project.engine() == Engine::Sqlite {
            project.execute("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        let hash = project.content_hash();
        for args in [&["migrate"][..], &["push"], &["push", "--accept-data-loss"]] {
            let run = project.run(args, &[]);
            assert_eq!(run.code, 3, "{args:?}: {run:?}");
            assert!(run.stderr.contains("20991231000000"), "{args:?}: {run:?}");
            assert_eq!(project.content_hash(), hash, "{args:?}");
        }
        let status = project.run(&["migrate", "status"], &[]);
        assert_eq!(status.code, 0, "{status:?}");
        assert!(
            status.stdout.contains("UNKNOWN  20991231000000"),
            "{status:?}"
        );
    }
}

#[test]
fn generate_writes_the_missing_migration_and_nothing_when_up_to_date() {
    // Both engines' directories: generate writes the same version into each.
    let project = Project::with_migrations();
    let before = listing(project.root());
    let none = project.run(&["generate", "nothing"], &[]);
    assert_eq!(none.code, 0, "{none:?}");
    assert!(none.stdout.contains("nothing to generate"), "{none:?}");
    assert_eq!(listing(project.root()), before);

    // Without the model_tier migration, generate writes it again from the structs, for both engines.
    for engine in ["sqlite", "postgres"] {
        std::fs::remove_dir_all(
            project
                .path("migrations")
                .join(engine)
                .join("2026-02-02-094141_agents_model_tier"),
        )
        .unwrap();
    }
    let run = project.run(&["--json", "generate", "add_model_tier"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    let dir = std::path::PathBuf::from(report["directory"].as_str().unwrap());
    assert!(
        dir.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("_add_model_tier")
    );
    let up = std::fs::read_to_string(dir.join("up.sql")).unwrap();
    assert!(up.contains("ALTER TABLE \"agents\" ADD COLUMN \"model_tier\" text DEFAULT 'cheap';"));
    let down = std::fs::read_to_string(dir.join("down.sql")).unwrap();
    assert!(down.contains("ALTER TABLE \"agents\" DROP COLUMN \"model_tier\";"));
    assert_eq!(
        dir,
        project
            .path("migrations/sqlite")
            .join(dir.file_name().unwrap())
    );
    // The same version in migrations/postgres, rendered for PostgreSQL (its planner names the locks).
    let pg = std::path::PathBuf::from(report["directories"]["postgres"].as_str().unwrap());
    assert_eq!(
        pg,
        project
            .path("migrations/postgres")
            .join(dir.file_name().unwrap())
    );
    let pg_up = std::fs::read_to_string(pg.join("up.sql")).unwrap();
    assert!(
        pg_up.contains("ALTER TABLE \"agents\" ADD COLUMN \"model_tier\" text DEFAULT 'cheap';")
    );
    assert!(
        pg_up.contains("lock: ACCESS EXCLUSIVE on `agents`"),
        "{pg_up}"
    );
    let pg_down = std::fs::read_to_string(pg.join("down.sql")).unwrap();
    assert!(pg_down.contains("ALTER TABLE \"agents\" DROP COLUMN \"model_tier\";"));
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 4, "{report}");
    // The human output names both files too, and a second run finds nothing to do.
    let again = project.run(&["generate", "again"], &[]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("nothing to generate"), "{again:?}");
    let check = project.run(&["check", "--no-database"], &[]);
    assert_eq!(check.code, 0, "{check:?}");

    // A bad name is a usage error, like every other bad argument (exit 2).
    let bad = project.run(&["generate", "Bad Name"], &[]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("a–z, 0–9 and _"), "{bad:?}");
}

orient_testkit::on_each_engine! {
    /// A table the structs no longer declare (most often a struct someone forgot to register):
    /// `generate` says loudly that its migration drops it, and the migration carries the guard its
    /// header promises: on a database where the table holds rows it fails and changes nothing.
    fn a_generated_drop_is_announced_and_refuses_to_delete_rows(project: Project) {
        project.add_migrations();
        let extra = "2026-03-01-000000_notes_by_hand";
        for dir in ["migrations/sqlite", "migrations/postgres"] {
            let version = project.path(&format!("{dir}/{extra}"));
            std::fs::create_dir_all(&version).unwrap();
            std::fs::write(
                version.join("up.sql"),
                "CREATE TABLE notes_by_hand (id integer PRIMARY KEY, body text);\n",
            )
            .unwrap();
            std::fs::write(version.join("down.sql"), "DROP TABLE notes_by_hand;\n").unwrap();
        }
        let generate = project.run(&["--json", "generate", "drop_notes"], &[]);
        assert_eq!(generate.code, 0, "{generate:?}");
        assert!(
            generate.stderr.starts_with("warning: migration ")
                && generate.stderr.contains("loses data")
                && generate.stderr.contains("drop table `notes_by_hand`"),
            "{generate:?}"
        );
        let report = generate.json();
        assert_eq!(report["losses"].as_array().map(Vec::len), Some(1), "{report}");
        let dir = match project.engine() {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        };
        let up = std::fs::read_to_string(
            project
                .path(&format!("migrations/{dir}"))
                .join(report["generated"].as_str().unwrap())
                .join("up.sql"),
        )
        .unwrap();

        // The database as the migrations before it leave it, with a row in the table.
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        project.execute(
            "CREATE TABLE notes_by_hand (id integer PRIMARY KEY, body text);
             INSERT INTO notes_by_hand (id, body) VALUES (1, 'keep me');",
        );
        let hash = project.content_hash();
        let refused = project.try_execute(&up).unwrap_err();
        assert!(
            refused.contains("refused to drop table `notes_by_hand`"),
            "{refused}"
        );
        assert_eq!(project.content_hash(), hash, "nothing changed");

        // Empty, the table goes.
        project.execute("DELETE FROM notes_by_hand;");
        project.try_execute(&up).unwrap();
        assert!(!project.table_names().contains(&"notes_by_hand".to_owned()));
    }
}

/// Choosing PostgreSQL by URL: a malformed URL is a usage error; with PostgreSQL built in, `path` shows
/// the target with its password hidden and a server that cannot be reached is exit 1 naming host, port
/// and database (without the password); never a SQLite file named like the URL.
#[test]
fn postgres_urls_are_checked_named_with_the_password_hidden_and_never_a_file() {
    let project = Project::new();
    let before = listing(project.root());
    for url in [
        "postgres://u@h:notaport/db",
        "postgresql://u@h/db with space",
    ] {
        let run = project.run(&["path"], &[("DATABASE_URL", url)]);
        assert_eq!(run.code, 2, "{url}: {run:?}");
        assert!(run.stderr.contains("DATABASE_URL"), "{url}: {run:?}");
    }
    let url = "postgres://orient:s3cret@127.0.0.1:1/orient_prod";
    let path = project.run(&["--json", "path"], &[("DATABASE_URL", url)]);
    let migrate = project.run(&["migrate"], &[("DATABASE_URL", url)]);
    for run in [&path, &migrate] {
        assert!(
            !run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"),
            "{run:?}"
        );
    }
    if orient_database::db::target::POSTGRES_BUILT {
        assert_eq!(path.code, 0, "{path:?}");
        assert_eq!(
            path.json()["url"],
            "postgres://orient:***@127.0.0.1:1/orient_prod",
            "{path:?}"
        );
        assert_eq!(migrate.code, 1, "{migrate:?}");
        assert!(
            migrate.stderr.contains("orient_prod on 127.0.0.1:1"),
            "{migrate:?}"
        );
    } else {
        assert_eq!(path.code, 2, "{path:?}");
        assert_eq!(migrate.code, 2, "{migrate:?}");
        assert!(migrate.stderr.contains("postgres"), "{migrate:?}");
    }
    assert_eq!(listing(project.root()), before, "nothing created");
}
