//! Parity between `migrations/sqlite/` and `migrations/postgres/`: the same versions in both, each with
//! an `up.sql`, producing the same columns. `check` enforces it; `generate` relies on it (it diffs the
//! SQLite replay once and renders that diff for both engines).
//!
//! - [`project_directories`]: where a project keeps each engine's migrations;
//! - [`compare_directories`]: what can be checked without replaying anything (version sets, `up.sql`);
//! - [`compare_replays`]: the two replays against each other, column by column, at the resolution both
//!   engines share (SQLite's affinities cannot tell `integer` from `bigint`, so widths are compared with
//!   the structs on PostgreSQL's side, where they are exact, and only the type class here);
//! - [`last_changed_by`]: the migration that last changed a table or column, to name it in drift.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::check::Difference;
use crate::dialect::postgres::Postgres;
use crate::dialect::postgres::written_type::integer_family;
use crate::dialect::sqlite::Sqlite;
use crate::lint::catalog::Catalog;
use crate::migrations::source::{POSTGRES_DIRECTORY, SQLITE_DIRECTORY, version_of};
use crate::migrations::{Error, Migration, project_directory};
use crate::model::{Column, Introspection, Name, Schema, Table};
use crate::normalize::normalize_table;
use crate::sql::Dialect;

/// Where a project keeps each engine's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directories {
    /// `[migrations_directory] dir` of `diesel.toml` (what the Diesel CLI uses), else
    /// `migrations/sqlite`.
    pub sqlite: PathBuf,
    /// `postgres` beside the SQLite directory when that is named `sqlite`, else `migrations/postgres`.
    pub postgres: PathBuf,
}

/// The migration directories of the project at `project_root`.
pub fn project_directories(project_root: &Path) -> Result<Directories, Error> {
    let sqlite = project_directory(project_root)?;
    let postgres = match (sqlite.file_name(), sqlite.parent()) {
        (Some(name), Some(parent)) if name == "sqlite" => parent.join("postgres"),
        _ => project_root.join(POSTGRES_DIRECTORY),
    };
    Ok(Directories { sqlite, postgres })
}

/// One way the two directories disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParityProblem {
    /// `missing_directory`, `missing_version`, `missing_up_sql` or `column_differs`.
    pub kind: String,
    /// The migration's version (Diesel's, without dashes), when the problem is one migration's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The directory the problem is in (`migrations/postgres`), or where something is missing from.
    pub directory: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

/// A migration directory as listed on disk: version directory names, and whether each has `up.sql`.
/// Version → (directory name, whether it has `up.sql`).
type Listing = BTreeMap<String, (String, bool)>;

fn listing(dir: &Path) -> Result<Option<Listing>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut found = BTreeMap::new();
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
        found.insert(version_of(&name), (name, path.join("up.sql").is_file()));
    }
    Ok(Some(found))
}

/// What can be checked without a database: both directories exist, hold the same versions, and every
/// version directory has an `up.sql`. `dirs` are the directories on disk; messages name them as
/// `migrations/sqlite` and `migrations/postgres`.
pub fn compare_directories(dirs: &Directories) -> Result<Vec<ParityProblem>, Error> {
    let sqlite = listing(&dirs.sqlite)?;
    let postgres = listing(&dirs.postgres)?;
    let mut problems = Vec::new();
    let (sqlite, postgres) = match (sqlite, postgres) {
        (Some(s), Some(p)) => (s, p),
        (None, None) => return Ok(problems),
        (Some(_), None) => {
            problems.push(missing_directory(
                &dirs.postgres,
                POSTGRES_DIRECTORY,
                &dirs.sqlite,
            ));
            return Ok(problems);
        }
        (None, Some(_)) => {
            problems.push(missing_directory(
                &dirs.sqlite,
                SQLITE_DIRECTORY,
                &dirs.postgres,
            ));
            return Ok(problems);
        }
    };
    problems.extend(compare_listings(&sqlite, &postgres));
    Ok(problems)
}

