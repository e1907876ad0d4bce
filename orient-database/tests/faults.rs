//! Fault injection: `orient-db` and the library under a full disk, a file-size limit, a read-only mount,
//! an immutable file, another user's files, a held write lock, a closed stdout, a planted symlink, bad
//! variables and no configuration at all. Each test drives the real binary (or, for the library, a child
//! process of this test binary) on real files, and asserts the exit code, the message, and that nothing
//! was lost or created.
//!
//! Some faults need privileges or tools: a private mount namespace with its own tmpfs (`unshare -rm` from
//! util-linux, as root or with unprivileged user namespaces), running as another user (`setpriv`, as
//! root), `chattr` (as root, on a file system with attributes). Where one is missing the test prints
//! `SKIPPED: <reason>` and passes; CI runs the suite as root with `ORIENT_REQUIRE_FAULTS=1`, which makes
//! any skip a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use orient_database::db::backend::from_sqlite;
use orient_database::db::config::VARIABLES;
use orient_database::dialect::sqlite::lock::{self, MigrationLock};
use orient_database::os::user::current_user;

use orient_testkit::sqlite::{connect, query_number, query_text};
use orient_testkit::{Project, Run, listing, sha256_file};

// ---------------------------------------------------------------------------------------------------
// Running the tool

fn orient_db() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_orient-db"))
}

/// A command in `dir` with none of the Orient variables of the developer's environment, plus `env`.
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

fn finish(command: &mut Command) -> Run {
    let output = command.output().expect("run the command");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `orient-db ARGS` in `dir` with `SQLITE_DATABASE=db` (when given).
fn tool(dir: &Path, db: Option<&Path>, args: &[&str]) -> Run {
    let env: Vec<(&str, &OsStr)> = db
        .map(|db| ("SQLITE_DATABASE", db.as_os_str()))
        .into_iter()
        .collect();
    finish(command(orient_db(), dir, &env).args(args))
}

/// Prints why a test cannot run here. With `ORIENT_REQUIRE_FAULTS` set (CI, as root) that is a failure:
/// there, every fault must be injected.
fn skip(reason: &str) {
    assert!(
        std::env::var_os("ORIENT_REQUIRE_FAULTS").is_none_or(|v| v.is_empty() || v == "0"),
        "ORIENT_REQUIRE_FAULTS is set, but: {reason}"
    );
    eprintln!("SKIPPED: {reason}");
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test path")
}

/// A migrated database at `path`, made by the binary.
fn migrated(dir: &Path, path: &Path) {
    let run = tool(dir, Some(path), &["migrate"]);
    assert_eq!(run.code, 0, "{run:?}");
}

fn integrity(path: &Path) -> String {
    let mut conn = from_sqlite(connect(path));
    query_text(
        &mut conn,
        "SELECT integrity_check AS value FROM pragma_integrity_check",
    )
}

fn ledger_rows(path: &Path) -> i64 {
    let mut conn = from_sqlite(connect(path));
    query_number(
        &mut conn,
        "SELECT count(*) AS n FROM __diesel_schema_migrations",
    )
}

// ---------------------------------------------------------------------------------------------------
// Private mount namespaces (a tmpfs of our own: a full disk, a read-only mount)

/// Why a private mount namespace is unavailable, if it is.
fn namespace_unavailable() -> Option<String> {
    let Some(unshare) = on_path("unshare") else {
        return Some("`unshare` (util-linux) is not on PATH".to_owned());
    };
    let works = Command::new(unshare)
        .args(["-rm", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!works).then(|| {
        "`unshare -rm` failed: this user may not create user and mount namespaces (run as root, or \
         allow unprivileged user namespaces)"
            .to_owned()
    })
}

/// Runs the shell `script` in a private mount namespace, as root of a user namespace, with `$ORIENT_DB`
/// the binary and `env`; extra `args` are `$1…`. Whatever it mounts disappears when it ends.
fn in_namespace(dir: &Path, script: &str, env: &[(&str, &OsStr)], args: &[&str]) -> Run {
    let mut env = env.to_vec();
    env.push(("ORIENT_DB", orient_db().as_os_str()));
    finish(
        command("unshare", dir, &env)
            .args(["-rm", "sh", "-c", script, "sh"])
            .args(args),
    )
}

// ---------------------------------------------------------------------------------------------------
// Another user (as root only)

/// `nobody`'s uid and gid, when this process is root and can run a program as `nobody` with `setpriv`.
fn nobody() -> Result<(u32, u32), String> {
    if current_user().uid != 0 {
        return Err("running as another user needs root".to_owned());
    }
    if on_path("setpriv").is_none() {
        return Err("`setpriv` (util-linux) is not on PATH".to_owned());
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
    let ids = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"nobody")).then(|| {
            Some((
                fields.get(2)?.parse::<u32>().ok()?,
                fields.get(3)?.parse::<u32>().ok()?,
            ))
        })?
    });
    let (uid, gid) = ids.ok_or("there is no user `nobody` in /etc/passwd")?;
    let runs = as_user((uid, gid), Path::new("/"), &[], &["--version"]).code == 0;
    if runs {
        Ok((uid, gid))
    } else {
        Err(format!(
            "`nobody` cannot run {} (a directory above it is not readable by others)",
            orient_db().display()
        ))
    }
}

