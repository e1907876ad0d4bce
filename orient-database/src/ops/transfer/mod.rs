//! `orient-db transfer`: a whole Orient database copied to another database, on the same engine or the
//! other one (SQLite → PostgreSQL and back), and verified.
//!
//! 1. Refusals, before anything is written: the same database on both sides; a target file in a
//!    directory that does not exist; a source whose ledger holds versions this binary does not know or
//!    misses some it has (it is migrated first, so both sides end at this binary's schema); a source
//!    or target whose tables are not the structs' (drift); a target whose application tables hold rows,
//!    unless [`Options::replace`].
//! 2. The target is brought to the schema by its own dialect's embedded migrations (the migrator, with
//!    its lock and checks), so its ledger is the target dialect's, at the source's versions.
//! 3. In ONE transaction on the target (and one read transaction, a consistent view, on the source):
//!    `--replace` deletes the target's rows (children first); every table the structs declare is
//!    copied in foreign-key order ([`order`]), typed by the model ([`typed`]: a value that is not what
//!    its struct declares stops the transfer, naming it), in large statements ([`engine`]: multi-row
//!    `INSERT` on SQLite, `unnest` arrays on PostgreSQL); both sides' content checksums
//!    (`orient-content-v1`, engine-independent by definition) are compared ([`report`]); the
//!    autoincrement high-water marks are carried (PostgreSQL's identity sequences, SQLite's
//!    `sqlite_sequence`), so the next insert gets a fresh id. Any difference rolls everything back.
//!
//! Not transactional: PostgreSQL's `setval`, which is why the marks are set last, after the checksums
//! agreed; and the target's migrations, which each commit on their own (a failed copy leaves the target
//! migrated and empty, which a second transfer accepts without `--replace`).

pub mod engine;
pub mod error;
pub mod order;
pub mod report;
pub mod typed;

use std::path::Path;
use std::time::Duration;

use crate::db::backend::DbConnection;
use crate::db::config::Config;
use crate::db::open::{ForChange, open_for_change, open_read_only};
use crate::db::target::{PostgresTarget, Target, is_postgres_url};
use crate::engine::EngineConnection;
use crate::migrations::backend::{LedgerEntry, MigrationBackend};
use crate::migrations::migrator::migrate_locked;
use crate::migrations::{embedded_for, runner};
use crate::model::{Column, Table};
use crate::ops::checksum::{ALGORITHM, content_checksum};
use crate::ops::content::ContentValue;
use crate::schema::TABLES;

pub use error::Error;
pub use report::{SequenceMark, TableCheck, TableKind, TransferReport};

/// How to transfer.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Delete the rows the target's application tables hold before copying (in the same transaction).
    pub replace: bool,
    /// How long to wait for another migrator of the target; the default when `None`.
    pub lock_timeout: Option<Duration>,
}

/// A `--from`/`--to` argument: a `postgres://` or `postgresql://` URL, else an SQLite file path
/// (relative to the current directory).
pub fn parse_database(flag: &'static str, value: &str) -> Result<Target, Error> {
    if is_postgres_url(value) {
        PostgresTarget::parse(value)
            .map(Target::Postgres)
            .map_err(|e| Error::BadUrl {
                flag,
                // Never the password: only the scheme and what follows the last `@`.
                value: value.rsplit_once('@').map_or_else(
                    || value.to_owned(),
                    |(_, rest)| format!("postgres://…@{rest}"),
                ),
                reason: e.reason,
            })
    } else {
        Ok(Target::sqlite(value))
    }
}

/// Copies the Orient database `source` into `target` and verifies the copy. See the module
/// documentation.
pub fn transfer(
    source: &Target,
    target: &Target,
    options: &Options,
) -> Result<TransferReport, Error> {
    if same_database(source, target) {
        return Err(Error::SameDatabase {
            database: target.to_string(),
        });
    }
    if let Target::Sqlite { path } = target
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        return Err(Error::TargetDirectoryMissing {
            dir: dir.to_path_buf(),
        });
    }
    let mut src = open_source(source)?;
    let source_ledger = check_source_ledger(&mut src, source)?;
    check_drift(&mut src, "source", source)?;

    let mut config = Config::for_target(target.clone());
    if let Some(timeout) = options.lock_timeout {
        config = config.with_lock_timeout(timeout);
    }
    let mut opened = open_for_change(&config, "transferring into")?;
    let result = into_opened(
        &mut src,
        source,
        &source_ledger,
        &mut opened,
        target,
        options,
    );
    let released = opened.release();
    let created = opened.created;
    drop(opened);
    if result.is_err() && created {
        // A file this transfer created holds nothing anyone wrote: gone with the failure.
        if let Some(path) = target.sqlite_path() {
            remove_database_file(path);
        }
    }
    let report = result?;
    released?;
    Ok(report)
}

