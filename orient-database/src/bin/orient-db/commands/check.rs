//! `orient-db check`: migrations ↔ structs, required tables, live database ↔ structs. For CI.

use serde::Serialize;

use orient_database::check::{DatabaseCheck, MigrationsCheck, check_database, check_migrations};
use orient_database::db::config::Settings;
use orient_database::db::{self, Config};
use orient_database::dialect::sqlite::{self, Sqlite};
use orient_database::engine::EngineConnection;
use orient_database::migrations;
use orient_database::model::Schema;
use orient_database::schema::TABLES;

use crate::commands::AtDatabase;
use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct Report {
    clean: bool,
    migrations: MigrationsSection,
    database: Option<DatabaseSection>,
}

#[derive(Serialize)]
struct MigrationsSection {
    /// Where the migrations were read from: the project's directory, or the binary's embedded copy.
    source: String,
    #[serde(flatten)]
    check: MigrationsCheck,
}

#[derive(Serialize)]
struct DatabaseSection {
    path: String,
    exists: bool,
    #[serde(flatten)]
    check: DatabaseCheck,
}

pub fn run(no_database: bool, out: Output) -> anyhow::Result<Exit> {
    // Without a database, only the project root is needed: no database has to be configured.
    let settings = Settings::from_env()?;
    let config = if no_database {
        None
    } else {
        Some(Config::from_settings(settings.clone())?)
    };
    let declared = Schema::from_declared(TABLES);

    // (a) The working tree's migrations when there is one, else the binary's own.
    let dir = migrations::project_directory(&settings.project_root)?;
    let (source, list) = if dir.is_dir() {
        (dir.display().to_string(), migrations::from_directory(&dir)?)
    } else {
        ("embedded".to_owned(), migrations::embedded()?)
    };
    let replayed = sqlite::replay_migrations(&list)?.schema;
    let migrations_check = check_migrations(&replayed, &declared, &Sqlite);

    // (b) and (c), read-only.
    let database = match &config {
        None => None,
        Some(config) => {
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

    let clean = migrations_check.clean && database.as_ref().is_none_or(|d| d.check.clean);
    let report = Report {
        clean,
        migrations: MigrationsSection {
            source,
            check: migrations_check,
        },
        database,
    };
    out.emit(&report, |r| {
        let mut text = String::new();
        if r.migrations.check.clean {
            text.push_str(&format!(
                "ok: the migrations ({}) produce the declared schema\n",
                r.migrations.source
            ));
        } else {
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
                text.push_str(&format!("DRIFT: {} differs from the declared schema:\n", db.path));
                for d in &db.check.differences {
                    text.push_str(&format!("  - {}\n", d.message));
                }
                text.push_str("  `orient-db push --dry-run` shows what would make it match.\n");
            }
        }
        text
    });
    Ok(if clean { Exit::Ok } else { Exit::Drift })
}
