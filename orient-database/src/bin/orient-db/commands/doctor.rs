//! `orient-db doctor`: what is wrong with the database and how to fix it. Changes nothing.

use orient_database::db::Config;
use orient_database::ops::doctor::{DoctorReport, Outcome, Severity, diagnose};

use crate::exit::Exit;
use crate::output::Output;

pub fn run(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    // Its checks are of files (owners, WAL, locks, SQLite's integrity_check).
    config.require_sqlite(
        "orient-db doctor",
        "`orient-db check` compares its schema and migrations with the structs; the server's own views \
         (pg_stat_activity, pg_locks) and `amcheck` cover the rest",
    )?;
    let report = diagnose(&config);
    out.emit(&report, human);
    Ok(if report.healthy {
        Exit::Ok
    } else {
        Exit::Error
    })
}

fn human(report: &DoctorReport) -> String {
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = report.findings.len() - errors;
    let mut text = format!(
        "{}: {} (checked as {}{})\n",
        report.database.display(),
        if report.healthy {
            "healthy".to_owned()
        } else {
            format!(
                "{errors} error{}, {warnings} warning{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            )
        },
        report.user,
        report
            .sqlite_version
            .as_deref()
            .map_or_else(String::new, |v| format!(", SQLite {v}"))
    );
    for finding in &report.findings {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        text.push_str(&format!("\n{severity}[{}]", finding.code.as_str()));
        if let Some(file) = &finding.file {
            text.push_str(&format!(" {}", file.display()));
        }
        text.push('\n');
        for line in finding.message.lines() {
            text.push_str(&format!("  {line}\n"));
        }
        text.push_str(&format!("  fix: {}\n", finding.fix));
    }
    text.push_str("\nchecks:");
    for check in &report.checks {
        let outcome = match &check.outcome {
            Outcome::Ok => "ok".to_owned(),
            Outcome::Problems { findings } => {
                format!(
                    "{findings} finding{}",
                    if *findings == 1 { "" } else { "s" }
                )
            }
            Outcome::Skipped { reason } => format!("skipped: {reason}"),
        };
        text.push_str(&format!("\n  {:<16} {outcome}", check.name));
    }
    text.push('\n');
    text
}
