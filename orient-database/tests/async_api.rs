//! `db::transaction_async` / `db::read_async` (feature `async`) on real database files: the same
//! semantics as the blocking API, one writer queue for both, and what cancellation does.
#![cfg(feature = "async")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use orient_database::db::{self, Config, ConfigError, Db, DbConnection, Error, Options};
use orient_database::schema::{NewAgent, agents};
use orient_database::testing::{Engine as TestEngine, MIGRATED, TestDb};

fn open() -> (tempfile::TempDir, Arc<Db>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();
    (dir, Arc::new(db))
}

fn insert(tx: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::insert_into(agents::table)
        .values(&NewAgent::new(id, id))
        .execute(tx)
}

/// The agents' ids, read with the blocking API.
fn ids(db: &Db) -> Vec<String> {
    db.read(|conn| {
        Ok::<_, Error>(
            agents::table
                .select(agents::id)
                .order(agents::id)
                .load(conn)?,
        )
    })
    .unwrap()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Marks the writer connection with a TEMP table, which exists on that connection only.
fn mark_writer(db: &Db) {
    diesel::sql_query("CREATE TEMP TABLE writer_marker (x INTEGER)")
        .execute(&mut *db.writer().unwrap())
        .unwrap();
}

fn writer_is_marked(db: &Db) -> bool {
    diesel::sql_query("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'writer_marker'")
        .get_result::<Count>(&mut *db.writer().unwrap())
        .unwrap()
        .n
        == 1
}

/// A caller's own error type, as a service has.
#[derive(Debug)]
enum AppError {
    Refused,
    Db(Error),
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError::Db(e)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        AppError::Db(e.into())
    }
}

/// A migrated database on `engine` for the tests that run on both: a copy of the migrated template
/// (`orient_database::testing`); `None` when PostgreSQL is not there to test (see
/// `orient_testkit::Engine::postgres_available`).
fn database_on(engine: orient_testkit::Engine, test: &str) -> Option<TestDb> {
    let engine = match engine {
        orient_testkit::Engine::Sqlite => TestEngine::Sqlite,
        #[cfg(feature = "postgres")]
        orient_testkit::Engine::Postgres => TestEngine::Postgres,
        #[cfg(not(feature = "postgres"))]
        orient_testkit::Engine::Postgres => return None,
    };
    Some(TestDb::on(engine, &MIGRATED, test).unwrap())
}

/// `$name::sqlite` and `$name::postgres`: `$body(db)` on a test database of each engine, in a tokio
/// runtime.
macro_rules! on_each_engine_async {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = super::database_on(orient_testkit::Engine::Sqlite, stringify!($name));
                super::$body(db.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if orient_testkit::Engine::postgres_available(
                    orient_database::db::target::POSTGRES_BUILT,
                ) && let Some(db) =
                    super::database_on(orient_testkit::Engine::Postgres, stringify!($name))
                {
                    super::$body(db).await;
                }
            }
        }
    };
}

on_each_engine_async!(
    a_write_commits_on_ok_and_rolls_back_entirely_on_err,
    a_write_commits_on_ok_and_rolls_back_entirely_on_err_on
);

