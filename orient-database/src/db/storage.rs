//! Storage failures as the connection layer reports them: the engine-neutral facts [`Error`]'s
//! variants hold (which files another user owns, which file cannot be written and why, what kind of
//! storage failure happened). Recognising such a failure in an engine's errors, and checking up front
//! that a database can be written, is the engine's part (SQLite's: `dialect/sqlite/storage.rs`).
//!
//! [`Error`]: crate::db::error::Error

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::os::file::NotWritable;
use crate::os::mount::mount_point;
use crate::os::user::User;

/// A `-wal` or `-shm` file another user owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignFile {
    pub path: PathBuf,
    pub owner: Option<User>,
    pub mode: Option<String>,
}

pub(crate) fn describe_foreign(database: &Path, files: &[ForeignFile], user: &User) -> String {
    let listed: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "{} (owner {}, mode {})",
                f.path.display(),
                f.owner
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), ToString::to_string),
                f.mode.as_deref().unwrap_or("unknown")
            )
        })
        .collect();
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let owners: Vec<String> = files
        .iter()
        .filter_map(|f| f.owner.as_ref().map(User::chown_name))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    format!(
        "{}: {} cannot be written by {user}, who runs this command, so SQLite cannot use the database \
         (it writes them to read and write a database in WAL mode). They were created by a process \
         running as {}. Fix: `sudo chown {} {}` (or run this command as their owner). Do not delete \
         them: they may hold committed transactions",
        database.display(),
        listed.join(" and "),
        if owners.is_empty() {
            "another user".to_owned()
        } else {
            owners.join(", ")
        },
        user.chown_name(),
        paths.join(" ")
    )
}

/// A database file or directory this process needs to write and cannot, with why and who owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotWritableFile {
    pub path: PathBuf,
    pub is_directory: bool,
    pub why: NotWritable,
    pub owner: Option<User>,
    pub mode: Option<String>,
    /// The user running this process.
    pub user: User,
    /// What needed to write.
    pub step: String,
}

impl std::fmt::Display for NotWritableFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe_not_writable(self))
    }
}

fn describe_not_writable(file: &NotWritableFile) -> String {
    let NotWritableFile {
        path,
        is_directory,
        why,
        owner,
        mode,
        user,
        step,
    } = file;
    let (is_directory, why, owner, mode) = (*is_directory, *why, owner.as_ref(), mode.as_deref());
    let what = if is_directory {
        "the database's directory"
    } else {
        "the database file"
    };
    let reason = match why {
        NotWritable::Immutable => format!(
            "it is marked immutable or append-only (`lsattr {0}` shows `i` or `a`); `sudo chattr -i -a \
             {0}` allows changes again",
            path.display()
        ),
        NotWritable::ReadOnlyMount => format!(
            "it is on a read-only mount ({})",
            mount_point(path).display()
        ),
        NotWritable::Permission => format!(
            "it belongs to {owner} with mode {mode}; run as a user who may write it, or give {name} \
             write access (e.g. `sudo chown {name} {path} && sudo chmod u+w {path}`)",
            owner = owner.map_or_else(|| "another user".to_owned(), ToString::to_string),
            mode = mode.unwrap_or("unknown"),
            name = user.chown_name(),
            path = path.display()
        ),
    };
    let why_needed = if is_directory {
        " (SQLite creates the database's -wal and -shm files beside it, and migrators the \
         .migrate-lock file)"
    } else {
        ""
    };
    format!(
        "{step} needs to write {what} {}{why_needed}, but {user} cannot: {reason}",
        path.display()
    )
}

/// What kind of storage failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageProblem {
    /// `database or disk is full` (SQLITE_FULL).
    DiskFull,
    /// `disk I/O error` (SQLITE_IOERR): a failed read or write, a file-size limit, a failing disk.
    Io,
    /// `database is locked` (SQLITE_BUSY) after the whole busy timeout.
    Locked,
    /// `attempt to write a readonly database` (SQLITE_READONLY).
    ReadOnly,
    /// `unable to open database file` (SQLITE_CANTOPEN).
    CantOpen,
}
