//! Helpers for the studio tests: a database that looks seeded (an SQLite file, or with feature
//! `postgres` the same rows in a database of its own on the test process's PostgreSQL server), the
//! real `orient-db studio` process on a free port, a raw HTTP/1.1 client (so tests can send any Host,
//! Origin or path, unnormalised) and a fingerprint of the database.
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

/// The engine a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The studio's database in a test: the sample project's SQLite file, or the same rows copied into a
/// PostgreSQL database of its own (migrated by `orient-db migrate` from `migrations/postgres/`).
pub struct Sample {
    pub project: Project,
    pub engine: Engine,
    /// The PostgreSQL database's name and URL.
    server: Option<(String, String)>,
}

impl Sample {
    /// [`sample_project`] on `engine`; `None` when PostgreSQL is skipped (no server binaries and
    /// `ORIENT_REQUIRE_POSTGRES` unset).
    pub fn new(engine: Engine, messages: usize) -> Option<Sample> {
        let project = sample_project(messages);
        let server = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(copy_to_postgres(&project)?),
        };
        Some(Sample {
            project,
            engine,
            server,
        })
    }

    /// The environment that points `orient-db` at this database.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match &self.server {
            None => vec![("SQLITE_DATABASE", DB_FILE.to_owned())],
            Some((_, url)) => vec![("DATABASE_URL", url.clone())],
        }
    }

    /// `orient-db ARGS` on this database.
    pub fn run(&self, args: &[&str]) -> orient_testkit::Run {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.project.run(args, &env)
    }

    /// A hash of everything in the database: the file and its WAL (SQLite; see [`fingerprint`]), or
    /// every table's rows (PostgreSQL).
    pub fn fingerprint(&self) -> String {
        match &self.server {
            None => fingerprint(&self.project.path(DB_FILE)),
            Some((name, _)) => pg().psql(
                name,
                "SELECT md5(string_agg(t || ':' || md5(query_to_xml(format( \
                   'SELECT * FROM %I AS r ORDER BY r::text', t), true, false, '')::text), ',' \
                   ORDER BY t)) \
                 FROM (SELECT tablename::text AS t FROM pg_tables \
                   WHERE schemaname = current_schema()) AS l",
            ),
        }
    }

    /// The database's files beside it (SQLite); nothing for a server's database.
    pub fn files(&self) -> Vec<String> {
        match &self.server {
            None => database_files(&self.project.path(DB_FILE)),
            Some(_) => Vec::new(),
        }
    }

    /// One text column of a query's rows, read from the database itself.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        match &self.server {
            None => {
                #[derive(QueryableByName)]
                struct One {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    t: String,
                }
                let mut conn = connect(&self.project.path(DB_FILE));
                let rows: Vec<One> =
                    diesel::sql_query(format!("WITH q(t) AS ({sql}) SELECT t FROM q"))
                        .load(&mut conn)
                        .unwrap();
                rows.into_iter().map(|r| r.t).collect()
            }
            Some((name, _)) => pg().psql(name, sql).lines().map(str::to_owned).collect(),
        }
    }

    /// Runs statements on the database (test setup).
    pub fn execute(&self, sql: &str) {
        match &self.server {
            None => connect(&self.project.path(DB_FILE))
                .batch_execute(sql)
                .unwrap(),
            Some((name, _)) => {
                pg().psql(name, sql);
            }
        }
    }
}

fn pg() -> &'static orient_testkit::postgres::Server {
    orient_testkit::postgres::server().expect("a server, since a sample database is on it")
}

