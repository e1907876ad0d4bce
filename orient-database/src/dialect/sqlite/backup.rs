//! Copying a SQLite database out (`VACUUM INTO`) and back in (the online backup API), the way SQLite
//! itself says to: through its own locks, never by copying the file and its `-wal`/`-shm` with `cp`.
//!
//! - [`copy_into`]: `VACUUM INTO` writes a compact, self-contained copy (rollback-journal mode, no
//!   `-wal`) of one consistent snapshot, while other connections go on reading and writing. The copy's
//!   content checksum is returned for the same snapshot: `PRAGMA data_version` is read before the copy
//!   and again inside the transaction that computes the checksum, and equal values mean no other
//!   connection committed in between (else the copy is made again).
//! - [`restore_into`]: `sqlite3_backup_step(-1)` copies every page of a file into the live database in
//!   ONE write transaction of the live database. In WAL mode readers keep their snapshot of the old
//!   content until they end it and every later reader sees the new content whole: nobody ever sees a
//!   mix, the `-wal` and `-shm` files are SQLite's to manage, and processes that have the file open
//!   notice the new schema (the backup bumps the schema cookie). Diesel does not expose this API;
//!   rusqlite does, over the same bundled SQLite.

use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::backend::DbConnection;
use crate::dialect::sqlite::Sqlite;
use crate::dialect::sqlite::busy::BUSY_TIMEOUT;
use crate::dialect::sqlite::connection::{self, Access};
use crate::dialect::sqlite::read_only::inspection_plan;
use crate::ops::Error;
use crate::ops::checksum::{ContentChecksum, content_checksum};
use crate::sql::Dialect;

/// How many times a copy is made again when another connection committed during it.
const ATTEMPTS: u32 = 3;

fn data_version(conn: &mut DbConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        data_version: i64,
    }
    diesel::sql_query("PRAGMA data_version")
        .get_result::<Row>(conn)
        .map(|r| r.data_version)
}

/// Writes a copy of the database file `source` to `dest` (which must not exist) and returns the content
/// checksum of exactly the snapshot that was copied. Other connections may read and write meanwhile.
pub fn copy_into(source: &Path, dest: &Path) -> Result<ContentChecksum, Error> {
    let sqlite = |step: &'static str| {
        move |e: diesel::result::Error| Error::Sqlite {
            path: source.to_path_buf(),
            step,
            source: e,
        }
    };
    // A connection like every other one (not `mode=ro`, which would leave `-wal`/`-shm` behind).
    let mut conn: DbConnection = connection::establish(source, Access::ReadWrite)?;
    let target = Sqlite.quote_text(&dest.to_string_lossy());
    for _ in 0..ATTEMPTS {
        let before = data_version(&mut conn).map_err(sqlite("PRAGMA data_version"))?;
        conn.batch_execute(&format!("VACUUM main INTO {target}"))
            .map_err(sqlite("VACUUM INTO"))?;
        let (checksum, after) = conn
            .transaction(|conn| {
                let checksum = content_checksum(conn)?;
                let after = data_version(conn)?;
                QueryResult::Ok((checksum, after))
            })
            .map_err(sqlite("computing the content checksum"))?;
        if before == after {
            return Ok(checksum);
        }
        std::fs::remove_file(dest).map_err(|e| Error::Io {
            path: dest.to_path_buf(),
            step: "removing a copy taken while the database changed",
            source: e,
        })?;
    }
    Err(Error::KeptChanging {
        path: source.to_path_buf(),
        attempts: ATTEMPTS,
    })
}

/// Replaces the content of the database file `database` (created if missing) with that of `source`,
/// in one write transaction of `database`, waiting up to `timeout` for other writers.
pub fn restore_into(source: &Path, database: &Path, timeout: Duration) -> Result<(), Error> {
    use rusqlite::backup::{Backup, StepResult};
    use rusqlite::{Connection, OpenFlags};
    let failed = |step: &'static str| {
        move |e: rusqlite::Error| Error::Restore {
            source_path: source.to_path_buf(),
            database: database.to_path_buf(),
            step,
            detail: e.to_string(),
        }
    };
    let from = Connection::open_with_flags(
        inspection_plan(source).target(source),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed("opening the backup"))?;
    let mut to = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed("opening the database"))?;
    to.busy_timeout(BUSY_TIMEOUT.min(timeout))
        .map_err(failed("setting the busy timeout"))?;
    let started = Instant::now();
    {
        let backup = Backup::new(&from, &mut to).map_err(failed("starting the backup"))?;
        loop {
            // -1: every page in one step, so the whole replacement is one transaction.
            match backup.step(-1).map_err(failed("copying the pages"))? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    if started.elapsed() >= timeout {
                        return Err(Error::Locked {
                            path: database.to_path_buf(),
                            waited: started.elapsed(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {}
            }
        }
    }
    // Best effort: move the new pages out of the WAL now rather than at the next automatic checkpoint.
    let _ = to.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
    to.close()
        .map_err(|(_, e)| failed("closing the database")(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_and_restore_keep_the_content_and_the_wal_mode() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let live = dir.path().join("live.db");
        let copy = dir.path().join("copy.db");
        let mut conn =
            connection::establish(&live, Access::ReadWrite).unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
             INSERT INTO t (v) VALUES ('a'), ('b');",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let copied = copy_into(&live, &copy).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(copied.rows(), 2);
        conn.batch_execute("DELETE FROM t; CREATE TABLE extra (x);")
            .unwrap_or_else(|e| panic!("{e}"));
        // Restored while this connection is still open: it sees the new content at its next statement.
        restore_into(&copy, &live, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let now = content_checksum(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(now, copied);
        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            journal_mode: String,
        }
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode.journal_mode, "wal");
        assert!(
            matches!(copy_into(&live, &copy), Err(Error::Sqlite { .. })),
            "never overwrites"
        );
    }
}
