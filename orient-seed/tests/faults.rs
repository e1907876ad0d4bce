//! Fault injection for `orient-seed`: a non-UTF-8 database variable, no configuration, a closed stdout,
//! a disk that fills up. Each test drives the real binary on real files and asserts the exit code, the
//! message and that nothing was lost or created. The same classes for `orient-db` and the library are in
//! `orient-database/tests/faults.rs`.
//!
//! A full disk needs a private mount namespace with its own tmpfs (`unshare -rm` from util-linux, as root
//! or with unprivileged user namespaces); without one the test prints `SKIPPED: <reason>` and passes. CI
//! runs the suite as root with `ORIENT_REQUIRE_FAULTS=1`, which makes any skip a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use orient_testkit::sqlite::{content_hash, count, execute};
use orient_testkit::{Project, Run};

/// Every variable the Orient tools read: cleared so the developer's environment never leaks in.
const VARIABLES: [&str; 8] = [
    "SQLITE_DATABASE",
    "SQLITE_DB_PATH",
    "DATABASE_URL",
    "DATABASE_TYPE",
    "AI_INSTANCE_ID",
    "ORIENT_MIGRATE_LOCK_TIMEOUT_MS",
    "ORIENT_LOG",
    "ORIENT_PROJECT_ROOT",
];

fn command(program: impl AsRef<OsStr>, dir: &Path, env: &[(&str, &OsStr)]) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Prints why a test cannot run here. With `ORIENT_REQUIRE_FAULTS` set (CI, as root) that is a failure.
fn skip(reason: &str) {
    assert!(
        std::env::var_os("ORIENT_REQUIRE_FAULTS").is_none_or(|v| v.is_empty() || v == "0"),
        "ORIENT_REQUIRE_FAULTS is set, but: {reason}"
    );
    eprintln!("SKIPPED: {reason}");
}

fn seed_command(dir: &Path, env: &[(&str, &OsStr)]) -> Command {
    command(env!("CARGO_BIN_EXE_orient-seed"), dir, env)
}

