//! `orient-db doctor`: checks a database and says, for each problem, what was found (naming the file
//! or the server) and how to fix it. It changes nothing: on SQLite no file is created, written or
//! removed, not even SQLite's `-wal`/`-shm` (see [`crate::dialect::sqlite::inspect`]); on PostgreSQL its
//! session is read-only and it creates nothing (no extension, no table). It reports rather than fails
//! when the database cannot be opened or reached at all.
//!
//! The SQLite checks, in order (file-level ones first, because opening a connection must come after
//! reading the WAL's index):
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
//! On PostgreSQL (`dialect/postgres/doctor/`): `connection` (an unreachable server, a refused login or a
//! missing database is a finding), then (4) and (5) exactly as above, then the server's own views:
//! `migration_lock` (who holds the advisory lock, from `pg_locks` and `pg_stat_activity`),
//! `idle_transactions`, `replication_slots`, `constraints` (left `NOT VALID`), `indexes` (invalid),
//! `amcheck` (when the extension is installed), `server_settings` and `connections`.

use std::path::Path;
use std::time::Duration;

use crate::check::check_database;
use crate::db::backend::DbConnection;
use crate::db::config::Config;
use crate::db::target::Target;
use crate::dialect::sqlite::{Sqlite, doctor as sqlite_doctor, inspect};
use crate::engine::EngineConnection;
use crate::migrations::{self, Migration, runner};
use crate::model::Schema;
pub use crate::ops::diagnosis::{
    CheckRun, Code, Diagnosis, DoctorReport, Finding, Outcome, SKIPPABLE, Severity,
};
use crate::sql::Dialect;

/// How long a session may sit idle inside a transaction before doctor reports it (PostgreSQL), unless
/// `--idle-threshold` says otherwise: a web request's transaction lasts milliseconds, so a minute is
/// already a leak.
pub const DEFAULT_IDLE_THRESHOLD: Duration = Duration::from_secs(60);

/// What the command line may change about the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorOptions {
    /// PostgreSQL: sessions idle in a transaction for longer than this are findings.
    pub idle_threshold: Duration,
    /// Checks to leave out (names from [`SKIPPABLE`]).
    pub skip: Vec<String>,
}

impl Default for DoctorOptions {
    fn default() -> DoctorOptions {
        DoctorOptions {
            idle_threshold: DEFAULT_IDLE_THRESHOLD,
            skip: Vec::new(),
        }
    }
}

/// Checks the database of `config`. Never fails: what cannot be checked is reported as skipped, with
/// the reason, and what stops the database from opening is a finding.
pub fn diagnose(config: &Config, options: &DoctorOptions) -> DoctorReport {
    match &config.target {
        Target::Sqlite { path } => diagnose_sqlite(path, options),
        #[cfg(feature = "postgres")]
        Target::Postgres(server) => diagnose_postgres(server, options),
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(server) => {
            // Configuration refuses a server URL in such a build before this; said here all the same.
            let mut d = Diagnosis::new("postgres", server.redacted());
            d.skip(
                "connection",
                "this build has no PostgreSQL support (build orient-database with the `postgres` \
                 feature)",
            );
            d.finish(None)
        }
    }
}

/// Checks the PostgreSQL database `server`: the session first (what stops it is a finding, and every
/// check that needed it is reported as skipped), the migrations and the schema as on SQLite, then the
/// server's own views (`dialect/postgres/doctor/`).
#[cfg(feature = "postgres")]
fn diagnose_postgres(
    server: &crate::db::target::PostgresTarget,
    options: &DoctorOptions,
) -> DoctorReport {
    use crate::dialect::postgres::{Postgres, doctor as postgres_doctor};
    let label = server.redacted().to_owned();
    let mut d = Diagnosis::new("postgres", label.clone()).leaving_out(&options.skip);
    d.check("connection");
    let Some(session) = postgres_doctor::connection::connect(&mut d, server) else {
        for name in postgres_doctor::NEED_A_SESSION {
            d.skip(
                name,
                "there is no session with the database (see the findings above)",
            );
        }
        return d.finish(None);
    };
    let mut conn = DbConnection::from(session);
    let mut pending = 0;
    if d.check("migrations") {
        pending = migrations_check(
            &mut d,
            &mut conn,
            migrations::embedded_postgres(),
            &label,
            None,
        );
    }
    if d.check("schema") {
        schema_check(&mut d, &mut conn, &Postgres, &label, None, pending);
    }
    if let DbConnection::Postgres(session) = &mut conn {
        postgres_doctor::server_checks(&mut d, session, &label, options.idle_threshold);
    }
    d.finish(None)
}

