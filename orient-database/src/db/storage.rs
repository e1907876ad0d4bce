//! Storage failures explained: what a disk-full, I/O, busy, read-only or cannot-open error from SQLite
//! means for the database at hand, and what to do. [`storage_error`] turns such an error into one that
//! names the file, the step that failed and the fix; [`writable`] checks up front that this process can
//! write a database the way SQLite needs to (the file, its `-wal`/`-shm`, its directory), naming a
//! read-only mount, an immutable file, another user's files or a directory it may not write.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::db::diagnose::{self, NotWritable, User};
use crate::db::error::Error;

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
            diagnose::mount_point(path).display()
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

/// What kind of storage failure an SQLite error is.
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

impl StorageProblem {
    /// The problem an SQLite error message reports, if it is one of these.
    pub fn of_message(message: &str) -> Option<StorageProblem> {
        let message = message.to_ascii_lowercase();
        [
            ("database or disk is full", StorageProblem::DiskFull),
            ("disk i/o error", StorageProblem::Io),
            ("database is locked", StorageProblem::Locked),
            ("database table is locked", StorageProblem::Locked),
            (
                "attempt to write a readonly database",
                StorageProblem::ReadOnly,
            ),
            ("unable to open database file", StorageProblem::CantOpen),
        ]
        .into_iter()
        .find_map(|(text, problem)| message.contains(text).then_some(problem))
    }
}

/// The storage problem anywhere in an error's chain of causes, if any. Read from the messages, since the
/// errors that carry SQLite's (`#[error(transparent)]` wrappers) pass their `source()` through and hide
/// the SQLite error itself from the chain.
pub fn storage_problem(error: &(dyn std::error::Error + 'static)) -> Option<StorageProblem> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(problem) = StorageProblem::of_message(&e.to_string()) {
            return Some(problem);
        }
        current = e.source();
    }
    None
}

impl Error {
    /// Whether the message already names the file, the cause and what to do about a storage failure.
    fn explains_storage(&self) -> bool {
        matches!(
            self,
            Error::Storage { .. }
                | Error::Locked { .. }
                | Error::ReadOnlyMount { .. }
                | Error::ForeignFiles { .. }
                | Error::NotWritable(_)
                | Error::NeedsRecovery { .. }
        )
    }
}

/// `error`, with a storage failure explained ([`storage_error`]); anything else unchanged.
pub fn explain(path: &Path, step: &str, error: Error) -> Error {
    storage_error(path, step, &error).unwrap_or(error)
}

/// `error`, which happened while `step` ran on the database `path`, as an error that names the file, the
/// step and what to do, when it is a storage failure (disk full, I/O error, locked, not writable); `None`
/// when it is something else (keep the original error then).
///
/// A database that cannot be written or opened is diagnosed ([`writable`]): a read-only mount, another
/// user's `-wal`/`-shm`, an immutable file or a directory this user may not write are named as such.
pub fn storage_error(
    path: &Path,
    step: &str,
    error: &(dyn std::error::Error + 'static),
) -> Option<Error> {
    if error
        .downcast_ref::<Error>()
        .is_some_and(Error::explains_storage)
    {
        return None;
    }
    let problem = storage_problem(error)?;
    if matches!(problem, StorageProblem::ReadOnly | StorageProblem::CantOpen)
        && let Err(diagnosed) = writable(path, step)
    {
        return Some(diagnosed);
    }
    let directory = path.parent().unwrap_or(Path::new("/"));
    let advice = match problem {
        StorageProblem::DiskFull => {
            let mount = diagnose::mount_point(directory);
            format!(
                "The file system holding it is full ({} free on {}): free space there, or move the \
                 database (SQLITE_DATABASE), and run the command again. The failed transaction was \
                 rolled back, so nothing of it was written",
                diagnose::free_space(directory)
                    .map_or_else(|| "unknown".to_owned(), diagnose::human_bytes),
                mount.display()
            )
        }
        StorageProblem::Io => match diagnose::file_size_limit() {
            Some(limit) => format!(
                "This process may not write files larger than {} (`ulimit -f`, RLIMIT_FSIZE), which \
                 the database or its -wal outgrew: raise the limit (`ulimit -f unlimited`) and run the \
                 command again. The failed transaction was rolled back, so nothing of it was written",
                diagnose::human_bytes(limit)
            ),
            None => format!(
                "The operating system refused to read or write the database or its -wal/-shm: check \
                 the disk (`dmesg`), the free space and quotas on {}, then run the command again. The \
                 failed transaction was rolled back, so nothing of it was written",
                diagnose::mount_point(directory).display()
            ),
        },
        StorageProblem::Locked => format!(
            "Another connection kept the database's write lock for the whole busy timeout ({} s). \
             Retry when it has finished; `fuser {}` lists the processes that have the database open",
            crate::db::connection::BUSY_TIMEOUT.as_secs(),
            path.display()
        ),
        StorageProblem::ReadOnly | StorageProblem::CantOpen => format!(
            "Check that {} and its directory exist and that this user ({}) may read and write them \
             and the -wal/-shm files beside it",
            path.display(),
            diagnose::current_user()
        ),
    };
    Some(Error::Storage {
        path: path.to_path_buf(),
        step: step.to_owned(),
        problem,
        cause: error.to_string(),
        advice,
    })
}

/// Checks that this process can write the database at `path` the way SQLite needs to (the file, the
/// `-wal`/`-shm` beside it, and the directory to create them), before anything tries: a failure names the
/// file, its owner, the user, and the fix. `step` says what needed to write, for the message.
pub fn writable(path: &Path, step: &str) -> Result<(), Error> {
    let real = crate::dialect::sqlite::lock::real_path(path);
    let user = diagnose::current_user();
    let not_writable = |target: &Path, is_directory: bool, why: NotWritable| {
        if why == NotWritable::ReadOnlyMount {
            Error::ReadOnlyMount {
                path: real.clone(),
                mount_point: diagnose::mount_point(target),
                step: step.to_owned(),
            }
        } else {
            Error::NotWritable(Box::new(NotWritableFile {
                path: target.to_path_buf(),
                is_directory,
                why,
                owner: diagnose::owner(target),
                mode: diagnose::mode(target),
                user: user.clone(),
                step: step.to_owned(),
            }))
        }
    };
    let companions = companion_files(&real);
    let foreign: Vec<ForeignFile> = companions
        .iter()
        .filter(|f| f.exists())
        .filter(|f| {
            matches!(
                diagnose::cannot_write(f),
                Some(NotWritable::Permission | NotWritable::Immutable)
            )
        })
        .map(|f| ForeignFile {
            path: f.clone(),
            owner: diagnose::owner(f),
            mode: diagnose::mode(f),
        })
        .collect();
    if real.exists()
        && let Some(why) = diagnose::cannot_write(&real)
    {
        return Err(not_writable(&real, false, why));
    }
    if !foreign.is_empty() {
        return Err(Error::ForeignFiles {
            database: real.clone(),
            files: foreign,
            user,
        });
    }
    // With both companions present SQLite creates nothing; otherwise it creates them in the directory.
    if !companions.iter().all(|f| f.exists())
        && let Some(directory) = real.parent().filter(|d| d.is_dir())
        && let Some(why) = diagnose::cannot_write(directory)
    {
        return Err(not_writable(directory, true, why));
    }
    Ok(())
}

/// The `-wal` and `-shm` files SQLite keeps beside a database (beside the real file, symlinks followed).
pub fn companion_files(real: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = real.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    })
}
