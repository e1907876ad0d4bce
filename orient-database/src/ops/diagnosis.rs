//! What `orient-db doctor` reports ([`crate::ops::doctor`]): findings, each with a stable code, a
//! severity, the file and the fix, collected check by check into a [`DoctorReport`]. Every engine's
//! checks (SQLite's: `dialect/sqlite/doctor.rs`) add to a [`Diagnosis`], and the doctor runs them, so
//! neither side depends on the other.

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
    pub database: PathBuf,
    /// The user the checks were made as (file permissions are judged for this user).
    pub user: User,
    pub sqlite_version: Option<String>,
    /// No finding at all.
    pub healthy: bool,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRun>,
}

/// Collects findings check by check.
#[derive(Debug)]
pub struct Diagnosis {
    pub database: PathBuf,
    pub user: User,
    findings: Vec<Finding>,
    checks: Vec<CheckRun>,
    current: Option<(&'static str, usize)>,
}

impl Diagnosis {
    pub(crate) fn new(database: &Path) -> Diagnosis {
        Diagnosis {
            database: database.to_path_buf(),
            user: current_user(),
            findings: Vec::new(),
            checks: Vec::new(),
            current: None,
        }
    }

    /// Starts the check `name`; findings added until the next call belong to it.
    pub fn check(&mut self, name: &'static str) {
        self.close();
        self.current = Some((name, self.findings.len()));
    }

    /// Records that the check `name` could not run, and why.
    pub fn skip(&mut self, name: &'static str, reason: impl Into<String>) {
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
            database: self.database,
            user: self.user,
            sqlite_version,
            healthy: findings.is_empty(),
            findings,
            checks: self.checks,
        }
    }
}
