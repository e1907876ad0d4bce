//! `orient-db generate <name>`: a migration from the structs for both engines (`migrations/sqlite/` and
//! `migrations/postgres/`, the same version), without needing a database.

use serde::Serialize;

use orient_database::db::config::Settings;
use orient_database::migrations;
use orient_database::migrations::generate::{check_name, generate_both};
use orient_database::migrations::parity::project_directories;
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_database::types::Timestamp;

use crate::exit::{CommandError, Exit};
use crate::output::Output;

#[derive(Serialize)]
struct GenerateReport {
    /// The version directory's name, the same in both engines' directories.
    generated: Option<String>,
    /// The SQLite migration's directory.
    directory: Option<String>,
    /// Each engine's migration directory.
    directories: Option<Directories>,
    /// Every file written.
    files: Vec<String>,
    changes: Vec<String>,
    /// The changes that lose data on a database holding it (each guarded in the migration).
    losses: Vec<String>,
    /// What `orient-db lint` finds in the new up.sql files (also written in their headers).
    lint: Vec<orient_database::lint::Finding>,
}

#[derive(Serialize)]
struct Directories {
    sqlite: String,
    postgres: String,
}

pub fn run(name: &str, out: Output) -> anyhow::Result<Exit> {
    // A bad name is a usage error (exit 2), like every other bad argument.
    check_name(name).map_err(|e| match e {
        migrations::Error::BadMigration { reason, .. } => {
            CommandError::usage(format!("`{name}` is not a migration name: {reason}"))
        }
        other => CommandError::usage(other.to_string()),
    })?;
    let settings = Settings::from_env()?;
    let dirs = project_directories(&settings.project_root)?;
    let desired = Schema::from_declared(TABLES);
    let generated = generate_both(&dirs, name, &desired, Timestamp::now())?;
    let report = match &generated {
        None => GenerateReport {
            generated: None,
            directory: None,
            directories: None,
            files: Vec::new(),
            changes: Vec::new(),
            losses: Vec::new(),
            lint: Vec::new(),
        },
        Some(g) => {
            let changes = if g.sqlite.changes.is_empty() {
                &g.postgres.changes
            } else {
                &g.sqlite.changes
            };
            let mut files = Vec::new();
            for written in [&g.sqlite, &g.postgres] {
                files.push(written.directory.join("up.sql").display().to_string());
                files.push(written.directory.join("down.sql").display().to_string());
                if written.self_managed {
                    files.push(
                        written
                            .directory
                            .join("metadata.toml")
                            .display()
                            .to_string(),
                    );
                }
            }
            GenerateReport {
                generated: Some(g.name.clone()),
                directory: Some(g.sqlite.directory.display().to_string()),
                directories: Some(Directories {
                    sqlite: g.sqlite.directory.display().to_string(),
                    postgres: g.postgres.directory.display().to_string(),
                }),
                files,
                changes: changes.iter().map(ToString::to_string).collect(),
                losses: if g.sqlite.losses.is_empty() {
                    g.postgres.losses.clone()
                } else {
                    g.sqlite.losses.clone()
                },
                lint: g
                    .sqlite
                    .lint
                    .iter()
                    .chain(&g.postgres.lint)
                    .cloned()
                    .collect(),
            }
        }
    };
    // Loudly, on stderr (also under --json): a table or column about to be dropped is most often a
    // struct someone forgot to register, and the migration would take its data with it.
    if let Some(g) = &generated {
        let losses = if g.sqlite.losses.is_empty() {
            &g.postgres.losses
        } else {
            &g.sqlite.losses
        };
        if !losses.is_empty() {
            let mut text = format!(
                "warning: migration {} loses data on a database that holds any:\n",
                g.name
            );
            for loss in losses {
                text.push_str(&format!("  - {loss}\n"));
            }
            text.push_str(
                "  If that is not what you meant (a struct not registered in `register_tables!`, a \
                 column renamed without `renamed_from`), delete the migration and fix the structs. \
                 Each change is guarded: on a database holding such data the migration fails and \
                 changes nothing.",
            );
            out.warn(text.trim_start_matches("warning: "));
        }
    }
    out.emit(&report, |r| match &r.directories {
        None => format!(
            "nothing to generate: the migrations in {} and {} already produce the declared schema\n",
            dirs.sqlite.display(),
            dirs.postgres.display()
        ),
        Some(directories) => {
            let mut text = format!(
                "wrote {}/up.sql and down.sql\nwrote {}/up.sql and down.sql\n",
                directories.sqlite, directories.postgres
            );
            text.push_str("changes:\n");
            for change in &r.changes {
                text.push_str(&format!("  {change}\n"));
            }
            if !r.lint.is_empty() {
                text.push_str("lint findings (also in the headers; `orient-db lint` explains each):\n");
                for finding in &r.lint {
                    text.push_str(&format!(
                        "  {}:{}: {} {}\n",
                        finding.file, finding.line, finding.code, finding.message
                    ));
                }
            }
            text
        }
    });
    Ok(Exit::Ok)
}
