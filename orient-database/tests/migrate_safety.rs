//! Migration safety on top of Diesel's ledger, on real files: checksums of applied migrations, the
//! cross-process lock, `migrate revert`/`redo`, and adoption of databases made without a ledger (by the
//! original TypeScript Orient, by `push`, by hand). The real `orient-db` binary where it can show the
//! behaviour; the library where it cannot (editing a migration the binary has embedded).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::db::target::Target;
use orient_database::db::{self, Db};
use orient_database::dialect::sqlite::Sqlite;
use orient_database::dialect::sqlite::lock::{self, MigrationLock};
use orient_database::dialect::sqlite::replay_migrations as replay;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::migrations::{self, Error, Migration, checksum};
use orient_database::model::Schema;

use orient_testkit::{Engine, Project, listing, sha256_file};

const INITIAL: &str = "2026-02-01-231009_initial_schema";
const MODEL_TIER: &str = "2026-02-02-094141_agents_model_tier";
const V1: &str = "20260201231009";
const V2: &str = "20260202094141";

// ---------------------------------------------------------------------------------------------------
// Helpers

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

/// A connection set up like every connection of ours (busy timeout included): a `Db` dropped just before
/// may still be closing its last connection on the pool's housekeeping thread, and the last connection of
/// a WAL database checkpoints under an exclusive lock for a moment.
fn connect(db: &Path) -> SqliteConnection {
    orient_testkit::sqlite::connect(db)
}

/// Runs SQL on a database file, then folds the WAL into the file so its hash is meaningful.
fn execute(db: &Path, sql: &str) {
    let mut conn = from_sqlite(connect(db));
    conn.batch_execute(sql).unwrap();
    checkpoint(&mut conn);
}

fn checkpoint(conn: &mut DbConnection) {
    conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
}

/// A single-column query's values (the column must be named `value`).
fn strings(db: &Path, sql: &str) -> Vec<String> {
    let rows: Vec<Value> = diesel::sql_query(sql).load(&mut connect(db)).unwrap();
    rows.into_iter().map(|r| r.value).collect()
}

fn table_exists(db: &Path, table: &str) -> bool {
    !strings(
        db,
        &format!(
            "SELECT name AS value FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"
        ),
    )
    .is_empty()
}

/// Diesel's ledger, oldest first (empty without a ledger).
fn ledger(db: &Path) -> Vec<String> {
    if !table_exists(db, "__diesel_schema_migrations") {
        return Vec::new();
    }
    strings(
        db,
        "SELECT version AS value FROM __diesel_schema_migrations ORDER BY version",
    )
}

/// Our checksums, by version (empty without the table).
fn checksums(db: &Path) -> BTreeMap<String, String> {
    if !table_exists(db, checksum::CHECKSUM_TABLE) {
        return BTreeMap::new();
    }
    strings(
        db,
        "SELECT version || ' ' || checksum AS value FROM __orient_migration_checksums",
    )
    .into_iter()
    .map(|row| {
        let (version, sum) = row.split_once(' ').unwrap();
        (version.to_owned(), sum.to_owned())
    })
    .collect()
}

fn embedded() -> Vec<Migration> {
    migrations::embedded().unwrap()
}

fn embedded_checksums() -> BTreeMap<String, String> {
    embedded()
        .iter()
        .map(|m| (m.version.clone(), checksum::of(&m.up)))
        .collect()
}

fn live_schema(db: &Path) -> Schema {
    from_sqlite(connect(db)).introspect().unwrap().schema
}

fn schema_after(migrations: &[Migration]) -> Schema {
    replay(migrations).unwrap().schema
}

/// The application tables (not SQLite's, Diesel's, Drizzle's or ours) with their columns.
fn user_tables(db: &Path) -> BTreeMap<String, Vec<String>> {
    let names = strings(
        db,
        "SELECT name AS value FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name",
    );
    names
        .into_iter()
        .map(|table| {
            let columns = strings(
                db,
                &format!("SELECT name AS value FROM pragma_table_info('{table}') ORDER BY cid"),
            );
            (table, columns)
        })
        .collect()
}

