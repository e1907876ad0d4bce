//! Which database to open, from the environment and `.env`, resolved the same way by every command.
//!
//! - The project root is the nearest ancestor of the current directory holding `diesel.toml`, else the
//!   current directory. `<root>/.env` is read if present; a variable set in the process environment wins
//!   over the same variable in `.env`. An empty value counts as unset.
//! - `DATABASE_TYPE` defaults to `sqlite`, the only value this build supports.
//! - The path is `SQLITE_DATABASE`, else `SQLITE_DB_PATH`, else `DATABASE_URL` (read as the Diesel CLI reads
//!   it: a path, `file:path` or `sqlite://path`), else `.dev-data/instance-N/orient.db` (see
//!   [`instance`](super::instance)). A relative path is relative to the project root.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::db::env_file;
use crate::db::error::ConfigError;
use crate::db::instance::{Instance, instance_for};

/// The variables that choose the database, in precedence order for the path.
pub const PATH_VARIABLES: [&str; 3] = ["SQLITE_DATABASE", "SQLITE_DB_PATH", "DATABASE_URL"];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// The process environment.
    Environment,
    /// A line of this `.env` file.
    EnvFile { path: PathBuf },
    /// Nothing was set: the built-in default.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("the environment"),
            Origin::EnvFile { path } => write!(f, "{}", path.display()),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// How the project root was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RootSource {
    /// The nearest ancestor holding `diesel.toml`.
    DieselToml { path: PathBuf },
    /// No `diesel.toml` above: the current directory.
    CurrentDirectory,
}

/// The database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseType {
    Sqlite,
}

/// A resolved configuration: the absolute database path and where each part of it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub database_type: DatabaseType,
    /// Absolute path of the database file.
    pub path: PathBuf,
    /// The variable that gave the path (`None` for the instance default).
    pub path_variable: Option<&'static str>,
    /// The value as written (before resolving against the project root).
    pub path_value: String,
    pub path_origin: Origin,
    pub project_root: PathBuf,
    pub root_source: RootSource,
    /// The `.env` file that was read, if one exists.
    pub env_file: Option<PathBuf>,
    /// The development instance, when the path is the instance default.
    pub instance: Option<Instance>,
}

impl Config {
    /// Resolves the configuration of this process (current directory, environment, `.env`).
    pub fn from_env() -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().map_err(ConfigError::CurrentDir)?;
        let vars: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Config::resolve(&cwd, &vars)
    }

    /// Resolves a configuration from a directory and a set of process variables (testable core of
    /// [`Config::from_env`]).
    pub fn resolve(cwd: &Path, process: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let (project_root, root_source) = project_root(cwd);
        let env_path = project_root.join(".env");
        let file_vars = env_file::read(&env_path)?;
        let env_file = env_path.is_file().then(|| env_path.clone());
        let lookup = |key: &str| -> Option<(String, Origin)> {
            if let Some(value) = process.get(key).filter(|v| !v.is_empty()) {
                return Some((value.clone(), Origin::Environment));
            }
            file_vars
                .iter()
                .rev()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| {
                    (
                        v.clone(),
                        Origin::EnvFile {
                            path: env_path.clone(),
                        },
                    )
                })
        };

        let database_type = match lookup("DATABASE_TYPE") {
            None => DatabaseType::Sqlite,
            Some((value, _)) if value.eq_ignore_ascii_case("sqlite") => DatabaseType::Sqlite,
            Some((value, origin)) => {
                return Err(ConfigError::UnsupportedDatabaseType {
                    value,
                    origin: origin.to_string(),
                });
            }
        };

        let chosen = PATH_VARIABLES
            .iter()
            .find_map(|var| lookup(var).map(|(value, origin)| (*var, value, origin)));
        let (path, path_variable, path_value, path_origin, instance) = match chosen {
            Some((variable, value, origin)) => {
                let file = sqlite_path(variable, &value, &origin)?;
                (
                    absolute(&project_root, Path::new(&file)),
                    Some(variable),
                    value,
                    origin,
                    None,
                )
            }
            None => {
                let id = match lookup("AI_INSTANCE_ID") {
                    None => None,
                    Some((value, origin)) => Some(value.trim().parse::<u32>().map_err(|_| {
                        ConfigError::BadInstanceId {
                            value: value.clone(),
                            origin: origin.to_string(),
                        }
                    })?),
                };
                let instance = instance_for(&project_root, id);
                let relative = default_path(instance.id);
                (
                    project_root.join(&relative),
                    None,
                    relative.to_string_lossy().into_owned(),
                    Origin::Default,
                    Some(instance),
                )
            }
        };

        Ok(Config {
            database_type,
            path,
            path_variable,
            path_value,
            path_origin,
            project_root,
            root_source,
            env_file,
            instance,
        })
    }

    /// A configuration for an explicit file (tools and tests).
    pub fn for_path(path: impl AsRef<Path>) -> Config {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let path = absolute(&cwd, path.as_ref());
        Config {
            database_type: DatabaseType::Sqlite,
            path_value: path.to_string_lossy().into_owned(),
            path,
            path_variable: None,
            path_origin: Origin::Default,
            project_root: cwd,
            root_source: RootSource::CurrentDirectory,
            env_file: None,
            instance: None,
        }
    }
}

