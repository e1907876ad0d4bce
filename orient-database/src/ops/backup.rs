//! `orient-db backup` and `orient-db restore`: verified copies of a database, and putting one back.
//!
//! A backup is a verified copy ([`crate::ops::copy`]): a file with a backup's name is always a complete,
//! verified backup.
//!
//! Restoring checks the file first, writing nothing (it must pass `integrity_check`, hold no migration
//! this binary does not know, and be an Orient database), then takes the migration lock, takes an
//! automatic snapshot of the database it replaces, replaces the content in one transaction (see
//! [`crate::dialect::sqlite::backup::restore_into`]) and checks that the database now has the backup's
//! content checksum.
//!
//! On PostgreSQL the same two functions run `pg_dump --format=custom` in an exported repeatable-read
//! snapshot (its content checksum computed in the same snapshot, recorded in `<dump>.checksum.json`)
//! and `pg_restore` through `psql` in one transaction, under the advisory migration lock, with the same
//! refusals and the same checksum check after ([`crate::dialect::postgres::backup`]). A backup without
//! `--to` goes to `<project root>/backups/<database>-backup-<UTC time>.dump`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::db::config::{Config, absolute};
use crate::dialect::sqlite;
use crate::dialect::sqlite::connection;
use crate::dialect::sqlite::inspect::{self, OpenFailure};
use crate::dialect::sqlite::lock::MigrationLock;
use crate::engine::EngineConnection;
use crate::migrations::{self, runner};
use crate::ops::Error;
use crate::ops::checksum::{ContentChecksum, content_checksum};
use crate::ops::copy::{copy_verified, stamp};
use crate::ops::snapshot::{self, Reason, Snapshot};
use crate::os::size::human_bytes;

/// How long a restore waits for other writers of the live database.
pub const RESTORE_WAIT: Duration = Duration::from_secs(30);

/// What `backup` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub database: PathBuf,
    pub backup: PathBuf,
    pub bytes: u64,
    /// `integrity_check` of the copy said ok and its content checksum is the source's.
    pub verified: bool,
    pub checksum: ContentChecksum,
}

