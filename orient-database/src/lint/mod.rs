//! `orient-db lint`: findings in migration SQL before it runs anywhere. Destructive changes (OL1xx),
//! changes that break services still running the previous version (OL2xx), PostgreSQL lock hazards
//! (OL3xx, [`crate::dialect::postgres::lint`]) and SQLite hazards (OL4xx,
//! [`crate::dialect::sqlite::lint`]). README "Lint" documents the codes, the allows and the JSON.
//!
//! - [`statement`]: a file cut into statements with line numbers and parsed by sqlparser;
//! - [`catalog`]: the tables the earlier migrations made, replayed from their SQL;
//! - [`rules`]: the engine-neutral rules; [`allow`]: `-- orient:allow CODE reason`;
//! - [`finding`]: what is reported.
//!
//! "An existing table" is any table this migration did not create itself: one an earlier migration of
//! the same directory created (the directory is replayed in version order), or one the linter has never
//! seen (a file linted on its own), which is assumed to hold rows. Only `up.sql` files are linted when a
//! directory is: a `down.sql` undoes its `up.sql` and drops what it made by design (a down.sql named on
//! the command line is linted like any file).

pub mod allow;
pub mod catalog;
pub mod engine;
pub mod engine_rules;
pub mod finding;
pub mod rules;
pub mod statement;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlparser::ast;

pub use engine::Engine;
pub use engine_rules::{Context, EngineRules, Hit};
pub use finding::{Code, Finding, Skipped};

use crate::dialect::postgres::lint::PostgresRules;
use crate::dialect::sqlite::lint::SqliteRules;
use crate::migrations::Migration;
use catalog::{Catalog, TableInfo};
use statement::{Statement, is_temporary_name, object_name};

/// The rules of `engine`'s dialect.
fn rules(engine: Engine) -> Box<dyn EngineRules> {
    match engine {
        Engine::Sqlite => Box::new(SqliteRules::default()),
        Engine::Postgres => Box::new(PostgresRules),
    }
}

/// What linting found in some files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Whether nothing was found (findings accepted by an allow do not count).
    pub clean: bool,
    /// The files linted, in order.
    pub files: Vec<String>,
    pub findings: Vec<Finding>,
    /// Findings accepted by `-- orient:allow`, with the allow's reason.
    pub allowed: Vec<Finding>,
    /// Statements that could not be parsed and were not checked.
    pub skipped: Vec<Skipped>,
}

impl Report {
    pub fn new() -> Report {
        Report {
            clean: true,
            ..Report::default()
        }
    }

    pub fn extend(&mut self, other: Report) {
        self.files.extend(other.files);
        self.findings.extend(other.findings);
        self.allowed.extend(other.allowed);
        self.skipped.extend(other.skipped);
        self.clean = self.findings.is_empty();
    }

    /// Text for people: every finding, the accepted ones, the skipped statements and a summary line.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for finding in &self.findings {
            text.push_str(&finding.to_text());
        }
        for finding in &self.allowed {
            text.push_str(&format!(
                "{}:{}: {} accepted by orient:allow ({}): {}\n",
                finding.file,
                finding.line,
                finding.code,
                finding.allowed.as_deref().unwrap_or_default(),
                finding.message
            ));
        }
        for skipped in &self.skipped {
            text.push_str(&format!(
                "{}:{}: not checked, the statement could not be parsed ({}): {}\n",
                skipped.file, skipped.line, skipped.reason, skipped.statement
            ));
        }
        let files = self.files.len();
        if self.findings.is_empty() {
            text.push_str(&format!(
                "ok: no lint findings in {files} migration file{}\n",
                if files == 1 { "" } else { "s" }
            ));
        } else {
            text.push_str(&format!(
                "{} lint finding{} in {files} migration file{} (README \"Lint\" explains each code; \
                 accept one with `-- orient:allow CODE <reason>` before its statement)\n",
                self.findings.len(),
                if self.findings.len() == 1 { "" } else { "s" },
                if files == 1 { "" } else { "s" },
            ));
        }
        text
    }
}

