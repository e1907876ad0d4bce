//! The one reader of every variable: the process environment over the project's `.env` file, each
//! value with where it came from. What the variables mean is decided by their readers
//! (`db/config.rs`, `db/replica_config.rs`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::db::config_error::ConfigError;
use crate::db::env_file;

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

/// A variable's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub origin: Origin,
}

/// The one reader of every variable: the process environment over the project's `.env` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    /// The process environment, values as the OS gave them (a non-UTF-8 value must be refused, not
    /// skipped).
    process: BTreeMap<String, OsString>,
    /// The `.env` file's assignments, in file order (the last one of a name is in effect).
    file: Vec<(String, String)>,
    file_path: PathBuf,
}

impl Variables {
    /// The variables of `process` over those of the `.env` file at `env_file` (missing: none).
    pub fn read(
        process: BTreeMap<String, OsString>,
        env_file: &Path,
    ) -> Result<Variables, ConfigError> {
        Ok(Variables {
            process,
            file: env_file::read(env_file)?,
            file_path: env_file.to_path_buf(),
        })
    }

    /// `name`'s value: the process environment's if set and not empty, else the `.env` file's. A value
    /// that is not UTF-8 is an error naming the variable.
    pub fn get(&self, name: &'static str) -> Result<Option<Value>, ConfigError> {
        if let Some(raw) = self.process.get(name).filter(|v| !v.is_empty()) {
            return match raw.to_str() {
                Some(text) => Ok(Some(Value {
                    text: text.to_owned(),
                    origin: Origin::Environment,
                })),
                None => Err(ConfigError::NotUnicode {
                    variable: name,
                    origin: Origin::Environment.to_string(),
                    lossy: raw.to_string_lossy().into_owned(),
                }),
            };
        }
        Ok(self
            .file
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| Value {
                text: v.clone(),
                origin: Origin::EnvFile {
                    path: self.file_path.clone(),
                },
            }))
    }

    /// `name`'s value parsed by `parse`; a value it rejects is refused with `expected` as the reason.
    pub(crate) fn parsed<T>(
        &self,
        name: &'static str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<(T, Origin)>, ConfigError> {
        let Some(value) = self.get(name)? else {
            return Ok(None);
        };
        match parse(&value.text) {
            Some(parsed) => Ok(Some((parsed, value.origin))),
            None => Err(ConfigError::BadValue {
                variable: name,
                value: value.text,
                origin: value.origin.to_string(),
                expected: expected.to_owned(),
            }),
        }
    }
}

/// The process environment, keyed by name (a variable whose name is not UTF-8 is none of ours).
pub fn process_environment() -> BTreeMap<String, OsString> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .collect()
}
