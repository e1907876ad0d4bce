//! What `orient-db doctor` reports ([`crate::ops::doctor`]): findings, each with a stable code, a
//! severity, the file and the fix, collected check by check into a [`DoctorReport`]. Every engine's
//! checks (SQLite's: `dialect/sqlite/doctor.rs`, PostgreSQL's: `dialect/postgres/doctor/`) add to a
//! [`Diagnosis`], and the doctor runs them, so neither side depends on the other.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::os::user::{User, current_user};

/// How bad a finding is. Both kinds make doctor exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something fails now, or data is at risk.
    Error,
    /// Something will fail later, or works worse than it should.
    Warning,
}

/// The stable identifier of a kind of finding (`--json`'s `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    DatabaseMissing,
    DirectoryMissing,
    NotADatabase,
    CannotOpen,
    FileNotReadable,
    FileNotWritable,
    FileOwnerMismatch,
    DirectoryNotWritable,
    ReadOnlyMount,
    LowDiskSpace,
    NotWalMode,
    WalUnread,
    WalCheckpointStarved,
    WalNotCheckpointed,
    WalLarge,
    IntegrityCheckFailed,
    ForeignKeyViolations,
    MigrationsPending,
    MigrationsUnknown,
    MigrationsEdited,
    MissingTables,
    SchemaDrift,
    MigrationLockHeld,
    MigrationLockSymlink,
    CompileOptions,
    /// PostgreSQL: nothing answers at the configured host and port.
    ServerUnreachable,
    /// PostgreSQL: the server refused the user (password, `pg_hba.conf`, no such role).
    LoginRefused,
    /// PostgreSQL: a session has been idle inside a transaction for longer than the threshold.
    IdleInTransaction,
    /// PostgreSQL: a replication slot nobody consumes, retaining WAL on the server.
    ReplicationSlotInactive,
    /// PostgreSQL: a constraint added `NOT VALID` and never validated.
    ConstraintNotValid,
    /// PostgreSQL: an index marked invalid (a failed `CREATE INDEX CONCURRENTLY`).
    IndexInvalid,
    /// PostgreSQL: `amcheck` found an index inconsistent with its table.
    AmcheckFailed,
    /// PostgreSQL: a server setting that risks data (`fsync`, `full_page_writes`…).
    ServerSetting,
    /// PostgreSQL: the connections in use are close to `max_connections`.
    ConnectionsNearLimit,
}

impl Code {
    /// The code as `--json` writes it.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One problem and its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The file (or directory) concerned.
    pub file: Option<PathBuf>,
    /// What was found, naming the file.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Problems { findings: usize },
    Skipped { reason: String },
}

/// One check that ran (or could not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRun {
    pub name: &'static str,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// The database file, or the server's URL with its password hidden.
    pub database: String,
    /// The user the checks were made as (file permissions are judged for this user).
    pub user: User,
    /// SQLite: the linked library's version.
    pub sqlite_version: Option<String>,
    /// PostgreSQL: the server's version, when it could be reached.
    pub server_version: Option<String>,
    /// PostgreSQL: the role doctor connected as (what the server shows it, judged its privileges by).
    pub role: Option<String>,
    /// No finding at all.
    pub healthy: bool,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRun>,
}

/// The checks `--skip` may leave out: those no other check depends on (`files`, `open` and
/// `connection` decide whether the rest can run at all).
pub const SKIPPABLE: [&str; 13] = [
    "migration_lock",
    "wal",
    "integrity",
    "migrations",
    "schema",
    "compile_options",
    "idle_transactions",
    "replication_slots",
    "constraints",
    "indexes",
    "amcheck",
    "server_settings",
    "connections",
];

/// Collects findings check by check.
#[derive(Debug)]
pub struct Diagnosis {
    pub engine: &'static str,
    pub database: String,
    pub user: User,
    pub server_version: Option<String>,
    pub role: Option<String>,
    findings: Vec<Finding>,
    checks: Vec<CheckRun>,
    current: Option<(&'static str, usize)>,
    /// The checks the user asked to leave out (`--skip`).
    unwanted: Vec<String>,
}

impl Diagnosis {
    pub(crate) fn new(engine: &'static str, database: impl Into<String>) -> Diagnosis {
        Diagnosis {
            engine,
            database: database.into(),
            user: current_user(),
            server_version: None,
            role: None,
            findings: Vec::new(),
            checks: Vec::new(),
            current: None,
            unwanted: Vec::new(),
        }
    }

    /// Leaves out the checks named in `skip` (each recorded as skipped, saying so).
    pub(crate) fn leaving_out(mut self, skip: &[String]) -> Diagnosis {
        self.unwanted = skip.to_vec();
        self
    }

    /// Starts the check `name`; findings added until the next call belong to it. Returns whether it
    /// is to run: `false` when `--skip` left it out (and then it is recorded as skipped).
    pub fn check(&mut self, name: &'static str) -> bool {
        self.close();
        if self.unwanted.iter().any(|u| u == name) {
            self.checks.push(CheckRun {
                name,
                outcome: Outcome::Skipped {
                    reason: format!("left out by --skip {name}"),
                },
            });
            return false;
        }
        self.current = Some((name, self.findings.len()));
        true
    }

    /// Records that the check `name` could not run, and why. Called inside the check itself (it began,
    /// then found it cannot go on), the check is recorded once, as skipped.
    pub fn skip(&mut self, name: &'static str, reason: impl Into<String>) {
        if matches!(self.current, Some((current, _)) if current == name) {
            self.current = None;
        }
        self.close();
        self.checks.push(CheckRun {
            name,
            outcome: Outcome::Skipped {
                reason: reason.into(),
            },
        });
    }

    pub(crate) fn close(&mut self) {
        if let Some((name, start)) = self.current.take() {
            let findings = self.findings.len() - start;
            self.checks.push(CheckRun {
                name,
                outcome: if findings == 0 {
                    Outcome::Ok
                } else {
                    Outcome::Problems { findings }
                },
            });
        }
    }

    pub fn add(
        &mut self,
        code: Code,
        severity: Severity,
        file: Option<&Path>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            code,
            severity,
            file: file.map(Path::to_path_buf),
            message: message.into(),
            fix: fix.into(),
        });
    }

    /// Whether a finding of this code was already made (so a cause is reported once, not per symptom).
    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    pub(crate) fn finish(mut self, sqlite_version: Option<String>) -> DoctorReport {
        self.close();
        let mut findings = self.findings;
        // Errors first; within a severity, in the order the checks found them.
        findings.sort_by_key(|f| f.severity);
        DoctorReport {
            engine: self.engine,
            database: self.database,
            user: self.user,
            sqlite_version,
            server_version: self.server_version,
            role: self.role,
            healthy: findings.is_empty(),
            findings,
            checks: self.checks,
        }
    }
}