/// The file `backup` writes when no `--to` is given: `<database dir>/<stem>-backup-<UTC time>.db`.
pub fn default_backup_path(database: &Path, time: SystemTime) -> PathBuf {
    let stem = database
        .file_stem()
        .map_or_else(|| "database".into(), |s| s.to_string_lossy());
    let dir = database.parent().unwrap_or_else(|| Path::new("."));
    let base = format!("{stem}-backup-{}", stamp(time));
    let mut candidate = dir.join(format!("{base}.db"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{base}-{n}.db"));
        n += 1;
    }
    candidate
}

/// Backs the database of `config` up to `to` (default: [`default_backup_path`]), verified.
pub fn backup(config: &Config, to: Option<&Path>) -> Result<BackupReport, Error> {
    #[cfg(feature = "postgres")]
    if let crate::db::target::Target::Postgres(target) = &config.target {
        return backup_postgres(config, target, to);
    }
    let database = config.require_sqlite(
        "orient-db backup",
        "back a PostgreSQL database up with the server's own tools (pg_dump)",
    )?;
    connection::prepare_file(database, false)?;
    let dest = match to {
        Some(path) => {
            let cwd = std::env::current_dir().map_err(|e| Error::Io {
                path: path.to_path_buf(),
                step: "reading the current directory",
                source: e,
            })?;
            absolute(&cwd, path)
        }
        None => default_backup_path(database, SystemTime::now()),
    };
    if dest.exists() || dest == database {
        return Err(Error::TargetExists { path: dest });
    }
    if let Some(dir) = dest.parent()
        && !dir.is_dir()
    {
        return Err(Error::TargetDirectoryMissing {
            dir: dir.to_path_buf(),
        });
    }
    let copy = copy_verified(database, &dest)?;
    Ok(BackupReport {
        database: database.to_path_buf(),
        backup: copy.path,
        bytes: copy.bytes,
        verified: true,
        checksum: copy.checksum,
    })
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub database: PathBuf,
    pub restored_from: PathBuf,
    /// The database file did not exist and was created.
    pub created: bool,
    /// The content checksum the database now has, equal to the backup's.
    pub checksum: ContentChecksum,
    /// The snapshot of the database as it was before (none when it did not exist).
    pub snapshot: Option<Snapshot>,
    /// Migrations of this binary the restored database does not have yet (`orient-db migrate` applies them).
    pub pending_migrations: Vec<String>,
}

/// What checking a backup found.
struct Examined {
    checksum: ContentChecksum,
    pending: Vec<String>,
}

/// Checks a file to restore, writing nothing.
fn examine(source: &Path) -> Result<Examined, Error> {
    let mut opened = inspect::open(source).map_err(|failure| match failure {
        OpenFailure::Missing => Error::SourceMissing {
            path: source.to_path_buf(),
        },
        OpenFailure::NotADatabase => Error::NotADatabase {
            path: source.to_path_buf(),
            detail: "its header is not \"SQLite format 3\"".to_owned(),
        },
        OpenFailure::Corrupt { detail } => Error::CorruptSource {
            path: source.to_path_buf(),
            problems: vec![detail],
        },
        OpenFailure::CannotOpen { detail } => Error::NotADatabase {
            path: source.to_path_buf(),
            detail,
        },
    })?;
    let conn = &mut opened.conn;
    let problems = inspect::integrity_problems(conn, 10);
    if !problems.is_empty() {
        return Err(Error::CorruptSource {
            path: source.to_path_buf(),
            problems,
        });
    }
    let status = runner::status(conn, &migrations::embedded()?)?;
    if !status.unknown.is_empty() {
        return Err(Error::UnknownVersions {
            path: source.to_path_buf(),
            versions: status.unknown.into_iter().map(|a| a.version).collect(),
        });
    }
    let sqlite_error = |step: &'static str| {
        move |e: diesel::result::Error| Error::Sqlite {
            path: source.to_path_buf(),
            step,
            source: e,
        }
    };
    if status.applied.is_empty() {
        let live = conn
            .introspect()
            .map_err(sqlite_error("reading the backup's schema"))?;
        let declared = crate::model::Schema::from_declared(crate::schema::TABLES);
        let ours = |name: &str| declared.table(name).is_some();
        if !live.schema.tables.is_empty() && !live.schema.tables.iter().any(|t| ours(&t.name)) {
            return Err(Error::ForeignSource {
                path: source.to_path_buf(),
                tables: live
                    .schema
                    .table_names()
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect(),
            });
        }
    }
    let checksum =
        content_checksum(conn).map_err(sqlite_error("computing the content checksum"))?;
    Ok(Examined {
        checksum,
        pending: status.pending.iter().map(|m| m.name.to_string()).collect(),
    })
}

/// Whether SQLite found the database damaged.
fn is_corruption(error: &diesel::result::Error) -> bool {
    let text = error.to_string();
    text.contains("malformed") || text.contains("corrupt")
}

