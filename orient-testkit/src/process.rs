//! Programs: the workspace's own binaries, others found on `PATH`, and what a run produced.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Variables that choose a database, cleared for every run so the developer's own environment never
/// leaks into a test.
pub const DB_VARIABLES: [&str; 6] = [
    "SQLITE_DATABASE",
    "SQLITE_DB_PATH",
    "DATABASE_URL",
    "DATABASE_TYPE",
    "AI_INSTANCE_ID",
    "DATABASE_READ_URL",
];

/// A binary of this workspace (`orient-db`, `orient-seed`), next to the `deps/` directory the test
/// executable runs from: `target/<profile>/deps/<test>` → `target/<profile>/<name>`.
///
/// `CARGO_BIN_EXE_<name>` would say the same, but Cargo sets it only for the tests of the package that
/// owns the binary, and this is shared. Cargo builds a package's binaries before its integration tests,
/// so `orient-db` is always fresh for orient-database's tests and `orient-seed` for orient-seed's; the
/// end-to-end tests in `tests/` need `cargo test --workspace` (or `cargo build --workspace`) first.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built; run `cargo test --workspace` (or `cargo build --workspace`) first",
        path.display()
    );
    path
}

/// What a run of a program produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: &Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Stdout as JSON (`--json`), or a panic showing the whole run.
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

/// `program` run in `dir` with [`DB_VARIABLES`] removed from its environment, then `env` added.
pub fn command_in(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    prepare_in(program, dir, args, env)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
}

/// The [`Command`] [`command_in`] runs.
pub fn prepare_in(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir).args(args);
    for var in DB_VARIABLES {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

/// `orient-db ARGS` run in `dir` with a clean database environment plus `env`.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    Run::from_output(&command_in(&binary("orient-db"), dir, args, env))
}

/// An [`Output`] as text, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A program on `PATH`.
pub fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// A program named by `variable`, else at `default`, else `name` on `PATH` (Chromium and chromedriver
/// for the browser test: `ORIENT_CHROMIUM`, `/usr/bin/chromium`, `chromium`).
pub fn find_program(variable: &str, default: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path));
    }
    if Path::new(default).is_file() {
        return Some(PathBuf::from(default));
    }
    on_path(name)
}