fn finish(command: &mut Command) -> Run {
    let output = command.output().expect("run the command");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            out.push(entry.path());
            if entry.path().is_dir() {
                walk(&entry.path(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[cfg(unix)]
#[test]
fn a_non_utf8_database_path_with_force_is_refused_and_the_default_database_untouched() {
    use std::os::unix::ffi::OsStringExt;
    let project = Project::new();
    // The default database, seeded, with a seeded row a user changed: --force would rewrite it.
    let seeded = project.seed(&[], &[]);
    assert_eq!(seeded.code, 0, "{seeded:?}");
    execute(
        &project.db(),
        "UPDATE agents SET description = 'kept by the user' WHERE id = 'ori';",
    );
    let hash = content_hash(&project.db());
    let before = listing(project.root());
    let bad = std::ffi::OsString::from_vec(b"data/\xffrient.db".to_vec());
    let run = finish(seed_command(project.root(), &[("SQLITE_DATABASE", &bad)]).arg("--force"));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("SQLITE_DATABASE (from the environment) is not valid UTF-8"),
        "{run:?}"
    );
    assert_eq!(content_hash(&project.db()), hash);
    assert_eq!(listing(project.root()), before);
}

#[test]
fn with_nothing_configured_outside_a_project_it_refuses_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    if dir
        .path()
        .ancestors()
        .any(|d| d.join("diesel.toml").is_file())
    {
        return skip("the temporary directory is inside a project");
    }
    for args in [&[][..], &["--dry-run"], &["--json", "--force"]] {
        let run = finish(seed_command(dir.path(), &[]).args(args));
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        for word in [
            "no database is configured",
            "SQLITE_DATABASE",
            "DATABASE_URL",
        ] {
            assert!(run.stderr.contains(word), "{args:?}: {run:?}");
        }
    }
    assert_eq!(listing(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn settings_in_dot_env_are_read_and_a_bad_one_exits_2() {
    let project = Project::new();
    std::fs::write(
        project.path(".env"),
        "ORIENT_MIGRATE_LOCK_TIMEOUT_MS=later\n",
    )
    .unwrap();
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "ORIENT_MIGRATE_LOCK_TIMEOUT_MS=later (from {})",
            project.path(".env").display()
        )),
        "{run:?}"
    );
    assert!(!project.db().exists());
    std::fs::write(project.path(".env"), "ORIENT_LOG=debug\n").unwrap();
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("resolved the database"), "{run:?}");
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_seeding_committed() {
    let project = Project::new();
    for args in [&[][..], &["--json"], &["--force"], &["--dry-run"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let run = finish(
            seed_command(project.root(), &[])
                .args(args)
                .stdout(Stdio::from(writer)),
        );
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
        assert_eq!(count(&project.db(), "agents"), 5);
    }
}

/// Why a private mount namespace is unavailable, if it is.
fn namespace_unavailable() -> Option<String> {
    let works = Command::new("unshare")
        .args(["-rm", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match works {
        Err(_) => Some("`unshare` (util-linux) cannot be run".to_owned()),
        Ok(status) if !status.success() => Some(
            "`unshare -rm` failed: this user may not create user and mount namespaces".to_owned(),
        ),
        Ok(_) => None,
    }
}

/// On disks of growing sizes: seeding either fails naming the file, the step and what to do, or
/// commits. On some sizes it commits into the WAL and then cannot fold the WAL back into the file when
/// it closes (the disk is full again), which leaves a file that reads as damaged without its WAL. From
/// that state every run must recover the WAL, not call the database corrupt, and find the seeded rows.
#[test]
fn a_full_disk_is_reported_by_file_and_step_and_a_wal_it_leaves_is_recovered() {
    if let Some(reason) = namespace_unavailable() {
        return skip(&reason);
    }
    let project = Project::new();
    let disk = project.path("disk");
    let after = project.path("after");
    std::fs::create_dir_all(&disk).unwrap();
    let script = r#"mount -t tmpfs -o size="$1" tmpfs "$DISK" || exit 90
"$ORIENT_SEED"; code=$?
cp -a "$DISK"/. "$AFTER"/ || exit 91
exit $code"#;
    let inside = disk.join("orient.db");
    let db = after.join("orient.db");
    let mut failures = 0;
    let mut left_wal = None;
    for size in (400..=2000).step_by(100) {
        std::fs::create_dir_all(&after).unwrap();
        let run = finish(
            command(
                "unshare",
                project.root(),
                &[
                    ("DISK", disk.as_os_str()),
                    ("AFTER", after.as_os_str()),
                    ("SQLITE_DATABASE", inside.as_os_str()),
                    ("ORIENT_SEED", OsStr::new(env!("CARGO_BIN_EXE_orient-seed"))),
                ],
            )
            .args(["-rm", "sh", "-c", script, "sh", &format!("{size}k")]),
        );
        assert!(run.code < 90, "{run:?}");
        if run.code != 0 {
            failures += 1;
            assert_eq!(run.code, 1, "{size}k: {run:?}");
            for word in [
                inside.to_str().unwrap(),
                "database or disk is full",
                "free space",
                "rolled back",
            ] {
                assert!(run.stderr.contains(word), "{size}k, {word}: {run:?}");
            }
        } else if after.join("orient.db-wal").is_file() && damaged(&db) {
            left_wal = Some(size);
            break;
        }
        std::fs::remove_dir_all(&after).unwrap();
    }
    assert!(failures > 0, "no disk size made seeding fail");
    let Some(size) = left_wal else {
        panic!("no disk size between 400k and 2000k left a WAL behind a committed seeding");
    };
    // The file holds only part of what was committed; its WAL holds the rest.
    let run = finish(
        seed_command(project.root(), &[("SQLITE_DATABASE", db.as_os_str())])
            .args(["--json", "--dry-run"]),
    );
    assert_eq!(run.code, 0, "{size}k: {run:?}");
    assert!(!run.stderr.contains("corrupt"), "{run:?}");
    let report = run.json();
    assert_eq!(report["totals"]["inserted"], 0, "{report}");
    assert_eq!(report["pending_migrations"], serde_json::json!([]));
    assert_eq!(count(&db, "agents"), 5);
    let again = finish(&mut seed_command(
        project.root(),
        &[("SQLITE_DATABASE", db.as_os_str())],
    ));
    assert_eq!(again.code, 0, "{again:?}");
}

/// Whether reading the file alone, ignoring its WAL (`immutable=1`), finds it damaged.
fn damaged(db: &Path) -> bool {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let immutable = format!("file:{}?mode=ro&immutable=1", db.display());
    match SqliteConnection::establish(&immutable) {
        Ok(mut conn) => conn.batch_execute("SELECT count(*) FROM agents;").is_err(),
        Err(_) => true,
    }
}

/// SIGKILL at random moments of `orient-seed --force` on a database whose seeded rows users changed:
/// every time the database is entirely as before (byte-identical content) or entirely rewritten (a
/// further `--force --dry-run` finds nothing to do), `integrity_check` is ok, and the users' own rows
/// are there either way.
#[test]
fn killing_seed_force_leaves_the_old_or_the_new_rows_never_a_mix() {
    let project = Project::new();
    assert_eq!(project.seed(&[], &[]).code, 0);
    let db = project.db();
    execute(
        &db,
        "UPDATE agents SET name = 'Ori the Great', description = 'mine' WHERE id = 'ori';
         UPDATE agents SET model_default = 'x/y' WHERE id <> 'ori';
         UPDATE agent_skills SET enabled = 0;
         DELETE FROM agent_tools WHERE agent_id = 'ori';
         UPDATE system_prompts SET prompt_text = 'mine';
         INSERT INTO agents (id, name) VALUES ('custom', 'My Agent');
         PRAGMA wal_checkpoint(TRUNCATE);",
    );
    let template = project.path("template.db");
    std::fs::copy(&db, &template).unwrap();
    let old = content_hash(&template);
    let force = || {
        let mut command = project.process(
            Path::new(env!("CARGO_BIN_EXE_orient-seed")),
            &["--force"],
            &[],
        );
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    };
    let full = orient_testkit::kill::time_uninterrupted(&mut force());
    let (mut olds, mut news) = (0, 0);
    for (round, delay) in orient_testkit::kill::schedule(40, full)
        .into_iter()
        .enumerate()
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::copy(&template, &db).unwrap();
        orient_testkit::kill::kill_after(&mut force(), delay);

        let mut conn = orient_testkit::sqlite::connect(&db);
        assert_eq!(
            orient_testkit::sqlite::query_text(
                &mut conn,
                "SELECT group_concat(integrity_check) AS value FROM pragma_integrity_check"
            ),
            "ok",
            "round {round}, after {delay:?}"
        );
        drop(conn);
        assert_eq!(
            count(&db, "agents"),
            6,
            "round {round}: the user's agent is kept"
        );
        if content_hash(&db) == old {
            olds += 1;
        } else {
            let report = project.seed_json(&["--force", "--dry-run"]);
            assert_eq!(
                orient_testkit::seed_report::totals(&report),
                (0, 0, 89, 0),
                "round {round}, after {delay:?}: neither the old rows nor the new ones"
            );
            news += 1;
        }
    }
    eprintln!("after 40 kills: {olds} old, {news} new");
}
