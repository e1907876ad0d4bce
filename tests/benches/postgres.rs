//! Our layer on PostgreSQL against raw prepared statements and raw COPY with the `postgres` crate (the
//! synchronous client), side by side in one process, on one throwaway server
//! (`orient_testkit::postgres::server()`), one database, one 100k-row `messages` table.
//!
//! Both sides talk to the server over the same Unix socket (`Server::socket_dir()`): ours through
//! `DATABASE_URL=postgres://postgres@/<db>?host=<socket dir>&port=<port>` (libpq, through Diesel and
//! the `db::DbConnection` enum of a build with PostgreSQL), the reference through
//! `postgres::Config::host_path`. Groups mirror `queries.rs`: point_lookup, filtered_100_rows,
//! load_all_100k, join_agents_skills_1000, insert_one_in_transaction, insert_all_100k.
//!
//! `cargo bench -p orient-tests --features postgres --bench postgres`. Without PostgreSQL binaries it
//! says so and measures nothing (with `ORIENT_REQUIRE_POSTGRES=1` that is a failure).
//!
//! Client-side instruction counts: `ORIENT_BENCH_COUNT=1 valgrind --tool=callgrind
//! --collect-atstart=no --toggle-collect='*ir_*' target/release/deps/postgres-…` runs each scenario a
//! fixed number of times inside a function named `ir_<scenario>_<side>` (no criterion), so that
//! `callgrind_annotate --inclusive=yes` gives each one's instructions; scripts/bench_postgres_ir.sh does
//! that and divides by the count. Callgrind sees this process only, never the server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

mod common;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use diesel::prelude::*;
use orient_database::db::{self, Config, Db, DbConnection};
use orient_database::schema::{
    Agent, AgentSkill, Message, NewAgent, NewAgentSkill, NewMessage, agent_skills, agents, messages,
};
use orient_database::types::Timestamp;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Row, Statement};

use common::{MESSAGE_COLUMNS, ROWS};

/// The columns an insert writes, in the order of [`params`] and [`INSERT_TYPES`].
const INSERT_COLUMNS: &str = "message_id, direction, jid, phone, text, is_group, group_id, timestamp, \
     created_at, media_type, media_path, media_mime_type, transcribed_text, transcribed_language";

const INSERT_TYPES: [Type; 14] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

const JOIN_SQL: &str = "SELECT a.id, a.name, a.description, a.mode, a.model_default, a.model_fallback, \
     a.model_tier, a.base_prompt, a.enabled, a.created_at, a.updated_at, \
     s.id, s.agent_id, s.skill_name, s.enabled, s.created_at \
     FROM agents AS a JOIN agent_skills AS s ON s.agent_id = a.id";

/// One database on the test server, reached by both sides over its Unix socket.
struct Setup {
    /// Ours, opened as a service opens it (`DATABASE_URL`), migrated at open.
    db: Db,
    /// The reference: the `postgres` crate on the same socket and database.
    raw: Client,
    rows: Vec<NewMessage>,
    _dir: tempfile::TempDir,
}

fn setup() -> Option<Setup> {
    let Some(server) = orient_testkit::postgres::server() else {
        eprintln!("no PostgreSQL server: nothing measured");
        return None;
    };
    let name = server.create_database("bench");
    let socket = server.socket_dir();
    let url = format!(
        "postgres://postgres@/{name}?host={}&port={}",
        socket.display(),
        server.port
    );
    let dir = tempfile::tempdir().unwrap();
    let env = BTreeMap::from([("DATABASE_URL".to_owned(), url)]);
    let db = Db::open(&Config::resolve(dir.path(), &env).unwrap()).unwrap();
    let raw = postgres::Config::new()
        .user("postgres")
        .dbname(&name)
        .host_path(socket)
        .port(server.port)
        .connect(NoTls)
        .unwrap();
    let rows = common::messages(ROWS);
    let setup = Setup {
        db,
        raw,
        rows,
        _dir: dir,
    };
    write_environment(server.psql("postgres", "SHOW server_version"), socket);
    Some(setup)
}

