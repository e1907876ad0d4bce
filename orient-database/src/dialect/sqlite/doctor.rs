//! The SQLite checks of `orient-db doctor` ([`crate::ops::doctor`]): the files SQLite needs and who may
//! use them, the WAL, integrity, the migration lock file and the library's compile options. Each turns
//! what it reads into findings that name the file and the fix.

use std::path::Path;

use crate::db::backend::DbConnection;
use crate::dialect::sqlite::compile_options::{self as options, FLAGS_LINE};
use crate::dialect::sqlite::files::{Companion, companion};
use crate::dialect::sqlite::inspect::{self, OpenFailure, Opened};
use crate::dialect::sqlite::lock::lock_path;
use crate::dialect::sqlite::wal::WalState;
use crate::ops::diagnosis::{Code, Diagnosis, Severity};
use crate::ops::snapshot;
use crate::os::file::{self, FileFacts, HAS_OWNERS, directory_writable};
use crate::os::mount::mount;
use crate::os::size::human_bytes;
use crate::os::user::running_as_root;

/// Above this size a WAL is worth a look: SQLite checkpoints every 1000 pages (4 MiB), so a WAL this big
/// means checkpoints are not keeping up.
pub const WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// `owned by root (uid 0), mode 0644`.
fn ownership(facts: &FileFacts) -> String {
    if HAS_OWNERS {
        format!(
            "owned by {}, group {}, mode {}",
            facts.owner(),
            facts.gid,
            facts.mode_text()
        )
    } else {
        String::new()
    }
}

fn restore_advice(db: &Path) -> String {
    format!(
        "Stop the processes writing it and restore the newest good copy: `orient-db restore <file>` \
         (automatic snapshots are in {}; `orient-db backup` makes one). To salvage rows from the damaged \
         file first, keep a copy of it and run `sqlite3 {} .recover > recovered.sql`",
        snapshot::directory(db).display(),
        db.display()
    )
}

