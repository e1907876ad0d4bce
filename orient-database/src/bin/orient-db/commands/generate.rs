//! `orient-db generate <name>`: a migration from the structs, without needing a database.

use serde::Serialize;

use orient_database::db::config::Settings;
use orient_database::dialect::sqlite;
use orient_database::migrations;
use orient_database::migrations::generate::{check_name, generate};
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_database::types::Timestamp;

use crate::exit::{CommandError, Exit};
use crate::output::Output;

#[derive(Serialize)]
struct GenerateReport {
    generated: Option<String>,
    directory: Option<String>,
    changes: Vec<String>,
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
    let dir = migrations::project_directory(&settings.project_root)?;
    let desired = Schema::from_declared(TABLES);
    let generated = generate(&dir, name, &desired, Timestamp::now(), sqlite::scratch()?)?;
    let report = match &generated {
        None => GenerateReport {
            generated: None,
            directory: None,
            changes: Vec::new(),
        },
        Some(g) => GenerateReport {
            generated: Some(g.name.clone()),
            directory: Some(g.directory.display().to_string()),
            changes: g.changes.iter().map(ToString::to_string).collect(),
        },
    };
    out.emit(&report, |r| match &r.directory {
        None => format!(
            "nothing to generate: the migrations in {} already produce the declared schema\n",
            dir.display()
        ),
        Some(directory) => {
            let mut text = format!("wrote {directory}/up.sql and down.sql:\n");
            for change in &r.changes {
                text.push_str(&format!("  {change}\n"));
            }
            text
        }
    });
    Ok(Exit::Ok)
}
