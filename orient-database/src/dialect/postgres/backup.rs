//! Backing a PostgreSQL database up and restoring it with the server's own tools: `pg_dump
//! --format=custom` and `pg_restore`, found and run by [`super::tools`].
//!
//! - [`dump`]: a REPEATABLE READ, READ ONLY transaction exports its snapshot (`pg_export_snapshot()`),
//!   the content checksum is computed in it, and `pg_dump --snapshot=…` dumps exactly that snapshot
//!   while the transaction stays open: the checksum is the dump's, whatever other sessions commit
//!   meanwhile. The dump is then verified with `pg_restore --list` (the archive is complete and readable
//!   by pg_restore, with the data of every table the checksum read). Restoring into a scratch database
//!   would prove more but needs `CREATEDB` and doubles the server's work on every backup and snapshot;
//!   the restore verifies the content checksum anyway, before anyone relies on it. The checksum is
//!   recorded beside the dump, in `<dump>.checksum.json` with the dump's SHA-256.
//! - [`restore`]: pg_restore writes the dump as SQL into `psql`, in ONE transaction that first drops
//!   every table of the schema (so tables made after the backup go too) and is committed only once
//!   pg_restore has finished successfully; any error rolls all of it back. Other sessions see the old
//!   content until the commit and the new one after it, never a mix (the dropped tables are locked
//!   ACCESS EXCLUSIVE until then). `pg_restore --single-transaction` alone would leave tables the dump
//!   does not have, and restoring into a scratch database and renaming it cannot be done while
//!   sessions are connected, so neither is atomic for other sessions.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use sha2::{Digest, Sha256};

use crate::db::backend::Access;
use crate::db::target::PostgresTarget;
use crate::dialect::postgres::connection::establish;
use crate::dialect::postgres::tools::{ToolError, Tools};
use crate::ops::Error;
use crate::ops::checksum::{ContentChecksum, TableChecksum, combine};

/// What a dump wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub path: PathBuf,
    pub bytes: u64,
    pub checksum: ContentChecksum,
}

/// The file recording a dump's checksums: `<dump>.checksum.json`.
pub fn checksum_file(dump: &Path) -> PathBuf {
    let mut name = dump.as_os_str().to_os_string();
    name.push(".checksum.json");
    PathBuf::from(name)
}

/// A failure inside the snapshot transaction: the database's or ours.
enum Step {
    Db(diesel::result::Error),
    Ops(Error),
}

impl From<diesel::result::Error> for Step {
    fn from(e: diesel::result::Error) -> Step {
        Step::Db(e)
    }
}

fn server_error(
    target: &PostgresTarget,
    step: &'static str,
) -> impl Fn(diesel::result::Error) -> Error {
    let server = PathBuf::from(target.redacted());
    move |source| Error::Sqlite {
        path: server.clone(),
        step,
        source,
    }
}

fn tool_error(e: ToolError) -> Error {
    Error::PostgresTool(e)
}

fn server_version(conn: &mut PgConnection) -> QueryResult<u32> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        server_version_num: String,
    }
    let row: Row = diesel::sql_query("SHOW server_version_num").get_result(conn)?;
    Ok(row.server_version_num.trim().parse().unwrap_or(0))
}

/// Runs `command`, its stderr captured: an error with what it said when it fails.
fn run(mut command: Command, tool: &'static str, step: &'static str) -> Result<Vec<u8>, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{tool} could not be started: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "{tool} ({step}) failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hash.finalize()))
}

/// Dumps the database of `target` into `partial` (which must not exist) and returns the content
/// checksum of exactly the dumped snapshot, verified as the module documentation says.
pub fn dump(target: &PostgresTarget, partial: &Path) -> Result<ContentChecksum, Error> {
    let tools = Tools::find().map_err(tool_error)?;
    let mut conn = establish(target, Access::ReadOnly)?;
    let version =
        server_version(&mut conn).map_err(server_error(target, "reading the server's version"))?;
    tools
        .require_at_least("pg_dump", target, version)
        .map_err(tool_error)?;
    let result = conn.build_transaction().repeatable_read().read_only().run(
        |conn| -> Result<ContentChecksum, Step> {
            #[derive(QueryableByName)]
            struct Exported {
                #[diesel(sql_type = Text)]
                snapshot: String,
            }
            let exported: Exported =
                diesel::sql_query("SELECT pg_export_snapshot() AS snapshot").get_result(conn)?;
            let checksum = crate::ops::checksum::postgres_checksum(conn)?;
            let mut command = tools.connected("pg_dump", target);
            command
                .arg("--format=custom")
                .arg(format!("--snapshot={}", exported.snapshot))
                .arg("--no-owner")
                .arg(format!("--file={}", partial.display()));
            run(command, "pg_dump", "dumping the database").map_err(|detail| {
                Step::Ops(Error::Dump {
                    database: target.redacted().to_owned(),
                    path: partial.to_path_buf(),
                    detail,
                })
            })?;
            Ok(checksum)
        },
    );
    let checksum = match result {
        Ok(checksum) => checksum,
        Err(Step::Db(e)) => {
            return Err(server_error(target, "reading the database in one snapshot")(e));
        }
        Err(Step::Ops(e)) => return Err(e),
    };
    // The archive is readable and holds the data of every table the checksum read.
    let listing = list(&tools, partial).map_err(|detail| Error::CopyMismatch {
        copy: partial.to_path_buf(),
        source_path: PathBuf::from(target.redacted()),
        detail,
    })?;
    for table in &checksum.tables {
        let has_data = listing.lines().any(|line| {
            line.contains(" TABLE DATA ") && line.split_whitespace().any(|word| word == table.table)
        });
        if !has_data {
            return Err(Error::CopyMismatch {
                copy: partial.to_path_buf(),
                source_path: PathBuf::from(target.redacted()),
                detail: format!(
                    "pg_restore --list shows no data for the table {}",
                    table.table
                ),
            });
        }
    }
    Ok(checksum)
}