/// Every row of the given tables (only the given columns), as text, in rowid order: a table's content
/// is unchanged when this is.
fn contents(db: &Path, tables: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, String> {
    tables
        .iter()
        .map(|(table, columns)| {
            let row = columns
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let rows = strings(
                db,
                &format!(
                    "SELECT coalesce(group_concat(r, char(10)), '') AS value FROM \
                     (SELECT {row} AS r FROM \"{table}\" ORDER BY rowid)"
                ),
            );
            (table.clone(), rows.concat())
        })
        .collect()
}

/// A database file exactly as the original leaves it after its first `files` migrations (its SQL split
/// on `--> statement-breakpoint`, and its `__drizzle_migrations` rows), with some rows in its tables.
fn original_database(reference: &Path, db: &Path, files: usize) {
    let mut conn = from_sqlite(connect(db));
    orient_testkit::reference::build_original(&mut conn, reference, files);
    conn.batch_execute(
        "INSERT INTO agents (id, name, description, enabled, created_at) VALUES
           ('ori', 'Ori', 'the main agent', 1, 1769987409), ('helper', 'Helper', NULL, 0, 1769987410);
         INSERT INTO agent_skills (agent_id, skill_name, enabled, created_at) VALUES
           ('ori', 'tool-discovery', 1, 1769987411), ('helper', 'web', 0, NULL);
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp) VALUES
           ('m1', 'incoming', '123@s.whatsapp.net', '123', 'hello ''world''', 0, 1769987412),
           (NULL, 'outgoing', '123@s.whatsapp.net', '123', 'ünïcode ✓', 0, 1769987413);
         INSERT INTO feature_flags (id, name, category, sort_order) VALUES ('studio', 'Studio', 'ui', 3);
         INSERT INTO groups (group_id, group_name, participant_count) VALUES ('g1', 'Friends', 7);",
    )
    .unwrap();
    checkpoint(&mut conn);
}

