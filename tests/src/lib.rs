//! Helpers for the end-to-end tests of the workspace (`tests/tests/*.rs`): scratch projects and the
//! workspace's real binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (this crate lives in `tests/`).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A binary of this workspace, as `cargo test --workspace` builds it (`target/<profile>/<name>`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo test --workspace` (or `cargo build --workspace`) first",
        path.display()
    );
    path
}

/// Variables that choose a database, cleared so the developer's own environment never leaks in.
pub const DB_VARIABLES: [&str; 5] = [
    "SQLITE_DATABASE",
    "SQLITE_DB_PATH",
    "DATABASE_URL",
    "DATABASE_TYPE",
    "AI_INSTANCE_ID",
];

/// A scratch copy of the project: `diesel.toml` and the migrations, nothing else.
#[derive(Debug)]
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            repository().join("diesel.toml"),
            dir.path().join("diesel.toml"),
        )
        .unwrap();
        copy_dir(
            &repository().join("migrations"),
            &dir.path().join("migrations"),
        );
        Project { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a program in the project root with a clean database environment plus `env`.
    pub fn command(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(program);
        command.current_dir(self.root()).args(args);
        for var in DB_VARIABLES {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        command
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
    }
}

impl Default for Project {
    fn default() -> Project {
        Project::new()
    }
}

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

/// Finds a program on PATH.
pub fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
