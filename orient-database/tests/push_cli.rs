//! `orient-db push` and `orient-db check`, driven as processes on real files: exit codes, file hashes,
//! and what a SIGKILL in the middle of a rebuild leaves behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::model::{DefaultValue, Schema};
use orient_database::push::{PushOptions, push};
use orient_testkit::sqlite::{connect, query_number as number, query_text as text};
use orient_testkit::{Engine, Project, listing, sha256_file};

/// The schema the structs declare.
fn declared() -> Schema {
    Schema::from_declared(orient_database::schema::TABLES)
}

/// The declared schema, but `messages.is_group` defaults to true: pushing the declared schema onto a
/// database built from this rebuilds `messages`.
fn drifted() -> Schema {
    let mut schema = declared();
    let messages = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "messages")
        .unwrap();
    messages
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name == "is_group")
        .unwrap()
        .default = Some(DefaultValue::Bool(true));
    schema
}

/// A database in the drifted state, with `rows` messages, checkpointed and closed.
fn drifted_database(path: &Path, rows: u32) {
    let mut conn = from_sqlite(connect(path));
    conn.batch_execute("PRAGMA journal_mode = WAL;").unwrap();
    push(&mut conn, &drifted(), PushOptions::default()).unwrap();
    conn.batch_execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp, created_at)
         SELECT 'm' || i, CASE i % 2 WHEN 0 THEN 'incoming' ELSE 'outgoing' END, i || '@s.whatsapp.net',
                '+' || (4915000000 + i), 'message number ' || i || ' with some text in it', i % 3 = 0,
                1769987409 + i, 1769987409 + i FROM n;
         INSERT INTO agents (id, name) VALUES ('ori', 'Ori');
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'tool-discovery');
         PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .unwrap();
}

fn messages_fingerprint(conn: &mut DbConnection) -> String {
    use sha2::{Digest, Sha256};
    let rows = text(
        conn,
        "SELECT coalesce(group_concat(r, char(10)), '') AS value FROM (SELECT rowid || quote(message_id) \
         || quote(direction) || quote(jid) || quote(phone) || quote(text) || quote(is_group) \
         || quote(timestamp) || quote(created_at) AS r FROM messages ORDER BY rowid)",
    );
    format!("{:x}", Sha256::digest(rows.as_bytes()))
}

#[test]
fn push_creates_the_schema_then_has_nothing_to_do() {
    let project = Project::new();
    let first = project.run(&["push"], &[]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stderr.contains("created database"), "{first:?}");
    let db = project.path(".dev-data/instance-0/orient.db");
    let mut conn = from_sqlite(connect(&db));
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &declared(), &Sqlite), vec![]);
    let version = number(
        &mut conn,
        "SELECT schema_version AS n FROM pragma_schema_version",
    );
    drop(conn);

    let second = project.run(&["--json", "push"], &[]);
    assert_eq!(second.code, 0, "{second:?}");
    let report = second.json();
    assert_eq!(report["executed"], false);
    assert_eq!(report["statements"], serde_json::json!([]));
    let mut conn = from_sqlite(connect(&db));
    assert_eq!(
        number(
            &mut conn,
            "SELECT schema_version AS n FROM pragma_schema_version"
        ),
        version
    );
}

orient_testkit::on_each_engine! {
    fn data_losing_push_is_refused_with_the_database_unchanged_then_done_with_the_flag(
        project: Project
    ) {
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        project.execute(
            "ALTER TABLE agents ADD COLUMN legacy text;
             INSERT INTO agents (id, name, legacy) VALUES ('a', 'A', 'x'), ('b', 'B', 'y');",
        );
        let hash = project.content_hash();
        let file_hash = (project.engine() == Engine::Sqlite).then(|| sha256_file(&project.db()));
        let files = listing(project.root());

        let refused = project.run(&["push"], &[]);
        assert_eq!(refused.code, 3, "{refused:?}");
        assert!(
            refused
                .stderr
                .contains("drop column `agents`.`legacy`: 2 rows"),
            "{refused:?}"
        );
        assert!(refused.stderr.contains("--accept-data-loss"), "{refused:?}");
        assert_eq!(project.content_hash(), hash);
        assert_eq!(listing(project.root()), files);
        if let Some(file_hash) = &file_hash {
            // On SQLite not even the file's bytes change (no page rewritten).
            assert_eq!(&sha256_file(&project.db()), file_hash);
        }

        let dry = project.run(&["push", "--dry-run", "--accept-data-loss"], &[]);
        assert_eq!(dry.code, 0, "{dry:?}");
        assert!(
            dry.stdout
                .contains("ALTER TABLE \"agents\" DROP COLUMN \"legacy\";"),
            "{dry:?}"
        );
        assert_eq!(project.content_hash(), hash);

        let done = project.run(&["push", "--accept-data-loss"], &[]);
        assert_eq!(done.code, 0, "{done:?}");
        assert_eq!(project.count("agents"), 2);
        project.add_migrations();
        let check = project.run(&["check"], &[]);
        assert_eq!(check.code, 0, "{check:?}");
    }
}

