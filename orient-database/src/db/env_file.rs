//! Reading a `.env` file without touching the process environment, with errors that name the line.

use std::path::{Path, PathBuf};

use crate::db::config_error::ConfigError;

/// The variables of a `.env` file, in file order. A missing file is an empty list.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(to_config_error(path, e)),
    };
    iter.map(|item| item.map_err(|e| to_config_error(path, e)))
        .collect()
}

fn to_config_error(path: &Path, error: dotenvy::Error) -> ConfigError {
    match error {
        dotenvy::Error::LineParse(content, _) => ConfigError::EnvFileSyntax {
            path: path.to_path_buf(),
            line: line_number(path, &content),
            content,
        },
        dotenvy::Error::Io(source) => ConfigError::EnvFileRead {
            path: path.to_path_buf(),
            source,
        },
        other => ConfigError::EnvFileRead {
            path: path.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// dotenvy reports the offending text, not its line: find where that text starts in the file.
fn line_number(path: &Path, content: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    let first_line = content.lines().next().unwrap_or("").trim_end();
    text.lines()
        .position(|line| !first_line.is_empty() && line.trim_end() == first_line)
        .map_or(0, |i| i + 1)
}

/// Writes `KEY=value` into a `.env` file, replacing the line that sets `KEY` (the last one, which is the
/// one in effect, if there are several) or appending one, and keeping every other line as it was.
pub fn set_variable(path: &Path, key: &str, value: &str) -> std::io::Result<PathBuf> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let assignment = format!("{key}={}", quote_value(value));
    let mut lines: Vec<String> = existing.lines().map(str::to_owned).collect();
    let sets_key = |line: &str| {
        let trimmed = line.trim_start();
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        body.split_once('=').is_some_and(|(k, _)| k.trim() == key)
    };
    // The last line setting the key is the one that takes effect (Config reads it that way), so that is
    // the line to update.
    match lines.iter().rposition(|line| sets_key(line)) {
        Some(at) => lines[at] = assignment,
        None => lines.push(assignment),
    }
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text)?;
    Ok(path.to_path_buf())
}

fn quote_value(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:+@".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_line_is_reported_with_its_number() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(".env");
        std::fs::write(&path, "A=1\n# comment\nFOO BAR\nB=2\n").unwrap_or_else(|e| panic!("{e}"));
        match read(&path) {
            Err(ConfigError::EnvFileSyntax { line, content, .. }) => {
                assert_eq!(line, 3);
                assert_eq!(content, "FOO BAR");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn setting_a_variable_keeps_the_other_lines() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(".env");
        std::fs::write(&path, "# mine\nA=1\nSQLITE_DATABASE=old.db\nB=2\n")
            .unwrap_or_else(|e| panic!("{e}"));
        set_variable(&path, "SQLITE_DATABASE", "/x/new db.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "# mine\nA=1\nSQLITE_DATABASE='/x/new db.db'\nB=2\n"
        );
        let vars = read(&path).unwrap_or_default();
        assert!(vars.contains(&("SQLITE_DATABASE".to_owned(), "/x/new db.db".to_owned())));
    }

    #[test]
    fn with_duplicate_lines_the_one_in_effect_is_updated() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(".env");
        std::fs::write(&path, "SQLITE_DATABASE=a.db\nX=1\nSQLITE_DATABASE=b.db\n")
            .unwrap_or_else(|e| panic!("{e}"));
        set_variable(&path, "SQLITE_DATABASE", "c.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "SQLITE_DATABASE=a.db\nX=1\nSQLITE_DATABASE=c.db\n"
        );
    }
}