/// Whether two paths name the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Replaces the database of `config` with the backup `from` (see the module documentation).
pub fn restore(config: &Config, from: &Path) -> Result<RestoreReport, Error> {
    #[cfg(feature = "postgres")]
    if let crate::db::target::Target::Postgres(target) = &config.target {
        return restore_postgres(config, target, from);
    }
    let database = config.require_sqlite(
        "orient-db restore",
        "restore a PostgreSQL database with the server's own tools (pg_restore)",
    )?;
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        path: from.to_path_buf(),
        step: "reading the current directory",
        source: e,
    })?;
    let source = absolute(&cwd, from);
    if !source.exists() {
        return Err(Error::SourceMissing { path: source });
    }
    if source.is_dir() {
        return Err(Error::NotADatabase {
            path: source,
            detail: "it is a directory".to_owned(),
        });
    }
    if same_file(&source, database) {
        return Err(Error::SameFile { path: source });
    }
    // 1. Everything that can refuse, before anything is written or locked.
    let examined = examine(&source)?;
    // 2. One schema changer at a time: restore waits for a running migrate or push, and they for it.
    let damaged = |detail: String| Error::DamagedDatabase {
        path: database.to_path_buf(),
        detail,
    };
    let prepared = match connection::prepare_file(database, true) {
        Err(crate::db::error::Error::Corrupt { detail, .. }) => return Err(damaged(detail)),
        other => other?,
    };
    let lock = MigrationLock::acquire(database)?;
    // 3. What is about to be replaced is kept, like any other data-losing change.
    let snapshot = if prepared.existed {
        match snapshot::take(database, Reason::Restore, Some(&source)) {
            Err(Error::Sqlite { source, .. }) if is_corruption(&source) => {
                return Err(damaged(source.to_string()));
            }
            other => other?,
        }
    } else {
        None
    };
    // 4. The replacement, in one transaction of the live database.
    sqlite::backup::restore_into(&source, database, RESTORE_WAIT)?;
    if !prepared.existed {
        let mut conn: crate::db::backend::DbConnection =
            connection::establish(database, connection::Access::ReadWrite)?;
        connection::enable_wal(&mut conn, database)?;
    }
    // 5. The database now holds exactly the backup's rows.
    let mismatch = |detail: String| Error::RestoreMismatch {
        database: database.to_path_buf(),
        source_path: source.clone(),
        detail,
        snapshot: snapshot.as_ref().map(|s| s.path.clone()),
    };
    let mut opened = inspect::open(database).map_err(|f| mismatch(f.to_string()))?;
    let now = content_checksum(&mut opened.conn).map_err(|e| mismatch(e.to_string()))?;
    drop(opened);
    if now != examined.checksum {
        return Err(mismatch(format!(
            "content checksum {} instead of {} (tables differing: {})",
            now.sha256,
            examined.checksum.sha256,
            now.differing_tables(&examined.checksum).join(", ")
        )));
    }
    drop(lock);
    Ok(RestoreReport {
        database: database.to_path_buf(),
        restored_from: source,
        created: !prepared.existed,
        checksum: now,
        snapshot,
        pending_migrations: examined.pending,
    })
}

/// The directory of backups without `--to` on PostgreSQL: `<project root>/backups`.
pub const POSTGRES_BACKUP_DIRECTORY: &str = "backups";

/// The dump `backup` writes on PostgreSQL when no `--to` is given:
/// `<dir>/<database>-backup-<UTC time>.dump`.
pub fn default_dump_path(dir: &Path, database: &str, time: SystemTime) -> PathBuf {
    let base = format!("{database}-backup-{}", stamp(time));
    let mut candidate = dir.join(format!("{base}.dump"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{base}-{n}.dump"));
        n += 1;
    }
    candidate
}

#[cfg(feature = "postgres")]
fn from_cwd(path: &Path) -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        path: path.to_path_buf(),
        step: "reading the current directory",
        source: e,
    })?;
    Ok(absolute(&cwd, path))
}

#[cfg(feature = "postgres")]
fn backup_postgres(
    config: &Config,
    target: &crate::db::target::PostgresTarget,
    to: Option<&Path>,
) -> Result<BackupReport, Error> {
    let dest = match to {
        Some(path) => from_cwd(path)?,
        None => {
            let dir = config.project_root.join(POSTGRES_BACKUP_DIRECTORY);
            std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
                path: dir.clone(),
                step: "creating the backup directory",
                source: e,
            })?;
            default_dump_path(&dir, &target.database, SystemTime::now())
        }
    };
    if dest.exists() {
        return Err(Error::TargetExists { path: dest });
    }
    if let Some(dir) = dest.parent()
        && !dir.is_dir()
    {
        return Err(Error::TargetDirectoryMissing {
            dir: dir.to_path_buf(),
        });
    }
    let copy = crate::ops::copy::dump_verified(target, &dest)?;
    Ok(BackupReport {
        database: PathBuf::from(target.redacted()),
        backup: copy.path,
        bytes: copy.bytes,
        verified: true,
        checksum: copy.checksum,
    })
}

