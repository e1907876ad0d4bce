//! A throwaway PostgreSQL primary with streaming standbys, for the read-replica tests: each test that
//! asks gets a cluster of its own ([`Cluster::start`]), separate from the shared server of
//! [`crate::postgres`], because these tests stop and restart servers.
//!
//! The primary is `initdb`'d like the shared server (trust authentication, which admits replication
//! connections from 127.0.0.1 too) with `wal_level = replica`, `max_wal_senders` and `hot_standby`;
//! each standby is `pg_basebackup -R -X stream` of it, on a port of its own. `fsync` is off (nothing
//! here must survive a crash) but `synchronous_commit` stays on, so a commit's WAL goes to the
//! standbys at once, as in production. `pg_stat_statements` is loaded when installed, so tests can
//! count on each server the statements it ran.
//!
//! Stopping: [`Cluster`]'s drop stops every server and deletes the directory; a reaper process (as for
//! the shared server) does the same when the test process ends without dropping it (a panic that
//! aborts, SIGKILL).

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::postgres::{
    binaries, command, free_port, init_data_directory, is_root, required, run, single_quoted,
};

/// One server of a [`Cluster`].
#[derive(Debug, Clone)]
pub struct Node {
    pub data: PathBuf,
    pub port: u16,
}

/// A primary and its streaming standbys. See the module documentation.
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
    pub primary: Node,
    pub standbys: Vec<Node>,
    statements: bool,
    reaper: Option<Child>,
}

