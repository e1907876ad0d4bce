//! What a transfer reports, and the comparison of the two databases' content checksums behind it:
//! for each table, its rows and checksum on each side and whether they agree, and how that table was
//! compared. Application tables must have equal checksums. The tools' tables are compared by what
//! must agree, said in [`TableCheck::compared`], never skipped silently:
//!
//! - the migration ledger (`__diesel_schema_migrations`): the same versions (its `run_on` is when each
//!   engine applied them, so its checksum differs);
//! - the migration checksums (`__orient_migration_checksums`): the same versions, each with a checksum
//!   (each engine's are of its own dialect's `up.sql`);
//! - the push log and the original Orient's ledger are not carried: they are the history of the
//!   source database, not data; any other table no struct declares is not carried either.

use serde::Serialize;

use crate::bookkeeping::{DIESEL_LEDGER, DRIZZLE_LEDGER, PUSH_LOG, is_bookkeeping_table};
use crate::migrations::backend::LedgerEntry;
use crate::migrations::checksum::CHECKSUM_TABLE;
use crate::ops::checksum::{ContentChecksum, TableChecksum};

/// What kind of table a line of the report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// A table a struct declares: copied, and its content checksum compared.
    Application,
    /// The migration ledger: written by migrating the target, versions compared.
    Ledger,
    /// The checksums of applied migrations: written by migrating the target, versions compared.
    MigrationChecksums,
    /// Not copied (see [`TableCheck::compared`] for why).
    NotCarried,
}

/// One table, on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCheck {
    pub table: String,
    pub kind: TableKind,
    /// How the two sides were compared, or why the table is not carried.
    pub compared: &'static str,
    pub source_rows: Option<u64>,
    pub target_rows: Option<u64>,
    /// The table's content checksum (`orient-content-v1`) on each side.
    pub source_sha256: Option<String>,
    pub target_sha256: Option<String>,
    pub ok: bool,
}

/// The next id of an autoincrement column after the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SequenceMark {
    pub table: String,
    pub column: String,
    /// The highest id in the source's rows.
    pub source_max_id: Option<i64>,
    /// The highest id the source's engine ever handed out (above the highest row when the last rows
    /// were deleted), as it keeps it.
    pub source_counter: Option<i64>,
    /// What the target hands out next: one above both.
    pub next_id: i64,
}

/// What `orient-db transfer` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferReport {
    /// The source: its file, or its URL with the password hidden.
    pub source: String,
    pub source_engine: &'static str,
    pub target: String,
    pub target_engine: &'static str,
    /// The checksum definition both sides were verified with.
    pub algorithm: &'static str,
    /// The migration versions the target's ledger holds (its own dialect's migrations, the source's
    /// versions).
    pub versions: Vec<String>,
    /// Migrations applied to the target to bring it to the source's schema.
    pub migrations_applied: Vec<String>,
    /// Rows deleted from the target first (`--replace`).
    pub rows_replaced: u64,
    /// Rows copied, in all tables.
    pub rows: u64,
    pub tables: Vec<TableCheck>,
    pub sequences: Vec<SequenceMark>,
    /// Whether every table checked out (a transfer that does not is rolled back, so a report is
    /// only ever returned with `ok`).
    pub ok: bool,
}

/// The versions of a ledger.
fn versions(ledger: &[LedgerEntry]) -> Vec<&str> {
    ledger.iter().map(|e| e.version.as_str()).collect()
}