#[cfg(feature = "postgres")]
fn restore_postgres(
    config: &Config,
    target: &crate::db::target::PostgresTarget,
    from: &Path,
) -> Result<RestoreReport, Error> {
    use crate::dialect::postgres::backup as pg;
    use crate::migrations::backend::MigrationBackend;
    let source = from_cwd(from)?;
    if !source.exists() {
        return Err(Error::SourceMissing { path: source });
    }
    if source.is_dir() {
        return Err(Error::NotADump {
            path: source,
            detail: "it is a directory".to_owned(),
        });
    }
    // 1. Everything that can refuse, before anything is written or locked.
    let examined = pg::examine(&source)?;
    let known = migrations::embedded_postgres()?;
    let unknown: Vec<String> = examined
        .versions
        .iter()
        .filter(|v| !known.iter().any(|m| &m.version == *v))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(Error::UnknownVersions {
            path: source,
            versions: unknown,
        });
    }
    let pending = known
        .iter()
        .filter(|m| !examined.versions.contains(&m.version))
        .map(|m| m.name.to_string())
        .collect();
    // 2. One schema changer at a time: the advisory migration lock, held by a session of its own
    //    until the restore is committed and checked.
    let mut conn = crate::dialect::postgres::connection::establish(
        target,
        crate::db::backend::Access::ReadWrite,
    )?;
    let lock = conn.lock(&config.target)?;
    // 3. What is about to be replaced is kept, like any other data-losing change.
    let has_tables = pg::has_tables(&mut conn).map_err(|e| Error::Sqlite {
        path: PathBuf::from(target.redacted()),
        step: "listing the tables",
        source: e,
    })?;
    let snapshot = if has_tables {
        snapshot::take_dump(
            &config.project_root,
            target,
            Reason::Restore,
            Some(&source),
            Vec::new(),
        )?
    } else {
        None
    };
    // 4. The replacement, in one transaction.
    pg::restore(target, &source)?;
    // 5. The database now holds exactly the backup's rows.
    let now = pg::checksum_now(target)?;
    if let Some(recorded) = &examined.recorded
        && now != recorded.checksum
    {
        return Err(Error::RestoreMismatch {
            database: PathBuf::from(target.redacted()),
            source_path: source.clone(),
            detail: format!(
                "content checksum {} instead of {} (tables differing: {})",
                now.sha256,
                recorded.checksum.sha256,
                now.differing_tables(&recorded.checksum).join(", ")
            ),
            snapshot: snapshot.as_ref().map(|s| s.path.clone()),
        });
    }
    conn.unlock(lock)?;
    Ok(RestoreReport {
        database: PathBuf::from(target.redacted()),
        restored_from: source,
        created: !has_tables,
        checksum: now,
        snapshot,
        pending_migrations: pending,
    })
}

/// One line about a copy, for messages: `orient.db-…-push.db (1.2 MiB, 345 rows)`.
pub fn describe(path: &Path, bytes: u64, checksum: &ContentChecksum) -> String {
    format!(
        "{} ({}, {} rows, content checksum {})",
        path.display(),
        human_bytes(bytes),
        checksum.rows(),
        &checksum.sha256[..checksum.sha256.len().min(16)]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn default_backup_names_sort_by_time_and_never_collide() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("orient.db");
        let time = UNIX_EPOCH + Duration::from_secs(1_769_987_409);
        let first = default_backup_path(&db, time);
        assert_eq!(first, dir.path().join("orient-backup-20260201T231009Z.db"));
        std::fs::write(&first, b"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            default_backup_path(&db, time),
            dir.path().join("orient-backup-20260201T231009Z-2.db")
        );
    }
}
