//! Files: listings ("nothing was created" is a listing staying the same), hashes, copies, and the
//! repository's own paths.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The repository root (this crate lives in `orient-testkit/`).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("orient-testkit/ has a parent")
        .to_path_buf()
}

/// The SQLite migrations of this repository.
pub fn repository_migrations() -> PathBuf {
    repository().join("migrations/sqlite")
}

/// Every path under `dir`, relative and sorted: "nothing was created" is this list staying the same.
pub fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                out.push(path.strip_prefix(base).unwrap().display().to_string());
                if path.is_dir() {
                    walk(base, &path, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