/// `pg_restore --list` of `archive`: its table of contents, or why pg_restore cannot read it.
fn list(tools: &Tools, archive: &Path) -> Result<String, String> {
    let mut command = tools.offline("pg_restore");
    command.arg("--list").arg(archive);
    run(command, "pg_restore", "listing the archive")
        .map(|out| String::from_utf8_lossy(&out).into_owned())
}

/// Writes `<dump>.checksum.json` for a dump whose content checksum is `checksum`.
pub fn record_checksum(
    dump: &Path,
    database: &PostgresTarget,
    checksum: &ContentChecksum,
) -> Result<(), Error> {
    let io = |step: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Io { path, step, source }
    };
    let file_sha256 = sha256_file(dump).map_err(io("hashing the dump", dump))?;
    let record = serde_json::json!({
        "database": database.redacted(),
        "file_sha256": file_sha256,
        "checksum": checksum,
    });
    let path = checksum_file(dump);
    let text = serde_json::to_string_pretty(&record).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(io("writing the checksum file", &path))?;
    crate::os::file::owner_only(&path, false)
        .map_err(io("restricting the checksum file", &path))?;
    Ok(())
}

/// What `<dump>.checksum.json` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub file_sha256: String,
    pub checksum: ContentChecksum,
}

/// Reads `<dump>.checksum.json`: `None` when there is none (a dump made by hand).
pub fn read_checksum(dump: &Path) -> Result<Option<Recorded>, Error> {
    let path = checksum_file(dump);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                path,
                step: "reading the checksum file",
                source,
            });
        }
    };
    let bad = |detail: &str| Error::CorruptSource {
        path: path.clone(),
        problems: vec![detail.to_owned()],
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let text_of = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let file_sha256 = text_of(&value["file_sha256"]).ok_or_else(|| bad("no file_sha256"))?;
    let algorithm = value["checksum"]["algorithm"].as_str().unwrap_or_default();
    if algorithm != crate::ops::checksum::ALGORITHM {
        return Err(bad(&format!(
            "checksum algorithm {algorithm:?}, this binary knows {}",
            crate::ops::checksum::ALGORITHM
        )));
    }
    let mut tables = Vec::new();
    for table in value["checksum"]["tables"]
        .as_array()
        .ok_or_else(|| bad("no tables"))?
    {
        let name = text_of(&table["table"]).ok_or_else(|| bad("a table without a name"))?;
        tables.push(TableChecksum {
            bookkeeping: crate::bookkeeping::is_bookkeeping_table(&name),
            table: name,
            rows: table["rows"]
                .as_u64()
                .ok_or_else(|| bad("a table without rows"))?,
            sha256: text_of(&table["sha256"]).ok_or_else(|| bad("a table without sha256"))?,
        });
    }
    let checksum = combine(tables);
    if Some(checksum.sha256.as_str()) != value["checksum"]["sha256"].as_str() {
        return Err(bad("its tables do not add up to its checksum"));
    }
    Ok(Some(Recorded {
        file_sha256,
        checksum,
    }))
}

/// What checking a dump to restore found.
#[derive(Debug, Clone)]
pub struct Examined {
    pub recorded: Option<Recorded>,
    /// The migration versions in the dump's ledger.
    pub versions: Vec<String>,
}