/// A database with the schema the first `k` embedded migrations make, but no ledger (as `push` or a
/// hand-made copy leaves it), in rollback-journal mode like a database `orient-db` never opened.
fn unledgered_database(db: &Path, k: usize) {
    let mut conn = from_sqlite(connect(db));
    migrations::runner::run_pending(&mut conn, &embedded()[..k]).unwrap();
    conn.batch_execute(
        "DROP TABLE __diesel_schema_migrations; DROP TABLE __orient_migration_checksums;
         INSERT INTO agents (id, name) VALUES ('ori', 'Ori');",
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------------
// Checksums

#[test]
fn migrate_records_a_checksum_per_applied_migration_beside_the_ledger() {
    let project = Project::new();
    let run = project.run(&["migrate"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let db = project.path(".dev-data/instance-0/orient.db");
    assert_eq!(ledger(&db), [V1, V2]);
    assert_eq!(checksums(&db), embedded_checksums());
    // Our table is bookkeeping: not part of the schema.
    assert_eq!(
        diff(&live_schema(&db), &schema_after(&embedded()), &Sqlite),
        vec![]
    );
}

#[test]
fn an_edited_applied_migration_is_refused_naming_the_file_and_both_checksums() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    // The binary embeds its migrations, so an edit is simulated on the other side: the checksum stored
    // when the migration was applied no longer matches the file.
    let stored = "0".repeat(64);
    execute(
        &db,
        &format!(
            "UPDATE __orient_migration_checksums SET checksum = '{stored}' WHERE version = '{V1}'"
        ),
    );
    let current = embedded_checksums()[V1].clone();
    let before = (sha256_file(&db), listing(project.root()));

    let run = project.run(&["migrate"], &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("migrations/sqlite/{INITIAL}/up.sql")),
        "{run:?}"
    );
    assert!(run.stderr.contains(&stored), "{run:?}");
    assert!(run.stderr.contains(&current), "{run:?}");
    assert!(run.stderr.contains("Revert the edit"), "{run:?}");
    assert!(run.stderr.contains("new migration"), "{run:?}");
    let json = project.run(&["--json", "migrate"], &[]);
    assert_eq!(json.code, 3, "{json:?}");
    assert_eq!(json.json()["error"]["exit_code"], 3);
    // Revert and redo refuse too; nothing changed.
    for action in ["revert", "redo"] {
        let run = project.run(&["migrate", action], &[]);
        assert_eq!(run.code, 3, "{action}: {run:?}");
    }
    assert_eq!((sha256_file(&db), listing(project.root())), before);

    // `status` flags it, read-only, exit 0.
    let status = project.run(&["migrate", "status"], &[]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.contains(&format!("MODIFIED {INITIAL}")),
        "{status:?}"
    );
    let json = project.run(&["--json", "migrate", "status"], &[]).json();
    assert_eq!(json["modified"][0]["version"], V1);
    assert_eq!(json["modified"][0]["stored"], stored.as_str());
    assert_eq!(json["modified"][0]["current"], current.as_str());
    assert_eq!(
        json["modified"][0]["file"],
        format!("migrations/sqlite/{INITIAL}/up.sql")
    );

    // A service opening the database gets the same refusal.
    let error = Db::open_path(&db).expect_err("an edited migration must be refused");
    assert!(
        matches!(&error, db::Error::Migration(Error::Modified { migrations }) if migrations.len() == 1),
        "{error}"
    );
    assert_eq!(sha256_file(&db), before.0);
}

/// A project's migrations copied to a scratch directory, where they can be edited.
fn scratch_migrations(dir: &Path) -> PathBuf {
    let target = dir.join("migrations/sqlite");
    orient_testkit::copy_dir(&orient_testkit::repository_migrations(), &target);
    target
}

fn migrate_file(db: &Path, migrations: &[Migration]) -> Result<migrations::MigrateReport, Error> {
    let mut conn = from_sqlite(connect(db));
    migrations::migrate(&mut conn, &Target::sqlite(db), migrations)
}

#[test]
fn editing_an_applied_migration_is_refused_but_whitespace_is_not_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let source = scratch_migrations(dir.path());
    let db = dir.path().join("orient.db");
    let report = migrate_file(&db, &migrations::from_directory(&source).unwrap()).unwrap();
    assert_eq!(report.applied.len(), 2);
    let up = source.join(MODEL_TIER).join("up.sql");
    let original = std::fs::read_to_string(&up).unwrap();
    assert!(original.contains("DEFAULT 'cheap'"), "{original}");

    // Re-indented, spaces around commas and parentheses, trailing spaces, blank lines, CRLF.
    let initial_up = source.join(INITIAL).join("up.sql");
    let initial = std::fs::read_to_string(&initial_up).unwrap();
    let reformatted: String = initial
        .lines()
        .map(|line| {
            format!(
                "    {}   \r\n\r\n",
                line.replace(',', " , ").replace('(', " ( ")
            )
        })
        .collect();
    assert_ne!(reformatted, initial);
    std::fs::write(&initial_up, &reformatted).unwrap();
    std::fs::write(&up, format!("\n\n{}  \n", original.replace(' ', "   "))).unwrap();
    let hash = sha256_file(&db);
    let report = migrate_file(&db, &migrations::from_directory(&source).unwrap()).unwrap();
    assert!(report.is_noop(), "{report:?}");
    assert_eq!(sha256_file(&db), hash);

    // One changed byte in a string literal is an edit.
    std::fs::write(&up, original.replace("'cheap'", "'cheaP'")).unwrap();
    let edited = migrations::from_directory(&source).unwrap();
    let error = migrate_file(&db, &edited).expect_err("an edit must be refused");
    let message = error.to_string();
    match &error {
        Error::Modified { migrations } => {
            assert_eq!(migrations.len(), 1);
            let m = &migrations[0];
            assert_eq!(m.version, V2);
            assert_eq!(m.file, format!("migrations/sqlite/{MODEL_TIER}/up.sql"));
            assert_eq!(m.stored, checksum::of(&original));
            assert_eq!(m.current, checksum::of(&edited[1].up));
            assert!(message.contains(&m.stored) && message.contains(&m.current));
        }
        other => panic!("expected Modified, got {other:?}"),
    }
    assert!(message.contains(&format!("migrations/sqlite/{MODEL_TIER}/up.sql")));
    assert_eq!(sha256_file(&db), hash);
    // Spaces inside a string literal are content too.
    std::fs::write(&up, original.replace("'cheap'", "'cheap '")).unwrap();
    assert!(matches!(
        migrate_file(&db, &migrations::from_directory(&source).unwrap()),
        Err(Error::Modified { .. })
    ));
}

#[test]
fn versions_applied_by_diesel_get_their_checksums_recorded_on_the_next_migrate() {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let project = Project::new();
    let db = project.path("orient.db");
    {
        // Diesel's own harness: ledger rows, no checksums.
        let mut conn = from_sqlite(connect(&db));
        let source =
            FileBasedMigrations::from_path(orient_testkit::repository_migrations()).unwrap();
        conn.run_pending_migrations(source).unwrap();
    }
    assert_eq!(ledger(&db), [V1, V2]);
    assert!(checksums(&db).is_empty());
    let db_env = [("SQLITE_DATABASE", db.to_str().unwrap())];

    let status = project
        .run(&["--json", "migrate", "status"], &db_env)
        .json();
    assert_eq!(status["applied"][0]["checksum"], serde_json::Value::Null);

    let run = project.run(&["--json", "migrate"], &db_env);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(
        report["checksums_recorded"],
        serde_json::json!([INITIAL, MODEL_TIER])
    );
    assert_eq!(report["applied"], serde_json::json!([]));
    assert_eq!(checksums(&db), embedded_checksums());
    assert_eq!(ledger(&db), [V1, V2]);

    // A version applied by hand (a ledger row inserted with SQL) is recorded the same way.
    execute(
        &db,
        &format!("DELETE FROM __orient_migration_checksums WHERE version = '{V2}'"),
    );
    let text = project.run(&["migrate"], &db_env);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .contains(&format!("recorded the checksum of {MODEL_TIER}")),
        "{text:?}"
    );
    assert_eq!(checksums(&db), embedded_checksums());
    let again = project.run(&["--json", "migrate"], &db_env).json();
    assert_eq!(again["checksums_recorded"], serde_json::json!([]));
}

