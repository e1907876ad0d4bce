//! The mount a path is on: its mount point (what `mount -o remount,rw` needs), whether it is mounted
//! read-only, and how much space is free there. A path that does not exist yet is judged by its nearest
//! existing ancestor, where it would be created.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The mount a path is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountFacts {
    pub read_only: bool,
    /// Bytes an unprivileged user may still write there (`f_bavail × f_frsize`).
    pub available_bytes: u64,
    /// The mount point ([`mount_point`]).
    pub mount_point: PathBuf,
}

/// `path`, or its nearest ancestor that exists.
fn nearest_existing(path: &Path) -> Option<&Path> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
}

/// The mount holding `path` (`statvfs(3)`).
pub fn mount(path: &Path) -> std::io::Result<MountFacts> {
    #[cfg(unix)]
    {
        let existing = nearest_existing(path).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "neither {} nor any directory above it exists",
                    path.display()
                ),
            )
        })?;
        let stat = rustix::fs::statvfs(existing)?;
        Ok(MountFacts {
            read_only: stat.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
            available_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
            mount_point: mount_point(path),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Err(std::io::Error::other(
            "free space and mount flags are only read on Unix",
        ))
    }
}

/// Whether the file system holding `path` is mounted read-only.
pub fn on_read_only_mount(path: &Path) -> bool {
    mount(path).is_ok_and(|m| m.read_only)
}

/// Bytes free for this user on the file system holding `path`.
pub fn free_space(path: &Path) -> Option<u64> {
    mount(path).ok().map(|m| m.available_bytes)
}

/// The mount point of the file system holding `path`: the longest mount point in
/// `/proc/self/mountinfo` that contains it (right for bind mounts too), else the highest ancestor on the
/// same device.
pub fn mount_point(path: &Path) -> PathBuf {
    let existing = nearest_existing(path).unwrap_or(Path::new("/"));
    let existing = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    from_mountinfo(&existing).unwrap_or_else(|| same_device_top(&existing))
}

/// The longest mount point in `/proc/self/mountinfo` that contains `dir` (canonical).
fn from_mountinfo(dir: &Path) -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mount_path(field)))
        .filter(|point| dir.starts_with(point))
        .max_by_key(|point| point.as_os_str().len())
}

/// The highest ancestor of `existing` (canonical) on the same device.
fn same_device_top(existing: &Path) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(device) = std::fs::metadata(existing).map(|m| m.dev()) else {
            return existing.to_path_buf();
        };
        let mut point = existing.to_path_buf();
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
        existing.to_path_buf()
    }
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
