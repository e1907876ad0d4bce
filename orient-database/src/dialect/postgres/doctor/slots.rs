//! Replication slots nobody consumes: a slot keeps every WAL segment from its `restart_lsn` on until its
//! consumer (a standby, a logical decoding client) confirms it, so a slot whose consumer is gone makes
//! the server's WAL directory grow until its disk is full, and then the server stops. Slots are the
//! server's, not one database's, so every one is listed; a slot the server already invalidated
//! (`wal_status = lost`) retains nothing any more but can never be used again.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::dialect::postgres::Postgres;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};
use crate::os::size::human_bytes;
use crate::sql::Dialect;

#[derive(QueryableByName)]
struct SlotRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    database: String,
    #[diesel(sql_type = Text)]
    wal_status: String,
    /// Bytes of WAL kept for it.
    #[diesel(sql_type = BigInt)]
    retained: i64,
}

/// On a standby `pg_current_wal_lsn()` fails (recovery is in progress): there the slot's distance is
/// measured from the last WAL received.
const QUERY: &str = "\
SELECT slot_name::text AS name, slot_type AS kind, coalesce(database::text, '') AS database,
       coalesce(wal_status, '') AS wal_status,
       coalesce(pg_wal_lsn_diff(
         CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
         restart_lsn), 0)::bigint AS retained
FROM pg_replication_slots
WHERE NOT active AND (restart_lsn IS NOT NULL OR wal_status = 'lost')
ORDER BY retained DESC, slot_name";

pub fn check(d: &mut Diagnosis, session: &mut PgConnection) {
    let rows: Vec<SlotRow> = match diesel::sql_query(QUERY).load(session) {
        Ok(rows) => rows,
        Err(e) => {
            d.skip(
                "replication_slots",
                format!("pg_replication_slots cannot be read: {e}"),
            );
            return;
        }
    };
    for slot in rows {
        let quoted = Postgres.quote_text(&slot.name);
        let drop = format!("`SELECT pg_drop_replication_slot({quoted})`");
        let what = if slot.database.is_empty() {
            format!("{} slot", slot.kind)
        } else {
            format!("{} slot of database {}", slot.kind, slot.database)
        };
        if slot.wal_status == "lost" {
            d.add(
                Code::ReplicationSlotInactive,
                Severity::Warning,
                None,
                format!(
                    "replication slot `{}` ({what}) is not in use and the server invalidated it \
                     (wal_status lost): the WAL its consumer needs is gone, so that consumer can never \
                     resume from it",
                    slot.name
                ),
                format!(
                    "Drop it: {drop}; the standby or client that used it must be set up again from a \
                     fresh base backup or snapshot"
                ),
            );
            continue;
        }
        let retained = u64::try_from(slot.retained).unwrap_or(0);
        d.add(
            Code::ReplicationSlotInactive,
            Severity::Warning,
            None,
            format!(
                "replication slot `{}` ({what}) is not in use and retains {} of WAL on the server \
                 (wal_status {}); it keeps every new WAL segment too, so the server's WAL directory \
                 grows until the disk is full",
                slot.name,
                human_bytes(retained),
                if slot.wal_status.is_empty() {
                    "unknown"
                } else {
                    &slot.wal_status
                }
            ),
            format!(
                "If its consumer (a standby, a logical replication or change-data-capture client) is \
                 gone for good, drop it: {drop}. Otherwise bring the consumer back. `max_slot_wal_keep_size` \
                 bounds how much WAL a slot may keep"
            ),
        );
    }
}
