//! `orient-db migrate [run|status|revert|redo]`.

use serde::Serialize;

use orient_database::db::{self, Config, DbConnection};
use orient_database::migrations::{self, AppliedMigration, Migration, ModifiedMigration, runner};
use orient_database::ops::snapshot::Snapshot;

use crate::commands::AtDatabase;
use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct RunReport {
    database: String,
    created_directories: Vec<String>,
    created_database: bool,
    /// Versions recorded as applied because the database already had their schema (no ledger).
    adopted: Vec<String>,
    applied: Vec<String>,
    /// A migration managing its own transaction that had committed but was not recorded (the process
    /// died in between): recorded, not run again.
    recovered: Vec<String>,
    /// Versions applied by another tool (`diesel migration run`) whose checksum was recorded now.
    checksums_recorded: Vec<String>,
    up_to_date: bool,
    total_applied: usize,
    lock_wait_ms: u64,
    /// The copy of the database taken first, because the applied migrations lose data.
    snapshot: Option<Snapshot>,
}

fn names(migrations: &[Migration]) -> Vec<String> {
    migrations.iter().map(|m| m.name.to_string()).collect()
}

pub fn run(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let target = &config.target;
    let (mut conn, opened) = db::open_config_writer(&config, true)?;
    for dir in &opened.created_directories {
        out.note(format!("created directory {}", dir.display()));
    }
    if opened.created_file {
        out.note(format!("created database {target}"));
    }
    let migration = opened.migration.unwrap_or_default();
    if let Some(pid) = migration.waited_for {
        out.note(format!(
            "waited {:.1} s for another migration (pid {pid}) to finish",
            migration.lock_wait_ms as f64 / 1000.0
        ));
    }
    let all = migrations::embedded_for(target)?;
    let status = runner::status(&mut conn, &all).at(target, "reading the migration ledger")?;
    let report = RunReport {
        database: target.to_string(),
        created_directories: opened
            .created_directories
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        created_database: opened.created_file,
        adopted: names(&migration.adopted),
        applied: names(&migration.applied),
        recovered: names(&migration.recovered),
        checksums_recorded: names(&migration.checksums_recorded),
        up_to_date: status.pending.is_empty(),
        total_applied: status.applied.len(),
        lock_wait_ms: migration.lock_wait_ms,
        snapshot: opened.snapshot.clone(),
    };
    out.emit(&report, |r| {
        let mut text = String::new();
        for name in &r.adopted {
            text.push_str(&format!(
                "adopted {name} (the database already had its schema; recorded as applied)\n"
            ));
        }
        for name in &r.recovered {
            text.push_str(&format!(
                "recorded {name} as applied without running it (the database already had its changes)\n"
            ));
        }
        for name in &r.checksums_recorded {
            text.push_str(&format!(
                "recorded the checksum of {name} (applied without one, e.g. by `diesel migration run`)\n"
            ));
        }
        if let Some(snapshot) = &r.snapshot {
            for loss in &snapshot.losses {
                text.push_str(&format!("data loss: {loss}\n"));
            }
            text.push_str(&format!("snapshot taken first: {snapshot}\n"));
        }
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
    /// Applied migrations whose up.sql was edited since (`migrate` refuses to run until it is reverted).
    modified: Vec<ModifiedMigration>,
}

pub fn status(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let target = &config.target;
    let mut conn = db::open_read_only(&config).at(target, "opening the database read-only")?;
    let status = runner::status(&mut conn, &migrations::embedded_for(target)?)
        .at(target, "reading the migration ledger")?;
    let report = StatusReport {
        database: target.to_string(),
        pending: status.pending.iter().map(|m| m.name.to_string()).collect(),
        applied: status.applied,
        unknown: status.unknown,
        modified: status.modified,
    };
    out.emit(&report, |r| {
        let mut text = format!("{}\n", r.database);
        for m in &r.applied {
            let name = m.name.as_deref().unwrap_or(&m.version);
            text.push_str(&format!(
                "  applied  {name}  ({}){}\n",
                m.run_on.as_deref().unwrap_or("unknown time"),
                if m.checksum.is_none() {
                    "  no checksum yet (recorded by the next `migrate`)"
                } else {
                    ""
                }
            ));
        }
        for m in &r.modified {
            text.push_str(&format!(
                "  MODIFIED {}: {} was edited after it was applied (stored checksum {}, current {}); \
                 revert the edit, a change goes in a new migration\n",
                m.name, m.file, m.stored, m.current
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

/// An existing database (a missing one is an error and nothing is created), checked writable: what
/// `revert` and `redo` work on (they take the migration lock before reading anything).
fn open_existing(config: &Config) -> anyhow::Result<DbConnection> {
    let step = "opening the database for a migration";
    db::open_existing(config, step).at(&config.target, step)
}

#[derive(Serialize)]
struct RevertReport {
    database: String,
    reverted: String,
    version: String,
}

pub fn revert(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let mut conn = open_existing(&config)?;
    let target = &config.target;
    let reverted = migrations::revert_last(&mut conn, target, &migrations::embedded_for(target)?)
        .at(target, "reverting the last migration")?;
    let report = RevertReport {
        database: target.to_string(),
        reverted: reverted.reverted.name.to_string(),
        version: reverted.reverted.version.clone(),
    };
    out.emit(&report, |r| {
        format!(
            "reverted {} with its down.sql ({})\n",
            r.reverted, r.database
        )
    });
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct RedoReport {
    database: String,
    redone: String,
    version: String,
}

pub fn redo(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let mut conn = open_existing(&config)?;
    let target = &config.target;
    let redone = migrations::redo_last(&mut conn, target, &migrations::embedded_for(target)?)
        .at(target, "reverting and applying again the last migration")?;
    let report = RedoReport {
        database: target.to_string(),
        redone: redone.migration.name.to_string(),
        version: redone.migration.version.clone(),
    };
    out.emit(&report, |r| {
        format!("reverted and applied again {} ({})\n", r.redone, r.database)
    });
    Ok(Exit::Ok)
}
