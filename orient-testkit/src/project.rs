//! A scratch project: a temporary directory with `diesel.toml`, so it is its own project root, and the
//! real binaries run in it.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::files::{copy_dir, repository};
use crate::process::{Run, binary, command_in};

/// A temporary project directory, deleted when dropped.
#[derive(Debug)]
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A directory holding only a `diesel.toml` (the binaries embed their migrations).
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"migrations/sqlite\"\n",
        )
        .expect("diesel.toml");
        Project { dir }
    }

    /// A scratch copy of this repository's project files: its `diesel.toml` and `migrations/`, nothing
    /// else (what the Diesel CLI and a developer's checkout see).
    pub fn with_migrations() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            repository().join("diesel.toml"),
            dir.path().join("diesel.toml"),
        )
        .expect("copy diesel.toml");
        copy_dir(
            &repository().join("migrations"),
            &dir.path().join("migrations"),
        );
        Project { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The database the binaries use here when nothing configures one (instance 0).
    pub fn db(&self) -> PathBuf {
        self.path(".dev-data/instance-0/orient.db")
    }

    /// `program` run in the project root with a clean database environment plus `env`.
    pub fn command(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        command_in(program, self.root(), args, env)
    }

    /// `orient-db ARGS` run in the project root with a clean database environment plus `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from_output(&self.command(&binary("orient-db"), args, env))
    }

    /// `orient-seed ARGS` run in the project root with a clean database environment plus `env`.
    pub fn seed(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from_output(&self.command(&binary("orient-seed"), args, env))
    }

    /// `orient-seed --json ARGS`, which must succeed; its report.
    pub fn seed_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.seed(&all, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    }
}

impl Default for Project {
    fn default() -> Project {
        Project::new()
    }
}