/// `orient-db ARGS` run as `user` (uid, gid) with `env`.
fn as_user(user: (u32, u32), dir: &Path, env: &[(&str, &OsStr)], args: &[&str]) -> Run {
    finish(
        command("setpriv", dir, env)
            .arg(format!("--reuid={}", user.0))
            .arg(format!("--regid={}", user.1))
            .args(["--clear-groups", "--"])
            .arg(orient_db())
            .args(args),
    )
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ---------------------------------------------------------------------------------------------------
// A. One reader for every variable

#[cfg(unix)]
#[test]
fn a_non_utf8_database_path_is_refused_not_replaced_by_the_default_database() {
    use std::os::unix::ffi::OsStringExt;
    let project = Project::new();
    // The default database exists and holds data: it must not be the one used.
    let default = project.path(".dev-data/instance-0/orient.db");
    migrated(project.root(), &default);
    let hash = sha256_file(&default);
    let before = listing(project.root());
    let bad = OsString::from_vec(b"data/\xffrient.db".to_vec());
    for args in [&["migrate"][..], &["push"], &["schema"], &["path"]] {
        let run = finish(
            command(
                orient_db(),
                project.root(),
                &[("SQLITE_DATABASE", bad.as_os_str())],
            )
            .args(args),
        );
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr
                .contains("SQLITE_DATABASE (from the environment) is not valid UTF-8"),
            "{args:?}: {run:?}"
        );
    }
    assert_eq!(sha256_file(&default), hash);
    assert_eq!(listing(project.root()), before);
}

