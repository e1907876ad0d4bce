//! 4 reader threads and 1 writer thread through `orient_database::db` for a fixed time, on a 100k-row
//! file database: operations per second and the number of busy/locked errors (which must be 0).
//!
//! Not a criterion benchmark (it measures throughput under contention, not one operation): it prints
//! its figures and writes them to target/bench-results/concurrency.json for scripts/bench.sh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use orient_database::db::{self, Db};
use orient_database::schema::{Message, NewMessage, messages};

const READERS: usize = 4;

fn main() {
    // `cargo bench -- --test` (or `cargo test --benches`) only checks that it runs.
    let quick = std::env::args().any(|a| a == "--test");
    let seconds: f64 = std::env::var("ORIENT_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 0.5 } else { 10.0 });

    let dir = tempfile::tempdir().unwrap();
    let path = common::populated(dir.path());
    let db = Arc::new(Db::open_path(&path).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let other_errors = Arc::new(AtomicU64::new(0));
    let mut write_latencies = Vec::new();

    let mut readers = Vec::new();
    for r in 0..READERS {
        let (db, stop, reads, busy, other) = (
            db.clone(),
            stop.clone(),
            reads.clone(),
            busy.clone(),
            other_errors.clone(),
        );
        readers.push(std::thread::spawn(move || {
            let ids = common::ids(10_000 + r);
            let mut i = r * 997;
            while !stop.load(Ordering::Relaxed) {
                let id = ids[i % ids.len()];
                i += 1;
                let result = db.read(|conn| {
                    Ok::<_, db::Error>(
                        messages::table
                            .find(id)
                            .select(Message::as_select())
                            .get_result::<Message>(conn)?,
                    )
                });
                match result {
                    Ok(_) => reads.fetch_add(1, Ordering::Relaxed),
                    Err(e) if e.is_locked() => busy.fetch_add(1, Ordering::Relaxed),
                    Err(_) => other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut n = 0usize;
    while Instant::now() < deadline {
        let row = common::message(common::ROWS + n);
        n += 1;
        let t = Instant::now();
        // A read-modify-write, the pattern that fails with SQLITE_BUSY under deferred transactions.
        let result = db.transaction(|tx| {
            let last: i64 = messages::table
                .select(diesel::dsl::max(messages::id))
                .get_result::<Option<i64>>(tx)?
                .unwrap_or(0);
            NewMessage::insert_all(tx, std::slice::from_ref(&row))?;
            diesel::update(messages::table.find(last))
                .set(messages::transcribed_language.eq("en"))
                .execute(tx)?;
            Ok::<_, db::Error>(())
        });
        write_latencies.push(t.elapsed());
        match result {
            Ok(()) => writes.fetch_add(1, Ordering::Relaxed),
            Err(e) if e.is_locked() => busy.fetch_add(1, Ordering::Relaxed),
            Err(_) => other_errors.fetch_add(1, Ordering::Relaxed),
        };
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    write_latencies.sort();
    let percentile = |p: f64| {
        let i = ((write_latencies.len() as f64 * p) as usize)
            .min(write_latencies.len().saturating_sub(1));
        write_latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    let result = serde_json::json!({
        "readers": READERS,
        "writers": 1,
        "seconds": elapsed,
        "reads_per_second": reads.load(Ordering::Relaxed) as f64 / elapsed,
        "writes_per_second": writes.load(Ordering::Relaxed) as f64 / elapsed,
        "busy_errors": busy.load(Ordering::Relaxed),
        "other_errors": other_errors.load(Ordering::Relaxed),
        "write_latency_us": { "p50": percentile(0.5), "p99": percentile(0.99), "max": percentile(1.0) },
    });
    println!("concurrency (4 readers + 1 writer, {elapsed:.1} s): {result}");
    assert_eq!(
        busy.load(Ordering::Relaxed),
        0,
        "busy/locked errors under 4 readers + 1 writer"
    );
    assert_eq!(other_errors.load(Ordering::Relaxed), 0);
    if !quick {
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-results");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("concurrency.json"), result.to_string()).unwrap();
    }
}