async fn a_write_commits_on_ok_and_rolls_back_entirely_on_err_on(db: TestDb) {
    db.transaction_async(|tx| {
        insert(tx, "a")?;
        Ok::<_, AppError>(())
    })
    .await
    .unwrap();

    let refused = db
        .transaction_async(|tx| {
            insert(tx, "b")?;
            Err::<(), _>(AppError::Refused)
        })
        .await;
    assert!(matches!(refused, Err(AppError::Refused)), "{refused:?}");

    // A statement that fails halfway: the row before it goes too.
    let failed = db
        .transaction_async(|tx| {
            insert(tx, "c")?;
            insert(tx, "a")?;
            Ok::<_, AppError>(())
        })
        .await;
    match failed {
        Err(AppError::Db(Error::Query(e))) => {
            // SQLite: "UNIQUE constraint failed"; PostgreSQL: "duplicate key value violates unique
            // constraint".
            let text = e.to_string().to_lowercase();
            assert!(text.contains("unique"), "{e}")
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    assert_eq!(ids(&db), ["a"]);
}

on_each_engine_async!(
    reads_see_committed_rows_and_cannot_write,
    reads_see_committed_rows_and_cannot_write_on
);

async fn reads_see_committed_rows_and_cannot_write_on(db: TestDb) {
    db.transaction(|tx| {
        insert(tx, "a")?;
        Ok::<_, Error>(())
    })
    .unwrap();
    let seen: Vec<String> = db
        .read_async(|conn| Ok::<_, Error>(agents::table.select(agents::id).load(conn)?))
        .await
        .unwrap();
    assert_eq!(seen, ["a"]);

    let write = db
        .read_async(|conn| Ok::<_, Error>(insert(conn, "b")?))
        .await;
    match write {
        // SQLite: "attempt to write a readonly database"; PostgreSQL: "cannot execute INSERT in a
        // read-only transaction".
        Err(Error::Query(e)) => {
            let text = e.to_string();
            assert!(
                text.contains("readonly") || text.contains("read-only"),
                "{e}"
            )
        }
        other => panic!("a reader wrote: {other:?}"),
    }
    assert_eq!(ids(&db), ["a"]);
}

/// Blocking and async writers wait for the one writer connection in one queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_write_waits_for_a_blocking_writer() {
    let (_dir, db) = open();
    let held = db.writer().unwrap();
    let write = tokio::spawn({
        let db = db.clone();
        async move {
            db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "a")?))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !write.is_finished(),
        "an async write did not wait for the writer"
    );
    drop(held);
    assert_eq!(write.await.unwrap().unwrap(), 1);
    assert_eq!(ids(&db), ["a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_dropped_while_waiting_for_the_writer_never_runs() {
    let (_dir, db) = open();
    let ran = Arc::new(AtomicBool::new(false));
    let held = db.writer().unwrap();
    let waiting = db.transaction_async({
        let ran = ran.clone();
        move |tx| {
            ran.store(true, Ordering::SeqCst);
            Ok::<_, Error>(insert(tx, "never")?)
        }
    });
    let gave_up = tokio::time::timeout(Duration::from_millis(200), waiting).await;
    assert!(
        gave_up.is_err(),
        "the write did not wait for the held writer"
    );
    drop(held);

    // The abandoned call gets the writer in its turn and gives it back untouched.
    db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "next")?))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "last")?))
        .await
        .unwrap();
    assert!(
        !ran.load(Ordering::SeqCst),
        "the closure of a dropped write ran"
    );
    assert_eq!(ids(&db), ["last", "next"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_dropped_while_its_closure_runs_is_rolled_back_and_the_writer_reused() {
    let (_dir, db) = open();
    mark_writer(&db);
    let finished = Arc::new(AtomicBool::new(false));
    let (began, has_begun) = tokio::sync::oneshot::channel();
    let write = db.transaction_async({
        let finished = finished.clone();
        move |tx| {
            insert(tx, "abandoned")?;
            let _ = began.send(());
            std::thread::sleep(Duration::from_millis(500));
            finished.store(true, Ordering::SeqCst);
            Ok::<_, Error>(())
        }
    });
    tokio::select! {
        result = write => panic!("the write finished first: {result:?}"),
        _ = has_begun => {}
    }
    // The write's future is gone; its closure is still running.
    assert!(!finished.load(Ordering::SeqCst));

    db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "next")?))
        .await
        .unwrap();
    assert!(finished.load(Ordering::SeqCst), "the closure was cut short");
    assert_eq!(ids(&db), ["next"]);
    assert!(writer_is_marked(&db), "the writer connection was replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_closure_reaches_the_caller_and_its_connection_is_discarded() {
    let (_dir, db) = open();
    mark_writer(&db);
    let panicked = tokio::spawn({
        let db = db.clone();
        async move {
            db.transaction_async(|tx| -> Result<(), Error> {
                insert(tx, "doomed")?;
                panic!("boom in the closure");
            })
            .await
        }
    })
    .await
    .unwrap_err();
    assert!(panicked.is_panic());
    let payload = panicked.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in the closure"));

    // The connection that was mid-transaction was closed (rolling it back), not put back in the pool.
    db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "next")?))
        .await
        .unwrap();
    assert_eq!(ids(&db), ["next"]);
    assert!(
        !writer_is_marked(&db),
        "a connection went back to the pool mid-transaction"
    );
}

