//! Helpers shared by the integration tests: a scratch project directory and the real `orient-db` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