/// Compares the two checksums table by table. `application` names the tables the structs declare.
pub fn compare(
    source: &ContentChecksum,
    target: &ContentChecksum,
    source_ledger: &[LedgerEntry],
    target_ledger: &[LedgerEntry],
    application: &[&str],
) -> Vec<TableCheck> {
    let mut names: Vec<&str> = source
        .tables
        .iter()
        .chain(&target.tables)
        .map(|t| t.table.as_str())
        .collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names.dedup();
    let find = |sums: &ContentChecksum, name: &str| -> Option<TableChecksum> {
        sums.tables.iter().find(|t| t.table == name).cloned()
    };
    let same_versions = versions(source_ledger) == versions(target_ledger);
    names
        .into_iter()
        .map(|name| {
            let s = find(source, name);
            let t = find(target, name);
            let both_equal = match (&s, &t) {
                (Some(s), Some(t)) => s.rows == t.rows && s.sha256 == t.sha256,
                _ => false,
            };
            let (kind, compared, ok) = if application.contains(&name) {
                (TableKind::Application, "content checksum", both_equal)
            } else if name == DIESEL_LEDGER {
                (
                    TableKind::Ledger,
                    "versions (run_on is when each engine applied them)",
                    same_versions,
                )
            } else if name == CHECKSUM_TABLE {
                (
                    TableKind::MigrationChecksums,
                    "versions (each engine's checksums are of its own up.sql)",
                    same_versions && target_ledger.iter().all(|e| e.checksum.is_some()),
                )
            } else if name == PUSH_LOG {
                (
                    TableKind::NotCarried,
                    "not carried: the pushes made to the source, its history",
                    true,
                )
            } else if name == DRIZZLE_LEDGER {
                (
                    TableKind::NotCarried,
                    "not carried: the original Orient's ledger, superseded by Diesel's",
                    true,
                )
            } else if is_bookkeeping_table(name) {
                (
                    TableKind::NotCarried,
                    "not carried: a table of the tools",
                    true,
                )
            } else {
                (
                    TableKind::NotCarried,
                    "not carried: no struct declares it",
                    true,
                )
            };
            TableCheck {
                table: name.to_owned(),
                kind,
                compared,
                source_rows: s.as_ref().map(|s| s.rows),
                target_rows: t.as_ref().map(|t| t.rows),
                source_sha256: s.map(|s| s.sha256),
                target_sha256: t.map(|t| t.sha256),
                ok,
            }
        })
        .collect()
}

/// Why a line is not ok, for the error that rolls the transfer back.
pub fn describe_failure(check: &TableCheck) -> String {
    let rows = |n: Option<u64>| n.map_or_else(|| "missing".to_owned(), |n| format!("{n} rows"));
    format!(
        "{} ({}): source {} {}, target {} {}",
        check.table,
        check.compared,
        rows(check.source_rows),
        check.source_sha256.as_deref().unwrap_or("-"),
        rows(check.target_rows),
        check.target_sha256.as_deref().unwrap_or("-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::checksum::combine;

    fn sums(tables: &[(&str, u64, &str)]) -> ContentChecksum {
        combine(
            tables
                .iter()
                .map(|(t, rows, sha)| TableChecksum {
                    table: (*t).to_owned(),
                    rows: *rows,
                    sha256: (*sha).to_owned(),
                    bookkeeping: is_bookkeeping_table(t),
                })
                .collect(),
        )
    }

    fn ledger(versions: &[&str]) -> Vec<LedgerEntry> {
        versions
            .iter()
            .map(|v| LedgerEntry {
                version: (*v).to_owned(),
                run_on: None,
                checksum: Some("c".to_owned()),
            })
            .collect()
    }

    #[test]
    fn application_tables_by_checksum_tools_tables_by_what_must_agree() {
        let source = sums(&[
            ("__diesel_schema_migrations", 2, "l1"),
            ("__orient_push_log", 1, "p"),
            ("agents", 3, "a"),
            ("groups", 1, "g"),
        ]);
        let target = sums(&[
            ("__diesel_schema_migrations", 2, "l2"),
            ("agents", 3, "a"),
            ("groups", 1, "other"),
        ]);
        let checks = compare(
            &source,
            &target,
            &ledger(&["1", "2"]),
            &ledger(&["1", "2"]),
            &["agents", "groups"],
        );
        let by = |name: &str| checks.iter().find(|c| c.table == name).cloned();
        assert!(by("__diesel_schema_migrations").is_some_and(|c| c.ok));
        assert!(by("__orient_push_log").is_some_and(|c| c.ok && c.kind == TableKind::NotCarried));
        assert!(by("agents").is_some_and(|c| c.ok));
        let groups = by("groups");
        assert!(groups.as_ref().is_some_and(|c| !c.ok));
        assert!(groups.is_some_and(|c| describe_failure(&c).contains("other")));
        let fewer = compare(&source, &target, &ledger(&["1", "2"]), &ledger(&["1"]), &[]);
        assert!(fewer.iter().any(|c| c.kind == TableKind::Ledger && !c.ok));
    }
}
