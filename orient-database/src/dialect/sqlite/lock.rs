//! The cross-process migration lock: one migrator per database file at a time, across processes.
//!
//! Diesel's harness reads the pending list outside any lock, so two processes starting at once both try
//! to apply the same migration. Here every migrator (`orient-db migrate`, `revert`, `redo`, and a
//! service's first open) first takes an OS file lock on `<database file name>.migrate-lock` beside the
//! database, and only then reads the ledger. The OS releases the lock when its holder exits or dies, so a
//! crashed migrator never leaves a stale lock behind. The lock file holds the holder's pid, for messages;
//! it is never deleted (deleting a lock file others may be waiting on would let two holders in).
//!
//! The database file itself is never locked this way: closing any other descriptor of it would drop the
//! POSIX locks SQLite holds on it in this process.
//!
//! `File::try_lock`/`unlock` are stable since Rust 1.89, the workspace's `rust-version`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::migrations::Error;
use crate::migrations::backend::HeldLock;

/// The environment variable that sets how long to wait for another migrator, in milliseconds.
pub use crate::migrations::LOCK_TIMEOUT_VARIABLE as TIMEOUT_VARIABLE;

/// How long a migrator waits for another one by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The suffix of the lock file's name: `orient.db` → `orient.db.migrate-lock`.
pub const SUFFIX: &str = ".migrate-lock";

/// A held migration lock; released when dropped (or when the process exits, however it exits).
#[derive(Debug)]
pub struct MigrationLock {
    file: File,
    path: PathBuf,
    database: PathBuf,
    waited: Duration,
    waited_for: Option<u32>,
}

/// The lock file of a database: `<database file name>.migrate-lock` in the same directory.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(SUFFIX);
    database.with_file_name(name)
}

/// The wait from `ORIENT_MIGRATE_LOCK_TIMEOUT_MS`, else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> Result<Duration, Error> {
    match std::env::var(TIMEOUT_VARIABLE) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_TIMEOUT),
        Ok(value) => value
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| Error::BadLockTimeout { value }),
        Err(std::env::VarError::NotUnicode(value)) => Err(Error::BadLockTimeout {
            value: value.to_string_lossy().into_owned(),
        }),
    }
}

impl MigrationLock {
    /// Takes the lock of `database`, waiting up to [`timeout_from_env`].
    pub fn acquire(database: &Path) -> Result<MigrationLock, Error> {
        MigrationLock::acquire_within(database, timeout_from_env()?)
    }

    /// Takes the lock of `database`, waiting up to `timeout` for another holder to finish; creates the
    /// lock file (not its directory) if needed.
    pub fn acquire_within(database: &Path, timeout: Duration) -> Result<MigrationLock, Error> {
        let path = lock_path(database);
        let failed = |source: std::io::Error| Error::LockFile {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(failed)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        let mut waited_for = None;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if waited_for.is_none() {
                        waited_for = holder(&mut file);
                    }
                    let waited = started.elapsed();
                    if waited >= timeout {
                        return Err(Error::Locked {
                            database: database.to_path_buf(),
                            lock_file: path,
                            holder: holder(&mut file).or(waited_for),
                            waited,
                        });
                    }
                    std::thread::sleep(pause.min(timeout - waited));
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                Err(TryLockError::Error(source)) => return Err(failed(source)),
            }
        }
        let waited = started.elapsed();
        // Only the holder writes: the pid of the process now migrating, for others' messages.
        let pid = std::process::id();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(format!("{pid}\n").as_bytes()))
            .map_err(failed)?;
        Ok(MigrationLock {
            file,
            path,
            database: database.to_path_buf(),
            waited,
            waited_for,
        })
    }

    /// The database this lock is for.
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long taking the lock waited for another holder.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The pid of the holder this lock waited for, if it had to wait and the pid was readable.
    pub fn waited_for(&self) -> Option<u32> {
        self.waited_for
    }
}

impl HeldLock for MigrationLock {
    fn database(&self) -> &Path {
        &self.database
    }

    fn waited(&self) -> Duration {
        self.waited
    }

    fn waited_for(&self) -> Option<u32> {
        self.waited_for
    }
}

impl Drop for MigrationLock {
    fn drop(&mut self) {
        // Clear the pid while still holding the lock; closing the file releases it.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The pid written by the current holder, if readable.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_database() {
        assert_eq!(
            lock_path(Path::new("/data/orient.db")),
            Path::new("/data/orient.db.migrate-lock")
        );
        assert_eq!(lock_path(Path::new("x.db")), Path::new("x.db.migrate-lock"));
    }

    #[test]
    fn a_second_holder_waits_then_times_out_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("orient.db");
        let first =
            MigrationLock::acquire_within(&db, Duration::ZERO).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(lock_path(&db)).unwrap_or_default();
        assert_eq!(text.trim(), std::process::id().to_string());
        let started = Instant::now();
        match MigrationLock::acquire_within(&db, Duration::from_millis(150)) {
            Err(Error::Locked { holder, .. }) => assert_eq!(holder, Some(std::process::id())),
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(150));
        drop(first);
        let again = MigrationLock::acquire_within(&db, Duration::ZERO);
        assert!(again.is_ok(), "{again:?}");
        assert!(
            !db.exists(),
            "the database file itself is never created by the lock"
        );
    }
}
