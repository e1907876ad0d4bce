//! Users, as `ls -l` names them: the user running this process and the owners of files.

use serde::Serialize;

/// A user (with a group: the file's group for an owner, the effective group for this process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    /// The name from `/etc/passwd`, when it has one.
    pub name: Option<String>,
}

impl User {
    /// The user `uid` in the group `gid`, named from `/etc/passwd`.
    pub fn with_ids(uid: u32, gid: u32) -> User {
        User {
            uid,
            gid,
            name: user_name(uid),
        }
    }

    /// The name if known, else the uid: what `chown` accepts.
    pub fn chown_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.uid.to_string())
    }
}

/// `root (uid 0)`, or `uid 1234` when `/etc/passwd` does not name it.
impl std::fmt::Display for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} (uid {})", self.uid),
            None => write!(f, "uid {}", self.uid),
        }
    }
}

/// The user this process runs as (its effective uid and gid).
pub fn current_user() -> User {
    #[cfg(unix)]
    {
        User::with_ids(
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    }
    #[cfg(not(unix))]
    {
        User {
            uid: 0,
            gid: 0,
            name: None,
        }
    }
}

/// Whether this process runs as root (and so may read and write any file, and SQLite changes the owner
/// of the `-wal` and `-shm` files it opens).
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The name of `uid` in `/etc/passwd` (no NSS: enough to name a user in a message, and no `unsafe` libc
/// call).
pub fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}