orient_testkit::on_each_engine! {
    fn push_refuses_a_database_of_another_application(project: Project) {
        // On SQLite another file than the default one, named by SQLITE_DATABASE; on PostgreSQL the
        // project's own (empty) database.
        let other = project.path("other.db");
        let env: Vec<(&str, &str)> = match project.engine() {
            Engine::Sqlite => vec![("SQLITE_DATABASE", other.to_str().unwrap())],
            Engine::Postgres => Vec::new(),
        };
        let sql = "CREATE TABLE invoices (id integer PRIMARY KEY, total real);
                   INSERT INTO invoices (id, total) VALUES (1, 9.5);";
        let hash = match project.engine() {
            Engine::Sqlite => {
                from_sqlite(connect(&other)).batch_execute(sql).unwrap();
                sha256_file(&other)
            }
            Engine::Postgres => {
                project.execute(sql);
                project.content_hash()
            }
        };
        let run = project.run(&["push", "--accept-data-loss"], &env);
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr.contains("does not look like an Orient database"),
            "{run:?}"
        );
        assert!(run.stderr.contains("invoices"), "{run:?}");
        match project.engine() {
            Engine::Sqlite => assert_eq!(sha256_file(&other), hash),
            Engine::Postgres => assert_eq!(project.content_hash(), hash),
        }
    }
}

#[test]
fn push_waits_for_a_busy_database_then_exits_4() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    {
        let mut conn = from_sqlite(connect(&db));
        conn.batch_execute("ALTER TABLE agents ADD COLUMN extra text;")
            .unwrap();
    }
    let mut holder = connect(&db);
    holder.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let started = Instant::now();
    let run = project.run(&["push"], &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("locked"), "{run:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "it must wait for the busy timeout"
    );
    holder.batch_execute("ROLLBACK;").unwrap();
}

/// SIGKILL at random moments of a push that rebuilds a 100k-row table: every time the file is intact and
/// holds exactly the old or the new schema with every row, and nothing of the rebuild is left behind.
#[test]
fn killing_push_mid_rebuild_leaves_the_old_or_the_new_state() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    drifted_database(&template, 100_000);
    let expected_rows = {
        let mut conn = from_sqlite(connect(&template));
        messages_fingerprint(&mut conn)
    };
    let work = dir.path().join("work.db");
    let orient_db = env!("CARGO_BIN_EXE_orient-db");
    let run_push = || {
        let mut command = std::process::Command::new(orient_db);
        command
            .arg("push")
            .current_dir(dir.path())
            .env("SQLITE_DATABASE", &work)
            .env_remove("DATABASE_URL")
            .env_remove("SQLITE_DB_PATH")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };

    // How long an uninterrupted push takes, to spread the kills over it.
    std::fs::copy(&template, &work).unwrap();
    let full = orient_testkit::kill::time_uninterrupted(&mut run_push());
    let (mut old, mut new) = (0, 0);
    for (round, delay) in orient_testkit::kill::schedule(20, full)
        .into_iter()
        .enumerate()
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", work.display()));
        }
        std::fs::copy(&template, &work).unwrap();
        orient_testkit::kill::kill_after(&mut run_push(), delay);

        let mut conn = from_sqlite(connect(&work));
        let integrity = text(
            &mut conn,
            "SELECT group_concat(integrity_check) AS value FROM pragma_integrity_check",
        );
        assert_eq!(integrity, "ok", "round {round}, delay {delay:?}");
        assert_eq!(
            number(
                &mut conn,
                "SELECT count(*) AS n FROM pragma_foreign_key_check"
            ),
            0
        );
        assert_eq!(
            number(
                &mut conn,
                "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '__orient_new_%'"
            ),
            0,
            "round {round}: a temporary table was left behind"
        );
        assert_eq!(
            messages_fingerprint(&mut conn),
            expected_rows,
            "round {round}"
        );
        assert_eq!(
            number(&mut conn, "SELECT count(*) AS n FROM agent_skills"),
            1
        );
        let live = conn.introspect().unwrap().schema;
        if diff(&live, &declared(), &Sqlite).is_empty() {
            new += 1;
        } else {
            assert_eq!(
                diff(&live, &drifted(), &Sqlite),
                vec![],
                "round {round}: neither state"
            );
            old += 1;
        }
    }
    eprintln!("after 20 kills: {old} old state, {new} new state");
    assert_eq!(old + new, 20);
    let _ = Cow::Borrowed("");
}

