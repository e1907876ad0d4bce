//! The files of a SQLite database as the operating system sees them: the database, the `-wal`, `-shm`
//! and `-journal` files SQLite keeps beside it, and its directory; who owns them, who may read and write
//! them, the mount they are on and the free space there.
//!
//! Everything here is read with `lstat`, `access(2)` and `statvfs(2)`: nothing is opened, locked or
//! created, so it is safe to run while SQLite connections of this process are open (closing any
//! descriptor of a file drops every POSIX lock the process holds on it, SQLite's included).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The companion files SQLite creates beside a database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Companion {
    /// `-wal`: committed transactions not yet copied into the database (WAL mode).
    Wal,
    /// `-shm`: the WAL's shared-memory index, which every connection reads and writes.
    Shm,
    /// `-journal`: the rollback journal of an unfinished transaction (rollback-journal mode).
    Journal,
}

impl Companion {
    pub const ALL: [Companion; 3] = [Companion::Wal, Companion::Shm, Companion::Journal];

    pub fn suffix(self) -> &'static str {
        match self {
            Companion::Wal => "-wal",
            Companion::Shm => "-shm",
            Companion::Journal => "-journal",
        }
    }
}

/// `<database>-wal`, `<database>-shm` or `<database>-journal`.
pub fn companion(database: &Path, which: Companion) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push(which.suffix());
    PathBuf::from(name)
}

/// Whether a user may do something with a file, as `access(2)` answers for the real user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Permission {
    Allowed,
    /// The file's owner, group and mode do not allow it (EACCES/EPERM).
    Denied,
    /// The file system is mounted read-only (EROFS).
    ReadOnlyFileSystem,
    /// Something else went wrong (the message of the OS error).
    Unknown {
        error: String,
    },
}

impl Permission {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Permission::Allowed)
    }
}

/// One file (or directory) as `lstat` and `access` see it.
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
}

/// The user this process runs as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    /// The name from `/etc/passwd`, when there is one.
    pub name: Option<String>,
}

impl User {
    /// `nobody (uid 65534)`.
    pub fn describe(&self) -> String {
        describe_uid(self.uid)
    }
}

/// `root (uid 0)`, or `uid 1234` when `/etc/passwd` does not name it.
pub fn describe_uid(uid: u32) -> String {
    match user_name(uid) {
        Some(name) => format!("{name} (uid {uid})"),
        None => format!("uid {uid}"),
    }
}

/// The name of a user id, from `/etc/passwd` (no NSS: enough to name a file's owner in a message).
pub fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

/// The mount a directory is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountFacts {
    pub read_only: bool,
    /// Bytes an unprivileged user may still write there (`f_bavail × f_frsize`).
    pub available_bytes: u64,
    /// The mount point, from `/proc/self/mountinfo` when it is readable.
    pub mount_point: Option<PathBuf>,
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};

    use rustix::fs::{Access, StatVfsMountFlags};

    use super::{FileFacts, MountFacts, Permission, User, user_name};

    pub fn current_user() -> User {
        let uid = rustix::process::geteuid().as_raw();
        User {
            uid,
            gid: rustix::process::getegid().as_raw(),
            name: user_name(uid),
        }
    }

    fn permission(path: &Path, access: Access) -> Permission {
        match rustix::fs::access(path, access) {
            Ok(()) => Permission::Allowed,
            Err(e) if e == rustix::io::Errno::ACCESS || e == rustix::io::Errno::PERM => {
                Permission::Denied
            }
            Err(e) if e == rustix::io::Errno::ROFS => Permission::ReadOnlyFileSystem,
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
                read: Permission::Denied,
                write: Permission::Denied,
            },
        }
    }

    /// Whether `dir` can be searched and written: what creating `-wal`, `-shm` or a snapshot there needs.
    pub fn directory_writable(dir: &Path) -> Permission {
        permission(dir, Access::WRITE_OK | Access::EXEC_OK)
    }

    pub fn mount(dir: &Path) -> std::io::Result<MountFacts> {
        let stat = rustix::fs::statvfs(dir)?;
        Ok(MountFacts {
            read_only: stat.f_flag.contains(StatVfsMountFlags::RDONLY),
            available_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
            mount_point: mount_point(dir),
        })
    }

    /// The longest mount point in `/proc/self/mountinfo` that contains `dir`.
    fn mount_point(dir: &Path) -> Option<PathBuf> {
        let dir = std::fs::canonicalize(dir).ok()?;
        let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        info.lines()
            .filter_map(|line| line.split(' ').nth(4))
            .map(|field| PathBuf::from(unescape_mount_path(field)))
            .filter(|point| dir.starts_with(point))
            .max_by_key(|point| point.as_os_str().len())
    }

    /// Mount paths escape space, tab, newline and backslash as `\040`-style octal.
    fn unescape_mount_path(field: &str) -> String {
        let mut out = String::new();
        let mut chars = field.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let digits: String = (0..3).filter_map(|_| chars.next()).collect();
                match u8::from_str_radix(&digits, 8) {
                    Ok(byte) => out.push(char::from(byte)),
                    Err(_) => {
                        out.push('\\');
                        out.push_str(&digits);
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn mount_paths_are_unescaped() {
            assert_eq!(unescape_mount_path(r"/mnt/a\040b"), "/mnt/a b");
            assert_eq!(unescape_mount_path("/"), "/");
        }
    }
}

#[cfg(unix)]
pub use unix::{current_user, directory_writable, facts, mount};

#[cfg(not(unix))]
mod other {
    use std::path::Path;

    use super::{FileFacts, MountFacts, Permission, User};

    pub fn current_user() -> User {
        User {
            uid: 0,
            gid: 0,
            name: None,
        }
    }

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
            write: if writable {
                Permission::Allowed
            } else {
                Permission::Denied
            },
        }
    }

    pub fn directory_writable(_dir: &Path) -> Permission {
        Permission::Unknown {
            error: "not checked on this operating system".to_owned(),
        }
    }

    pub fn mount(_dir: &Path) -> std::io::Result<MountFacts> {
        Err(std::io::Error::other(
            "free space and mount flags are only read on Unix",
        ))
    }
}

#[cfg(not(unix))]
pub use other::{current_user, directory_writable, facts, mount};

/// Whether this process runs as root (and so may read and write any file, and SQLite changes the owner
/// of the `-wal` and `-shm` files it opens).
#[cfg(unix)]
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
pub fn running_as_root() -> bool {
    false
}

/// Whether ownership can be compared at all (Unix): elsewhere the owner fields are zero.
pub const HAS_OWNERS: bool = cfg!(unix);

/// Makes a file or directory created by this process belong to `uid`/`gid` when this process is root,
/// the way SQLite gives its `-wal` and `-shm` files the database file's owner: a snapshot taken by root
/// must stay manageable by the user the service runs as.
#[cfg(unix)]
pub fn give_to_owner_when_root(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    if running_as_root() && uid != 0 {
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
    fn companions_append_their_suffix_to_the_whole_name() {
        let db = Path::new("/data/orient.db");
        assert_eq!(
            companion(db, Companion::Wal),
            Path::new("/data/orient.db-wal")
        );
        assert_eq!(
            companion(db, Companion::Shm),
            Path::new("/data/orient.db-shm")
        );
        assert_eq!(
            companion(db, Companion::Journal),
            Path::new("/data/orient.db-journal")
        );
    }

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
        let me = current_user();
        let facts = facts(&file);
        assert_eq!(facts.uid, me.uid);
        assert_eq!(facts.size, 1);
        assert!(facts.write.is_allowed());
        assert!(directory_writable(dir.path()).is_allowed());
    }
}
