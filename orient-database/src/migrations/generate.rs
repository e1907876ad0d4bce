//! `orient-db generate <name>`: a new migration from the difference between what the existing migrations
//! produce and what the structs declare. `up.sql` makes the change, `down.sql` undoes it.
//!
//! [`generate_both`] (what the command runs) writes the same version into `migrations/sqlite/` and
//! `migrations/postgres/` from one diff, without a server: it relies on the two directories being in
//! parity (same versions, same columns), which `orient-db check` enforces, and refuses when they
//! visibly are not (see [`parity`]). [`generate`] writes one engine's directory from a replay in a
//! scratch database of that engine.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::assess::{LossCheck, loss_checks};
use crate::dialect::postgres::Postgres;
use crate::dialect::sqlite::Sqlite;
use crate::diff::{Change, diff};
use crate::engine::EngineConnection;
use crate::lint::{self, Finding};
use crate::migrations::parity::{self, Directories};
use crate::migrations::replay::{Scratch, replay};
use crate::migrations::{Error, Migration, from_directory};
use crate::model::{Schema, UnmodelledObject};
use crate::plan::{Plan, Step, StepKind};
use crate::plan::{PlanOptions, Planner, plan};
use crate::sql::Dialect;
use crate::types::Timestamp;

/// A migration written by [`generate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub directory: PathBuf,
    pub name: String,
    pub changes: Vec<Change>,
    pub up: String,
    pub down: String,
    pub self_managed: bool,
    /// The changes of `up.sql` that lose data on a database holding it (each guarded: on such a
    /// database the migration fails and changes nothing).
    pub losses: Vec<String>,
    /// What `orient-db lint` finds in `up.sql` (also listed in its header), lines as written.
    pub lint: Vec<Finding>,
}

/// Why a migration name is refused.
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::BadMigration {
            name: name.to_owned(),
            reason: "a migration name is 1–64 characters of a–z, 0–9 and _ (e.g. add_agent_tier)"
                .to_owned(),
        })
    }
}

/// A migration's content, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub changes: Vec<Change>,
    pub up: String,
    pub down: String,
    /// Whether the migration rebuilds tables and so manages its own transaction
    /// (`run_in_transaction = false` in `metadata.toml`).
    pub self_managed: bool,
    /// Changes that would lose data on a database holding rows, for the migration's header.
    pub warnings: Vec<String>,
}

/// The changes between `current` (with the objects outside the model it holds, `unmodelled`) and
/// `desired`, rendered as SQL by `planner`; `None` when there is nothing to change.
pub fn prepare_from(
    current: &Schema,
    unmodelled: &[UnmodelledObject],
    desired: &Schema,
    planner: &dyn Planner,
) -> Result<Option<Prepared>, Error> {
    let changes = diff(current, desired, planner);
    if changes.is_empty() {
        return Ok(None);
    }
    let options = PlanOptions::default();
    let mut up = plan(&changes, current, desired, unmodelled, planner, options)?;
    let reverse = diff(desired, current, planner);
    let mut down = plan(&reverse, desired, current, unmodelled, planner, options)?;
    // What the header promises: on a database holding what a change would lose, the migration fails
    // (and, being one transaction, changes nothing) instead of losing it.
    let up_losses = loss_checks(&changes, current, desired, planner);
    guard(&mut up, &up_losses, planner);
    guard(
        &mut down,
        &loss_checks(&reverse, desired, current, planner),
        planner,
    );
    // Diesel applies metadata.toml to both directions: if either rebuilds, both manage their own
    // transaction.
    let self_managed = up.rebuilds() || down.rebuilds();
    let render = |plan: &Plan| {
        if self_managed {
            plan.to_script(planner)
        } else {
            plan.to_sql()
        }
    };
    let warnings = up_losses
        .into_iter()
        .map(|check| format!("{} ({})", check.change, check.kind.consequence()))
        .collect();
    Ok(Some(Prepared {
        up: render(&up),
        down: render(&down),
        changes,
        self_managed,
        warnings,
    }))
}

