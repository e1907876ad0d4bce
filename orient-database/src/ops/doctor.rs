//! `orient-db doctor`: checks a database and says, for each problem, what was found (naming the file)
//! and how to fix it. It changes nothing: no file is created, written or removed, not even SQLite's
//! `-wal`/`-shm` (see [`crate::dialect::sqlite::inspect`]), and it reports rather than fails when the
//! database cannot be opened at all.
//!
//! The checks, in order (file-level ones first, because opening a connection must come after reading
//! the WAL's index):
//!
//! 1. `files`: the database, its directory, `-wal`, `-shm` and `-journal`: existence, owner and mode
//!    against the user running doctor and against the database file's owner; a read-only mount; free
//!    space against the database's size; the migration lock's holder (`<db>.migrate-lock`);
//! 2. `wal`: the WAL's size and whether a reader pins it (checkpoint starvation), from `-shm` and the
//!    kernel's lock table, without running a checkpoint;
//! 3. `integrity_check` and `foreign_key_check`;
//! 4. `migrations`: pending, unknown (applied by a newer binary) and edited migrations;
//! 5. `schema`: tables the structs declare and the database lacks, and drift;
//! 6. `compile_options`: the linked SQLite's compile options against the recommended ones.
//!
//! On PostgreSQL, (1), (2) and (6) become catalog checks (connection limits, `pg_stat_activity` for idle
//! transactions holding back vacuum, replication slots, `pg_locks` for the advisory migration lock,
//! server settings), (3) becomes `amcheck` and constraint validation, and (4)–(5) are the same.

use std::path::Path;

use crate::check::check_database;
use crate::db::backend::DbConnection;
use crate::db::config::Config;
use crate::dialect::sqlite::{Sqlite, doctor as sqlite_doctor, inspect};
use crate::engine::EngineConnection;
use crate::migrations::{self, runner};
use crate::model::Schema;
pub use crate::ops::diagnosis::{
    CheckRun, Code, Diagnosis, DoctorReport, Finding, Outcome, Severity,
};

/// Checks the database of `config`. Never fails: what cannot be checked is reported as skipped, with
/// the reason, and what stops the database from opening is a finding.
///
/// SQLite only: the command refuses a PostgreSQL configuration before calling this.
pub fn diagnose(config: &Config) -> DoctorReport {
    let path = config
        .sqlite_path()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut d = Diagnosis::new(&path);

    // File-level checks, before any connection of this process has the database open.
    d.check("files");
    let present = sqlite_doctor::files(&mut d, &path);
    d.check("migration_lock");
    sqlite_doctor::migration_lock(&mut d, &path);
    d.check("wal");
    sqlite_doctor::wal(&mut d, &path);

    let opened = if present {
        match sqlite_doctor::open(&mut d, &path) {
            Some(opened) => Some(opened),
            None => {
                for name in ["integrity", "migrations", "schema"] {
                    d.skip(
                        name,
                        "the database could not be opened (see the findings above)",
                    );
                }
                None
            }
        }
    } else {
        for name in ["open", "integrity", "migrations", "schema"] {
            d.skip(
                name,
                format!("there is no database file at {}", path.display()),
            );
        }
        None
    };

    let mut sqlite_version = None;
    if let Some(mut opened) = opened {
        d.check("integrity");
        sqlite_doctor::integrity(&mut d, &mut opened.conn, &path);
        d.check("migrations");
        let pending = migrations_check(&mut d, &mut opened.conn, &path);
        d.check("schema");
        schema_check(&mut d, &mut opened.conn, &path, pending);
        sqlite_version = inspect::sqlite_version(&mut opened.conn).ok();
    }

    d.check("compile_options");
    let version = sqlite_doctor::compile_options(&mut d);
    d.close();
    d.finish(sqlite_version.or(version))
}

