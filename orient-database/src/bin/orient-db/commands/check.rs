//! `orient-db check`: migrations ↔ structs on both engines, the two migration directories ↔ each other
//! (the parity gate), required tables, live database ↔ structs. For CI.

use serde::Serialize;

use orient_database::check::{
    DatabaseCheck, MigrationsCheck, check_database, check_migrations, check_migrations_in,
};
use orient_database::db::config::Settings;
use orient_database::db::target::Target;
use orient_database::db::{self, Config};
use orient_database::dialect::postgres::Postgres;
use orient_database::dialect::sqlite::{self, Sqlite};
use orient_database::engine::EngineConnection;
use orient_database::lint::{self, Engine as LintEngine, Report as LintReport};
use orient_database::migrations::parity::{self, ParityProblem};
use orient_database::migrations::replay::{Scratch, prefix_schemas, replay};
use orient_database::migrations::{self, Migration};
use orient_database::model::Schema;
use orient_database::schema::TABLES;

use crate::commands::AtDatabase;
use crate::exit::Exit;
use crate::output::Output;

/// Why the PostgreSQL migrations were not replayed, when no server is configured.
const NO_SERVER: &str = "PostgreSQL migrations not replayed: no PostgreSQL server configured (set \
                         DATABASE_URL=postgres://…)";

#[derive(Serialize)]
struct Report {
    clean: bool,
    migrations: MigrationsSection,
    postgres_migrations: PostgresSection,
    parity: ParitySection,
    database: Option<DatabaseSection>,
    /// `--lint`: the findings of `orient-db lint` over the same migrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    lint: Option<LintReport>,
}

#[derive(Serialize)]
struct MigrationsSection {
    /// Where the migrations were read from: the project's directory, or the binary's embedded copy.
    source: String,
    #[serde(flatten)]
    check: MigrationsCheck,
}

#[derive(Serialize)]
struct PostgresSection {
    source: String,
    /// Whether they were replayed (in a scratch schema on the configured server).
    replayed: bool,
    /// Why they were not, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    /// The server they were replayed on.
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    #[serde(flatten)]
    check: Option<MigrationsCheck>,
}

#[derive(Serialize)]
struct ParitySection {
    clean: bool,
    problems: Vec<ParityProblem>,
}

#[derive(Serialize)]
struct DatabaseSection {
    path: String,
    exists: bool,
    #[serde(flatten)]
    check: DatabaseCheck,
}

/// Each engine's migrations: from the working tree when it has them, else the binary's own.
struct Sources {
    label_sqlite: String,
    label_postgres: String,
    sqlite: Option<Vec<Migration>>,
    postgres: Option<Vec<Migration>>,
    problems: Vec<ParityProblem>,
}

fn sources(settings: &Settings) -> anyhow::Result<Sources> {
    let dirs = parity::project_directories(&settings.project_root)?;
    if !dirs.sqlite.is_dir() && !dirs.postgres.is_dir() {
        let sqlite = migrations::embedded()?;
        let postgres = migrations::embedded_postgres()?;
        let problems = parity::compare_embedded(&sqlite, &postgres);
        return Ok(Sources {
            label_sqlite: "embedded".to_owned(),
            label_postgres: "embedded".to_owned(),
            sqlite: Some(sqlite),
            postgres: Some(postgres),
            problems,
        });
    }
    let problems = parity::compare_directories(&dirs)?;
    // A missing directory cannot be replayed (the problem says so); a version without up.sql is left
    // out of the replay (the problem names it), so the replay names the columns it would have made.
    let readable = |dir: &std::path::Path, label: &str| -> anyhow::Result<Option<Vec<Migration>>> {
        let missing = problems
            .iter()
            .any(|p| p.directory == label && p.kind == "missing_directory");
        Ok(if missing {
            None
        } else {
            Some(migrations::source::from_directory_skipping_incomplete(dir)?)
        })
    };
    Ok(Sources {
        label_sqlite: dirs.sqlite.display().to_string(),
        label_postgres: dirs.postgres.display().to_string(),
        sqlite: readable(&dirs.sqlite, migrations::source::SQLITE_DIRECTORY)?,
        postgres: readable(&dirs.postgres, migrations::source::POSTGRES_DIRECTORY)?,
        problems,
    })
}