/// Why files could not be linted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{}: no such file; name migration files (e.g. migrations/postgres/<version>/up.sql), or name none \
         to lint every migration of migrations/sqlite and migrations/postgres",
        path.display()
    )]
    NotFound { path: PathBuf },
    #[error(
        "{}: cannot tell whether this is SQLite or PostgreSQL SQL: keep it under a directory named \
         sqlite or postgres (like migrations/postgres/<version>/up.sql), or pass --engine sqlite|postgres",
        path.display()
    )]
    UnknownEngine { path: PathBuf },
    #[error("cannot read {}: {source}; check that it is a readable file", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Migrations(#[from] crate::migrations::Error),
}

impl Error {
    /// A mistake in the command line (exit 2), not an I/O failure.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::NotFound { .. } | Error::UnknownEngine { .. })
    }
}

/// Lints migrations of one engine in order, carrying what each created to the next.
#[derive(Debug)]
pub struct Linter {
    engine: Engine,
    catalog: Catalog,
}

impl Linter {
    pub fn new(engine: Engine) -> Linter {
        Linter {
            engine,
            catalog: Catalog::default(),
        }
    }

    /// Lints one migration's SQL (`file` names it in findings); `in_transaction` is Diesel's
    /// `run_in_transaction` for it. Its tables are remembered for the migrations after it.
    pub fn lint(&mut self, file: &str, sql: &str, in_transaction: bool) -> Report {
        let mut report = Report::new();
        report.files.push(file.to_owned());
        let statements = match statement::split(sql, self.engine) {
            Ok(statements) => statements,
            Err((line, reason)) => {
                report.skipped.push(Skipped {
                    file: file.to_owned(),
                    line,
                    statement: "the whole file".to_owned(),
                    reason,
                });
                return report;
            }
        };
        let mut run = Run {
            file,
            before: self.catalog.clone(),
            catalog: &mut self.catalog,
            rules: rules(self.engine),
            created_here: BTreeSet::new(),
            guards: Vec::new(),
            in_transaction,
            pending_drops: Vec::new(),
        };
        let mut hits: Vec<Vec<Hit>> = Vec::new();
        for statement in &statements.statements {
            let mut found = Vec::new();
            run.statement(statement, &mut found, &mut report, &mut hits);
            hits.push(found);
        }
        for drop in std::mem::take(&mut run.pending_drops) {
            if let Some(found) = hits.get_mut(drop.statement) {
                found.push(rules::drop_table(&drop.table, drop.guarded));
            }
        }
        for (statement, found) in statements.statements.iter().zip(hits) {
            accept(file, statement, found, &mut report);
        }
        for allow in allow::allows(&statements.trailing) {
            report
                .findings
                .push(allow_finding(file, &allow, allow.parsed.as_ref().err()));
        }
        report.findings.sort_by_key(|f| f.line);
        report.clean = report.findings.is_empty();
        report
    }
}

/// A `DROP TABLE` whose finding waits for the end of the migration: a rename of a new table into its
/// name makes it a rebuild, reported by what the rebuild changes instead.
#[derive(Debug)]
struct PendingDrop {
    statement: usize,
    table: String,
    info: Option<TableInfo>,
    guarded: bool,
}

/// One migration being linted.
#[derive(Debug)]
struct Run<'a> {
    file: &'a str,
    before: Catalog,
    catalog: &'a mut Catalog,
    rules: Box<dyn EngineRules>,
    created_here: BTreeSet<String>,
    guards: Vec<String>,
    in_transaction: bool,
    pending_drops: Vec<PendingDrop>,
}

/// Whether a statement is one of our data-loss guards (`Dialect::loss_guard`: a PostgreSQL `DO` block,
/// SQLite's temporary CHECK table and its insert and drop), which the rules do not check.
fn is_guard(statement: &Statement) -> bool {
    statement.text.contains("orient_guard") || statement.text.contains("\"orient_loss_guard\"")
}

