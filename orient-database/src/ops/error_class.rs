//! How the command line treats an error (`orient-db`'s exit codes), decided by the library that knows
//! the error. In a file of its own because the connection layer carries the class of a snapshot failure
//! ([`crate::db::error::SnapshotFailure`]) without depending on the operations.

/// How the command line should treat an error (see `orient-db`'s exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Exit 1.
    Failure,
    /// Exit 2: a wrong argument or setting, found before anything was done.
    Usage,
    /// Exit 3: refused for the data's safety; nothing was changed.
    Refused,
    /// Exit 4: another process held the database or its lock for too long.
    Locked,
}