// ---------------------------------------------------------------------------------------------------
// The lock

orient_testkit::on_each_engine! {
    fn eight_processes_migrating_one_new_database_apply_each_migration_once(project: Project) {
        let program = Path::new(env!("CARGO_BIN_EXE_orient-db"));
        let children: Vec<std::process::Child> = (0..8)
            .map(|_| {
                project
                    .process(program, &["--json", "migrate"], &[])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut applied: Vec<String> = Vec::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(report["up_to_date"], true);
            applied.extend(
                report["applied"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_owned()),
            );
        }
        // Across all eight processes, each migration was applied by exactly one.
        applied.sort();
        assert_eq!(applied, [INITIAL, MODEL_TIER]);
        assert_eq!(
            project.rows(
                "SELECT version AS value FROM __diesel_schema_migrations ORDER BY version"
            ),
            [V1, V2]
        );
        let recorded: BTreeMap<String, String> = project
            .rows(&format!(
                "SELECT version || ' ' || checksum AS value FROM {} ORDER BY version",
                checksum::CHECKSUM_TABLE
            ))
            .iter()
            .map(|row| {
                let (version, sum) = row.split_once(' ').unwrap();
                (version.to_owned(), sum.to_owned())
            })
            .collect();
        let shipped = match project.engine() {
            Engine::Sqlite => migrations::embedded(),
            Engine::Postgres => migrations::source::embedded_postgres(),
        }
        .unwrap();
        let shipped: BTreeMap<String, String> = shipped
            .iter()
            .map(|m| (m.version.clone(), checksum::of(&m.up)))
            .collect();
        assert_eq!(recorded, shipped);
        if project.engine() == Engine::Sqlite {
            assert!(
                project
                    .path(".dev-data/instance-0/orient.db.migrate-lock")
                    .is_file()
            );
        }
    }
}

#[test]
fn a_held_lock_makes_migrate_wait_then_exit_4_naming_the_holder() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    let hash = sha256_file(&db);
    // This test process holds the lock, as another migrator would.
    let held = MigrationLock::acquire_within(&db, Duration::ZERO).unwrap();
    assert_eq!(
        held.path(),
        project.path(".dev-data/instance-0/orient.db.migrate-lock")
    );
    let timeout = [(lock::TIMEOUT_VARIABLE, "300")];
    for args in [
        &["migrate"][..],
        &["migrate", "revert"],
        &["migrate", "redo"],
    ] {
        let started = Instant::now();
        let run = project.run(args, &timeout);
        assert_eq!(run.code, 4, "{args:?}: {run:?}");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(
            run.stderr.contains(&format!("pid {}", std::process::id())),
            "{run:?}"
        );
        assert!(run.stderr.contains("orient.db.migrate-lock"), "{run:?}");
        assert!(run.stderr.contains(lock::TIMEOUT_VARIABLE), "{run:?}");
    }
    let json = project.run(&["--json", "migrate"], &timeout);
    assert_eq!(json.json()["error"]["exit_code"], 4);
    // Read-only commands take no lock.
    assert_eq!(project.run(&["migrate", "status"], &timeout).code, 0);
    assert_eq!(sha256_file(&db), hash);

    // A second holder in this process waits the same way (services take the lock through the same type).
    let error = MigrationLock::acquire_within(&db, Duration::from_millis(100))
        .expect_err("the lock is held");
    assert!(error.is_locked(), "{error}");

    drop(held);
    let run = project.run(&["migrate"], &timeout);
    assert_eq!(run.code, 0, "{run:?}");

    let bad = project.run(&["migrate"], &[(lock::TIMEOUT_VARIABLE, "soon")]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("ORIENT_MIGRATE_LOCK_TIMEOUT_MS=soon"),
        "{bad:?}"
    );
}

