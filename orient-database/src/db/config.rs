//! Which database to open, and every other setting of the Orient tools, from the environment and `.env`:
//! ONE reader for every variable ([`Variables`]), used the same way by every command and every service.
//!
//! - The project root is `ORIENT_PROJECT_ROOT` (process environment only, since it says where `.env` is),
//!   else the one a program names ([`Config::for_project_root`]), else the nearest ancestor of the current
//!   directory holding `diesel.toml`, else the current directory. `<root>/.env` is read if present; a
//!   variable set in the process environment wins over the same variable in `.env`. An empty value counts
//!   as unset. A value that is not UTF-8, or not valid for its variable, is refused
//!   ([`ConfigError`], exit 2 in the tools) naming the variable and where it came from: a value that
//!   cannot be read must never fall back to a default, which could be another database.
//! - `DATABASE_TYPE` defaults to `sqlite`, the only value this build supports.
//! - The path is `SQLITE_DATABASE`, else `SQLITE_DB_PATH`, else `DATABASE_URL` (read as the Diesel CLI reads
//!   it: a path, `file:path` or `sqlite://path`), else `.dev-data/instance-N/orient.db` (see
//!   [`instance`](super::instance)). A relative path is relative to the project root.
//! - With none of those variables nor `AI_INSTANCE_ID` set and no project root found, nothing is guessed:
//!   [`ConfigError::NothingConfigured`]. A service started in some other directory must never get a
//!   fresh, empty database of its own.
//! - `ORIENT_MIGRATE_LOCK_TIMEOUT_MS` and `ORIENT_LOG` are read the same way ([`Settings`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use crate::db::config_error::ConfigError;
use crate::db::instance::{Instance, instance_for};
use crate::db::replica_config::{self, ReadReplicas};
use crate::db::target::{PostgresTarget, Target, is_postgres_url, redact_loosely};
pub use crate::db::variables::{Origin, Value, Variables, process_environment};

/// The variables that choose the database, in precedence order for the path.
pub const PATH_VARIABLES: [&str; 3] = ["SQLITE_DATABASE", "SQLITE_DB_PATH", "DATABASE_URL"];

/// The variable the Diesel CLI reads: a file path for SQLite, a `postgres://` URL for PostgreSQL.
pub const URL_VARIABLE: &str = "DATABASE_URL";

/// The variable naming the project root explicitly (read from the process environment only).
pub const PROJECT_ROOT_VARIABLE: &str = "ORIENT_PROJECT_ROOT";

/// The log filter of the tools (`tracing_subscriber::EnvFilter` syntax).
pub const LOG_VARIABLE: &str = "ORIENT_LOG";

/// How long a migrator waits for another one, in milliseconds.
pub const LOCK_TIMEOUT_VARIABLE: &str = "ORIENT_MIGRATE_LOCK_TIMEOUT_MS";

/// The development instance number.
pub const INSTANCE_VARIABLE: &str = "AI_INSTANCE_ID";

/// The database engine.
pub const TYPE_VARIABLE: &str = "DATABASE_TYPE";

/// Every variable the library and the tools read; all of them through [`Variables`].
pub const VARIABLES: [&str; 12] = [
    "SQLITE_DATABASE",
    "SQLITE_DB_PATH",
    "DATABASE_URL",
    TYPE_VARIABLE,
    INSTANCE_VARIABLE,
    LOCK_TIMEOUT_VARIABLE,
    LOG_VARIABLE,
    PROJECT_ROOT_VARIABLE,
    replica_config::READ_URL_VARIABLE,
    replica_config::WAIT_VARIABLE,
    replica_config::MAX_LAG_VARIABLE,
    replica_config::RECHECK_VARIABLE,
];

/// How long a migrator waits for another one when nothing says otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The log filter when `ORIENT_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "warn";

/// How the project root was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RootSource {
    /// The nearest ancestor holding `diesel.toml`.
    DieselToml { path: PathBuf },
    /// `ORIENT_PROJECT_ROOT` in the process environment.
    Variable { variable: &'static str },
    /// Named by the program ([`Config::for_project_root`]).
    Named,
    /// No `diesel.toml` above: the current directory.
    CurrentDirectory,
}

/// The database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseType {
    Sqlite,
    Postgres,
}