impl Cluster {
    /// A primary with `standbys` streaming standbys, all streaming when this returns; `None` (after
    /// saying why) when PostgreSQL is not installed and not required.
    pub fn start(standbys: usize) -> Option<Cluster> {
        let bin = match binaries() {
            Ok(bin) => bin,
            Err(missing) if required() => panic!("ORIENT_REQUIRE_POSTGRES=1 but {missing}"),
            Err(missing) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping a replication test: {missing}; ORIENT_REQUIRE_POSTGRES=1 makes this a failure"
                );
                return None;
            }
        };
        Some(start(bin, standbys).unwrap_or_else(|e| panic!("starting a replicated cluster: {e}")))
    }

    /// The URL of database `name` on `node` (TCP on loopback, trust authentication).
    pub fn url(&self, node: &Node, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", node.port)
    }

    /// Whether `pg_stat_statements` is loaded (its view exists once the extension is created).
    pub fn has_statements(&self) -> bool {
        self.statements
    }

    /// `sql` run by `psql` on `node`'s database `database`: unaligned, tuples-only output, trimmed.
    pub fn psql(&self, node: &Node, database: &str, sql: &str) -> String {
        self.try_psql(node, database, sql)
            .unwrap_or_else(|e| panic!("psql on {}:{database} failed: {sql}\n{e}", node.port))
    }

    pub fn try_psql(&self, node: &Node, database: &str, sql: &str) -> Result<String, String> {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url(node, database))
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running psql: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Stops standby `i` (fast shutdown: its sessions are cut, as when a server goes away).
    pub fn stop_standby(&self, i: usize) {
        let mut pg_ctl = command(&self.bin, "pg_ctl", self.as_postgres_user);
        pg_ctl
            .arg("-D")
            .arg(&self.standbys[i].data)
            .args(["-m", "fast", "-w", "stop"]);
        run(pg_ctl, "pg_ctl stop (standby)").unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts standby `i` again on its port and waits until it streams.
    pub fn start_standby(&self, i: usize) {
        let node = &self.standbys[i];
        start_node(
            &self.bin,
            self.as_postgres_user,
            &self.root,
            node,
            "standby",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        self.wait_streaming(self.standbys.len());
    }

    /// Waits (up to two minutes) until `count` standbys stream from the primary.
    pub fn wait_streaming(&self, count: usize) {
        let sql = "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let streaming = self.psql(&self.primary, "postgres", sql);
            if streaming.parse::<usize>().is_ok_and(|n| n >= count) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{streaming} of {count} standbys stream after two minutes"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (up to a minute) until standby `i` has replayed everything the primary has written.
    pub fn wait_replayed(&self, i: usize) {
        let target = self.psql(&self.primary, "postgres", "SELECT pg_current_wal_lsn()");
        let sql = format!("SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.psql(&self.standbys[i], "postgres", &sql) != "t" {
            assert!(
                Instant::now() < deadline,
                "standby {i} has not replayed {target}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the reaper's stdin makes it stop the servers and delete the directory; waiting for it
        // leaves nothing running when the test returns.
        if let Some(mut reaper) = self.reaper.take() {
            drop(reaper.stdin.take());
            let _ = reaper.wait();
        }
    }
}

fn start(bin: PathBuf, standbys: usize) -> Result<Cluster, String> {
    let as_postgres_user = is_root();
    let root = tempfile::Builder::new()
        .prefix("orient-pg-replicated-")
        .tempdir()
        .map_err(|e| format!("creating the cluster's directory: {e}"))?
        .keep();
    if as_postgres_user {
        let mut chown = Command::new("chown");
        chown.arg("postgres:").arg(&root);
        run(chown, "giving the cluster's directory to the postgres user")?;
    }

    // The reaper first, so that nothing started below can outlive this process.
    let stop = command(&bin, "pg_ctl", as_postgres_user);
    let stop_words = std::iter::once(stop.get_program())
        .chain(stop.get_args())
        .map(|a| single_quoted(Path::new(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let root_q = single_quoted(&root);
    let reaper = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cat >/dev/null; for d in {root_q}/node-*; do if [ -f \"$d/postmaster.pid\" ]; then \
             {stop_words} -D \"$d\" -m immediate -w stop >/dev/null 2>&1; fi; done; rm -rf {root_q}"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting the cluster's reaper: {e}"))?;
    let mut cluster = Cluster {
        root: root.clone(),
        bin: bin.clone(),
        as_postgres_user,
        primary: Node {
            data: root.join("node-primary"),
            port: 0,
        },
        standbys: Vec::new(),
        statements: false,
        reaper: Some(reaper),
    };

    let statements = bin
        .parent()
        .is_some_and(|v| v.join("lib/pg_stat_statements.so").is_file());
    let settings = format!(
        "max_connections = 100\nwal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n{}",
        if statements {
            "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
        } else {
            ""
        }
    );
    init_data_directory(
        &bin,
        as_postgres_user,
        &cluster.primary.data,
        &root,
        &settings,
    )?;
    cluster.statements = statements;
    cluster.primary.port = start_fresh(&bin, as_postgres_user, &root, &cluster.primary.data)?;

    for i in 0..standbys {
        let data = root.join(format!("node-standby-{i}"));
        let mut basebackup = command(&bin, "pg_basebackup", as_postgres_user);
        basebackup
            .args(["-h", "127.0.0.1", "-p", &cluster.primary.port.to_string()])
            .args(["-U", "postgres", "-D"])
            .arg(&data)
            .args(["-R", "-X", "stream", "-c", "fast"]);
        run(basebackup, "pg_basebackup")?;
        let port = start_fresh(&bin, as_postgres_user, &root, &data)?;
        cluster.standbys.push(Node { data, port });
    }
    cluster.wait_streaming(standbys);
    Ok(cluster)
}

/// Starts the server in `data` on a free port (retried: another process may take the port between
/// our look and the server's bind).
fn start_fresh(
    bin: &Path,
    as_postgres_user: bool,
    root: &Path,
    data: &Path,
) -> Result<u16, String> {
    let mut last_error = String::new();
    for _ in 0..5 {
        let node = Node {
            data: data.to_path_buf(),
            port: free_port()?,
        };
        match start_node(bin, as_postgres_user, root, &node, "server") {
            Ok(()) => return Ok(node.port),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

fn start_node(
    bin: &Path,
    as_postgres_user: bool,
    root: &Path,
    node: &Node,
    what: &str,
) -> Result<(), String> {
    let log = root.join(format!(
        "{}.log",
        node.data
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("node")
    ));
    let mut pg_ctl = command(bin, "pg_ctl", as_postgres_user);
    pg_ctl.arg("-D").arg(&node.data).arg("-l").arg(&log).args([
        "-w",
        "-t",
        "120",
        "-o",
        &format!("-p {}", node.port),
        "start",
    ]);
    run(pg_ctl, &format!("pg_ctl start ({what})")).map_err(|e| {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        format!("{e}\nserver log:\n{log}")
    })
}
