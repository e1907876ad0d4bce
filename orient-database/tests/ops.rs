//! Operations on real files, through the real `orient-db` binary: `doctor` (and that it changes no
//! file), `backup` → `restore`, the refusals of `restore`, and the automatic snapshots before a push or
//! a migration that loses data.
//!
//! Some faults need privileges: a `-wal` owned by another user (run as root, so the tool can be run as
//! `nobody` with `setpriv`) and a read-only mount (`unshare -rm`). Those tests print SKIPPED with the
//! reason and pass when the machine cannot provide them.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::db::target::Target;
use orient_database::dialect::sqlite::lock::{self, MigrationLock};
use orient_database::migrations;
use orient_database::ops::checksum::content_checksum;
use orient_database::ops::migrate;

use orient_testkit::sqlite::{connect, query_number, query_text};
use orient_testkit::{Project, Run, sha256_file};

// ---------------------------------------------------------------------------------------------------
// Helpers

const HELPER: &str = "ORIENT_OPS_TEST_HELPER";

/// Not a test of its own: the child process other tests start (this test binary run again with
/// `ORIENT_OPS_TEST_HELPER=<task>:<database>`). It does its task, prints READY, and waits until its stdin
/// closes or it is killed.
#[test]
fn child_process_helper() {
    let Ok(task) = std::env::var(HELPER) else {
        return;
    };
    let (task, path) = task.split_once(':').unwrap();
    let mut conn = from_sqlite(connect(Path::new(path)));
    match task {
        // A read transaction left open: its snapshot pins the WAL.
        "hold-read" => conn
            .batch_execute("BEGIN; SELECT count(*) FROM agents;")
            .unwrap(),
        // A committed write left in the WAL by a process that is about to die.
        "write-and-wait" => conn
            .batch_execute(
                "PRAGMA wal_autocheckpoint = 0; INSERT INTO agents (id, name) VALUES ('crash', 'Crash');",
            )
            .unwrap(),
        other => panic!("unknown helper task {other}"),
    }
    println!("READY");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

/// A running helper; killed when dropped.
struct Helper(std::process::Child);

impl Helper {
    fn start(task: &str, database: &Path) -> Helper {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER, format!("{task}:{}", database.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("READY"));
        assert!(ready, "the helper ({task}) ended before it was ready");
        Helper(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: the process dies without closing its connection, as in a crash.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every file under `dir` with its SHA-256, mode and owner: "nothing was created or changed" is this
/// staying the same.
fn state(dir: &Path) -> BTreeMap<String, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    for relative in orient_testkit::listing(dir) {
        let path = dir.join(&relative);
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let content = if meta.is_file() {
            sha256_file(&path)
        } else {
            "dir".to_owned()
        };
        out.insert(
            relative,
            format!("{content} {:o} {}:{}", meta.mode(), meta.uid(), meta.gid()),
        );
    }
    out
}

/// A project whose database has been created by `orient-db migrate`, with a few rows.
fn migrated() -> (Project, PathBuf) {
    let project = Project::new();
    let db = project.path("data/orient.db");
    let run = project.run(&["migrate"], &[("SQLITE_DATABASE", db.to_str().unwrap())]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut conn = from_sqlite(connect(&db));
    conn.batch_execute(
        "INSERT INTO agents (id, name, description) VALUES ('ori', 'Ori', 'the primary agent'),
                                                          ('explorer', 'Explorer', NULL);
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'tool-discovery');",
    )
    .unwrap();
    drop(conn);
    (project, db)
}

fn run(project: &Project, db: &Path, args: &[&str]) -> Run {
    project.run(args, &[("SQLITE_DATABASE", db.to_str().unwrap())])
}

fn run_with(project: &Project, db: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec![("SQLITE_DATABASE", db.to_str().unwrap())];
    all.extend_from_slice(env);
    project.run(args, &all)
}

/// The findings of a `doctor --json` run, as (code, file) pairs.
fn findings(run: &Run) -> Vec<(String, Option<String>)> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["file"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {report:#}"))
}

fn check_status(report: &serde_json::Value, name: &str) -> String {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn checksum(db: &Path) -> String {
    content_checksum(&mut from_sqlite(connect(db)))
        .unwrap()
        .sha256
}

fn wal(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

fn shm(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-shm", db.display()))
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

// ---------------------------------------------------------------------------------------------------
// doctor

// A healthy database, pending, unknown and edited migrations, drift and missing tables: tests/doctor.rs
// (one body on both engines).

#[test]
fn doctor_reports_a_missing_database_and_creates_nothing() {
    let project = Project::new();
    let db = project.path("nowhere/orient.db");
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(
        findings(&json),
        vec![(
            "directory_missing".to_owned(),
            Some(project.path("nowhere").display().to_string())
        )]
    );
    assert!(
        json.json()["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("orient-db migrate")
    );
    assert_eq!(check_status(&json.json(), "integrity"), "skipped");
    std::fs::create_dir(project.path("nowhere")).unwrap();
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(findings(&json)[0].0, "database_missing");
    assert!(!db.exists());
    let mut after = state(project.root());
    after.remove("nowhere");
    assert_eq!(after, before);
}

/// Overwrites most of one page of a database file with garbage.
fn corrupt_page(path: &Path, page: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start((page - 1) * 4096 + 8)).unwrap();
    file.write_all(&[0xA5; 4000]).unwrap();
    file.sync_all().unwrap();
}

/// A copy of a migrated database with a thousand messages, one page of `messages` overwritten.
fn corrupt_copy(project: &Project, db: &Path) -> PathBuf {
    let mut conn = from_sqlite(connect(db));
    conn.batch_execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp, created_at)
         SELECT 'm' || i, 'incoming', i || '@s.whatsapp.net', '+49' || i, 'text number ' || i, 0,
                1769987409 + i, 1769987409 + i FROM n;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    let root = query_number(
        &mut conn,
        "SELECT rootpage AS n FROM sqlite_schema WHERE name = 'messages'",
    );
    drop(conn);
    let copy = project.path("data/corrupt.db");
    std::fs::copy(db, &copy).unwrap();
    corrupt_page(&copy, u64::try_from(root).unwrap());
    copy
}

#[test]
fn doctor_finds_a_failed_integrity_check_and_a_file_that_is_no_database() {
    let (project, db) = migrated();
    let copy = corrupt_copy(&project, &db);
    let before = state(project.root());
    let json = run(&project, &copy, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let report = json.json();
    let integrity = finding(&report, "integrity_check_failed");
    assert_eq!(integrity["severity"], "error");
    assert_eq!(integrity["file"], copy.display().to_string());
    assert!(
        integrity["fix"]
            .as_str()
            .unwrap()
            .contains("orient-db restore"),
        "{integrity:#}"
    );
    assert_eq!(state(project.root()), before);

    let mut conn = from_sqlite(connect(&db));
    conn.batch_execute(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ghost', 'a'), ('ghost', 'b');",
    )
    .unwrap();
    drop(conn);
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let report = json.json();
    let dangling = finding(&report, "foreign_key_violations");
    let message = dangling["message"].as_str().unwrap();
    assert!(
        message.starts_with("2 rows of `agent_skills`") && message.contains("`agents`"),
        "{message}"
    );
    assert_eq!(state(project.root()), before);

    let garbage = project.path("data/garbage.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    let before = state(project.root());
    let json = run(&project, &garbage, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(findings(&json)[0].0, "not_a_database");
    assert_eq!(check_status(&json.json(), "integrity"), "skipped");
    assert_eq!(state(project.root()), before);
}

#[test]
fn doctor_finds_a_wal_pinned_by_a_reader() {
    let (project, db) = migrated();
    let reader = Helper::start("hold-read", &db);
    {
        // 70 MiB written while the reader's snapshot is older than all of it.
        let mut conn = from_sqlite(connect(&db));
        conn.batch_execute(
            "BEGIN IMMEDIATE;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70)
             INSERT INTO agents (id, name, description)
             SELECT 'big' || i, 'Big', hex(randomblob(524288)) FROM n;
             COMMIT;",
        )
        .unwrap();
    }
    let wal_size = std::fs::metadata(wal(&db)).unwrap().len();
    assert!(wal_size > 64 * 1024 * 1024, "WAL only {wal_size} bytes");
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let report = json.json();
    let starved = finding(&report, "wal_checkpoint_starved");
    assert_eq!(starved["severity"], "error");
    assert_eq!(starved["file"], wal(&db).display().to_string());
    let message = starved["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("pid {}", reader.pid())),
        "the reader's pid is named: {message}"
    );
    assert!(
        starved["fix"].as_str().unwrap().contains("Never delete"),
        "{starved:#}"
    );
    // It still read everything, through the WAL, without writing to it.
    assert_eq!(check_status(&report, "integrity"), "ok", "{report:#}");
    assert_eq!(state(project.root()), before, "doctor changed a file");

    // Once the reader is gone a checkpoint copies everything, but the file keeps its size while a
    // connection stays open.
    reader.kill();
    let mut open = connect(&db);
    open.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
        .unwrap();
    assert!(std::fs::metadata(wal(&db)).unwrap().len() > 64 * 1024 * 1024);
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(
        findings(&json),
        vec![("wal_large".to_owned(), Some(wal(&db).display().to_string()))]
    );
    drop(open);
}

/// `setpriv` arguments that run a command as `nobody`, or `None` (with the reason) when impossible.
fn as_nobody() -> Result<Vec<String>, String> {
    if !is_root() {
        return Err("not running as root, so files cannot be given to another user".to_owned());
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
    let entry = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .ok_or("no user nobody")?;
    let fields: Vec<&str> = entry.split(':').collect();
    let works = Command::new("setpriv")
        .args([
            &format!("--reuid={}", fields[2]),
            &format!("--regid={}", fields[3]),
            "--clear-groups",
            "true",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        return Err("setpriv cannot switch to nobody here".to_owned());
    }
    Ok(vec![
        "setpriv".to_owned(),
        format!("--reuid={}", fields[2]),
        format!("--regid={}", fields[3]),
        "--clear-groups".to_owned(),
    ])
}

#[test]
fn doctor_finds_a_wal_owned_by_another_user() {
    use std::os::unix::fs::{PermissionsExt, chown};
    let prefix = match as_nobody() {
        Ok(prefix) => prefix,
        Err(why) => {
            eprintln!("SKIPPED doctor_finds_a_wal_owned_by_another_user: {why}");
            return;
        }
    };
    let (project, db) = migrated();
    let dir = db.parent().unwrap();
    std::fs::set_permissions(project.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The database and its directory belong to nobody, the user the service runs as.
    let (uid, gid) = {
        let id: Vec<u32> = prefix[1..3]
            .iter()
            .map(|a| a.split('=').nth(1).unwrap().parse().unwrap())
            .collect();
        (id[0], id[1])
    };
    chown(dir, Some(uid), Some(gid)).unwrap();
    chown(&db, Some(uid), Some(gid)).unwrap();
    // A process running as root wrote to it and died: its -wal (and -shm) stay behind, root's.
    Helper::start("write-and-wait", &db).kill();
    assert!(wal(&db).exists() && shm(&db).exists());
    chown(wal(&db), Some(0), Some(0)).unwrap();
    chown(shm(&db), Some(0), Some(0)).unwrap();
    std::fs::set_permissions(wal(&db), std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = state(project.root());
    let output = Command::new(&prefix[0])
        .args(&prefix[1..])
        .arg(env!("CARGO_BIN_EXE_orient-db"))
        .args(["doctor", "--json"])
        .current_dir(project.root())
        .env("SQLITE_DATABASE", &db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let foreign = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "file_not_writable" && f["file"] == wal(&db).display().to_string())
        .unwrap_or_else(|| panic!("no finding about the -wal: {report:#}"));
    let message = foreign["message"].as_str().unwrap();
    assert!(message.contains("root (uid 0)"), "{message}");
    assert!(
        message.contains(&format!("nobody (uid {uid})")),
        "{message}"
    );
    let fix = foreign["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("chown {uid}:{gid} {}", wal(&db).display())),
        "{fix}"
    );
    assert!(fix.contains("Do not delete it"), "{fix}");
    assert_eq!(report["user"]["uid"], uid);
    // It still read the database, with the crashed process's write in the WAL.
    assert_eq!(check_status(&report, "integrity"), "ok", "{report:#}");
    assert_eq!(state(project.root()), before, "doctor changed a file");

    // Root can write that -wal; the database's owner cannot, and doctor says so whoever runs it.
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let mismatch = finding(&json.json(), "file_owner_mismatch").clone();
    assert_eq!(mismatch["file"], wal(&db).display().to_string());
    assert_eq!(mismatch["severity"], "warning");
    assert_eq!(state(project.root()), before, "doctor changed a file");

    // Without its -shm the WAL cannot be read without writing: doctor says so and reads the file alone.
    std::fs::remove_file(shm(&db)).unwrap();
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let report = json.json();
    assert_eq!(
        finding(&report, "wal_unread")["file"],
        wal(&db).display().to_string()
    );
    assert_eq!(check_status(&report, "integrity"), "ok", "{report:#}");
    assert_eq!(state(project.root()), before, "doctor changed a file");

    // A database of root's, in root's directory: nobody can neither write it nor create its -wal.
    let theirs = project.path("root-only/orient.db");
    std::fs::create_dir(project.path("root-only")).unwrap();
    std::fs::copy(&db, &theirs).unwrap();
    let nobody_doctor = |db: &Path| {
        let output = Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg(env!("CARGO_BIN_EXE_orient-db"))
            .args(["doctor", "--json"])
            .current_dir(project.root())
            .env("SQLITE_DATABASE", db)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let report = nobody_doctor(&theirs);
    assert_eq!(
        finding(&report, "file_not_writable")["file"],
        theirs.display().to_string()
    );
    let directory = finding(&report, "directory_not_writable");
    assert_eq!(directory["severity"], "error");
    assert!(
        directory["message"]
            .as_str()
            .unwrap()
            .contains("unable to open database file")
    );
    // Unreadable: reported, and the checks that need a connection are skipped, not failed.
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o600)).unwrap();
    let report = nobody_doctor(&theirs);
    assert_eq!(
        finding(&report, "file_not_readable")["file"],
        theirs.display().to_string()
    );
    finding(&report, "cannot_open");
    assert_eq!(check_status(&report, "integrity"), "skipped");
}

#[test]
fn doctor_reports_a_read_only_mount() {
    let works = Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        eprintln!(
            "SKIPPED doctor_reports_a_read_only_mount: `unshare -rm` (a private mount namespace) is not \
             available here"
        );
        return;
    }
    let (project, db) = migrated();
    let dir = db.parent().unwrap().to_path_buf();
    let before = state(project.root());
    let output = Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && exec \"$2\" doctor --json",
            "sh",
        ])
        .arg(&dir)
        .arg(env!("CARGO_BIN_EXE_orient-db"))
        .current_dir(project.root())
        .env("SQLITE_DATABASE", &db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let read_only = finding(&report, "read_only_mount");
    assert_eq!(read_only["file"], dir.display().to_string());
    assert!(
        read_only["fix"].as_str().unwrap().contains("remount"),
        "{read_only:#}"
    );
    // The cause is reported once, not again as unwritable files; and the database was still read.
    assert_eq!(
        findings(&Run {
            code: 1,
            stdout: stdout.to_string(),
            stderr: String::new()
        })
        .len(),
        1,
        "{report:#}"
    );
    assert_eq!(check_status(&report, "integrity"), "ok");
    assert_eq!(state(project.root()), before);
}

#[test]
fn doctor_names_the_migration_lock_holder_and_a_symlinked_lock_file() {
    let (project, db) = migrated();
    let lock_file = lock::lock_path(&db);
    let lock = MigrationLock::acquire(&db).unwrap();
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let held = finding(&json.json(), "migration_lock_held").clone();
    assert!(
        held["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("pid {} holds", std::process::id())),
        "{held:#}"
    );
    assert_eq!(held["file"], lock_file.display().to_string());
    assert_eq!(state(project.root()), before);
    drop(lock);
    assert_eq!(run(&project, &db, &["doctor"]).code, 0);

    let elsewhere = project.path("innocent.txt");
    std::fs::write(&elsewhere, b"keep").unwrap();
    std::fs::remove_file(&lock_file).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &lock_file).unwrap();
    let before = state(project.root());
    let json = run(&project, &db, &["doctor", "--json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let link = finding(&json.json(), "migration_lock_symlink").clone();
    assert!(
        link["message"]
            .as_str()
            .unwrap()
            .contains(&elsewhere.display().to_string()),
        "{link:#}"
    );
    assert_eq!(state(project.root()), before);
}

/// Runs `script` (POSIX sh, with `$1` = `dir`) in a private mount namespace; `None` when there is none.
fn in_mount_namespace(
    dir: &Path,
    script: &str,
    env: &[(&str, &str)],
) -> Option<std::process::Output> {
    let works = Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        return None;
    }
    let mut command = Command::new("unshare");
    command.args(["-rm", "sh", "-c", script, "sh"]).arg(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    Some(command.output().unwrap())
}

#[test]
fn push_is_refused_when_there_is_no_room_for_its_snapshot() {
    let (project, db) = migrated();
    add_undeclared_column(&db);
    let size = std::fs::metadata(&db).unwrap().len();
    let small = project.path("small");
    std::fs::create_dir(&small).unwrap();
    // A tmpfs just big enough for the database: a push that drops a column would need as much again.
    let script = format!(
        "mount -t tmpfs -o size={} tmpfs \"$1\" || exit 99
         cp \"$DB\" \"$1/orient.db\"
         sha256sum \"$1/orient.db\"
         SQLITE_DATABASE=\"$1/orient.db\" \"$BIN\" push --accept-data-loss
         echo \"push exit $?\"
         sha256sum \"$1/orient.db\"
         SQLITE_DATABASE=\"$1/orient.db\" \"$BIN\" doctor --json > \"$1/doctor.json\"
         echo \"doctor exit $?\"
         cat \"$1/doctor.json\"",
        size + 96 * 1024
    );
    let Some(output) = in_mount_namespace(
        &small,
        &script,
        &[
            ("DB", db.to_str().unwrap()),
            ("BIN", env!("CARGO_BIN_EXE_orient-db")),
        ],
    ) else {
        eprintln!(
            "SKIPPED push_is_refused_when_there_is_no_room_for_its_snapshot: `unshare -rm` (a private \
             mount namespace for a small tmpfs) is not available here"
        );
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(99), "mount failed: {stderr}");
    let hashes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("/orient.db") && l.len() > 64)
        .map(|l| &l[..64])
        .collect();
    assert_eq!(hashes.len(), 2, "{stdout}\n{stderr}");
    assert_eq!(
        hashes[0], hashes[1],
        "the refused push changed the database"
    );
    assert!(stdout.contains("push exit 3"), "{stdout}\n{stderr}");
    assert!(stderr.contains("a snapshot of"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(stdout.contains("doctor exit 1"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(stdout.split_once("doctor exit 1").unwrap().1.trim()).unwrap();
    assert_eq!(finding(&report, "low_disk_space")["severity"], "error");
}

// ---------------------------------------------------------------------------------------------------
// backup and restore

#[test]
fn restore_waits_for_the_migration_lock_then_exits_4() {
    let (project, db) = migrated();
    let backup = project.path("b.db");
    assert_eq!(
        run(&project, &db, &["backup", "--to", backup.to_str().unwrap()]).code,
        0
    );
    let lock = MigrationLock::acquire(&db).unwrap();
    let hash = sha256_file(&db);
    let locked = run_with(
        &project,
        &db,
        &["restore", backup.to_str().unwrap()],
        &[("ORIENT_MIGRATE_LOCK_TIMEOUT_MS", "300")],
    );
    assert_eq!(locked.code, 4, "{locked:?}");
    assert!(
        locked
            .stderr
            .contains(&format!("pid {}", std::process::id())),
        "{locked:?}"
    );
    assert_eq!(sha256_file(&db), hash);
    drop(lock);
    assert_eq!(
        run(&project, &db, &["restore", backup.to_str().unwrap()]).code,
        0
    );
}

#[test]
fn restore_over_a_damaged_database_asks_to_move_it_aside_first() {
    let (project, db) = migrated();
    let backup = project.path("b.db");
    assert_eq!(
        run(&project, &db, &["backup", "--to", backup.to_str().unwrap()]).code,
        0
    );
    let damaged = corrupt_copy(&project, &db);
    let hash = sha256_file(&damaged);
    let refused = run(&project, &damaged, &["restore", backup.to_str().unwrap()]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("is damaged"), "{refused:?}");
    assert!(refused.stderr.contains("move it aside"), "{refused:?}");
    assert_eq!(sha256_file(&damaged), hash);
    std::fs::rename(&damaged, project.path("data/corrupt.db.damaged")).unwrap();
    let restored = run(&project, &damaged, &["restore", backup.to_str().unwrap()]);
    assert_eq!(restored.code, 0, "{restored:?}");
    assert_eq!(checksum(&damaged), checksum(&backup));
}

// ---------------------------------------------------------------------------------------------------
// backup and restore, round trip

#[test]
fn backup_then_restore_gives_back_the_same_content_checksum() {
    let (project, db) = migrated();
    let original = checksum(&db);
    let backup = run(&project, &db, &["backup", "--json"]);
    assert_eq!(backup.code, 0, "{backup:?}");
    let report = backup.json();
    let file = PathBuf::from(report["backup"].as_str().unwrap());
    assert!(file.starts_with(db.parent().unwrap()), "{report:#}");
    assert_eq!(report["verified"], true);
    assert_eq!(report["checksum"]["sha256"], original);
    assert_eq!(checksum(&file), original);
    let mut conn = from_sqlite(connect(&file));
    assert_eq!(
        query_text(
            &mut conn,
            "SELECT integrity_check AS value FROM pragma_integrity_check"
        ),
        "ok"
    );
    drop(conn);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "a backup holds every secret: owner only"
    );

    // Changes after the backup: rows deleted, changed and added, a table dropped.
    connect(&db)
        .batch_execute(
            "DELETE FROM agent_skills; UPDATE agents SET name = 'changed' WHERE id = 'ori';
             INSERT INTO agents (id, name) VALUES ('later', 'Later'); DROP TABLE demo_meetings;",
        )
        .unwrap();
    let changed = checksum(&db);
    assert_ne!(changed, original);
    let restore = run(
        &project,
        &db,
        &["restore", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(restore.code, 0, "{restore:?}");
    let restored = restore.json();
    assert_eq!(restored["checksum"]["sha256"], original);
    assert_eq!(checksum(&db), original);
    let mut conn = from_sqlite(connect(&db));
    assert_eq!(
        query_text(
            &mut conn,
            "SELECT integrity_check AS value FROM pragma_integrity_check"
        ),
        "ok"
    );
    assert_eq!(
        query_text(
            &mut conn,
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ),
        "wal"
    );
    drop(conn);
    // What was replaced is kept too.
    let before_restore = PathBuf::from(restored["snapshot"]["path"].as_str().unwrap());
    assert_eq!(checksum(&before_restore), changed);
    assert_eq!(restored["snapshot"]["reason"], "restore");

    let text = run(
        &project,
        &db,
        &["restore", before_restore.to_str().unwrap()],
    );
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.contains("restored"), "{text:?}");
    assert_eq!(checksum(&db), changed);

    // Into a database that does not exist yet.
    let fresh = project.path("elsewhere/new.db");
    std::fs::create_dir(project.path("elsewhere")).unwrap();
    let created = run(
        &project,
        &fresh,
        &["restore", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(created.json()["created"], true);
    assert_eq!(checksum(&fresh), original);
    assert_eq!(
        query_text(
            &mut connect(&fresh),
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ),
        "wal"
    );
}

#[test]
fn backup_never_overwrites_and_names_a_missing_directory() {
    let (project, db) = migrated();
    let taken = project.path("taken.db");
    std::fs::write(&taken, b"precious").unwrap();
    let refused = run(&project, &db, &["backup", "--to", taken.to_str().unwrap()]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("already exists"), "{refused:?}");
    assert_eq!(std::fs::read(&taken).unwrap(), b"precious");
    let missing = project.path("no/such/dir/b.db");
    let usage = run(
        &project,
        &db,
        &["backup", "--to", missing.to_str().unwrap()],
    );
    assert_eq!(usage.code, 2, "{usage:?}");
    assert!(
        usage
            .stderr
            .contains(&project.path("no/such/dir").display().to_string())
    );
    let to = project.path("b.db");
    let ok = run(&project, &db, &["backup", "--to", "b.db"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(checksum(&to), checksum(&db));
    let none = run(&project, &project.path("absent.db"), &["backup"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(!project.path("absent.db").exists());
}

#[test]
fn restore_refuses_a_corrupt_file_or_one_from_a_newer_binary_and_changes_nothing() {
    let (project, db) = migrated();
    let corrupt = corrupt_copy(&project, &db);
    let newer = project.path("data/newer.db");
    let made = run(&project, &db, &["backup", "--to", newer.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{made:?}");
    connect(&newer)
        .batch_execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000');
             PRAGMA journal_mode = DELETE;",
        )
        .unwrap();
    let garbage = project.path("data/garbage.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    let foreign = project.path("data/foreign.db");
    connect(&foreign)
        .batch_execute(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY); PRAGMA journal_mode = DELETE;",
        )
        .unwrap();

    let before = state(project.root());
    let db_hash = sha256_file(&db);
    for (file, expected) in [
        (&corrupt, "fails integrity_check"),
        (&newer, "99991231000000"),
        (&garbage, "not an SQLite database"),
        (&foreign, "not an Orient database"),
    ] {
        let refused = run(&project, &db, &["restore", file.to_str().unwrap()]);
        assert_eq!(refused.code, 3, "{}: {refused:?}", file.display());
        assert!(refused.stderr.contains(expected), "{refused:?}");
        assert!(
            refused.stderr.contains("nothing was changed"),
            "{refused:?}"
        );
        assert_eq!(sha256_file(&db), db_hash);
        assert_eq!(state(project.root()), before, "{}", file.display());
    }
    let json = run(
        &project,
        &db,
        &["restore", newer.to_str().unwrap(), "--json"],
    );
    assert_eq!(json.code, 3);
    assert_eq!(json.json()["error"]["exit_code"], 3);
    let missing = run(&project, &db, &["restore", "no-such-backup.db"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("no-such-backup.db"), "{missing:?}");
    let itself = run(&project, &db, &["restore", db.to_str().unwrap()]);
    assert_eq!(itself.code, 2, "{itself:?}");
    assert_eq!(state(project.root()), before);
}

// ---------------------------------------------------------------------------------------------------
// automatic snapshots

fn snapshots(db: &Path) -> Vec<PathBuf> {
    orient_database::ops::snapshot::list(db)
}

/// Gives `agents` a column the structs do not declare, with values.
fn add_undeclared_column(db: &Path) {
    connect(db)
        .batch_execute(
            "ALTER TABLE agents ADD COLUMN legacy_note TEXT;
             UPDATE agents SET legacy_note = 'note of ' || id;",
        )
        .unwrap();
}

#[test]
fn push_that_drops_a_column_takes_a_snapshot_that_restore_brings_back() {
    let (project, db) = migrated();
    add_undeclared_column(&db);
    let notes = |db: &Path| {
        query_text(
            &mut connect(db),
            "SELECT group_concat(id || '=' || legacy_note, ',') AS value FROM \
             (SELECT id, legacy_note FROM agents ORDER BY id)",
        )
    };
    let before = notes(&db);
    assert_eq!(before, "explorer=note of explorer,ori=note of ori");

    // Refused: nothing lost, so no snapshot either.
    let refused = run(&project, &db, &["push"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(!orient_database::ops::snapshot::directory(&db).exists());

    let pushed = run(&project, &db, &["push", "--accept-data-loss", "--json"]);
    assert_eq!(pushed.code, 0, "{pushed:?}");
    let report = pushed.json();
    let snapshot = PathBuf::from(report["snapshot"]["path"].as_str().unwrap());
    assert_eq!(snapshots(&db), vec![snapshot.clone()]);
    assert!(
        snapshot
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-push.db"),
        "{}",
        snapshot.display()
    );
    assert_eq!(report["snapshot"]["reason"], "push");
    assert!(
        report["snapshot"]["losses"][0]
            .as_str()
            .unwrap()
            .contains("legacy_note"),
        "{report:#}"
    );
    let gone = query_number(
        &mut connect(&db),
        "SELECT count(*) AS n FROM pragma_table_info('agents') WHERE name = 'legacy_note'",
    );
    assert_eq!(gone, 0);

    let restored = run(&project, &db, &["restore", snapshot.to_str().unwrap()]);
    assert_eq!(restored.code, 0, "{restored:?}");
    assert_eq!(notes(&db), before);

    // The restore brought the column back; the human output of dropping it again names the snapshot.
    let text = run(&project, &db, &["push", "--accept-data-loss"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.contains("snapshot taken first:"), "{text:?}");
    assert!(text.stdout.contains("orient-db restore"), "{text:?}");

    // A push that loses nothing takes none.
    let count = snapshots(&db).len();
    let noop = run(&project, &db, &["push", "--accept-data-loss", "--json"]);
    assert_eq!(noop.code, 0, "{noop:?}");
    assert!(noop.json()["snapshot"].is_null());
    assert_eq!(snapshots(&db).len(), count);
}

#[test]
fn snapshots_are_kept_up_to_the_configured_number() {
    let (project, db) = migrated();
    for _ in 0..3 {
        add_undeclared_column(&db);
        let pushed = run_with(
            &project,
            &db,
            &["push", "--accept-data-loss"],
            &[("ORIENT_SNAPSHOT_KEEP", "2")],
        );
        assert_eq!(pushed.code, 0, "{pushed:?}");
    }
    let kept = snapshots(&db);
    assert_eq!(kept.len(), 2, "{kept:?}");

    // The variable also comes from .env; an invalid value is refused before anything changes.
    std::fs::write(project.path(".env"), "ORIENT_SNAPSHOT_KEEP=lots\n").unwrap();
    add_undeclared_column(&db);
    let hash = sha256_file(&db);
    let bad = run(&project, &db, &["push", "--accept-data-loss"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("ORIENT_SNAPSHOT_KEEP=lots"), "{bad:?}");
    assert!(bad.stderr.contains(".env"), "{bad:?}");
    assert_eq!(sha256_file(&db), hash);
    assert_eq!(snapshots(&db), kept);

    // 0 turns them off.
    std::fs::write(project.path(".env"), "ORIENT_SNAPSHOT_KEEP=0\n").unwrap();
    let off = run(&project, &db, &["push", "--accept-data-loss", "--json"]);
    assert_eq!(off.code, 0, "{off:?}");
    assert!(off.json()["snapshot"].is_null());
    assert_eq!(snapshots(&db), kept);
}

fn write_migration(dir: &Path, name: &str, up: &str) {
    std::fs::create_dir_all(dir.join(name)).unwrap();
    std::fs::write(dir.join(name).join("up.sql"), up).unwrap();
}

#[test]
fn a_migration_that_loses_data_is_preceded_by_a_snapshot() {
    let project = Project::new();
    let dir = project.path("migrations");
    let db = project.path("data/app.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    write_migration(
        &dir,
        "2026-01-01-000000_create",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, secret TEXT);",
    );
    let first = migrations::from_directory(&dir).unwrap();
    let mut conn = from_sqlite(connect(&db));
    conn.batch_execute("PRAGMA journal_mode = WAL;").unwrap();
    {
        let report = migrate::migrate(&mut conn, &Target::sqlite(&db), &first).unwrap();
        assert!(
            report.snapshot.is_none(),
            "nothing to lose in a new database"
        );
    }
    conn.batch_execute("INSERT INTO notes (body, secret) VALUES ('a', 's1'), ('b', NULL);")
        .unwrap();

    // Adding a column loses nothing: no snapshot.
    write_migration(
        &dir,
        "2026-01-02-000000_add_tag",
        "ALTER TABLE notes ADD COLUMN tag TEXT;",
    );
    let second = migrations::from_directory(&dir).unwrap();
    {
        let report = migrate::migrate(&mut conn, &Target::sqlite(&db), &second).unwrap();
        assert_eq!(report.applied.len(), 1);
        assert!(report.snapshot.is_none());
    }
    assert!(snapshots(&db).is_empty());

    // Dropping a column that holds a value: a snapshot first, holding that value.
    write_migration(
        &dir,
        "2026-01-03-000000_drop_secret",
        "ALTER TABLE notes DROP COLUMN secret;",
    );
    let third = migrations::from_directory(&dir).unwrap();
    let report = migrate::migrate(&mut conn, &Target::sqlite(&db), &third).unwrap();
    let snapshot = report.snapshot.expect("a snapshot before the drop");
    assert_eq!(
        snapshot.reason,
        orient_database::ops::snapshot::Reason::Migrate
    );
    assert!(
        snapshot.losses[0].contains("secret"),
        "{:?}",
        snapshot.losses
    );
    assert_eq!(snapshots(&db), vec![snapshot.path.clone()]);
    assert_eq!(
        query_text(
            &mut connect(&snapshot.path),
            "SELECT group_concat(secret) AS value FROM notes"
        ),
        "s1"
    );
    assert_eq!(
        query_number(
            &mut conn,
            "SELECT count(*) AS n FROM pragma_table_info('notes') WHERE name = 'secret'"
        ),
        0,
        "the migration ran after the snapshot"
    );
}

// ---------------------------------------------------------------------------------------------------
// The content checksum on both engines

/// The content checksum of `project`'s database, on its engine, through the library.
fn project_checksum(project: &Project) -> orient_database::ops::checksum::ContentChecksum {
    use orient_database::db::{Config, open_read_only};
    let target = match project.url() {
        Some(url) => Target::Postgres(
            orient_database::db::target::PostgresTarget::parse(url)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        None => Target::sqlite(project.db()),
    };
    let mut conn = open_read_only(&Config::for_target(target)).unwrap_or_else(|e| panic!("{e}"));
    content_checksum(&mut conn).unwrap_or_else(|e| panic!("{e}"))
}

/// The tables (by name) with a column named `column`, on the project's engine.
fn tables_with_column(project: &Project, column: &str) -> Vec<String> {
    project.rows(&match project.engine() {
        orient_testkit::Engine::Sqlite => format!(
            "SELECT m.name AS value FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = '{column}' ORDER BY m.name"
        ),
        orient_testkit::Engine::Postgres => format!(
            "SELECT table_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = '{column}' ORDER BY table_name"
        ),
    })
}

/// The definition (`orient-content-v1`) is engine-neutral: the seeded rows, plus rows whose order
/// depends on collation (upper case before lower case, non-ASCII last, in bytes) and NULL ordering and
/// booleans, give the same per-table checksums on SQLite and on PostgreSQL. The tools' own tables
/// (ledger timestamps and checksum columns differ by engine) are not compared.
#[test]
fn the_same_rows_give_the_same_content_checksum_on_both_engines() {
    if !orient_testkit::Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT) {
        return;
    }
    let checksums = [orient_testkit::Engine::Sqlite, orient_testkit::Engine::Postgres].map(|engine| {
        let project = Project::on(engine);
        assert_eq!(project.run(&["migrate"], &[]).code, 0, "{engine:?}");
        let seeded = project.seed(&[], &[]);
        assert_eq!(seeded.code, 0, "{engine:?}: {seeded:?}");
        // The seeder stamps rows with the time it runs: the same time on both.
        for column in ["created_at", "updated_at"] {
            for table in tables_with_column(&project, column) {
                project.execute(&format!("UPDATE \"{table}\" SET \"{column}\" = 1700000000"));
            }
        }
        project.execute(
            "INSERT INTO agents (id, name, description, enabled, created_at) VALUES
                 ('b-lower', 'b', NULL, false, 1), ('B-upper', 'B', 'x,y', true, -2),
                 ('é-accent', 'é', '', NULL, NULL), ('a-lower', 'a', 'line\nbreak', true, 9007199254740993);
             INSERT INTO agent_skills (id, agent_id, skill_name, enabled) VALUES
                 (1000, 'b-lower', 'Zeta', false), (999, 'B-upper', 'alpha', NULL);",
        );
        let sums = project_checksum(&project);
        assert!(sums.rows() > 6, "{engine:?}: {sums:?}");
        sums
    });
    let [sqlite, postgres] = checksums;
    let application = |sums: &orient_database::ops::checksum::ContentChecksum| {
        sums.tables
            .iter()
            .filter(|t| !t.bookkeeping)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(application(&sqlite), application(&postgres));
    assert!(
        application(&sqlite)
            .iter()
            .any(|t| t.table == "agents" && t.rows > 4)
    );
}

// ---------------------------------------------------------------------------------------------------
// backup, restore and snapshots on both engines (SQLite: the default file; PostgreSQL: pg_dump)

/// A migrated project on its engine with a few rows.
fn with_rows(project: &Project) {
    let migrated = project.run(&["migrate"], &[]);
    assert_eq!(migrated.code, 0, "{migrated:?}");
    project.execute(
        "INSERT INTO agents (id, name, description) VALUES ('ori', 'Ori', 'the primary agent'),
                                                           ('explorer', 'Explorer', NULL);
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'tool-discovery');",
    );
}

orient_testkit::on_each_engine! {
    /// backup → change everything → restore gives back the backup's content checksum, and the JSON of
    /// both says so; the database's own checksum (through the library) agrees.
    fn backup_and_restore_give_back_the_same_content_checksum(project: Project) {
        with_rows(&project);
        let before = project_checksum(&project);
        let to = project.path("saved.backup");
        let backed = project.run(&["backup", "--to", to.to_str().unwrap(), "--json"], &[]);
        assert_eq!(backed.code, 0, "{backed:?}");
        let report = backed.json();
        assert_eq!(report["checksum"]["sha256"], before.sha256.as_str(), "{report:#}");
        assert_eq!(report["verified"], true);
        assert!(to.is_file());

        // Rows changed and deleted, and a table the backup does not have.
        project.execute(
            "DELETE FROM agent_skills; UPDATE agents SET name = 'changed';
             CREATE TABLE made_later (id INTEGER PRIMARY KEY);",
        );
        assert_ne!(project_checksum(&project).sha256, before.sha256);

        let restored = project.run(&["restore", to.to_str().unwrap(), "--json"], &[]);
        assert_eq!(restored.code, 0, "{restored:?}");
        let report = restored.json();
        assert_eq!(report["checksum"]["sha256"], before.sha256.as_str(), "{report:#}");
        assert!(report["snapshot"]["path"].is_string(), "{report:#}");
        assert_eq!(project_checksum(&project), before);
        assert!(!project.table_names().contains(&"made_later".to_owned()));
    }

    /// After `push --accept-data-loss` dropped a column, restoring the automatic snapshot it printed
    /// gives back that column's values.
    fn restoring_the_push_snapshot_gives_back_a_dropped_column(project: Project) {
        with_rows(&project);
        project.execute(
            "ALTER TABLE agents ADD COLUMN legacy_note TEXT;
             UPDATE agents SET legacy_note = 'note of ' || id;",
        );
        let notes = || project.rows("SELECT id || '=' || legacy_note AS value FROM agents ORDER BY id");
        let before = notes();
        assert_eq!(before, vec!["explorer=note of explorer", "ori=note of ori"]);

        let pushed = project.run(&["push", "--accept-data-loss", "--json"], &[]);
        assert_eq!(pushed.code, 0, "{pushed:?}");
        let report = pushed.json();
        let snapshot = PathBuf::from(report["snapshot"]["path"].as_str().unwrap());
        assert!(snapshot.is_file(), "{report:#}");
        assert_eq!(report["snapshot"]["reason"], "push");
        assert!(
            report["snapshot"]["losses"][0].as_str().unwrap().contains("legacy_note"),
            "{report:#}"
        );
        assert!(project.try_execute("SELECT legacy_note FROM agents").is_err());

        let restored = project.run(&["restore", snapshot.to_str().unwrap()], &[]);
        assert_eq!(restored.code, 0, "{restored:?}");
        assert_eq!(notes(), before);
    }

    /// Refusals, each changing nothing: a file that is no backup, a backup holding a migration this
    /// binary does not know (a newer binary's), and a backup onto an existing file.
    fn restore_and_backup_refuse_what_they_cannot_do_safely(project: Project) {
        with_rows(&project);
        let before = project_checksum(&project);

        let garbage = project.path("garbage.backup");
        std::fs::write(&garbage, b"this is not a backup at all").unwrap();
        let refused = project.run(&["restore", garbage.to_str().unwrap()], &[]);
        assert_eq!(refused.code, 3, "{refused:?}");
        assert!(refused.stderr.contains("garbage.backup"), "{refused:?}");
        assert!(refused.stderr.contains("nothing was changed"), "{refused:?}");

        let existing = project.path("existing.backup");
        std::fs::write(&existing, b"keep me").unwrap();
        let refused = project.run(&["backup", "--to", existing.to_str().unwrap()], &[]);
        assert_eq!(refused.code, 3, "{refused:?}");
        assert!(refused.stderr.contains("never overwrites"), "{refused:?}");
        assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");

        // A newer binary's backup: its ledger holds a version this one does not know.
        project.execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231235959')",
        );
        let newer = project.path("newer.backup");
        let backed = project.run(&["backup", "--to", newer.to_str().unwrap()], &[]);
        assert_eq!(backed.code, 0, "{backed:?}");
        project.execute("DELETE FROM __diesel_schema_migrations WHERE version = '99991231235959'");
        let refused = project.run(&["restore", newer.to_str().unwrap()], &[]);
        assert_eq!(refused.code, 3, "{refused:?}");
        assert!(refused.stderr.contains("99991231235959"), "{refused:?}");
        assert!(refused.stderr.contains("newer version"), "{refused:?}");
        assert_eq!(project_checksum(&project), before);
    }
}

/// Without pg_dump (ORIENT_PG_BIN naming an empty directory, which is then the only place looked at),
/// `backup` says what to install or set, exit 2, and writes nothing.
#[test]
fn backup_without_pg_dump_says_what_to_install() {
    if !orient_testkit::Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT) {
        return;
    }
    let project = Project::on(orient_testkit::Engine::Postgres);
    with_rows(&project);
    let empty = tempfile::tempdir().unwrap();
    let to = project.path("nothing.backup");
    let run = project.run(
        &["backup", "--to", to.to_str().unwrap()],
        &[
            ("ORIENT_PG_BIN", empty.path().to_str().unwrap()),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pg_dump was not found"), "{run:?}");
    assert!(run.stderr.contains("ORIENT_PG_BIN"), "{run:?}");
    assert!(run.stderr.contains("postgresql-client"), "{run:?}");
    assert!(!to.exists());
}
