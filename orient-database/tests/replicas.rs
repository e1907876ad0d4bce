//! Read replicas (`DATABASE_READ_URL`) with read-your-writes, against a real primary and streaming
//! standbys each test starts for itself (`orient_testkit::replication`): every read sees this process's
//! own write; a read-heavy mix is served by the standby (counted on the servers, by
//! `pg_stat_statements`); a standby stopped mid-run costs callers no error, and is used again once
//! restarted; a standby whose migration ledger is behind is skipped until it catches up. And the
//! configuration: a malformed `DATABASE_READ_URL`, or one beside an SQLite database, is exit 2.
//!
//! `ORIENT_REQUIRE_POSTGRES=1 cargo test -p orient-database --features postgres --test replicas`.
//! `ORIENT_REPLICA_ITERATIONS` changes the count of the 10,000-iteration write-then-read test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_testkit::process::command_in;

fn orient_db() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_orient-db"))
}

/// `orient-db path` in a scratch project with `env`.
fn path_command(env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("diesel.toml"), "").unwrap();
    let out = command_in(orient_db(), dir.path(), &["path"], env);
    let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(created.len(), 1, "a refused configuration creates nothing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn read_replicas_beside_an_sqlite_database_are_a_configuration_error() {
    let (code, stderr) = path_command(&[
        ("SQLITE_DATABASE", "orient.db"),
        (
            "DATABASE_READ_URL",
            "postgres://app:s3cret@replica:5432/orient",
        ),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("DATABASE_READ_URL"), "{stderr}");
    assert!(stderr.contains("SQLite file"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn a_bad_replica_knob_is_a_configuration_error_naming_it() {
    for variable in [
        "ORIENT_REPLICA_WAIT_MS",
        "ORIENT_REPLICA_MAX_LAG_MS",
        "ORIENT_REPLICA_RECHECK_MS",
    ] {
        let (code, stderr) = path_command(&[("SQLITE_DATABASE", "orient.db"), (variable, "soon")]);
        assert_eq!(code, 2, "{variable}: {stderr}");
        assert!(stderr.contains(&format!("{variable}=soon")), "{stderr}");
        assert!(stderr.contains("milliseconds"), "{stderr}");
    }
}

#[test]
fn a_malformed_database_read_url_is_a_configuration_error_without_its_password() {
    if !orient_database::db::target::POSTGRES_BUILT {
        return;
    }
    for (value, says) in [
        ("postgres://app:s3cret@replica:99999/orient", "port"),
        (
            "postgres://app:s3cret@a/orient,,postgres://b/orient",
            "entry 2 is empty",
        ),
        ("postgres://app:s3cret@a/orient,", "entry 2 is empty"),
        ("replica.example.com", "postgres://"),
    ] {
        let (code, stderr) = path_command(&[
            ("DATABASE_URL", "postgres://app:s3cret@primary:5432/orient"),
            ("DATABASE_READ_URL", value),
        ]);
        assert_eq!(code, 2, "{value}: {stderr}");
        assert!(stderr.contains("DATABASE_READ_URL"), "{value}: {stderr}");
        assert!(stderr.contains(says), "{value}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{value}: {stderr}");
    }
}

#[cfg(feature = "postgres")]
mod cluster {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    use orient_database::db::target::{PostgresTarget, Target};
    use orient_database::db::{Config, Db, DbConnection, Error};
    use orient_testkit::replication::{Cluster, Node};

    const DATABASE: &str = "orient";

    /// The read every test counts: one row of the probe table.
    const READ: &str = "(SELECT v FROM replica_probe WHERE id = 1)";

    fn target(url: &str) -> PostgresTarget {
        PostgresTarget::parse(url).unwrap()
    }

    /// A configuration of the cluster's primary with every standby as a replica.
    fn config(cluster: &Cluster, recheck: Duration) -> Config {
        let mut config = Config::for_target(Target::Postgres(target(
            &cluster.url(&cluster.primary, DATABASE),
        )));
        config.read_replicas.replicas = cluster
            .standbys
            .iter()
            .map(|node| target(&cluster.url(node, DATABASE)))
            .collect();
        config.read_replicas.recheck = recheck;
        config
    }

    /// A cluster with the database created and, when `pg_stat_statements` is installed, its view.
    fn cluster(standbys: usize) -> Option<Cluster> {
        let cluster = Cluster::start(standbys)?;
        cluster.psql(
            &cluster.primary,
            "postgres",
            &format!("CREATE DATABASE {DATABASE}"),
        );
        assert!(
            cluster.has_statements(),
            "these tests count statements on the servers with pg_stat_statements, which this \
             PostgreSQL does not have (Debian's postgresql package includes it)"
        );
        cluster.psql(
            &cluster.primary,
            DATABASE,
            "CREATE EXTENSION pg_stat_statements",
        );
        Some(cluster)
    }

    fn create_probe(db: &Db) {
        db.transaction(|tx| {
            diesel::sql_query(
                "CREATE TABLE replica_probe (id bigint PRIMARY KEY, v bigint NOT NULL)",
            )
            .execute(tx)?;
            diesel::sql_query("INSERT INTO replica_probe VALUES (1, 0)").execute(tx)?;
            Ok::<_, Error>(())
        })
        .unwrap();
    }

    fn write(db: &Db, value: i64) {
        db.transaction(|tx| {
            diesel::sql_query(format!("UPDATE replica_probe SET v = {value} WHERE id = 1"))
                .execute(tx)?;
            Ok::<_, Error>(())
        })
        .unwrap();
    }

    fn read_on(conn: &mut DbConnection) -> Result<i64, Error> {
        Ok(diesel::select(diesel::dsl::sql::<BigInt>(READ)).get_result(conn)?)
    }

    fn read(db: &Db) -> i64 {
        db.read(read_on).unwrap()
    }

    /// How many times `node` has run the probe read (from `pg_stat_statements`, on that server).
    fn reads_on(cluster: &Cluster, node: &Node) -> u64 {
        cluster
            .psql(
                node,
                DATABASE,
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements \
                 WHERE query LIKE '%FROM replica_probe WHERE%' AND query NOT LIKE 'UPDATE%'",
            )
            .parse()
            .unwrap()
    }

    /// Sets the flag when dropped.
    struct StopOnDrop(Arc<std::sync::atomic::AtomicBool>);

    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// Log lines of the library, captured for assertions about its warnings.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }

        fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
            let writer = self.clone();
            tracing_subscriber::fmt()
                .with_env_filter("orient_database=info")
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish()
        }
    }

    /// The figure: 10,000 writes, each read back at once (about 5 ms an iteration on a
    /// loaded 2-core machine, so under a minute; CI runs it).
    #[test]
    fn every_read_after_a_write_sees_it_ten_thousand_times() {
        write_then_read(10_000);
    }

    /// `iterations` (or `ORIENT_REPLICA_ITERATIONS`) writes, each read back at once through `Db::read`.
    fn write_then_read(iterations: i64) {
        let Some(cluster) = cluster(1) else { return };
        let db = Db::open(&config(&cluster, Duration::from_secs(1))).unwrap();
        create_probe(&db);
        // So that the share printed below is the steady state's (see the read-heavy test).
        cluster.wait_replayed(0);
        let iterations: i64 = std::env::var("ORIENT_REPLICA_ITERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(iterations);
        let (primary_before, standby_before) = (
            reads_on(&cluster, &cluster.primary),
            reads_on(&cluster, &cluster.standbys[0]),
        );
        let started = Instant::now();
        for i in 1..=iterations {
            write(&db, i);
            assert_eq!(read(&db), i, "iteration {i} read a stale value");
        }
        let on_primary = reads_on(&cluster, &cluster.primary) - primary_before;
        let on_standby = reads_on(&cluster, &cluster.standbys[0]) - standby_before;
        eprintln!(
            "{iterations} write-then-read iterations in {:?}: {on_standby} reads on the standby, \
             {on_primary} on the primary",
            started.elapsed()
        );
        assert_eq!(on_primary + on_standby, u64::try_from(iterations).unwrap());
    }

    #[test]
    fn a_read_heavy_mix_is_served_by_the_standbys() {
        let Some(cluster) = cluster(1) else { return };
        let db = Db::open(&config(&cluster, Duration::from_secs(1))).unwrap();
        create_probe(&db);
        // Until the standby has replayed the migrations `Db::open` applied, its ledger is behind and it
        // is (rightly) skipped for a recheck interval, longer than this whole run on a quiet machine.
        cluster.wait_replayed(0);
        let (primary_before, standby_before) = (
            reads_on(&cluster, &cluster.primary),
            reads_on(&cluster, &cluster.standbys[0]),
        );
        // One write in twenty operations; each read must see the last write.
        let mut value = 0;
        let mut reads = 0u64;
        for op in 1..=4000 {
            if op % 20 == 0 {
                value += 1;
                write(&db, value);
            } else {
                assert_eq!(read(&db), value);
                reads += 1;
            }
        }
        let on_primary = reads_on(&cluster, &cluster.primary) - primary_before;
        let on_standby = reads_on(&cluster, &cluster.standbys[0]) - standby_before;
        assert_eq!(on_primary + on_standby, reads);
        assert!(
            on_standby * 10 >= reads * 9,
            "{on_standby} of {reads} reads on the standby ({on_primary} on the primary)"
        );
    }

    #[test]
    fn a_standby_stopped_mid_run_costs_no_error_and_is_used_again_once_restarted() {
        let Some(cluster) = cluster(1) else { return };
        let recheck = Duration::from_millis(200);
        let db = Arc::new(Db::open(&config(&cluster, recheck)).unwrap());
        create_probe(&db);
        // Not skipped at the start for a ledger still behind (see the read-heavy test): the one warning
        // counted below is the stop's.
        cluster.wait_replayed(0);
        let captured = Captured::default();
        let _log = tracing::subscriber::set_default(captured.subscriber());
        let standby = &cluster.standbys[0];

        // Readers on other threads, each checking every read, while the standby goes away.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Should an assertion below fail, the readers stop before the cluster goes away with the test
        // (else their reads fail on the stopped servers and bury the first failure under theirs).
        let _stop_readers = StopOnDrop(stop.clone());
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let db = db.clone();
                let stop = stop.clone();
                let subscriber = captured.subscriber();
                std::thread::spawn(move || {
                    let _log = tracing::subscriber::set_default(subscriber);
                    let mut count = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Acquire) {
                        let value = db.read(read_on).expect("no read fails");
                        assert!(value >= 0);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        let mut value = 0;
        let mut ops = |n: usize| {
            for _ in 0..n {
                value += 1;
                write(&db, value);
                assert_eq!(read(&db), value);
            }
        };
        ops(200);
        let served_before_stop = reads_on(&cluster, standby);
        assert!(served_before_stop > 0, "the standby served reads");

        cluster.stop_standby(0);
        let primary_at_stop = reads_on(&cluster, &cluster.primary);
        ops(300);
        assert!(
            reads_on(&cluster, &cluster.primary) >= primary_at_stop + 300,
            "reads continued on the primary"
        );
        let log = captured.text();
        assert_eq!(
            log.matches("read replica skipped").count(),
            1,
            "one warning for the transition, not one per read:\n{log}"
        );

        cluster.start_standby(0);
        let restarted = reads_on(&cluster, standby);
        let deadline = Instant::now() + Duration::from_secs(30);
        while reads_on(&cluster, standby) <= restarted {
            assert!(
                Instant::now() < deadline,
                "the restarted standby serves no reads"
            );
            ops(20);
            std::thread::sleep(recheck / 4);
        }
        stop.store(true, std::sync::atomic::Ordering::Release);
        let total: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(total > 0);
        let log = captured.text();
        assert!(log.contains("read replica recovered"), "{log}");
    }

    #[test]
    fn a_standby_whose_ledger_is_behind_is_skipped_until_it_catches_up() {
        let Some(cluster) = cluster(1) else { return };
        let recheck = Duration::from_millis(100);
        let config = config(&cluster, recheck);
        // The primary migrated up to the last migration but one, the standby replaying that, then
        // paused: after the last migration the standby's ledger lacks it.
        let all = orient_database::migrations::source::embedded_for(&config.target).unwrap();
        let (mut conn, _) = orient_database::db::open_config_writer(&config, false).unwrap();
        orient_database::migrations::migrator::migrate(
            &mut conn,
            &config.target,
            &all[..all.len() - 1],
        )
        .unwrap();
        drop(conn);
        cluster.wait_replayed(0);
        let standby = &cluster.standbys[0];
        cluster.psql(standby, "postgres", "SELECT pg_wal_replay_pause()");
        let db = Db::open(&config).unwrap();
        create_probe(&db);

        let captured = Captured::default();
        let _log = tracing::subscriber::set_default(captured.subscriber());
        for _ in 0..50 {
            assert_eq!(read(&db), 0);
            std::thread::sleep(recheck / 10);
        }
        let log = captured.text();
        assert!(log.contains("migration ledger is behind"), "{log}");
        assert!(log.contains(all[all.len() - 1].name.as_ref()), "{log}");
        assert_eq!(log.matches("read replica skipped").count(), 1, "{log}");

        cluster.psql(standby, "postgres", "SELECT pg_wal_replay_resume()");
        cluster.wait_replayed(0);
        let deadline = Instant::now() + Duration::from_secs(30);
        while reads_on(&cluster, standby) == 0 {
            assert!(
                Instant::now() < deadline,
                "the standby is not used after catching up"
            );
            assert_eq!(read(&db), 0);
            std::thread::sleep(recheck / 10);
        }
        assert!(captured.text().contains("read replica recovered"));
    }
}