/// `messages` empty with its identity restarted, and 100k rows in it; 50 agents with 20 skills each.
fn populate(s: &mut Setup) {
    s.raw
        .batch_execute("TRUNCATE messages, agent_skills, agents RESTART IDENTITY CASCADE")
        .unwrap();
    let rows = &s.rows;
    s.db.transaction(|tx| {
        NewMessage::insert_all(tx, rows)?;
        for a in 0..50 {
            let id = format!("agent-{a}");
            diesel::insert_into(agents::table)
                .values(&NewAgent::new(id.clone(), format!("Agent {a}")))
                .execute(tx)?;
            let skills: Vec<NewAgentSkill> = (0..20)
                .map(|k| NewAgentSkill::new(id.clone(), format!("skill-{k}")))
                .collect();
            NewAgentSkill::insert_all(tx, &skills)?;
        }
        Ok::<_, db::Error>(())
    })
    .unwrap();
    // Fresh statistics, so both sides run under the plans the server would choose in steady state.
    s.raw.batch_execute("VACUUM ANALYZE").unwrap();
}

/// The server's version and the transport, for BENCHMARKS.md.
fn write_environment(version: String, socket: &Path) {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("postgres-env.json"),
        serde_json::json!({
            "server_version": version,
            "transport": format!("Unix socket ({})", socket.display()),
            "server_settings": "fsync=off, synchronous_commit=off, full_page_writes=off (orient_testkit's throwaway cluster)",
        })
        .to_string(),
    )
    .unwrap();
}

/// A `Message` from a raw row of `SELECT {MESSAGE_COLUMNS}`, building the struct the typed path builds
/// (enums matched on the borrowed text).
fn message_from_row(row: &Row) -> Message {
    Message {
        id: row.get(0),
        message_id: row.get(1),
        direction: row.get::<_, &str>(2).parse().unwrap(),
        jid: row.get(3),
        phone: row.get(4),
        text: row.get(5),
        is_group: row.get(6),
        group_id: row.get(7),
        timestamp: Timestamp::from_unix_seconds(row.get(8)),
        created_at: row
            .get::<_, Option<i64>>(9)
            .map(Timestamp::from_unix_seconds),
        media_type: row.get::<_, Option<&str>>(10).map(|s| s.parse().unwrap()),
        media_path: row.get(11),
        media_mime_type: row.get(12),
        transcribed_text: row.get(13),
        transcribed_language: row.get(14),
    }
}

fn agent_and_skill(r: &Row) -> (Agent, AgentSkill) {
    let ts = |v: Option<i64>| v.map(Timestamp::from_unix_seconds);
    (
        Agent {
            id: r.get(0),
            name: r.get(1),
            description: r.get(2),
            mode: r.get::<_, Option<&str>>(3).map(|s| s.parse().unwrap()),
            model_default: r.get(4),
            model_fallback: r.get(5),
            model_tier: r.get::<_, Option<&str>>(6).map(|s| s.parse().unwrap()),
            base_prompt: r.get(7),
            enabled: r.get(8),
            created_at: ts(r.get(9)),
            updated_at: ts(r.get(10)),
        },
        AgentSkill {
            id: r.get(11),
            agent_id: r.get(12),
            skill_name: r.get(13),
            enabled: r.get(14),
            created_at: ts(r.get(15)),
        },
    )
}

/// The insert parameters of `m`, in the order of [`INSERT_COLUMNS`]; the values converted from our
/// types are computed by the caller ([`converted`]), so that they outlive the array.
macro_rules! params {
    ($m:expr, ($direction:ident, $ts:ident, $created:ident, $media:ident)) => {{
        let m = $m;
        [
            &m.message_id as &(dyn ToSql + Sync),
            &$direction,
            &m.jid,
            &m.phone,
            &m.text,
            &m.is_group,
            &m.group_id,
            &$ts,
            &$created,
            &$media,
            &m.media_path,
            &m.media_mime_type,
            &m.transcribed_text,
            &m.transcribed_language,
        ]
    }};
}

/// The prepared statements of the reference, prepared once.
struct Prepared {
    lookup: Statement,
    filtered: Statement,
    all: Statement,
    join: Statement,
    insert: Statement,
}

