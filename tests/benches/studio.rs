//! The studio's pages on a table of a million rows: the first page and a next page must answer in well
//! under 100 ms, however deep the page (keyset pagination, never OFFSET).
//!
//! `cargo bench -p orient-tests --bench studio`. Builds a migrated database with 1 000 000 `messages` in
//! a temporary file (a few seconds), then times the page functions the HTTP handlers call
//! (`orient_database::studio::pages`), each on a fresh `query_only` read transaction as a request
//! gets it. A cursor is what the page hands back as `next`; here deep ones are written out directly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use orient_database::studio::Studio;
use orient_database::studio::pages;
use orient_database::studio::query::{Filter, FilterOp, PageRequest};

const ROWS: i64 = 1_000_000;

fn database(dir: &std::path::Path) -> std::path::PathBuf {
    let path = common::fresh(dir, "studio-1m.db");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    conn.batch_execute(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, group_id, timestamp,
                               created_at, media_type)
         SELECT 'msg-' || i, CASE WHEN i % 3 = 0 THEN 'outgoing' ELSE 'incoming' END,
                '97250' || (i % 5000) || '@s.whatsapp.net', '+97250' || (i % 5000),
                'Message number ' || i || ': ' || substr('lorem ipsum dolor sit amet consectetur', 1, i % 38),
                i % 5 = 0, CASE WHEN i % 5 = 0 THEN 'group-' || (i % 97) END,
                1700000000 + i * 30, 1700000000 + i * 30, CASE WHEN i % 11 = 0 THEN 'image' END
         FROM n;
         PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;"
    ))
    .unwrap();
    path
}

fn request(sort: Option<&str>, descending: bool, after: Option<String>) -> PageRequest {
    PageRequest {
        sort: sort.map(str::to_owned),
        descending,
        after,
        ..PageRequest::default()
    }
}

fn studio_pages(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let studio = Studio::open(&path, false).unwrap();
    let middle = ROWS / 2;
    // (criterion id, page). `first_page_1m` and `next_page_1m` (by id, after row 500 000) are the
    // figures BENCHMARKS.md checks against the issue's 100 ms; the others show that every order and
    // depth costs the same.
    let cases: Vec<(&str, PageRequest)> = vec![
        ("first_page_1m", request(None, false, None)),
        (
            "next_page_1m",
            request(
                None,
                false,
                Some(format!(
                    r#"{{"c":"","d":false,"s":null,"k":[{{"I":{middle}}}]}}"#
                )),
            ),
        ),
        ("first_page_1m_id_descending", request(None, true, None)),
        (
            "first_page_1m_newest_timestamp_first",
            request(Some("timestamp"), true, None),
        ),
        (
            "next_page_1m_timestamp_descending",
            request(
                Some("timestamp"),
                true,
                Some(format!(
                    r#"{{"c":"timestamp","d":true,"s":{{"I":{}}},"k":[{{"I":{middle}}}]}}"#,
                    1_700_000_000 + middle * 30
                )),
            ),
        ),
        (
            // 800 000 rows share is_group = 0: the page continues inside that run by (value, id).
            "next_page_1m_inside_a_run_of_equal_values",
            request(
                Some("is_group"),
                false,
                Some(format!(
                    r#"{{"c":"is_group","d":false,"s":{{"I":0}},"k":[{{"I":{middle}}}]}}"#
                )),
            ),
        ),
        (
            // group_id is NULL in 4 rows of 5: the NULL region, then the values.
            "next_page_1m_inside_the_nulls",
            request(
                Some("group_id"),
                false,
                Some(format!(
                    r#"{{"c":"group_id","d":false,"s":"N","k":[{{"I":{}}}]}}"#,
                    ROWS - 10
                )),
            ),
        ),
        (
            "first_page_1m_filtered_on_an_indexed_column",
            PageRequest {
                filters: vec![Filter {
                    column: "phone".into(),
                    op: FilterOp::Eq,
                    value: "+972504242".into(),
                }],
                ..PageRequest::default()
            },
        ),
    ];
    let mut group = c.benchmark_group("studio");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    for (name, page_request) in &cases {
        let page = pages::table_page(&studio, "messages", page_request).unwrap();
        assert_eq!(page.rows.len(), 50, "{name}");
        group.bench_function(*name, |b| {
            b.iter(|| black_box(pages::table_page(&studio, "messages", page_request).unwrap()))
        });
    }
    group.bench_function("row_page_1m", |b| {
        b.iter(|| black_box(pages::row(&studio, "messages", "500000").unwrap()))
    });
    group.finish();
}

criterion_group!(benches, studio_pages);
criterion_main!(benches);
