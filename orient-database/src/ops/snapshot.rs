//! Automatic snapshots: a verified copy of the database taken right before a change that loses data, so
//! the data can be had back with `orient-db restore <snapshot>`.
//!
//! Taken before:
//! - a `push` whose accepted changes lose data (the losses `assess` measured under push's write lock, so
//!   the snapshot holds exactly what the push is about to change);
//! - a migration run whose plan loses data: the pending migrations are tried on an empty copy of the live
//!   schema, the live schema is compared with the result, and `assess` counts on the live database what
//!   the changes would lose (a dropped table or column holding values, a narrowed type…). A migration
//!   that only deletes or updates rows leaves the schema as it is and is not detected;
//! - a `restore`, which replaces everything.
//!
//! Where: `<database dir>/.orient-snapshots/<database file name>-<UTC time>-<reason>.db`, e.g.
//! `.dev-data/instance-0/.orient-snapshots/orient.db-20260201T231009Z-push.db`: beside the database (same
//! file system, so no surprise about space or permissions elsewhere), hidden from the directory listing,
//! and named by the full file name so two databases in one directory never share snapshots. The
//! directory is `0700` and the files `0600` (a snapshot holds every secret the database holds), owned by
//! the database file's owner. The newest [`KEEP_VARIABLE`] (default [`DEFAULT_KEEP`]) snapshots of each
//! database are kept; `0` turns them off.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::assess::{self, DataLoss};
use crate::db::backend::DbConnection;
use crate::dialect::sqlite::files::{Companion, companion};
use crate::dialect::sqlite::inspect::{has_tables, main_file};
use crate::dialect::sqlite::{Sqlite, schema_copy};
use crate::diff::diff;
use crate::engine::EngineConnection;
use crate::migrations::Migration;
use crate::migrations::backend::MigrationBackend;
use crate::ops::Error;
use crate::ops::copy::{copy_verified, stamp};
use crate::os::file::{facts, give_to_owner_when_root, owner_only};
use crate::os::mount::mount;
use crate::os::size::human_bytes;

/// The variable that sets how many snapshots of a database are kept.
pub const KEEP_VARIABLE: &str = "ORIENT_SNAPSHOT_KEEP";

/// Snapshots kept per database by default.
pub const DEFAULT_KEEP: usize = 5;

/// The directory beside the database that holds its snapshots.
pub const DIRECTORY: &str = ".orient-snapshots";

/// What a snapshot was taken before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Push,
    Migrate,
    Restore,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Push => "push",
            Reason::Migrate => "migrate",
            Reason::Restore => "restore",
        }
    }

    fn parse(text: &str) -> Option<Reason> {
        [Reason::Push, Reason::Migrate, Reason::Restore]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// A snapshot that was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub path: PathBuf,
    pub reason: Reason,
    pub bytes: u64,
    pub rows: u64,
    /// The content checksum of the snapshot (equal to the database's when it was taken).
    pub checksum: String,
    /// What the change it protects against loses, as measured.
    pub losses: Vec<String>,
    /// Older snapshots of this database deleted to keep [`KEEP_VARIABLE`] of them.
    pub removed: Vec<PathBuf>,
}

impl Snapshot {
    /// The snapshot `copy` is, taken before a `reason` that loses `losses`, having pruned `removed`.
    fn of(
        copy: crate::ops::copy::VerifiedCopy,
        reason: Reason,
        losses: Vec<String>,
        removed: Vec<PathBuf>,
    ) -> Snapshot {
        Snapshot {
            path: copy.path,
            reason,
            bytes: copy.bytes,
            rows: copy.checksum.rows(),
            checksum: copy.checksum.sha256,
            losses,
            removed,
        }
    }
}

impl std::fmt::Display for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {} rows); to undo the {}: orient-db restore {}",
            self.path.display(),
            human_bytes(self.bytes),
            self.rows,
            self.reason.as_str(),
            self.path.display()
        )
    }
}

/// `<database dir>/.orient-snapshots`.
pub fn directory(database: &Path) -> PathBuf {
    database
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(DIRECTORY)
}

