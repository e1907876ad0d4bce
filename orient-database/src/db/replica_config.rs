//! Read replicas in the configuration: `DATABASE_READ_URL` and the knobs of read-your-writes routing,
//! read through the one configuration reader ([`Variables`]) like every other setting.
//!
//! - `DATABASE_READ_URL`: one or more `postgres://` URLs of streaming standbys of the primary,
//!   separated by commas. A comma followed by `postgres://` or `postgresql://` starts the next URL, so
//!   one entry may itself be a libpq multi-host URL (`postgres://u@h1:5432,h2:5432/db`).
//! - `ORIENT_REPLICA_WAIT_MS` (default 50): how long a read after this process's write waits for a
//!   replica to replay that write before it goes to the primary instead.
//! - `ORIENT_REPLICA_MAX_LAG_MS` (default 1000): a replica further behind than this is skipped.
//! - `ORIENT_REPLICA_RECHECK_MS` (default 1000): how often a replica in use is checked again (its
//!   lag), and a skipped one retried.
//!
//! Replicas only make sense beside a PostgreSQL primary: with SQLite, `DATABASE_READ_URL` is refused
//! (exit 2 in the tools) rather than ignored, because a service that believes it reads from replicas
//! should learn at start that it does not.

use std::time::Duration;

use serde::Serialize;

use crate::db::config_error::ConfigError;
use crate::db::target::{PostgresTarget, Target, is_postgres_url};
use crate::db::variables::Variables;

/// The replicas' URLs.
pub const READ_URL_VARIABLE: &str = "DATABASE_READ_URL";
/// How long a read waits for a replica to replay this process's last write, in milliseconds.
pub const WAIT_VARIABLE: &str = "ORIENT_REPLICA_WAIT_MS";
/// The most a replica may lag before it is skipped, in milliseconds.
pub const MAX_LAG_VARIABLE: &str = "ORIENT_REPLICA_MAX_LAG_MS";
/// How often a replica is checked again (in use) or retried (skipped), in milliseconds.
pub const RECHECK_VARIABLE: &str = "ORIENT_REPLICA_RECHECK_MS";

pub const DEFAULT_WAIT: Duration = Duration::from_millis(50);
pub const DEFAULT_MAX_LAG: Duration = Duration::from_millis(1000);
pub const DEFAULT_RECHECK: Duration = Duration::from_millis(1000);

/// The read replicas of a configuration (none unless `DATABASE_READ_URL` is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadReplicas {
    /// The replicas (serialised with their passwords hidden).
    pub replicas: Vec<PostgresTarget>,
    #[serde(rename = "wait_ms", serialize_with = "as_millis")]
    pub wait: Duration,
    #[serde(rename = "max_lag_ms", serialize_with = "as_millis")]
    pub max_lag: Duration,
    #[serde(rename = "recheck_ms", serialize_with = "as_millis")]
    pub recheck: Duration,
}

impl Default for ReadReplicas {
    fn default() -> ReadReplicas {
        ReadReplicas {
            replicas: Vec::new(),
            wait: DEFAULT_WAIT,
            max_lag: DEFAULT_MAX_LAG,
            recheck: DEFAULT_RECHECK,
        }
    }
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl ReadReplicas {
    /// Whether any replica is configured.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The replicas and knobs from `variables`, for a configuration whose database is `primary`. Every
    /// knob is read (and a bad value refused) whatever the engine, like every other variable.
    pub fn read(variables: &Variables, primary: &Target) -> Result<ReadReplicas, ConfigError> {
        let mut out = ReadReplicas {
            wait: millis(variables, WAIT_VARIABLE)?.unwrap_or(DEFAULT_WAIT),
            max_lag: millis(variables, MAX_LAG_VARIABLE)?.unwrap_or(DEFAULT_MAX_LAG),
            recheck: millis(variables, RECHECK_VARIABLE)?.unwrap_or(DEFAULT_RECHECK),
            ..ReadReplicas::default()
        };
        let Some(value) = variables.get(READ_URL_VARIABLE)? else {
            return Ok(out);
        };
        let entries = split_urls(&value.text);
        let shown = entries
            .iter()
            .map(|e| redact_entry(e))
            .collect::<Vec<_>>()
            .join(",");
        let bad = |reason: String| ConfigError::BadValue {
            variable: READ_URL_VARIABLE,
            value: shown.clone(),
            origin: value.origin.to_string(),
            expected: format!(
                "one or more postgres://user:password@host:port/database URLs separated by commas \
                 ({reason})"
            ),
        };
        for (i, entry) in entries.iter().enumerate() {
            if entry.is_empty() {
                return Err(bad(format!("entry {} is empty", i + 1)));
            }
            let target = PostgresTarget::parse(entry)
                .map_err(|e| bad(format!("entry {} `{}`: {e}", i + 1, redact_entry(entry))))?;
            out.replicas.push(target);
        }
        if let Target::Sqlite { path } = primary {
            return Err(ConfigError::ReplicasNeedPostgres {
                value: shown,
                origin: value.origin.to_string(),
                database: path.clone(),
            });
        }
        Ok(out)
    }
}

/// A whole number of milliseconds.
fn millis(variables: &Variables, name: &'static str) -> Result<Option<Duration>, ConfigError> {
    let Some(value) = variables.get(name)? else {
        return Ok(None);
    };
    match value.text.trim().parse::<u64>() {
        Ok(ms) => Ok(Some(Duration::from_millis(ms))),
        Err(_) => Err(ConfigError::BadValue {
            variable: name,
            value: value.text,
            origin: value.origin.to_string(),
            expected: "a whole number of milliseconds (e.g. 50)".to_owned(),
        }),
    }
}

/// `text` cut into URLs: at each comma that a `postgres://` or `postgresql://` follows (so a libpq
/// multi-host URL stays whole), and at a comma ending the text or followed by another comma (an
/// empty entry, refused by the caller).
fn split_urls(text: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut current = String::new();
    let mut rest = text;
    while let Some(comma) = rest.find(',') {
        let after = &rest[comma + 1..];
        current.push_str(&rest[..comma]);
        let trimmed = after.trim_start();
        if is_postgres_url(trimmed) || trimmed.is_empty() || trimmed.starts_with(',') {
            entries.push(current.trim().to_owned());
            current = String::new();
        } else {
            current.push(',');
        }
        rest = after;
    }
    current.push_str(rest);
    entries.push(current.trim().to_owned());
    entries
}

/// An entry as messages show it: its password hidden, parseable or not.
fn redact_entry(entry: &str) -> String {
    match PostgresTarget::parse(entry) {
        Ok(target) => target.redacted().to_owned(),
        Err(_) => crate::db::target::redact_loosely(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_at_commas_that_start_a_new_url() {
        assert_eq!(
            split_urls("postgres://a/d, postgresql://u:p@b:2,c:3/d ,POSTGRES://e/d"),
            vec![
                "postgres://a/d",
                "postgresql://u:p@b:2,c:3/d",
                "POSTGRES://e/d"
            ]
        );
        assert_eq!(split_urls("postgres://a/d,"), vec!["postgres://a/d", ""]);
        assert_eq!(
            split_urls("postgres://a/d,,postgres://b/d"),
            vec!["postgres://a/d", "", "postgres://b/d"]
        );
    }
}
