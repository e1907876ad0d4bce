//! Opening a SQLite database without writing anything: the one decision every reader that must not
//! write makes (the read-only commands, the studio, `orient-db doctor`, checking a backup, restoring
//! from one), according to what is beside the file and who reads: a command or an inspection.
//!
//! An ordinary connection is not read-only in that sense, even with `query_only`: it creates `-wal` and
//! `-shm` files when they are missing, writes its reader mark into `-shm`, and, closing last, checkpoints
//! the WAL into the database and deletes both files. So:
//!
//! - a command ([`command_plan`]) that can write beside the database opens it normally, with
//!   `query_only` ([`ReadMode::Normal`]): closing last, it removes the `-wal`/`-shm` it created, so the
//!   directory is left as it was found (a `mode=ro` connection would leave them behind);
//! - an inspection ([`inspection_plan`]: doctor, a backup being checked) never does;
//! - otherwise, with a `-wal` and a `-shm`, the file is read through them, writing neither
//!   ([`ReadMode::ThroughWal`]: a writer may be live, so the log must be read);
//! - with no `-wal` (or an empty one), the file alone, `immutable=1` ([`ReadMode::FileAlone`]): no writer
//!   is live, and SQLite would otherwise create the missing files;
//! - a non-empty `-wal` without its `-shm` (left by a process that died) cannot be read without
//!   recovering it, which writes: a command refuses ([`Error::NeedsRecovery`], naming the fix), an
//!   inspection reads the file alone and says how much of the log it could not read;
//! - an inspection running as root reads the file alone too when the `-wal` or `-shm` belongs to another
//!   user than the database file: SQLite would give them the database file's owner on opening them.

use std::path::Path;

use serde::Serialize;

use crate::db::error::Error;
use crate::dialect::sqlite::files::{file_uri, real_path, wal_and_shm};
use crate::dialect::sqlite::storage::writable;
use crate::os::file::facts;
use crate::os::mount::{mount_point, on_read_only_mount};
use crate::os::user::{current_user, running_as_root};

/// How a reader opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// A normal connection (the caller adds `query_only`): a command that can write beside the database.
    Normal,
    /// Through the existing `-wal` and `-shm`: `mode=ro` for a command, and for an inspection
    /// `readonly_shm=1` besides, which writes neither however the last connection closes.
    ThroughWal,
    /// The file alone, no locks (`mode=ro&immutable=1`).
    FileAlone,
}

/// How to open a database without writing, and what that leaves unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPlan {
    pub mode: ReadMode,
    /// A `-wal` of this many bytes exists but is not read (an inspection reading the file alone).
    pub wal_unread: Option<u64>,
    inspection: bool,
}

impl ReadPlan {
    /// What to open: the path for a normal connection, else a `file:` URI with the parameters.
    pub fn target(&self, path: &Path) -> String {
        let parameters = match self.mode {
            ReadMode::Normal => return path.to_string_lossy().into_owned(),
            ReadMode::ThroughWal if self.inspection => "mode=ro&readonly_shm=1",
            ReadMode::ThroughWal => "mode=ro",
            ReadMode::FileAlone => "mode=ro&immutable=1",
        };
        format!("{}?{parameters}", file_uri(path))
    }
}

/// How a read-only command opens the database `path` (see the module documentation): normally where
/// this process can write beside it (`step` names what the command does, for the message where it cannot);
/// an error when it cannot read it without writing (a `-wal` needing recovery where it cannot write).
pub fn command_plan(path: &Path, step: &str) -> Result<ReadPlan, Error> {
    let Err(cannot) = writable(path, step) else {
        return Ok(ReadPlan {
            mode: ReadMode::Normal,
            wal_unread: None,
            inspection: false,
        });
    };
    let plan = without_writing(path, false);
    // A command never leaves a log unread: only recovery, which writes, can read it.
    match plan.wal_unread {
        Some(_) => Err(needs_recovery(path, &cannot)),
        None => Ok(plan),
    }
}

/// How an inspection opens the database `path` (see the module documentation).
pub fn inspection_plan(path: &Path) -> ReadPlan {
    without_writing(path, true)
}

/// How to read `path` writing no file, from what is beside it.
fn without_writing(path: &Path, inspection: bool) -> ReadPlan {
    let plan = |mode, wal_unread| ReadPlan {
        mode,
        wal_unread,
        inspection,
    };
    let real = real_path(path);
    let [wal, shm] = wal_and_shm(&real);
    let wal_bytes = std::fs::metadata(&wal).ok().map(|m| m.len());
    match (wal_bytes, shm.exists()) {
        (Some(bytes), true) if inspection && would_change_owners(&real) => {
            plan(ReadMode::FileAlone, Some(bytes))
        }
        (Some(_), true) => plan(ReadMode::ThroughWal, None),
        // A log without its index: reading it means recovering it, which writes.
        (Some(bytes), false) if bytes > 0 => plan(ReadMode::FileAlone, Some(bytes)),
        // No log to read: nothing is lost by ignoring what is not there.
        _ => plan(ReadMode::FileAlone, None),
    }
}

/// Whether SQLite, opening the companions of the database file `real` in this process, would change
/// their owner: running as root, it gives a `-wal` or `-shm` it opens the database file's owner (so that
/// owner can keep using them), even on a read-only connection.
fn would_change_owners(real: &Path) -> bool {
    let database = facts(real);
    running_as_root()
        && wal_and_shm(real).iter().any(|companion| {
            let companion = facts(companion);
            companion.exists && (companion.uid != database.uid || companion.gid != database.gid)
        })
}

/// Why the WAL of `path` cannot be recovered by this process (`cannot`: why it cannot write there), and
/// how to get it recovered.
pub fn needs_recovery(path: &Path, cannot: &Error) -> Error {
    let real = real_path(path);
    let [wal, _] = wal_and_shm(&real);
    let directory = real.parent().unwrap_or(Path::new("/"));
    let read_only_mount = on_read_only_mount(directory);
    let fix = if read_only_mount {
        let mount = mount_point(directory);
        format!(
            "Remount {0} read-write once (`mount -o remount,rw {0}`) and run any command, or copy {1} \
             and {2} together to a writable place and use the copy",
            mount.display(),
            real.display(),
            wal.display()
        )
    } else {
        format!("Run any command on it once as a user who can: {cannot}")
    };
    let reason = if read_only_mount {
        "the mount is read-only".to_owned()
    } else {
        format!("{} cannot write there", current_user())
    };
    Error::NeedsRecovery {
        path: real.clone(),
        wal,
        reason,
        fix,
    }
}