#[test]
fn a_writer_busy_past_the_checkout_timeout_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        checkout_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let db = Db::open_with(&Config::for_path(dir.path().join("orient.db")), &options).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let held = db.writer().unwrap();
    let started = Instant::now();
    let result = runtime.block_on(db.transaction_async(|tx| Ok::<_, Error>(insert(tx, "late")?)));
    match result {
        Err(e @ Error::Pool(_)) => assert!(
            e.to_string()
                .contains("no database connection became free in time"),
            "{e}"
        ),
        other => panic!("expected a checkout timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(200));
    drop(held);
    assert!(ids(&db).is_empty());
}

/// Polls `future` with a waker that does nothing, until it is ready or `deadline` passes.
fn poll_until_ready<F: Future>(future: F, deadline: Duration) -> Option<F::Output> {
    let mut future = Box::pin(future);
    let mut cx = Context::from_waker(Waker::noop());
    let until = Instant::now() + deadline;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        if Instant::now() > until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn awaiting_outside_a_tokio_runtime_is_an_error_that_names_the_fix() {
    let (_dir, db) = open();
    let ran = Arc::new(AtomicBool::new(false));
    let write = db.transaction_async({
        let ran = ran.clone();
        move |tx| {
            ran.store(true, Ordering::SeqCst);
            Ok::<_, Error>(insert(tx, "a")?)
        }
    });
    match poll_until_ready(write, Duration::ZERO) {
        Some(Err(e @ Error::NoRuntime { .. })) => {
            let message = e.to_string();
            assert!(message.contains("transaction_async"), "{message}");
            assert!(message.contains("tokio runtime"), "{message}");
            assert!(message.contains("db::transaction / db::read"), "{message}");
        }
        other => panic!("expected NoRuntime, got {other:?}"),
    }
    let read = db.read_async(|conn| Ok::<_, Error>(agents::table.count().get_result::<i64>(conn)?));
    match poll_until_ready(read, Duration::ZERO) {
        Some(Err(e @ Error::NoRuntime { .. })) => {
            assert!(e.to_string().contains("read_async"), "{e}")
        }
        other => panic!("expected NoRuntime, got {other:?}"),
    }
    assert!(!ran.load(Ordering::SeqCst));
    assert!(ids(&db).is_empty());
}

#[test]
fn a_write_sent_to_a_runtime_that_has_shut_down_is_cancelled_and_never_runs() {
    let (_dir, db) = open();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    runtime.shutdown_timeout(Duration::from_secs(5));
    let _entered = handle.enter();
    let ran = Arc::new(AtomicBool::new(false));
    let write = db.transaction_async({
        let ran = ran.clone();
        move |tx| {
            ran.store(true, Ordering::SeqCst);
            Ok::<_, Error>(insert(tx, "a")?)
        }
    });
    match poll_until_ready(write, Duration::from_secs(5)) {
        Some(Err(e @ Error::Cancelled { .. })) => {
            let message = e.to_string();
            assert!(message.contains("transaction_async"), "{message}");
            assert!(
                message.contains("nothing it wrote was committed"),
                "{message}"
            );
        }
        other => panic!("expected Cancelled, got {other:?}"),
    }
    assert!(!ran.load(Ordering::SeqCst));
    assert!(ids(&db).is_empty());
}

/// The free functions use the process-wide database, configured from the environment, so each case
/// runs this test binary again in a child process with an environment of its own.
fn run_child(case: &str, dir: &Path, database: Option<&Path>) -> std::process::Output {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "child_of_the_global_tests",
            "--ignored",
            "--nocapture",
        ])
        .env_clear()
        .env("ORIENT_ASYNC_CHILD", case)
        .current_dir(dir);
    if let Some(database) = database {
        child.env("SQLITE_DATABASE", database);
    }
    let output = child.output().unwrap();
    assert!(
        output.status.success(),
        "child {case} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child test did not run: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

#[test]
fn the_free_functions_open_the_global_database_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data").join("orient.db");
    run_child("configured", dir.path(), Some(&database));
    let db = Db::open_path(&database).unwrap();
    assert_eq!(ids(&db), ["global"]);
}

#[test]
fn with_nothing_configured_the_free_functions_refuse_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    run_child("unconfigured", dir.path(), None);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}

#[test]
#[ignore = "run by the two tests above, in a child process with an environment of its own"]
fn child_of_the_global_tests() {
    let Ok(case) = std::env::var("ORIENT_ASYNC_CHILD") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        match case.as_str() {
            "configured" => {
                db::transaction_async(|tx| Ok::<_, Error>(insert(tx, "global")?))
                    .await
                    .unwrap();
                let ids: Vec<String> = db::read_async(|conn| {
                    Ok::<_, Error>(agents::table.select(agents::id).load(conn)?)
                })
                .await
                .unwrap();
                assert_eq!(ids, ["global"]);
                let global = db::global_async().await.unwrap();
                assert!(std::ptr::eq(global, db::global().unwrap()));
            }
            "unconfigured" => {
                let read = db::read_async(|conn| {
                    Ok::<_, Error>(agents::table.count().get_result::<i64>(conn)?)
                })
                .await;
                match read {
                    Err(e @ Error::Config(ConfigError::NothingConfigured { .. })) => {
                        let message = e.to_string();
                        assert!(message.contains("SQLITE_DATABASE"), "{message}");
                        assert!(message.contains("DATABASE_URL"), "{message}");
                    }
                    other => panic!("expected NothingConfigured, got {other:?}"),
                }
                let write = db::transaction_async(|tx| Ok::<_, Error>(insert(tx, "x")?)).await;
                assert!(
                    matches!(
                        write,
                        Err(Error::Config(ConfigError::NothingConfigured { .. }))
                    ),
                    "{write:?}"
                );
            }
            other => panic!("unknown case {other}"),
        }
    });
}
