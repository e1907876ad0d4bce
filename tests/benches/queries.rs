//! Our generated paths and `db` layer against raw prepared statements (rusqlite on the same bundled
//! SQLite) and hand-written Diesel, side by side in one process, on one 100k-row `messages` table.
//!
//! Groups: insert_100k, point_lookup, filtered (indexed column), load_all, join (agents with skills).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

mod common;

use std::cell::Cell;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use orient_database::db::backend::as_sqlite;
use orient_database::db::{self, Db};
use orient_database::schema::{
    Agent, AgentSkill, Message, NewMessage, agent_skills, agents, messages,
};

use common::{MESSAGE_COLUMNS, ROWS};

/// The same table and insert structs written by hand, the way the Diesel guide shows, for comparison.
mod handwritten {
    use orient_database::schema::domains::{MediaType, MessageDirection};
    use orient_database::types::Timestamp;

    diesel::table! {
        messages (id) {
            id -> BigInt,
            message_id -> Nullable<Text>,
            direction -> Text,
            jid -> Text,
            phone -> Text,
            text -> Text,
            is_group -> Bool,
            group_id -> Nullable<Text>,
            timestamp -> BigInt,
            created_at -> Nullable<BigInt>,
            media_type -> Nullable<Text>,
            media_path -> Nullable<Text>,
            media_mime_type -> Nullable<Text>,
            transcribed_text -> Nullable<Text>,
            transcribed_language -> Nullable<Text>,
        }
    }