fn prepare(raw: &mut Client) -> Prepared {
    Prepared {
        lookup: raw
            .prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
            ))
            .unwrap(),
        filtered: raw
            .prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE phone = $1"
            ))
            .unwrap(),
        all: raw
            .prepare(&format!("SELECT {MESSAGE_COLUMNS} FROM messages"))
            .unwrap(),
        join: raw.prepare(JOIN_SQL).unwrap(),
        insert: raw
            .prepare(&format!(
                "INSERT INTO messages ({INSERT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            ))
            .unwrap(),
    }
}

/// The columns of `m` whose Rust type is ours: the enums as text, the timestamps as Unix seconds.
fn converted(m: &NewMessage) -> (&'static str, i64, Option<i64>, Option<&'static str>) {
    (
        m.direction.as_str(),
        m.timestamp.unix_seconds(),
        m.created_at.map(|t| t.unix_seconds()),
        m.media_type.map(|t| t.as_str()),
    )
}

// ---------------------------------------------------------------------------------------------------
// One operation of each scenario, each side. The `ir_` functions run them `n` times for callgrind.

fn lookup_raw(raw: &mut Client, p: &Prepared, id: i64) -> Message {
    message_from_row(&raw.query_one(&p.lookup, &[&id]).unwrap())
}

fn lookup_ours(conn: &mut DbConnection, id: i64) -> Message {
    messages::table
        .find(id)
        .select(Message::as_select())
        .get_result(conn)
        .unwrap()
}

fn lookup_native(conn: &mut DbConnection, id: i64) -> Message {
    orient_database::native!(conn, |c| messages::table
        .find(id)
        .select(Message::as_select())
        .get_result(c))
    .unwrap()
}

fn lookup_pg(conn: &mut DbConnection, id: i64) -> Message {
    let DbConnection::Postgres(pg) = conn else {
        unreachable!("the benchmark database is PostgreSQL")
    };
    messages::table
        .find(id)
        .select(Message::as_select())
        .get_result(pg)
        .unwrap()
}

fn filtered_raw(raw: &mut Client, p: &Prepared, phone: &str) -> Vec<Message> {
    let rows: Vec<Message> = raw
        .query(&p.filtered, &[&phone])
        .unwrap()
        .iter()
        .map(message_from_row)
        .collect();
    assert_eq!(rows.len(), 100);
    rows
}

fn filtered_ours(conn: &mut DbConnection, phone: &str) -> Vec<Message> {
    let rows: Vec<Message> = messages::table
        .filter(messages::phone.eq(phone))
        .select(Message::as_select())
        .load(conn)
        .unwrap();
    assert_eq!(rows.len(), 100);
    rows
}

fn all_raw(raw: &mut Client, p: &Prepared) -> Vec<Message> {
    let rows: Vec<Message> = raw
        .query(&p.all, &[])
        .unwrap()
        .iter()
        .map(message_from_row)
        .collect();
    assert_eq!(rows.len(), ROWS);
    rows
}

fn all_ours(conn: &mut DbConnection) -> Vec<Message> {
    let rows: Vec<Message> = messages::table
        .select(Message::as_select())
        .load(conn)
        .unwrap();
    assert_eq!(rows.len(), ROWS);
    rows
}

fn join_raw(raw: &mut Client, p: &Prepared) -> Vec<(Agent, AgentSkill)> {
    let rows: Vec<(Agent, AgentSkill)> = raw
        .query(&p.join, &[])
        .unwrap()
        .iter()
        .map(agent_and_skill)
        .collect();
    assert_eq!(rows.len(), 1000);
    rows
}

fn join_ours(conn: &mut DbConnection) -> Vec<(Agent, AgentSkill)> {
    let rows: Vec<(Agent, AgentSkill)> = agents::table
        .inner_join(agent_skills::table)
        .select((Agent::as_select(), AgentSkill::as_select()))
        .load(conn)
        .unwrap();
    assert_eq!(rows.len(), 1000);
    rows
}

