//! Worktree databases: `orient-db worktree` shows which database a checkout uses; `--isolated` creates,
//! migrates and seeds one of its own (through the orient-seed binary) and points `.env` at it; the
//! `scripts/seed-worktree-db.sh` wrapper does the same from ISOLATED, FORCE and DB_NAME.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use orient_testkit::{Project, binary, copy_dir, describe, repository};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(db: &Path, sql: &str) -> i64 {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

fn assert_seeded(db: &Path) {
    for (table, n) in [
        ("agents", 5),
        ("agent_skills", 13),
        ("agent_tools", 55),
        ("context_rules", 6),
        ("chat_permissions", 3),
        ("slack_channel_permissions", 3),
        ("system_prompts", 4),
    ] {
        assert_eq!(
            count(db, &format!("SELECT count(*) AS n FROM {table}")),
            n,
            "{} {table}",
            db.display()
        );
    }
    assert_eq!(
        count(db, "SELECT count(*) AS n FROM __diesel_schema_migrations"),
        2,
        "migrated"
    );
}

fn orient_db(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    project.command(&binary("orient-db"), args, env)
}

fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(output)))
}

fn env_lines(project: &Project) -> Vec<String> {
    std::fs::read_to_string(project.root().join(".env"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn database_lines(project: &Project) -> Vec<String> {
    env_lines(project)
        .into_iter()
        .filter(|l| l.starts_with("SQLITE_DATABASE"))
        .collect()
}

fn resolved_path(project: &Project) -> PathBuf {
    let path = orient_db(project, &["path", "--json"], &[]);
    assert!(path.status.success(), "{}", describe(&path));
    PathBuf::from(stdout_json(&path)["path"].as_str().unwrap())
}

#[test]
fn worktree_shows_the_shared_instance_database_and_creates_nothing() {
    let project = Project::with_migrations();
    let before = listing(project.root());
    let show = orient_db(&project, &["worktree"], &[]);
    assert!(show.status.success(), "{}", describe(&show));
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("shared database of instance 0")
            && text.contains(".dev-data/instance-0/orient.db")
            && text.contains("--isolated"),
        "{text}"
    );
    let json = stdout_json(&orient_db(&project, &["worktree", "--json"], &[]));
    assert_eq!(json["shared"], true);
    assert_eq!(json["exists"], false);
    assert_eq!(json["instance"]["id"], 0);
    assert_eq!(listing(project.root()), before, "read-only");

    let json = stdout_json(&orient_db(
        &project,
        &["worktree", "--json"],
        &[("AI_INSTANCE_ID", "4")],
    ));
    assert!(
        json["database"]
            .as_str()
            .unwrap()
            .ends_with(".dev-data/instance-4/orient.db")
    );
}

#[test]
fn isolated_creates_migrates_and_seeds_a_file_and_points_env_at_it() {
    let project = Project::with_migrations();
    std::fs::write(
        project.root().join(".env"),
        "# my settings\nORIENT_LOG=info\nAPI_KEY='secret value'\n",
    )
    .unwrap();

    let run = orient_db(&project, &["worktree", "--isolated", "--name", "x"], &[]);
    assert!(run.status.success(), "{}", describe(&run));
    let x = project.root().join(".dev-data/instance-0/x.db");
    assert!(x.is_file());
    assert_seeded(&x);
    assert_eq!(
        env_lines(&project),
        [
            "# my settings".to_owned(),
            "ORIENT_LOG=info".to_owned(),
            "API_KEY='secret value'".to_owned(),
            format!("SQLITE_DATABASE={}", x.display()),
        ]
    );
    assert_eq!(resolved_path(&project), x);
    assert!(
        !project
            .root()
            .join(".dev-data/instance-0/orient.db")
            .exists(),
        "the shared database is not touched"
    );
    let show = stdout_json(&orient_db(&project, &["worktree", "--json"], &[]));
    assert_eq!(show["shared"], false);
    assert_eq!(show["database"], x.display().to_string());

    // Later commands use it: orient-seed finds everything seeded.
    let seed = project.command(&binary("orient-seed"), &["--json"], &[]);
    assert!(seed.status.success(), "{}", describe(&seed));
    let report = stdout_json(&seed);
    assert_eq!(report["database"], x.display().to_string());
    assert_eq!(report["totals"]["unchanged"], 89);

    // A second isolated database replaces that one line.
    let run = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "y", "--json"],
        &[],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let report = stdout_json(&run);
    assert_eq!(report["created"], true);
    assert_eq!(report["seed"]["totals"]["inserted"], 89);
    let y = project.root().join(".dev-data/instance-0/y.db");
    assert_seeded(&y);
    assert_eq!(
        database_lines(&project),
        [format!("SQLITE_DATABASE={}", y.display())]
    );
    assert_eq!(env_lines(&project).len(), 4);
    assert_eq!(resolved_path(&project), y);

    // The same name again reuses the file; --force rewrites what differs.
    let mut conn = SqliteConnection::establish(y.to_str().unwrap()).unwrap();
    diesel::sql_query("UPDATE agents SET name = 'changed' WHERE id = 'ori'")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let run = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "y", "--force", "--json"],
        &[],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let report = stdout_json(&run);
    assert_eq!(report["created"], false);
    assert_eq!(report["seed"]["totals"]["updated"], 1);
    assert_eq!(
        count(
            &y,
            "SELECT count(*) AS n FROM agents WHERE id = 'ori' AND name = 'Ori'"
        ),
        1
    );
    assert_eq!(database_lines(&project).len(), 1);
}

