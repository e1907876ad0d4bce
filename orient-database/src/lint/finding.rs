//! What the linter reports: a [`Finding`] with a stable [`Code`], where it is, why it matters and what to
//! write instead. The codes are a contract (README "Lint" lists them): a code is never reused for
//! another rule.

use serde::{Serialize, Serializer};

/// Every rule's stable code. `OL0xx` are about the allows themselves, `OL1xx` destroy data, `OL2xx`
/// break services still running the previous version, `OL3xx` are PostgreSQL lock hazards, `OL4xx`
/// SQLite hazards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// `-- orient:allow` without a known code or without a reason.
    MalformedAllow,
    /// `-- orient:allow CODE` that accepted no finding.
    UnusedAllow,
    DropTable,
    DropColumn,
    NarrowColumn,
    RenameTable,
    RenameColumn,
    AddRequiredColumn,
    IndexWithoutConcurrently,
    RewritingTypeChange,
    VolatileDefault,
    ValidatedForeignKey,
    SetNotNullScan,
    RebuildCascades,
    ForeignKeysPragmaInTransaction,
}

impl Code {
    pub const ALL: [Code; 15] = [
        Code::MalformedAllow,
        Code::UnusedAllow,
        Code::DropTable,
        Code::DropColumn,
        Code::NarrowColumn,
        Code::RenameTable,
        Code::RenameColumn,
        Code::AddRequiredColumn,
        Code::IndexWithoutConcurrently,
        Code::RewritingTypeChange,
        Code::VolatileDefault,
        Code::ValidatedForeignKey,
        Code::SetNotNullScan,
        Code::RebuildCascades,
        Code::ForeignKeysPragmaInTransaction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedAllow => "OL001",
            Code::UnusedAllow => "OL002",
            Code::DropTable => "OL101",
            Code::DropColumn => "OL102",
            Code::NarrowColumn => "OL103",
            Code::RenameTable => "OL201",
            Code::RenameColumn => "OL202",
            Code::AddRequiredColumn => "OL203",
            Code::IndexWithoutConcurrently => "OL301",
            Code::RewritingTypeChange => "OL302",
            Code::VolatileDefault => "OL303",
            Code::ValidatedForeignKey => "OL304",
            Code::SetNotNullScan => "OL305",
            Code::RebuildCascades => "OL401",
            Code::ForeignKeysPragmaInTransaction => "OL402",
        }
    }

    /// The code written in an allow, case-insensitively.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }

    /// The family of the rule, for people and for JSON.
    pub fn category(self) -> &'static str {
        match self.as_str().as_bytes().get(2) {
            Some(b'1') => "destructive",
            Some(b'2') => "backward-incompatible",
            Some(b'3') => "postgres-lock",
            Some(b'4') => "sqlite-hazard",
            _ => "allow",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One problem in one migration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    /// [`Code::category`].
    pub category: &'static str,
    /// The migration file, as it was named (relative to the project when linting the project).
    pub file: String,
    /// The line the statement starts on (1-based).
    pub line: u64,
    /// The statement's first line, shortened.
    pub statement: String,
    /// What the statement does, naming the table and column.
    pub message: String,
    /// Why that is a problem.
    pub why: String,
    /// The safe alternative.
    pub instead: String,
    /// The allow's reason, when a `-- orient:allow` accepted this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
}

impl Finding {
    /// `file:line: CODE message`, then why and the alternative, indented.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}:{}: {} {}\n    statement: {}\n    why: {}\n    instead: {}\n",
            self.file, self.line, self.code, self.message, self.statement, self.why, self.instead
        );
        if let Some(reason) = &self.allowed {
            text.push_str(&format!("    allowed: {reason}\n"));
        }
        text
    }
}

/// A statement the linter could not parse (a PL/pgSQL `DO` block, syntax the parser does not know):
/// it is reported, not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: String,
    pub line: u64,
    pub statement: String,
    pub reason: String,
}