/// Everything but the database itself: the project root, its `.env`, and the settings every tool reads.
/// What a tool resolves first (its log filter is needed before anything else runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub project_root: PathBuf,
    pub root_source: RootSource,
    /// The `.env` file that was read, if one exists.
    pub env_file: Option<PathBuf>,
    /// `ORIENT_MIGRATE_LOCK_TIMEOUT_MS`, else [`DEFAULT_LOCK_TIMEOUT`].
    #[serde(rename = "lock_timeout_ms", serialize_with = "as_millis")]
    pub lock_timeout: Duration,
    /// `ORIENT_LOG` (checked to be a valid filter), else [`DEFAULT_LOG_FILTER`].
    pub log_filter: String,
    #[serde(skip)]
    variables: Variables,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Settings {
    /// The settings of this process (current directory, environment, `.env`).
    pub fn from_env() -> Result<Settings, ConfigError> {
        let cwd = std::env::current_dir().map_err(ConfigError::CurrentDir)?;
        Settings::resolve(&cwd, process_environment(), None)
    }

    /// The settings for a directory, a process environment and, optionally, a project root the program
    /// names (testable core of [`Settings::from_env`]).
    pub fn resolve(
        cwd: &Path,
        process: BTreeMap<String, OsString>,
        named_root: Option<&Path>,
    ) -> Result<Settings, ConfigError> {
        let (project_root, root_source) = match (named_root, process.get(PROJECT_ROOT_VARIABLE)) {
            (Some(root), _) => (existing_root(cwd, root, "the program")?, RootSource::Named),
            (None, Some(raw)) if !raw.is_empty() => {
                let Some(text) = raw.to_str() else {
                    return Err(ConfigError::NotUnicode {
                        variable: PROJECT_ROOT_VARIABLE,
                        origin: Origin::Environment.to_string(),
                        lossy: raw.to_string_lossy().into_owned(),
                    });
                };
                (
                    existing_root(cwd, Path::new(text), "the environment")?,
                    RootSource::Variable {
                        variable: PROJECT_ROOT_VARIABLE,
                    },
                )
            }
            _ => project_root(cwd),
        };
        let env_path = project_root.join(".env");
        let variables = Variables::read(process, &env_path)?;
        let lock_timeout = variables
            .parsed(
                LOCK_TIMEOUT_VARIABLE,
                "a whole number of milliseconds (e.g. 60000)",
                |v| v.trim().parse::<u64>().ok().map(Duration::from_millis),
            )?
            .map_or(DEFAULT_LOCK_TIMEOUT, |(d, _)| d);
        let log_filter = match variables.get(LOG_VARIABLE)? {
            None => DEFAULT_LOG_FILTER.to_owned(),
            Some(value) => checked_log_filter(value)?,
        };
        Ok(Settings {
            env_file: env_path.is_file().then_some(env_path),
            project_root,
            root_source,
            lock_timeout,
            log_filter,
            variables,
        })
    }

    /// The variables these settings were read from, for anything else a tool reads.
    pub fn variables(&self) -> &Variables {
        &self.variables
    }

    /// `AI_INSTANCE_ID`, checked.
    pub fn instance_id(&self) -> Result<Option<u32>, ConfigError> {
        Ok(self
            .variables
            .parsed(INSTANCE_VARIABLE, "a non-negative integer", |v| {
                v.trim().parse::<u32>().ok()
            })?
            .map(|(id, _)| id))
    }

    /// The development instance of this checkout (also when a path variable chose the database).
    pub fn instance(&self) -> Result<Instance, ConfigError> {
        Ok(instance_for(&self.project_root, self.instance_id()?))
    }
}

/// `ORIENT_LOG`'s value, refused when it is not a log filter the tools can use. Only the tools log
/// through a filter (the `cli` feature); a library built without them keeps the text as it is.
#[cfg(feature = "cli")]
fn checked_log_filter(value: Value) -> Result<String, ConfigError> {
    match tracing_subscriber::EnvFilter::try_new(&value.text) {
        Ok(_) => Ok(value.text),
        Err(e) => Err(ConfigError::BadValue {
            variable: LOG_VARIABLE,
            value: value.text,
            origin: value.origin.to_string(),
            expected: format!(
                "a log filter such as `warn`, `info` or `orient_database=debug,warn` ({e})"
            ),
        }),
    }
}

#[cfg(not(feature = "cli"))]
fn checked_log_filter(value: Value) -> Result<String, ConfigError> {
    Ok(value.text)
}