/// BEGIN, one prepared INSERT, COMMIT: the three round trips `db.transaction` makes.
fn insert_one_raw(raw: &mut Client, p: &Prepared, m: &NewMessage) {
    let (direction, ts, created, media) = converted(m);
    let mut tx = raw.transaction().unwrap();
    let params = params!(m, (direction, ts, created, media));
    assert_eq!(tx.execute(&p.insert, &params).unwrap(), 1);
    tx.commit().unwrap();
}

fn insert_one_ours(db: &Db, m: &NewMessage) {
    let n = db
        .transaction(|tx| {
            Ok::<_, db::Error>(diesel::insert_into(messages::table).values(m).execute(tx)?)
        })
        .unwrap();
    assert_eq!(n, 1);
}

/// One transaction, one `COPY messages (…) FROM STDIN (FORMAT binary)`.
fn copy_raw(raw: &mut Client, rows: &[NewMessage]) {
    let mut tx = raw.transaction().unwrap();
    let writer = tx
        .copy_in(&format!(
            "COPY messages ({INSERT_COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .unwrap();
    let mut writer = BinaryCopyInWriter::new(writer, &INSERT_TYPES);
    for m in rows {
        let (direction, ts, created, media) = converted(m);
        writer
            .write(&params!(m, (direction, ts, created, media)))
            .unwrap();
    }
    assert_eq!(writer.finish().unwrap(), rows.len() as u64);
    tx.commit().unwrap();
}

fn insert_all_ours(db: &Db, rows: &[NewMessage]) {
    let n = db
        .transaction(|tx| NewMessage::insert_all(tx, rows).map_err(db::Error::from))
        .unwrap();
    assert_eq!(n, rows.len());
}

/// What `insert_all` did on PostgreSQL before it used COPY (and still does on SQLite): fixed-size
/// 1000-row multi-row INSERTs, prepared once, then the rest one by one. For context.
fn chunked_insert_ours(db: &Db, rows: &[NewMessage]) {
    db.transaction(|tx| {
        let DbConnection::Postgres(pg) = tx else {
            unreachable!("the benchmark database is PostgreSQL")
        };
        let (chunks, rest) = rows.as_chunks::<1000>();
        for chunk in chunks {
            diesel::insert_into(messages::table)
                .values(chunk)
                .execute(pg)?;
        }
        for row in rest {
            diesel::insert_into(messages::table)
                .values(row)
                .execute(pg)?;
        }
        Ok::<_, db::Error>(())
    })
    .unwrap();
}

/// Rows to insert one at a time into the populated table: `message_id` (unique) left NULL, so the
/// same rows can be inserted again and again.
fn single_rows(rows: &[NewMessage]) -> Vec<NewMessage> {
    rows.iter()
        .take(10_000)
        .map(|m| NewMessage {
            message_id: None,
            ..m.clone()
        })
        .collect()
}

fn truncate_messages(raw: &mut Client) {
    raw.batch_execute("TRUNCATE messages RESTART IDENTITY")
        .unwrap();
}

// ---------------------------------------------------------------------------------------------------
// Criterion

fn phones() -> Vec<String> {
    (0..1000)
        .map(|i: i64| format!("+{}", 4_915_000_000 + i))
        .collect()
}

fn benches(c: &mut Criterion, s: &mut Setup) {
    populate(s);
    let p = prepare(&mut s.raw);
    let ids = common::ids(10_000);
    let next = Cell::new(0usize);
    let next_id = || {
        let i = next.get();
        next.set((i + 1) % ids.len());
        ids[i]
    };
    let mut conn = s.db.reader().unwrap();
    let raw = &mut s.raw;

    let mut group = c.benchmark_group("pg_point_lookup");
    group.bench_function("raw_prepared", |b| {
        b.iter(|| lookup_raw(raw, &p, next_id()))
    });
    group.bench_function("orient_get_result", |b| {
        b.iter(|| lookup_ours(&mut conn, next_id()))
    });
    // The same query in `native!`: compiled for PostgreSQL's own connection, dispatched by our enum.
    group.bench_function("orient_native", |b| {
        b.iter(|| lookup_native(&mut conn, next_id()))
    });
    group.bench_function("orient_db_read_native", |b| {
        b.iter(|| {
            s.db.read(|conn| Ok::<_, db::Error>(lookup_native(conn, next_id())))
                .unwrap()
        })
    });
    // Diesel on PostgreSQL's own connection, the enum bypassed: what the enum costs (context).
    group.bench_function("diesel_pg_connection", |b| {
        b.iter(|| lookup_pg(&mut conn, next_id()))
    });
    group.bench_function("orient_db_read", |b| {
        b.iter(|| {
            s.db.read(|conn| Ok::<_, db::Error>(lookup_ours(conn, next_id())))
                .unwrap()
        })
    });
    group.finish();

    let phones = phones();
    let next_phone = Cell::new(0usize);
    let phone = || {
        let i = next_phone.get();
        next_phone.set((i + 7) % phones.len());
        phones[i].as_str()
    };
    let mut group = c.benchmark_group("pg_filtered_100_rows");
    group.bench_function("raw_prepared", |b| {
        b.iter(|| filtered_raw(raw, &p, phone()))
    });
    group.bench_function("orient", |b| b.iter(|| filtered_ours(&mut conn, phone())));
    group.finish();

    let mut group = c.benchmark_group("pg_load_all_100k");
    group.sample_size(20);
    group.bench_function("raw_prepared", |b| b.iter(|| all_raw(raw, &p)));
    group.bench_function("orient", |b| b.iter(|| all_ours(&mut conn)));
    group.finish();

    let mut group = c.benchmark_group("pg_join_agents_skills_1000");
    group.bench_function("raw_prepared", |b| b.iter(|| join_raw(raw, &p)));
    group.bench_function("orient", |b| b.iter(|| join_ours(&mut conn)));
    group.finish();
    drop(conn);

    // The table grows by what this group inserts; insert_all_100k below starts from an empty one.
    let singles = single_rows(&s.rows);
    let next_row = Cell::new(0usize);
    let row = || {
        let i = next_row.get();
        next_row.set((i + 1) % singles.len());
        &singles[i]
    };
    let mut group = c.benchmark_group("pg_insert_one_in_transaction");
    group.bench_function("raw_prepared", |b| {
        b.iter(|| insert_one_raw(raw, &p, row()))
    });
    group.bench_function("orient", |b| b.iter(|| insert_one_ours(&s.db, row())));
    group.finish();

    let rows = &s.rows;
    let mut group = c.benchmark_group("pg_insert_all_100k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    // The table is emptied before each insert, outside the measured time.
    let timed = |b: &mut criterion::Bencher<'_>, raw: &mut Client, insert: &dyn Fn(&mut Client)| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                truncate_messages(raw);
                let start = Instant::now();
                insert(raw);
                total += start.elapsed();
            }
            total
        })
    };
    group.bench_function("raw_copy", |b| timed(b, raw, &|raw| copy_raw(raw, rows)));
    group.bench_function("orient_insert_all", |b| {
        timed(b, raw, &|_| insert_all_ours(&s.db, rows))
    });
    group.bench_function("orient_chunked_insert", |b| {
        timed(b, raw, &|_| chunked_insert_ours(&s.db, rows))
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------------
// Instruction counts (ORIENT_BENCH_COUNT=1, under callgrind): each function runs one scenario `n`
// times; its inclusive cost divided by `n` is the client's instructions per operation.

const IR_LOOKUPS: usize = 2000;
const IR_INSERTS: usize = 500;
const IR_LOADS: usize = 3;

#[inline(never)]
fn ir_point_lookup_raw(raw: &mut Client, p: &Prepared, ids: &[i64]) {
    for id in ids {
        std::hint::black_box(lookup_raw(raw, p, *id));
    }
}

#[inline(never)]
fn ir_point_lookup_ours(conn: &mut DbConnection, ids: &[i64]) {
    for id in ids {
        std::hint::black_box(lookup_ours(conn, *id));
    }
}

#[inline(never)]
fn ir_point_lookup_native(conn: &mut DbConnection, ids: &[i64]) {
    for id in ids {
        std::hint::black_box(lookup_native(conn, *id));
    }
}

#[inline(never)]
fn ir_point_lookup_pg(conn: &mut DbConnection, ids: &[i64]) {
    for id in ids {
        std::hint::black_box(lookup_pg(conn, *id));
    }
}

#[inline(never)]
fn ir_filtered_raw(raw: &mut Client, p: &Prepared, phones: &[String]) {
    for phone in phones {
        std::hint::black_box(filtered_raw(raw, p, phone));
    }
}

#[inline(never)]
fn ir_filtered_ours(conn: &mut DbConnection, phones: &[String]) {
    for phone in phones {
        std::hint::black_box(filtered_ours(conn, phone));
    }
}

#[inline(never)]
fn ir_load_all_raw(raw: &mut Client, p: &Prepared) {
    for _ in 0..IR_LOADS {
        std::hint::black_box(all_raw(raw, p));
    }
}

#[inline(never)]
fn ir_load_all_ours(conn: &mut DbConnection) {
    for _ in 0..IR_LOADS {
        std::hint::black_box(all_ours(conn));
    }
}

#[inline(never)]
fn ir_join_raw(raw: &mut Client, p: &Prepared) {
    for _ in 0..IR_LOADS {
        std::hint::black_box(join_raw(raw, p));
    }
}

#[inline(never)]
fn ir_join_ours(conn: &mut DbConnection) {
    for _ in 0..IR_LOADS {
        std::hint::black_box(join_ours(conn));
    }
}

#[inline(never)]
fn ir_insert_one_raw(raw: &mut Client, p: &Prepared, rows: &[NewMessage]) {
    for m in rows {
        insert_one_raw(raw, p, m);
    }
}

#[inline(never)]
fn ir_insert_one_ours(db: &Db, rows: &[NewMessage]) {
    for m in rows {
        insert_one_ours(db, m);
    }
}

#[inline(never)]
fn ir_insert_all_raw(raw: &mut Client, rows: &[NewMessage]) {
    copy_raw(raw, rows);
}

#[inline(never)]
fn ir_insert_all_ours(db: &Db, rows: &[NewMessage]) {
    insert_all_ours(db, rows);
}

fn count_instructions(s: &mut Setup) {
    populate(s);
    let p = prepare(&mut s.raw);
    let ids = common::ids(IR_LOOKUPS);
    let phones: Vec<String> = phones().into_iter().take(IR_LOOKUPS / 10).collect();
    let mut conn = s.db.reader().unwrap();
    // One untimed pass of each first, so both sides' statement caches are warm.
    lookup_raw(&mut s.raw, &p, 1);
    lookup_ours(&mut conn, 1);
    filtered_raw(&mut s.raw, &p, &phones[0]);
    filtered_ours(&mut conn, &phones[0]);
    ir_point_lookup_raw(&mut s.raw, &p, &ids);
    ir_point_lookup_ours(&mut conn, &ids);
    ir_point_lookup_native(&mut conn, &ids);
    ir_point_lookup_pg(&mut conn, &ids);
    ir_filtered_raw(&mut s.raw, &p, &phones);
    ir_filtered_ours(&mut conn, &phones);
    ir_load_all_raw(&mut s.raw, &p);
    ir_load_all_ours(&mut conn);
    ir_join_raw(&mut s.raw, &p);
    ir_join_ours(&mut conn);
    drop(conn);
    let singles = single_rows(&s.rows);
    let one = &singles[..IR_INSERTS];
    insert_one_raw(&mut s.raw, &p, &one[0]);
    insert_one_ours(&s.db, &one[0]);
    ir_insert_one_raw(&mut s.raw, &p, one);
    ir_insert_one_ours(&s.db, one);
    truncate_messages(&mut s.raw);
    ir_insert_all_raw(&mut s.raw, &s.rows);
    truncate_messages(&mut s.raw);
    ir_insert_all_ours(&s.db, &s.rows);
    println!(
        "counted: lookups {IR_LOOKUPS}, filtered {}, loads {IR_LOADS}, inserts {IR_INSERTS}, \
         insert_all rows {}",
        phones.len(),
        s.rows.len()
    );
}

fn main() {
    let Some(mut s) = setup() else { return };
    if std::env::var("ORIENT_BENCH_COUNT").is_ok_and(|v| v == "1") {
        count_instructions(&mut s);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &mut s);
    c.final_summary();
}