/// `.dev-data/instance-N/orient.db`.
pub fn default_path(instance: u32) -> PathBuf {
    PathBuf::from(".dev-data")
        .join(format!("instance-{instance}"))
        .join("orient.db")
}

/// The nearest ancestor of `cwd` holding `diesel.toml`, else `cwd`.
pub fn project_root(cwd: &Path) -> (PathBuf, RootSource) {
    for dir in cwd.ancestors() {
        let marker = dir.join("diesel.toml");
        if marker.is_file() {
            return (dir.to_path_buf(), RootSource::DieselToml { path: marker });
        }
    }
    (cwd.to_path_buf(), RootSource::CurrentDirectory)
}

/// The file path in a variable, read the way the Diesel CLI reads `DATABASE_URL` for SQLite.
fn sqlite_path(
    variable: &'static str,
    value: &str,
    origin: &Origin,
) -> Result<String, ConfigError> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let foreign = ["postgres://", "postgresql://", "mysql://", "mariadb://"];
    if foreign.iter().any(|p| lower.starts_with(p)) {
        return Err(ConfigError::NotSqliteUrl {
            variable,
            value: value.to_owned(),
            origin: origin.to_string(),
        });
    }
    let path = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("file:"))
        .map_or(value, |rest| rest.split(['?', '#']).next().unwrap_or(rest));
    if path == ":memory:" || path.is_empty() {
        return Err(ConfigError::InMemory {
            variable,
            origin: origin.to_string(),
        });
    }
    Ok(path.to_owned())
}

/// `path` made absolute against `base`, with `.` and `..` removed lexically (the file may not exist yet).
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("diesel.toml"), "").unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("sub")).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn precedence_is_sqlite_database_then_db_path_then_database_url_then_default() {
        let dir = project();
        let root = dir.path();
        let all = vars(&[
            ("SQLITE_DATABASE", "a.db"),
            ("SQLITE_DB_PATH", "b.db"),
            ("DATABASE_URL", "c.db"),
        ]);
        let resolve = |v: &BTreeMap<String, String>| {
            Config::resolve(&root.join("sub"), v).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(resolve(&all).path, root.join("a.db"));
        let mut v = all.clone();
        v.remove("SQLITE_DATABASE");
        assert_eq!(resolve(&v).path, root.join("b.db"));
        v.remove("SQLITE_DB_PATH");
        assert_eq!(resolve(&v).path, root.join("c.db"));
        v.remove("DATABASE_URL");
        let default = resolve(&v);
        assert_eq!(default.path, root.join(".dev-data/instance-0/orient.db"));
        assert_eq!(default.path_variable, None);
    }

    #[test]
    fn the_environment_wins_over_dot_env_and_relative_paths_use_the_project_root() {
        let dir = project();
        let root = dir.path();
        std::fs::write(
            root.join(".env"),
            "SQLITE_DATABASE=from-file.db\nAI_INSTANCE_ID=4\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let from_file =
            Config::resolve(&root.join("sub"), &vars(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_file.path, root.join("from-file.db"));
        assert_eq!(
            from_file.path_origin,
            Origin::EnvFile {
                path: root.join(".env")
            }
        );
        let from_env = Config::resolve(&root.join("sub"), &vars(&[("SQLITE_DATABASE", "env.db")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_env.path, root.join("env.db"));
        assert_eq!(from_env.path_origin, Origin::Environment);
    }

    #[test]
    fn database_url_is_read_like_the_diesel_cli() {
        let dir = project();
        let root = dir.path();
        let resolve =
            |url: &str| Config::resolve(root, &vars(&[("DATABASE_URL", url)])).map(|c| c.path);
        assert_eq!(resolve("sqlite://x.db").ok(), Some(root.join("x.db")));
        assert_eq!(resolve("file:y.db?mode=rwc").ok(), Some(root.join("y.db")));
        assert_eq!(resolve("/abs/z.db").ok(), Some(PathBuf::from("/abs/z.db")));
        assert!(matches!(
            resolve("postgres://u@h/db"),
            Err(ConfigError::NotSqliteUrl { .. })
        ));
        assert!(matches!(
            resolve(":memory:"),
            Err(ConfigError::InMemory { .. })
        ));
    }

    #[test]
    fn unsupported_database_type_names_the_variable_and_the_supported_values() {
        let dir = project();
        let error = Config::resolve(dir.path(), &vars(&[("DATABASE_TYPE", "mysql")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("DATABASE_TYPE=mysql"), "{error}");
        assert!(error.contains("supported values: sqlite"), "{error}");
    }
}
