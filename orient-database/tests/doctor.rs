//! `orient-db doctor` on both engines, through the real binary: what both engines share is one test
//! body each (a healthy database, pending, unknown and edited migrations, drift, a missing table, the
//! `--json` shape); then what only PostgreSQL has (the advisory lock's holder, sessions idle in a
//! transaction, NOT VALID constraints and invalid indexes, amcheck, server settings, replication slots,
//! a server that cannot be reached). The file-level SQLite checks are in `ops.rs`.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use orient_database::migrations;
use orient_testkit::{Engine, Project, Run, on_each_engine, sha256_file};

/// Held by tests that change what every database of the test server sees (a replication slot) and by
/// tests that need the server without such changes (a healthy report).
static SERVER_WIDE: Mutex<()> = Mutex::new(());

fn server_wide() -> std::sync::MutexGuard<'static, ()> {
    SERVER_WIDE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The test server runs with `fsync = off` and `full_page_writes = off` (for speed), which doctor
/// rightly reports: tests about anything else leave that check out.
const NO_SETTINGS: [&str; 2] = ["--skip", "server_settings"];

fn doctor(project: &Project, extra: &[&str]) -> Run {
    let mut args = vec!["doctor", "--json"];
    args.extend_from_slice(extra);
    project.run(&args, &[])
}

fn finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {report:#}"))
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn status(report: &serde_json::Value, name: &str) -> String {
    check(report, name)["status"].as_str().unwrap().to_owned()
}

fn text(value: &serde_json::Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not text: {value}"))
}

/// Every file under `dir` with its SHA-256 and mode: "doctor changed no file" is this staying the same.
fn files(dir: &Path) -> BTreeMap<String, String> {
    use std::os::unix::fs::MetadataExt;
    orient_testkit::listing(dir)
        .into_iter()
        .map(|relative| {
            let path = dir.join(&relative);
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = if meta.is_file() {
                sha256_file(&path)
            } else {
                "dir".to_owned()
            };
            (relative, format!("{content} {:o}", meta.mode()))
        })
        .collect()
}

/// The checks each engine runs, in order.
fn checks_of(engine: Engine) -> &'static [&'static str] {
    match engine {
        Engine::Sqlite => &[
            "files",
            "migration_lock",
            "wal",
            "open",
            "integrity",
            "migrations",
            "schema",
            "compile_options",
        ],
        Engine::Postgres => &[
            "connection",
            "migrations",
            "schema",
            "migration_lock",
            "idle_transactions",
            "replication_slots",
            "constraints",
            "indexes",
            "amcheck",
            "server_settings",
            "connections",
        ],
    }
}

// ---------------------------------------------------------------------------------------------------
// Both engines