#[cfg(unix)]
#[test]
fn every_variable_is_read_from_the_environment_or_dot_env_and_bad_values_exit_2() {
    use std::os::unix::ffi::OsStringExt;
    let project = Project::new();
    let db = project.path("orient.db");
    migrated(project.root(), &db);

    // Non-UTF-8 in any variable the tools read: refused, naming it.
    for variable in VARIABLES {
        if variable == "SQLITE_DATABASE" {
            continue; // It names the database here; the test above covers it.
        }
        let bad = OsString::from_vec(b"\xff".to_vec());
        let run = finish(
            command(
                orient_db(),
                project.root(),
                &[
                    ("SQLITE_DATABASE", db.as_os_str()),
                    (variable, bad.as_os_str()),
                ],
            )
            .args(["migrate"]),
        );
        assert_eq!(run.code, 2, "{variable}: {run:?}");
        assert!(
            run.stderr
                .contains(&format!("{variable} (from the environment)")),
            "{variable}: {run:?}"
        );
    }

    // Invalid values, from the environment and from .env, each naming the variable and where it was.
    let env_file = project.path(".env");
    for (variable, value) in [
        ("ORIENT_LOG", "orient=loud"),
        ("ORIENT_MIGRATE_LOCK_TIMEOUT_MS", "soon"),
        ("AI_INSTANCE_ID", "first"),
    ] {
        let _ = std::fs::remove_file(&env_file);
        let from_env = finish(
            command(
                orient_db(),
                project.root(),
                &[
                    ("SQLITE_DATABASE", db.as_os_str()),
                    (variable, OsStr::new(value)),
                ],
            )
            .args(["migrate"]),
        );
        assert_eq!(from_env.code, 2, "{variable}: {from_env:?}");
        assert!(
            from_env
                .stderr
                .contains(&format!("{variable}={value} (from the environment)")),
            "{from_env:?}"
        );
        std::fs::write(&env_file, format!("{variable}={value}\n")).unwrap();
        let from_file = tool(project.root(), Some(&db), &["migrate"]);
        assert_eq!(from_file.code, 2, "{variable}: {from_file:?}");
        assert!(
            from_file
                .stderr
                .contains(&format!("{variable}={value} (from {})", env_file.display())),
            "{from_file:?}"
        );
    }

    // ORIENT_LOG in .env is honoured.
    std::fs::write(&env_file, "ORIENT_LOG=debug\n").unwrap();
    let logged = tool(project.root(), Some(&db), &["path"]);
    assert_eq!(logged.code, 0, "{logged:?}");
    assert!(
        logged.stderr.contains("resolved the database"),
        "{logged:?}"
    );
    std::fs::remove_file(&env_file).unwrap();
    let quiet = tool(project.root(), Some(&db), &["path"]);
    assert!(!quiet.stderr.contains("resolved the database"), "{quiet:?}");

    // ORIENT_MIGRATE_LOCK_TIMEOUT_MS in .env is honoured: a held lock is waited for 200 ms, not 60 s.
    std::fs::write(&env_file, "ORIENT_MIGRATE_LOCK_TIMEOUT_MS=200\n").unwrap();
    let held = MigrationLock::acquire_within(&db, Duration::ZERO).unwrap();
    let started = Instant::now();
    let waited = tool(project.root(), Some(&db), &["migrate"]);
    assert_eq!(waited.code, 4, "{waited:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited {:?}: the .env timeout was ignored",
        started.elapsed()
    );
    drop(held);
}

// ---------------------------------------------------------------------------------------------------
// B. Never silently the wrong database

/// A directory with no `diesel.toml` at or above it: a service started somewhere else.
fn outside_any_project() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let inside = dir
        .path()
        .ancestors()
        .any(|d| d.join("diesel.toml").is_file());
    if inside {
        skip("the temporary directory is inside a project (a diesel.toml is above it)");
        return None;
    }
    Some(dir)
}