#[test]
fn a_new_database_is_not_created_while_another_migrator_holds_the_lock() {
    let project = Project::new();
    let db = project.path("data/orient.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let held = MigrationLock::acquire_within(&db, Duration::ZERO).unwrap();
    let run = project.run(
        &["migrate"],
        &[
            ("SQLITE_DATABASE", db.to_str().unwrap()),
            (lock::TIMEOUT_VARIABLE, "100"),
        ],
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(!db.exists());
    drop(held);
}

#[test]
fn a_lock_left_by_a_killed_process_does_not_block_the_next_migrate() {
    let Some(python) = common_python() else {
        return;
    };
    let project = Project::new();
    let db = project.path("orient.db");
    let lock_file = lock::lock_path(&db);
    // Another program holds the same OS lock (flock), then dies without releasing it.
    let mut holder = std::process::Command::new(python)
        .args([
            "-c",
            "import fcntl, sys, time\n\
             f = open(sys.argv[1], 'a')\n\
             fcntl.flock(f, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\n\
             time.sleep(60)\n",
            lock_file.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let env = [
        ("SQLITE_DATABASE", db.to_str().unwrap()),
        (lock::TIMEOUT_VARIABLE, "200"),
    ];
    assert_eq!(project.run(&["migrate"], &env).code, 4);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let run = project.run(&["migrate"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ledger(&db), [V1, V2]);
}

fn common_python() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("python3"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!("SKIPPED: python3 is not on PATH (it holds the lock from another process)");
    }
    found
}

#[test]
fn services_opening_the_database_go_through_the_same_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orient.db");
    // Four threads open it at once: each opens through the lock, so the migrations run once.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let (_, opened) = db::open_writer(&db, true).unwrap();
                opened.applied_migrations.len()
            })
        })
        .collect();
    let applied: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(applied, 2);
    assert_eq!(ledger(&db), [V1, V2]);
    assert!(lock::lock_path(&db).is_file());
    let opened = Db::open_path(&db).unwrap();
    let report = opened.opened().migration.clone().unwrap();
    assert!(report.is_noop(), "{report:?}");
}

// ---------------------------------------------------------------------------------------------------
// revert and redo