orient_testkit::on_each_engine! {
    fn check_is_clean_on_a_migrated_database(project: Project) {
        project.add_migrations();
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        let run = project.run(&["check"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let json = project.run(&["--json", "check"], &[]).json();
        assert_eq!(json["clean"], true);
        assert_eq!(json["migrations"]["clean"], true);
        assert_eq!(json["database"]["clean"], true);
        assert_eq!(json["database"]["missing_tables"], serde_json::json!([]));
        assert_eq!(json["database"]["differences"], serde_json::json!([]));
    }
}

orient_testkit::on_each_engine! {
    fn check_finds_missing_tables_hand_made_indexes_changed_defaults_and_widths(engine: Engine) {
        let migrated = || {
            let project = Project::on(engine);
            project.add_migrations();
            assert_eq!(project.run(&["migrate"], &[]).code, 0);
            project
        };

        let project = migrated();
        project.execute(match engine {
            Engine::Sqlite => {
                "PRAGMA foreign_keys = OFF; DROP TABLE secrets_audit_log; DROP TABLE demo_meetings;"
            }
            Engine::Postgres => "DROP TABLE secrets_audit_log, demo_meetings CASCADE;",
        });
        let missing = project.run(&["check"], &[]);
        assert_eq!(missing.code, 5, "{missing:?}");
        assert!(
            missing
                .stdout
                .contains("Missing required tables: demo_meetings, secrets_audit_log"),
            "{missing:?}"
        );

        let project = migrated();
        project.execute("CREATE INDEX idx_by_hand ON agents (name);");
        let index = project.run(&["--json", "check"], &[]);
        assert_eq!(index.code, 5, "{index:?}");
        let json = index.json();
        let differences = json["database"]["differences"].as_array().unwrap();
        assert_eq!(differences.len(), 1, "{json}");
        assert_eq!(differences[0]["kind"], "drop_index");
        assert_eq!(differences[0]["table"], "agents");
        assert!(
            differences[0]["message"]
                .as_str()
                .unwrap()
                .contains("idx_by_hand")
        );
        project.execute("DROP INDEX idx_by_hand;");

        // A declared index dropped by hand.
        project.execute("DROP INDEX idx_chat_context_lookup;");
        let dropped = project.run(&["check"], &[]);
        assert_eq!(dropped.code, 5, "{dropped:?}");
        assert!(
            dropped.stdout.contains("idx_chat_context_lookup"),
            "{dropped:?}"
        );

        // A changed default.
        let project = migrated();
        match engine {
            // SQLite cannot alter a default in place: rebuild `agents` with another default for `mode`.
            Engine::Sqlite => {
                let mut conn = from_sqlite(connect(&project.db()));
                let mut schema = declared();
                let agents = schema
                    .tables
                    .iter_mut()
                    .find(|t| t.name == "agents")
                    .unwrap();
                agents
                    .columns
                    .to_mut()
                    .iter_mut()
                    .find(|c| c.name == "mode")
                    .unwrap()
                    .default = Some(DefaultValue::Text(Cow::Borrowed("specialized")));
                push(&mut conn, &schema, PushOptions::default()).unwrap();
            }
            Engine::Postgres => {
                project.execute("ALTER TABLE agents ALTER COLUMN mode SET DEFAULT 'specialized';")
            }
        }
        let default = project.run(&["check"], &[]);
        assert_eq!(default.code, 5, "{default:?}");
        assert!(
            default.stdout.contains("column `agents`.`mode` differs in the database: DEFAULT 'specialized' where DEFAULT 'primary' is declared"),
            "{default:?}"
        );

        // An INTEGER where the struct says i64: only PostgreSQL has widths (SQLite's integers are all
        // 64-bit, whatever the declaration says).
        if engine == Engine::Postgres {
            let project = migrated();
            project.execute("ALTER TABLE chat_context ALTER COLUMN version TYPE integer;");
            let narrowed = project.run(&["check"], &[]);
            assert_eq!(narrowed.code, 5, "{narrowed:?}");
            assert!(
                narrowed.stdout.contains("column `chat_context`.`version` differs in the database"),
                "{narrowed:?}"
            );
        }
    }
}

#[test]
fn check_fails_when_a_struct_changed_without_a_migration() {
    // Both engines' directories, without the model_tier migration (so they stay in parity).
    let project = Project::with_migrations();
    for engine in ["sqlite", "postgres"] {
        std::fs::remove_dir_all(
            project
                .path("migrations")
                .join(engine)
                .join("2026-02-02-094141_agents_model_tier"),
        )
        .unwrap();
    }
    let run = project.run(&["check", "--no-database"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stdout
            .contains("column `agents`.`model_tier` is declared but missing from the migrations"),
        "{run:?}"
    );
    assert!(run.stdout.contains("orient-db generate"), "{run:?}");
    let json = project
        .run(&["--json", "check", "--no-database"], &[])
        .json();
    assert_eq!(json["migrations"]["differences"][0]["table"], "agents");
    assert_eq!(json["migrations"]["differences"][0]["column"], "model_tier");
    assert_eq!(json["migrations"]["differences"][0]["kind"], "add_column");
    assert_eq!(json["database"], serde_json::Value::Null);
}

#[test]
fn check_on_a_missing_database_reports_every_table_missing_and_creates_nothing() {
    let project = Project::new();
    let before = listing(project.root());
    let run = project.run(&["--json", "check"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    let json = run.json();
    assert_eq!(json["database"]["exists"], false);
    assert_eq!(
        json["database"]["missing_tables"].as_array().unwrap().len(),
        34
    );
    assert_eq!(listing(project.root()), before);
}

orient_testkit::on_each_engine! {
    fn push_names_the_pending_migrations_it_runs_ahead_of(project: Project) {
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        assert_eq!(project.run(&["migrate", "revert"], &[]).code, 0);
        let run = project.run(&["push", "--dry-run"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.starts_with("warning: 1 migration is pending on ")
                && run
                    .stderr
                    .contains("(2026-02-02-094141_agents_model_tier)"),
            "{run:?}"
        );
        assert!(run.stderr.contains("orient-db migrate"), "{run:?}");
        // Up to date: nothing said.
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        let quiet = project.run(&["push"], &[]);
        assert_eq!(quiet.code, 0, "{quiet:?}");
        assert!(!quiet.stderr.contains("warning"), "{quiet:?}");
    }
}

/// Only a boolean column's default differs (SQLite stores booleans as integers): every message says
/// so in the declared type's words, without a type change that is not there.
#[test]
fn a_changed_boolean_default_is_named_as_a_default_not_a_type() {
    let project = Project::with_migrations();
    let db = project.path(".dev-data/instance-0/orient.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    drifted_database(&db, 3);

    let check = project.run(&["check"], &[]);
    assert_eq!(check.code, 5, "{check:?}");
    assert!(
        check.stdout.contains(
            "column `messages`.`is_group` differs in the database: DEFAULT true where DEFAULT false is declared"
        ),
        "{check:?}"
    );
    assert!(!check.stdout.contains("type integer"), "{check:?}");

    let dry = project.run(&["push", "--dry-run"], &[]);
    assert_eq!(dry.code, 0, "{dry:?}");
    let line = dry
        .stdout
        .lines()
        .find(|l| l.contains("alter column `messages`.`is_group`"))
        .unwrap_or_else(|| panic!("{dry:?}"));
    assert!(
        line.ends_with("bool NOT NULL DEFAULT true → bool NOT NULL DEFAULT false"),
        "{line}"
    );
}

orient_testkit::on_each_engine! {
    /// `push` ran ahead of a pending migration: `migrate` recognises that the database already has its
    /// changes, records it instead of failing on them, and everything agrees afterwards.
    fn migrate_records_pending_migrations_a_push_already_carried_out(project: Project) {
        project.add_migrations();
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        assert_eq!(project.run(&["migrate", "revert"], &[]).code, 0);
        project.execute("INSERT INTO agents (id, name) VALUES ('ori', 'Ori');");
        let push = project.run(&["push"], &[]);
        assert_eq!(push.code, 0, "{push:?}");
        assert!(push.stderr.contains("pending"), "{push:?}");

        let migrate = project.run(&["migrate"], &[]);
        assert_eq!(migrate.code, 0, "{migrate:?}");
        assert!(
            migrate.stdout.contains(
                "recorded 2026-02-02-094141_agents_model_tier as applied without running it"
            ),
            "{migrate:?}"
        );
        assert_eq!(
            project.rows("SELECT version AS value FROM __diesel_schema_migrations ORDER BY version"),
            ["20260201231009", "20260202094141"]
        );
        assert_eq!(project.count("agents"), 1);
        let check = project.run(&["check"], &[]);
        assert_eq!(check.code, 0, "{check:?}");
        let again = project.run(&["--json", "migrate"], &[]);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(again.json()["applied"], serde_json::json!([]));
    }
}
