//! Helpers of the orient-seed tests: a scratch project, the real binary, and database probes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use sha2::{Digest, Sha256};

/// Variables that choose a database; cleared so the developer's own environment never leaks in.
pub const DB_VARIABLES: [&str; 5] = [
    "SQLITE_DATABASE",
    "SQLITE_DB_PATH",
    "DATABASE_URL",
    "DATABASE_TYPE",
    "AI_INSTANCE_ID",
];

/// A temporary project: a directory with `diesel.toml`, so it is its own project root.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"migrations/sqlite\"\n",
        )
        .expect("diesel.toml");
        Project { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The database `orient-seed` uses by default here.
    pub fn db(&self) -> PathBuf {
        self.path(".dev-data/instance-0/orient.db")
    }

    /// `orient-seed` run in the project root with a clean database environment plus `env`.
    pub fn seed(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orient-seed"));
        command.current_dir(self.root()).args(args);
        for var in DB_VARIABLES {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        let output = command.output().expect("run orient-seed");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `orient-seed --json …`, which must succeed; its report.
    pub fn seed_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.seed(&all, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    }
}

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Per seeder and table: (seeder, table, inserted, updated, unchanged, skipped).
pub fn counts(report: &serde_json::Value) -> Vec<(String, String, u64, u64, u64, u64)> {
    let mut out = Vec::new();
    for seeder in report["seeders"].as_array().unwrap() {
        for table in seeder["tables"].as_array().unwrap() {
            out.push((
                seeder["seeder"].as_str().unwrap().to_owned(),
                table["table"].as_str().unwrap().to_owned(),
                table["inserted"].as_u64().unwrap(),
                table["updated"].as_u64().unwrap(),
                table["unchanged"].as_u64().unwrap(),
                table["skipped"].as_u64().unwrap(),
            ));
        }
    }
    out
}

/// The totals of a report: (inserted, updated, unchanged, skipped).
pub fn totals(report: &serde_json::Value) -> (u64, u64, u64, u64) {
    let t = &report["totals"];
    (
        t["inserted"].as_u64().unwrap(),
        t["updated"].as_u64().unwrap(),
        t["unchanged"].as_u64().unwrap(),
        t["skipped"].as_u64().unwrap(),
    )
}

pub fn connect(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
        .unwrap();
    conn
}

pub fn sha256_file(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Nullable<Text>)]
    line: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The tables of a database, by name.
pub fn table_names(conn: &mut SqliteConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

/// One table's rows, each as the `quote()` of its columns, in rowid order.
pub fn table_content(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    let columns: Vec<String> = diesel::sql_query(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| format!("quote(\"{}\")", n.name))
    .collect();
    diesel::sql_query(format!(
        "SELECT {} AS line FROM \"{table}\" ORDER BY rowid",
        columns.join(" || ',' || ")
    ))
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line.unwrap_or_default())
    .collect()
}

/// A hash of every table's rows (names, values and rowid order): equal hashes, equal content.
pub fn content_hash(path: &Path) -> String {
    let mut conn = connect(path);
    let mut hasher = Sha256::new();
    for table in table_names(&mut conn) {
        hasher.update(format!("table {table}\n"));
        for line in table_content(&mut conn, &table) {
            hasher.update(line);
            hasher.update("\n");
        }
    }
    format!("{:x}", hasher.finalize())
}

pub fn count(path: &Path, table: &str) -> i64 {
    let mut conn = connect(path);
    diesel::sql_query(format!("SELECT count(*) AS n FROM \"{table}\""))
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

/// Runs statements on the database file.
pub fn execute(path: &Path, sql: &str) {
    connect(path).batch_execute(sql).unwrap();
}