/// Files, directory, mount and free space. Returns whether the database file exists.
pub fn files(d: &mut Diagnosis, db: &Path) -> bool {
    let user = d.user.to_string();
    let Some(dir) = db.parent().map(Path::to_path_buf) else {
        return false;
    };
    let dir_facts = file::facts(&dir);
    if !dir_facts.exists {
        d.add(
            Code::DirectoryMissing,
            Severity::Error,
            Some(&dir),
            format!(
                "the directory {} of the database does not exist",
                dir.display()
            ),
            "Run `orient-db migrate` to create the directory and the database, or correct \
             SQLITE_DATABASE (`orient-db path` shows where the path comes from)",
        );
        return false;
    }
    let mount = mount(&dir).ok();
    if let Some(mount) = &mount
        && mount.read_only
    {
        let point = mount.mount_point.display();
        d.add(
            Code::ReadOnlyMount,
            Severity::Error,
            Some(&dir),
            format!(
                "{} is on a file system mounted read-only ({point}): nothing can write the database, \
                 `migrate`, `push`, `orient-seed` and every service write fail, and a WAL database can \
                 only be opened while its -wal and -shm files already exist",
                dir.display()
            ),
            format!(
                "Remount it read-write (`mount -o remount,rw {point}`; in Docker, drop `:ro` from the \
                 volume), or point SQLITE_DATABASE at a copy on a writable file system"
            ),
        );
    }
    let facts = file::facts(db);
    if !facts.exists {
        d.add(
            Code::DatabaseMissing,
            Severity::Error,
            Some(db),
            format!("the database file {} does not exist", db.display()),
            "Run `orient-db migrate` to create it, or correct SQLITE_DATABASE if it points at the wrong \
             place (`orient-db path` shows where the path comes from)",
        );
        return false;
    }
    if facts.is_dir {
        d.add(
            Code::NotADatabase,
            Severity::Error,
            Some(db),
            format!("{} is a directory, not a database file", db.display()),
            "Point SQLITE_DATABASE at a file (e.g. a file inside that directory)",
        );
        return false;
    }
    if facts.read.is_denied() {
        d.add(
            Code::FileNotReadable,
            Severity::Error,
            Some(db),
            format!(
                "{} is {}, and {user}, who runs this, cannot read it",
                db.display(),
                ownership(&facts)
            ),
            format!(
                "Run as the database's owner ({}), or give {user} access (`chown` or `chmod`)",
                facts.owner()
            ),
        );
    } else if facts.write.is_denied() {
        d.add(
            Code::FileNotWritable,
            Severity::Error,
            Some(db),
            format!(
                "{} is {}, and {user}, who runs this, cannot write it: migrations, `push`, `orient-seed` \
                 and every write fail with \"attempt to write a readonly database\"",
                db.display(),
                ownership(&facts)
            ),
            format!(
                "Run as the database's owner ({}), or `chown {}:{} {}` so the user the services run as \
                 owns it",
                facts.owner(),
                d.user.uid,
                d.user.gid,
                db.display()
            ),
        );
    }
    let companions: Vec<(Companion, FileFacts)> = Companion::ALL
        .iter()
        .map(|c| (*c, file::facts(&companion(db, *c))))
        .filter(|(_, f)| f.exists)
        .collect();
    if directory_writable(&dir).is_denied() {
        let wal_ready = companions
            .iter()
            .filter(|(c, _)| matches!(c, Companion::Wal | Companion::Shm))
            .count()
            == 2;
        d.add(
            Code::DirectoryNotWritable,
            if wal_ready {
                Severity::Warning
            } else {
                Severity::Error
            },
            Some(&dir),
            format!(
                "{} is {}, and {user} cannot create files in it: SQLite creates {} and -shm there when \
                 the database is opened{}, and snapshots go to {}",
                dir.display(),
                ownership(&dir_facts),
                companion(db, Companion::Wal).display(),
                if wal_ready {
                    " (they exist now, so opening works until they are removed)"
                } else {
                    ", so opening it fails with \"unable to open database file\""
                },
                snapshot::directory(db).display()
            ),
            format!(
                "Give the user the services run as write access to {} (e.g. `chown {}:{} {}`), or move \
                 the database into a directory it owns",
                dir.display(),
                facts.uid,
                facts.gid,
                dir.display()
            ),
        );
    }
    for (which, file) in &companions {
        let role = match which {
            Companion::Wal => {
                "it holds committed transactions not yet copied into the database, so deleting it \
                 loses them"
            }
            Companion::Shm => "it is the WAL's shared index, which every connection writes",
            Companion::Journal => "it is the rollback journal of an unfinished transaction",
        };
        let db_owner = facts.owner();
        if file.read.is_denied() || file.write.is_denied() {
            d.add(
                Code::FileNotWritable,
                Severity::Error,
                Some(&file.path),
                format!(
                    "{} is {}, and {user}, who runs this, cannot {} it ({role}); {} is owned by \
                     {db_owner}. Writes fail with \"attempt to write a readonly database\" and opening \
                     can fail with \"unable to open database file\"",
                    file.path.display(),
                    ownership(file),
                    if file.read.is_denied() {
                        "read"
                    } else {
                        "write"
                    },
                    db.display()
                ),
                format!(
                    "As root: `chown {}:{} {}` (the database file's owner and group), then make sure \
                     every process using the database runs as {db_owner} (the one that created this \
                     file probably ran as {}). Do not delete it",
                    facts.uid,
                    facts.gid,
                    file.path.display(),
                    file.owner()
                ),
            );
        } else if HAS_OWNERS && (file.uid != facts.uid || file.gid != facts.gid) {
            d.add(
                Code::FileOwnerMismatch,
                Severity::Warning,
                Some(&file.path),
                format!(
                    "{} is {}, but {} is owned by {db_owner} (gid {}): processes running as {db_owner} \
                     may be unable to write it ({role}){}",
                    file.path.display(),
                    ownership(file),
                    db.display(),
                    facts.gid,
                    if running_as_root() && *which != Companion::Journal {
                        ". SQLite running as root gives such a file the database's owner when it opens \
                         it, so doctor read the database without its WAL, to leave the owner as it is"
                    } else {
                        ""
                    }
                ),
                format!(
                    "`chown {}:{} {}` and run every process using the database as {db_owner}. Do not \
                     delete it",
                    facts.uid,
                    facts.gid,
                    file.path.display()
                ),
            );
        }
    }
    if let Some(mount) = &mount {
        let wal = companions
            .iter()
            .find(|(c, _)| *c == Companion::Wal)
            .map_or(0, |(_, f)| f.size);
        let needed = facts.size + wal;
        if mount.available_bytes < needed.saturating_mul(2) {
            let short = mount.available_bytes < needed;
            d.add(
                Code::LowDiskSpace,
                if short {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Some(&dir),
                format!(
                    "{} has {} free and the database takes {}: a snapshot before a data-losing change, \
                     a backup and a table rebuild each need up to that much again{}",
                    dir.display(),
                    human_bytes(mount.available_bytes),
                    human_bytes(needed),
                    if short {
                        ", so they fail (and data-losing changes are refused)"
                    } else {
                        ""
                    }
                ),
                format!(
                    "Free space on that file system (old snapshots are in {}; `orient-db backup --to` \
                     can write elsewhere), or move the database to a larger one",
                    snapshot::directory(db).display()
                ),
            );
        }
    }
    true
}

/// Who holds `<database>.migrate-lock`, and whether the lock file is safe to use.
pub fn migration_lock(d: &mut Diagnosis, db: &Path) {
    let lock = lock_path(db);
    let Ok(meta) = std::fs::symlink_metadata(&lock) else {
        return;
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&lock)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "an unreadable target".to_owned());
        d.add(
            Code::MigrationLockSymlink,
            Severity::Error,
            Some(&lock),
            format!(
                "the migration lock file {} is a symbolic link to {target}: a migrator would write its \
                 pid into that file and empty it when done",
                lock.display()
            ),
            format!(
                "Remove the link (`rm {}`); the next migrator creates a regular file",
                lock.display()
            ),
        );
        return;
    }
    let Ok(mut file) = open_no_follow(&lock) else {
        return;
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut file, &mut text);
            let holder = text
                .trim()
                .parse::<u32>()
                .map_or_else(|_| "another process".to_owned(), |pid| format!("pid {pid}"));
            d.add(
                Code::MigrationLockHeld,
                Severity::Warning,
                Some(&lock),
                format!(
                    "{holder} holds the migration lock {}: a migrate, push or restore of {} is running, \
                     and every other one waits for it (then exits 4)",
                    lock.display(),
                    db.display()
                ),
                format!(
                    "Wait for it to finish. If {holder} is stuck (`ps -o pid,etime,args -p <pid>`), stop \
                     it; the lock is released when the process exits, however it exits"
                ),
            );
        }
        Err(std::fs::TryLockError::Error(_)) => {}
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The journal mode, the WAL's size and whether a reader pins it. Reads files only: call it before
/// opening a connection.
pub fn wal(d: &mut Diagnosis, db: &Path) {
    if let Ok(Some(header)) = inspect::read_header(db)
        && header.sqlite
        && !header.wal_mode
    {
        d.add(
            Code::NotWalMode,
            Severity::Warning,
            Some(db),
            format!(
                "{} is in rollback-journal mode, not WAL: readers and the writer block each other",
                db.display()
            ),
            "Run `orient-db migrate` (it switches the database to WAL, which is stored in the file)",
        );
    }
    let Some(state) = WalState::read(db) else {
        return;
    };
    if state.wal_bytes > 0 && !state.shm.exists() {
        d.add(
            Code::WalUnread,
            Severity::Warning,
            Some(&state.wal),
            format!(
                "{} holds {} of committed transactions, but its index {} is missing: the process that \
                 wrote them ended without closing the database (a crash or a kill). The checks below \
                 read {} without them",
                state.wal.display(),
                human_bytes(state.wal_bytes),
                state.shm.display(),
                db.display()
            ),
            format!(
                "Open the database once as its owner with a command that writes (`orient-db migrate`, or \
                 start a service): SQLite replays the WAL. Do not delete {}: that loses those transactions",
                state.wal.display()
            ),
        );
    }
    if state.wal_bytes <= WAL_LIMIT {
        return;
    }
    let size = human_bytes(state.wal_bytes);
    let never_delete = format!(
        "Never delete {}: it holds committed transactions",
        state.wal.display()
    );
    let pending = state.pending_frames().unwrap_or(0);
    match &state.index {
        Some(index) if pending > 0 => {
            let readers = state.pinning_readers();
            let pending_text = format!(
                "{pending} of its {} frames ({}) are not copied into the database",
                index.frames,
                human_bytes(state.pending_bytes().unwrap_or(0))
            );
            if readers.is_empty() {
                let why = if state.locks.is_none() {
                    "which process holds a read transaction cannot be told here (no /proc/locks)"
                } else {
                    "no process holds a read transaction now, so the next checkpoint can copy them"
                };
                d.add(
                    Code::WalNotCheckpointed,
                    Severity::Warning,
                    Some(&state.wal),
                    format!("{} is {size}: {pending_text}; {why}", state.wal.display()),
                    format!(
                        "The next write checkpoints automatically; `sqlite3 {} 'PRAGMA \
                         wal_checkpoint(TRUNCATE)'` copies them and shrinks the file now. {never_delete}",
                        db.display()
                    ),
                );
            } else {
                let pids: Vec<String> = readers.iter().map(|r| format!("pid {}", r.pid)).collect();
                let oldest = &readers[0];
                let since = if oldest.mark == 0 {
                    "before the WAL's first frame".to_owned()
                } else {
                    format!("at frame {}", oldest.mark)
                };
                d.add(
                    Code::WalCheckpointStarved,
                    Severity::Error,
                    Some(&state.wal),
                    format!(
                        "{} is {size} and keeps growing: {pending_text}, because {} {} a read transaction \
                         whose snapshot ends {since}. No checkpoint, not even PASSIVE, copies frames past \
                         the oldest reader's snapshot, and the WAL cannot start over while it is read, so \
                         every write makes it bigger and every read slower",
                        state.wal.display(),
                        pids.join(", "),
                        if readers.len() == 1 { "holds" } else { "hold" },
                    ),
                    format!(
                        "End that read transaction: in {} (`ps -o pid,etime,args -p {}`) a transaction or \
                         statement is left open (an unfinished iterator, a pooled connection inside BEGIN, \
                         a long report). Once it ends the next write checkpoints, and `sqlite3 {} 'PRAGMA \
                         wal_checkpoint(TRUNCATE)'` shrinks the file. {never_delete}",
                        pids.join(", "),
                        oldest.pid,
                        db.display()
                    ),
                );
            }
        }
        _ => {
            d.add(
                Code::WalLarge,
                Severity::Warning,
                Some(&state.wal),
                format!(
                    "{} is {size}, although everything in it is already in the database: a WAL file \
                     keeps the size of its largest transaction until a checkpoint truncates it",
                    state.wal.display()
                ),
                format!(
                    "`sqlite3 {} 'PRAGMA wal_checkpoint(TRUNCATE)'` when no long read is running shrinks \
                     it (it is removed anyway when the last connection closes). {never_delete}",
                    db.display()
                ),
            );
        }
    }
}

