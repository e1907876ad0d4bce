//! Read throughput through `Db::read` with read replicas: the primary alone, then one and two streaming
//! standbys (`DATABASE_READ_URL`), several reader threads, on a cluster of throwaway servers
//! (`orient_testkit::replication`). Two reads: a primary-key lookup and an aggregate over 20,000 rows
//! (work on the server). Besides reads per second, the share of reads each server ran, counted on the
//! servers by `pg_stat_statements`.
//!
//! `cargo bench -p orient-tests --features postgres --bench replicas`. `ORIENT_BENCH_SECONDS` (default
//! 3) is the time per measurement, `ORIENT_BENCH_THREADS` (default 4) the reader threads. Without
//! PostgreSQL binaries it says so and measures nothing (with `ORIENT_REQUIRE_POSTGRES=1` that is a
//! failure).
//!
//! On one machine every server shares the same cores: a standby adds no CPU, so this measures what
//! routing costs and how reads spread, not the scale-out a standby on its own machine gives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use orient_database::db::target::{PostgresTarget, Target};
use orient_database::db::{Config, Db, Error};
use orient_testkit::replication::{Cluster, Node};

const DATABASE: &str = "orient";
const ROWS: i64 = 20_000;

/// The two reads: name, SQL of one `bigint` value (with `{id}` replaced by a row id).
const READS: [(&str, &str); 2] = [
    ("point lookup", "(SELECT v FROM bench_rows WHERE id = {id})"),
    (
        "aggregate over 20k rows",
        "(SELECT count(*) FROM bench_rows WHERE v % 7 = {id} % 7)",
    ),
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(cluster: &Cluster, standbys: &[Node]) -> Config {
    let target = |node: &Node| PostgresTarget::parse(&cluster.url(node, DATABASE)).unwrap();
    let mut config = Config::for_target(Target::Postgres(target(&cluster.primary)));
    config.read_replicas.replicas = standbys.iter().map(target).collect();
    config
}

/// Statements `node` ran that read `bench_rows`.
fn reads_on(cluster: &Cluster, node: &Node) -> u64 {
    cluster
        .psql(
            node,
            DATABASE,
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements \
             WHERE query LIKE '%FROM bench_rows WHERE%'",
        )
        .parse()
        .unwrap_or(0)
}

/// Reads per second of `sql` on `db` with `threads` threads for `seconds`.
fn measure(db: &Arc<Db>, sql: &'static str, threads: u64, seconds: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (db, stop, done) = (db.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut id = t * 7919 % ROWS as u64;
                while !stop.load(Ordering::Relaxed) {
                    id = (id * 31 + 17) % ROWS as u64 + 1;
                    let query = sql.replace("{id}", &id.to_string());
                    let value: i64 = db
                        .read(|conn| {
                            Ok::<_, Error>(
                                diesel::select(diesel::dsl::sql::<BigInt>(&query))
                                    .get_result(conn)?,
                            )
                        })
                        .unwrap();
                    assert!(value >= 0);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let Some(cluster) = Cluster::start(2) else {
        eprintln!("no PostgreSQL: nothing measured");
        return;
    };
    let seconds = env_number("ORIENT_BENCH_SECONDS", 3);
    let threads = env_number("ORIENT_BENCH_THREADS", 4);
    cluster.psql(
        &cluster.primary,
        "postgres",
        &format!("CREATE DATABASE {DATABASE}"),
    );
    if cluster.has_statements() {
        cluster.psql(
            &cluster.primary,
            DATABASE,
            "CREATE EXTENSION pg_stat_statements",
        );
    }
    // Migrated first: the migrator refuses to adopt a database holding tables it does not know.
    drop(Db::open(&config(&cluster, &[])).unwrap());
    cluster.psql(
        &cluster.primary,
        DATABASE,
        &format!(
            "CREATE TABLE bench_rows (id bigint PRIMARY KEY, v bigint NOT NULL); \
             INSERT INTO bench_rows SELECT i, i * 13 FROM generate_series(1, {ROWS}) AS i"
        ),
    );
    // Frozen on the primary, so the standbys (which cannot set hint bits themselves) read the same
    // pages as the primary does.
    cluster.psql(
        &cluster.primary,
        DATABASE,
        "VACUUM (FREEZE, ANALYZE) bench_rows",
    );
    for i in 0..cluster.standbys.len() {
        cluster.wait_replayed(i);
    }
    let nodes: Vec<&Node> = std::iter::once(&cluster.primary)
        .chain(cluster.standbys.iter())
        .collect();

    println!(
        "read replicas: {threads} reader threads, {seconds} s each, all servers on this machine \
         ({} CPUs)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| read | servers | reads/s | vs primary alone | share primary / standby 1 / standby 2 |"
    );
    println!("|---|---|---|---|---|");
    for (name, sql) in READS {
        let mut alone = 0.0;
        for standbys in 0..=cluster.standbys.len() {
            let db = Arc::new(Db::open(&config(&cluster, &cluster.standbys[..standbys])).unwrap());
            // Warm up: connections opened, replicas checked.
            measure(&db, sql, threads, 1);
            let before: Vec<u64> = nodes.iter().map(|n| reads_on(&cluster, n)).collect();
            let rate = measure(&db, sql, threads, seconds);
            let after: Vec<u64> = nodes.iter().map(|n| reads_on(&cluster, n)).collect();
            let counts: Vec<u64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
            let total = counts.iter().sum::<u64>().max(1);
            let shares = counts
                .iter()
                .map(|c| format!("{:.0}%", *c as f64 * 100.0 / total as f64))
                .collect::<Vec<_>>()
                .join(" / ");
            if standbys == 0 {
                alone = rate;
            }
            let servers = match standbys {
                0 => "primary alone".to_owned(),
                n => format!("primary + {n} standby(s)"),
            };
            println!(
                "| {name} | {servers} | {rate:.0} | {:.2}x | {} |",
                rate / alone,
                if cluster.has_statements() {
                    shares
                } else {
                    "(no pg_stat_statements)".to_owned()
                }
            );
        }
    }
}