#[test]
fn isolated_uses_the_instance_and_a_timestamped_default_name() {
    let project = Project::with_migrations();
    std::fs::write(project.root().join(".env"), "AI_INSTANCE_ID=3\n").unwrap();
    let run = orient_db(&project, &["worktree", "--isolated", "--json"], &[]);
    assert!(run.status.success(), "{}", describe(&run));
    let database = PathBuf::from(stdout_json(&run)["database"].as_str().unwrap());
    assert_eq!(
        database.parent().unwrap(),
        project.root().join(".dev-data/instance-3")
    );
    let name = database.file_name().unwrap().to_str().unwrap();
    let stem = name
        .strip_prefix("worktree_")
        .and_then(|n| n.strip_suffix(".db"))
        .unwrap();
    assert!(stem.parse::<u64>().unwrap() > 1_700_000_000, "{name}");
    assert_seeded(&database);
    // The instance still comes from .env once SQLITE_DATABASE is set there.
    let show = stdout_json(&orient_db(&project, &["worktree", "--json"], &[]));
    assert_eq!(show["instance"]["id"], 3);
    assert_eq!(show["shared"], false);
}

#[test]
fn isolated_refuses_bad_names_and_a_missing_seeder_without_creating_anything() {
    let project = Project::with_migrations();
    std::fs::write(project.root().join(".env"), "A=1\n").unwrap();
    let before = listing(project.root());
    for name in ["../escape", "", ".hidden", "a/b", "orient"] {
        let run = orient_db(&project, &["worktree", "--isolated", "--name", name], &[]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", describe(&run));
    }
    let run = orient_db(&project, &["worktree", "--name", "x"], &[]);
    assert_eq!(run.status.code(), Some(2), "{}", describe(&run));
    assert_eq!(listing(project.root()), before);

    // An orient-db with no orient-seed beside it.
    let lonely = tempfile::tempdir().unwrap();
    let exe = lonely.path().join("orient-db");
    std::fs::copy(binary("orient-db"), &exe).unwrap();
    let run = project.command(&exe, &["worktree", "--isolated", "--name", "x"], &[]);
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&lonely.path().join("orient-seed").display().to_string())
            && stderr.contains("cargo build -p orient-seed"),
        "{stderr}"
    );
    assert_eq!(listing(project.root()), before);
    assert_eq!(env_lines(&project), ["A=1"]);
}

#[test]
fn a_failed_seeding_leaves_env_alone() {
    let project = Project::with_migrations();
    std::fs::write(project.root().join(".env"), "B=2\n").unwrap();
    let dir = project.root().join(".dev-data/instance-0");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.db"), "not a database").unwrap();
    let run = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "broken"],
        &[],
    );
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("was not changed"));
    assert_eq!(env_lines(&project), ["B=2"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.db")).unwrap(),
        "not a database"
    );
}

#[test]
fn an_environment_variable_that_overrides_env_is_reported() {
    let project = Project::with_migrations();
    let elsewhere = project.root().join("elsewhere.db");
    let run = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "z"],
        &[("SQLITE_DATABASE", elsewhere.to_str().unwrap())],
    );
    assert!(run.status.success(), "{}", describe(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("wins over .env"),
        "{}",
        describe(&run)
    );
    assert_seeded(&project.root().join(".dev-data/instance-0/z.db"));
    assert!(!elsewhere.exists());
}

fn script_project() -> Project {
    let project = Project::with_migrations();
    copy_dir(
        &repository().join("scripts"),
        &project.root().join("scripts"),
    );
    project
}