/// Opens the database without changing anything; a failure is a finding.
pub fn open(d: &mut Diagnosis, db: &Path) -> Option<Opened> {
    d.check("open");
    match inspect::open(db) {
        Ok(opened) => Some(opened),
        Err(OpenFailure::Missing) => None,
        Err(OpenFailure::NotADatabase) => {
            d.add(
                Code::NotADatabase,
                Severity::Error,
                Some(db),
                format!(
                    "{} is not an SQLite database (its header is not \"SQLite format 3\")",
                    db.display()
                ),
                format!(
                    "Point SQLITE_DATABASE at the Orient database (`orient-db path` shows where the path \
                     comes from). If this file was the database, it is lost: {}",
                    restore_advice(db)
                ),
            );
            None
        }
        Err(OpenFailure::Corrupt { detail }) => {
            d.add(
                Code::IntegrityCheckFailed,
                Severity::Error,
                Some(db),
                format!(
                    "{} is corrupt: SQLite cannot read its schema ({detail})",
                    db.display()
                ),
                restore_advice(db),
            );
            None
        }
        Err(OpenFailure::CannotOpen { detail }) => {
            let explained = d.has(Code::FileNotReadable)
                || d.has(Code::FileNotWritable)
                || d.has(Code::ReadOnlyMount)
                || d.has(Code::DirectoryNotWritable);
            d.add(
                Code::CannotOpen,
                Severity::Error,
                Some(db),
                format!(
                    "{} cannot be opened for reading: {detail}; the checks that need a connection were \
                     skipped",
                    db.display()
                ),
                if explained {
                    "Fix the file problems reported above, then run `orient-db doctor` again".to_owned()
                } else {
                    format!(
                        "Check that {} and its -wal and -shm files are readable by {}, then run \
                         `orient-db doctor` again",
                        db.display(),
                        d.user
                    )
                },
            );
            None
        }
    }
}

