//! `orient-db transfer --to TARGET [--from SOURCE] [--replace]`: a verified copy of a whole database,
//! SQLite → PostgreSQL and back (see `orient_database::ops::transfer`).

use orient_database::db::Config;
use orient_database::ops::transfer::{self, Options, TableKind, TransferReport};

use crate::exit::Exit;
use crate::output::Output;

pub fn run(to: &str, from: Option<&str>, replace: bool, out: Output) -> anyhow::Result<Exit> {
    let target = transfer::parse_database("to", to)?;
    // The configured database is only needed as the default source: a missing configuration does not
    // stop a transfer between two databases named on the command line.
    let (source, lock_timeout) = match from {
        Some(from) => (
            transfer::parse_database("from", from)?,
            Config::from_env().ok().map(|c| c.lock_timeout),
        ),
        None => {
            let config = Config::from_env()?;
            (config.target, Some(config.lock_timeout))
        }
    };
    let options = Options {
        replace,
        lock_timeout,
    };
    out.note(format!("transferring {source} to {target}…"));
    let report = transfer::transfer(&source, &target, &options)?;
    out.emit(&report, human);
    Ok(Exit::Ok)
}

fn short(sha: Option<&str>) -> String {
    sha.map_or_else(|| "-".to_owned(), |s| s.chars().take(12).collect())
}

fn rows(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

fn human(r: &TransferReport) -> String {
    let mut text = format!(
        "transferred {} ({}) to {} ({}): {} rows in {} tables, verified by content checksum ({})\n",
        r.source,
        r.source_engine,
        r.target,
        r.target_engine,
        r.rows,
        r.tables
            .iter()
            .filter(|t| t.kind == TableKind::Application)
            .count(),
        r.algorithm
    );
    if r.rows_replaced > 0 {
        text.push_str(&format!(
            "  replaced: {} rows the target held were deleted first\n",
            r.rows_replaced
        ));
    }
    if !r.migrations_applied.is_empty() {
        text.push_str(&format!(
            "  the target was migrated first: {}\n",
            r.migrations_applied.join(", ")
        ));
    }
    let width = r
        .tables
        .iter()
        .map(|t| t.table.len())
        .max()
        .unwrap_or(5)
        .max(5);
    text.push_str(&format!(
        "\n{:width$}  {:>11}  {:>11}  {:12}  {:12}  ok\n",
        "table", "rows source", "rows target", "sum source", "sum target"
    ));
    for t in &r.tables {
        let ok = match (t.kind, t.ok) {
            (TableKind::Application, true) => "ok".to_owned(),
            (TableKind::NotCarried, _) => format!("- {}", t.compared),
            (_, true) => format!("ok: {}", t.compared),
            (_, false) => format!("DIFFERENT: {}", t.compared),
        };
        text.push_str(&format!(
            "{:width$}  {:>11}  {:>11}  {:12}  {:12}  {ok}\n",
            t.table,
            rows(t.source_rows),
            rows(t.target_rows),
            short(t.source_sha256.as_deref()),
            short(t.target_sha256.as_deref()),
        ));
    }
    let carried: Vec<String> = r
        .sequences
        .iter()
        .filter(|s| s.next_id > 1)
        .map(|s| format!("{}.{} {}", s.table, s.column, s.next_id))
        .collect();
    if !r.sequences.is_empty() {
        text.push_str(&format!(
            "\nnext ids on the target: {}{}\n",
            if carried.is_empty() {
                "-".to_owned()
            } else {
                carried.join(", ")
            },
            if carried.len() < r.sequences.len() {
                format!(
                    " (the other {} autoincrement columns start at 1)",
                    r.sequences.len() - carried.len()
                )
            } else {
                String::new()
            }
        ));
    }
    text
}