/// Everything after the target is open, with its migration lock held.
fn into_opened(
    src: &mut DbConnection,
    source: &Target,
    source_ledger: &[LedgerEntry],
    opened: &mut ForChange,
    target: &Target,
    options: &Options,
) -> Result<TransferReport, Error> {
    let held: Vec<(String, u64)> = application_rows(&mut opened.conn, target)?
        .into_iter()
        .filter(|(_, rows)| *rows > 0)
        .collect();
    if !held.is_empty() && !options.replace {
        return Err(Error::TargetNotEmpty {
            target: target.to_string(),
            tables: held,
        });
    }
    let migrations = embedded_for(target)?;
    let migrated = match opened.lock.as_ref() {
        Some(lock) => migrate_locked(&mut opened.conn, target, lock, &migrations, |_, _| {
            Ok::<_, Error>(())
        })?,
        None => crate::migrations::migrate(&mut opened.conn, target, &migrations)?,
    };
    opened.settle(target)?;
    check_drift(&mut opened.conn, "target", target)?;
    let target_ledger = opened.conn.applied()?;
    let mut report = copy_and_verify(
        src,
        source,
        source_ledger,
        &mut opened.conn,
        target,
        &target_ledger,
        options.replace,
    )?;
    report.migrations_applied = migrated
        .applied
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    Ok(report)
}

/// Whether both name the same database: the same file, or the same database on the same server.
fn same_database(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Sqlite { path: x }, Target::Sqlite { path: y }) => {
            x == y || matches!((x.canonicalize(), y.canonicalize()), (Ok(x), Ok(y)) if x == y)
        }
        (Target::Postgres(x), Target::Postgres(y)) => x.location() == y.location(),
        _ => false,
    }
}

/// The source, read-only: a missing file is an error and nothing is created.
fn open_source(source: &Target) -> Result<DbConnection, Error> {
    Ok(open_read_only(&Config::for_target(source.clone()))?)
}

/// The source's ledger, which must hold exactly this binary's versions.
fn check_source_ledger(src: &mut DbConnection, source: &Target) -> Result<Vec<LedgerEntry>, Error> {
    let migrations = embedded_for(source)?;
    let status = runner::status(src, &migrations)?;
    if !status.unknown.is_empty() {
        return Err(Error::SourceUnknownVersions {
            source_db: source.to_string(),
            versions: status.unknown.into_iter().map(|a| a.version).collect(),
        });
    }
    if !status.pending.is_empty() {
        let command = match source {
            Target::Sqlite { path } => {
                format!("SQLITE_DATABASE={} orient-db migrate", path.display())
            }
            Target::Postgres(server) => {
                format!("DATABASE_URL='{}' orient-db migrate", server.redacted())
            }
        };
        return Err(Error::SourcePending {
            source_db: source.to_string(),
            pending: status.pending.iter().map(|m| m.name.to_string()).collect(),
            command,
        });
    }
    Ok(src.applied()?)
}

