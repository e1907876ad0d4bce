//! Helpers shared by the integration tests: a scratch project directory and the real `orient-db` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

pub mod reference;

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

    /// `orient-db` run in the project root with a clean database environment plus `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(self.root(), args, env)
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
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
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

pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orient-db"));
    command.current_dir(dir).args(args);
    for var in DB_VARIABLES {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output: Output = command.output().expect("run orient-db");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every path under `dir`, relative and sorted: "nothing was created" is this list staying the same.
pub fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                out.push(path.strip_prefix(base).unwrap().display().to_string());
                if path.is_dir() {
                    walk(base, &path, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read file");
    format!("{:x}", Sha256::digest(bytes))
}

/// The migrations of this repository.
pub fn repository_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite")
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct NumberValue {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The one TEXT value (named `value`) a query returns.
pub fn query_text(conn: &mut SqliteConnection, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<TextValue>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .value
}

/// The one integer (named `n`) a query returns.
pub fn query_number(conn: &mut SqliteConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<NumberValue>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// A read-write connection with the settings every connection of ours has.
pub fn connect(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    orient_database::db::connection::configure(
        &mut conn,
        orient_database::db::connection::Access::ReadWrite,
    )
    .unwrap();
    conn
}

/// Every row of a table, quoted, in rowid order, columns by name (physical column order is not
/// content): equal strings mean byte-identical values.
pub fn table_content(conn: &mut SqliteConnection, table: &str) -> String {
    let schema = orient_database::dialect::sqlite::introspect::introspect(conn)
        .unwrap()
        .schema;
    let mut names: Vec<String> = schema
        .table(table)
        .unwrap()
        .columns
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    names.sort();
    let columns: Vec<String> = names.iter().map(|c| format!("quote(\"{c}\")")).collect();
    query_text(
        conn,
        &format!(
            "SELECT coalesce(group_concat(r, char(10)), '') AS value FROM \
             (SELECT rowid || ':' || {} AS r FROM \"{table}\" ORDER BY rowid)",
            columns.join(" || '|' || ")
        ),
    )
}

/// The schema the structs declare.
pub fn declared() -> orient_database::model::Schema {
    orient_database::model::Schema::from_declared(orient_database::schema::TABLES)
}
