//! The `insert_all` that `#[derive(Table)]` generates, on both engines: chunked multi-row `INSERT`s on
//! SQLite, one `COPY … FROM STDIN` on PostgreSQL (dialect/postgres/copy.rs). Each test is one function
//! run on each engine, so both must give the same outcome: the same rows read back, the same count
//! returned, ids from the table's own sequence, the same error kind for a violated constraint, and
//! nothing inserted by a transaction that failed.
//!
//! `cargo test -p orient-database --test insert_all` (SQLite);
//! `cargo test -p orient-database --features postgres --test insert_all` (both). Without PostgreSQL
//! binaries the PostgreSQL halves say why and pass, unless `ORIENT_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use orient_database::db::{self, Db};
use orient_database::schema::domains::{MediaType, MessageDirection};
use orient_database::schema::{
    Message, NewAgent, NewAgentSkill, NewMessage, agent_skills, agents, messages,
};
use orient_database::types::Timestamp;

/// Runs `$body(&db)` on a fresh SQLite file and on a fresh PostgreSQL database (skipped without a
/// server, or in a build without the `postgres` feature).
macro_rules! both_engines {
    ($name:ident, $body:path) => {
        mod $name {
            #[test]
            fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let db = orient_database::db::Db::open_path(dir.path().join("test.db")).unwrap();
                $body(&db);
            }

            #[cfg(feature = "postgres")]
            #[test]
            fn postgres() {
                let dir = tempfile::tempdir().unwrap();
                if let Some(db) = super::postgres(dir.path(), stringify!($name)) {
                    $body(&db);
                }
            }
        }
    };
}

/// A migrated database of its own on the test process's PostgreSQL server, opened through `db` as a
/// service would open it (`DATABASE_URL`).
#[cfg(feature = "postgres")]
fn postgres(dir: &Path, hint: &str) -> Option<Db> {
    let server = orient_testkit::postgres::server()?;
    let name = server.create_database(hint);
    let env = std::collections::BTreeMap::from([("DATABASE_URL".to_owned(), server.url(&name))]);
    let config = db::Config::resolve(dir, &env).unwrap();
    Some(Db::open(&config).unwrap_or_else(|e| panic!("opening {name}: {e}\n{}", server.log())))
}

#[cfg(not(feature = "postgres"))]
#[allow(dead_code)]
fn postgres(_dir: &Path, _hint: &str) -> Option<Db> {
    None
}

/// An error of a test transaction: the statement's own, kept whole so its kind can be asserted.
#[derive(Debug)]
enum Failed {
    // Only ever printed (by `kind`'s panic), which dead-code analysis does not count as a read.
    #[allow(dead_code)]
    Db(db::Error),
    Query(diesel::result::Error),
}

impl From<db::Error> for Failed {
    fn from(e: db::Error) -> Failed {
        Failed::Db(e)
    }
}

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Failed {
        Failed::Query(e)
    }
}

/// The database error kind of a failed transaction; panics on anything else.
fn kind(result: Result<usize, Failed>) -> DatabaseErrorKind {
    match result {
        Err(Failed::Query(diesel::result::Error::DatabaseError(kind, _))) => kind,
        other => panic!("expected a database error, got {other:?}"),
    }
}

/// Message `i`: every third a group message, every tenth with media, NULLs in between, so that every
/// column type (text, enum text, bool, BIGINT seconds, NULL) crosses both engines' insert paths.
fn message(i: i64) -> NewMessage {
    let mut m = NewMessage::new(
        if i % 2 == 0 {
            MessageDirection::Incoming
        } else {
            MessageDirection::Outgoing
        },
        format!("{i}@s.whatsapp.net"),
        format!("+49{i:08}"),
        format!("message {i}: ünïcödé, 'quotes', \"double\", a\ttab and a\nnewline"),
        Timestamp::from_unix_seconds(1_769_987_409 + i),
    );
    m.message_id = Some(format!("3EB0{i:012X}"));
    m.is_group = i % 3 == 0;
    m.group_id = m.is_group.then(|| format!("group-{i}"));
    m.created_at = (i % 5 != 0).then(|| Timestamp::from_unix_seconds(1_700_000_000 + i));
    if i % 10 == 0 {
        m.media_type = Some(MediaType::Image);
        m.media_path = Some(format!("/media/{i}.jpg"));
        m.media_mime_type = Some("image/jpeg".to_owned());
    }
    m
}

fn count(db: &Db, what: &str) -> i64 {
    db.read(|conn| {
        Ok::<_, db::Error>(match what {
            "agents" => agents::table.count().get_result(conn)?,
            "agent_skills" => agent_skills::table.count().get_result(conn)?,
            _ => messages::table.count().get_result(conn)?,
        })
    })
    .unwrap()
}