/// How many snapshots to keep: [`KEEP_VARIABLE`] from the process environment, else from the project's
/// `.env` (found from the current directory like every setting), else [`DEFAULT_KEEP`].
pub fn keep_from_env() -> Result<usize, Error> {
    let (value, origin) = match std::env::var_os(KEEP_VARIABLE) {
        Some(value) if !value.is_empty() => match value.into_string() {
            Ok(text) => (text, "the environment".to_owned()),
            Err(raw) => {
                return Err(Error::BadKeep {
                    variable: KEEP_VARIABLE,
                    value: raw.to_string_lossy().into_owned(),
                    origin: "the environment (not valid UTF-8)".to_owned(),
                });
            }
        },
        _ => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let (root, _) = crate::db::config::project_root(&cwd);
            let env_file = root.join(".env");
            let found = crate::db::env_file::read(&env_file)?
                .into_iter()
                .rev()
                .find(|(k, v)| k == KEEP_VARIABLE && !v.is_empty());
            match found {
                Some((_, value)) => (value, env_file.display().to_string()),
                None => return Ok(DEFAULT_KEEP),
            }
        }
    };
    value.trim().parse::<usize>().map_err(|_| Error::BadKeep {
        variable: KEEP_VARIABLE,
        value,
        origin,
    })
}

/// The first snapshot name of `database_name` in `dir`, stamped now, that no file holds yet.
fn free_path(dir: &Path, database_name: &str, reason: Reason, ext: &str) -> PathBuf {
    let when = stamp(SystemTime::now());
    let mut n = 1;
    let mut path = dir.join(file_name_with(database_name, &when, reason, n, ext));
    while path.exists() {
        n += 1;
        path = dir.join(file_name_with(database_name, &when, reason, n, ext));
    }
    path
}

/// A snapshot file's name: `<database file name>-<stamp>-<reason>[-n].db` (`.dump` on PostgreSQL).
fn file_name_with(database_name: &str, stamp: &str, reason: Reason, n: u32, ext: &str) -> String {
    if n <= 1 {
        format!("{database_name}-{stamp}-{}.{ext}", reason.as_str())
    } else {
        format!("{database_name}-{stamp}-{}-{n}.{ext}", reason.as_str())
    }
}

/// Reads a snapshot file name of `database_name` back into (stamp, n); `None` for any other file.
fn parse_name(database_name: &str, name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix(database_name)?.strip_prefix('-')?;
    let stamp = rest.get(..16)?;
    let well_formed = stamp.char_indices().all(|(i, c)| match i {
        8 => c == 'T',
        15 => c == 'Z',
        _ => c.is_ascii_digit(),
    });
    if !well_formed {
        return None;
    }
    let tail = rest.get(16..)?.strip_prefix('-')?;
    let tail = tail
        .strip_suffix(".db")
        .or_else(|| tail.strip_suffix(".dump"))?;
    let (reason, n) = match tail.rsplit_once('-') {
        Some((reason, n)) => (reason, n.parse::<u32>().ok()?),
        None => (tail, 1),
    };
    Reason::parse(reason)?;
    Some((stamp.to_owned(), n))
}