/// A project root named explicitly: absolute against `cwd`, and an existing directory.
fn existing_root(cwd: &Path, root: &Path, named_by: &str) -> Result<PathBuf, ConfigError> {
    let path = absolute(cwd, root);
    if path.is_dir() {
        Ok(path)
    } else {
        Err(ConfigError::BadProjectRoot {
            path,
            named_by: named_by.to_owned(),
        })
    }
}

/// A resolved configuration: the database (a file or a server) and where each part of it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub database_type: DatabaseType,
    /// The database: an SQLite file (serialised as `path`) or a PostgreSQL server (as `url`, password
    /// hidden, with its host, port and database).
    #[serde(flatten, serialize_with = "serialize_target")]
    pub target: Target,
    /// The variable that chose the database (`None` for the instance default).
    pub path_variable: Option<&'static str>,
    /// The value as written (before resolving against the project root; a URL's password hidden).
    pub path_value: String,
    pub path_origin: Origin,
    pub project_root: PathBuf,
    pub root_source: RootSource,
    /// The `.env` file that was read, if one exists.
    pub env_file: Option<PathBuf>,
    /// The development instance, when the path is the instance default.
    pub instance: Option<Instance>,
    /// How long a migrator of this database waits for another one (`ORIENT_MIGRATE_LOCK_TIMEOUT_MS`).
    #[serde(rename = "lock_timeout_ms", serialize_with = "as_millis")]
    pub lock_timeout: Duration,
    /// The tools' log filter (`ORIENT_LOG`).
    pub log_filter: String,
    /// The read replicas (`DATABASE_READ_URL`) and the knobs of routing reads to them.
    pub read_replicas: ReadReplicas,
}

