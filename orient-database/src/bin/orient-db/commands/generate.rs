//! `orient-db generate <name>`: a migration from the structs, without needing a database.

use serde::Serialize;

use orient_database::db::config::project_root;
use orient_database::dialect::sqlite;
use orient_database::migrations::{self, generate::generate};
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_database::types::Timestamp;

use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct GenerateReport {
    generated: Option<String>,
    directory: Option<String>,
    changes: Vec<String>,
}

pub fn run(name: &str, out: Output) -> anyhow::Result<Exit> {
    let cwd = std::env::current_dir()?;
    let (root, _) = project_root(&cwd);
    let dir = migrations::project_directory(&root)?;
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