/// `integrity_check` and `foreign_key_check`.
pub fn integrity(d: &mut Diagnosis, conn: &mut DbConnection, db: &Path) {
    let problems = inspect::integrity_problems(conn, 20);
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        d.add(
            Code::IntegrityCheckFailed,
            Severity::Error,
            Some(db),
            format!(
                "`PRAGMA integrity_check` found {} problem{} in {}: {}{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                db.display(),
                shown.join("; "),
                if problems.len() > shown.len() {
                    "; …"
                } else {
                    ""
                }
            ),
            restore_advice(db),
        );
    }
    match inspect::foreign_key_problems(conn) {
        Ok(dangling) => {
            for group in dangling {
                d.add(
                    Code::ForeignKeyViolations,
                    Severity::Error,
                    Some(db),
                    format!(
                        "{} row{} of `{}` in {} reference{} rows of `{}` that do not exist (first rowid \
                         {})",
                        group.rows,
                        if group.rows == 1 { "" } else { "s" },
                        group.table,
                        db.display(),
                        if group.rows == 1 { "s" } else { "" },
                        group.parent,
                        group
                            .first_rowid
                            .map_or_else(|| "unknown".to_owned(), |r| r.to_string())
                    ),
                    format!(
                        "They were written with foreign keys off. List them with `sqlite3 {} \"SELECT * \
                         FROM pragma_foreign_key_check('{}')\"`, then delete them or create the rows they \
                         point at",
                        db.display(),
                        group.table.replace('\'', "''")
                    ),
                );
            }
        }
        Err(e) => d.add(
            Code::IntegrityCheckFailed,
            Severity::Error,
            Some(db),
            format!("`PRAGMA foreign_key_check` on {} failed: {e}", db.display()),
            restore_advice(db),
        ),
    }
}

/// The linked SQLite's compile options. Returns its version.
pub fn compile_options(d: &mut Diagnosis) -> Option<String> {
    use diesel::Connection;
    let mut conn = DbConnection::establish(":memory:").ok()?;
    let version = inspect::sqlite_version(&mut conn).ok();
    let Ok(list) = options::compile_options(&mut conn) else {
        d.skip("compile_options", "PRAGMA compile_options failed");
        return version;
    };
    let missing = options::missing(&list);
    if !missing.is_empty() {
        let described: Vec<String> = missing
            .iter()
            .map(|m| format!("{} ({})", m.option, m.why))
            .collect();
        d.add(
            Code::CompileOptions,
            Severity::Warning,
            None,
            format!(
                "the linked SQLite {} was built without {}",
                version.as_deref().unwrap_or("(unknown version)"),
                described.join("; ")
            ),
            format!(
                "Build with this workspace's .cargo/config.toml; a service built outside it copies the \
                 line `{FLAGS_LINE}` into its own .cargo/config.toml (see the README's Performance section)"
            ),
        );
    }
    version
}
