//! The service on a real socket: its endpoints, and what the async API promises under load and on
//! cancellation (issue 13's "done means").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use orient_database::db::{self, Db};
use orient_database::schema::{NewAgentSkill, agent_skills};
use support::{Server, TestDb, client, get, post as send};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

/// Routes only the tests have, over the same database as the service's: a write that holds the
/// writer inside its transaction for a while, and one whose handler gives up on it.
#[derive(Clone)]
struct Probe {
    db: Arc<Db>,
    /// Notified once a held write's transaction has inserted its row.
    began: Arc<Notify>,
    /// Set when a held write's closure has run to its end.
    finished: Arc<AtomicBool>,
}

/// The closure of a held write: gives `alpha` the skill, says so, then keeps the transaction open.
fn hold(
    probe: &Probe,
    skill: String,
    ms: u64,
) -> impl FnOnce(&mut db::DbConnection) -> Result<(), db::Error> + Send + 'static {
    let (began, finished) = (probe.began.clone(), probe.finished.clone());
    move |tx| {
        diesel::insert_into(agent_skills::table)
            .values(&NewAgentSkill::new("alpha", skill))
            .execute(tx)?;
        began.notify_one();
        std::thread::sleep(Duration::from_millis(ms));
        finished.store(true, Ordering::SeqCst);
        Ok(())
    }
}

