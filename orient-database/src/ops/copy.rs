//! Verified copies of a database, what `orient-db backup` and every automatic snapshot write: the copy
//! is written under a temporary name beside its destination, checked (`integrity_check`, and its
//! content checksum equal to the source's at the moment it was copied), flushed to disk, restricted to
//! its owner, and only then given its name, so a file with a backup's or snapshot's name is always a
//! complete, verified copy.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::dialect::sqlite;
use crate::dialect::sqlite::inspect;
use crate::ops::Error;
use crate::ops::checksum::{ContentChecksum, content_checksum};
use crate::os::file::{HAS_OWNERS, facts, give_to_owner_when_root, owner_only};
use crate::types::Timestamp;

/// A verified copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCopy {
    pub path: PathBuf,
    pub bytes: u64,
    pub checksum: ContentChecksum,
}

/// `20260201T231009Z`: UTC, sortable, no characters a file system or a shell minds.
pub fn stamp(time: SystemTime) -> String {
    Timestamp::from(time)
        .to_string()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect()
}

/// Copies the database file `database` to `dest` (which must not exist): written as `<dest>.<pid>.partial`,
/// verified, flushed, restricted to its owner (and given the database file's owner when running as
/// root), then linked to its name, which fails rather than replace a file that appeared meanwhile.
pub fn copy_verified(database: &Path, dest: &Path) -> Result<VerifiedCopy, Error> {
    let partial = {
        let mut name = dest.as_os_str().to_os_string();
        name.push(format!(".{}.partial", std::process::id()));
        PathBuf::from(name)
    };
    // Left by a process of the same pid that died: never a finished copy.
    let _ = std::fs::remove_file(&partial);
    let result = write_and_verify(database, &partial);
    let checksum = match result {
        Ok(checksum) => checksum,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let io = |step: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Io { path, step, source }
    };
    let finish = || -> Result<(), Error> {
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io("flushing the copy to disk", &partial))?;
        owner_only(&partial, false).map_err(io("restricting the copy to its owner", &partial))?;
        let owner = facts(database);
        if owner.exists && HAS_OWNERS {
            give_to_owner_when_root(&partial, owner.uid, owner.gid)
                .map_err(io("giving the copy the database's owner", &partial))?;
        }
        match std::fs::hard_link(&partial, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::TargetExists {
                    path: dest.to_path_buf(),
                });
            }
            Err(e) => return Err(io("naming the copy", dest)(e)),
        }
        if let Some(dir) = dest.parent() {
            // The new name is durable once the directory is.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    };
    let finished = finish();
    let _ = std::fs::remove_file(&partial);
    finished?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(VerifiedCopy {
        path: dest.to_path_buf(),
        bytes,
        checksum,
    })
}

fn write_and_verify(database: &Path, partial: &Path) -> Result<ContentChecksum, Error> {
    let expected = sqlite::backup::copy_into(database, partial)?;
    let mismatch = |detail: String| Error::CopyMismatch {
        copy: partial.to_path_buf(),
        source_path: database.to_path_buf(),
        detail,
    };
    let mut opened = inspect::open(partial).map_err(|f| mismatch(f.to_string()))?;
    let problems = inspect::integrity_problems(&mut opened.conn, 10);
    if !problems.is_empty() {
        return Err(mismatch(format!(
            "integrity_check: {}",
            problems.join("; ")
        )));
    }
    let found = content_checksum(&mut opened.conn).map_err(|e| Error::Sqlite {
        path: partial.to_path_buf(),
        step: "computing the copy's content checksum",
        source: e,
    })?;
    if found != expected {
        return Err(mismatch(format!(
            "content checksum {} instead of {} (tables differing: {})",
            found.sha256,
            expected.sha256,
            found.differing_tables(&expected).join(", ")
        )));
    }
    Ok(expected)
}

/// `pg_dump` of the PostgreSQL database `target` to `dest` (which must not exist), the way
/// [`copy_verified`] copies a file: written as `<dest>.<pid>.partial` in one exported snapshot with its
/// content checksum, verified (`pg_restore --list`), flushed, restricted to its owner, then linked to its
/// name; its checksum recorded in `<dest>.checksum.json` (see [`crate::dialect::postgres::backup`]).
#[cfg(feature = "postgres")]
pub fn dump_verified(
    target: &crate::db::target::PostgresTarget,
    dest: &Path,
) -> Result<VerifiedCopy, Error> {
    use crate::dialect::postgres::backup::{checksum_file, dump, record_checksum};
    let partial = {
        let mut name = dest.as_os_str().to_os_string();
        name.push(format!(".{}.partial", std::process::id()));
        PathBuf::from(name)
    };
    let clean = |partial: &Path| {
        let _ = std::fs::remove_file(partial);
        let _ = std::fs::remove_file(checksum_file(partial));
    };
    clean(&partial);
    let io = |step: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| Error::Io { path, step, source }
    };
    let finish = || -> Result<ContentChecksum, Error> {
        let checksum = dump(target, &partial)?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io("flushing the dump to disk", &partial))?;
        owner_only(&partial, false).map_err(io("restricting the dump to its owner", &partial))?;
        record_checksum(&partial, target, &checksum)?;
        match std::fs::hard_link(&partial, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::TargetExists {
                    path: dest.to_path_buf(),
                });
            }
            Err(e) => return Err(io("naming the dump", dest)(e)),
        }
        std::fs::rename(checksum_file(&partial), checksum_file(dest))
            .map_err(io("naming the checksum file", &checksum_file(dest)))?;
        if let Some(dir) = dest.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(checksum)
    };
    let finished = finish();
    clean(&partial);
    let checksum = finished?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(VerifiedCopy {
        path: dest.to_path_buf(),
        bytes,
        checksum,
    })
}
