//! The files of a SQLite database: the real file a path names (symlinks followed), and the `-wal`,
//! `-shm` and `-journal` files SQLite keeps beside it. What the operating system says about any file
//! (owner, mode, access, mount, free space) is [`crate::os`].

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

/// The `-wal` and `-shm` files beside a database: what WAL mode reads and writes.
pub fn wal_and_shm(database: &Path) -> [PathBuf; 2] {
    [Companion::Wal, Companion::Shm].map(|which| companion(database, which))
}

/// Whether a non-empty `-wal` is beside the database: committed transactions may be in it only.
pub fn has_wal(database: &Path) -> bool {
    let [wal, _] = wal_and_shm(&real_path(database));
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// A `file:` URI for a path: `%`, `?` and `#` are escaped so the path is read as written.
pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            _ => uri.push(ch),
        }
    }
    uri
}

/// How many symlinks in a row are followed before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// The file a database path really names: symlinks of the file followed (also a link to a file not
/// created yet) and the directory's path made canonical, as far as those exist. Two names of one file
/// give one path: SQLite keeps `-wal`/`-shm` beside the real file, and the migration lock is keyed on it.
pub fn real_path(database: &Path) -> PathBuf {
    let mut path = database.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            break;
        }
        match std::fs::read_link(&path) {
            // A relative target is relative to the link's directory; `join` keeps an absolute one.
            Ok(target) => path = path.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => break,
        }
    }
    // A bare file name is in the current directory, which the kernel holds by its real inode: nothing
    // to resolve.
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return path;
    };
    if parent.as_os_str().is_empty() {
        return path;
    }
    match std::fs::canonicalize(parent) {
        Ok(dir) => dir.join(name),
        Err(_) => path,
    }
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
}