    macro_rules! insert_struct {
        ($name:ident $(, $attr:meta)?) => {
            #[derive(diesel::Insertable, Clone)]
            #[diesel(table_name = messages)]
            $(#[diesel($attr)])?
            pub struct $name {
                pub message_id: Option<String>,
                pub direction: MessageDirection,
                pub jid: String,
                pub phone: String,
                pub text: String,
                pub is_group: bool,
                pub group_id: Option<String>,
                pub timestamp: Timestamp,
                pub created_at: Option<Timestamp>,
                pub media_type: Option<MediaType>,
                pub media_path: Option<String>,
                pub media_mime_type: Option<String>,
                pub transcribed_text: Option<String>,
                pub transcribed_language: Option<String>,
            }

            impl From<&orient_database::schema::NewMessage> for $name {
                fn from(m: &orient_database::schema::NewMessage) -> $name {
                    $name {
                        message_id: m.message_id.clone(),
                        direction: m.direction,
                        jid: m.jid.clone(),
                        phone: m.phone.clone(),
                        text: m.text.clone(),
                        is_group: m.is_group,
                        group_id: m.group_id.clone(),
                        timestamp: m.timestamp,
                        created_at: m.created_at,
                        media_type: m.media_type,
                        media_path: m.media_path.clone(),
                        media_mime_type: m.media_mime_type.clone(),
                        transcribed_text: m.transcribed_text.clone(),
                        transcribed_language: m.transcribed_language.clone(),
                    }
                }
            }
        };
    }

    // `#[derive(Insertable)]` as most code writes it: None means DEFAULT, which makes every statement
    // uncacheable and batches fall back to one INSERT per row on SQLite.
    insert_struct!(DefaultNewMessage);
    // The best Diesel pattern (research/perf-notes.md): NULL for None, fixed-size array chunks.
    insert_struct!(BestNewMessage, treat_none_as_default_value = false);
}

fn insert(c: &mut Criterion) {
    let rows = common::messages(ROWS);
    let default_rows: Vec<handwritten::DefaultNewMessage> = rows.iter().map(Into::into).collect();
    let best_rows: Vec<handwritten::BestNewMessage> = rows.iter().map(Into::into).collect();
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let fresh = || {
        counter.set(counter.get() + 1);
        let path = common::fresh(dir.path(), &format!("insert-{}.db", counter.get()));
        Db::open_path(&path).unwrap()
    };
    let cleanup = |db: Db| {
        let path = db.sqlite_path().unwrap().to_path_buf();
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    };

    let mut group = c.benchmark_group("insert_100k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));

    group.bench_function("raw_prepared", |b| {
        b.iter_batched(
            || {
                let db = fresh();
                let conn = common::raw(db.sqlite_path().unwrap());
                (db, conn)
            },
            |(db, mut conn)| {
                let tx = conn.transaction().unwrap();
                {
                    let mut statement = tx
                        .prepare_cached(
                            "INSERT INTO messages (message_id, direction, jid, phone, text, is_group, \
                             group_id, timestamp, created_at, media_type, media_path, media_mime_type, \
                             transcribed_text, transcribed_language) \
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        )
                        .unwrap();
                    for m in &rows {
                        statement
                            .execute(rusqlite::params![
                                m.message_id,
                                m.direction.as_str(),
                                m.jid,
                                m.phone,
                                m.text,
                                m.is_group,
                                m.group_id,
                                m.timestamp.unix_seconds(),
                                m.created_at.map(|t| t.unix_seconds()),
                                m.media_type.map(|t| t.as_str()),
                                m.media_path,
                                m.media_mime_type,
                                m.transcribed_text,
                                m.transcribed_language,
                            ])
                            .unwrap();
                    }
                }
                tx.commit().unwrap();
                drop(conn);
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_function("orient_insert_all", |b| {
        b.iter_batched(
            fresh,
            |db| {
                db.transaction(|tx| NewMessage::insert_all(tx, &rows).map_err(db::Error::from))
                    .unwrap();
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_function("orient_per_row", |b| {
        b.iter_batched(
            fresh,
            |db| {
                db.transaction(|tx| {
                    for row in &rows {
                        diesel::insert_into(messages::table)
                            .values(row)
                            .execute(tx)?;
                    }
                    Ok::<_, db::Error>(())
                })
                .unwrap();
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_function("diesel_best_pattern_batch", |b| {
        b.iter_batched(
            fresh,
            |db| {
                db.transaction(|tx| {
                    // Hand-written Diesel on SQLite's own connection.
                    let tx = as_sqlite(tx).unwrap();
                    let (chunks, rest) = best_rows.as_chunks::<1000>();
                    for chunk in chunks {
                        diesel::insert_into(handwritten::messages::table)
                            .values(chunk)
                            .execute(tx)?;
                    }
                    for row in rest {
                        diesel::insert_into(handwritten::messages::table)
                            .values(row)
                            .execute(tx)?;
                    }
                    Ok::<_, db::Error>(())
                })
                .unwrap();
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_function("diesel_default_derive_per_row", |b| {
        b.iter_batched(
            fresh,
            |db| {
                db.transaction(|tx| {
                    for row in &default_rows {
                        diesel::insert_into(handwritten::messages::table)
                            .values(row)
                            .execute(tx)?;
                    }
                    Ok::<_, db::Error>(())
                })
                .unwrap();
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_function("diesel_default_derive_batch", |b| {
        b.iter_batched(
            fresh,
            |db| {
                db.transaction(|tx| {
                    let tx = as_sqlite(tx).unwrap();
                    for chunk in default_rows.chunks(1000) {
                        diesel::insert_into(handwritten::messages::table)
                            .values(chunk)
                            .execute(tx)?;
                    }
                    Ok::<_, db::Error>(())
                })
                .unwrap();
                cleanup(db);
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::populated(dir.path());
    let db = Db::open_path(&path).unwrap();
    let raw = common::raw(&path);
    common::write_environment(&raw);
    let ids = common::ids(10_000);
    let next = Cell::new(0usize);
    let next_id = || {
        let i = next.get();
        next.set((i + 1) % ids.len());
        ids[i]
    };

    let mut group = c.benchmark_group("point_lookup");
    group.bench_function("raw_prepared", |b| {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?");
        b.iter(|| {
            let mut statement = raw.prepare_cached(&sql).unwrap();
            statement
                .query_row([next_id()], common::message_from_raw)
                .unwrap()
        })
    });
    let mut conn = db.reader().unwrap();
    group.bench_function("orient_get_result", |b| {
        b.iter(|| {
            messages::table
                .find(next_id())
                .select(Message::as_select())
                .get_result::<Message>(&mut conn)
                .unwrap()
        })
    });
    group.bench_function("orient_db_read", |b| {
        b.iter(|| {
            db.read(|conn| {
                Ok::<_, db::Error>(
                    messages::table
                        .find(next_id())
                        .select(Message::as_select())
                        .get_result::<Message>(conn)?,
                )
            })
            .unwrap()
        })
    });
    group.bench_function("diesel_first", |b| {
        b.iter(|| {
            messages::table
                .find(next_id())
                .first::<Message>(&mut conn)
                .unwrap()
        })
    });
    group.finish();

    let phones: Vec<String> = (0..1000)
        .map(|i: i64| format!("+{}", 4_915_000_000 + i))
        .collect();
    let next_phone = Cell::new(0usize);
    let phone = || {
        let i = next_phone.get();
        next_phone.set((i + 7) % phones.len());
        phones[i].as_str()
    };
    let mut group = c.benchmark_group("filtered_100_rows");
    group.bench_function("raw_prepared", |b| {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE phone = ?");
        b.iter(|| {
            let mut statement = raw.prepare_cached(&sql).unwrap();
            let rows: Vec<Message> = statement
                .query_map([phone()], common::message_from_raw)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), 100);
            rows
        })
    });
    group.bench_function("orient", |b| {
        b.iter(|| {
            let rows: Vec<Message> = messages::table
                .filter(messages::phone.eq(phone()))
                .select(Message::as_select())
                .load(&mut conn)
                .unwrap();
            assert_eq!(rows.len(), 100);
            rows
        })
    });
    group.finish();

    let mut group = c.benchmark_group("load_all_100k");
    group.sample_size(20);
    group.bench_function("raw_prepared", |b| {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages");
        b.iter(|| {
            let mut statement = raw.prepare_cached(&sql).unwrap();
            let rows: Vec<Message> = statement
                .query_map([], common::message_from_raw)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), ROWS);
            rows
        })
    });
    group.bench_function("orient", |b| {
        b.iter(|| {
            let rows: Vec<Message> = messages::table
                .select(Message::as_select())
                .load(&mut conn)
                .unwrap();
            assert_eq!(rows.len(), ROWS);
            rows
        })
    });
    group.finish();

    let mut group = c.benchmark_group("join_agents_skills_1000");
    group.bench_function("raw_prepared", |b| {
        b.iter(|| {
            let mut statement = raw
                .prepare_cached(
                    "SELECT a.id, a.name, a.description, a.mode, a.model_default, a.model_fallback, \
                     a.model_tier, a.base_prompt, a.enabled, a.created_at, a.updated_at, \
                     s.id, s.agent_id, s.skill_name, s.enabled, s.created_at \
                     FROM agents AS a JOIN agent_skills AS s ON s.agent_id = a.id",
                )
                .unwrap();
            let rows: Vec<(Agent, AgentSkill)> = statement
                .query_map([], |r| {
                    let ts = |v: Option<i64>| v.map(orient_database::types::Timestamp::from_unix_seconds);
                    Ok((
                        Agent {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            description: r.get(2)?,
                            mode: parse_text(3, r.get_ref(3)?.as_str_or_null()?)?,
                            model_default: r.get(4)?,
                            model_fallback: r.get(5)?,
                            model_tier: parse_text(6, r.get_ref(6)?.as_str_or_null()?)?,
                            base_prompt: r.get(7)?,
                            enabled: r.get(8)?,
                            created_at: ts(r.get(9)?),
                            updated_at: ts(r.get(10)?),
                        },
                        AgentSkill {
                            id: r.get(11)?,
                            agent_id: r.get(12)?,
                            skill_name: r.get(13)?,
                            enabled: r.get(14)?,
                            created_at: ts(r.get(15)?),
                        },
                    ))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), 1000);
            rows
        })
    });
    group.bench_function("orient", |b| {
        b.iter(|| {
            let rows: Vec<(Agent, AgentSkill)> = agents::table
                .inner_join(agent_skills::table)
                .select((Agent::as_select(), AgentSkill::as_select()))
                .load(&mut conn)
                .unwrap();
            assert_eq!(rows.len(), 1000);
            rows
        })
    });
    group.finish();
}

/// A nullable text column read into one of the value-domain enums.
fn parse_text<T>(column: usize, text: Option<&str>) -> rusqlite::Result<Option<T>>
where
    T: std::str::FromStr<Err = orient_database::types::UnknownValue>,
{
    text.map(|s| s.parse()).transpose().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
}

criterion_group!(benches, insert, reads);
criterion_main!(benches);