/// The migrations embedded in this binary for each engine, compared like [`compare_directories`] (the
/// build already refused a version without `up.sql`).
pub fn compare_embedded(sqlite: &[Migration], postgres: &[Migration]) -> Vec<ParityProblem> {
    let list = |migrations: &[Migration]| -> Listing {
        migrations
            .iter()
            .map(|m| (m.version.clone(), (m.name.to_string(), true)))
            .collect()
    };
    compare_listings(&list(sqlite), &list(postgres))
}

fn compare_listings(sqlite: &Listing, postgres: &Listing) -> Vec<ParityProblem> {
    let mut problems = Vec::new();
    let sides = [
        (SQLITE_DIRECTORY, sqlite, POSTGRES_DIRECTORY, postgres),
        (POSTGRES_DIRECTORY, postgres, SQLITE_DIRECTORY, sqlite),
    ];
    for (here, mine, there, theirs) in sides {
        for (version, (name, has_up)) in mine {
            if !has_up {
                problems.push(ParityProblem {
                    kind: "missing_up_sql".to_owned(),
                    version: Some(version.clone()),
                    directory: here.to_owned(),
                    table: None,
                    column: None,
                    message: format!(
                        "{here}/{name} has no up.sql (version {version}); restore it (`git checkout -- \
                         {here}/{name}`) or write it, with the same effect as {there}/{name}/up.sql"
                    ),
                });
            }
            if !theirs.contains_key(version) {
                problems.push(ParityProblem {
                    kind: "missing_version".to_owned(),
                    version: Some(version.clone()),
                    directory: there.to_owned(),
                    table: None,
                    column: None,
                    message: format!(
                        "version {version} ({here}/{name}) is missing from {there}/: every version \
                         must exist for both engines. Write {there}/{name}/ with the same effect (or \
                         remove the version from {here}/ if it was never applied anywhere and \
                         regenerate it with `orient-db generate`)"
                    ),
                });
            }
        }
    }
    problems
}

fn missing_directory(path: &Path, label: &str, other: &Path) -> ParityProblem {
    ParityProblem {
        kind: "missing_directory".to_owned(),
        version: None,
        directory: label.to_owned(),
        table: None,
        column: None,
        message: format!(
            "{} does not exist, but {} does: every migration must exist for both engines. Create \
             {label}/ with a version of each migration of {} for that engine (this repository's \
             {label}/ holds those of the schema so far)",
            path.display(),
            other.display(),
            other.display()
        ),
    }
}

/// The two replays against each other: every table and column in one is in the other, with the same
/// type class (SQLite's affinities: integer, text, real, blob, numeric) and the same nullability.
pub fn compare_replays(sqlite: &Schema, postgres: &Schema) -> Vec<ParityProblem> {
    let postgres_dialect = Postgres;
    let mut problems = Vec::new();
    let tables: BTreeSet<&str> = sqlite
        .table_names()
        .into_iter()
        .chain(postgres.table_names())
        .collect();
    let problem = |table: &str, column: Option<&str>, message: String| ParityProblem {
        kind: "column_differs".to_owned(),
        version: None,
        directory: POSTGRES_DIRECTORY.to_owned(),
        table: Some(table.to_owned()),
        column: column.map(str::to_owned),
        message,
    };
    for name in tables {
        let (Some(s), Some(p)) = (sqlite.table(name), postgres.table(name)) else {
            let (has, lacks) = if sqlite.table(name).is_some() {
                (SQLITE_DIRECTORY, POSTGRES_DIRECTORY)
            } else {
                (POSTGRES_DIRECTORY, SQLITE_DIRECTORY)
            };
            problems.push(problem(
                name,
                None,
                format!("table `{name}` is created by {has}/ but not by {lacks}/"),
            ));
            continue;
        };
        let (s, p) = (
            normalize_table(s, &Sqlite),
            normalize_table(p, &postgres_dialect),
        );
        let columns: BTreeSet<&str> = s
            .columns
            .iter()
            .chain(p.columns.iter())
            .map(|c| c.name.as_ref())
            .collect();
        for column in columns {
            let (Some(sc), Some(pc)) = (s.column(column), p.column(column)) else {
                let has = if s.column(column).is_some() {
                    SQLITE_DIRECTORY
                } else {
                    POSTGRES_DIRECTORY
                };
                problems.push(problem(
                    name,
                    Some(column),
                    format!("column `{name}`.`{column}` exists only in what {has}/ produces"),
                ));
                continue;
            };
            let mut parts = Vec::new();
            let class = Sqlite.canonical_type(pc.ty);
            if sc.ty != class {
                parts.push(format!(
                    "{} on SQLite, {} ({}) on PostgreSQL",
                    Sqlite.storage_type(sc.ty),
                    postgres_dialect.storage_type(pc.ty),
                    Sqlite.storage_type(class)
                ));
            }
            if sc.nullable != pc.nullable {
                let word = |nullable: bool| if nullable { "nullable" } else { "NOT NULL" };
                parts.push(format!(
                    "{} on SQLite, {} on PostgreSQL",
                    word(sc.nullable),
                    word(pc.nullable)
                ));
            }
            if !parts.is_empty() {
                problems.push(problem(
                    name,
                    Some(column),
                    format!(
                        "column `{name}`.`{column}` differs between the engines' migrations: {}",
                        parts.join("; ")
                    ),
                ));
            }
        }
    }
    problems
}