/// The PostgreSQL migrations replayed in a scratch schema on `target`'s server and compared with the
/// structs; each difference names the migration that last changed its table or column (found by
/// replaying prefix by prefix, only when there is drift). Returns the replayed schema too.
fn check_postgres(
    config: &Config,
    list: &[Migration],
    declared: &Schema,
) -> anyhow::Result<(Schema, MigrationsCheck)> {
    let target = &config.target;
    let mut conn = db::open_read_only(config).at(target, "connecting to replay the migrations")?;
    let replayed = replay(Scratch::of(&mut conn, target)?, list)?.schema;
    let mut check =
        check_migrations_in(&replayed, declared, &Postgres, "the PostgreSQL migrations");
    if !check.clean {
        let prefixes = prefix_schemas(Scratch::of(&mut conn, target)?, list)?;
        parity::name_migrations(&mut check.differences, &prefixes, list, &Postgres);
    }
    Ok((replayed, check))
}

pub fn run(no_database: bool, lint: bool, out: Output) -> anyhow::Result<Exit> {
    // Without a database, only the project root is needed: no database has to be configured.
    let settings = Settings::from_env()?;
    let config = if no_database {
        // Still read, for a PostgreSQL server to replay on; not being able to is a reason to skip.
        Config::from_settings(settings.clone()).map_err(|e| e.to_string())
    } else {
        Ok(Config::from_settings(settings.clone())?)
    };
    let declared = Schema::from_declared(TABLES);
    let sources = sources(&settings)?;
    let lint = if lint {
        Some(lint_sources(&settings, &sources)?)
    } else {
        None
    };
    let mut problems = sources.problems;

    // (a) The SQLite migrations, replayed in memory.
    let (sqlite_replayed, migrations_check) = match &sources.sqlite {
        Some(list) => {
            let replayed = sqlite::replay_migrations(list)?.schema;
            let mut check = check_migrations(&replayed, &declared, &Sqlite);
            if !check.clean {
                let prefixes = prefix_schemas(sqlite::scratch()?, list)?;
                parity::name_migrations(&mut check.differences, &prefixes, list, &Sqlite);
            }
            (Some(replayed), check)
        }
        // Not replayable: the parity problems say why.
        None => (
            None,
            MigrationsCheck {
                clean: false,
                differences: Vec::new(),
            },
        ),
    };

    // (a') The PostgreSQL migrations, in a scratch schema on the configured server, if there is one.
    let server = match &config {
        Ok(config) if matches!(config.target, Target::Postgres(_)) => Ok(config),
        Ok(_) => Err(NO_SERVER.to_owned()),
        Err(reason) => Err(format!(
            "{NO_SERVER}; the configuration could not be read: {reason}"
        )),
    };
    let postgres = match (&sources.postgres, server) {
        (Some(list), Ok(config)) => {
            let (replayed, check) = check_postgres(config, list, &declared)?;
            if let Some(sqlite_replayed) = &sqlite_replayed {
                problems.extend(parity::compare_replays(sqlite_replayed, &replayed));
            }
            PostgresSection {
                source: sources.label_postgres.clone(),
                replayed: true,
                skipped: None,
                server: Some(config.target.to_string()),
                check: Some(check),
            }
        }
        (None, Ok(_)) => PostgresSection {
            source: sources.label_postgres.clone(),
            replayed: false,
            skipped: Some(
                "PostgreSQL migrations not replayed: the directory does not exist (see parity)"
                    .to_owned(),
            ),
            server: None,
            check: None,
        },
        (_, Err(reason)) => PostgresSection {
            source: sources.label_postgres.clone(),
            replayed: false,
            skipped: Some(reason),
            server: None,
            check: None,
        },
    };

    // (b) and (c), read-only.
    let database = match &config {
        Err(_) => None,
        Ok(_) if no_database => None,
        Ok(config) => {
            let exists = db::open::exists(config);
            let target = &config.target;
            let check = if exists {
                let mut conn =
                    db::open_read_only(config).at(target, "opening the database read-only")?;
                let live = conn
                    .introspect()
                    .at(target, "reading the database's schema")?
                    .schema;
                check_database(Some(&live), &declared, conn.planner())
            } else {
                check_database(None, &declared, &Sqlite)
            };
            Some(DatabaseSection {
                path: target.to_string(),
                exists,
                check,
            })
        }
    };

    let parity = ParitySection {
        clean: problems.is_empty(),
        problems,
    };
    let clean = lint.as_ref().is_none_or(|l| l.clean)
        && migrations_check.clean
        && postgres.check.as_ref().is_none_or(|c| c.clean)
        && parity.clean
        && database.as_ref().is_none_or(|d| d.check.clean);
    let report = Report {
        clean,
        migrations: MigrationsSection {
            source: sources.label_sqlite,
            check: migrations_check,
        },
        postgres_migrations: postgres,
        parity,
        database,
        lint,
    };
    out.emit(&report, human);
    Ok(if clean { Exit::Ok } else { Exit::Drift })
}

