//! A seeding run: select seeders, open the database, run them in one transaction, summarise.

use std::time::Instant;

use orient_database::db::{self, Config, DbConnection};
use orient_database::dialect::sqlite::{self, storage};
use orient_database::engine::EngineConnection;
use orient_database::migrations::replay::{Replay, Scratch};
use orient_database::migrations::{self, Migration, runner};
use orient_database::seed::Shape;
use orient_database::types::Timestamp;

use crate::error::Error;
use crate::report::{Counts, Report, SeederReport};
use crate::seeder::{Context, Seeder};

/// What to run and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Rewrite seeded rows that differ from their seed values (in place: same ids). Rows that users
    /// created are never changed or deleted.
    pub force: bool,
    /// Compute the same report and write nothing: the database is not created, migrated or changed.
    pub dry_run: bool,
    /// Run only this seeder (by name).
    pub only: Option<String>,
    /// Leave these seeders out (by name).
    pub skip: Vec<String>,
}

/// Seeds the database of `config` with the seeders of `registry` (normally [`crate::REGISTRY`]) that
/// `options` selects, in registry order.
///
/// A real run opens the database through `orient_database::db` (creating it and its directories if
/// needed, and running pending migrations under the migration lock, adopting a database made by the
/// original Orient), then runs every selected seeder inside ONE `BEGIN IMMEDIATE` transaction: an error
/// from any of them rolls back everything the run wrote. A dry run opens an existing database read-only
/// (a missing one is planned against a freshly migrated in-memory database) and writes nothing.
pub fn run(config: &Config, registry: &[&dyn Seeder], options: &Options) -> Result<Report, Error> {
    let started = Instant::now();
    let (selected, not_selected) = select(registry, options)?;
    let now = Timestamp::now();
    let seed_all = |conn: &mut DbConnection| seed_selected(conn, &selected, options, now);
    let mut report = Report {
        database: config.target.to_string(),
        dry_run: options.dry_run,
        force: options.force,
        created_directories: Vec::new(),
        created_database: false,
        adopted_migrations: Vec::new(),
        applied_migrations: Vec::new(),
        pending_migrations: Vec::new(),
        seeders: Vec::new(),
        not_selected,
        totals: Counts::default(),
        warnings: Vec::new(),
        elapsed_ms: 0.0,
    };

    // A storage failure (disk full, a file-size limit, the write lock held too long, a file that cannot
    // be written) names the database, the step and what to do.
    let explain = |step: &'static str| {
        move |e: Error| match (e, config.sqlite_path()) {
            (Error::Database(inner), Some(path)) => {
                Error::Database(storage::explain(path, step, inner))
            }
            (other, Some(path)) => match storage::storage_error(path, step, &other) {
                Some(explained) => Error::Database(explained),
                None => other,
            },
            // A server reports its own errors.
            (other, None) => other,
        }
    };
    if options.dry_run {
        let all = migrations::embedded_for(&config.target)?;
        let mut existing;
        let mut scratch;
        let conn = if db::open::exists(config) {
            existing = db::open_read_only(config)
                .map_err(Error::from)
                .map_err(explain("opening the database read-only"))?;
            report.pending_migrations = names(
                &runner::status(&mut existing, &all)
                    .map_err(Error::from)
                    .map_err(explain("reading the migration ledger"))?
                    .pending,
            );
            &mut existing
        } else {
            // What a real run would seed: the database its migrations create.
            report.pending_migrations = names(&all);
            scratch = migrated_in_memory(&all)?;
            scratch.connection()
        };
        // One read transaction, so every seeder sees the same snapshot. Nothing is written: the
        // seeders are told so, and the connection is query_only besides.
        report.seeders = conn
            .read_transaction(seed_all)
            .map_err(explain("the dry run's read transaction"))?;
    } else {
        let (mut conn, opened) = db::open_config_writer(config, true)?;
        report.created_directories = opened
            .created_directories
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        report.created_database = opened.created_file;
        if let Some(migration) = &opened.migration {
            report.adopted_migrations = names(&migration.adopted);
            report.applied_migrations = names(&migration.applied);
        }
        report.seeders = conn.write_transaction(seed_all).map_err(explain(
            "seeding (one transaction, rolled back entirely on failure)",
        ))?;
    }

    for seeder in &report.seeders {
        report.totals += seeder.counts();
        report.warnings.extend(
            seeder
                .tables
                .iter()
                .filter_map(|t| t.warning.as_ref())
                .map(|w| format!("{}: {w}", seeder.seeder)),
        );
    }
    report.elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    Ok(report)
}

/// Runs the seeders of `registry` that `options` selects on `conn`, an open and migrated database, in
/// ONE `BEGIN IMMEDIATE` transaction (all or nothing), and returns what each did. What [`run`] does once
/// it has opened the database, for callers that hold the connection already (a test template:
/// `crate::testing`). `options.dry_run` is honoured: the seeders then write nothing.
pub fn seed_connection(
    conn: &mut DbConnection,
    registry: &[&dyn Seeder],
    options: &Options,
) -> Result<Vec<SeederReport>, Error> {
    let (selected, _) = select(registry, options)?;
    let now = Timestamp::now();
    conn.write_transaction(|conn| seed_selected(conn, &selected, options, now))
}

/// Runs `selected` in order inside the caller's transaction, so every seeder sees the schema the rows
/// are read from.
fn seed_selected(
    conn: &mut DbConnection,
    selected: &[&dyn Seeder],
    options: &Options,
    now: Timestamp,
) -> Result<Vec<SeederReport>, Error> {
    let cx = Context {
        force: options.force,
        dry_run: options.dry_run,
        now,
        shape: Shape::read(conn).map_err(Error::Schema)?,
    };
    selected
        .iter()
        .map(|seeder| seeder.seed(conn, &cx))
        .collect()
}

/// The seeders to run (in registry order) and the names left out.
fn select<'a>(
    registry: &[&'a dyn Seeder],
    options: &Options,
) -> Result<(Vec<&'a dyn Seeder>, Vec<&'static str>), Error> {
    let known: Vec<&str> = registry.iter().map(|s| s.name()).collect();
    for name in options.only.iter().chain(&options.skip) {
        if !known.contains(&name.as_str()) {
            return Err(Error::UnknownSeeder {
                name: name.clone(),
                known: known.join(", "),
            });
        }
    }
    let mut selected = Vec::new();
    let mut not_selected = Vec::new();
    for seeder in registry {
        let name = seeder.name();
        let wanted = options.only.as_deref().is_none_or(|only| only == name)
            && !options.skip.iter().any(|s| s == name);
        if wanted {
            selected.push(*seeder);
        } else {
            not_selected.push(name);
        }
    }
    Ok((selected, not_selected))
}

fn names(migrations: &[Migration]) -> Vec<String> {
    migrations.iter().map(|m| m.name.to_string()).collect()
}

/// An in-memory database with every migration applied: what a real run would seed into.
fn migrated_in_memory(all: &[Migration]) -> Result<Scratch, Error> {
    let mut replay = Replay::on(sqlite::scratch()?);
    replay.apply_all(all)?;
    Ok(replay.into_scratch())
}
