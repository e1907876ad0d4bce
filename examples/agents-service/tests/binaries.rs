//! The example's two programs as a user runs them: configured through the environment (or not at all).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{TestDb, client, get};

const SERVICE: &str = env!("CARGO_BIN_EXE_agents-service");
const TOOL: &str = env!("CARGO_BIN_EXE_agent-skills");

/// A command with an environment of its own: nothing inherited but `PATH`, in `dir`.
fn command(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.env_clear().current_dir(dir);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tool(test: &TestDb, args: &[&str]) -> Output {
    command(TOOL, test.dir.path())
        .env("SQLITE_DATABASE", test.path())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_blocking_tool_adds_a_skill_and_lists_them() {
    let test = TestDb::new();
    let added = tool(&test, &["beta", "translate"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert_eq!(text(&added.stdout), "translate\n");

    let listed = tool(&test, &["alpha"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert_eq!(text(&listed.stdout), "search\nsummarise\n");
    assert_eq!(test.skills("beta"), ["translate"]);
}

#[test]
fn the_blocking_tool_refuses_an_unknown_agent_and_writes_nothing() {
    let test = TestDb::new();
    let refused = tool(&test, &["ghost", "translate"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("cannot give agent \"ghost\" a skill"),
        "{stderr}"
    );
    assert!(stderr.contains("FOREIGN KEY constraint failed"), "{stderr}");
    assert!(test.skills("ghost").is_empty());

    let usage = tool(&test, &[]);
    assert_eq!(usage.status.code(), Some(1));
    assert!(
        text(&usage.stderr).contains("usage: agent-skills <agent> [<skill>]"),
        "{}",
        text(&usage.stderr)
    );
}

/// Started outside any checkout with nothing configured, both programs refuse, naming the variables
/// to set, and create nothing.
#[test]
fn with_nothing_configured_both_programs_refuse_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (program, args) in [(TOOL, &["alpha"][..]), (SERVICE, &[][..])] {
        let output = command(program, dir.path())
            .env("AGENTS_SERVICE_ADDR", "127.0.0.1:0")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{program}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("no database is configured"),
            "{program}: {stderr}"
        );
        assert!(stderr.contains("SQLITE_DATABASE"), "{program}: {stderr}");
        assert!(
            stderr.contains("ORIENT_PROJECT_ROOT"),
            "{program}: {stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_service_serves_the_configured_database_and_stops_on_ctrl_c() {
    let test = TestDb::new();
    let mut child = Running(
        command(SERVICE, test.dir.path())
            .env("SQLITE_DATABASE", test.path())
            .env("AGENTS_SERVICE_ADDR", "127.0.0.1:0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // It says which database it serves and where it listens.
    let mut stderr = BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let expected = format!("agents-service: {} on http://", test.path().display());
    assert!(line.starts_with(&expected), "{line}");
    let addr: std::net::SocketAddr = line[expected.len()..].trim().parse().unwrap();

    client().block_on(async move {
        assert_eq!(get(addr, "/health").await.body, "ok");
        let agents = get(addr, "/agents").await;
        assert_eq!(agents.status, 200, "{}", agents.body);
        assert_eq!(agents.json()[0]["id"], "alpha");
    });

    let interrupted = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "the service did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_service_names_an_address_it_cannot_listen_on() {
    let test = TestDb::new();
    let output = command(SERVICE, test.dir.path())
        .env("SQLITE_DATABASE", test.path())
        .env("AGENTS_SERVICE_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot listen on not-an-address (AGENTS_SERVICE_ADDR)"),
        "{stderr}"
    );
}
