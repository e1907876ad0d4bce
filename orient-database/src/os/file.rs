//! One file or directory as the operating system sees it: whether it exists, its owner, mode and size,
//! and whether this process may read or write it (`access(2)`, which answers for the real user and
//! knows about read-only mounts and immutable files); and the two changes the tools make to the files
//! they create (snapshots, backups): owner-only modes, and the database's owner when running as root.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::os::user::User;

/// Whether a user may do something with a file, as `access(2)` answers for the real user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Permission {
    Allowed,
    /// The file's owner, group and mode do not allow it (EACCES).
    Denied,
    /// The file is immutable or append-only (`chattr +i`/`+a`: EPERM).
    Immutable,
    /// The file system is mounted read-only (EROFS).
    ReadOnlyFileSystem,
    /// Something else went wrong (the message of the OS error), e.g. the file does not exist.
    Unknown {
        error: String,
    },
}

impl Permission {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Permission::Allowed)
    }

    /// Refused for this user: by the owner and mode, or by the immutable flag (not a read-only mount).
    pub fn is_denied(&self) -> bool {
        matches!(self, Permission::Denied | Permission::Immutable)
    }
}

/// Why a file or directory cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotWritable {
    /// The file system is mounted read-only (`EROFS`).
    ReadOnlyMount,
    /// The file is immutable or append-only (`chattr +i`/`+a`: `EPERM`).
    Immutable,
    /// The permission bits and owner do not let this user write it (`EACCES`).
    Permission,
}

/// One file (or directory) as `lstat`, `stat` and `access` see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFacts {
    pub path: PathBuf,
    pub exists: bool,
    /// A symbolic link (`lstat`); the other facts are those of the link's target.
    pub symlink: bool,
    pub is_dir: bool,
    pub uid: u32,
    pub gid: u32,
    /// The permission bits (`0o644`).
    pub mode: u32,
    pub size: u64,
    pub read: Permission,
    pub write: Permission,
}

impl FileFacts {
    /// `0644`, as `ls -l` users read modes.
    pub fn mode_text(&self) -> String {
        format!("{:04o}", self.mode & 0o7777)
    }

    /// The file's owner (and its group).
    pub fn owner(&self) -> User {
        User::with_ids(self.uid, self.gid)
    }
}

/// Whether ownership can be compared at all (Unix): elsewhere the owner fields are zero.
pub const HAS_OWNERS: bool = cfg!(unix);

/// The owner of `path` (its target, for a symbolic link), if it exists and owners are known.
pub fn owner(path: &Path) -> Option<User> {
    let facts = facts(path);
    (facts.exists && HAS_OWNERS).then(|| facts.owner())
}

/// The permission bits of `path`, e.g. `0644`, if it exists and modes are known.
pub fn mode(path: &Path) -> Option<String> {
    let facts = facts(path);
    (facts.exists && HAS_OWNERS).then(|| facts.mode_text())
}

