//! Opening one SQLite connection safely: check the file first, then apply the same pragmas everywhere.
//!
//! A file is checked before anything can write to it: a directory or a file that is not SQLite is
//! refused with the file left byte-identical and no `-wal`/`-shm` created (the check opens it
//! `immutable=1`, read-only, through SQLite's own VFS, which keeps POSIX locks of other connections in
//! this process intact, unlike a `std::fs` read would). An `immutable=1` read ignores the `-wal`, so
//! when it finds the file damaged and a `-wal` is there, SQLite is allowed to recover its log and judge
//! again: only what SQLite itself, with the log, calls corrupt is reported as corrupt.
//!
//! A read-only connection creates nothing: how it opens the file is decided in
//! [`command_plan`].

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::error::Error;
use crate::dialect::sqlite::busy::is_busy;
use crate::dialect::sqlite::files::{file_uri, has_wal};
use crate::dialect::sqlite::read_only::command_plan;
use crate::dialect::sqlite::storage::writable;

pub use crate::dialect::sqlite::busy::BUSY_TIMEOUT;

pub use crate::db::backend::Access;
use crate::db::backend::{DbConnection, from_sqlite};

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
pub fn enable_wal(conn: &mut DbConnection, path: &Path) -> Result<(), Error> {
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

/// Reads the header and schema of an existing file without any chance of writing to it; when that finds
/// it damaged and a write-ahead log is beside it, lets SQLite recover the log and judges again.
fn probe(path: &Path) -> Result<(), Error> {
    match probe_at(path, &format!("{}?mode=ro&immutable=1", file_uri(path))) {
        Err(Error::NotADatabase { .. } | Error::Corrupt { .. }) if has_wal(path) => {
            probe_recovering(path)
        }
        other => other,
    }
}

/// The check again, through the write-ahead log: a normal connection (SQLite rebuilds the log's index and
/// reads committed transactions from it; closing, it folds them into the file) when this process can
/// write beside the database, else a `mode=ro` one when the `-shm` index exists, else an error saying
/// what recovering needs ([`command_plan`]).
fn probe_recovering(path: &Path) -> Result<(), Error> {
    let plan = command_plan(path, "recovering the write-ahead log")?;
    probe_at(path, &plan.target(path))
}

/// Reads the schema version through a connection opened on `target` (the path, or a `file:` URI).
fn probe_at(path: &Path, target: &str) -> Result<(), Error> {
    let mut conn = SqliteConnection::establish(target).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        schema_version: i64,
    }
    // Reading the schema, not only the header, so a file cut short is noticed.
    let result: QueryResult<Version> = diesel::sql_query(
        "SELECT (SELECT schema_version FROM pragma_schema_version) + 0 * count(*) AS schema_version \
         FROM sqlite_schema",
    )
    .get_result(&mut conn);
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

/// Opens one connection to an SQLite file as the connection type of the build ([`DbConnection`]);
/// [`establish_sqlite`] for code that needs SQLite's own.
pub fn establish(path: &Path, access: Access) -> Result<DbConnection, Error> {
    Ok(from_sqlite(establish_sqlite(path, access)?))
}

/// Opens one connection to an existing or new database file, checked by [`prepare_file`] beforehand.
///
/// A read-write connection is refused up front, naming the file, its owner and the fix, when this
/// process cannot write the database, its `-wal`/`-shm` or its directory ([`writable`]).
///
/// A read-only connection is a normal connection with `query_only` rather than a `mode=ro` one where
/// this process can write: in WAL mode a `mode=ro` connection creates `-wal`/`-shm` files it can then not
/// remove, while a normal one, closing last, removes them, so a read-only command leaves the directory as
/// it found it. Where it cannot write, see [`command_plan`].
pub fn establish_sqlite(path: &Path, access: Access) -> Result<SqliteConnection, Error> {
    let target = match access {
        Access::ReadWrite => {
            writable(path, "opening the database for writing")?;
            path.to_string_lossy().into_owned()
        }
        Access::ReadOnly => command_plan(path, "reading")?.target(path),
    };
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
pub fn open_read_only(path: &Path) -> Result<DbConnection, Error> {
    prepare_file(path, false)?;
    establish(path, Access::ReadOnly)
}