/// Puts a guard for each of `losses` at the start of `plan`: a statement that fails, naming the change,
/// when the database holds what the change would lose.
fn guard(plan: &mut Plan, losses: &[LossCheck], dialect: &dyn Dialect) {
    let guards = losses.iter().map(|check| Step {
        description: format!("refuse to lose data: {}", check.change),
        kind: StepKind::Ddl,
        statements: vec![dialect.loss_guard(
            &check.count_sql,
            &format!(
                "orient: refused to {} ({}); nothing was changed. Move the data away in an earlier \
                 migration, or delete this guard if losing it is intended",
                check.change,
                check.kind.consequence()
            ),
        )],
        locks: Vec::new(),
    });
    plan.steps.splice(0..0, guards);
}

/// The changes between the migrations in `dir` and `desired`, rendered as SQL for the engine of
/// `scratch` (an empty database of that engine, where the migrations are replayed); `None` when there is
/// nothing to generate. Writes nothing.
pub fn prepare(
    dir: &Path,
    desired: &Schema,
    mut scratch: Scratch,
) -> Result<Option<Prepared>, Error> {
    let planner = scratch.connection().planner();
    let migrations = from_directory(dir)?;
    let replayed = replay(scratch, &migrations)?;
    prepare_from(&replayed.schema, &replayed.unmodelled, desired, planner)
}

/// Writes `<dir>/<version>_<name>/{up.sql,down.sql}` for the changes between the migrations in `dir` and
/// `desired`, for the engine of `scratch` (see [`prepare`]), one engine only. Returns `None`, writing
/// nothing, when the migrations already produce `desired`. `orient-db generate` writes both engines'
/// directories with [`generate_both`].
pub fn generate(
    dir: &Path,
    name: &str,
    desired: &Schema,
    now: Timestamp,
    scratch: Scratch,
) -> Result<Option<Generated>, Error> {
    check_name(name)?;
    let Some(prepared) = prepare(dir, desired, scratch)? else {
        return Ok(None);
    };
    let existing = from_directory(dir)?;
    let directory_name = format!("{}_{name}", next_version(now, &existing));
    // Named like the directory, as the migrations' own messages do.
    let engine = if existing_label(dir) == crate::migrations::source::POSTGRES_DIRECTORY {
        lint::Engine::Postgres
    } else {
        lint::Engine::Sqlite
    };
    let file = format!("{}/{directory_name}/up.sql", existing_label(dir));
    let findings = lint_prepared(engine, &existing, &file, &prepared);
    let header = header(name, &prepared, None, &findings);
    write_migration(&dir.join(&directory_name), &header, prepared, findings).map(Some)
}

/// The first version at or after `now` that sorts after every version of `existing`, even when the
/// clock disagrees or two migrations are generated within one second.
fn next_version(now: Timestamp, existing: &[Migration]) -> String {
    let mut time = now;
    while existing
        .iter()
        .any(|m| m.version >= crate::migrations::source::version_of(&version_dir_name(time)))
    {
        time = Timestamp::from_unix_seconds(time.unix_seconds() + 1);
    }
    version_dir_name(time)
}

/// The repository's name of a migration directory, for the file names in lint findings.
fn existing_label(dir: &Path) -> &'static str {
    if dir.file_name().is_some_and(|n| n == "postgres") {
        crate::migrations::source::POSTGRES_DIRECTORY
    } else {
        crate::migrations::source::SQLITE_DIRECTORY
    }
}

/// What `orient-db lint` finds in the `up.sql` of `prepared`, written after `existing` as `file`.
fn lint_prepared(
    engine: lint::Engine,
    existing: &[Migration],
    file: &str,
    prepared: &Prepared,
) -> Vec<Finding> {
    lint::lint_new(engine, existing, file, &prepared.up, !prepared.self_managed)
}

