//! `orient-db transfer`: a whole database copied between engines and verified.
//!
//! - the original Orient's populated database (its migrations from ORIENT_REFERENCE_DIR, adopted and
//!   migrated, seeded, with users' rows) to PostgreSQL and back: content checksums identical at each hop,
//!   `check` clean on both engines, fresh ids after each hop;
//! - on each engine as the target (the source a SQLite file): a target holding rows is refused and left
//!   unchanged, `--replace` replaces them; the next insert gets a fresh id; a value that is not its
//!   declared type stops the transfer, naming it, and nothing is kept;
//! - the errors of the command line: a missing source, a missing target directory, a malformed or
//!   unreachable server, the same database twice, a source behind or ahead of this binary.
//!
//! The PostgreSQL halves need the `postgres` feature (`--features orient-database/postgres`) and skip
//! cleanly without it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use diesel::connection::SimpleConnection;
use orient_database::db::Config;
use orient_database::db::target::{POSTGRES_BUILT, PostgresTarget, Target};
use orient_database::ops::checksum::content_checksum;
use orient_testkit::process::command_in;
use orient_testkit::{Engine, Project, Run, binary, on_each_engine, reference};

/// Rows of the users of a migrated and seeded database, in tables with autoincrement ids, foreign keys,
/// unicode, quotes, NULLs, booleans and timestamps; the last scheduled job is deleted, so its table's
/// counter is above its highest id.
const USERS_ROWS: &str = "
    INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp, created_at) VALUES
      ('u1', 'incoming', '1@s.whatsapp.net', '1', 'ünïcode ✓ and ''quotes''', 0, 1769987500, NULL),
      ('u2', 'outgoing', '1@s.whatsapp.net', '1', '', 1, 1769987501, 1769987501);
    INSERT INTO scheduled_jobs (name, schedule_type, provider, target, message_template, enabled) VALUES
      ('daily', 'cron', 'whatsapp', '1@s.whatsapp.net', 'Good morning', 1),
      ('weekly', 'cron', 'slack', 'C1', 'Weekly', 0),
      ('gone', 'once', 'slack', 'C1', 'Gone', 0);
    INSERT INTO scheduled_job_runs (job_id, started_at, status)
      SELECT id, 1769987600, 'ok' FROM scheduled_jobs WHERE name = 'daily';
    DELETE FROM scheduled_jobs WHERE name = 'gone';
    INSERT INTO webhooks (name, token, source_type, provider, target) VALUES
      ('gh', 'tok', 'github', 'slack', 'C1');
    INSERT INTO webhook_events (webhook_id, payload, status)
      SELECT id, '{\"a\": [1, 2]}', 'done' FROM webhooks;
    INSERT INTO app_storage (app_name, key, value) VALUES ('notes', 'k', 'v');";