async fn held_write(
    State(probe): State<Probe>,
    Path((skill, ms)): Path<(String, u64)>,
) -> StatusCode {
    match probe.db.transaction_async(hold(&probe, skill, ms)).await {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Gives up on the write after 200 ms, dropping its future (what a timeout layer does).
async fn abandoned_write(
    State(probe): State<Probe>,
    Path((skill, ms)): Path<(String, u64)>,
) -> StatusCode {
    let write = probe.db.transaction_async(hold(&probe, skill, ms));
    match tokio::time::timeout(Duration::from_millis(200), write).await {
        Ok(Ok(())) => StatusCode::CREATED,
        Ok(Err(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        Err(_) => StatusCode::GATEWAY_TIMEOUT,
    }
}

fn server(test: &TestDb) -> (Server, Probe) {
    let probe = Probe {
        db: test.db.clone(),
        began: Arc::new(Notify::new()),
        finished: Arc::new(AtomicBool::new(false)),
    };
    let probes = Router::new()
        .route("/test/held/{skill}/{ms}", post(held_write))
        .route("/test/abandoned/{skill}/{ms}", post(abandoned_write))
        .with_state(probe.clone());
    let router = agents_service::app(test.db.clone()).merge(probes);
    (Server::start(router), probe)
}

async fn began(probe: &Probe) {
    tokio::time::timeout(Duration::from_secs(10), probe.began.notified())
        .await
        .expect("the held write never began");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Marks the writer connection with a TEMP table, which exists on that connection only.
fn mark_writer(db: &Db) {
    let mut writer = db.writer().unwrap();
    diesel::sql_query("CREATE TEMP TABLE writer_marker (x INTEGER)")
        .execute(&mut *writer)
        .unwrap();
}

fn writer_is_marked(db: &Db) -> bool {
    let mut writer = db.writer().unwrap();
    diesel::sql_query("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'writer_marker'")
        .get_result::<Count>(&mut *writer)
        .unwrap()
        .n
        == 1
}

#[test]
fn the_endpoints_list_agents_show_one_with_its_skills_and_add_a_skill() {
    let test = TestDb::new();
    let (server, _) = server(&test);
    let addr = server.addr;
    client().block_on(async move {
        let health = get(addr, "/health").await;
        assert_eq!((health.status, health.body.as_str()), (200, "ok"));

        let list = get(addr, "/agents").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(
            list.json(),
            serde_json::json!([
                {"id": "alpha", "name": "Alpha", "enabled": true},
                {"id": "beta", "name": "Beta", "enabled": true},
            ])
        );

        let alpha = get(addr, "/agents/alpha").await;
        assert_eq!(alpha.status, 200, "{}", alpha.body);
        let alpha = alpha.json();
        assert_eq!(alpha["name"], "Alpha");
        let names: Vec<_> = alpha["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["search", "summarise"]);

        let added = send(addr, "/agents/beta/skills", r#"{"skill": "translate"}"#).await;
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(added.json()["name"], "translate");
        assert_eq!(added.json()["enabled"], true);
        let beta = get(addr, "/agents/beta").await.json();
        assert_eq!(beta["skills"][0]["name"], "translate");
        assert_eq!(beta["skills"][0]["id"], added.json()["id"]);
    });
    assert_eq!(test.skills("beta"), ["translate"]);
}

#[test]
fn every_refusal_has_its_status_and_says_what_is_wrong() {
    let test = TestDb::new();
    let (server, _) = server(&test);
    let addr = server.addr;
    client().block_on(async move {
        let missing = get(addr, "/agents/nobody").await;
        assert_eq!(missing.status, 404);
        assert_eq!(
            missing.json()["error"],
            "no agent has the id \"nobody\"; GET /agents lists them"
        );

        let missing = send(addr, "/agents/nobody/skills", r#"{"skill": "x"}"#).await;
        assert_eq!(missing.status, 404);
        assert!(
            missing.json()["error"]
                .as_str()
                .unwrap()
                .contains("\"nobody\"")
        );

        let taken = send(addr, "/agents/alpha/skills", r#"{"skill": "search"}"#).await;
        assert_eq!(taken.status, 409);
        assert_eq!(
            taken.json()["error"],
            "agent \"alpha\" already has the skill \"search\""
        );

        let empty = send(addr, "/agents/alpha/skills", r#"{"skill": "  "}"#).await;
        assert_eq!(empty.status, 422);
        assert!(empty.json()["error"].as_str().unwrap().contains("empty"));

        let malformed = send(addr, "/agents/alpha/skills", r#"{"name": "x"}"#).await;
        assert_eq!(malformed.status, 422, "{}", malformed.body);
        assert!(malformed.body.contains("skill"), "{}", malformed.body);
    });
    // None of them wrote anything.
    assert_eq!(test.skills("alpha"), ["search", "summarise"]);
    assert!(test.skills("beta").is_empty());
    assert!(test.skills("nobody").is_empty());
}

/// The issue's "done means": a handler blocked inside a 3-second write transaction while 100 other
/// requests (reads, and one that never touches the database) complete in well under a second, and
/// `/health` answers at once while more writers queue behind it.
#[test]
fn a_handler_blocked_in_a_write_transaction_stalls_nothing_else() {
    let test = TestDb::new();
    let (server, probe) = server(&test);
    let addr = server.addr;
    client().block_on(async move {
        let held = tokio::spawn(send(addr, "/test/held/held-skill/3000", ""));
        began(&probe).await;
        let holding_since = Instant::now();

        let started = Instant::now();
        let requests: Vec<_> = (0..100)
            .map(|i| {
                let path = match i {
                    0 => "/health",
                    i if i % 2 == 0 => "/agents",
                    _ => "/agents/alpha",
                };
                tokio::spawn(async move { (path, get(addr, path).await) })
            })
            .collect();
        let mut responses = Vec::new();
        for request in requests {
            responses.push(request.await.unwrap());
        }
        let took = started.elapsed();
        eprintln!("100 requests while a write transaction was held: {took:?}");
        assert!(
            took < Duration::from_secs(1),
            "100 requests took {took:?} while a write transaction was held"
        );
        for (path, response) in responses {
            assert_eq!(response.status, 200, "{path}: {}", response.body);
            // The held write is not committed, so no reader sees its row.
            assert!(
                !response.body.contains("held-skill"),
                "{path}: {}",
                response.body
            );
        }
        assert!(
            !held.is_finished(),
            "the held write ended before the other requests did"
        );

        // Three more writers queue for the writer; /health still answers at once.
        let queued: Vec<_> = ["one", "two", "three"]
            .into_iter()
            .map(|skill| {
                let body = format!(r#"{{"skill": "{skill}"}}"#);
                tokio::spawn(async move { send(addr, "/agents/beta/skills", &body).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        for _ in 0..5 {
            let started = Instant::now();
            let health = get(addr, "/health").await;
            let took = started.elapsed();
            assert_eq!(health.status, 200);
            assert!(
                took < Duration::from_millis(500),
                "/health took {took:?} while writers queued"
            );
        }
        assert!(!held.is_finished());
        assert!(
            queued.iter().all(|q| !q.is_finished()),
            "a queued write did not wait for the writer"
        );

        assert_eq!(held.await.unwrap().status, 201);
        assert!(holding_since.elapsed() >= Duration::from_millis(2900));
        for write in queued {
            let response = write.await.unwrap();
            assert_eq!(response.status, 201, "{}", response.body);
        }
    });
    assert_eq!(test.skills("alpha"), ["search", "summarise", "held-skill"]);
    let mut beta = test.skills("beta");
    beta.sort();
    assert_eq!(beta, ["one", "three", "two"]);
}

/// A handler that gives up on its write (a timeout) drops the future while the transaction runs: the
/// transaction is rolled back, and the same writer connection serves the next write.
#[test]
fn a_write_whose_handler_gave_up_is_rolled_back_and_the_writer_reused() {
    let test = TestDb::new();
    mark_writer(&test.db);
    let (server, probe) = server(&test);
    let addr = server.addr;
    client().block_on(async move {
        let started = Instant::now();
        let gave_up = send(addr, "/test/abandoned/abandoned-skill/1000", "").await;
        assert_eq!(gave_up.status, 504);
        assert!(started.elapsed() < Duration::from_millis(900));

        // The next write waits for the abandoned transaction to end, then commits.
        let next = send(addr, "/agents/beta/skills", r#"{"skill": "after"}"#).await;
        assert_eq!(next.status, 201, "{}", next.body);
        assert!(
            probe.finished.load(Ordering::SeqCst),
            "the abandoned closure was cut short"
        );
    });
    assert_eq!(test.skills("alpha"), ["search", "summarise"]);
    assert_eq!(test.skills("beta"), ["after"]);
    assert!(
        writer_is_marked(&test.db),
        "the writer connection was replaced"
    );
}

/// A client that disconnects while its write runs: the server drops the handler's future, and the
/// transaction is rolled back.
#[test]
fn a_write_whose_client_disconnected_is_rolled_back_and_the_writer_reused() {
    let test = TestDb::new();
    mark_writer(&test.db);
    let (server, probe) = server(&test);
    let addr = server.addr;
    client().block_on(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST /test/held/disconnected-skill/1000 HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        began(&probe).await;
        drop(stream);

        let next = send(addr, "/agents/beta/skills", r#"{"skill": "after"}"#).await;
        assert_eq!(next.status, 201, "{}", next.body);
        assert!(probe.finished.load(Ordering::SeqCst));
    });
    assert_eq!(test.skills("alpha"), ["search", "summarise"]);
    assert_eq!(test.skills("beta"), ["after"]);
    assert!(
        writer_is_marked(&test.db),
        "the writer connection was replaced"
    );
}