/// The comment a generated migration starts with; `twin` names the same version for the other engine,
/// `findings` are what `orient-db lint` finds in its up.sql.
fn header(name: &str, prepared: &Prepared, twin: Option<&str>, findings: &[Finding]) -> String {
    let mut header =
        format!("-- {name}: generated by `orient-db generate` from the declared structs.\n");
    if let Some(twin) = twin {
        header.push_str(&format!(
            "-- The same version as {twin}, from the same diff.\n"
        ));
    }
    header.push_str(
        "-- Review it before committing; once applied anywhere, a migration must not change.\n",
    );
    if !prepared.warnings.is_empty() {
        header.push_str(
            "-- On a database holding rows, these changes lose data (the migration fails\n",
        );
        header.push_str("-- rather than lose it; fix the data in an earlier migration first):\n");
        for warning in &prepared.warnings {
            header.push_str(&format!("--   {warning}\n"));
        }
    }
    if findings.is_empty() {
        header.push_str("-- `orient-db lint` finds nothing in this up.sql.\n");
    } else {
        header.push_str(
            "-- `orient-db lint` findings in this up.sql (README \"Lint\"; change the migration, or accept\n",
        );
        header
            .push_str("-- one with `-- orient:allow CODE <reason>` just before its statement):\n");
        for finding in findings {
            header.push_str(&format!("--   {} {}\n", finding.code, finding.message));
        }
    }
    header.push('\n');
    header
}

/// Writes `directory/{up.sql,down.sql}` (and `metadata.toml` for a migration that manages its own
/// transaction).
fn write_migration(
    directory: &Path,
    header: &str,
    prepared: Prepared,
    mut lint: Vec<Finding>,
) -> Result<Generated, Error> {
    // The findings' lines were counted in the SQL alone; the file starts with the header.
    let offset = header.lines().count() as u64;
    for finding in &mut lint {
        finding.line += offset;
    }
    let up = format!("{header}{}", prepared.up);
    let down = format!("{header}{}", prepared.down);
    let write = |file: &str, text: &str| -> Result<(), Error> {
        let path = directory.join(file);
        std::fs::write(&path, text).map_err(|source| Error::Write { path, source })
    };
    std::fs::create_dir_all(directory).map_err(|source| Error::Write {
        path: directory.to_path_buf(),
        source,
    })?;
    write("up.sql", &up)?;
    write("down.sql", &down)?;
    if prepared.self_managed {
        write(
            "metadata.toml",
            "# This migration rebuilds tables and opens its own transaction (see up.sql).\nrun_in_transaction = false\n",
        )?;
    }
    Ok(Generated {
        name: directory
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        directory: directory.to_path_buf(),
        changes: prepared.changes,
        up,
        down,
        self_managed: prepared.self_managed,
        losses: prepared.warnings,
        lint,
    })
}

/// One migration written for both engines by [`generate_both`]: the same version and name in
/// `migrations/sqlite/` and `migrations/postgres/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedBoth {
    /// The version directory's name, e.g. `2026-03-01-120000_add_agent_tier`.
    pub name: String,
    pub sqlite: Generated,
    pub postgres: Generated,
}

/// A migration with nothing to do on one engine, when only the other sees a change (a type SQLite
/// stores as the same affinity); it keeps the version sets of both directories equal.
fn nothing_for(engine: &str) -> Prepared {
    let sql = format!(
        "-- Nothing changes on {engine}: the change is one this engine does not distinguish.\nSELECT 1;\n"
    );
    Prepared {
        changes: Vec::new(),
        up: sql.clone(),
        down: sql,
        self_managed: false,
        warnings: Vec::new(),
    }
}