/// The migration that last changed `table` (its column `column`, when given), from the schemas after
/// each prefix of `migrations` (`prefixes[k]` is the schema after the first `k + 1`): the last one after
/// which the table or column, normalised for `dialect`, is not what it was before it.
pub fn last_changed_by<'a>(
    prefixes: &[Introspection],
    migrations: &'a [Migration],
    table: &str,
    column: Option<&str>,
    dialect: &dyn Dialect,
) -> Option<&'a Migration> {
    let state = |schema: &Schema| {
        let table = normalize_table(schema.table(table)?, dialect);
        Some(match column {
            None => format!("{table:?}"),
            Some(column) => format!("{:?}", table.column(column)?),
        })
    };
    let mut before = None;
    let mut last = None;
    for (k, schema) in prefixes.iter().enumerate() {
        let now = state(&schema.schema);
        if now != before {
            last = migrations.get(k);
        }
        before = now;
    }
    last
}

/// Names, in each of `differences`, the migration that last changed its table or column
/// ([`last_changed_by`]), appending it to the message.
pub fn name_migrations(
    differences: &mut [Difference],
    prefixes: &[Introspection],
    migrations: &[Migration],
    dialect: &dyn Dialect,
) {
    for difference in differences {
        let Some(migration) = last_changed_by(
            prefixes,
            migrations,
            &difference.table,
            difference.column.as_deref(),
            dialect,
        ) else {
            continue;
        };
        let what = if difference.column.is_some() {
            "column"
        } else {
            "table"
        };
        difference.message.push_str(&format!(
            " (the {what} was last changed by version {} in {})",
            migration.version,
            migration.up_path()
        ));
        difference.migration = Some(migration.name.to_string());
    }
}

