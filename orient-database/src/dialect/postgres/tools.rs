//! Finding PostgreSQL's client programs (`pg_dump`, `pg_restore`, `psql`) for backups, restores and
//! snapshots, and running them with the connection taken from the configured URL.
//!
//! Where: the directory [`BIN_VARIABLE`] names (and only there: an explicit choice is never silently
//! replaced by another installation), else the `PATH`, else the newest `/usr/lib/postgresql/<major>/bin`
//! (Debian and Ubuntu install there without touching the `PATH`).
//!
//! The connection is the configured URL without its password as `--dbname` (libpq expands a URL given
//! as the database name, every parameter included) and the password in `PGPASSWORD`: never on the
//! command line, where any user of the machine could read it in the process list. Messages name the
//! redacted URL.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::db::target::PostgresTarget;

/// The variable naming the directory of PostgreSQL's client programs.
pub const BIN_VARIABLE: &str = "ORIENT_PG_BIN";

/// Where Debian-style packages put each major version's programs.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// A problem with PostgreSQL's client programs. Each says what to install or set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    #[error(
        "{tool} was not found ({searched}); install PostgreSQL's client programs (e.g. `apt-get install \
         postgresql-client`, the same major version as the server or newer), or set {BIN_VARIABLE} to \
         the directory that holds {tool}"
    )]
    Missing {
        tool: &'static str,
        searched: String,
    },

    #[error(
        "{} is PostgreSQL {tool_version}, older than the server of {server} (PostgreSQL \
         {server_version}): {tool} cannot read a newer server. Install the client programs of \
         PostgreSQL {server_major} or newer and set {BIN_VARIABLE} to their directory",
        path.display()
    )]
    TooOld {
        tool: &'static str,
        path: PathBuf,
        tool_version: String,
        server: String,
        server_version: String,
        server_major: u32,
    },

    #[error("{} could not be run ({step}): {detail}", path.display())]
    Run {
        path: PathBuf,
        step: &'static str,
        detail: String,
    },

    #[error(transparent)]
    Config(#[from] crate::db::config_error::ConfigError),
}

/// PostgreSQL's client programs of one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    /// The directory holding them.
    pub dir: PathBuf,
}

impl Tools {
    /// Finds the installation holding `pg_dump`, `pg_restore` and `psql` (see the module doc).
    pub fn find() -> Result<Tools, ToolError> {
        let settings = crate::db::config::Settings::from_env()?;
        let chosen = settings
            .variables()
            .get(BIN_VARIABLE)?
            .map(|v| PathBuf::from(v.text));
        let path = std::env::var_os("PATH").unwrap_or_default();
        Tools::find_in(chosen.as_deref(), &path, Path::new(DEBIAN_ROOT))
    }

    /// [`Tools::find`] with its inputs given: the chosen directory, the `PATH`, the Debian root.
    pub fn find_in(
        chosen: Option<&Path>,
        path: &std::ffi::OsStr,
        debian_root: &Path,
    ) -> Result<Tools, ToolError> {
        let complete = |dir: &Path| {
            ["pg_dump", "pg_restore", "psql"]
                .iter()
                .all(|tool| is_executable(&dir.join(tool)))
        };
        let missing_in = |dir: &Path| {
            ["pg_dump", "pg_restore", "psql"]
                .into_iter()
                .find(|tool| !is_executable(&dir.join(tool)))
                .unwrap_or("pg_dump")
        };
        if let Some(dir) = chosen {
            return if complete(dir) {
                Ok(Tools {
                    dir: dir.to_path_buf(),
                })
            } else {
                Err(ToolError::Missing {
                    tool: missing_in(dir),
                    searched: format!("{BIN_VARIABLE}={} has none", dir.display()),
                })
            };
        }
        if let Some(dir) = std::env::split_paths(path).find(|dir| complete(dir)) {
            return Ok(Tools { dir });
        }
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(debian_root)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| {
                        let major = e.file_name().to_str()?.parse::<u32>().ok()?;
                        Some((major, e.path().join("bin")))
                    })
                    .filter(|(_, dir)| complete(dir))
                    .collect()
            })
            .unwrap_or_default();
        versions.sort();
        match versions.pop() {
            Some((_, dir)) => Ok(Tools { dir }),
            None => Err(ToolError::Missing {
                tool: "pg_dump",
                searched: format!(
                    "{BIN_VARIABLE} is not set, and neither the PATH nor {DEBIAN_ROOT}/*/bin has it"
                ),
            }),
        }
    }

    /// The path of `tool` (`pg_dump`, `pg_restore`, `psql`).
    pub fn program(&self, tool: &str) -> PathBuf {
        self.dir.join(tool)
    }

    /// `tool` connected to `target`: `--dbname=<the URL without its password>` (libpq expands a URL
    /// given as the database name, every parameter included) and the password in `PGPASSWORD`.
    pub fn connected(&self, tool: &str, target: &PostgresTarget) -> Command {
        let (url, password) = target.without_password();
        let mut command = Command::new(self.program(tool));
        command.arg(format!("--dbname={url}"));
        match password {
            Some(password) => command.env("PGPASSWORD", password),
            None => command.env_remove("PGPASSWORD"),
        };
        command.env("PGAPPNAME", super::connection::APPLICATION_NAME);
        command
    }

    /// `tool` without a connection (`pg_restore --list`).
    pub fn offline(&self, tool: &str) -> Command {
        Command::new(self.program(tool))
    }

    /// The major version of `tool` (`pg_dump (PostgreSQL) 15.6` → 15, with the text).
    pub fn version(&self, tool: &'static str) -> Result<(u32, String), ToolError> {
        let path = self.program(tool);
        let output = Command::new(&path)
            .arg("--version")
            .output()
            .map_err(|e| ToolError::Run {
                path: path.clone(),
                step: "asking its version",
                detail: e.to_string(),
            })?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let version = text.rsplit(' ').next().unwrap_or_default().to_owned();
        match major_of(&version) {
            Some(major) => Ok((major, version)),
            None => Err(ToolError::Run {
                path,
                step: "asking its version",
                detail: format!("`--version` said {text:?}"),
            }),
        }
    }

    /// Refuses a `tool` older than the server (`server_version_num`, e.g. 150006).
    pub fn require_at_least(
        &self,
        tool: &'static str,
        server: &PostgresTarget,
        server_version_num: u32,
    ) -> Result<(), ToolError> {
        let (major, text) = self.version(tool)?;
        let server_major = server_version_num / 10_000;
        if major < server_major {
            return Err(ToolError::TooOld {
                tool,
                path: self.program(tool),
                tool_version: text,
                server: server.redacted().to_owned(),
                server_version: format!("{server_major}.{}", server_version_num % 10_000),
                server_major,
            });
        }
        Ok(())
    }
}

/// `15.6`, `16beta1`, `9.6.24` → their major (15, 16, 9).
fn major_of(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_are_read_from_the_version_text() {
        assert_eq!(major_of("15.6"), Some(15));
        assert_eq!(major_of("16beta1"), Some(16));
        assert_eq!(major_of("9.6.24"), Some(9));
        assert_eq!(major_of("x"), None);
    }

    #[test]
    fn a_chosen_directory_without_the_tools_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let error = Tools::find_in(Some(dir.path()), std::ffi::OsStr::new(""), dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("pg_dump was not found"), "{error}");
        assert!(error.contains(BIN_VARIABLE), "{error}");
    }
}