/// Writes `<version>_<name>/` into both directories of `dirs` from ONE diff: the SQLite migrations,
/// replayed in memory, against `desired`, rendered by each engine's planner (SQLite's may rebuild
/// tables, PostgreSQL's alters in place). No server is needed: PostgreSQL's current schema is the
/// SQLite replay read at the widths its own SQL writes ([`parity::assumed_postgres`]), which holds while the two
/// directories are in parity, so this refuses (writing nothing) when they are not: a version in one
/// only, a version without `up.sql`, a directory missing. `None`, writing nothing, when the migrations
/// already produce `desired`.
pub fn generate_both(
    dirs: &Directories,
    name: &str,
    desired: &Schema,
    now: Timestamp,
) -> Result<Option<GeneratedBoth>, Error> {
    check_name(name)?;
    let problems = parity::compare_directories(dirs)?;
    if !problems.is_empty() {
        return Err(Error::OutOfParity {
            problems: problems.into_iter().map(|p| p.message).collect(),
        });
    }
    let sqlite_migrations = from_directory(&dirs.sqlite)?;
    let postgres_migrations = from_directory(&dirs.postgres)?;
    let replayed = crate::dialect::sqlite::replay_migrations(&sqlite_migrations)?;
    let sqlite = prepare_from(&replayed.schema, &replayed.unmodelled, desired, &Sqlite)?;
    // The SQLite replay's views and triggers are SQLite's SQL: nothing of them is PostgreSQL's.
    let written = lint::catalog_after(lint::Engine::Postgres, &postgres_migrations);
    let postgres_current = parity::assumed_postgres(&replayed.schema, desired, &written);
    let postgres = prepare_from(&postgres_current, &[], desired, &Postgres)?;
    let (sqlite, postgres) = match (sqlite, postgres) {
        (None, None) => return Ok(None),
        (s, p) => (
            s.unwrap_or_else(|| nothing_for("SQLite")),
            p.unwrap_or_else(|| nothing_for("PostgreSQL")),
        ),
    };
    let (sqlite_existing, postgres_existing) =
        (sqlite_migrations.clone(), postgres_migrations.clone());
    let mut existing = sqlite_migrations;
    existing.extend(postgres_migrations);
    let directory_name = format!("{}_{name}", next_version(now, &existing));
    let twin = |engine: &str| format!("migrations/{engine}/{directory_name}");
    let up = |engine: &str| format!("migrations/{engine}/{directory_name}/up.sql");
    let sqlite_lint = lint_prepared(
        lint::Engine::Sqlite,
        &sqlite_existing,
        &up("sqlite"),
        &sqlite,
    );
    let postgres_lint = lint_prepared(
        lint::Engine::Postgres,
        &postgres_existing,
        &up("postgres"),
        &postgres,
    );
    let sqlite_header = header(name, &sqlite, Some(&twin("postgres")), &sqlite_lint);
    let postgres_header = header(name, &postgres, Some(&twin("sqlite")), &postgres_lint);
    let sqlite = write_migration(
        &dirs.sqlite.join(&directory_name),
        &sqlite_header,
        sqlite,
        sqlite_lint,
    )?;
    let postgres = write_migration(
        &dirs.postgres.join(&directory_name),
        &postgres_header,
        postgres,
        postgres_lint,
    )?;
    Ok(Some(GeneratedBoth {
        name: directory_name,
        sqlite,
        postgres,
    }))
}

/// Diesel's version format for a point in time: `2026-02-01-231009`.
fn version_dir_name(time: Timestamp) -> String {
    // `Timestamp` displays as 2026-02-01T23:10:09Z.
    let text = time.to_string();
    let (date, clock) = text.split_once('T').unwrap_or((&text, ""));
    format!("{date}-{}", clock.trim_end_matches('Z').replace(':', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_directories_use_diesels_format() {
        assert_eq!(
            version_dir_name(Timestamp::from_unix_seconds(1_769_987_409)),
            "2026-02-01-231009"
        );
    }

    #[test]
    fn names_are_lower_snake_case() {
        assert!(check_name("add_model_tier").is_ok());
        assert!(check_name("Add tier").is_err());
        assert!(check_name("").is_err());
        assert!(check_name("../escape").is_err());
    }
}