#[test]
fn revert_returns_to_the_previous_schema_and_redo_round_trips() {
    let project = Project::new();
    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    let all = embedded();
    execute(&db, "INSERT INTO agents (id, name) VALUES ('ori', 'Ori');");

    let run = project.run(&["--json", "migrate", "revert"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["reverted"], MODEL_TIER);
    assert_eq!(run.json()["version"], V2);
    assert_eq!(
        diff(&live_schema(&db), &schema_after(&all[..1]), &Sqlite),
        vec![]
    );
    assert_eq!(ledger(&db), [V1]);
    assert_eq!(checksums(&db).keys().collect::<Vec<_>>(), [V1]);
    assert_eq!(strings(&db, "SELECT id AS value FROM agents"), ["ori"]);

    // redo of the (now last) initial migration: back to the same schema, an empty one in between.
    let redo = project.run(&["migrate", "redo"], &[]);
    assert_eq!(redo.code, 0, "{redo:?}");
    assert!(
        redo.stdout
            .contains(&format!("reverted and applied again {INITIAL}")),
        "{redo:?}"
    );
    assert_eq!(
        diff(&live_schema(&db), &schema_after(&all[..1]), &Sqlite),
        vec![]
    );
    assert_eq!(ledger(&db), [V1]);

    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let redo = project.run(&["--json", "migrate", "redo"], &[]);
    assert_eq!(redo.code, 0, "{redo:?}");
    assert_eq!(redo.json()["redone"], MODEL_TIER);
    assert_eq!(
        diff(&live_schema(&db), &schema_after(&all), &Sqlite),
        vec![]
    );
    assert_eq!(ledger(&db), [V1, V2]);
    assert_eq!(checksums(&db), embedded_checksums());

    // Down to nothing, then nothing to revert.
    for _ in 0..2 {
        let run = project.run(&["migrate", "revert"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(live_schema(&db).tables.len(), 0);
    assert!(ledger(&db).is_empty() && checksums(&db).is_empty());
    let nothing = project.run(&["migrate", "revert"], &[]);
    assert_eq!(nothing.code, 1, "{nothing:?}");
    assert!(nothing.stderr.contains("nothing to revert"), "{nothing:?}");
}

#[test]
fn revert_refuses_an_unknown_last_version_and_a_missing_database() {
    let project = Project::new();
    let missing = project.run(&["migrate", "revert"], &[]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("database file not found"),
        "{missing:?}"
    );
    assert_eq!(listing(project.root()), ["diesel.toml"]);

    assert_eq!(project.run(&["migrate"], &[]).code, 0);
    let db = project.path(".dev-data/instance-0/orient.db");
    execute(
        &db,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000');",
    );
    let hash = sha256_file(&db);
    for action in ["revert", "redo"] {
        let run = project.run(&["migrate", action], &[]);
        assert_eq!(run.code, 3, "{action}: {run:?}");
        assert!(run.stderr.contains("20991231000000"), "{run:?}");
    }
    assert_eq!(sha256_file(&db), hash);
}

#[test]
fn revert_refuses_a_migration_without_down_sql() {
    let dir = tempfile::tempdir().unwrap();
    let source = scratch_migrations(dir.path());
    std::fs::remove_file(source.join(MODEL_TIER).join("down.sql")).unwrap();
    let all = migrations::from_directory(&source).unwrap();
    let db = dir.path().join("orient.db");
    migrate_file(&db, &all).unwrap();
    let mut conn = from_sqlite(connect(&db));
    for result in [
        migrations::revert_last(&mut conn, &Target::sqlite(&db), &all).map(|_| ()),
        migrations::redo_last(&mut conn, &Target::sqlite(&db), &all).map(|_| ()),
    ] {
        match result {
            Err(Error::NoDown { name }) => assert_eq!(name, MODEL_TIER),
            other => panic!("expected NoDown, got {other:?}"),
        }
    }
    assert_eq!(ledger(&db), [V1, V2]);
}

// ---------------------------------------------------------------------------------------------------
// Adoption

#[test]
fn a_database_made_by_the_original_orient_is_adopted_with_its_rows_unchanged() {
    let Some(reference) = orient_testkit::reference::reference_dir() else {
        return;
    };
    let project = Project::new();
    let db = project.path("original.db");
    original_database(&reference, &db, 2);
    let tables = user_tables(&db);
    assert_eq!(tables.len(), 34);
    let before = contents(&db, &tables);
    assert!(before["agents"].contains("'ori'"), "{before:?}");
    let drizzle_before = strings(&db, "SELECT hash AS value FROM __drizzle_migrations");
    let env = [("SQLITE_DATABASE", db.to_str().unwrap())];

    let run = project.run(&["--json", "migrate"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["adopted"], serde_json::json!([INITIAL, MODEL_TIER]));
    assert_eq!(report["applied"], serde_json::json!([]));
    assert_eq!(ledger(&db), [V1, V2]);
    assert_eq!(checksums(&db), embedded_checksums());
    assert_eq!(user_tables(&db), tables, "no table was changed");
    assert_eq!(contents(&db, &tables), before, "no row was changed");
    assert_eq!(
        strings(&db, "SELECT hash AS value FROM __drizzle_migrations"),
        drizzle_before
    );
    // Adopted once: the next run has nothing to do.
    let again = project.run(&["--json", "migrate"], &env).json();
    assert_eq!(again["adopted"], serde_json::json!([]));
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(contents(&db, &tables), before);
    // And the adopted database is exactly what the structs declare.
    let check = project.run(&["--json", "check"], &env);
    assert_eq!(check.code, 0, "{check:?}");
    assert_eq!(check.json()["clean"], true);
    assert_eq!(contents(&db, &tables), before);
}

#[test]
fn an_original_database_with_only_its_first_migration_is_adopted_then_migrated() {
    let Some(reference) = orient_testkit::reference::reference_dir() else {
        return;
    };
    let project = Project::new();
    let db = project.path("original-0000.db");
    original_database(&reference, &db, 1);
    let tables = user_tables(&db);
    assert!(!tables["agents"].contains(&"model_tier".to_owned()));
    let before = contents(&db, &tables);
    let env = [("SQLITE_DATABASE", db.to_str().unwrap())];

    let run = project.run(&["migrate"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!("adopted {INITIAL}")),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("applied {MODEL_TIER}")),
        "{run:?}"
    );
    assert_eq!(ledger(&db), [V1, V2]);
    assert_eq!(checksums(&db), embedded_checksums());
    // Every row kept its values; agents gained model_tier with its default.
    assert_eq!(contents(&db, &tables), before);
    assert_eq!(
        strings(
            &db,
            "SELECT id || '=' || model_tier AS value FROM agents ORDER BY rowid"
        ),
        ["ori=cheap", "helper=cheap"]
    );
    assert_eq!(
        diff(&live_schema(&db), &schema_after(&embedded()), &Sqlite),
        vec![]
    );
}

#[test]
fn a_database_without_ledger_rows_is_adopted_at_the_prefix_its_schema_matches() {
    let dir = tempfile::tempdir().unwrap();
    for (k, empty_ledger) in [(1, false), (2, false), (2, true)] {
        let db = dir.path().join(format!("push-{k}-{empty_ledger}.db"));
        unledgered_database(&db, k);
        if empty_ledger {
            // Diesel's ledger present but empty counts as no ledger.
            execute(
                &db,
                "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
                 run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);",
            );
        }
        let service = Db::open_path(&db).unwrap();
        let report = service.opened().migration.clone().unwrap();
        let adopted: Vec<&str> = report.adopted.iter().map(|m| m.name.as_ref()).collect();
        let applied: Vec<&str> = report.applied.iter().map(|m| m.name.as_ref()).collect();
        assert_eq!(adopted, [INITIAL, MODEL_TIER][..k], "k = {k}");
        assert_eq!(applied, [INITIAL, MODEL_TIER][k..], "k = {k}");
        drop(service);
        assert_eq!(ledger(&db), [V1, V2]);
        assert_eq!(strings(&db, "SELECT id AS value FROM agents"), ["ori"]);
    }
}

#[test]
fn a_database_matching_no_prefix_is_refused_with_the_differences_and_left_unchanged() {
    let project = Project::new();
    let db = project.path("drifted.db");
    unledgered_database(&db, 2);
    execute(
        &db,
        "ALTER TABLE agents ADD COLUMN nickname text; DROP INDEX idx_agent_skills_skill;",
    );
    let before = (sha256_file(&db), listing(project.root()));
    let env = [("SQLITE_DATABASE", db.to_str().unwrap())];

    let run = project.run(&["migrate"], &env);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("matches no prefix"), "{run:?}");
    assert!(run.stderr.contains(MODEL_TIER), "closest prefix: {run:?}");
    assert!(run.stderr.contains("`agents`.`nickname`"), "{run:?}");
    assert!(run.stderr.contains("idx_agent_skills_skill"), "{run:?}");
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    let json = project.run(&["--json", "migrate"], &env).json();
    assert_eq!(json["error"]["exit_code"], 3);

    let after = listing(project.root());
    assert_eq!(sha256_file(&db), before.0);
    // Only the lock file is new beside it; no ledger was created.
    assert_eq!(
        after
            .iter()
            .filter(|p| !before.1.contains(p))
            .collect::<Vec<_>>(),
        ["drifted.db.migrate-lock"]
    );
    assert!(ledger(&db).is_empty());
    match Db::open_path(&db) {
        Err(db::Error::Migration(Error::NotAdoptable {
            closest,
            differences,
            ..
        })) => {
            assert_eq!(closest, MODEL_TIER);
            assert_eq!(differences.len(), 2, "{differences:?}");
        }
        other => panic!("expected NotAdoptable, got {other:?}"),
    }
    assert_eq!(sha256_file(&db), before.0);
}

#[test]
fn a_foreign_database_is_refused_listing_its_tables_and_left_unchanged() {
    let project = Project::new();
    let db = project.path("foreign.db");
    execute(
        &db,
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);
         CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE shipments (id INTEGER PRIMARY KEY, invoice_id INTEGER REFERENCES invoices(id));
         INSERT INTO invoices VALUES (1, 9.5); INSERT INTO customers VALUES (1, 'Ada');",
    );
    let hash = sha256_file(&db);
    let env = [("SQLITE_DATABASE", db.to_str().unwrap())];
    let run = project.run(&["migrate"], &env);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("not an Orient database"), "{run:?}");
    assert!(
        run.stderr.contains("customers, invoices, shipments"),
        "{run:?}"
    );
    assert_eq!(sha256_file(&db), hash);
    assert!(ledger(&db).is_empty());
    assert!(!project.path("foreign.db-wal").exists());
    assert!(matches!(
        Db::open_path(&db),
        Err(db::Error::Migration(Error::Foreign { .. }))
    ));
    assert_eq!(sha256_file(&db), hash);
}