/// Refuses a database whose application tables are not the structs' (a table missing, a column
/// missing or one no struct declares): copying it would lose or invent values.
fn check_drift(
    conn: &mut DbConnection,
    side: &'static str,
    database: &Target,
) -> Result<(), Error> {
    let live = conn
        .introspect()
        .map_err(|source| Error::Step {
            database: database.to_string(),
            step: "reading the schema",
            source,
        })?
        .schema;
    let mut problems = Vec::new();
    for table in TABLES {
        let Some(found) = live.table(&table.name) else {
            problems.push(format!("table {} is missing", table.name));
            continue;
        };
        for column in table.columns.iter() {
            if found.column(&column.name).is_none() {
                problems.push(format!("{}.{} is missing", table.name, column.name));
            }
        }
        for column in found.columns.iter() {
            if table.column(&column.name).is_none() {
                problems.push(format!(
                    "{}.{} is a column no struct declares",
                    table.name, column.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift {
            side,
            database: database.to_string(),
            problems,
        })
    }
}

/// The rows of each application table the database has.
fn application_rows(conn: &mut DbConnection, target: &Target) -> Result<Vec<(String, u64)>, Error> {
    let step = |source| Error::Step {
        database: target.to_string(),
        step: "counting the rows already there",
        source,
    };
    let mut rows = Vec::new();
    for table in TABLES {
        if conn.table_exists(&table.name).map_err(step)? {
            rows.push((
                table.name.to_string(),
                engine::count(conn, &table.name).map_err(step)?,
            ));
        }
    }
    Ok(rows)
}

/// Why reading a table stopped: the source failed, or a row could not be written.
enum Stop {
    Read(diesel::result::Error),
    Failed(Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(error: diesel::result::Error) -> Stop {
        Stop::Read(error)
    }
}

impl From<Error> for Stop {
    fn from(error: Error) -> Stop {
        Stop::Failed(error)
    }
}

/// What to say after a write that failed, by why it failed.
fn write_hint(error: &diesel::result::Error) -> &'static str {
    use diesel::result::{DatabaseErrorKind, Error as E};
    match error {
        E::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            ". The source holds rows that reference nothing: `orient-db doctor` on the source lists \
             them (foreign_key_check); delete or correct them and transfer again"
        }
        E::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ". The source holds values its declared unique indexes refuse; correct them and transfer \
             again"
        }
        E::DatabaseError(DatabaseErrorKind::NotNullViolation, _) => {
            ". The source holds NULL where the struct declares a value; correct it and transfer again"
        }
        _ => "",
    }
}

/// The copy, the checksums and the high-water marks, in one transaction on the target.
fn copy_and_verify(
    src: &mut DbConnection,
    source: &Target,
    source_ledger: &[LedgerEntry],
    tgt: &mut DbConnection,
    target: &Target,
    target_ledger: &[LedgerEntry],
    replace: bool,
) -> Result<TransferReport, Error> {
    let order = order::parents_first(TABLES);
    src.read_transaction(|src| {
        tgt.write_transaction(|tgt| {
            let mut replaced = 0;
            if replace {
                for table in order.iter().rev() {
                    let failed = |source| Error::Table {
                        database: target.to_string(),
                        step: "deleting the rows of",
                        table: table.name.to_string(),
                        source,
                        hint: "",
                    };
                    replaced += engine::count(tgt, &table.name).map_err(failed)?;
                    engine::delete_all(tgt, &table.name).map_err(failed)?;
                }
            }
            let mut rows = 0;
            for table in &order {
                rows += copy_table(src, source, tgt, target, table)?;
            }
            let sums = |conn: &mut DbConnection, database: &Target| {
                content_checksum(conn).map_err(|source| Error::Step {
                    database: database.to_string(),
                    step: "computing the content checksum",
                    source,
                })
            };
            let source_sums = sums(src, source)?;
            let target_sums = sums(tgt, target)?;
            let application: Vec<&str> = TABLES.iter().map(|t| t.name.as_ref()).collect();
            let tables = report::compare(
                &source_sums,
                &target_sums,
                source_ledger,
                target_ledger,
                &application,
            );
            let failed: Vec<String> = tables
                .iter()
                .filter(|t| !t.ok)
                .map(report::describe_failure)
                .collect();
            if !failed.is_empty() {
                return Err(Error::Mismatch {
                    source_db: source.to_string(),
                    target: target.to_string(),
                    tables: failed,
                });
            }
            let sequences = carry_marks(src, source, tgt, target, &order)?;
            Ok(TransferReport {
                source: source.to_string(),
                source_engine: source.engine(),
                target: target.to_string(),
                target_engine: target.engine(),
                algorithm: ALGORITHM,
                versions: target_ledger.iter().map(|e| e.version.clone()).collect(),
                migrations_applied: Vec::new(),
                rows_replaced: replaced,
                rows,
                tables,
                sequences,
                ok: true,
            })
        })
    })
}

/// Copies one table, checking each value against its declared type; returns the rows copied.
fn copy_table(
    src: &mut DbConnection,
    source: &Target,
    tgt: &mut DbConnection,
    target: &Target,
    table: &Table,
) -> Result<u64, Error> {
    let columns: Vec<Column> = table.columns.to_vec();
    let key: Vec<String> = table.primary_key.iter().map(|c| c.to_string()).collect();
    let key_at: Vec<usize> = key
        .iter()
        .filter_map(|k| columns.iter().position(|c| c.name == *k))
        .collect();
    let batch = engine::batch_rows(tgt, columns.len());
    let write_failed = |source: diesel::result::Error| Error::Table {
        database: target.to_string(),
        step: "writing",
        table: table.name.to_string(),
        hint: write_hint(&source),
        source,
    };
    let mut buffer: Vec<Vec<ContentValue>> = Vec::with_capacity(batch);
    let mut copied: u64 = 0;
    let mut position: u64 = 0;
    let read = engine::read_rows(src, &table.name, &columns, &key, &mut |row| {
        position += 1;
        let described = describe_row(&row, &columns, &key_at, position);
        let mut typed_row = Vec::with_capacity(row.len());
        for (value, column) in row.into_iter().zip(&columns) {
            match typed::typed(value, column.ty) {
                Ok(value) => typed_row.push(value),
                Err(found) => {
                    return Err(Stop::Failed(Error::WrongType(Box::new(
                        error::WrongValue {
                            database: source.to_string(),
                            table: table.name.to_string(),
                            column: column.name.to_string(),
                            row: described,
                            found,
                            declared: column.ty.as_str(),
                        },
                    ))));
                }
            }
        }
        buffer.push(typed_row);
        if buffer.len() >= batch {
            engine::insert_rows(tgt, &table.name, &columns, &buffer).map_err(write_failed)?;
            copied += buffer.len() as u64;
            buffer.clear();
        }
        Ok(())
    });
    match read {
        Ok(()) => {}
        Err(Stop::Failed(error)) => return Err(error),
        Err(Stop::Read(source_error)) => {
            return Err(Error::Table {
                database: source.to_string(),
                step: "reading",
                table: table.name.to_string(),
                source: source_error,
                hint: "",
            });
        }
    }
    engine::insert_rows(tgt, &table.name, &columns, &buffer).map_err(write_failed)?;
    copied += buffer.len() as u64;
    Ok(copied)
}

/// `id = 7` (the primary key's values), or the row's position when there is no key.
fn describe_row(
    row: &[ContentValue],
    columns: &[Column],
    key_at: &[usize],
    position: u64,
) -> String {
    if key_at.is_empty() {
        return format!("#{position}");
    }
    key_at
        .iter()
        .map(|&i| {
            let value = match row.get(i) {
                Some(ContentValue::Integer(n)) => n.to_string(),
                Some(ContentValue::Text(t)) => format!("{t:?}"),
                Some(other) => typed::describe(other),
                None => "?".to_owned(),
            };
            format!("{} = {value}", columns[i].name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sets each autoincrement column's next id on the target above both the source's highest id and
/// the source engine's own counter.
fn carry_marks(
    src: &mut DbConnection,
    source: &Target,
    tgt: &mut DbConnection,
    target: &Target,
    order: &[&Table],
) -> Result<Vec<SequenceMark>, Error> {
    let mut marks = Vec::new();
    for table in order {
        for column in table.columns.iter().filter(|c| c.autoincrement) {
            let failed = |database: &Target, step| {
                let database = database.to_string();
                let table = table.name.to_string();
                move |source| Error::Table {
                    database,
                    step,
                    table,
                    source,
                    hint: "",
                }
            };
            let sql = format!(
                "SELECT coalesce(max({}), 0) AS n FROM {}",
                src.planner().quote_ident(&column.name),
                src.planner().quote_ident(&table.name)
            );
            let max = src
                .count(&sql)
                .map_err(failed(source, "reading the highest id of"))?;
            let counter = engine::counter(src, &table.name, &column.name)
                .map_err(failed(source, "reading the id counter of"))?;
            let high = max.max(counter.unwrap_or(0));
            engine::set_counter(tgt, &table.name, &column.name, high)
                .map_err(failed(target, "setting the id counter of"))?;
            marks.push(SequenceMark {
                table: table.name.to_string(),
                column: column.name.to_string(),
                source_max_id: (max > 0).then_some(max),
                source_counter: counter,
                next_id: high + 1,
            });
        }
    }
    Ok(marks)
}

/// Removes an SQLite database file this transfer created, with its `-wal` and `-shm`.
fn remove_database_file(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}