/// 2500 rows: on SQLite two chunks of 1000 and 500 single rows, on PostgreSQL one COPY. Every row
/// comes back as it was written, with ids 1…2500 in insertion order.
fn inserts_every_row_and_reads_it_back(db: &Db) {
    let rows: Vec<NewMessage> = (1..=2500).map(message).collect();
    let inserted = db
        .transaction(|tx| NewMessage::insert_all(tx, &rows).map_err(db::Error::from))
        .unwrap();
    assert_eq!(inserted, 2500);

    let back: Vec<Message> = db
        .read(|conn| {
            Ok::<_, db::Error>(
                messages::table
                    .order(messages::id)
                    .select(Message::as_select())
                    .load(conn)?,
            )
        })
        .unwrap();
    assert_eq!(back.len(), rows.len());
    for (n, (got, want)) in back.iter().zip(&rows).enumerate() {
        let expected = Message {
            id: n as i64 + 1,
            message_id: want.message_id.clone(),
            direction: want.direction,
            jid: want.jid.clone(),
            phone: want.phone.clone(),
            text: want.text.clone(),
            is_group: want.is_group,
            group_id: want.group_id.clone(),
            timestamp: want.timestamp,
            created_at: want.created_at,
            media_type: want.media_type,
            media_path: want.media_path.clone(),
            media_mime_type: want.media_mime_type.clone(),
            transcribed_text: want.transcribed_text.clone(),
            transcribed_language: want.transcribed_language.clone(),
        };
        assert_eq!(got, &expected, "row {}", n + 1);
    }

    // Nothing to insert: nothing sent, nothing inserted.
    let none = db
        .transaction(|tx| NewMessage::insert_all(tx, &[]).map_err(db::Error::from))
        .unwrap();
    assert_eq!(none, 0);
    assert_eq!(count(db, "messages"), 2500);

    // A second call continues the ids where the first stopped.
    let more: Vec<NewMessage> = (2501..=2503).map(message).collect();
    db.transaction(|tx| NewMessage::insert_all(tx, &more).map_err(db::Error::from))
        .unwrap();
    let ids: Vec<i64> = db
        .read(|conn| {
            Ok::<_, db::Error>(
                messages::table
                    .filter(messages::id.gt(2500))
                    .order(messages::id)
                    .select(messages::id)
                    .load(conn)?,
            )
        })
        .unwrap();
    assert_eq!(ids, [2501, 2502, 2503]);
}

both_engines!(
    inserts_every_row_and_reads_it_back,
    super::inserts_every_row_and_reads_it_back
);

/// A duplicate primary key among the rows: a `UniqueViolation` on both engines, and the failed
/// transaction leaves the table as it was (the rows before the duplicate included).
fn a_duplicate_key_inserts_nothing(db: &Db) {
    let first = [NewAgent::new("a", "A"), NewAgent::new("b", "B")];
    db.transaction(|tx| NewAgent::insert_all(tx, &first).map_err(db::Error::from))
        .unwrap();

    let clash = [
        NewAgent::new("c", "C"),
        NewAgent::new("a", "A again"),
        NewAgent::new("d", "D"),
    ];
    let result = db.transaction(|tx| Ok::<_, Failed>(NewAgent::insert_all(tx, &clash)?));
    assert_eq!(kind(result), DatabaseErrorKind::UniqueViolation);

    let ids: Vec<(String, String)> = db
        .read(|conn| {
            Ok::<_, db::Error>(
                agents::table
                    .order(agents::id)
                    .select((agents::id, agents::name))
                    .load(conn)?,
            )
        })
        .unwrap();
    assert_eq!(
        ids,
        [
            ("a".to_owned(), "A".to_owned()),
            ("b".to_owned(), "B".to_owned())
        ]
    );

    // The connection is usable afterwards (PostgreSQL aborts the transaction, which was rolled back).
    db.transaction(|tx| NewAgent::insert_all(tx, &clash[2..]).map_err(db::Error::from))
        .unwrap();
    assert_eq!(count(db, "agents"), 3);
}

both_engines!(
    a_duplicate_key_inserts_nothing,
    super::a_duplicate_key_inserts_nothing
);

/// A row pointing at an agent that does not exist: a `ForeignKeyViolation` on both engines, nothing
/// inserted, even past a full chunk of good rows (SQLite's first chunk of 1000 went in before the
/// failing one and is undone by the transaction).
fn a_missing_parent_inserts_nothing(db: &Db) {
    db.transaction(|tx| {
        NewAgent::insert_all(tx, &[NewAgent::new("a", "A")]).map_err(db::Error::from)
    })
    .unwrap();
    let mut skills: Vec<NewAgentSkill> = (0..1200)
        .map(|s| NewAgentSkill::new("a", format!("skill-{s}")))
        .collect();
    skills[1100].agent_id = "nobody".to_owned();

    let result = db.transaction(|tx| Ok::<_, Failed>(NewAgentSkill::insert_all(tx, &skills)?));
    assert_eq!(kind(result), DatabaseErrorKind::ForeignKeyViolation);
    assert_eq!(count(db, "agent_skills"), 0);

    skills[1100].agent_id = "a".to_owned();
    let inserted = db
        .transaction(|tx| NewAgentSkill::insert_all(tx, &skills).map_err(db::Error::from))
        .unwrap();
    assert_eq!(inserted, 1200);
    assert_eq!(count(db, "agent_skills"), 1200);
}

both_engines!(
    a_missing_parent_inserts_nothing,
    super::a_missing_parent_inserts_nothing
);