/// This database's snapshots, oldest first.
pub fn list(database: &Path) -> Vec<PathBuf> {
    let Some(database_name) = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(directory(database)) else {
        return Vec::new();
    };
    let mut found: Vec<((String, u32), PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            parse_name(&database_name, &name).map(|key| (key, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// Deletes the oldest snapshots of `database` beyond `keep`, never `except`.
fn prune(database: &Path, keep: usize, except: Option<&Path>) -> Vec<PathBuf> {
    let all = list(database);
    let surplus = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for path in all.into_iter().take(surplus) {
        if except.is_some_and(|e| e == path) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                // A dump's recorded checksum goes with it.
                let mut checksum = path.as_os_str().to_os_string();
                checksum.push(".checksum.json");
                let _ = std::fs::remove_file(checksum);
                removed.push(path);
            }
            Err(e) => tracing::warn!(
                snapshot = %path.display(),
                "could not delete an old snapshot beyond {KEEP_VARIABLE}: {e}"
            ),
        }
    }
    // Temporary files of copies that never finished (a process killed while copying).
    let hour_ago = SystemTime::now()
        .checked_sub(Duration::from_secs(3600))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if let (Some(name), Ok(entries)) = (
        database
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        std::fs::read_dir(directory(database)),
    ) {
        for entry in entries.flatten() {
            let entry_name = entry.file_name().to_string_lossy().into_owned();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < hour_ago);
            if entry_name.starts_with(&name) && entry_name.ends_with(".partial") && stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    removed
}

/// Creates the snapshot directory: owner-only, and owned by the database file's owner.
fn prepare_directory(database: &Path) -> Result<PathBuf, Error> {
    let dir = directory(database);
    if !dir.is_dir() {
        std::fs::create_dir(&dir).map_err(|e| Error::Io {
            path: dir.clone(),
            step: "creating the snapshot directory",
            source: e,
        })?;
        let io = |step: &'static str| {
            let path = dir.clone();
            move |source: std::io::Error| Error::Io { path, step, source }
        };
        owner_only(&dir, true).map_err(io("restricting the snapshot directory"))?;
        let owner = facts(database);
        if owner.exists {
            give_to_owner_when_root(&dir, owner.uid, owner.gid)
                .map_err(io("giving the snapshot directory the database's owner"))?;
        }
    }
    Ok(dir)
}

/// Takes a snapshot of the database file `database` now and prunes old ones (never `except`, the file
/// a restore is reading). `None` when snapshots are turned off.
pub fn take(
    database: &Path,
    reason: Reason,
    except: Option<&Path>,
) -> Result<Option<Snapshot>, Error> {
    take_for(database, reason, except, Vec::new())
}

fn take_for(
    database: &Path,
    reason: Reason,
    except: Option<&Path>,
    losses: Vec<String>,
) -> Result<Option<Snapshot>, Error> {
    let keep = keep_from_env()?;
    if keep == 0 {
        tracing::warn!(
            database = %database.display(),
            "{KEEP_VARIABLE}=0: no snapshot is taken before this {}",
            reason.as_str()
        );
        return Ok(None);
    }
    let dir = prepare_directory(database)?;
    // Room for a copy as big as the database and its WAL: refuse the change rather than half-write.
    let needed = facts(database).size + facts(&companion(database, Companion::Wal)).size;
    if let Ok(mount) = mount(&dir)
        && mount.available_bytes < needed
    {
        return Err(Error::NoSpaceForSnapshot {
            keep_variable: KEEP_VARIABLE,
            database: database.to_path_buf(),
            dir,
            needed,
            available: mount.available_bytes,
        });
    }
    let database_name = database.file_name().map_or_else(
        || "database".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let path = free_path(&dir, &database_name, reason, "db");
    let copy = copy_verified(database, &path)?;
    let removed = prune(database, keep, except);
    let snapshot = Snapshot::of(copy, reason, losses, removed);
    // Info, not a warning: the commands print it themselves; a service logs it here.
    tracing::info!(
        database = %database.display(),
        "snapshot taken before a data-losing {}: {snapshot}",
        reason.as_str()
    );
    Ok(Some(snapshot))
}

/// Takes a `pg_dump` snapshot of the PostgreSQL database `target` into
/// `<project_root>/.orient-snapshots/` and prunes old ones (never `except`). `None` when snapshots are
/// turned off.
#[cfg(feature = "postgres")]
pub fn take_dump(
    project_root: &Path,
    target: &crate::db::target::PostgresTarget,
    reason: Reason,
    except: Option<&Path>,
    losses: Vec<String>,
) -> Result<Option<Snapshot>, Error> {
    let keep = keep_from_env()?;
    if keep == 0 {
        tracing::warn!(
            database = %target,
            "{KEEP_VARIABLE}=0: no snapshot is taken before this {}",
            reason.as_str()
        );
        return Ok(None);
    }
    // The snapshots of database `x` are named as those of a file `x` in the project root.
    let as_file = project_root.join(&target.database);
    let dir = prepare_directory(&as_file)?;
    let path = free_path(&dir, &target.database, reason, "dump");
    let copy = crate::ops::copy::dump_verified(target, &path)?;
    let removed = prune(&as_file, keep, except);
    let snapshot = Snapshot::of(copy, reason, losses, removed);
    tracing::info!(
        database = %target,
        "snapshot taken before a data-losing {}: {snapshot}",
        reason.as_str()
    );
    Ok(Some(snapshot))
}

/// The configured PostgreSQL database, when it is the one `conn` is connected to: what a snapshot
/// before a change through `conn` dumps (a connection does not carry its URL, the configuration does).
#[cfg(feature = "postgres")]
fn configured_postgres(
    conn: &mut diesel::PgConnection,
) -> Result<(PathBuf, crate::db::target::PostgresTarget), Error> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let config = crate::db::config::Config::from_env()?;
    let current: Row = diesel::sql_query("SELECT current_database()::text AS name")
        .get_result(conn)
        .map_err(|e| Error::Sqlite {
            path: PathBuf::from("(the database being changed)"),
            step: "reading the database's name",
            source: e,
        })?;
    match config.target {
        crate::db::target::Target::Postgres(target) if target.database == current.name => {
            Ok((config.project_root, target))
        }
        other => Err(Error::SnapshotTargetUnknown {
            database: current.name,
            configured: other.to_string(),
        }),
    }
}

/// A snapshot on PostgreSQL before a change through `conn` (see [`configured_postgres`]).
#[cfg(feature = "postgres")]
fn before_on_postgres(
    conn: &mut DbConnection,
    reason: Reason,
    losses: Vec<String>,
) -> Result<Option<Snapshot>, Error> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    let (root, target) = configured_postgres(pg)?;
    take_dump(&root, &target, reason, None, losses)
}

/// Before a change whose measured `losses` are about to be carried out on the database `conn` is open
/// on: a snapshot when anything is lost. `None` when nothing is lost, the database is in memory, or
/// snapshots are turned off. Another connection takes the copy, so `conn` may be inside the transaction
/// that is about to make the change (it must not have written yet).
pub fn before_data_loss(
    conn: &mut DbConnection,
    reason: Reason,
    losses: &[DataLoss],
) -> Result<Option<Snapshot>, Error> {
    if losses.is_empty() {
        return Ok(None);
    }
    #[cfg(feature = "postgres")]
    if crate::db::backend::as_sqlite(conn).is_none() {
        return before_on_postgres(
            conn,
            reason,
            losses.iter().map(ToString::to_string).collect(),
        );
    }
    let Some(database) = main_file(conn).map_err(|e| Error::Sqlite {
        path: PathBuf::from("(the database being changed)"),
        step: "reading the database's file name",
        source: e,
    })?
    else {
        return Ok(None);
    };
    take_for(
        &database,
        reason,
        None,
        losses.iter().map(ToString::to_string).collect(),
    )
}

/// What applying `pending` to the database `conn` is open on would lose, measured: the migrations run on
/// an empty copy of the live schema, and `assess` counts on the live rows what the difference loses.
pub fn pending_losses(
    conn: &mut DbConnection,
    pending: &[&Migration],
) -> Result<Vec<DataLoss>, String> {
    let live = conn
        .introspect()
        .map_err(|e| format!("reading the schema: {e}"))?;
    let mut trial = schema_copy::schema_only_copy(conn)
        .map_err(|e| format!("copying the schema into memory: {e}"))?;
    trial
        .ensure_ledger()
        .map_err(|e| format!("creating the ledger in memory: {e}"))?;
    for migration in pending {
        trial.apply_one(migration).map_err(|e| e.to_string())?;
    }
    let after = trial
        .introspect()
        .map_err(|e| format!("reading the result: {e}"))?;
    let changes = diff(&live.schema, &after.schema, &Sqlite);
    assess::measure(conn, &changes, &live.schema, &after.schema)
        .map_err(|e| format!("counting what would be lost: {e}"))
}

/// Before the `pending` migrations run on the database `conn` is open on (not inside a transaction): a
/// snapshot when they would lose data (see [`pending_losses`]; when that cannot be worked out, a
/// snapshot is taken anyway). `None` for a database without tables, an in-memory one, or nothing lost.
pub fn before_migrations(
    conn: &mut DbConnection,
    pending: &[&Migration],
) -> Result<Option<Snapshot>, Error> {
    if pending.is_empty() {
        return Ok(None);
    }
    #[cfg(feature = "postgres")]
    if crate::db::backend::as_sqlite(conn).is_none() {
        return before_migrations_on_postgres(conn, pending);
    }
    let sqlite = |step: &'static str| {
        move |e: diesel::result::Error| Error::Sqlite {
            path: PathBuf::from("(the database being migrated)"),
            step,
            source: e,
        }
    };
    let Some(database) = main_file(conn).map_err(sqlite("reading the database's file name"))?
    else {
        return Ok(None);
    };
    if !has_tables(conn).map_err(sqlite("listing the tables"))? {
        return Ok(None);
    }
    let losses = match pending_losses(conn, pending) {
        Ok(losses) if losses.is_empty() => return Ok(None),
        Ok(losses) => losses.iter().map(ToString::to_string).collect(),
        Err(why) => vec![format!(
            "what the pending migrations would lose could not be measured ({why})"
        )],
    };
    take_for(&database, Reason::Migrate, None, losses)
}