/// What `migrations/postgres/` produces, as far as can be told without a server, for `generate`: the
/// SQLite replay (the parity assumption, which `check` enforces: the PostgreSQL migrations create the
/// same tables, columns, keys and indexes as the SQLite ones), with each column's type where SQLite's
/// resolution is coarser than PostgreSQL's: SQLite records `integer` for `i32`, `i64` and `bool` alike,
/// so the width is the one `written` (the PostgreSQL migrations' own SQL, [`crate::lint::catalog_after`])
/// gives the column, else the declared one. A change of width alone (`i32` to `i64`) is thus seen
/// without a server.
pub fn assumed_postgres(sqlite: &Schema, declared: &Schema, written: &Catalog) -> Schema {
    let was = |name: &str, current: &Name, renamed_from: &Option<Name>| {
        name == current.as_ref() || renamed_from.as_deref() == Some(current.as_ref())
    };
    let tables = sqlite
        .tables
        .iter()
        .map(|table| {
            let Some(declared) = declared
                .tables
                .iter()
                .find(|d| was(&d.name, &table.name, &d.renamed_from))
            else {
                return table.clone();
            };
            let columns: Vec<Column> = table
                .columns
                .iter()
                .map(|column| {
                    match declared
                        .columns
                        .iter()
                        .find(|d| was(&d.name, &column.name, &d.renamed_from))
                    {
                        Some(d)
                            if Sqlite.canonical_type(d.ty) == Sqlite.canonical_type(column.ty) =>
                        {
                            let in_sql = written
                                .table(&table.name)
                                .and_then(|t| t.column(&column.name))
                                .and_then(|c| integer_family(&c.data_type));
                            let ty = match in_sql {
                                // The declared type where PostgreSQL stores it alike (a timestamp
                                // is a bigint there): the diff compares declarations.
                                Some(ty)
                                    if Postgres.canonical_type(ty)
                                        != Postgres.canonical_type(d.ty) =>
                                {
                                    ty
                                }
                                _ => d.ty,
                            };
                            Column {
                                ty,
                                ..column.clone()
                            }
                        }
                        _ => column.clone(),
                    }
                })
                .collect();
            Table {
                columns: columns.into(),
                ..table.clone()
            }
        })
        .collect();
    Schema::new(tables)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ColumnType;

    fn dirs(root: &Path) -> Directories {
        Directories {
            sqlite: root.join("migrations/sqlite"),
            postgres: root.join("migrations/postgres"),
        }
    }

    fn version(root: &Path, engine: &str, name: &str, up: bool) {
        let dir = root.join("migrations").join(engine).join(name);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        if up {
            std::fs::write(dir.join("up.sql"), "SELECT 1;").unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn the_postgres_directory_sits_beside_the_sqlite_one() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            root.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"db/migrations/sqlite\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let found = project_directories(root.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.postgres, root.path().join("db/migrations/postgres"));
    }

    #[test]
    fn versions_in_one_directory_only_and_missing_up_sql_are_problems() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = root.path();
        version(root, "sqlite", "2026-01-01-000000_a", true);
        version(root, "postgres", "2026-01-01-000000_a", true);
        version(root, "sqlite", "2026-01-02-000000_b", true);
        version(root, "postgres", "2026-01-03-000000_c", false);
        version(root, "sqlite", "2026-01-03-000000_c", true);
        let problems = compare_directories(&dirs(root)).unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<(&str, Option<&str>, &str)> = problems
            .iter()
            .map(|p| (p.kind.as_str(), p.version.as_deref(), p.directory.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "missing_version",
                    Some("20260102000000"),
                    "migrations/postgres"
                ),
                (
                    "missing_up_sql",
                    Some("20260103000000"),
                    "migrations/postgres"
                ),
            ]
        );
    }

    #[test]
    fn a_missing_directory_is_one_problem_naming_it() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        version(root.path(), "sqlite", "2026-01-01-000000_a", true);
        let problems = compare_directories(&dirs(root.path())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, "missing_directory");
        assert!(problems[0].message.contains("migrations/postgres"));
    }

    #[test]
    fn replays_differing_in_type_class_or_nullability_are_problems() {
        let table = |id: ColumnType, nullable: bool| {
            let mut t = Table::new("t");
            let mut c = Column::new("id", id);
            c.nullable = nullable;
            t.columns = vec![c, Column::new("extra", ColumnType::Text)].into();
            t
        };
        let sqlite = Schema::new(vec![table(ColumnType::Integer, false)]);
        // bigint and integer are one class on SQLite: not a difference here.
        let same = Schema::new(vec![table(ColumnType::BigInt, false)]);
        assert_eq!(compare_replays(&sqlite, &same), vec![]);
        let text = Schema::new(vec![table(ColumnType::Text, true)]);
        let problems = compare_replays(&sqlite, &text);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("integer on SQLite, text"));
        assert!(problems[0].message.contains("NOT NULL on SQLite, nullable"));
    }
}