#[test]
fn a_failing_migration_is_an_error_that_leaves_nothing_of_it_behind() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("migrations/sqlite");
    let write = |name: &str, up: &str| {
        std::fs::create_dir_all(source.join(name)).unwrap();
        std::fs::write(source.join(name).join("up.sql"), up).unwrap();
    };
    write("2026-01-01-000001_one", "CREATE TABLE one (id INTEGER);");
    write(
        "2026-01-01-000002_two",
        "CREATE TABLE two (id INTEGER);\nCREATE TABLE broken (;\nCREATE TABLE two_b (id INTEGER);",
    );
    write(
        "2026-01-01-000003_three",
        "CREATE TABLE three (id INTEGER);",
    );
    let db = dir.path().join("scratch.db");
    let error = migrate_file(&db, &migrations::from_directory(&source).unwrap())
        .expect_err("the second migration fails");
    let message = error.to_string();
    assert!(
        message.contains("migrations/sqlite/2026-01-01-000002_two/up.sql"),
        "{message}"
    );
    assert!(message.contains("syntax error"), "{message}");
    assert_eq!(ledger(&db), ["20260101000001"]);
    assert!(table_exists(&db, "one") && !table_exists(&db, "two") && !table_exists(&db, "three"));
    assert_eq!(checksums(&db).len(), 1);

    // Fixed, it applies along with the next one.
    write(
        "2026-01-01-000002_two",
        "CREATE TABLE two (id INTEGER);\nCREATE TABLE two_b (id INTEGER);",
    );
    let report = migrate_file(&db, &migrations::from_directory(&source).unwrap()).unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_eq!(
        ledger(&db),
        ["20260101000001", "20260101000002", "20260101000003"]
    );
}