/// Pending, unknown and edited migrations. Returns how many are pending.
fn migrations_check(d: &mut Diagnosis, conn: &mut DbConnection, path: &Path) -> usize {
    let all = match migrations::embedded() {
        Ok(all) => all,
        Err(e) => {
            d.skip(
                "migrations",
                format!("this binary's migrations cannot be read: {e}"),
            );
            return 0;
        }
    };
    let status = match runner::status(conn, &all) {
        Ok(status) => status,
        Err(e) => {
            d.skip(
                "migrations",
                format!("the migration ledger cannot be read: {e}"),
            );
            return 0;
        }
    };
    if !status.unknown.is_empty() {
        let versions: Vec<&str> = status.unknown.iter().map(|a| a.version.as_str()).collect();
        d.add(
            Code::MigrationsUnknown,
            Severity::Error,
            Some(path),
            format!(
                "{} has migrations this binary does not know: {} (applied by a newer version); every \
                 command that writes refuses it",
                path.display(),
                versions.join(", ")
            ),
            "Use the orient-db (and services) of the version that applied them: upgrade this binary, or \
             check out the branch that added those migrations",
        );
    }
    for m in &status.modified {
        d.add(
            Code::MigrationsEdited,
            Severity::Error,
            Some(path),
            format!(
                "migration {} ({}) was edited after it was applied to {}: checksum {} recorded, {} now; \
                 `orient-db migrate` refuses to run",
                m.name,
                m.file,
                path.display(),
                m.stored,
                m.current
            ),
            format!(
                "Revert the edit to {} (e.g. `git checkout -- {}`); a change to the schema goes in a new \
                 migration (`orient-db generate <name>`)",
                m.file, m.file
            ),
        );
    }
    let pending = status.pending.len();
    if pending > 0 {
        let names: Vec<String> = status.pending.iter().map(|m| m.name.to_string()).collect();
        let adopt = status.applied.is_empty();
        d.add(
            Code::MigrationsPending,
            Severity::Warning,
            Some(path),
            format!(
                "{} migration{} of this binary {} not applied to {}: {}{}",
                pending,
                if pending == 1 { "" } else { "s" },
                if pending == 1 { "is" } else { "are" },
                path.display(),
                names.join(", "),
                if adopt {
                    " (the database has no migration ledger)"
                } else {
                    ""
                }
            ),
            if adopt {
                "Run `orient-db migrate`: it adopts a database whose schema matches the first migrations \
                 and applies the rest (a services' first open does the same)"
                    .to_owned()
            } else {
                "Run `orient-db migrate` (a service's first open does the same); a data-losing migration \
                 takes an automatic snapshot first"
                    .to_owned()
            },
        );
    }
    pending
}

/// Registered tables the database lacks, and drift from the structs.
fn schema_check(d: &mut Diagnosis, conn: &mut DbConnection, path: &Path, pending: usize) {
    let live = match conn.introspect() {
        Ok(live) => live.schema,
        Err(e) => {
            d.skip("schema", format!("the schema cannot be read: {e}"));
            return;
        }
    };
    let declared = Schema::from_declared(crate::schema::TABLES);
    let check = check_database(Some(&live), &declared, &Sqlite);
    let after_migrate = if pending > 0 {
        " Apply the pending migrations first (`orient-db migrate`): they may add them."
    } else {
        ""
    };
    if !check.missing_tables.is_empty() {
        d.add(
            Code::MissingTables,
            Severity::Error,
            Some(path),
            format!(
                "{} lacks {} table{} the structs declare: {}; code using them fails with \"no such table\"",
                path.display(),
                check.missing_tables.len(),
                if check.missing_tables.len() == 1 { "" } else { "s" },
                check.missing_tables.join(", ")
            ),
            format!(
                "Run `orient-db migrate` (or `orient-db push` on a development database whose migrations \
                 are all applied).{after_migrate}"
            ),
        );
    }
    if !check.differences.is_empty() {
        let listed: Vec<String> = check
            .differences
            .iter()
            .map(|difference| format!("  - {}", difference.message))
            .collect();
        d.add(
            Code::SchemaDrift,
            Severity::Warning,
            Some(path),
            format!(
                "{} differs from the declared structs in {} place{}:\n{}",
                path.display(),
                check.differences.len(),
                if check.differences.len() == 1 { "" } else { "s" },
                listed.join("\n")
            ),
            format!(
                "If the structs are right: `orient-db push --dry-run` shows what would make the database \
                 match (`orient-db generate <name>` for a migration); if the database is right, change the \
                 structs. `orient-db check` lists the same differences.{after_migrate}"
            ),
        );
    }
}