on_each_engine! {
    fn a_healthy_database_is_healthy_and_doctor_changes_nothing(project: Project) {
        let _quiet = server_wide();
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        project.execute("INSERT INTO agents (id, name) VALUES ('ori', 'Ori')");
        let content = project.content_hash();
        let before = files(project.root());

        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 0, "{run:?}");
        let report = run.json();
        // The shape monitoring reads, the same on both engines.
        for key in [
            "engine",
            "database",
            "user",
            "sqlite_version",
            "server_version",
            "role",
            "healthy",
            "findings",
            "checks",
        ] {
            assert!(report.get(key).is_some(), "no `{key}` in {report:#}");
        }
        assert_eq!(report["engine"], project.engine().name());
        assert_eq!(report["healthy"], true, "{report:#}");
        assert_eq!(report["findings"], serde_json::json!([]));
        let names: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, checks_of(project.engine()));
        match project.engine() {
            Engine::Sqlite => {
                assert!(report["sqlite_version"].is_string(), "{report:#}");
                for name in checks_of(Engine::Sqlite) {
                    assert_eq!(status(&report, name), "ok", "{name}");
                }
            }
            Engine::Postgres => {
                let url = project.url().unwrap();
                assert_eq!(report["database"], url);
                assert_eq!(report["role"], "postgres");
                assert!(text(&report["server_version"]).starts_with("1"), "{report:#}");
                for name in checks_of(Engine::Postgres) {
                    let expected = match *name {
                        "amcheck" | "server_settings" => "skipped",
                        _ => "ok",
                    };
                    assert_eq!(status(&report, name), expected, "{name}: {report:#}");
                }
                // Doctor never installs the extension; it says how to.
                let reason = text(&check(&report, "amcheck")["reason"]);
                assert!(reason.contains("CREATE EXTENSION amcheck"), "{reason}");
                assert!(
                    text(&check(&report, "server_settings")["reason"]).contains("--skip"),
                    "{report:#}"
                );
                assert_eq!(
                    project.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'"),
                    "0"
                );
            }
        }

        let human = project.run(&["doctor", "--skip", "server_settings"], &[]);
        assert_eq!(human.code, 0, "{human:?}");
        assert!(human.stdout.contains("healthy"), "{human:?}");
        assert_eq!(project.content_hash(), content);
        assert_eq!(files(project.root()), before, "doctor created or changed a file");
    }

    fn pending_unknown_and_edited_migrations_drift_and_missing_tables_are_found(project: Project) {
        let all = match project.engine() {
            Engine::Sqlite => migrations::embedded().unwrap(),
            Engine::Postgres => migrations::embedded_postgres().unwrap(),
        };
        let last = all.last().unwrap();
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        // Pending: the last migration reverted; the column it adds is then drift too.
        let revert = project.run(&["migrate", "revert"], &[]);
        assert_eq!(revert.code, 0, "{revert:?}");
        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        let pending = finding(&report, "migrations_pending");
        assert_eq!(pending["severity"], "warning");
        assert!(text(&pending["message"]).contains(&*last.name), "{pending:#}");
        assert!(text(&pending["fix"]).contains("orient-db migrate"), "{pending:#}");
        let drift = finding(&report, "schema_drift");
        assert!(text(&drift["message"]).contains("model_tier"), "{drift:#}");
        assert!(text(&drift["fix"]).contains("orient-db migrate"), "{drift:#}");

        // Unknown (applied by a newer binary), edited (checksum), an extra column, a missing table.
        assert_eq!(project.run(&["migrate"], &[]).code, 0);
        let first = &all[0];
        project.execute(&format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000');
             UPDATE __orient_migration_checksums SET checksum = 'edited' WHERE version = '{}';
             ALTER TABLE agents ADD COLUMN legacy_note TEXT;
             DROP TABLE demo_meetings;",
            first.version
        ));
        if project.engine() == Engine::Sqlite {
            project.execute("PRAGMA journal_mode = DELETE");
        }
        let content = project.content_hash();
        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        for f in report["findings"].as_array().unwrap() {
            for key in ["code", "severity", "file", "message", "fix"] {
                assert!(f.get(key).is_some(), "no `{key}` in {f:#}");
            }
        }
        let unknown = finding(&report, "migrations_unknown");
        assert_eq!(unknown["severity"], "error");
        assert!(text(&unknown["message"]).contains("99991231000000"), "{unknown:#}");
        let edited = finding(&report, "migrations_edited");
        assert!(text(&edited["message"]).contains(&*first.name), "{edited:#}");
        assert!(text(&edited["fix"]).contains("git checkout"), "{edited:#}");
        let drift = finding(&report, "schema_drift");
        assert!(
            text(&drift["message"])
                .contains("column `agents`.`legacy_note` is in the database but not declared"),
            "{drift:#}"
        );
        let missing = finding(&report, "missing_tables");
        assert!(text(&missing["message"]).contains("demo_meetings"), "{missing:#}");
        match project.engine() {
            Engine::Sqlite => {
                let db = project.db().display().to_string();
                assert_eq!(missing["file"], db.as_str());
                assert_eq!(finding(&report, "not_wal_mode")["severity"], "warning");
            }
            Engine::Postgres => {
                // No file: the message names the database, by its URL.
                assert!(missing["file"].is_null(), "{missing:#}");
                assert!(text(&missing["message"]).contains(project.url().unwrap()), "{missing:#}");
            }
        }
        // Errors come before warnings.
        let severities: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| text(&f["severity"]))
            .collect();
        let mut sorted = severities.clone();
        sorted.sort_by_key(|s| *s != "error");
        assert_eq!(severities, sorted);

        let human = project.run(&["doctor", "--skip", "server_settings"], &[]);
        assert_eq!(human.code, 1, "{human:?}");
        assert!(human.stdout.contains("error[migrations_unknown]"), "{human:?}");
        assert!(human.stdout.contains("  fix: "), "{human:?}");
        assert_eq!(project.content_hash(), content, "doctor changed the database");
    }

    fn a_check_name_skip_does_not_know_is_a_usage_error(project: Project) {
        let run = project.run(&["doctor", "--skip", "everything"], &[]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("server_settings"), "{run:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL only

/// A server URL that nothing answers (port 1 on loopback), with a password that must never be shown.
#[test]
fn an_unreachable_server_is_a_finding_naming_it_without_the_password() {
    if !orient_database::db::target::POSTGRES_BUILT {
        eprintln!("skipping: this build has no `postgres` feature");
        return;
    }
    let project = Project::new();
    let url = "postgres://orient:s3cret-pw@127.0.0.1:1/orient_prod";
    for args in [&["doctor", "--json"][..], &["doctor"]] {
        let run = project.run(args, &[("DATABASE_URL", url)]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(!run.stdout.contains("s3cret-pw"), "{run:?}");
        assert!(!run.stderr.contains("s3cret-pw"), "{run:?}");
        assert!(run.stdout.contains("server_unreachable"), "{run:?}");
    }
    let report = project
        .run(&["doctor", "--json"], &[("DATABASE_URL", url)])
        .json();
    assert_eq!(codes(&report), vec!["server_unreachable"]);
    let found = finding(&report, "server_unreachable");
    let message = text(&found["message"]);
    for part in [
        "orient_prod",
        "127.0.0.1:1",
        "postgres://orient:***@127.0.0.1:1/orient_prod",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(
        text(&found["fix"]).contains("pg_isready -h 127.0.0.1 -p 1"),
        "{found:#}"
    );
    assert_eq!(
        report["database"],
        "postgres://orient:***@127.0.0.1:1/orient_prod"
    );
    for name in ["migrations", "schema", "migration_lock", "amcheck"] {
        assert_eq!(status(&report, name), "skipped", "{name}");
    }
    assert!(
        orient_testkit::listing(project.root())
            .iter()
            .all(|f| f == "diesel.toml")
    );
}

#[cfg(feature = "postgres")]
mod postgres {
    use diesel::connection::SimpleConnection;
    use diesel::pg::PgConnection;
    use diesel::prelude::*;
    use diesel::sql_types::Integer;
    use orient_database::dialect::postgres::ledger::LOCK_KEY;

    use super::*;

    fn available() -> bool {
        Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT)
    }

    /// A migrated project on the test server.
    fn migrated() -> Project {
        let project = Project::on(Engine::Postgres);
        let run = project.run(&["migrate"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        project
    }

    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = Integer)]
        pid: i32,
    }

    /// A session of its own on the project's database, named `application`, that ran `sql` and stays
    /// open (inside whatever transaction `sql` left open) until dropped.
    fn session(project: &Project, application: &str, sql: &str) -> (PgConnection, i32) {
        let mut conn = PgConnection::establish(project.url().unwrap()).unwrap();
        conn.batch_execute(&format!("SET application_name = '{application}'"))
            .unwrap();
        let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Pid>(&mut conn)
            .unwrap()
            .pid;
        conn.batch_execute(sql).unwrap();
        (conn, pid)
    }

    #[test]
    fn the_migration_lock_holder_and_sessions_idle_in_a_transaction_are_named() {
        if !available() {
            return;
        }
        let project = migrated();
        let (_holder, holder_pid) = session(
            &project,
            "doctor-test-migrator",
            &format!("BEGIN; SELECT pg_advisory_xact_lock({LOCK_KEY});"),
        );
        let (_idle, idle_pid) = session(
            &project,
            "doctor-test-leak",
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM agents;",
        );

        // With the default threshold (60 s) the fresh idle session is not reported yet.
        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        assert_eq!(codes(&report), vec!["migration_lock_held"], "{report:#}");
        let held = finding(&report, "migration_lock_held");
        let message = text(&held["message"]);
        assert!(
            message.contains(&format!("backend pid {holder_pid}")),
            "{message}"
        );
        assert!(message.contains("doctor-test-migrator"), "{message}");
        assert!(message.contains("from 127.0.0.1"), "{message}");
        assert!(message.contains("idle in transaction"), "{message}");
        assert!(text(&held["fix"]).contains(&format!("pg_terminate_backend({holder_pid})")));
        assert_eq!(status(&report, "idle_transactions"), "ok");

        // With a threshold of 0 s it is; the lock holder is not (it idles in its transaction by design).
        let run = doctor(
            &project,
            &["--idle-threshold", "0", "--skip", "server_settings"],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        let idle = finding(&report, "idle_in_transaction");
        let message = text(&idle["message"]);
        assert!(
            message.contains(&format!("backend pid {idle_pid}:")),
            "{message}"
        );
        assert!(
            !message.contains(&format!("backend pid {holder_pid}:")),
            "{message}"
        );
        assert!(message.contains("doctor-test-leak"), "{message}");
        assert!(message.contains("holding back vacuum"), "{message}");
        let fix = text(&idle["fix"]);
        assert!(
            fix.contains(&format!(
                "pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN ({idle_pid})"
            )),
            "{fix}"
        );
        assert!(fix.contains("idle_in_transaction_session_timeout"), "{fix}");

        let human = project.run(&["doctor", "--idle-threshold", "0"], &[]);
        assert_eq!(human.code, 1, "{human:?}");
        assert!(
            human.stdout.contains("warning[idle_in_transaction]"),
            "{human:?}"
        );
        assert!(
            human.stdout.contains("warning[migration_lock_held]"),
            "{human:?}"
        );
    }

    #[test]
    fn not_valid_constraints_and_invalid_indexes_are_found() {
        if !available() {
            return;
        }
        let project = migrated();
        project.execute(
            "ALTER TABLE agent_skills DROP CONSTRAINT agent_skills_agent_id_fkey;
             ALTER TABLE agent_skills ADD CONSTRAINT agent_skills_agent_id_fkey
               FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE NOT VALID;
             INSERT INTO agents (id, name) VALUES ('a', 'Same'), ('b', 'Same');",
        );
        // A failed CREATE INDEX CONCURRENTLY leaves its index behind, invalid.
        let failed = project
            .try_execute("CREATE UNIQUE INDEX CONCURRENTLY doctor_unique_name ON agents (name)");
        assert!(failed.is_err(), "{failed:?}");
        let content = project.content_hash();

        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        let constraint = finding(&report, "constraint_not_valid");
        let message = text(&constraint["message"]);
        assert!(
            message.contains("foreign key `agent_skills_agent_id_fkey`"),
            "{message}"
        );
        assert!(message.contains("table `agent_skills`"), "{message}");
        assert!(
            text(&constraint["fix"]).contains(
                "ALTER TABLE \"agent_skills\" VALIDATE CONSTRAINT \"agent_skills_agent_id_fkey\""
            ),
            "{constraint:#}"
        );
        let index = finding(&report, "index_invalid");
        assert!(
            text(&index["message"]).contains("`doctor_unique_name`"),
            "{index:#}"
        );
        assert!(
            text(&index["fix"]).contains("REINDEX INDEX CONCURRENTLY \"doctor_unique_name\""),
            "{index:#}"
        );
        // Doctor validated and rebuilt nothing.
        assert_eq!(
            project.scalar(
                "SELECT convalidated FROM pg_constraint WHERE conname = 'agent_skills_agent_id_fkey'"
            ),
            "f"
        );
        assert_eq!(project.content_hash(), content);
    }

    #[test]
    fn amcheck_runs_when_installed_and_risky_settings_are_warned_about() {
        if !available() {
            return;
        }
        let project = migrated();
        project.execute("CREATE EXTENSION amcheck");
        let run = doctor(&project, &[]);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        assert_eq!(status(&report, "amcheck"), "ok", "{report:#}");
        // The test server runs without fsync and full-page writes (see the testkit): both are named.
        let settings: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "server_setting")
            .collect();
        assert_eq!(settings.len(), 2, "{report:#}");
        assert!(
            text(&settings[0]["message"]).contains("fsync = off"),
            "{report:#}"
        );
        assert!(
            text(&settings[1]["message"]).contains("full_page_writes = off"),
            "{report:#}"
        );
        for f in &settings {
            assert_eq!(f["severity"], "warning");
            assert!(text(&f["fix"]).contains("ALTER SYSTEM SET"), "{f:#}");
        }
        assert_eq!(codes(&report), vec!["server_setting", "server_setting"]);
    }

    /// A monitoring role that may read our tables but not run amcheck's functions (the extension
    /// revokes them from PUBLIC): the check is skipped, saying which grant it needs.
    #[test]
    fn amcheck_without_the_right_to_run_it_is_skipped_naming_the_grant() {
        if !available() {
            return;
        }
        // Its reports must be healthy: no other test's replication slot may be visible meanwhile.
        let _quiet = server_wide();
        let project = migrated();
        project.execute(
            "CREATE EXTENSION amcheck;
             CREATE ROLE doctor_monitor LOGIN;
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO doctor_monitor;",
        );
        let url = project.url().unwrap().replacen(
            "postgres://postgres@",
            "postgres://doctor_monitor@",
            1,
        );
        let run = project.run(
            &["doctor", "--json", "--skip", "server_settings"],
            &[("DATABASE_URL", &url)],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let report = run.json();
        assert_eq!(report["role"], "doctor_monitor");
        assert_eq!(status(&report, "amcheck"), "skipped", "{report:#}");
        let reason = text(&check(&report, "amcheck")["reason"]);
        assert!(reason.contains("GRANT EXECUTE ON FUNCTION"), "{reason}");
        assert!(reason.contains("bt_index_check"), "{reason}");
        // Granted, it runs.
        project.execute("GRANT EXECUTE ON FUNCTION bt_index_check(regclass) TO doctor_monitor");
        let run = project.run(
            &["doctor", "--json", "--skip", "server_settings"],
            &[("DATABASE_URL", &url)],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(status(&run.json(), "amcheck"), "ok", "{run:?}");
    }

    /// Drops the slot even when the test fails.
    struct Slot<'a>(&'a Project, &'static str);

    impl Drop for Slot<'_> {
        fn drop(&mut self) {
            let _ = self
                .0
                .try_execute(&format!("SELECT pg_drop_replication_slot('{}')", self.1));
        }
    }

    #[test]
    fn an_inactive_replication_slot_is_found_with_the_wal_it_retains() {
        if !available() {
            return;
        }
        let _alone = server_wide();
        let project = migrated();
        project.execute("SELECT pg_create_physical_replication_slot('doctor_test_slot', true)");
        let _slot = Slot(&project, "doctor_test_slot");
        let run = doctor(&project, &NO_SETTINGS);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        assert_eq!(
            codes(&report),
            vec!["replication_slot_inactive"],
            "{report:#}"
        );
        let slot = finding(&report, "replication_slot_inactive");
        let message = text(&slot["message"]);
        assert!(
            message.contains("`doctor_test_slot` (physical slot)"),
            "{message}"
        );
        assert!(message.contains("retains"), "{message}");
        assert!(
            text(&slot["fix"]).contains("pg_drop_replication_slot('doctor_test_slot')"),
            "{slot:#}"
        );
    }

    #[test]
    fn a_missing_database_and_a_refused_login_are_findings() {
        if !available() {
            return;
        }
        let project = migrated();
        let url = project.url().unwrap();
        let (server, _) = url.rsplit_once('/').unwrap();
        let missing = format!("{server}/doctor_no_such_database");
        let report = project.run(&["doctor", "--json"], &[("DATABASE_URL", &missing)]);
        assert_eq!(report.code, 1, "{report:?}");
        let report = report.json();
        assert_eq!(codes(&report), vec!["database_missing"]);
        let found = finding(&report, "database_missing");
        assert!(
            text(&found["message"]).contains("doctor_no_such_database"),
            "{found:#}"
        );
        assert!(text(&found["fix"]).contains("createdb"), "{found:#}");

        let ghost = url.replacen(
            "postgres://postgres@",
            "postgres://ghost:pw-never-shown@",
            1,
        );
        let run = project.run(&["doctor", "--json"], &[("DATABASE_URL", &ghost)]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(!run.stdout.contains("pw-never-shown"), "{run:?}");
        let report = run.json();
        assert_eq!(codes(&report), vec!["login_refused"]);
        assert!(text(&finding(&report, "login_refused")["message"]).contains("ghost"));
    }
}