/// A new database on the test server, migrated by `orient-db migrate`, holding the rows of the
/// project's SQLite sample (booleans as booleans, identities moved past the copied ids). `None`: no
/// server (skipped).
fn copy_to_postgres(project: &Project) -> Option<(String, String)> {
    let server = orient_testkit::postgres::server()?;
    let name = server.create_database("studio");
    let url = server.url(&name);
    let run = project.run(&["migrate"], &[("DATABASE_URL", &url)]);
    assert_eq!(run.code, 0, "migrate on PostgreSQL: {run:?}");
    let columns = server.psql(
        &name,
        "SELECT table_name || '|' || column_name || '|' || data_type || '|' || is_identity \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND left(table_name, 2) <> '__' ORDER BY table_name, ordinal_position",
    );
    // (table, [(column, data type, is identity)])
    type Columns = Vec<(String, String, bool)>;
    let mut tables: Vec<(String, Columns)> = Vec::new();
    for line in columns.lines() {
        let parts: Vec<&str> = line.split('|').collect();
        let [table, column, ty, identity] = parts[..] else {
            panic!("unexpected psql line {line}")
        };
        if tables.last().is_none_or(|(t, _)| t != table) {
            tables.push((table.to_owned(), Vec::new()));
        }
        if let Some((_, cols)) = tables.last_mut() {
            cols.push((column.to_owned(), ty.to_owned(), identity == "YES"));
        }
    }
    #[derive(QueryableByName)]
    struct Tuple {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tuple: String,
    }
    let mut sqlite = connect(&project.path(DB_FILE));
    // Foreign keys are checked by triggers, which `replica` skips: tables load in any order.
    let mut script = String::from("SET session_replication_role = replica;\n");
    for (table, columns) in &tables {
        let values: Vec<String> = columns
            .iter()
            .map(|(c, ty, _)| {
                if ty == "boolean" {
                    format!(
                        r#"CASE WHEN "{c}" IS NULL THEN 'NULL' WHEN "{c}" THEN 'true' ELSE 'false' END"#
                    )
                } else {
                    format!(r#"quote("{c}")"#)
                }
            })
            .collect();
        let rows: Vec<Tuple> = diesel::sql_query(format!(
            r#"SELECT '(' || {} || ')' AS tuple FROM "{table}""#,
            values.join(" || ',' || ")
        ))
        .load(&mut sqlite)
        .unwrap();
        if rows.is_empty() {
            continue;
        }
        let names: Vec<String> = columns
            .iter()
            .map(|(c, _, _)| format!(r#""{c}""#))
            .collect();
        let tuples: Vec<String> = rows.into_iter().map(|r| r.tuple).collect();
        script.push_str(&format!(
            "INSERT INTO \"{table}\" ({}) OVERRIDING SYSTEM VALUE VALUES {};\n",
            names.join(", "),
            tuples.join(",\n")
        ));
        for (c, _, identity) in columns {
            if *identity {
                script.push_str(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{c}'), max(\"{c}\")) \
                     FROM \"{table}\" HAVING max(\"{c}\") IS NOT NULL;\n"
                ));
            }
        }
    }
    server.psql(&name, &script);
    Some((name, url))
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

    /// Starts `orient-db studio --port 0 ARGS` on the sample's database, on its engine.
    pub fn on(sample: &Sample, args: &[&str]) -> Studio {
        Studio::on_with(sample, args, &[])
    }

    /// [`Studio::on`] with more environment variables.
    pub fn on_with(sample: &Sample, args: &[&str], env: &[(&str, &str)]) -> Studio {
        let mut all: Vec<(&str, &str)> = Vec::new();
        // A PostgreSQL DATABASE_URL wins over the SQLITE_DATABASE every studio gets.
        let own = sample.env();
        all.extend(own.iter().map(|(k, v)| (*k, v.as_str())));
        all.extend_from_slice(env);
        Studio::start_with(&sample.project, args, &all)
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

/// Every named test body `fn NAME(engine: Engine)` as a test on each engine: `sqlite::NAME`, and with
/// feature `postgres` `postgres::NAME`, on a database of its own on the test process's server (which
/// skips without PostgreSQL binaries, unless `ORIENT_REQUIRE_POSTGRES=1` makes that a failure).
#[allow(unused_macros)]
macro_rules! on_each_engine {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(super::studio_support::Engine::Sqlite)
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(super::studio_support::Engine::Postgres)
                }
            )*
        }
    };
}
