//! The tools' own costs: migrating a fresh database, `check` and `push` when there is nothing to do
//! (34 tables), and rebuilding a 1M-row table against the same rebuild written as raw SQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::borrow::Cow;
use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use orient_database::check::{check_database, check_migrations};
use orient_database::db::DbConnection;
use orient_database::db::connection::{self, Access};
use orient_database::dialect::sqlite::Sqlite;
use orient_database::dialect::sqlite::replay_migrations as replay;
use orient_database::engine::EngineConnection;
use orient_database::migrations;
use orient_database::model::{DefaultValue, Schema};
use orient_database::push::{PushOptions, push};
use orient_database::schema::TABLES;

fn declared() -> Schema {
    Schema::from_declared(TABLES)
}

fn migrate_and_check(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let mut group = c.benchmark_group("tooling");
    group.bench_function("migrate_fresh_database", |b| {
        b.iter_batched(
            || {
                counter.set(counter.get() + 1);
                dir.path().join(format!("fresh-{}.db", counter.get()))
            },
            |path| {
                let (conn, opened) = orient_database::db::open_writer(&path, true).unwrap();
                assert_eq!(opened.applied_migrations.len(), 2);
                drop(conn);
                let _ = std::fs::remove_file(&path);
            },
            BatchSize::PerIteration,
        )
    });

    let path = common::fresh(dir.path(), "up-to-date.db");
    group.bench_function("check_up_to_date_34_tables", |b| {
        b.iter(|| {
            // What `orient-db check` does: replay the migrations in memory, read the live schema,
            // compare both with the structs.
            let replayed = replay(&migrations::embedded().unwrap()).unwrap().schema;
            let declared = declared();
            assert!(check_migrations(&replayed, &declared, &Sqlite).clean);
            let mut conn = connection::open_read_only(&path).unwrap();
            let live = conn.introspect().unwrap().schema;
            assert!(check_database(Some(&live), &declared, &Sqlite).clean);
        })
    });
    group.bench_function("push_noop_34_tables", |b| {
        let mut conn = connection::establish(&path, Access::ReadWrite).unwrap();
        b.iter(|| {
            let report = push(&mut conn, &declared(), PushOptions::default()).unwrap();
            assert!(!report.executed);
        })
    });
    group.finish();
}

/// `messages.is_group` defaulting to true instead of false: pushing either schema onto the other rebuilds
/// `messages`.
fn drifted() -> Schema {
    let mut schema = declared();
    let messages = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "messages")
        .unwrap();
    messages
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name == "is_group")
        .unwrap()
        .default = Some(DefaultValue::Bool(true));
    schema
}

fn million_messages(path: &Path) {
    let mut conn = connection::establish(path, Access::ReadWrite).unwrap();
    conn.batch_execute("PRAGMA journal_mode = WAL;").unwrap();
    push(&mut conn, &declared(), PushOptions::default()).unwrap();
    conn.batch_execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp, created_at, media_type)
         SELECT printf('3EB0%012X', i), CASE i % 2 WHEN 0 THEN 'incoming' ELSE 'outgoing' END,
                (4915000000 + i % 1000) || '@s.whatsapp.net', '+' || (4915000000 + i % 1000),
                'message number ' || i || ', with a little text in it to be realistic', i % 3 = 0,
                1769987409 + i, 1769987409 + i, CASE WHEN i % 10 = 0 THEN 'image' END FROM n;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
}

