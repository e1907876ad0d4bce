//! Opening one SQLite connection safely: check the file first, then apply the same pragmas everywhere.
//!
//! A file is checked before anything can write to it: a directory or a file that is not SQLite is
//! refused with the file left byte-identical and no `-wal`/`-shm` created (the check opens it
//! `immutable=1`, read-only, through SQLite's own VFS, which keeps POSIX locks of other connections in
//! this process intact, unlike a `std::fs` read would).

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::error::Error;
use crate::dialect::sqlite::busy::is_busy;

/// How long a statement waits for another connection's lock before failing with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What a connection may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// `PRAGMA query_only`: any write fails, so a reader can never modify the database by mistake.
    ReadOnly,
}

/// Settings applied to every connection.
///
/// - `busy_timeout` first, so the other pragmas wait for locks instead of failing;
/// - `foreign_keys = ON`: SQLite's default is off for each new connection;
/// - `synchronous = NORMAL`: in WAL mode commits are durable across application crashes and only the
///   last transactions can be lost on power loss, at a fraction of FULL's fsyncs;
/// - `temp_store = MEMORY` and a 16 MiB page cache (negative = KiB);
/// - `legacy_alter_table = OFF`: `ALTER TABLE RENAME` keeps references in other tables right.
fn connection_pragmas() -> String {
    format!(
        "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; PRAGMA legacy_alter_table = OFF;",
        BUSY_TIMEOUT.as_millis()
    )
}

/// Applies the connection pragmas (and `query_only` for readers).
pub fn configure(conn: &mut SqliteConnection, access: Access) -> QueryResult<()> {
    conn.batch_execute(&connection_pragmas())?;
    if access == Access::ReadOnly {
        conn.batch_execute("PRAGMA query_only = ON;")?;
    }
    Ok(())
}

/// Switches the database to write-ahead logging (persistent: stored in the file header) and checks that
/// SQLite accepted it; it silently keeps the old mode where WAL is impossible.
pub fn enable_wal(conn: &mut SqliteConnection, path: &Path) -> Result<(), Error> {
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode = WAL")
        .get_result(conn)
        .map_err(|source| setup_error(path, "PRAGMA journal_mode = WAL", source))?;
    if mode.journal_mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(Error::Setup {
            path: path.to_path_buf(),
            step: "PRAGMA journal_mode = WAL",
            source: diesel::result::Error::QueryBuilderError(
                format!(
                    "SQLite kept journal_mode={} (WAL needs shared memory beside the file)",
                    mode.journal_mode
                )
                .into(),
            ),
        })
    }
}

fn setup_error(path: &Path, step: &'static str, source: diesel::result::Error) -> Error {
    if is_busy(&source) {
        Error::Locked {
            path: path.to_path_buf(),
        }
    } else {
        Error::Setup {
            path: path.to_path_buf(),
            step,
            source,
        }
    }
}

/// What [`prepare_file`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Directories created for the database, outermost first.
    pub created_directories: Vec<PathBuf>,
    /// Whether the database file existed before.
    pub existed: bool,
}

/// Checks a database path before it is opened. With `create`, missing parent directories are created;
/// without, a missing file is [`Error::NotFound`] and nothing is created.
pub fn prepare_file(path: &Path, create: bool) -> Result<Prepared, Error> {
    if path.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if path.exists() {
        probe(path)?;
        return Ok(Prepared {
            created_directories: Vec::new(),
            existed: true,
        });
    }
    if !create {
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    }
    let mut created = Vec::new();
    if let Some(parent) = path.parent() {
        let missing: Vec<&Path> = parent.ancestors().take_while(|d| !d.exists()).collect();
        std::fs::create_dir_all(parent).map_err(|source| Error::CreateDirectory {
            path: parent.to_path_buf(),
            source,
        })?;
        created.extend(missing.into_iter().rev().map(Path::to_path_buf));
    }
    Ok(Prepared {
        created_directories: created,
        existed: false,
    })
}

/// Reads the header and schema of an existing file without any chance of writing to it.
fn probe(path: &Path) -> Result<(), Error> {
    let uri = format!("{}?mode=ro&immutable=1", file_uri(path));
    let mut conn = SqliteConnection::establish(&uri).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        schema_version: i64,
    }
    let result: QueryResult<Version> =
        diesel::sql_query("PRAGMA schema_version").get_result(&mut conn);
    match result {
        Ok(version) => {
            let _ = version.schema_version;
            Ok(())
        }
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("not a database") =>
        {
            Err(Error::NotADatabase {
                path: path.to_path_buf(),
            })
        }
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("malformed") =>
        {
            Err(Error::Corrupt {
                path: path.to_path_buf(),
                detail: info.message().to_owned(),
            })
        }
        Err(source) => Err(Error::Setup {
            path: path.to_path_buf(),
            step: "reading the schema version",
            source,
        }),
    }
}

/// A `file:` URI for a path: `%`, `?` and `#` are escaped so the path is read as written.
pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            _ => uri.push(ch),
        }
    }
    uri
}

/// Opens one connection to an existing or new database file, checked by [`prepare_file`] beforehand.
///
/// A read-only connection is a normal connection with `query_only` rather than a `mode=ro` one: in WAL
/// mode a `mode=ro` connection creates `-wal`/`-shm` files it can then not remove, while a normal one,
/// closing last, removes them, so a read-only command leaves the directory as it found it.
pub fn establish(path: &Path, access: Access) -> Result<SqliteConnection, Error> {
    let target = path.to_string_lossy();
    let mut conn = SqliteConnection::establish(&target).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    configure(&mut conn, access)
        .map_err(|source| setup_error(path, "connection pragmas", source))?;
    Ok(conn)
}

/// A private in-memory database, configured like every connection: the scratch database migrations
/// are replayed into.
pub fn in_memory() -> Result<SqliteConnection, ConnectionError> {
    let mut conn = SqliteConnection::establish(":memory:")?;
    configure(&mut conn, Access::ReadWrite)
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// Opens an existing database read-only, for commands that must never create or modify a file: a missing
/// file is [`Error::NotFound`], and the journal mode is left as it is.
pub fn open_read_only(path: &Path) -> Result<SqliteConnection, Error> {
    prepare_file(path, false)?;
    establish(path, Access::ReadOnly)
}