impl Run<'_> {
    fn statement(
        &mut self,
        statement: &Statement,
        found: &mut Vec<Hit>,
        report: &mut Report,
        earlier: &mut [Vec<Hit>],
    ) {
        // Transaction control is read from the words, so it is followed even where the parser fails.
        if statement.starts_with(&["BEGIN"]) || statement.starts_with(&["START", "TRANSACTION"]) {
            self.in_transaction = true;
            return;
        }
        if statement.starts_with(&["COMMIT"])
            || statement.starts_with(&["END"])
            || statement.starts_with(&["ROLLBACK"])
        {
            self.in_transaction = false;
            return;
        }
        if is_guard(statement) {
            self.guards.push(statement.text.clone());
            return;
        }
        let parsed = match &statement.parsed {
            Ok(parsed) => Some(parsed),
            // Pragmas are read from their words (the SQLite rules), which the parser does not need.
            Err(_) if statement.starts_with(&["PRAGMA"]) => None,
            Err(reason) => {
                report.skipped.push(Skipped {
                    file: self.file.to_owned(),
                    line: statement.line,
                    statement: statement.summary(),
                    reason: reason.clone(),
                });
                None
            }
        };
        let context = Context {
            catalog: self.catalog,
            before: &self.before,
            created_here: &self.created_here,
            in_transaction: self.in_transaction,
            guards: &self.guards,
        };
        self.rules.check(&context, statement, found);
        let Some(parsed) = parsed else {
            return;
        };
        rules::check(&context, self.rules.as_ref(), parsed, found);
        self.track(parsed, earlier.len(), earlier);
        self.catalog.apply(parsed);
    }

    /// Follows tables created, dropped and renamed by this migration, and turns a drop followed by a
    /// rename into its name into a rebuild.
    fn track(&mut self, parsed: &ast::Statement, index: usize, earlier: &mut [Vec<Hit>]) {
        match parsed {
            ast::Statement::CreateTable(create) => {
                self.created_here.insert(object_name(&create.name));
            }
            ast::Statement::Drop {
                object_type: ast::ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    let table = object_name(name);
                    if is_temporary_name(name) || self.created_here.remove(&table) {
                        continue;
                    }
                    let guarded = self
                        .guards
                        .iter()
                        .any(|g| g.contains(&format!("`{table}`")));
                    self.pending_drops.push(PendingDrop {
                        statement: index,
                        info: self.catalog.table(&table).cloned(),
                        table,
                        guarded,
                    });
                }
            }
            ast::Statement::AlterTable(alter) => {
                let from = object_name(&alter.name);
                for operation in &alter.operations {
                    let ast::AlterTableOperation::RenameTable { table_name } = operation else {
                        continue;
                    };
                    let to = catalog::renamed_to(table_name);
                    if !self.created_here.remove(&from) {
                        continue;
                    }
                    let rebuilt = self.pending_drops.iter().position(|d| d.table == to);
                    match rebuilt {
                        Some(position) => {
                            let drop = self.pending_drops.remove(position);
                            if let (Some(old), Some(new), Some(hits)) = (
                                &drop.info,
                                self.catalog.table(&from),
                                earlier.get_mut(drop.statement),
                            ) {
                                rules::rebuild(
                                    &to,
                                    old,
                                    new,
                                    self.rules.as_ref(),
                                    drop.guarded,
                                    hits,
                                );
                            }
                        }
                        None => {
                            self.created_here.insert(to);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Turns a statement's hits into findings, accepting those its allows name.
fn accept(file: &str, statement: &Statement, hits: Vec<Hit>, report: &mut Report) {
    let mut open: Vec<Option<Hit>> = hits.into_iter().map(Some).collect();
    let finding = |hit: Hit, allowed: Option<String>| Finding {
        code: hit.code,
        category: hit.code.category(),
        file: file.to_owned(),
        line: statement.line,
        statement: statement.summary(),
        message: hit.message,
        why: hit.why,
        instead: hit.instead,
        allowed,
    };
    for allow in allow::allows(&statement.comments) {
        match &allow.parsed {
            Ok((code, reason)) => {
                let slot = open
                    .iter_mut()
                    .find(|h| h.as_ref().is_some_and(|h| h.code == *code));
                match slot.and_then(Option::take) {
                    Some(hit) => report.allowed.push(finding(hit, Some(reason.clone()))),
                    None => report.findings.push(allow_finding(file, &allow, None)),
                }
            }
            Err(problem) => report
                .findings
                .push(allow_finding(file, &allow, Some(problem))),
        }
    }
    report
        .findings
        .extend(open.into_iter().flatten().map(|hit| finding(hit, None)));
}

/// OL001 for a malformed allow (`problem`), OL002 for one that accepted nothing.
fn allow_finding(file: &str, allow: &allow::Allow, problem: Option<&String>) -> Finding {
    let (code, message, why, instead) = match problem {
        Some(problem) => (
            Code::MalformedAllow,
            format!("malformed allow: {problem}"),
            "an allow must name a known code and say why the finding is acceptable, so a reviewer \
             can judge it; this one accepts nothing",
            "write `-- orient:allow CODE <reason>` on a line just before the statement",
        ),
        None => (
            Code::UnusedAllow,
            "this allow accepts no finding: the next statement has no finding of its code left"
                .to_owned(),
            "a stale or misplaced allow hides nothing today and misleads the reader",
            "move it just before the statement it is about, or delete it",
        ),
    };
    Finding {
        code,
        category: code.category(),
        file: file.to_owned(),
        line: allow.line,
        statement: allow.text.clone(),
        message,
        why: why.to_owned(),
        instead: instead.to_owned(),
        allowed: None,
    }
}

/// Lints `migrations` (one engine's, in version order) as files of `label` (e.g. `migrations/postgres`):
/// each `up.sql`, in the context of those before it.
pub fn lint_migrations(engine: Engine, label: &str, migrations: &[Migration]) -> Report {
    let mut linter = Linter::new(engine);
    let mut report = Report::new();
    for migration in migrations {
        let file = format!("{label}/{}/up.sql", migration.name);
        report.extend(linter.lint(&file, &migration.up, migration.run_in_transaction));
    }
    report
}

/// Lints every migration of `dir` (see [`lint_migrations`]).
pub fn lint_directory(dir: &Path, engine: Engine, label: &str) -> Result<Report, Error> {
    let migrations = crate::migrations::source::from_directory_skipping_incomplete(dir)?;
    Ok(lint_migrations(engine, label, &migrations))
}

/// What `migrations` (one engine's, in version order) leave behind, replayed from their SQL alone: the
/// tables and their columns at the types written.
pub fn catalog_after(engine: Engine, migrations: &[Migration]) -> Catalog {
    let mut linter = Linter::new(engine);
    for migration in migrations {
        linter.lint("", &migration.up, migration.run_in_transaction);
    }
    linter.catalog
}

/// The findings of a migration about to be written after `existing` (`orient-db generate`'s header).
pub fn lint_new(
    engine: Engine,
    existing: &[Migration],
    file: &str,
    up: &str,
    in_transaction: bool,
) -> Vec<Finding> {
    let mut linter = Linter {
        engine,
        catalog: catalog_after(engine, existing),
    };
    linter.lint(file, up, in_transaction).findings
}

/// Lints one file named on the command line. In a migration directory
/// (`…/{sqlite,postgres}/<version>_<name>/up.sql`) the migrations before it give the context (for a
/// `down.sql`, its own `up.sql` too) and its `metadata.toml` says whether it runs in a transaction;
/// elsewhere it is linted alone, as running in one. `engine` overrides the directory's name.
pub fn lint_file(path: &Path, engine: Option<Engine>) -> Result<Report, Error> {
    if !path.is_file() {
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    }
    let sql = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let label = path.display().to_string();
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let version_dir = absolute.parent();
    let engine_dir = version_dir.and_then(Path::parent);
    let engine = engine
        .or_else(|| {
            absolute.ancestors().skip(1).find_map(|a| {
                a.file_name()
                    .and_then(|n| Engine::of_directory_name(&n.to_string_lossy()))
            })
        })
        .ok_or_else(|| Error::UnknownEngine {
            path: path.to_path_buf(),
        })?;
    let mut linter = Linter::new(engine);
    let mut in_transaction = true;
    if let (Some(version_dir), Some(engine_dir)) = (version_dir, engine_dir) {
        let name = version_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let migrations = crate::migrations::source::from_directory_skipping_incomplete(engine_dir)
            .unwrap_or_default();
        if let Some(position) = migrations.iter().position(|m| m.name == name) {
            let is_down = path.file_name().is_some_and(|n| n == "down.sql");
            let context = if is_down { position + 1 } else { position };
            for migration in &migrations[..context] {
                linter.lint("", &migration.up, migration.run_in_transaction);
            }
            in_transaction = migrations[position].run_in_transaction;
        }
    }
    Ok(linter.lint(&label, &sql, in_transaction))
}