/// [`before_migrations`] on PostgreSQL: the pending migrations are replayed after the applied ones
/// in a scratch schema on the same server, the live schema compared with the result, and `assess`
/// counts on the live rows what the difference loses.
#[cfg(feature = "postgres")]
fn before_migrations_on_postgres(
    conn: &mut DbConnection,
    pending: &[&Migration],
) -> Result<Option<Snapshot>, Error> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    let has_tables =
        crate::dialect::postgres::backup::has_tables(pg).map_err(|e| Error::Sqlite {
            path: PathBuf::from("(the database being migrated)"),
            step: "listing the tables",
            source: e,
        })?;
    if !has_tables {
        return Ok(None);
    }
    let (root, target) = configured_postgres(pg)?;
    let losses = match postgres_pending_losses(conn, &target, pending) {
        Ok(losses) if losses.is_empty() => return Ok(None),
        Ok(losses) => losses.iter().map(ToString::to_string).collect(),
        Err(why) => vec![format!(
            "what the pending migrations would lose could not be measured ({why})"
        )],
    };
    take_dump(&root, &target, Reason::Migrate, None, losses)
}

#[cfg(feature = "postgres")]
fn postgres_pending_losses(
    conn: &mut DbConnection,
    target: &crate::db::target::PostgresTarget,
    pending: &[&Migration],
) -> Result<Vec<DataLoss>, String> {
    use crate::migrations::replay::{Scratch, replay};
    let live = conn
        .introspect()
        .map_err(|e| format!("reading the schema: {e}"))?;
    let applied: Vec<String> = conn
        .applied()
        .map_err(|e| format!("reading the ledger: {e}"))?
        .into_iter()
        .map(|entry| entry.version)
        .collect();
    // The applied migrations are replayed from this binary's own; when the ledger holds others (a
    // service migrating with a list of its own), the losses are not measured and a snapshot is taken.
    let known = crate::migrations::embedded_postgres().map_err(|e| e.to_string())?;
    if let Some(other) = applied
        .iter()
        .find(|v| !known.iter().any(|m| &m.version == *v))
    {
        return Err(format!(
            "the applied migration {other} is not one of this binary's, so the schema before the \
             pending ones cannot be replayed"
        ));
    }
    let mut steps: Vec<Migration> = known
        .into_iter()
        .filter(|m| applied.contains(&m.version))
        .collect();
    steps.extend(pending.iter().map(|m| (*m).clone()));
    let scratch = Scratch::of(conn, &crate::db::target::Target::Postgres(target.clone()))
        .map_err(|e| format!("making a scratch schema: {e}"))?;
    let after = replay(scratch, &steps).map_err(|e| e.to_string())?;
    let changes = diff(
        &live.schema,
        &after.schema,
        &crate::dialect::postgres::Postgres,
    );
    assess::measure(conn, &changes, &live.schema, &after.schema)
        .map_err(|e| format!("counting what would be lost: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_are_read_back_only_for_their_own_database() {
        let name = file_name_with("orient.db", "20260201T231009Z", Reason::Push, 1, "db");
        assert_eq!(name, "orient.db-20260201T231009Z-push.db");
        assert_eq!(
            parse_name("orient.db", &name),
            Some(("20260201T231009Z".to_owned(), 1))
        );
        let second = file_name_with("orient.db", "20260201T231009Z", Reason::Migrate, 2, "db");
        assert_eq!(
            parse_name("orient.db", &second),
            Some(("20260201T231009Z".to_owned(), 2))
        );
        // Another database whose name starts the same, and files that are not snapshots.
        assert_eq!(
            parse_name("orient.db", "orient.db-2-20260201T231009Z-push.db"),
            None
        );
        assert_eq!(parse_name("orient", &name), None);
        assert_eq!(
            parse_name(
                "orient.db",
                "orient.db-20260201T231009Z-push.db.123.partial"
            ),
            None
        );
        assert_eq!(
            parse_name("orient.db", "orient.db-20260201T231009Z-other.db"),
            None
        );
    }

    #[test]
    fn pruning_keeps_the_newest_and_never_the_excepted_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("orient.db");
        let snapshots = directory(&db);
        std::fs::create_dir(&snapshots).unwrap_or_else(|e| panic!("{e}"));
        let names = [
            "orient.db-20260101T000000Z-push.db",
            "orient.db-20260102T000000Z-migrate.db",
            "orient.db-20260103T000000Z-push.db",
            "orient.db-20260103T000000Z-push-2.db",
            "other.db-20250101T000000Z-push.db",
        ];
        for name in names {
            std::fs::write(snapshots.join(name), b"").unwrap_or_else(|e| panic!("{e}"));
        }
        let oldest = snapshots.join(names[0]);
        let removed = prune(&db, 2, Some(&oldest));
        assert_eq!(removed, vec![snapshots.join(names[1])]);
        assert_eq!(
            list(&db),
            vec![oldest, snapshots.join(names[2]), snapshots.join(names[3])]
        );
        assert!(
            snapshots.join(names[4]).exists(),
            "another database's snapshot"
        );
    }
}
