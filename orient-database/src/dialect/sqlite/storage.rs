//! Storage failures explained: what a disk-full, I/O, busy, read-only or cannot-open error from SQLite
//! means for the database at hand, and what to do. [`storage_error`] turns such an error into one that
//! names the file, the step that failed and the fix; [`writable`] checks up front that this process can
//! write a database the way SQLite needs to (the file, its `-wal`/`-shm`, its directory), naming a
//! read-only mount, an immutable file, another user's files or a directory it may not write.

use std::path::Path;

use crate::db::error::Error;
use crate::db::storage::{ForeignFile, NotWritableFile, StorageProblem};
use crate::dialect::sqlite::busy::BUSY_TIMEOUT;
use crate::dialect::sqlite::files::{real_path, wal_and_shm};
use crate::os::file::{self, NotWritable, cannot_write};
use crate::os::mount::{free_space, mount_point};
use crate::os::size::{file_size_limit, human_bytes};
use crate::os::user::current_user;

/// The problem an SQLite error message reports, if it is one of these.
pub fn problem_of_message(message: &str) -> Option<StorageProblem> {
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

/// The storage problem anywhere in an error's chain of causes, if any. Read from the messages, since the
/// errors that carry SQLite's (`#[error(transparent)]` wrappers) pass their `source()` through and hide
/// the SQLite error itself from the chain.
pub fn storage_problem(error: &(dyn std::error::Error + 'static)) -> Option<StorageProblem> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(problem) = problem_of_message(&e.to_string()) {
            return Some(problem);
        }
        current = e.source();
    }
    None
}

/// Whether the message of `error` already names the file, the cause and what to do about a storage
/// failure.
fn explains_storage(error: &Error) -> bool {
    matches!(
        error,
        Error::Storage { .. }
            | Error::Locked { .. }
            | Error::ReadOnlyMount { .. }
            | Error::ForeignFiles { .. }
            | Error::NotWritable(_)
            | Error::NeedsRecovery { .. }
    )
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
    if error.downcast_ref::<Error>().is_some_and(explains_storage) {
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
            let mount = mount_point(directory);
            format!(
                "The file system holding it is full ({} free on {}): free space there, or move the \
                 database (SQLITE_DATABASE), and run the command again. The failed transaction was \
                 rolled back, so nothing of it was written",
                free_space(directory).map_or_else(|| "unknown".to_owned(), human_bytes),
                mount.display()
            )
        }
        StorageProblem::Io => match file_size_limit() {
            Some(limit) => format!(
                "This process may not write files larger than {} (`ulimit -f`, RLIMIT_FSIZE), which \
                 the database or its -wal outgrew: raise the limit (`ulimit -f unlimited`) and run the \
                 command again. The failed transaction was rolled back, so nothing of it was written",
                human_bytes(limit)
            ),
            None => format!(
                "The operating system refused to read or write the database or its -wal/-shm: check \
                 the disk (`dmesg`), the free space and quotas on {}, then run the command again. The \
                 failed transaction was rolled back, so nothing of it was written",
                mount_point(directory).display()
            ),
        },
        StorageProblem::Locked => format!(
            "Another connection kept the database's write lock for the whole busy timeout ({} s). \
             Retry when it has finished; `fuser {}` lists the processes that have the database open",
            BUSY_TIMEOUT.as_secs(),
            path.display()
        ),
        StorageProblem::ReadOnly | StorageProblem::CantOpen => format!(
            "Check that {} and its directory exist and that this user ({}) may read and write them \
             and the -wal/-shm files beside it",
            path.display(),
            current_user()
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
    let real = real_path(path);
    let user = current_user();
    let not_writable = |target: &Path, is_directory: bool, why: NotWritable| {
        if why == NotWritable::ReadOnlyMount {
            Error::ReadOnlyMount {
                path: real.clone(),
                mount_point: mount_point(target),
                step: step.to_owned(),
            }
        } else {
            Error::NotWritable(Box::new(NotWritableFile {
                path: target.to_path_buf(),
                is_directory,
                why,
                owner: file::owner(target),
                mode: file::mode(target),
                user: user.clone(),
                step: step.to_owned(),
            }))
        }
    };
    let companions = wal_and_shm(&real);
    let foreign: Vec<ForeignFile> = companions
        .iter()
        .filter(|f| f.exists())
        .filter(|f| {
            matches!(
                cannot_write(f),
                Some(NotWritable::Permission | NotWritable::Immutable)
            )
        })
        .map(|f| ForeignFile {
            path: f.clone(),
            owner: file::owner(f),
            mode: file::mode(f),
        })
        .collect();
    if real.exists()
        && let Some(why) = cannot_write(&real)
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
        && let Some(why) = cannot_write(directory)
    {
        return Err(not_writable(directory, true, why));
    }
    Ok(())
}