/// Why this process may not write `path` (`access(2)` with `W_OK`, real uid), or `None` if it may (or
/// the answer says nothing about writing it, e.g. it does not exist).
pub fn cannot_write(path: &Path) -> Option<NotWritable> {
    match facts(path).write {
        Permission::Allowed | Permission::Unknown { .. } => None,
        Permission::Denied => Some(NotWritable::Permission),
        Permission::Immutable => Some(NotWritable::Immutable),
        Permission::ReadOnlyFileSystem => Some(NotWritable::ReadOnlyMount),
    }
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    use rustix::fs::Access;
    use rustix::io::Errno;

    use super::{FileFacts, Permission};

    fn permission(path: &Path, access: Access) -> Permission {
        match rustix::fs::access(path, access) {
            Ok(()) => Permission::Allowed,
            Err(Errno::ACCESS) => Permission::Denied,
            Err(Errno::PERM) => Permission::Immutable,
            Err(Errno::ROFS) => Permission::ReadOnlyFileSystem,
            Err(e) => Permission::Unknown {
                error: std::io::Error::from(e).to_string(),
            },
        }
    }

    pub fn facts(path: &Path) -> FileFacts {
        let symlink = std::fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        match std::fs::metadata(path) {
            Ok(meta) => FileFacts {
                path: path.to_path_buf(),
                exists: true,
                symlink,
                is_dir: meta.is_dir(),
                uid: meta.uid(),
                gid: meta.gid(),
                mode: meta.mode() & 0o7777,
                size: meta.len(),
                read: permission(path, Access::READ_OK),
                write: permission(path, Access::WRITE_OK),
            },
            Err(_) => FileFacts {
                path: path.to_path_buf(),
                exists: false,
                symlink,
                is_dir: false,
                uid: 0,
                gid: 0,
                mode: 0,
                size: 0,
                // Usually "no such file"; a directory on the way that this user may not search is
                // "denied", as for an existing file.
                read: permission(path, Access::READ_OK),
                write: permission(path, Access::WRITE_OK),
            },
        }
    }

    /// Whether `dir` can be searched and written: what creating `-wal`, `-shm` or a snapshot there needs.
    pub fn directory_writable(dir: &Path) -> Permission {
        permission(dir, Access::WRITE_OK | Access::EXEC_OK)
    }
}

#[cfg(unix)]
pub use unix::{directory_writable, facts};

#[cfg(not(unix))]
mod other {
    use std::path::Path;

    use super::{FileFacts, Permission};

    pub fn facts(path: &Path) -> FileFacts {
        let meta = std::fs::metadata(path).ok();
        let writable = meta.as_ref().is_some_and(|m| !m.permissions().readonly());
        FileFacts {
            path: path.to_path_buf(),
            exists: meta.is_some(),
            symlink: false,
            is_dir: meta.as_ref().is_some_and(|m| m.is_dir()),
            uid: 0,
            gid: 0,
            mode: 0,
            size: meta.as_ref().map_or(0, |m| m.len()),
            read: if meta.is_some() {
                Permission::Allowed
            } else {
                Permission::Denied
            },
            write: match &meta {
                None => Permission::Unknown {
                    error: "the file does not exist".to_owned(),
                },
                Some(_) if writable => Permission::Allowed,
                Some(_) => Permission::Denied,
            },
        }
    }

    pub fn directory_writable(_dir: &Path) -> Permission {
        Permission::Unknown {
            error: "not checked on this operating system".to_owned(),
        }
    }
}

#[cfg(not(unix))]
pub use other::{directory_writable, facts};

/// Makes a file or directory created by this process belong to `uid`/`gid` when this process is root,
/// the way SQLite gives its `-wal` and `-shm` files the database file's owner: a snapshot taken by root
/// must stay manageable by the user the service runs as.
#[cfg(unix)]
pub fn give_to_owner_when_root(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    if crate::os::user::running_as_root() && uid != 0 {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn give_to_owner_when_root(_path: &Path, _uid: u32, _gid: u32) -> std::io::Result<()> {
    Ok(())
}

/// Restricts a file or directory to its owner (`0600` / `0700`): snapshots and backups hold every secret
/// the database holds.
#[cfg(unix)]
pub fn owner_only(path: &Path, directory: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if directory { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn owner_only(_path: &Path, _directory: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_reported_as_missing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let facts = facts(&dir.path().join("nothing.db"));
        assert!(!facts.exists);
        assert!(!facts.read.is_allowed());
    }

    #[cfg(unix)]
    #[test]
    fn the_current_user_and_file_owners_are_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("a.db");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        let me = crate::os::user::current_user();
        let facts = facts(&file);
        assert_eq!(facts.uid, me.uid);
        assert_eq!(facts.size, 1);
        assert!(facts.write.is_allowed());
        assert!(directory_writable(dir.path()).is_allowed());
    }
}
