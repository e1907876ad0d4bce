//! `orient-db lint [--engine E] [FILE…]`: the migration linter (orient_database::lint). Reads files
//! only; no database and no configuration beyond the project root are needed.

use std::path::{Path, PathBuf};

use orient_database::db::config::Settings;
use orient_database::lint::{self, Engine, Report};
use orient_database::migrations::parity::project_directories;

use crate::cli::LintEngine;
use crate::exit::{CommandError, Exit};
use crate::output::Output;

pub fn run(files: &[PathBuf], engine: Option<LintEngine>, out: Output) -> anyhow::Result<Exit> {
    let engine = engine.map(|e| match e {
        LintEngine::Sqlite => Engine::Sqlite,
        LintEngine::Postgres => Engine::Postgres,
    });
    let report = if files.is_empty() {
        project(&Settings::from_env()?.project_root)?
    } else {
        let mut report = Report::new();
        for file in files {
            report.extend(lint::lint_file(file, engine).map_err(usage)?);
        }
        report
    };
    out.emit(&report, Report::to_text);
    Ok(if report.clean { Exit::Ok } else { Exit::Drift })
}

/// Every migration of the project's two directories (a missing directory is left out, and said).
pub fn project(root: &Path) -> anyhow::Result<Report> {
    let dirs = project_directories(root)?;
    let mut report = Report::new();
    for (dir, engine) in [
        (&dirs.sqlite, Engine::Sqlite),
        (&dirs.postgres, Engine::Postgres),
    ] {
        if !dir.is_dir() {
            continue;
        }
        let label = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
        report.extend(lint::lint_directory(dir, engine, &label).map_err(usage)?);
    }
    Ok(report)
}

/// A file that does not exist or whose engine cannot be told is a usage error (exit 2).
fn usage(error: lint::Error) -> anyhow::Error {
    if error.is_usage() {
        CommandError::usage(error.to_string())
    } else {
        anyhow::Error::new(error)
    }
}
