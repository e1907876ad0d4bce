//! Looking inside a SQLite database without changing any file: for `orient-db doctor` and for checking
//! a backup before restoring it. The file is opened as an inspection ([`inspection_plan`]): no file is
//! created or written, not even a reader mark in `-shm`; a `-wal` that cannot be read that way is left
//! unread and reported ([`Opened::wal_unread`]).

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::dialect::sqlite::busy::BUSY_TIMEOUT;
use crate::dialect::sqlite::read_only::{ReadMode, inspection_plan};

/// What the first 100 bytes of a database file say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// The file starts with "SQLite format 3\0".
    pub sqlite: bool,
    pub page_size: u32,
    /// The file is in WAL mode (read and write versions 2).
    pub wal_mode: bool,
}

/// Reads a database file's header. Call it before opening a connection to the file in this process:
/// closing the descriptor used here would drop the POSIX locks of such a connection.
pub fn read_header(path: &Path) -> std::io::Result<Option<Header>> {
    use std::io::Read;
    let mut bytes = [0u8; 100];
    let mut file = std::fs::File::open(path)?;
    let mut read = 0;
    while read < bytes.len() {
        match file.read(&mut bytes[read..])? {
            0 => break,
            n => read += n,
        }
    }
    if read < bytes.len() {
        // An empty file is a valid empty database to SQLite; a short one is not a database.
        return Ok(None);
    }
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        n => u32::from(n),
    };
    Ok(Some(Header {
        sqlite: &bytes[..16] == b"SQLite format 3\0",
        page_size,
        wal_mode: bytes[18] == 2 && bytes[19] == 2,
    }))
}

/// A connection that cannot change anything, and how it reads.
pub struct Opened {
    pub conn: DbConnection,
    pub mode: ReadMode,
    /// A `-wal` of this many bytes exists but could not be read (no `-shm` beside it).
    pub wal_unread: Option<u64>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("mode", &self.mode)
            .field("wal_unread", &self.wal_unread)
            .finish_non_exhaustive()
    }
}

/// Why a file could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpenFailure {
    Missing,
    NotADatabase,
    Corrupt { detail: String },
    CannotOpen { detail: String },
}

impl std::fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenFailure::Missing => f.write_str("the file does not exist"),
            OpenFailure::NotADatabase => f.write_str("it is not an SQLite database"),
            OpenFailure::Corrupt { detail } => write!(f, "it is corrupt ({detail})"),
            OpenFailure::CannotOpen { detail } => write!(f, "SQLite cannot open it ({detail})"),
        }
    }
}

/// Opens `path` so that nothing can change any file (see the module documentation).
pub fn open(path: &Path) -> Result<Opened, OpenFailure> {
    if !path.exists() {
        return Err(OpenFailure::Missing);
    }
    let plan = inspection_plan(path);
    let mut conn =
        DbConnection::establish(&plan.target(path)).map_err(|e| OpenFailure::CannotOpen {
            detail: e.to_string(),
        })?;
    // No pragma that writes: only how long to wait for a writer's lock, and query_only for good measure.
    diesel::sql_query(format!(
        "PRAGMA busy_timeout = {}",
        BUSY_TIMEOUT.as_millis()
    ))
    .execute(&mut conn)
    .map_err(classify)?;
    diesel::sql_query("PRAGMA query_only = ON")
        .execute(&mut conn)
        .map_err(classify)?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        schema_version: i64,
    }
    let version: Version = diesel::sql_query("PRAGMA schema_version")
        .get_result(&mut conn)
        .map_err(classify)?;
    let _ = version.schema_version;
    Ok(Opened {
        conn,
        mode: plan.mode,
        wal_unread: plan.wal_unread,
    })
}

/// Sorts a failure of the first read into the kinds a message needs.
pub fn classify(error: diesel::result::Error) -> OpenFailure {
    let detail = error.to_string();
    if detail.contains("not a database") {
        OpenFailure::NotADatabase
    } else if detail.contains("malformed") || detail.contains("corrupt") {
        OpenFailure::Corrupt { detail }
    } else {
        OpenFailure::CannotOpen { detail }
    }
}

/// `PRAGMA integrity_check`: an empty list when the database is sound, else SQLite's findings (at most
/// `limit`). An error while checking (a page so damaged the check cannot go on) is a finding too.
pub fn integrity_problems(conn: &mut DbConnection, limit: u32) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    match diesel::sql_query(format!("PRAGMA integrity_check({limit})")).load::<Row>(conn) {
        Ok(rows) => rows
            .into_iter()
            .map(|r| r.integrity_check)
            .filter(|line| line != "ok")
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// Rows that reference nothing, counted per child table and parent table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DanglingRows {
    pub table: String,
    pub parent: String,
    pub rows: u64,
    /// The rowid of the first such row.
    pub first_rowid: Option<i64>,
}

/// `PRAGMA foreign_key_check` over the whole database, grouped.
pub fn foreign_key_problems(conn: &mut DbConnection) -> QueryResult<Vec<DanglingRows>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        child: String,
        #[diesel(sql_type = Text)]
        parent: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        first: Option<i64>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT \"table\" AS child, parent, count(*) AS n, min(rowid) AS first \
         FROM pragma_foreign_key_check GROUP BY \"table\", parent ORDER BY \"table\", parent",
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| DanglingRows {
            table: r.child,
            parent: r.parent,
            rows: u64::try_from(r.n).unwrap_or(0),
            first_rowid: r.first,
        })
        .collect())
}

/// The version of the linked SQLite library.
pub fn sqlite_version(conn: &mut DbConnection) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        v: String,
    }
    diesel::sql_query("SELECT sqlite_version() AS v")
        .get_result::<Row>(conn)
        .map(|r| r.v)
}

/// The file of the `main` database of a connection; `None` for an in-memory or temporary database.
pub fn main_file(conn: &mut DbConnection) -> QueryResult<Option<PathBuf>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        file: String,
    }
    let row: Option<Row> =
        diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .get_result(conn)
            .optional()?;
    Ok(row
        .map(|r| r.file)
        .filter(|f| !f.is_empty())
        .map(PathBuf::from))
}

/// Whether the connection's `main` database has any table of the application or of the tools.
pub fn has_tables(conn: &mut DbConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: Row = diesel::sql_query(
        "SELECT count(*) AS n FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .get_result(conn)?;
    Ok(row.n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn reading_a_closed_wal_database_creates_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.db");
        {
            let mut conn =
                DbConnection::establish(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let before = listing(dir.path());
        let header = read_header(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("header"));
        assert!(header.sqlite && header.wal_mode);
        let mut opened = open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.mode, ReadMode::FileAlone);
        assert!(integrity_problems(&mut opened.conn, 10).is_empty());
        assert_eq!(
            main_file(&mut opened.conn).unwrap_or_else(|e| panic!("{e}")),
            Some(path.clone())
        );
        drop(opened);
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.db");
        std::fs::write(&path, vec![7u8; 4096]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(open(&path).err(), Some(OpenFailure::NotADatabase));
        assert_eq!(
            open(&dir.path().join("none.db")).err(),
            Some(OpenFailure::Missing)
        );
    }
}
