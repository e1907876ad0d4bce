//! `orient-db doctor`: what is wrong with the database and how to fix it. Changes nothing.

use std::time::Duration;

use orient_database::db::Config;
use orient_database::ops::doctor::{DoctorOptions, DoctorReport, Outcome, Severity, diagnose};

use crate::exit::Exit;
use crate::output::Output;

pub fn run(out: Output, idle_threshold: u64, skip: Vec<String>) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let options = DoctorOptions {
        idle_threshold: Duration::from_secs(idle_threshold),
        skip,
    };
    let report = diagnose(&config, &options);
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
        report.database,
        if report.healthy {
            "healthy".to_owned()
        } else {
            format!(
                "{errors} error{}, {warnings} warning{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            )
        },
        report
            .role
            .as_deref()
            .map_or_else(|| report.user.to_string(), |role| format!("role {role}")),
        match (&report.sqlite_version, &report.server_version) {
            (Some(v), _) => format!(", SQLite {v}"),
            (None, Some(v)) => format!(", PostgreSQL {v}"),
            (None, None) => String::new(),
        }
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
        text.push_str(&format!("\n  {:<18} {outcome}", check.name));
    }
    text.push('\n');
    text
}