/// Checks a dump before anything is changed: its recorded SHA-256 (when there is a checksum file),
/// that pg_restore reads it, and which migrations its ledger holds.
pub fn examine(source: &Path) -> Result<Examined, Error> {
    let tools = Tools::find().map_err(tool_error)?;
    let recorded = read_checksum(source)?;
    if let Some(recorded) = &recorded {
        let found = sha256_file(source).map_err(|e| Error::Io {
            path: source.to_path_buf(),
            step: "hashing the dump",
            source: e,
        })?;
        if found != recorded.file_sha256 {
            return Err(Error::CorruptSource {
                path: source.to_path_buf(),
                problems: vec![format!(
                    "its SHA-256 is {found}, {} recorded {} when it was written",
                    checksum_file(source).display(),
                    recorded.file_sha256
                )],
            });
        }
    }
    let listing = list(&tools, source).map_err(|detail| Error::NotADump {
        path: source.to_path_buf(),
        detail,
    })?;
    let ledger = crate::bookkeeping::DIESEL_LEDGER;
    let has_ledger = listing.lines().any(|line| {
        line.contains(" TABLE DATA ") && line.split_whitespace().any(|word| word == ledger)
    });
    let mut versions = Vec::new();
    if has_ledger {
        let mut command = tools.offline("pg_restore");
        command
            .arg("--data-only")
            .arg(format!("--table={ledger}"))
            .arg("--file=-")
            .arg(source);
        let script =
            run(command, "pg_restore", "reading the migration ledger").map_err(|detail| {
                Error::NotADump {
                    path: source.to_path_buf(),
                    detail,
                }
            })?;
        let script = String::from_utf8_lossy(&script);
        let mut in_copy = false;
        for line in script.lines() {
            if line.starts_with("COPY ") {
                in_copy = true;
            } else if line == "\\." {
                in_copy = false;
            } else if in_copy && let Some(version) = line.split('\t').next() {
                versions.push(version.to_owned());
            }
        }
    }
    Ok(Examined { recorded, versions })
}

/// Replaces the content of `current_schema()` of `target` with the dump `source`, in one transaction
/// (see the module documentation).
pub fn restore(target: &PostgresTarget, source: &Path) -> Result<(), Error> {
    let tools = Tools::find().map_err(tool_error)?;
    let failed = |step: &'static str| {
        let source = source.to_path_buf();
        let database = PathBuf::from(target.redacted());
        move |detail: String| Error::Restore {
            source_path: source.clone(),
            database: database.clone(),
            step,
            detail,
        }
    };
    let mut psql = tools.connected("psql", target);
    psql.arg("--no-psqlrc")
        .arg("--quiet")
        .arg("--set=ON_ERROR_STOP=1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut psql = psql
        .spawn()
        .map_err(|e| failed("starting psql")(e.to_string()))?;
    let mut restore = tools.offline("pg_restore");
    restore
        .arg("--clean")
        .arg("--if-exists")
        .arg("--no-owner")
        .arg("--file=-")
        .arg(source)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut restore = restore
        .spawn()
        .map_err(|e| failed("starting pg_restore")(e.to_string()))?;
    let written = (|| -> std::io::Result<()> {
        let Some(mut into) = psql.stdin.take() else {
            return Ok(());
        };
        into.write_all(PREAMBLE.as_bytes())?;
        if let Some(mut from) = restore.stdout.take() {
            std::io::copy(&mut from, &mut into)?;
        }
        let finished = restore.wait()?;
        // COMMIT only after pg_restore finished well: a truncated script is rolled back when psql's
        // session ends without it.
        if finished.success() {
            into.write_all(b"\nCOMMIT;\n")?;
        }
        Ok(())
    })();
    let restore_status = restore.wait();
    let mut restore_err = String::new();
    if let Some(mut err) = restore.stderr.take() {
        let _ = err.read_to_string(&mut restore_err);
    }
    let psql_output = psql.wait_with_output();
    if let Err(e) = written {
        let _ = psql_output;
        return Err(failed("feeding pg_restore's script to psql")(format!(
            "{e}; {}",
            restore_err.trim()
        )));
    }
    match restore_status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return Err(failed("pg_restore")(format!(
                "{status}: {}",
                restore_err.trim()
            )));
        }
        Err(e) => return Err(failed("pg_restore")(e.to_string())),
    }
    let output = psql_output.map_err(|e| failed("psql")(e.to_string()))?;
    if !output.status.success() {
        return Err(failed("running the restore in psql")(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// The start of the restore's transaction: every table and view of the schema goes (CASCADE takes
/// their sequences and constraints), so what is left after the commit is exactly the dump's.
const PREAMBLE: &str = "SET client_min_messages = warning;
BEGIN;
DO $orient_restore$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND NOT c.relispartition
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE',
                   CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   current_schema(), r.relname);
  END LOOP;
END $orient_restore$;
";

/// Whether the database of `target` holds any table in its schema (a snapshot of nothing is skipped).
pub fn has_tables(conn: &mut PgConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        any: bool,
    }
    let row: Row = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')) AS any",
    )
    .get_result(conn)?;
    Ok(row.any)
}

/// The content checksum of the database of `target` now.
pub fn checksum_now(target: &PostgresTarget) -> Result<ContentChecksum, Error> {
    let mut conn = establish(target, Access::ReadOnly)?;
    crate::ops::checksum::postgres_checksum(&mut conn)
        .map_err(server_error(target, "computing the content checksum"))
}
