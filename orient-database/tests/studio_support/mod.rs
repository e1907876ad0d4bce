//! Helpers for the studio tests: a database that looks seeded, the real `orient-db studio` process on a
//! free port, a raw HTTP/1.1 client (so tests can send any Host, Origin or path, unnormalised) and a
//! fingerprint of the database file.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

pub use orient_testkit::sqlite::connect;
use orient_testkit::{DB_VARIABLES, Project, binary};

/// The database file of every studio test project (relative to the project root).
pub const DB_FILE: &str = "orient.db";

/// A migrated project with the sample agents, skills, tools and context rules, and `messages` rows.
pub fn sample_project(messages: usize) -> Project {
    let project = Project::new();
    let run = project.run(&["migrate"], &[("SQLITE_DATABASE", DB_FILE)]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut conn = connect(&project.path(DB_FILE));
    conn.batch_execute(include_str!("../fixtures/studio_sample.sql"))
        .unwrap();
    insert_messages(&mut conn, messages);
    checkpoint(&mut conn);
    project
}

/// `n` more messages (numbered on from the highest id): every third outgoing, every fifth in a group (the others have no group_id), one per
/// minute from 2026-02-01 09:00 UTC.
pub fn insert_messages(conn: &mut SqliteConnection, n: usize) {
    if n == 0 {
        return;
    }
    conn.batch_execute(&format!(
        "WITH RECURSIVE base(b) AS (SELECT coalesce(max(id), 0) FROM messages),
              n(i) AS (SELECT b + 1 FROM base UNION ALL SELECT i + 1 FROM n, base WHERE i < b + {n})
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, group_id, timestamp,
                               created_at, media_type)
         SELECT 'msg-' || i, CASE WHEN i % 3 = 0 THEN 'outgoing' ELSE 'incoming' END,
                '97250000' || (i % 40) || '@s.whatsapp.net', '+97250000' || (i % 40),
                'Message number ' || i, i % 5 = 0,
                CASE WHEN i % 5 = 0 THEN 'group-' || (i % 7) END,
                1769936400 + i * 60, 1769936400 + i * 60,
                CASE WHEN i % 11 = 0 THEN 'image' END
         FROM n"
    ))
    .unwrap();
}

/// Moves the WAL into the main file and empties it, so a fingerprint taken after this sees everything.
pub fn checkpoint(conn: &mut SqliteConnection) {
    conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
}

/// SHA-256 of the database file and of its WAL (an absent WAL counts as empty): any committed change
/// shows in one of them. Only call it while this process holds no SQLite connection to the file (closing
/// a descriptor of the file would drop that connection's locks).
pub fn fingerprint(db: &Path) -> String {
    let hash = |p: &Path| format!("{:x}", Sha256::digest(std::fs::read(p).unwrap_or_default()));
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    format!("{}:{}", hash(db), hash(Path::new(&wal)))
}

/// A running `orient-db studio`.
pub struct Studio {
    child: Child,
    pub url: String,
    pub port: u16,
    pub token: String,
    pub stderr: PathBuf,
    pub db: PathBuf,
}

impl Studio {
    /// Starts `orient-db studio --port 0 ARGS` in the project and reads the URL it prints.
    pub fn start(project: &Project, args: &[&str]) -> Studio {
        Studio::start_with(project, args, &[])
    }

    /// [`Studio::start`] with more environment variables.
    pub fn start_with(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Studio {
        let stderr = project.path(&format!("studio-{}.stderr", nanos()));
        let mut command = Command::new(binary("orient-db"));
        command
            .current_dir(project.root())
            .args(["studio", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for var in DB_VARIABLES {
            command.env_remove(var);
        }
        command.env("SQLITE_DATABASE", DB_FILE);
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("start orient-db studio");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Anything more on stdout would be a second print of the token: keep it for the test.
            for line in lines.map_while(Result::ok) {
                eprintln!("studio stdout (unexpected): {line}");
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "orient-db studio printed no URL; stderr:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
        };
        let port: u16 = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|hostport| hostport.rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url}"));
        let token = url
            .split_once("?token=")
            .map(|(_, t)| t.to_owned())
            .unwrap_or_else(|| panic!("no token in {url}"));
        Studio {
            child,
            url,
            port,
            token,
            stderr,
            db: project.path(DB_FILE),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cookie(&self) -> String {
        format!("orient_studio_{}={}", self.port, self.token)
    }

    /// A GET with the session cookie.
    pub fn get(&self, target: &str) -> Response {
        self.request("GET", target, &[("Cookie", &self.cookie())], None)
    }

    /// A change the way the page sends it: same Origin, the custom header, JSON.
    pub fn send(&self, method: &str, target: &str, body: &serde_json::Value) -> Response {
        let origin = self.origin();
        let cookie = self.cookie();
        self.request(
            method,
            target,
            &[
                ("Cookie", &cookie),
                ("Origin", &origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            Some(&body.to_string()),
        )
    }

    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        request(self.port, method, target, headers, body)
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Stops it with SIGTERM (a graceful shutdown that closes its connections) and waits.
    pub fn stop(mut self) -> i32 {
        self.terminate()
    }

    fn terminate(&mut self) -> i32 {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("orient-db studio did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The error message of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// Sends one request on a new connection. `Host` is `127.0.0.1:PORT` unless `headers` has one. Every
/// response is checked for the headers the studio must always send, and for the CORS headers it must
/// never send.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the studio");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    if let Some(body) = body {
        stream.write_all(body.as_bytes()).unwrap();
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let response = parse(&raw);
    assert_always_headers(&response, method, target);
    response
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

fn assert_always_headers(response: &Response, method: &str, target: &str) {
    let what = format!("{method} {target} → {}", response.status);
    for (name, _) in &response.headers {
        assert!(
            !name.to_ascii_lowercase().starts_with("access-control-"),
            "{what}: CORS header {name}"
        );
    }
    let csp = response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        response.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
}

/// The database's files (`orient.db`, `orient.db-wal`, …) in its directory: a read-only studio leaves
/// the same set behind.
pub fn database_files(db: &Path) -> Vec<String> {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let mut files: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&name))
        .collect();
    files.sort();
    files
}
