//! A per-test database (`orient_database::testing`): a copy of the template migrated once per process,
//! against migrating a fresh file the way a test did before (`Db::open` on a new path). Both sides
//! include everything a test pays: making the directory, getting an open `Db`, and deleting it all.
//!
//! `*_ready` time only what a test waits for before it starts (the database made and open); the others
//! include closing and deleting it when the test ends. On a file system that discards freed blocks at
//! once (ext4 mounted with `discard`), deleting a fresh 580 KB file alone takes over a millisecond.
//!
//! `copy_step` compares the ways of making the copy from the same checkpointed template, the step the
//! design had to choose: writing the template's bytes (what `testing` does), `std::fs::copy` of the
//! template file, SQLite's online backup API and `VACUUM INTO`.
//!
//! `ORIENT_BENCH_ITERATIONS=<side>:<n>` (side `copy` or `migrate`) runs one side n times without
//! criterion, prints the wall and CPU time per database and exits: for CPU time on a busy machine, and
//! for instruction counts under callgrind, where the difference between two counts (n and 1 iterations)
//! divided by n - 1 is the cost of one database without the process's setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group};
use diesel::connection::SimpleConnection;
use orient_database::db::Db;
use orient_database::testing::TestDb;

/// A new database migrated exactly as a test used to make one: a new file opened with `Db::open`.
fn migrated_fresh_file() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_path(dir.path().join("orient.db")).unwrap();
    assert_eq!(db.opened().applied_migrations.len(), 2);
    (db, dir)
}

/// One test's whole use of a database, made by migrating: create, then close and delete.
fn migrate_fresh_file() {
    let (db, dir) = migrated_fresh_file();
    drop(db);
    drop(dir);
}

/// One test's whole use of a database, copied from the template: create, then close and delete.
fn copy_of_template() {
    drop(TestDb::new().unwrap());
}

fn per_test_database(c: &mut Criterion) {
    // The template is built on first use, once per process: not part of any test's cost.
    drop(TestDb::new().unwrap());
    let mut group = c.benchmark_group("per_test_database");
    // What a test pays in all: making the database, and closing and deleting it when it ends.
    group.bench_function("copy_of_template", |b| b.iter(copy_of_template));
    group.bench_function("migrate_fresh_file", |b| b.iter(migrate_fresh_file));
    // What a test waits for before its first line runs (closing and deleting are not timed: criterion
    // drops what the routine returns after the measurement).
    group.bench_function("copy_of_template_ready", |b| {
        b.iter_batched(|| (), |()| TestDb::new().unwrap(), BatchSize::PerIteration)
    });
    group.bench_function("migrate_fresh_file_ready", |b| {
        b.iter_batched(|| (), |()| migrated_fresh_file(), BatchSize::PerIteration)
    });
    group.finish();
}

/// A migrated database in `dir`, checkpointed and closed: what the template is.
fn template_file(dir: &Path) -> PathBuf {
    let path = dir.join("template.db");
    let db = Db::open_path(&path).unwrap();
    db.writer()
        .unwrap()
        .batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(db);
    assert!(!dir.join("template.db-wal").exists());
    path
}

fn copy_step(c: &mut Criterion) {
    let source_dir = tempfile::tempdir().unwrap();
    let template = template_file(source_dir.path());
    let bytes = std::fs::read(&template).unwrap();
    let source = rusqlite::Connection::open(&template).unwrap();
    let mut group = c.benchmark_group("copy_step");
    // Each iteration writes into a new directory, removed outside the measurement.
    let target = || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orient.db");
        (dir, path)
    };
    group.bench_function("write_bytes", |b| {
        b.iter_batched(
            target,
            |(dir, path)| {
                std::fs::write(&path, &bytes).unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("fs_copy", |b| {
        b.iter_batched(
            target,
            |(dir, path)| {
                std::fs::copy(&template, &path).unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("backup_api", |b| {
        b.iter_batched(
            target,
            |(dir, path)| {
                let mut to = rusqlite::Connection::open(&path).unwrap();
                rusqlite::backup::Backup::new(&source, &mut to)
                    .unwrap()
                    .run_to_completion(i32::MAX, Duration::ZERO, None)
                    .unwrap();
                drop(to);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("vacuum_into", |b| {
        b.iter_batched(
            target,
            |(dir, path)| {
                source
                    .execute("VACUUM INTO ?1", [path.to_string_lossy()])
                    .unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The CPU time this process has used so far, all threads, user and system (`/proc/self/stat`, in clock
/// ticks of 10 ms: run enough iterations).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |t| t.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = per_test_database, copy_step
}

fn main() {
    if let Ok(spec) = std::env::var("ORIENT_BENCH_ITERATIONS") {
        let (side, n) = spec
            .split_once(':')
            .and_then(|(side, n)| Some((side.to_owned(), n.parse::<u32>().ok()?)))
            .expect("ORIENT_BENCH_ITERATIONS=copy:<n> or migrate:<n>");
        let run: fn() = match side.as_str() {
            "copy" => copy_of_template,
            "migrate" => migrate_fresh_file,
            other => panic!("ORIENT_BENCH_ITERATIONS: unknown side {other}; copy or migrate"),
        };
        // The process's one-time setup (the template, for `copy`) is in both counts and cancels out.
        drop(TestDb::new().unwrap());
        let (wall, cpu) = (Instant::now(), cpu_time());
        for _ in 0..n {
            run();
        }
        let per = |total: Duration| total.as_secs_f64() * 1e3 / f64::from(n.max(1));
        // On a shared machine the wall time includes waiting for a CPU; the CPU time (every thread of
        // the process, user and system) does not.
        eprintln!(
            "{side}: {n} databases, {:.3} ms wall and {:.3} ms CPU each",
            per(wall.elapsed()),
            per(cpu_time().saturating_sub(cpu))
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
