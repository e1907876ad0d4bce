//! What the operating system says about files and this process, for messages that name the cause and
//! the fix, and for the few changes the tools make to their own files: who a user is, who owns a file
//! and who may read or write it, the mount a file is on (read-only? how much space is free?), how large
//! a file this process may write, and byte counts for people. Nothing here is true of one database
//! engine only: what SQLite keeps beside a database (`-wal`, `-shm`) is `dialect/sqlite/files.rs`.
//!
//! Nothing here opens a database file (closing any descriptor of a file drops every POSIX lock the
//! process holds on it, SQLite's included): everything is `lstat`, `stat`, `access(2)` or `statvfs(3)`
//! by path, so it is safe to call while connections of this process are open.
//!
//! - [`user`]: users and their names, the user running this process, running as root;
//! - [`file`]: one file's owner, mode and size, and whether this user may read or write it;
//!   restricting a copy to its owner;
//! - [`mount`]: the mount point, read-only mounts, free space;
//! - [`size`]: the file-size limit (`ulimit -f`) and byte counts for people.

pub mod file;
pub mod mount;
pub mod size;
pub mod user;

#[cfg(test)]
mod tests {
    use super::file::cannot_write;
    use super::mount::{free_space, mount_point, on_read_only_mount};
    use super::user::User;

    #[cfg(unix)]
    #[test]
    fn root_is_named_and_a_temp_dir_is_writable_and_on_a_mount() {
        assert_eq!(User::with_ids(0, 0).name.as_deref(), Some("root"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cannot_write(dir.path()), None);
        assert!(dir.path().starts_with(mount_point(dir.path())));
        assert!(free_space(dir.path()).is_some());
        assert!(!on_read_only_mount(dir.path()));
    }
}
