//! What the operating system says about a database's files and this process, for errors that name the
//! cause and the fix: who owns a file, whether this user may write it, whether its mount is read-only,
//! how much space is free, how large a file this process may write.
//!
//! Nothing here opens the database file (closing a descriptor of it would drop the POSIX locks SQLite
//! holds on it in this process): everything is `access(2)`, `stat(2)` or `statvfs(3)` by path.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A user, as `ls -l` would name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub uid: u32,
    /// The name from `/etc/passwd`, when it has one.
    pub name: Option<String>,
}

impl User {
    fn from_uid(uid: u32) -> User {
        User {
            uid,
            name: user_name(uid),
        }
    }

    /// The name if known, else the uid: what `chown` accepts.
    pub fn chown_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.uid.to_string())
    }
}

impl std::fmt::Display for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} (uid {})", self.uid),
            None => write!(f, "uid {}", self.uid),
        }
    }
}

/// The user this process runs as (its effective uid).
pub fn current_user() -> User {
    #[cfg(unix)]
    {
        User::from_uid(rustix::process::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        User { uid: 0, name: None }
    }
}

/// The owner of `path` (not following a final symlink), if it exists.
pub fn owner(path: &Path) -> Option<User> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| User::from_uid(m.uid()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The permission bits of `path`, e.g. `0644`.
pub fn mode(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{:04o}", m.permissions().mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Why this process may not write `path` (`access(2)` with `W_OK`, real uid), or `None` if it may.
pub fn cannot_write(path: &Path) -> Option<NotWritable> {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        match rustix::fs::access(path, rustix::fs::Access::WRITE_OK) {
            Ok(()) => None,
            Err(Errno::ROFS) => Some(NotWritable::ReadOnlyMount),
            Err(Errno::PERM) => Some(NotWritable::Immutable),
            Err(Errno::ACCESS) => Some(NotWritable::Permission),
            // Missing files and the like: nothing to say about writing them.
            Err(_) => None,
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.permissions().readonly())
            .map(|_| NotWritable::Permission)
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

/// The mount point of the file system holding `path` (the highest ancestor on the same device).
pub fn mount_point(path: &Path) -> PathBuf {
    let existing = path
        .ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .unwrap_or(Path::new("/"));
    let existing = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(device) = std::fs::metadata(&existing).map(|m| m.dev()) else {
            return existing;
        };
        let mut point = existing.clone();
        for dir in existing.ancestors().skip(1) {
            match std::fs::metadata(dir) {
                Ok(m) if m.dev() == device => point = dir.to_path_buf(),
                _ => break,
            }
        }
        point
    }
    #[cfg(not(unix))]
    {
        existing
    }
}

/// Whether the file system holding `path` (or its nearest existing ancestor) is mounted read-only.
pub fn on_read_only_mount(path: &Path) -> bool {
    #[cfg(unix)]
    {
        let Some(existing) = path
            .ancestors()
            .find(|p| !p.as_os_str().is_empty() && p.exists())
        else {
            return false;
        };
        rustix::fs::statvfs(existing)
            .is_ok_and(|s| s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Bytes free for this user on the file system holding `path`.
pub fn free_space(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let existing = path
            .ancestors()
            .find(|p| !p.as_os_str().is_empty() && p.exists())?;
        let stat = rustix::fs::statvfs(existing).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The largest file this process may write (`ulimit -f`, `RLIMIT_FSIZE`), when it is limited.
pub fn file_size_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Fsize).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// A byte count for people: `512 bytes`, `3.2 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The name of `uid` in `/etc/passwd` (no NSS: enough for messages, and no `unsafe` libc call).
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_like_ls_h() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 200 * 1024), "3.2 MiB");
    }

    #[cfg(unix)]
    #[test]
    fn root_is_named_and_a_temp_dir_is_writable_and_on_a_mount() {
        assert_eq!(User::from_uid(0).name.as_deref(), Some("root"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cannot_write(dir.path()), None);
        assert!(dir.path().starts_with(mount_point(dir.path())));
        assert!(free_space(dir.path()).is_some());
        assert!(!on_read_only_mount(dir.path()));
    }
}