/// `--lint`: the working tree's migrations as `orient-db lint` reads them, else the binary's own.
fn lint_sources(settings: &Settings, sources: &Sources) -> anyhow::Result<LintReport> {
    if sources.label_sqlite != "embedded" {
        return crate::commands::lint::project(&settings.project_root);
    }
    let mut report = LintReport::new();
    for (list, engine, label) in [
        (
            &sources.sqlite,
            LintEngine::Sqlite,
            "embedded migrations/sqlite",
        ),
        (
            &sources.postgres,
            LintEngine::Postgres,
            "embedded migrations/postgres",
        ),
    ] {
        if let Some(list) = list {
            report.extend(lint::lint_migrations(engine, label, list));
        }
    }
    Ok(report)
}

fn human(r: &Report) -> String {
    let mut text = String::new();
    if r.migrations.check.clean {
        text.push_str(&format!(
            "ok: the migrations ({}) produce the declared schema\n",
            r.migrations.source
        ));
    } else if !r.migrations.check.differences.is_empty() {
        text.push_str(&format!(
            "DRIFT: the migrations ({}) do not produce the declared schema:\n",
            r.migrations.source
        ));
        for d in &r.migrations.check.differences {
            text.push_str(&format!("  - {}\n", d.message));
        }
        text.push_str(
            "  A struct changed without a migration: run `orient-db generate <name>` and commit it.\n",
        );
    }
    let pg = &r.postgres_migrations;
    match (&pg.check, &pg.skipped) {
        (Some(check), _) if check.clean => text.push_str(&format!(
            "ok: the PostgreSQL migrations ({}) produce the declared schema (replayed in a scratch \
             schema on {})\n",
            pg.source,
            pg.server.as_deref().unwrap_or("the server")
        )),
        (Some(check), _) => {
            text.push_str(&format!(
                "DRIFT: the PostgreSQL migrations ({}) do not produce the declared schema:\n",
                pg.source
            ));
            for d in &check.differences {
                text.push_str(&format!("  - {}\n", d.message));
            }
            text.push_str(
                "  Fix the named migration if it was never applied anywhere, else add a migration \
                 (`orient-db generate <name>` writes both engines').\n",
            );
        }
        (None, Some(reason)) => text.push_str(&format!("{reason}\n")),
        (None, None) => {}
    }
    if r.parity.clean {
        text.push_str("ok: migrations/sqlite and migrations/postgres hold the same versions\n");
    } else {
        text.push_str("DRIFT: migrations/sqlite and migrations/postgres are not in parity:\n");
        for p in &r.parity.problems {
            text.push_str(&format!("  - {}\n", p.message));
        }
    }
    if let Some(db) = &r.database {
        if !db.check.missing_tables.is_empty() {
            text.push_str(&format!(
                "Missing required tables: {}\n",
                db.check.missing_tables.join(", ")
            ));
            if !db.exists {
                text.push_str(&format!(
                    "  {} does not exist; run `orient-db migrate` to create it\n",
                    db.path
                ));
            }
        }
        if db.check.differences.is_empty() && db.check.missing_tables.is_empty() {
            text.push_str(&format!("ok: {} matches the declared schema\n", db.path));
        } else if !db.check.differences.is_empty() {
            text.push_str(&format!(
                "DRIFT: {} differs from the declared schema:\n",
                db.path
            ));
            for d in &db.check.differences {
                text.push_str(&format!("  - {}\n", d.message));
            }
            text.push_str("  `orient-db push --dry-run` shows what would make it match.\n");
        }
    }
    if let Some(lint) = &r.lint {
        text.push_str(&lint.to_text());
    }
    text
}
