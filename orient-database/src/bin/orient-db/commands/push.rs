//! `orient-db push [--dry-run] [--accept-data-loss]`: make the live database equal to the structs.

use serde::Serialize;

use orient_database::db::target::Target;
use orient_database::db::{self, Config};
use orient_database::dialect::sqlite;
use orient_database::migrations;
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

/// What the migration ledger says before a push: a version this binary does not ship means a newer
/// binary migrated the database, and pushing this binary's structs would drop what that migration added
/// while the ledger still calls it applied, so refuse as `migrate` does (exit 3). Pending migrations
/// are allowed (a push may run ahead of them) but said loudly, since `migrate` will then find their
/// changes already made.
fn check_ledger(conn: &mut db::DbConnection, target: &Target, out: &Output) -> anyhow::Result<()> {
    let shipped = migrations::embedded_for(target)?;
    let status = migrations::runner::status(conn, &shipped).at(target, "reading the ledger")?;
    if !status.unknown.is_empty() {
        return Err(migrations::Error::UnknownVersions {
            versions: status.unknown.into_iter().map(|a| a.version).collect(),
        }
        .into());
    }
    // A database without a ledger (made by push, or empty) has nothing pending to speak of.
    if !status.applied.is_empty() && !status.pending.is_empty() {
        let names: Vec<&str> = status.pending.iter().map(|m| &*m.name).collect();
        out.warn(format!(
            "{} migration{} pending on {target} ({}): push makes the schema match the structs without \
             recording them; run `orient-db migrate` instead to keep the ledger in step",
            names.len(),
            if names.len() == 1 { " is" } else { "s are" },
            names.join(", ")
        ));
    }
    Ok(())
}

pub fn run(dry_run: bool, accept_data_loss: bool, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let target = &config.target;
    let desired = Schema::from_declared(TABLES);
    let options = PushOptions {
        dry_run,
        accept_data_loss,
        without_snapshot: false,
    };
    // A dry run on a missing database plans against an empty one and creates nothing.
    let report = if dry_run && !db::open::exists(&config) {
        let mut empty = sqlite::scratch()?;
        push(empty.connection(), &desired, options)?
    } else if dry_run {
        let mut conn = db::open_read_only(&config).at(target, "opening the database read-only")?;
        check_ledger(&mut conn, target, &out)?;
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
        check_ledger(&mut change.conn, target, &out)?;
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
