//! The server's settings against what keeps data safe, and its connections against
//! `max_connections`. Only settings that put committed data at risk are findings: `synchronous_commit
//! = off`, for one, may lose the last transactions in a crash but never corrupts anything, so it is a
//! trade-off left to the operator.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::ops::diagnosis::{Code, Diagnosis, Severity};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    setting: String,
}

/// A setting with a risky value: its name, the value that is a finding, what it risks, the safe value.
struct Risky {
    name: &'static str,
    risky: &'static str,
    risk: &'static str,
    safe: &'static str,
}

const RISKY: [Risky; 3] = [
    Risky {
        name: "fsync",
        risky: "off",
        risk: "a crash of the operating system or a power loss can corrupt the whole cluster, not \
               only lose the last transactions",
        safe: "on",
    },
    Risky {
        name: "full_page_writes",
        risky: "off",
        risk: "a crash in the middle of writing a page can leave it torn, which WAL replay cannot \
               repair",
        safe: "on",
    },
    Risky {
        name: "zero_damaged_pages",
        risky: "on",
        risk: "a damaged page is silently replaced by zeros, and the rows on it are lost without \
               an error",
        safe: "off",
    },
];

pub fn risky(d: &mut Diagnosis, session: &mut PgConnection) {
    let rows: Vec<Setting> = match diesel::sql_query(
        "SELECT name::text AS name, setting::text AS setting FROM pg_settings \
         WHERE name IN ('fsync', 'full_page_writes', 'zero_damaged_pages') ORDER BY name",
    )
    .load(session)
    {
        Ok(rows) => rows,
        Err(e) => {
            d.skip(
                "server_settings",
                format!("pg_settings cannot be read: {e}"),
            );
            return;
        }
    };
    for known in &RISKY {
        let Some(row) = rows.iter().find(|r| r.name == known.name) else {
            continue;
        };
        if row.setting != known.risky {
            continue;
        }
        d.add(
            Code::ServerSetting,
            Severity::Warning,
            None,
            format!(
                "the server runs with {} = {}: {}",
                known.name, known.risky, known.risk
            ),
            format!(
                "Set it back: `ALTER SYSTEM SET {} = {}; SELECT pg_reload_conf();` as a superuser (or \
                 in postgresql.conf). Only a throwaway server (tests, a scratch copy) should run \
                 without it; for speed at the risk of losing only the last transactions, \
                 `synchronous_commit = off` is the safe trade-off",
                known.name, known.safe
            ),
        );
    }
}

#[derive(QueryableByName)]
struct Connections {
    #[diesel(sql_type = BigInt)]
    used: i64,
    #[diesel(sql_type = BigInt)]
    max: i64,
    #[diesel(sql_type = BigInt)]
    reserved: i64,
}

/// From this share of the connections ordinary roles may use, a warning; when they are all in use, an
/// error (the next connection is refused).
const WARN_PERCENT: i64 = 80;

pub fn connections(d: &mut Diagnosis, session: &mut PgConnection) {
    let counts = match diesel::sql_query(
        "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS used, \
                current_setting('max_connections')::bigint AS max, \
                current_setting('superuser_reserved_connections')::bigint AS reserved",
    )
    .get_result::<Connections>(session)
    {
        Ok(counts) => counts,
        Err(e) => {
            d.skip("connections", format!("pg_stat_activity cannot be read: {e}"));
            return;
        }
    };
    let usable = (counts.max - counts.reserved).max(1);
    if counts.used * 100 < usable * WARN_PERCENT {
        return;
    }
    let full = counts.used >= usable;
    d.add(
        Code::ConnectionsNearLimit,
        if full {
            Severity::Error
        } else {
            Severity::Warning
        },
        None,
        format!(
            "{} of the server's {} connections are in use ({} of them reserved for superusers): {}",
            counts.used,
            counts.max,
            counts.reserved,
            if full {
                "new connections of ordinary roles are refused now (\"sorry, too many clients \
                 already\")"
            } else {
                "once the rest are taken, new connections are refused (\"sorry, too many clients \
                 already\")"
            }
        ),
        "Use fewer connections: pool them (a pooler such as PgBouncer in front of the server, or \
         smaller pools in the services), and end sessions left idle (see `idle_transactions`); or raise \
         `max_connections` (`ALTER SYSTEM SET max_connections = …`, then restart the server)",
    );
}