/// SIGKILL at random moments of `orient-db migrate` on a new database: every time, each migration is
/// in the database entirely (schema and ledger row) or not at all, `integrity_check` is ok, and the
/// next `migrate` finishes the job.
#[test]
fn killing_migrate_leaves_each_migration_entirely_applied_or_not_at_all() {
    let project = Project::new();
    let db = project.db();
    let program = Path::new(env!("CARGO_BIN_EXE_orient-db"));
    let migrate = || {
        let mut command = project.process(program, &["migrate"], &[]);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    };
    let full = orient_testkit::kill::time_uninterrupted(&mut migrate());
    let all = embedded();
    let mut applied_counts = Vec::new();
    for (round, delay) in orient_testkit::kill::schedule(40, full)
        .into_iter()
        .enumerate()
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        orient_testkit::kill::kill_after(&mut migrate(), delay);
        if db.exists() {
            assert_eq!(
                strings(
                    &db,
                    "SELECT integrity_check AS value FROM pragma_integrity_check"
                ),
                ["ok"],
                "round {round}, after {delay:?}"
            );
            let applied = ledger(&db);
            let k = applied.len();
            assert_eq!(applied, [V1, V2][..k], "round {round}");
            assert_eq!(
                diff(&live_schema(&db), &schema_after(&all[..k]), &Sqlite),
                vec![],
                "round {round}, after {delay:?}: the schema is not what the {k} recorded migrations make"
            );
            applied_counts.push(k);
        } else {
            applied_counts.push(0);
        }
        let again = project.run(&["migrate"], &[]);
        assert_eq!(again.code, 0, "round {round}: {again:?}");
        assert_eq!(ledger(&db), [V1, V2], "round {round}");
    }
    eprintln!("migrations found applied after each kill: {applied_counts:?}");
}