impl Config {
    /// Resolves the configuration of this process (current directory, environment, `.env`).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_settings(Settings::from_env()?)
    }

    /// Resolves the configuration of this process with `root` as the project root, whatever the current
    /// directory: for a service outside the checkout that uses the checkout's database and `.env`.
    /// A relative `root` is relative to the current directory; it must exist.
    pub fn for_project_root(root: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().map_err(ConfigError::CurrentDir)?;
        Config::from_settings(Settings::resolve(
            &cwd,
            process_environment(),
            Some(root.as_ref()),
        )?)
    }

    /// Resolves a configuration from a directory and a set of process variables (testable core of
    /// [`Config::from_env`]).
    pub fn resolve(cwd: &Path, process: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let process = process
            .iter()
            .map(|(k, v)| (k.clone(), OsString::from(v)))
            .collect();
        Config::from_settings(Settings::resolve(cwd, process, None)?)
    }

    /// The database part, on top of resolved [`Settings`].
    pub fn from_settings(settings: Settings) -> Result<Config, ConfigError> {
        let variables = &settings.variables;
        let requested = match variables.get(TYPE_VARIABLE)? {
            None => None,
            Some(value) if value.text.eq_ignore_ascii_case("sqlite") => Some(DatabaseType::Sqlite),
            Some(value)
                if value.text.eq_ignore_ascii_case("postgres")
                    || value.text.eq_ignore_ascii_case("postgresql") =>
            {
                Some(DatabaseType::Postgres)
            }
            Some(value) => {
                return Err(ConfigError::UnsupportedDatabaseType {
                    value: value.text,
                    origin: value.origin.to_string(),
                });
            }
        };
        // Read (and so checked) even when a path variable makes it unused: a bad value is refused
        // wherever it is.
        let instance_id = settings.instance_id()?;
        // All three are read, so one that cannot be read is refused even when another one wins.
        let mut values = Vec::new();
        for variable in PATH_VARIABLES {
            if let Some(value) = variables.get(variable)? {
                values.push((variable, value));
            }
        }
        let url = values
            .iter()
            .find(|(variable, _)| *variable == URL_VARIABLE)
            .map(|(_, value)| value.clone());
        // The engine is what the user wrote: DATABASE_TYPE, else the scheme of DATABASE_URL. A
        // PostgreSQL URL wins over the SQLite variables (a container image may set SQLITE_DATABASE
        // for its default; pointing DATABASE_URL at a server must not be silently ignored).
        let postgres = match requested {
            Some(DatabaseType::Postgres) => true,
            Some(DatabaseType::Sqlite) => false,
            None => url.as_ref().is_some_and(|u| is_postgres_url(&u.text)),
        };
        if postgres {
            return Config::postgres(settings.clone(), requested, url);
        }
        let chosen = values.into_iter().next();
        let project_root = &settings.project_root;
        let (path, path_variable, path_value, path_origin, instance) = match chosen {
            Some((variable, value)) => {
                let file = sqlite_path(variable, &value.text, &value.origin)?;
                (
                    absolute(project_root, Path::new(&file)),
                    Some(variable),
                    value.text,
                    value.origin,
                    None,
                )
            }
            None if instance_id.is_none()
                && settings.root_source == RootSource::CurrentDirectory =>
            {
                return Err(ConfigError::NothingConfigured {
                    directory: project_root.clone(),
                });
            }
            None => {
                let instance = instance_for(project_root, instance_id);
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

        tracing::debug!(
            database = %path.display(),
            chosen_by = path_variable.unwrap_or("the instance default"),
            origin = %path_origin,
            project_root = %settings.project_root.display(),
            "resolved the database"
        );
        let target = Target::Sqlite { path };
        let read_replicas = ReadReplicas::read(variables, &target)?;
        Ok(Config {
            database_type: DatabaseType::Sqlite,
            target,
            read_replicas,
            path_variable,
            path_value,
            path_origin,
            instance,
            lock_timeout: settings.lock_timeout,
            log_filter: settings.log_filter,
            project_root: settings.project_root,
            root_source: settings.root_source,
            env_file: settings.env_file,
        })
    }

    /// A PostgreSQL configuration: `DATABASE_URL` must be a `postgres://` URL, and this build must have
    /// PostgreSQL support.
    fn postgres(
        settings: Settings,
        requested: Option<DatabaseType>,
        url: Option<Value>,
    ) -> Result<Config, ConfigError> {
        let Some(url) = url else {
            let origin = settings
                .variables
                .get(TYPE_VARIABLE)?
                .map_or_else(|| Origin::Default.to_string(), |v| v.origin.to_string());
            return Err(ConfigError::PostgresWithoutUrl { origin });
        };
        if !cfg!(feature = "postgres") {
            let what = match requested {
                Some(_) => "DATABASE_TYPE=postgres".to_owned(),
                None => format!("DATABASE_URL={}", redact_loosely(&url.text)),
            };
            return Err(ConfigError::PostgresNotBuilt {
                what,
                origin: url.origin.to_string(),
            });
        }
        let target = PostgresTarget::parse(&url.text).map_err(|e| ConfigError::BadPostgresUrl {
            value: redact_loosely(&url.text),
            origin: url.origin.to_string(),
            reason: e.reason,
        })?;
        tracing::debug!(
            database = %target,
            origin = %url.origin,
            project_root = %settings.project_root.display(),
            "resolved the database"
        );
        let path_value = target.redacted().to_owned();
        let target = Target::Postgres(target);
        let read_replicas = ReadReplicas::read(&settings.variables, &target)?;
        Ok(Config {
            database_type: DatabaseType::Postgres,
            path_value,
            target,
            read_replicas,
            path_variable: Some(URL_VARIABLE),
            path_origin: url.origin,
            instance: None,
            lock_timeout: settings.lock_timeout,
            log_filter: settings.log_filter,
            project_root: settings.project_root,
            root_source: settings.root_source,
            env_file: settings.env_file,
        })
    }

    /// The database file, for an SQLite configuration.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.target.sqlite_path()
    }

    /// A configuration for an explicit file (tools and tests), with the default settings.
    pub fn for_path(path: impl AsRef<Path>) -> Config {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        Config::for_target(Target::Sqlite {
            path: absolute(&cwd, path.as_ref()),
        })
    }

    /// A configuration for an explicit target (tools and tests), with the default settings. A relative
    /// file path is relative to the current directory.
    pub fn for_target(target: Target) -> Config {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let (database_type, path_value, target) = match target {
            Target::Sqlite { path } => {
                let path = absolute(&cwd, &path);
                (
                    DatabaseType::Sqlite,
                    path.to_string_lossy().into_owned(),
                    Target::Sqlite { path },
                )
            }
            Target::Postgres(server) => (
                DatabaseType::Postgres,
                server.redacted().to_owned(),
                Target::Postgres(server),
            ),
        };
        Config {
            database_type,
            path_value,
            target,
            path_variable: None,
            path_origin: Origin::Default,
            project_root: cwd,
            root_source: RootSource::CurrentDirectory,
            env_file: None,
            instance: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            log_filter: DEFAULT_LOG_FILTER.to_owned(),
            read_replicas: ReadReplicas::default(),
        }
    }

    /// This configuration with another migration lock timeout.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Config {
        self.lock_timeout = timeout;
        self
    }
}