fn diagnose_sqlite(path: &Path, options: &DoctorOptions) -> DoctorReport {
    let label = path.display().to_string();
    let mut d = Diagnosis::new("sqlite", label.clone()).leaving_out(&options.skip);

    // File-level checks, before any connection of this process has the database open.
    d.check("files");
    let present = sqlite_doctor::files(&mut d, path);
    if d.check("migration_lock") {
        sqlite_doctor::migration_lock(&mut d, path);
    }
    if d.check("wal") {
        sqlite_doctor::wal(&mut d, path);
    }

    let opened = if present {
        match sqlite_doctor::open(&mut d, path) {
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
        if d.check("integrity") {
            sqlite_doctor::integrity(&mut d, &mut opened.conn, path);
        }
        let mut pending = 0;
        if d.check("migrations") {
            pending = migrations_check(
                &mut d,
                &mut opened.conn,
                migrations::embedded(),
                &label,
                Some(path),
            );
        }
        if d.check("schema") {
            schema_check(
                &mut d,
                &mut opened.conn,
                &Sqlite,
                &label,
                Some(path),
                pending,
            );
        }
        sqlite_version = inspect::sqlite_version(&mut opened.conn).ok();
    }

    let mut version = None;
    if d.check("compile_options") {
        version = sqlite_doctor::compile_options(&mut d);
    }
    d.close();
    d.finish(sqlite_version.or(version))
}

/// Pending, unknown and edited migrations of `database` (its file, or its server's redacted URL, for
/// messages; `file` for the findings' `file`). Returns how many are pending. Engine-neutral: the
/// ledger is read through the connection, against this binary's migrations for that engine.
fn migrations_check(
    d: &mut Diagnosis,
    conn: &mut DbConnection,
    embedded: Result<Vec<Migration>, migrations::Error>,
    database: &str,
    file: Option<&Path>,
) -> usize {
    let all = match embedded {
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
            file,
            format!(
                "{} has migrations this binary does not know: {} (applied by a newer version); every \
                 command that writes refuses it",
                database,
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
            file,
            format!(
                "migration {} ({}) was edited after it was applied to {}: checksum {} recorded, {} now; \
                 `orient-db migrate` refuses to run",
                m.name,
                m.file,
                database,
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
            file,
            format!(
                "{} migration{} of this binary {} not applied to {}: {}{}",
                pending,
                if pending == 1 { "" } else { "s" },
                if pending == 1 { "is" } else { "are" },
                database,
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

/// Registered tables the database lacks, and drift from the structs, judged by the engine's `dialect`.
fn schema_check(
    d: &mut Diagnosis,
    conn: &mut DbConnection,
    dialect: &dyn Dialect,
    database: &str,
    file: Option<&Path>,
    pending: usize,
) {
    let live = match conn.introspect() {
        Ok(live) => live.schema,
        Err(e) => {
            d.skip("schema", format!("the schema cannot be read: {e}"));
            return;
        }
    };
    let declared = Schema::from_declared(crate::schema::TABLES);
    let check = check_database(Some(&live), &declared, dialect);
    let after_migrate = if pending > 0 {
        " Apply the pending migrations first (`orient-db migrate`): they may add them."
    } else {
        ""
    };
    if !check.missing_tables.is_empty() {
        d.add(
            Code::MissingTables,
            Severity::Error,
            file,
            format!(
                "{} lacks {} table{} the structs declare: {}; code using them fails with \"no such table\"",
                database,
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
            file,
            format!(
                "{} differs from the declared structs in {} place{}:\n{}",
                database,
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
