//! SQLite's "database is locked" (`SQLITE_BUSY`): another connection held the lock for the whole busy
//! timeout.

use std::time::Duration;

/// How long a statement waits for another connection's lock before failing with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a Diesel error is SQLITE_BUSY (or its shared-cache cousin, SQLITE_LOCKED on a table).
pub fn is_busy(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked") || message.contains("database table is locked")
        }
        _ => false,
    }
}
