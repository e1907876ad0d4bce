//! `orient-db push [--dry-run] [--accept-data-loss]`: make the live database equal to the structs.

use serde::Serialize;

use orient_database::db::{self, Config};
use orient_database::dialect::sqlite;
use orient_database::model::Schema;
use orient_database::push::{PushOptions, PushReport, push};
use orient_database::schema::TABLES;

use crate::commands::AtDatabase;
use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct Report<'a> {
    database: String,
    dry_run: bool,
    #[serde(flatten)]
    push: &'a PushReport,
    statements: Vec<&'a str>,
}

pub fn run(dry_run: bool, accept_data_loss: bool, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let target = &config.target;
    let desired = Schema::from_declared(TABLES);
    let options = PushOptions {
        dry_run,
        accept_data_loss,
    };
    // A dry run on a missing database plans against an empty one and creates nothing.
    let report = if dry_run && !db::open::exists(&config) {
        let mut empty = sqlite::scratch()?;
        push(empty.connection(), &desired, options)?
    } else if dry_run {
        let mut conn = db::open_read_only(&config).at(target, "opening the database read-only")?;
        push(&mut conn, &desired, options).at(target, "planning the push")?
    } else {
        let step = "opening the database for push";
        // One schema changer at a time: push waits for a running migrate, and the other way round.
        let mut change = db::open_for_change(&config, step).at(target, step)?;
        for dir in &change.created_directories {
            out.note(format!("created directory {}", dir.display()));
        }
        if change.created {
            out.note(format!("created database {target}"));
        }
        let report = push(&mut change.conn, &desired, options)
            .at(target, "push (its one transaction, rolled back on failure)")?;
        if report.executed || change.created {
            change
                .settle(target)
                .at(target, "switching to WAL after push")?;
        }
        change.release()?;
        report
    };
    let shown = Report {
        database: target.to_string(),
        dry_run,
        statements: report.plan.statements().collect(),
        push: &report,
    };
    out.emit(&shown, |r| {
        let mut text = String::new();
        if r.push.changes.is_empty() {
            text.push_str(&format!(
                "{}: already matches the declared schema; nothing to do\n",
                r.database
            ));
            return text;
        }
        text.push_str(&format!(
            "{} change{} to {}:\n",
            r.push.changes.len(),
            if r.push.changes.len() == 1 { "" } else { "s" },
            r.database
        ));
        for change in &r.push.changes {
            text.push_str(&format!("  {change}\n"));
        }
        for loss in &r.push.data_loss {
            text.push_str(&format!("  data loss (accepted): {loss}\n"));
        }
        if let Some(snapshot) = &r.push.snapshot {
            text.push_str(&format!("  snapshot taken first: {snapshot}\n"));
        }
        if r.dry_run {
            text.push_str("\n-- dry run: this is the SQL push would run, in one transaction:\n");
            text.push_str(&r.push.plan.to_sql());
        } else {
            for counts in &r.push.applied.row_counts {
                text.push_str(&format!(
                    "  rebuilt `{}`: {} rows before, {} after\n",
                    counts.table, counts.before, counts.after
                ));
            }
            text.push_str(&format!(
                "done: {} statement{} in one transaction\n",
                r.push.applied.statements,
                if r.push.applied.statements == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
        text
    });
    Ok(Exit::Ok)
}