fn script(project: &Project, env: &[(&str, &str)]) -> Output {
    let bin_dir = binary("orient-seed").parent().unwrap().to_path_buf();
    let mut all = vec![("ORIENT_BIN_DIR", bin_dir.to_str().unwrap())];
    all.extend_from_slice(env);
    project.command(
        Path::new("bash"),
        &[project
            .root()
            .join("scripts/seed-worktree-db.sh")
            .to_str()
            .unwrap()],
        &all,
    )
}

#[test]
fn the_script_honours_isolated_force_and_db_name() {
    binary("orient-db");
    let project = script_project();
    std::fs::write(project.root().join(".env"), "KEEP=me\n").unwrap();

    // Default: seed the database this checkout uses (the shared one).
    let run = script(&project, &[]);
    assert!(run.status.success(), "{}", describe(&run));
    let shared = project.root().join(".dev-data/instance-0/orient.db");
    assert_seeded(&shared);
    assert!(String::from_utf8_lossy(&run.stdout).contains("shared database"));
    assert_eq!(env_lines(&project), ["KEEP=me"]);

    // ISOLATED=true FORCE=true DB_NAME=…
    let run = script(
        &project,
        &[
            ("ISOLATED", "true"),
            ("FORCE", "true"),
            ("DB_NAME", "scripted"),
        ],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let scripted = project.root().join(".dev-data/instance-0/scripted.db");
    assert_seeded(&scripted);
    assert_eq!(
        env_lines(&project),
        [
            "KEEP=me".to_owned(),
            format!("SQLITE_DATABASE={}", scripted.display())
        ]
    );
    assert_eq!(resolved_path(&project), scripted);

    // FORCE=true on the checkout's (now isolated) database rewrites what differs.
    let mut conn = SqliteConnection::establish(scripted.to_str().unwrap()).unwrap();
    diesel::sql_query("UPDATE system_prompts SET is_active = 0")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let run = script(&project, &[("FORCE", "true")]);
    assert!(run.status.success(), "{}", describe(&run));
    assert_eq!(
        count(
            &scripted,
            "SELECT count(*) AS n FROM system_prompts WHERE is_active = 1"
        ),
        4
    );
}

/// Every path under `dir`, relative and sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// On PostgreSQL, `--isolated` gives the checkout a database of its own on the same server
/// (`<configured database>__<name>`), migrated and seeded, and points `.env`'s `DATABASE_URL` at it.
#[test]
fn isolated_on_postgres_creates_a_database_beside_the_configured_one() {
    if !orient_testkit::Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT) {
        return;
    }
    let server = orient_testkit::postgres::server().unwrap();
    let base = server.create_database("worktree_base");
    let project = Project::with_migrations();
    std::fs::write(
        project.root().join(".env"),
        format!("ORIENT_LOG=info\nDATABASE_URL={}\n", server.url(&base)),
    )
    .unwrap();

    let run = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "feature-x", "--json"],
        &[],
    );
    assert!(run.status.success(), "{}", describe(&run));
    let report = stdout_json(&run);
    let isolated = format!("{base}__feature_x");
    assert_eq!(report["created"], true, "{report}");
    assert_eq!(report["seed"]["totals"]["inserted"], 89, "{report}");
    assert_eq!(
        server.psql(&isolated, "SELECT count(*) FROM agents"),
        "5",
        "seeded"
    );
    assert_eq!(
        server.psql(&isolated, "SELECT count(*) FROM __diesel_schema_migrations"),
        "2",
        "migrated"
    );
    assert_eq!(
        server.psql(
            &base,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ),
        "0",
        "the configured database is not touched"
    );
    assert_eq!(
        env_lines(&project),
        [
            "ORIENT_LOG=info".to_owned(),
            format!("DATABASE_URL={}", server.url(&isolated)),
        ]
    );
    let path = stdout_json(&orient_db(&project, &["path", "--json"], &[]));
    assert!(
        path.to_string().contains(&isolated),
        "later commands use it: {path}"
    );

    // The same name again reuses the database.
    let again = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "feature-x", "--json"],
        &[],
    );
    assert!(again.status.success(), "{}", describe(&again));
    let report = stdout_json(&again);
    assert_eq!(report["created"], false, "{report}");
    assert_eq!(report["seed"]["totals"]["unchanged"], 89, "{report}");

    // From the isolated database, another name makes a sibling, not `<base>__feature_x__other`.
    let other = orient_db(
        &project,
        &["worktree", "--isolated", "--name", "other", "--json"],
        &[],
    );
    assert!(other.status.success(), "{}", describe(&other));
    assert_eq!(
        server.psql(&format!("{base}__other"), "SELECT count(*) FROM agents"),
        "5"
    );
    assert_eq!(
        env_lines(&project)[1],
        format!("DATABASE_URL={}", server.url(&format!("{base}__other")))
    );
}