/// The same rebuild as raw SQL: what a careful hand-written migration would run.
fn raw_rebuild(conn: &mut DbConnection, is_group_default: &str) {
    let sql = format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE \"new_messages\" (
            \"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"message_id\" text, \"direction\" text NOT NULL,
            \"jid\" text NOT NULL, \"phone\" text NOT NULL, \"text\" text NOT NULL,
            \"is_group\" integer DEFAULT {is_group_default} NOT NULL, \"group_id\" text, \"timestamp\" integer NOT NULL,
            \"created_at\" integer, \"media_type\" text, \"media_path\" text, \"media_mime_type\" text,
            \"transcribed_text\" text, \"transcribed_language\" text);
         INSERT INTO \"new_messages\" SELECT id, message_id, direction, jid, phone, text, is_group, group_id,
            timestamp, created_at, media_type, media_path, media_mime_type, transcribed_text, transcribed_language
            FROM \"messages\";
         DROP TABLE \"messages\";
         ALTER TABLE \"new_messages\" RENAME TO \"messages\";
         CREATE UNIQUE INDEX \"messages_message_id_unique\" ON \"messages\" (\"message_id\");
         CREATE INDEX \"idx_messages_phone\" ON \"messages\" (\"phone\");
         CREATE INDEX \"idx_messages_timestamp\" ON \"messages\" (\"timestamp\");
         CREATE INDEX \"idx_messages_direction\" ON \"messages\" (\"direction\");
         CREATE INDEX \"idx_messages_is_group\" ON \"messages\" (\"is_group\");
         CREATE INDEX \"idx_messages_group_id\" ON \"messages\" (\"group_id\");
         CREATE INDEX \"idx_messages_media_type\" ON \"messages\" (\"media_type\");
         COMMIT;"
    );
    conn.batch_execute(&sql).unwrap();
}

fn rebuild(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.db");
    million_messages(&path);
    let mut group = c.benchmark_group("rebuild_1m_rows");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));

    // Each iteration flips the schema, so every push is a full rebuild of the same table.
    let schemas = [drifted(), declared()];
    let flip = Cell::new(0usize);
    group.bench_function("orient_push", |b| {
        let mut conn = connection::establish(&path, Access::ReadWrite).unwrap();
        b.iter(|| {
            let i = flip.get();
            flip.set(i + 1);
            let report = push(&mut conn, &schemas[i % 2], PushOptions::default()).unwrap();
            assert!(report.plan.rebuilds());
        })
    });
    // Leave the declared schema for the raw side.
    {
        let mut conn = connection::establish(&path, Access::ReadWrite).unwrap();
        push(&mut conn, &declared(), PushOptions::default()).unwrap();
    }
    let defaults = [Cow::Borrowed("true"), Cow::Borrowed("false")];
    let raw_flip = Cell::new(0usize);
    group.bench_function("raw_sql", |b| {
        let mut conn = connection::establish(&path, Access::ReadWrite).unwrap();
        b.iter(|| {
            let i = raw_flip.get();
            raw_flip.set(i + 1);
            raw_rebuild(&mut conn, &defaults[i % 2]);
        })
    });
    group.finish();
}

fn seed(c: &mut Criterion) {
    use orient_seed::{Options, run};
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let mut group = c.benchmark_group("seed");
    // What `cargo run -p orient-seed` does on a fresh clone: create, migrate, seed in one transaction.
    group.bench_function("full_seed", |b| {
        b.iter_batched(
            || {
                counter.set(counter.get() + 1);
                orient_database::db::Config::for_path(
                    dir.path().join(format!("seed-{}.db", counter.get())),
                )
            },
            |config| {
                let report = run(&config, orient_seed::REGISTRY, &Options::default()).unwrap();
                assert_eq!(report.totals.inserted, 89);
                let _ = std::fs::remove_file(config.sqlite_path().unwrap());
            },
            BatchSize::PerIteration,
        )
    });
    let config = orient_database::db::Config::for_path(dir.path().join("seeded.db"));
    run(&config, orient_seed::REGISTRY, &Options::default()).unwrap();
    group.bench_function("rerun", |b| {
        b.iter(|| {
            let report = run(&config, orient_seed::REGISTRY, &Options::default()).unwrap();
            assert_eq!(report.totals.inserted + report.totals.updated, 0);
        })
    });
    group.finish();
}

criterion_group!(benches, migrate_and_check, seed, rebuild);
criterion_main!(benches);
