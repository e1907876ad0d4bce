//! `orient-db migrate [run|status]`.

use serde::Serialize;

use orient_database::db::{self, Config, connection};
use orient_database::migrations::{self, AppliedMigration, runner};

use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct RunReport {
    database: String,
    created_directories: Vec<String>,
    created_database: bool,
    applied: Vec<String>,
    up_to_date: bool,
    total_applied: usize,
}

pub fn run(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let (mut conn, opened) = db::open_writer(&config.path, true)?;
    for dir in &opened.created_directories {
        out.note(format!("created directory {}", dir.display()));
    }
    if opened.created_file {
        out.note(format!("created database {}", config.path.display()));
    }
    let all = migrations::embedded()?;
    let status = runner::status(&mut conn, &all)?;
    let report = RunReport {
        database: config.path.display().to_string(),
        created_directories: opened
            .created_directories
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        created_database: opened.created_file,
        applied: opened
            .applied_migrations
            .iter()
            .map(|m| m.name.to_string())
            .collect(),
        up_to_date: status.pending.is_empty(),
        total_applied: status.applied.len(),
    };
    out.emit(&report, |r| {
        let mut text = String::new();
        for name in &r.applied {
            text.push_str(&format!("applied {name}\n"));
        }
        text.push_str(&format!(
            "{}: up to date, {} migration{} applied\n",
            r.database,
            r.total_applied,
            if r.total_applied == 1 { "" } else { "s" }
        ));
        text
    });
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct StatusReport {
    database: String,
    applied: Vec<AppliedMigration>,
    pending: Vec<String>,
    unknown: Vec<AppliedMigration>,
}

pub fn status(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let mut conn = connection::open_read_only(&config.path)?;
    let status = runner::status(&mut conn, &migrations::embedded()?)?;
    let report = StatusReport {
        database: config.path.display().to_string(),
        pending: status.pending.iter().map(|m| m.name.to_string()).collect(),
        applied: status.applied,
        unknown: status.unknown,
    };
    out.emit(&report, |r| {
        let mut text = format!("{}\n", r.database);
        for m in &r.applied {
            text.push_str(&format!(
                "  applied  {}  ({})\n",
                m.name.as_deref().unwrap_or(&m.version),
                m.run_on.as_deref().unwrap_or("unknown time")
            ));
        }
        for name in &r.pending {
            text.push_str(&format!("  pending  {name}\n"));
        }
        for m in &r.unknown {
            text.push_str(&format!(
                "  UNKNOWN  {} (applied by a newer binary; this one does not have it)\n",
                m.version
            ));
        }
        if r.applied.is_empty() && r.pending.is_empty() && r.unknown.is_empty() {
            text.push_str("  no migrations\n");
        }
        text
    });
    Ok(Exit::Ok)
}
