//! Data and databases shared by the benchmarks. Every scenario compares paths over the same rows, the
//! same file settings (WAL, synchronous=NORMAL) and the same bundled SQLite.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orient_database::db::Db;
use orient_database::schema::domains::{MediaType, MessageDirection};
use orient_database::schema::{Message, NewMessage};
use orient_database::types::Timestamp;

pub const ROWS: usize = 100_000;

/// The `i`-th benchmark message: 100 messages per phone number, every tenth with media.
pub fn message(i: usize) -> NewMessage {
    let n = i as i64;
    let mut m = NewMessage::new(
        if i.is_multiple_of(2) {
            MessageDirection::Incoming
        } else {
            MessageDirection::Outgoing
        },
        format!("{}@s.whatsapp.net", 4_915_000_000 + n % 1000),
        format!("+{}", 4_915_000_000 + n % 1000),
        format!("message number {i}, with a little text in it to be realistic"),
        Timestamp::from_unix_seconds(1_769_987_409 + n),
    );
    m.message_id = Some(format!("3EB0{i:012X}"));
    m.is_group = i.is_multiple_of(3);
    m.created_at = Some(Timestamp::from_unix_seconds(1_769_987_409 + n));
    if i.is_multiple_of(10) {
        m.media_type = Some(MediaType::Image);
        m.media_path = Some(format!("/media/{i}.jpg"));
    }
    m
}

pub fn messages(count: usize) -> Vec<NewMessage> {
    (0..count).map(message).collect()
}

/// A fresh, migrated database file in `dir`.
pub fn fresh(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    drop(Db::open_path(&path).unwrap());
    path
}

/// A migrated database holding [`ROWS`] messages and 50 agents with 20 skills each, built once per run.
pub fn populated(dir: &Path) -> PathBuf {
    use diesel::prelude::*;
    use orient_database::schema::{NewAgent, NewAgentSkill, agents};
    let path = dir.join("populated.db");
    let db = Db::open_path(&path).unwrap();
    let rows = messages(ROWS);
    db.transaction(|tx| {
        NewMessage::insert_all(tx, &rows)?;
        for a in 0..50 {
            let id = format!("agent-{a}");
            diesel::insert_into(agents::table)
                .values(&NewAgent::new(id.clone(), format!("Agent {a}")))
                .execute(tx)?;
            let skills: Vec<NewAgentSkill> = (0..20)
                .map(|s| NewAgentSkill::new(id.clone(), format!("skill-{s}")))
                .collect();
            NewAgentSkill::insert_all(tx, &skills)?;
        }
        Ok::<_, orient_database::db::Error>(())
    })
    .unwrap();
    drop(db);
    path
}

/// A raw connection with the same settings as ours.
pub fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;",
    )
    .unwrap();
    conn
}

/// A `Message` from a raw row of `SELECT *` (columns in declaration order), building the same struct the
/// typed paths build.
pub fn message_from_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    // Enums are matched on the borrowed text, as the typed path does.
    let text_enum = |s: &str| -> rusqlite::Result<MessageDirection> {
        s.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(Message {
        id: row.get(0)?,
        message_id: row.get(1)?,
        direction: text_enum(row.get_ref(2)?.as_str()?)?,
        jid: row.get(3)?,
        phone: row.get(4)?,
        text: row.get(5)?,
        is_group: row.get(6)?,
        group_id: row.get(7)?,
        timestamp: Timestamp::from_unix_seconds(row.get(8)?),
        created_at: row
            .get::<_, Option<i64>>(9)?
            .map(Timestamp::from_unix_seconds),
        media_type: match row.get_ref(10)?.as_str_or_null()? {
            None => None,
            Some(s) => Some(s.parse().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    10,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?),
        },
        media_path: row.get(11)?,
        media_mime_type: row.get(12)?,
        transcribed_text: row.get(13)?,
        transcribed_language: row.get(14)?,
    })
}

/// The same columns in the same order as `SELECT *` on a migrated database (model_tier-style additions
/// would change that; messages has none).
pub const MESSAGE_COLUMNS: &str = "id, message_id, direction, jid, phone, text, is_group, group_id, \
     timestamp, created_at, media_type, media_path, media_mime_type, transcribed_text, transcribed_language";

/// Deterministic pseudo-random ids in 1..=ROWS (xorshift), the same sequence for every path.
pub fn ids(count: usize) -> Vec<i64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % ROWS as u64) as i64 + 1
        })
        .collect()
}

/// Records the SQLite version and the compile options that matter for the figures, for BENCHMARKS.md.
pub fn write_environment(conn: &rusqlite::Connection) {
    let version: String = conn
        .query_row("SELECT sqlite_version()", [], |r| r.get(0))
        .unwrap();
    let mut statement = conn
        .prepare("SELECT compile_options FROM pragma_compile_options")
        .unwrap();
    let options: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let relevant: Vec<&String> = options
        .iter()
        .filter(|o| {
            [
                "DQS",
                "MEMSTATUS",
                "QPSG",
                "THREADSAFE",
                "DEFAULT_FOREIGN_KEYS",
            ]
            .iter()
            .any(|k| o.contains(k))
        })
        .collect();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("env.json"),
        serde_json::json!({ "sqlite_version": version, "relevant_options": relevant, "compile_options": options })
            .to_string(),
    )
    .unwrap();
}