/// The original Orient's database (both of its migrations, rows of its users), adopted and migrated
/// by `orient-db migrate`, seeded by `orient-seed`, then more rows of its users.
fn populated_original(project: &Project, reference: &Path) {
    let db = project.db();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let mut conn = orient_testkit::sqlite::connect(&db);
    conn.batch_execute("BEGIN").unwrap();
    reference::build_original(&mut conn, reference, 2);
    conn.batch_execute(
        "INSERT INTO agents (id, name, description, enabled, created_at) VALUES
           ('ori', 'Ori', 'the main agent', 1, 1769987409), ('helper', 'Helper', NULL, 0, 1769987410);
         INSERT INTO agent_skills (agent_id, skill_name, enabled, created_at) VALUES
           ('ori', 'tool-discovery', 1, 1769987411), ('helper', 'web', 0, NULL);
         INSERT INTO chat_permissions (chat_id, chat_type, permission, display_name) VALUES
           ('test-group-1@g.us', 'group', 'ignored', 'Our real group');
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp) VALUES
           ('m1', 'incoming', '123@s.whatsapp.net', '123', 'hello ''world''', 0, 1769987412),
           (NULL, 'outgoing', '123@s.whatsapp.net', '123', 'ünïcode ✓', 0, 1769987413);
         INSERT INTO feature_flags (id, name, category, sort_order) VALUES ('studio', 'Studio', 'ui', 3);
         INSERT INTO groups (group_id, group_name, participant_count) VALUES ('g1', 'Friends', 7);
         INSERT INTO secrets (key, encrypted_value, iv, auth_tag) VALUES ('k', 'v', 'i', 't');
         COMMIT;",
    )
    .unwrap();
    drop(conn);
    let run = project.run(&["migrate"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    project.execute(USERS_ROWS);
}

/// A migrated, seeded SQLite database of its own in the project, with users' rows.
fn sqlite_source(project: &Project, name: &str) -> String {
    let path = project.path(name);
    let path = path.to_str().unwrap().to_owned();
    // Outside the project's own database configuration (its DATABASE_URL on PostgreSQL).
    let env = [("SQLITE_DATABASE", path.as_str())];
    for program in ["orient-db", "orient-seed"] {
        let args: &[&str] = if program == "orient-db" {
            &["migrate"]
        } else {
            &[]
        };
        let run = Run::from_output(&command_in(&binary(program), project.root(), args, &env));
        assert_eq!(run.code, 0, "{program}: {run:?}");
    }
    orient_testkit::sqlite::execute(Path::new(&path), USERS_ROWS);
    path
}

/// What `--to` names for the project's own database.
fn target_of(project: &Project) -> String {
    match project.url() {
        Some(url) => url.to_owned(),
        None => {
            std::fs::create_dir_all(project.db().parent().unwrap()).unwrap();
            project.db().to_str().unwrap().to_owned()
        }
    }
}

/// Each application table's rows and content checksum.
type Checksums = BTreeMap<String, (u64, String)>;

/// The content checksum of each application table (the tools' tables left out), read by the library.
fn application_checksums(target: &Target) -> Checksums {
    let mut conn =
        orient_database::db::open_read_only(&Config::for_target(target.clone())).unwrap();
    content_checksum(&mut conn)
        .unwrap()
        .tables
        .into_iter()
        .filter(|t| !t.bookkeeping)
        .map(|t| (t.table, (t.rows, t.sha256)))
        .collect()
}

/// The application tables of a transfer's `--json` report, as (rows, checksum) per side, after
/// checking that every line is ok.
fn reported(report: &serde_json::Value) -> (Checksums, Checksums) {
    assert_eq!(report["ok"], true, "{report:#}");
    let mut source = BTreeMap::new();
    let mut target = BTreeMap::new();
    for table in report["tables"].as_array().unwrap() {
        assert_eq!(table["ok"], true, "{table:#}");
        if table["kind"] != "application" {
            continue;
        }
        let name = table["table"].as_str().unwrap().to_owned();
        let side = |rows: &str, sha: &str| {
            (
                table[rows].as_u64().unwrap(),
                table[sha].as_str().unwrap().to_owned(),
            )
        };
        source.insert(name.clone(), side("source_rows", "source_sha256"));
        target.insert(name, side("target_rows", "target_sha256"));
    }
    (source, target)
}

fn postgres_target(url: &str) -> Target {
    Target::Postgres(PostgresTarget::parse(url).unwrap())
}

#[test]
fn the_original_orients_populated_database_goes_to_postgres_and_back_unchanged() {
    let Some(reference) = reference::reference_dir() else {
        return;
    };
    if !Engine::postgres_available(POSTGRES_BUILT) {
        return;
    }
    let project = Project::new();
    populated_original(&project, &reference);
    let original = application_checksums(&Target::sqlite(project.db()));
    assert_eq!(original.len(), orient_database::schema::TABLES.len());
    assert!(
        original["messages"].0 == 4 && original["agent_tools"].0 > 0,
        "{original:?}"
    );

    // SQLite → PostgreSQL.
    let server = orient_testkit::postgres::server().unwrap();
    let database = server.create_database("transfer_there");
    let url = server.url(&database);
    let run = project.run(&["--json", "transfer", "--to", &url], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    let (source, target) = reported(&report);
    assert_eq!(source, original);
    assert_eq!(target, original);
    assert_eq!(application_checksums(&postgres_target(&url)), original);
    assert_eq!(report["target_engine"], "postgres");
    assert_eq!(report["versions"].as_array().unwrap().len(), 2);
    // Every tool table of the source is named with how it was compared, never silently skipped.
    let compared: BTreeMap<String, String> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] != "application")
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["compared"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        compared["__diesel_schema_migrations"].contains("versions"),
        "{compared:?}"
    );
    assert!(
        compared["__drizzle_migrations"].contains("not carried"),
        "{compared:?}"
    );

    // `check` is clean on both engines.
    let check = project.run(&["check"], &[]);
    assert_eq!(check.code, 0, "{check:?}");
    let check = project.run(&["check"], &[("DATABASE_URL", &url)]);
    assert_eq!(check.code, 0, "{check:?}");

    // The next insert gets a fresh id on PostgreSQL: above the deleted job's, which the counter kept.
    let sqlite_next = orient_testkit::sqlite::query_text(
        &mut orient_testkit::sqlite::connect(&project.db()),
        "SELECT CAST(seq + 1 AS TEXT) AS value FROM sqlite_sequence WHERE name = 'scheduled_jobs'",
    );
    let max = orient_testkit::sqlite::query_text(
        &mut orient_testkit::sqlite::connect(&project.db()),
        "SELECT CAST(max(id) AS TEXT) AS value FROM scheduled_jobs",
    );
    assert!(sqlite_next.parse::<i64>().unwrap() > max.parse::<i64>().unwrap() + 1);
    let insert = "INSERT INTO scheduled_jobs (name, schedule_type, provider, target, message_template) \
                  VALUES ('fresh', 'cron', 'slack', 'C1', 'x') RETURNING id";
    let pg_next = server.psql(&database, insert);
    assert_eq!(pg_next.lines().next().unwrap_or(""), sqlite_next);

    // PostgreSQL → SQLite, into a file of its own; the row just inserted is removed first so the
    // content is the original's again.
    server.psql(&database, "DELETE FROM scheduled_jobs WHERE name = 'fresh'");
    let back = project.path("back.db");
    let back_arg = back.to_str().unwrap();
    let run = project.run(
        &["--json", "transfer", "--from", &url, "--to", back_arg],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let (source, target) = reported(&run.json());
    assert_eq!(source, original);
    assert_eq!(target, original);
    assert_eq!(application_checksums(&Target::sqlite(&back)), original);
    let check = project.run(&["check"], &[("SQLITE_DATABASE", back_arg)]);
    assert_eq!(check.code, 0, "{check:?}");
    // The counter came back too: PostgreSQL's sequence had handed out one more id.
    let next = orient_testkit::sqlite::query_text(
        &mut orient_testkit::sqlite::connect(&back),
        "SELECT CAST(seq + 1 AS TEXT) AS value FROM sqlite_sequence WHERE name = 'scheduled_jobs'",
    );
    assert_eq!(
        next.parse::<i64>().unwrap(),
        sqlite_next.parse::<i64>().unwrap() + 1
    );
}

on_each_engine! {
    fn a_target_holding_rows_is_refused_unchanged_and_replace_replaces_them(project: Project) {
        let source = sqlite_source(&project, "source.db");
        let to = target_of(&project);
        let run = project.run(&["migrate"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        project.execute("INSERT INTO agents (id, name) VALUES ('mine', 'Mine')");
        let before = project.content_hash();

        let run = project.run(&["transfer", "--from", &source, "--to", &to], &[]);
        assert_eq!(run.code, 3, "{run:?}");
        for says in ["already holds rows", "agents: 1", "--replace", "nothing was changed"] {
            assert!(run.stderr.contains(says), "{says}: {run:?}");
        }
        let run = project.run(&["--json", "transfer", "--from", &source, "--to", &to], &[]);
        assert_eq!(run.json()["error"]["exit_code"], 3, "{run:?}");
        assert_eq!(project.content_hash(), before);

        let run = project.run(&["--json", "transfer", "--from", &source, "--to", &to, "--replace"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.json()["rows_replaced"], 1);
        assert_eq!(project.count("agents"), orient_testkit::sqlite::count(Path::new(&source), "agents"));
        assert_eq!(project.scalar("SELECT count(*) FROM agents WHERE id = 'mine'"), "0");
        assert_eq!(project.count("messages"), 2);
    }

    fn the_next_insert_after_a_transfer_gets_a_fresh_id(project: Project) {
        let source = sqlite_source(&project, "source.db");
        let counter: i64 = orient_testkit::sqlite::query_number(
            &mut orient_testkit::sqlite::connect(Path::new(&source)),
            "SELECT seq AS n FROM sqlite_sequence WHERE name = 'scheduled_jobs'",
        );
        let to = target_of(&project);
        let run = project.run(&["--json", "transfer", "--from", &source, "--to", &to], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let marks = run.json()["sequences"].clone();
        let jobs = marks
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["table"] == "scheduled_jobs")
            .cloned()
            .unwrap();
        assert_eq!(jobs["next_id"], counter + 1, "{jobs}");
        assert!(jobs["source_max_id"].as_i64().unwrap() < counter, "{jobs}");

        project.execute(
            "INSERT INTO scheduled_jobs (name, schedule_type, provider, target, message_template) \
             VALUES ('fresh', 'cron', 'slack', 'C1', 'x')",
        );
        assert_eq!(
            project.scalar("SELECT id FROM scheduled_jobs WHERE name = 'fresh'"),
            (counter + 1).to_string()
        );
        // A table the source never wrote starts at 1.
        project.execute("INSERT INTO dashboard_users (username) VALUES ('first')");
        assert_eq!(project.scalar("SELECT id FROM dashboard_users WHERE username = 'first'"), "1");
    }

    fn a_value_that_is_not_its_declared_type_stops_the_transfer_and_names_it(project: Project) {
        let source = sqlite_source(&project, "source.db");
        // SQLite keeps a text in an INTEGER column; PostgreSQL would refuse it, a text-based copy
        // would garble it. The transfer names it before anything is kept.
        orient_testkit::sqlite::execute(
            Path::new(&source),
            "UPDATE scheduled_jobs SET created_at = 'yesterday' WHERE name = 'daily'",
        );
        let id = orient_testkit::sqlite::query_number(
            &mut orient_testkit::sqlite::connect(Path::new(&source)),
            "SELECT id AS n FROM scheduled_jobs WHERE name = 'daily'",
        );
        let to = target_of(&project);
        let run = project.run(&["transfer", "--from", &source, "--to", &to], &[]);
        assert_eq!(run.code, 1, "{run:?}");
        for says in [
            "scheduled_jobs.created_at".to_owned(),
            format!("id = {id}"),
            "\"yesterday\"".to_owned(),
            "timestamp".to_owned(),
            "nothing was transferred".to_owned(),
        ] {
            assert!(run.stderr.contains(&says), "{says}: {run:?}");
        }
        // Nothing kept: the file it would have created is gone; PostgreSQL holds no row.
        match project.engine() {
            Engine::Sqlite => assert!(!project.db().exists()),
            Engine::Postgres => assert_eq!(project.count("agents"), 0),
        }
    }
}

#[test]
fn clear_errors_and_exit_codes_and_nothing_created() {
    let project = Project::new();
    let source = sqlite_source(&project, "source.db");
    let listing = || orient_testkit::listing(project.root());
    let before = listing();

    // A source that does not exist: exit 2, named, nothing created.
    let run = project.run(&["transfer", "--from", "nowhere.db", "--to", "out.db"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("nowhere.db"), "{run:?}");
    // A target in a directory that does not exist: exit 2.
    let run = project.run(
        &["transfer", "--from", &source, "--to", "missing/dir/out.db"],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("missing/dir") && run.stderr.contains("does not exist"),
        "{run:?}"
    );
    // The same database twice: exit 2.
    let run = project.run(&["transfer", "--from", &source, "--to", &source], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("the same database"), "{run:?}");
    // A malformed URL: exit 2, the password never shown.
    let run = project.run(
        &[
            "transfer",
            "--from",
            &source,
            "--to",
            "postgres://u:s3cret@h:99999/d",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("port") && !run.stderr.contains("s3cret"),
        "{run:?}"
    );
    // A server that cannot be reached: exit 1 naming it (2 in a build without PostgreSQL, saying so).
    let run = project.run(
        &[
            "transfer",
            "--from",
            &source,
            "--to",
            "postgres://u:s3cret@127.0.0.1:1/orient",
        ],
        &[],
    );
    assert!(!run.stderr.contains("s3cret"), "{run:?}");
    if POSTGRES_BUILT {
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains("127.0.0.1") && run.stderr.contains("orient"),
            "{run:?}"
        );
    } else {
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("postgres"), "{run:?}");
    }
    assert_eq!(listing(), before);

    // A source with pending migrations (an empty database): exit 3, saying what to run.
    let empty = project.path("empty.db");
    orient_testkit::sqlite::execute(&empty, "CREATE TABLE unrelated (x)");
    let run = project.run(
        &[
            "transfer",
            "--from",
            empty.to_str().unwrap(),
            "--to",
            "out.db",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("orient-db migrate") && run.stderr.contains("empty.db"),
        "{run:?}"
    );
    // A source migrated by a newer binary: exit 3.
    orient_testkit::sqlite::execute(
        Path::new(&source),
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('99990101000000')",
    );
    let run = project.run(&["transfer", "--from", &source, "--to", "out.db"], &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("99990101000000") && run.stderr.contains("newer"),
        "{run:?}"
    );
    assert!(!project.path("out.db").exists());
}