/// How a [`Target`] appears in a configuration's JSON: `path` for a file, `url` (password hidden),
/// `host`, `port` and `database` for a server.
fn serialize_target<S: serde::Serializer>(target: &Target, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(None)?;
    match target {
        Target::Sqlite { path } => map.serialize_entry("path", path)?,
        Target::Postgres(server) => {
            map.serialize_entry("url", server.redacted())?;
            map.serialize_entry("host", &server.host)?;
            map.serialize_entry("port", &server.port)?;
            map.serialize_entry("database", &server.database)?;
        }
    }
    map.end()
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
    if path.is_empty() {
        return Err(ConfigError::BadValue {
            variable,
            value: value.to_owned(),
            origin: origin.to_string(),
            expected: "a database file path".to_owned(),
        });
    }
    if path == ":memory:" {
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
        assert_eq!(
            resolve(&all).sqlite_path().unwrap_or(Path::new("")),
            root.join("a.db")
        );
        let mut v = all.clone();
        v.remove("SQLITE_DATABASE");
        assert_eq!(
            resolve(&v).sqlite_path().unwrap_or(Path::new("")),
            root.join("b.db")
        );
        v.remove("SQLITE_DB_PATH");
        assert_eq!(
            resolve(&v).sqlite_path().unwrap_or(Path::new("")),
            root.join("c.db")
        );
        v.remove("DATABASE_URL");
        let default = resolve(&v);
        assert_eq!(
            default.sqlite_path().unwrap_or(Path::new("")),
            root.join(".dev-data/instance-0/orient.db")
        );
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
        assert_eq!(
            from_file.sqlite_path().unwrap_or(Path::new("")),
            root.join("from-file.db")
        );
        assert_eq!(
            from_file.path_origin,
            Origin::EnvFile {
                path: root.join(".env")
            }
        );
        let from_env = Config::resolve(&root.join("sub"), &vars(&[("SQLITE_DATABASE", "env.db")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            from_env.sqlite_path().unwrap_or(Path::new("")),
            root.join("env.db")
        );
        assert_eq!(from_env.path_origin, Origin::Environment);
    }

    #[test]
    fn database_url_is_read_like_the_diesel_cli() {
        let dir = project();
        let root = dir.path();
        let resolve = |url: &str| {
            Config::resolve(root, &vars(&[("DATABASE_URL", url)]))
                .map(|c| c.sqlite_path().map(Path::to_path_buf).unwrap_or_default())
        };
        assert_eq!(resolve("sqlite://x.db").ok(), Some(root.join("x.db")));
        assert_eq!(resolve("file:y.db?mode=rwc").ok(), Some(root.join("y.db")));
        assert_eq!(resolve("/abs/z.db").ok(), Some(PathBuf::from("/abs/z.db")));
        // A PostgreSQL URL chooses PostgreSQL: refused, naming the feature, by a build without it.
        let postgres = Config::resolve(root, &vars(&[("DATABASE_URL", "postgres://u:pw@h/db")]));
        if cfg!(feature = "postgres") {
            let config = postgres.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(config.database_type, DatabaseType::Postgres);
            assert_eq!(config.target.to_string(), "postgres://u:***@h/db");
        } else {
            let error = postgres.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("feature `postgres`"), "{error}");
            assert!(!error.contains("pw"), "{error}");
        }
        let sqlite_type = vars(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("DATABASE_TYPE", "sqlite"),
        ]);
        assert!(matches!(
            Config::resolve(root, &sqlite_type),
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
    fn os_vars(pairs: &[(&str, OsString)]) -> BTreeMap<String, OsString> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_value_is_refused_naming_the_variable_not_skipped() {
        use std::os::unix::ffi::OsStringExt;
        let dir = project();
        for variable in VARIABLES {
            let process = os_vars(&[(variable, OsString::from_vec(b"x\xff.db".to_vec()))]);
            let error = Settings::resolve(dir.path(), process, None)
                .and_then(Config::from_settings)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.starts_with(&format!(
                    "{variable} (from the environment) is not valid UTF-8"
                )),
                "{variable}: {error}"
            );
        }
    }

    #[test]
    fn every_setting_is_read_from_dot_env_and_an_invalid_one_is_refused() {
        let dir = project();
        let root = dir.path();
        std::fs::write(
            root.join(".env"),
            "ORIENT_MIGRATE_LOCK_TIMEOUT_MS=1500\nORIENT_LOG=orient_database=debug\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let config =
            Config::resolve(&root.join("sub"), &vars(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.lock_timeout, Duration::from_millis(1500));
        assert_eq!(config.log_filter, "orient_database=debug");
        // The environment wins, for these too.
        let config = Config::resolve(root, &vars(&[(LOCK_TIMEOUT_VARIABLE, "20")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.lock_timeout, Duration::from_millis(20));

        for (line, variable) in [
            ("ORIENT_MIGRATE_LOCK_TIMEOUT_MS=soon", LOCK_TIMEOUT_VARIABLE),
            ("ORIENT_LOG=orient=loud", LOG_VARIABLE),
            ("AI_INSTANCE_ID=-1", INSTANCE_VARIABLE),
            ("DATABASE_TYPE=oracle", TYPE_VARIABLE),
        ] {
            std::fs::write(root.join(".env"), format!("{line}\n"))
                .unwrap_or_else(|e| panic!("{e}"));
            let error = Config::resolve(root, &vars(&[]))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(line), "{line}: {error}");
            assert!(error.contains(variable), "{line}: {error}");
            assert!(
                error.contains(&root.join(".env").display().to_string()),
                "{line}: {error}"
            );
        }
    }

    #[test]
    fn with_nothing_configured_and_no_project_root_nothing_is_guessed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cwd = dir.path();
        match Config::resolve(cwd, &vars(&[])) {
            Err(ConfigError::NothingConfigured { directory }) => assert_eq!(directory, cwd),
            other => panic!("expected NothingConfigured, got {other:?}"),
        }
        let message = Config::resolve(cwd, &vars(&[]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for word in [
            "SQLITE_DATABASE",
            "DATABASE_URL",
            "ORIENT_PROJECT_ROOT",
            "Nothing was created",
        ] {
            assert!(message.contains(word), "{word}: {message}");
        }
        // Any one of them configures it: a path, an instance, or a .env in this directory.
        assert!(Config::resolve(cwd, &vars(&[("SQLITE_DATABASE", "x.db")])).is_ok());
        assert!(Config::resolve(cwd, &vars(&[("AI_INSTANCE_ID", "2")])).is_ok());
        std::fs::write(cwd.join(".env"), "DATABASE_URL=y.db\n").unwrap_or_else(|e| panic!("{e}"));
        let from_file = Config::resolve(cwd, &vars(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            from_file.sqlite_path().unwrap_or(Path::new("")),
            cwd.join("y.db")
        );
        assert!(
            std::fs::read_dir(cwd).map(Iterator::count).unwrap_or(0) == 1,
            "resolving creates nothing"
        );
    }

    #[test]
    fn a_named_project_root_replaces_the_search_for_diesel_toml() {
        let checkout = project();
        let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(checkout.path().join(".env"), "AI_INSTANCE_ID=3\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let by_variable = Settings::resolve(
            elsewhere.path(),
            os_vars(&[(
                PROJECT_ROOT_VARIABLE,
                checkout.path().as_os_str().to_owned(),
            )]),
            None,
        )
        .and_then(Config::from_settings)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            by_variable.sqlite_path().unwrap_or(Path::new("")),
            checkout.path().join(".dev-data/instance-3/orient.db")
        );
        assert_eq!(
            by_variable.root_source,
            RootSource::Variable {
                variable: PROJECT_ROOT_VARIABLE
            }
        );
        let by_program =
            Settings::resolve(elsewhere.path(), BTreeMap::new(), Some(checkout.path()))
                .and_then(Config::from_settings)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            by_program.sqlite_path().unwrap_or(Path::new("")),
            by_variable.sqlite_path().unwrap_or(Path::new(""))
        );
        assert_eq!(by_program.root_source, RootSource::Named);
        let missing = Settings::resolve(
            elsewhere.path(),
            os_vars(&[(PROJECT_ROOT_VARIABLE, OsString::from("no/such/dir"))]),
            None,
        );
        assert!(
            matches!(missing, Err(ConfigError::BadProjectRoot { .. })),
            "{missing:?}"
        );
    }
}
