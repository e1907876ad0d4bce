//! A real server on a real socket for the service's tests, and a minimal HTTP/1.1 client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use diesel::prelude::*;
use orient_database::db::Db;
use orient_database::schema::{NewAgent, NewAgentSkill, agent_skills};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A database in a temporary directory with two agents: `alpha` (skills `search`, `summarise`) and
/// `beta` (no skills).
pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub db: Arc<Db>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_path(dir.path().join("orient.db")).unwrap();
        db.transaction(|tx| {
            NewAgent::insert_all(
                tx,
                &[
                    NewAgent::new("alpha", "Alpha"),
                    NewAgent::new("beta", "Beta"),
                ],
            )?;
            NewAgentSkill::insert_all(
                tx,
                &[
                    NewAgentSkill::new("alpha", "search"),
                    NewAgentSkill::new("alpha", "summarise"),
                ],
            )?;
            Ok::<_, orient_database::db::Error>(())
        })
        .unwrap();
        TestDb {
            dir,
            db: Arc::new(db),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.db
            .target()
            .sqlite_path()
            .map(PathBuf::from)
            .unwrap_or_default()
    }

    /// The skills of `agent`, read straight from the database file.
    pub fn skills(&self, agent: &str) -> Vec<String> {
        self.db
            .read(|conn| {
                agent_skills::table
                    .filter(agent_skills::agent_id.eq(agent))
                    .select(agent_skills::skill_name)
                    .order(agent_skills::id)
                    .load::<String>(conn)
                    .map_err(orient_database::db::Error::from)
            })
            .unwrap()
    }
}

/// The service served on 127.0.0.1 by a multi-thread runtime with two worker threads, so that a
/// handler blocking a worker would show as a stall.
pub struct Server {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    pub fn start(router: Router) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, router).await });
        Server {
            addr,
            runtime: Some(runtime),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(10));
        }
    }
}

/// A runtime for the client side of a test, apart from the server's.
pub fn client() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A response: status and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request on a new connection (`Connection: close`), read to the end.
pub async fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or_default());
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {raw:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response { status, body }
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, None).await
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Response {
    request(addr, "POST", path, Some(body)).await
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