#[test]
fn with_nothing_configured_outside_a_project_every_command_refuses_and_creates_nothing() {
    let Some(dir) = outside_any_project() else {
        return;
    };
    let before = listing(dir.path());
    for args in [
        &["migrate"][..],
        &["path"],
        &["push"],
        &["schema"],
        &["migrate", "status"],
        &["check"],
        &["--json", "migrate"],
    ] {
        let run = tool(dir.path(), None, args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        for word in [
            "no database is configured",
            "SQLITE_DATABASE",
            "DATABASE_URL",
        ] {
            assert!(run.stderr.contains(word), "{args:?}: {run:?}");
        }
    }
    assert_eq!(listing(dir.path()), before, "a command created a file");
    // Naming the file, or the project root, configures it.
    let project = Project::new();
    let named = finish(
        command(
            orient_db(),
            dir.path(),
            &[("ORIENT_PROJECT_ROOT", project.root().as_os_str())],
        )
        .args(["migrate"]),
    );
    assert_eq!(named.code, 0, "{named:?}");
    assert!(project.path(".dev-data/instance-0/orient.db").is_file());
    assert_eq!(listing(dir.path()), before);
}

/// The library, as a service uses it, in a child process started in a directory outside any project.
#[test]
fn a_services_first_read_outside_a_project_refuses_and_creates_nothing() {
    let Some(dir) = outside_any_project() else {
        return;
    };
    let before = listing(dir.path());
    let run = finish(
        command(std::env::current_exe().unwrap(), dir.path(), &[])
            .args(["--exact", "first_read_child", "--ignored", "--nocapture"])
            .env("ORIENT_FAULTS_CHILD", "first_read"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("1 passed"), "{run:?}");
    assert!(
        run.stdout.contains("refused: no database is configured"),
        "{run:?}"
    );
    assert_eq!(listing(dir.path()), before, "the library created a file");
}

#[test]
#[ignore = "run by a_services_first_read_outside_a_project_refuses_and_creates_nothing"]
fn first_read_child() {
    assert_eq!(
        std::env::var("ORIENT_FAULTS_CHILD").as_deref(),
        Ok("first_read")
    );
    let read: Result<i64, orient_database::db::Error> =
        orient_database::db::read(|conn| Ok(query_number(conn, "SELECT 1 AS n")));
    let error = read.expect_err("no database is configured here");
    assert!(
        matches!(
            error,
            orient_database::db::Error::Config(
                orient_database::db::ConfigError::NothingConfigured { .. }
            )
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("SQLITE_DATABASE"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
    println!("refused: {message}");
}

// ---------------------------------------------------------------------------------------------------
// C. One lock per real database file, never through a symlink

#[cfg(unix)]
#[test]
fn a_symlinked_lock_file_is_refused_and_the_file_it_points_to_is_untouched() {
    let project = Project::new();
    let db = project.path("data/orient.db");
    migrated(project.root(), &db);
    let victim = project.path("victim.conf");
    std::fs::write(&victim, "setting = precious\n").unwrap();
    let hash = sha256_file(&victim);
    let lock_file = lock::lock_path(&db);
    std::fs::remove_file(&lock_file).unwrap();
    std::os::unix::fs::symlink(&victim, &lock_file).unwrap();
    for args in [&["migrate"][..], &["push"], &["migrate", "revert"]] {
        let run = tool(project.root(), Some(&db), args);
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(run.stderr.contains(text(&lock_file)), "{args:?}: {run:?}");
        assert!(run.stderr.contains("symbolic link"), "{args:?}: {run:?}");
        assert_eq!(
            sha256_file(&victim),
            hash,
            "{args:?} wrote through the link"
        );
    }
    assert_eq!(ledger_rows(&db), 2, "nothing was reverted");
}

#[cfg(unix)]
#[test]
fn migrators_reaching_one_database_through_different_symlinks_share_one_lock() {
    let project = Project::new();
    let data = project.path("data");
    std::fs::create_dir_all(&data).unwrap();
    let links: Vec<PathBuf> = ["service-a", "service-b"]
        .iter()
        .map(|name| {
            let dir = project.path(name);
            std::fs::create_dir_all(&dir).unwrap();
            let link = dir.join("orient.db");
            std::os::unix::fs::symlink("../data/orient.db", &link).unwrap();
            link
        })
        .collect();

    // A migrator holding the lock through one link blocks those coming through the other.
    let held = MigrationLock::acquire_within(&links[0], Duration::ZERO).unwrap();
    let blocked = finish(
        command(
            orient_db(),
            project.root(),
            &[
                ("SQLITE_DATABASE", links[1].as_os_str()),
                ("ORIENT_MIGRATE_LOCK_TIMEOUT_MS", OsStr::new("300")),
            ],
        )
        .args(["migrate"]),
    );
    assert_eq!(blocked.code, 4, "{blocked:?}");
    drop(held);

    // Services starting together through both links: every one succeeds, each migration runs once.
    let children: Vec<_> = (0..6)
        .map(|i| {
            command(
                orient_db(),
                project.root(),
                &[("SQLITE_DATABASE", links[i % 2].as_os_str())],
            )
            .arg("migrate")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let real = data.join("orient.db");
    assert_eq!(ledger_rows(&real), 2);
    assert_eq!(integrity(&real), "ok");
    assert!(data.join("orient.db.migrate-lock").is_file());
    let beside_real = std::fs::canonicalize(&data)
        .unwrap()
        .join("orient.db.migrate-lock");
    for link in &links {
        assert_eq!(lock::lock_path(link), beside_real);
        assert!(!link.with_file_name("orient.db.migrate-lock").exists());
    }
}

// ---------------------------------------------------------------------------------------------------
// D. A database whose WAL holds what was committed is opened, not called corrupt

#[test]
fn a_database_left_with_its_wal_by_a_full_disk_opens_with_what_was_committed() {
    if let Some(reason) = namespace_unavailable() {
        return skip(&reason);
    }
    let project = Project::new();
    let disk = project.path("disk");
    let after = project.path("after");
    std::fs::create_dir_all(&disk).unwrap();
    // The disk fills up during the first migration, after the ledger was committed into the WAL; closing
    // then cannot fold the WAL back in either, and leaves it. The size where that happens depends on the
    // migrations, so the smallest sizes are tried in turn.
    let script = r#"mount -t tmpfs -o size="$1" tmpfs "$DISK" || exit 90
"$ORIENT_DB" migrate; code=$?
cp -a "$DISK"/. "$AFTER"/ || exit 91
exit $code"#;
    let db = after.join("orient.db");
    let mut failed = None;
    for size in (120..=640).step_by(40) {
        std::fs::create_dir_all(&after).unwrap();
        let run = in_namespace(
            project.root(),
            script,
            &[
                ("DISK", disk.as_os_str()),
                ("AFTER", after.as_os_str()),
                ("SQLITE_DATABASE", disk.join("orient.db").as_os_str()),
            ],
            &[&format!("{size}k")],
        );
        assert!(run.code < 90, "{run:?}");
        let wal = after.join("orient.db-wal");
        if run.code != 0 && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) && damaged(&db) {
            failed = Some(run);
            break;
        }
        std::fs::remove_dir_all(&after).unwrap();
    }
    // Found: a state where a read that ignores the WAL finds the file damaged, which the pre-open check
    // used to call corrupt ("Restore it from a backup").
    let Some(full) = failed else {
        panic!(
            "no disk size between 120k and 640k left a damaged file with its WAL behind a failed \
             migration"
        );
    };
    // Every command opens it; what was committed (the ledger) is there; migrating then completes.
    let status = tool(project.root(), Some(&db), &["--json", "migrate", "status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(status.json()["pending"].as_array().map(Vec::len), Some(2));
    let schema = tool(project.root(), Some(&db), &["schema"]);
    assert_eq!(schema.code, 0, "{schema:?}");
    assert!(
        schema.stdout.contains("__diesel_schema_migrations"),
        "{schema:?}"
    );
    assert!(!schema.stderr.contains("corrupt"), "{schema:?}");
    let migrate = tool(project.root(), Some(&db), &["migrate"]);
    assert_eq!(migrate.code, 0, "{migrate:?}");
    assert_eq!(ledger_rows(&db), 2);
    assert_eq!(integrity(&db), "ok");

    // And the failure itself named the file, the step and what to do.
    assert_eq!(full.code, 1, "{full:?}");
    let inside = disk.join("orient.db");
    for word in [text(&inside), "migrating", "is full", "free space"] {
        assert!(full.stderr.contains(word), "{word}: {full:?}");
    }
}

/// Whether reading the file alone, ignoring its WAL (`immutable=1`), finds it damaged.
fn damaged(db: &Path) -> bool {
    let immutable = format!("file:{}?mode=ro&immutable=1", db.display());
    match SqliteConnection::establish(&immutable) {
        Ok(mut conn) => conn
            .batch_execute("SELECT count(*) FROM sqlite_schema;")
            .is_err(),
        Err(_) => true,
    }
}

// ---------------------------------------------------------------------------------------------------
// E. Read-only mounts, immutable files, another user's files

/// A migrated database with a row in `agents`, outside any mount of ours.
fn source_database(project: &Project) -> PathBuf {
    let db = project.path("source/orient.db");
    migrated(project.root(), &db);
    let mut conn = from_sqlite(connect(&db));
    conn.batch_execute("INSERT INTO agents (id, name) VALUES ('ro', 'Read-only');")
        .unwrap();
    db
}

#[test]
fn on_a_read_only_mount_read_commands_work_and_writers_name_the_mount() {
    if let Some(reason) = namespace_unavailable() {
        return skip(&reason);
    }
    let project = Project::new();
    let source = source_database(&project);
    let mount = project.path("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    let db = mount.join("orient.db");
    // $1 says which files to copy in: the database alone, or with a WAL that needs recovering.
    let script = r#"mount -t tmpfs tmpfs "$MNT" || exit 90
cp "$SRC" "$MNT"/orient.db || exit 91
if [ "$1" = with-wal ]; then cp "$SRC_WAL" "$MNT"/orient.db-wal || exit 92; fi
shift
mount -o remount,ro "$MNT" || exit 93
"$ORIENT_DB" "$@"; code=$?
ls -A "$MNT" >&2
exit $code"#;
    let env = [
        ("MNT", mount.as_os_str()),
        ("SRC", source.as_os_str()),
        ("SQLITE_DATABASE", db.as_os_str()),
    ];
    let run = |args: &[&str]| {
        let mut all = vec!["plain"];
        all.extend_from_slice(args);
        in_namespace(project.root(), script, &env, &all)
    };
    for args in [
        &["schema", "agents"][..],
        &["migrate", "status"],
        &["check"],
        &["push", "--dry-run"],
    ] {
        let read = run(args);
        assert_eq!(read.code, 0, "{args:?}: {read:?}");
        // The mount's listing, printed after the command: the database alone, nothing created.
        assert!(
            read.stderr.trim_end().ends_with("orient.db"),
            "{args:?}: {read:?}"
        );
    }
    assert!(
        run(&["schema", "agents"])
            .stdout
            .contains("CREATE TABLE \"agents\"")
    );
    for args in [&["migrate"][..], &["push"], &["migrate", "revert"]] {
        let write = run(args);
        assert_eq!(write.code, 1, "{args:?}: {write:?}");
        assert!(
            write.stderr.contains("read-only mount"),
            "{args:?}: {write:?}"
        );
        assert!(
            write
                .stderr
                .contains(&format!("mount -o remount,rw {}", mount.display())),
            "{args:?}: {write:?}"
        );
    }

    // With a WAL that needs recovering (a writer died before folding it back in), reading cannot
    // work without writing: the error says so, names the mount and the fix.
    let source_wal = project.path("source-wal/orient.db");
    migrated(project.root(), &source_wal);
    let mut holder = connect(&source_wal);
    holder
        .batch_execute(
            "PRAGMA wal_autocheckpoint = 0; INSERT INTO agents (id, name) VALUES ('w', 'In the WAL');",
        )
        .unwrap();
    let mut wal_env = env.to_vec();
    let wal_file = project.path("source-wal/orient.db-wal");
    wal_env[1] = ("SRC", source_wal.as_os_str());
    wal_env.push(("SRC_WAL", wal_file.as_os_str()));
    let needs = in_namespace(project.root(), script, &wal_env, &["with-wal", "schema"]);
    drop(holder);
    assert_eq!(needs.code, 1, "{needs:?}");
    assert!(needs.stderr.contains("write-ahead log"), "{needs:?}");
    assert!(
        needs.stderr.contains(&format!("{}-wal", db.display())),
        "{needs:?}"
    );
    assert!(needs.stderr.contains("remount,rw"), "{needs:?}");
}

/// Clears the immutable flag when dropped, so the temporary directory can be removed.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn read_commands_on_an_immutable_file_leave_no_wal_or_shm_and_writers_say_why() {
    if current_user().uid != 0 {
        return skip("chattr +i needs root");
    }
    if on_path("chattr").is_none() {
        return skip("`chattr` (e2fsprogs) is not on PATH");
    }
    let project = Project::new();
    let db = source_database(&project);
    let set = Command::new("chattr").arg("+i").arg(&db).output().unwrap();
    if !set.status.success() {
        return skip(&format!(
            "this file system does not support chattr +i: {}",
            String::from_utf8_lossy(&set.stderr)
        ));
    }
    let _guard = Immutable(db.clone());
    let hash = sha256_file(&db);
    let before = listing(project.root());
    for args in [
        &["schema", "agents"][..],
        &["migrate", "status"],
        &["check"],
        &["push", "--dry-run"],
    ] {
        let run = tool(project.root(), Some(&db), args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert_eq!(listing(project.root()), before, "{args:?} created a file");
    }
    for args in [&["migrate"][..], &["push"]] {
        let run = tool(project.root(), Some(&db), args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("immutable"), "{args:?}: {run:?}");
        assert!(run.stderr.contains("chattr -i"), "{args:?}: {run:?}");
        assert!(run.stderr.contains(text(&db)), "{args:?}: {run:?}");
    }
    assert_eq!(sha256_file(&db), hash);
    assert_eq!(listing(project.root()), before);
}

#[cfg(unix)]
#[test]
fn as_another_user_a_read_only_file_in_a_read_only_directory_is_read_without_a_trace() {
    let user = match nobody() {
        Ok(user) => user,
        Err(reason) => return skip(&reason),
    };
    let project = Project::new();
    chmod(project.root(), 0o755);
    let db = source_database(&project);
    let dir = db.parent().unwrap().to_path_buf();
    chmod(&db, 0o444);
    chmod(&dir, 0o555);
    let before = listing(project.root());
    let env = [("SQLITE_DATABASE", db.as_os_str())];
    for args in [
        &["schema", "agents"][..],
        &["migrate", "status"],
        &["check"],
    ] {
        let run = as_user(user, project.root(), &env, args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert_eq!(listing(project.root()), before, "{args:?} created a file");
    }
    let write = as_user(user, project.root(), &env, &["migrate"]);
    assert_eq!(write.code, 1, "{write:?}");
    for word in [text(&db), "nobody", "root", "0444", "chown"] {
        assert!(write.stderr.contains(word), "{word}: {write:?}");
    }
    chmod(&dir, 0o755);
}

#[cfg(unix)]
#[test]
fn wal_and_shm_owned_by_another_user_are_named_with_their_owner_and_the_fix() {
    let user = match nobody() {
        Ok(user) => user,
        Err(reason) => return skip(&reason),
    };
    let project = Project::new();
    chmod(project.root(), 0o755);
    let db = source_database(&project);
    let dir = db.parent().unwrap().to_path_buf();
    // A process running as root has the database open (its -wal and -shm are root's); the database
    // and its directory belong to the service's user.
    let mut root_process = connect(&db);
    root_process
        .batch_execute("INSERT INTO agents (id, name) VALUES ('root', 'Written by root');")
        .unwrap();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    assert!(wal.is_file() && shm.is_file());
    for path in [&dir, &db, &lock::lock_path(&db)] {
        std::os::unix::fs::chown(path, Some(user.0), Some(user.1)).unwrap();
    }
    let env = [("SQLITE_DATABASE", db.as_os_str())];
    for args in [&["migrate"][..], &["push"]] {
        let run = as_user(user, project.root(), &env, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        for word in [
            text(&wal),
            text(&shm),
            "owner root",
            "nobody",
            "sudo chown nobody",
        ] {
            assert!(run.stderr.contains(word), "{args:?} {word}: {run:?}");
        }
    }
    // Reading does not need to write them.
    let read = as_user(user, project.root(), &env, &["schema", "agents"]);
    assert_eq!(read.code, 0, "{read:?}");
    drop(root_process);
}

// ---------------------------------------------------------------------------------------------------
// F. A closed stdout

/// `orient-db ARGS` with a stdout whose reader has already gone.
fn with_closed_stdout(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    finish(
        command(orient_db(), dir, &[("SQLITE_DATABASE", db.as_os_str())])
            .args(args)
            .stdout(writer),
    )
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_commands_own_exit_code() {
    let project = Project::new();
    let db = project.path("orient.db");
    // The work commits before the output is written: it must stay committed, and the exit code say so.
    let migrate = with_closed_stdout(project.root(), &db, &["migrate"]);
    assert_eq!(migrate.code, 0, "{migrate:?}");
    assert_eq!(ledger_rows(&db), 2);
    for args in [
        &["schema"][..],
        &["--json", "schema"],
        &["migrate", "status"],
        &["path"],
        &["check"],
        &["push"],
    ] {
        let run = with_closed_stdout(project.root(), &db, args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
    }
    // An error keeps its own exit code too.
    let missing = with_closed_stdout(
        project.root(),
        &project.path("missing.db"),
        &["--json", "schema"],
    );
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(!missing.stderr.contains("panicked"), "{missing:?}");
}

// ---------------------------------------------------------------------------------------------------
// G. Messages that name the file, the step and what to do

#[test]
fn a_full_disk_during_push_names_the_file_the_step_and_what_to_do() {
    if let Some(reason) = namespace_unavailable() {
        return skip(&reason);
    }
    let project = Project::new();
    let source = project.path("source/orient.db");
    migrated(project.root(), &source);
    // Push recreates a dropped index over ~2 MB of keys; the disk has room for the database only.
    let mut conn = from_sqlite(connect(&source));
    conn.batch_execute(
        "DROP INDEX idx_app_storage_app_name;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO app_storage (app_name, key, value) SELECT printf('%04d', i) || hex(randomblob(500)), 'k', 'v' FROM n;",
    )
    .unwrap();
    drop(conn);
    let size = std::fs::metadata(&source).unwrap().len();
    let mount = project.path("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    let db = mount.join("orient.db");
    let script = r#"mount -t tmpfs -o size="$1" tmpfs "$MNT" || exit 90
cp "$SRC" "$MNT"/orient.db || exit 91
before=$(cksum < "$MNT"/orient.db)
"$ORIENT_DB" push; code=$?
[ "$(cksum < "$MNT"/orient.db)" = "$before" ] || echo "THE DATABASE CHANGED" >&2
exit $code"#;
    let run = in_namespace(
        project.root(),
        script,
        &[
            ("MNT", mount.as_os_str()),
            ("SRC", source.as_os_str()),
            ("SQLITE_DATABASE", db.as_os_str()),
        ],
        &[&format!("{}k", size / 1024 + 192)],
    );
    assert_eq!(run.code, 1, "{run:?}");
    for word in [
        text(&db),
        "push",
        "database or disk is full",
        "free space",
        "rolled back",
    ] {
        assert!(run.stderr.contains(word), "{word}: {run:?}");
    }
    assert!(!run.stderr.contains("THE DATABASE CHANGED"), "{run:?}");
}

#[test]
fn a_file_size_limit_names_the_file_the_step_and_what_to_do() {
    let project = Project::new();
    let db = project.path("data/orient.db");
    // SIGXFSZ ignored, as a service manager's LimitFSIZE leaves it: the write fails with EFBIG.
    let run = finish(
        command("sh", project.root(), &[("SQLITE_DATABASE", db.as_os_str())])
            .args([
                "-c",
                r#"trap '' XFSZ; ulimit -f 100 || exit 90; exec "$0" migrate"#,
            ])
            .arg(orient_db()),
    );
    if run.code == 90 {
        return skip("this shell cannot set `ulimit -f`");
    }
    assert_eq!(run.code, 1, "{run:?}");
    for word in [text(&db), "migrating", "disk I/O error", "ulimit -f"] {
        assert!(run.stderr.contains(word), "{word}: {run:?}");
    }
    // Nothing of the failed migration is left: the next run completes.
    let again = tool(project.root(), Some(&db), &["migrate"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(ledger_rows(&db), 2);
    assert_eq!(integrity(&db), "ok");
}

#[test]
fn a_locked_database_names_the_file_the_step_and_what_to_do() {
    let project = Project::new();
    let db = project.path("orient.db");
    migrated(project.root(), &db);
    let hash = sha256_file(&db);
    let mut holder = connect(&db);
    holder.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let run = tool(project.root(), Some(&db), &["push"]);
    holder.batch_execute("ROLLBACK;").unwrap();
    drop(holder);
    assert_eq!(run.code, 4, "{run:?}");
    for word in [
        text(&db),
        "push",
        "database is locked",
        "busy timeout",
        "Retry",
    ] {
        assert!(run.stderr.contains(word), "{word}: {run:?}");
    }
    assert_eq!(sha256_file(&db), hash);
}
