//! Diesel-format migrations: `<version>_<name>/{up.sql, down.sql, metadata.toml}`, either embedded in the
//! binary or read from a directory (the working tree, for `generate` and `check`).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::db::target::Target;
use crate::migrations::Error;

/// One migration as the build script embeds it.
#[doc(hidden)]
#[derive(Debug)]
pub struct EmbeddedMigration {
    pub name: &'static str,
    pub up: &'static str,
    pub down: Option<&'static str>,
    pub metadata: Option<&'static str>,
}

/// The migrations of `migrations/sqlite/`, as compiled into this binary (`build.rs`).
static EMBEDDED_SQLITE: &[EmbeddedMigration] =
    include!(concat!(env!("OUT_DIR"), "/embedded_migrations_sqlite.rs"));

/// The migrations of `migrations/postgres/`, the same versions for PostgreSQL.
static EMBEDDED_POSTGRES: &[EmbeddedMigration] =
    include!(concat!(env!("OUT_DIR"), "/embedded_migrations_postgres.rs"));

/// The directory of each engine's migrations, relative to the project root.
pub const SQLITE_DIRECTORY: &str = "migrations/sqlite";
pub const POSTGRES_DIRECTORY: &str = "migrations/postgres";

/// One migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// The directory name, e.g. `2026-02-01-231009_initial_schema`.
    pub name: Cow<'static, str>,
    /// Diesel's version: the part before the first `_`, without dashes (`20260201231009`).
    pub version: String,
    #[serde(skip)]
    pub up: Cow<'static, str>,
    #[serde(skip)]
    pub down: Option<Cow<'static, str>>,
    /// `metadata.toml`'s `run_in_transaction`; a migration that manages its own transaction (a table
    /// rebuild switching foreign keys off) sets it to false.
    pub run_in_transaction: bool,
    /// The directory of its engine's migrations, for messages ([`SQLITE_DIRECTORY`],
    /// [`POSTGRES_DIRECTORY`]).
    #[serde(skip)]
    pub directory: &'static str,
}

impl Migration {
    /// Where the migration's `up.sql` lives in the repository, for messages.
    pub fn up_path(&self) -> String {
        format!("{}/{}/up.sql", self.directory, self.name)
    }

    pub fn down_path(&self) -> String {
        format!("{}/{}/down.sql", self.directory, self.name)
    }
}

/// Diesel's rule (`migrations_internals::version_from_string`).
pub fn version_of(name: &str) -> String {
    name.split('_').next().unwrap_or(name).replace('-', "")
}

/// Reads `run_in_transaction` the way Diesel does: true without a `metadata.toml`; with one, the key's
/// value, false when absent.
fn run_in_transaction(metadata: Option<&str>, name: &str) -> Result<bool, Error> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        #[serde(default)]
        run_in_transaction: bool,
    }
    match metadata {
        None => Ok(true),
        Some(text) => toml::from_str::<Metadata>(text)
            .map(|m| m.run_in_transaction)
            .map_err(|e| Error::BadMigration {
                name: name.to_owned(),
                reason: format!("metadata.toml: {e}"),
            }),
    }
}

/// The SQLite migrations embedded in this binary, in version order.
pub fn embedded() -> Result<Vec<Migration>, Error> {
    from_embedded(EMBEDDED_SQLITE, SQLITE_DIRECTORY)
}

/// The PostgreSQL migrations embedded in this binary, in version order.
pub fn embedded_postgres() -> Result<Vec<Migration>, Error> {
    from_embedded(EMBEDDED_POSTGRES, POSTGRES_DIRECTORY)
}

/// The embedded migrations for `target`'s engine.
pub fn embedded_for(target: &Target) -> Result<Vec<Migration>, Error> {
    match target {
        Target::Sqlite { .. } => embedded(),
        Target::Postgres(_) => embedded_postgres(),
    }
}

fn from_embedded(
    list: &[EmbeddedMigration],
    directory: &'static str,
) -> Result<Vec<Migration>, Error> {
    let mut migrations = list
        .iter()
        .map(|m| {
            Ok(Migration {
                name: Cow::Borrowed(m.name),
                version: version_of(m.name),
                up: Cow::Borrowed(m.up),
                down: m.down.map(Cow::Borrowed),
                run_in_transaction: run_in_transaction(m.metadata, m.name)?,
                directory,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(migrations)
}

/// The migrations in a directory (e.g. the working tree's `migrations/sqlite`), in version order. A
/// missing directory has none; a version directory without `up.sql` is an error.
pub fn from_directory(dir: &Path) -> Result<Vec<Migration>, Error> {
    read_directory(dir, false)
}

/// [`from_directory`], leaving out version directories without `up.sql` instead of failing: `check`
/// reports those itself and still replays the rest, so that what they would have done is named too.
pub fn from_directory_skipping_incomplete(dir: &Path) -> Result<Vec<Migration>, Error> {
    read_directory(dir, true)
}

fn read_directory(dir: &Path, skip_incomplete: bool) -> Result<Vec<Migration>, Error> {
    // Messages name the repository's directory of the same engine.
    let directory = if dir.file_name().is_some_and(|n| n == "postgres") {
        POSTGRES_DIRECTORY
    } else {
        SQLITE_DIRECTORY
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut migrations = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        let read = |file: &str| -> Result<Option<String>, Error> {
            let p: PathBuf = path.join(file);
            match std::fs::read_to_string(&p) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(Error::Read { path: p, source }),
            }
        };
        let Some(up) = read("up.sql")? else {
            if skip_incomplete {
                continue;
            }
            return Err(Error::BadMigration {
                name,
                reason: "it has no up.sql".to_owned(),
            });
        };
        let metadata = read("metadata.toml")?;
        migrations.push(Migration {
            version: version_of(&name),
            run_in_transaction: run_in_transaction(metadata.as_deref(), &name)?,
            up: Cow::Owned(up),
            down: read("down.sql")?.map(Cow::Owned),
            name: Cow::Owned(name),
            directory,
        });
    }
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(migrations)
}

/// The migrations directory of a project: `[migrations_directory] dir` in `<root>/diesel.toml` (what the
/// Diesel CLI uses), else `migrations/sqlite`.
pub fn project_directory(project_root: &Path) -> Result<PathBuf, Error> {
    #[derive(serde::Deserialize, Default)]
    struct DieselToml {
        migrations_directory: Option<MigrationsDirectory>,
    }
    #[derive(serde::Deserialize)]
    struct MigrationsDirectory {
        dir: PathBuf,
    }
    let path = project_root.join("diesel.toml");
    let parsed: DieselToml = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| Error::BadMigration {
            name: path.display().to_string(),
            reason: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DieselToml::default(),
        Err(source) => return Err(Error::Read { path, source }),
    };
    let dir = parsed
        .migrations_directory
        .map_or_else(|| PathBuf::from("migrations/sqlite"), |m| m.dir);
    Ok(project_root.join(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_diesel() {
        assert_eq!(
            version_of("2026-02-01-231009_initial_schema"),
            "20260201231009"
        );
        assert_eq!(version_of("00000000000000_x_y"), "00000000000000");
    }

    #[test]
    fn metadata_is_read_like_diesel() {
        assert_eq!(run_in_transaction(None, "m").ok(), Some(true));
        assert_eq!(
            run_in_transaction(Some("run_in_transaction = false\n"), "m").ok(),
            Some(false)
        );
        assert_eq!(
            run_in_transaction(Some("run_in_transaction = true"), "m").ok(),
            Some(true)
        );
        assert!(run_in_transaction(Some("run_in_transaction = "), "m").is_err());
    }
}
