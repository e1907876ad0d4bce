//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// The Orient database tool: migrations, schema, drift checks.
///
/// The database is chosen by SQLITE_DATABASE, SQLITE_DB_PATH or DATABASE_URL (environment or the project's
/// .env), else .dev-data/instance-N/orient.db in the project (the directory holding diesel.toml, or
/// ORIENT_PROJECT_ROOT); outside a project with none of them set, nothing is guessed (exit 2).
/// `orient-db path` shows which and why.
///
/// Exit codes: 0 ok · 1 error (for `doctor`: problems found) · 2 usage, configuration or declaration
/// error · 3 refused for safety · 4 database locked · 5 drift found by `check`, findings of `lint`.
#[derive(Debug, Parser)]
#[command(name = "orient-db", version, about, long_about)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations (creating the database if needed), or show their status.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Print the resolved database path and where each part of it came from.
    Path,
    /// Print the live database's schema: its CREATE statements (like sqlite3's `.schema`), an ER
    /// diagram (Mermaid or SVG) or a JSON document. Read-only.
    ///
    /// Types in diagrams and JSON are the logical ones of the structs (bool, timestamp, json…) wherever
    /// the live column is stored as its struct declares.
    Schema {
        /// Only this table: its CREATE statements (sql), its entry (json), or the table with the tables
        /// its foreign keys connect it to (mermaid, svg).
        table: Option<String>,
        /// sql: CREATE statements · mermaid: an `erDiagram` · json: a documented document (its shape is
        /// the same with or without --json) · svg: a picture.
        #[arg(long, value_enum, default_value_t = SchemaFormat::Sql)]
        format: SchemaFormat,
        /// Describe the declared structs instead of a database: no database or configuration needed
        /// (for CI and documentation).
        #[arg(long)]
        declared: bool,
    },
    /// Write a new migration from the difference between the migrations and the declared structs, the
    /// same version into migrations/sqlite and migrations/postgres.
    Generate {
        /// The migration's name, in lower_snake_case (e.g. add_agent_tier).
        name: String,
    },
    /// Make the live database equal to the declared structs, in one transaction (creating it if needed).
    ///
    /// What ALTER TABLE cannot do is done by rebuilding the table with foreign keys off, so no child row
    /// is cascaded away. Changes that lose data are refused (exit 3) with their row counts unless
    /// --accept-data-loss is given. There are no prompts.
    Push {
        /// Print the plan and its SQL; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Carry out changes that lose data: drop tables or columns holding values, delete rows that
        /// break a new NOT NULL, UNIQUE or foreign key, convert narrowed values.
        #[arg(long)]
        accept_data_loss: bool,
    },
    /// Show which database this checkout uses (by default the instance database, shared by every
    /// checkout of the instance), or give it one of its own with --isolated.
    Worktree {
        /// Create .dev-data/instance-N/<NAME>.db, migrate and seed it (with the orient-seed binary built
        /// beside this one), and write SQLITE_DATABASE=<its path> into this checkout's .env.
        #[arg(long)]
        isolated: bool,
        /// The new database's name (default: worktree_<unix time>).
        #[arg(long, requires = "isolated")]
        name: Option<String>,
        /// Seed with --force: rewrite seeded rows that differ (when the file already exists).
        #[arg(long, requires = "isolated")]
        force: bool,
    },
    /// Check, for CI, that the migrations produce the declared structs, that every registered table exists
    /// in the live database and that the live database matches. Also the parity gate: migrations/sqlite
    /// and migrations/postgres hold the same versions, and with a PostgreSQL server configured
    /// migrations/postgres is replayed in a scratch schema and compared too. Exit 5 on any difference.
    Check {
        /// Only compare the migrations with the structs; do not look at a database.
        #[arg(long)]
        no_database: bool,
        /// Also lint every migration (like `orient-db lint`); findings are drift too (exit 5).
        #[arg(long)]
        lint: bool,
    },
    /// Find destructive, backward-incompatible and locking statements in migrations before they run.
    ///
    /// Lints every up.sql of migrations/sqlite and migrations/postgres (each in the context of the
    /// migrations before it), or the FILEs named. Each finding has a code (README "Lint"), the file and
    /// line, why it matters and the safe alternative; `-- orient:allow CODE <reason>` on the line before
    /// a statement accepts one. Needs no database. Exit 0 when clean, 5 on findings, 2 for a FILE that
    /// does not exist.
    Lint {
        /// Migration files to lint (default: every migration of the project).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The engine of FILEs outside a directory named sqlite or postgres.
        #[arg(long, value_enum)]
        engine: Option<LintEngine>,
    },
    /// Check the database and say how to fix each problem found; changes nothing.
    ///
    /// Checks the owners and modes of the database, its directory, -wal and -shm against the user running
    /// it, a read-only mount, free space, the WAL's size and a reader pinning it, integrity_check and
    /// foreign_key_check, pending, unknown and edited migrations, missing tables and drift, the migration
    /// lock's holder and the linked SQLite's compile options. Works (and reports) when the database cannot
    /// be opened at all. Exit 0 when healthy, 1 when anything was found.
    ///
    /// On PostgreSQL: reaching the server, the migrations and the schema, the advisory migration lock's
    /// holder, sessions idle in a transaction, inactive replication slots, NOT VALID constraints,
    /// invalid indexes, amcheck (when installed), risky server settings and connections in use.
    Doctor {
        /// PostgreSQL: report sessions idle inside a transaction for longer than this many seconds.
        #[arg(long, value_name = "SECONDS",
            default_value_t = orient_database::ops::doctor::DEFAULT_IDLE_THRESHOLD.as_secs())]
        idle_threshold: u64,
        /// Leave out a check (repeatable), e.g. `server_settings` on a throwaway test server.
        #[arg(long, value_name = "CHECK", value_parser = clap::builder::PossibleValuesParser::new(
            orient_database::ops::doctor::SKIPPABLE))]
        skip: Vec<String>,
    },
    /// Write a verified copy of the database (it keeps working meanwhile).
    ///
    /// The copy is made with VACUUM INTO from one consistent snapshot, checked with integrity_check and a
    /// content checksum equal to the database's, and only then given its name. Never overwrites a file.
    Backup {
        /// Where to write it (default: <database dir>/<name>-backup-<UTC time>.db).
        #[arg(long, value_name = "PATH")]
        to: Option<PathBuf>,
    },
    /// Replace the database with a backup or an automatic snapshot, atomically.
    ///
    /// Refuses (exit 3, nothing changed) a file that fails integrity_check, holds migrations this binary
    /// does not know or is not an Orient database. Takes the migration lock, keeps a snapshot of the
    /// database it replaces, replaces it in one transaction (readers see the old or the new content,
    /// never a mix) and checks that the database then has the backup's content checksum.
    Restore {
        /// The backup or snapshot file.
        path: PathBuf,
    },
    /// Copy the whole database to another one, SQLite → PostgreSQL and back, and verify the copy.
    ///
    /// Every table the structs declare, in foreign-key order, each value checked against its declared
    /// type, in one transaction on the target, which is first migrated to the source's versions with its
    /// own engine's migrations. Verified by row counts and content checksums (computed the same way on
    /// both engines) before committing; the next autoincrement id carries over. Refuses (exit 3,
    /// nothing changed) a target that already holds rows unless --replace, and a source that is not at
    /// this binary's migrations.
    Transfer {
        /// The target: a postgres:// or postgresql:// URL, or an SQLite file path (created if missing;
        /// its directory must exist).
        #[arg(long, value_name = "DATABASE")]
        to: String,
        /// The source, written like --to (default: the configured database).
        #[arg(long, value_name = "DATABASE")]
        from: Option<String>,
        /// Delete the rows the target holds and put the source's in their place (in the same
        /// transaction: a transfer that fails keeps them).
        #[arg(long)]
        replace: bool,
    },
    /// Open a local web page to look inside the database: tables, rows, schema, migrations, seed data.
    ///
    /// Listens on 127.0.0.1 only and prints a URL with a one-time random token; nothing else can use
    /// it. Read-only unless --write. Stop it with Ctrl-C.
    #[cfg(feature = "studio")]
    Studio {
        /// The port to listen on; 0 picks a free one (the printed URL shows it).
        #[arg(long, default_value_t = 4983)]
        port: u16,
        /// Allow editing, inserting and deleting rows.
        #[arg(long)]
        write: bool,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
        /// Listen on this address instead of 127.0.0.1 (an IP address; prints a warning when it is not
        /// a loopback address). The token is still required.
        #[arg(long)]
        host: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration (the default). A database with tables but no migration ledger is
    /// adopted when its schema matches the first migrations, and refused otherwise.
    Run,
    /// List applied and pending migrations, flagging edited ones; never creates or changes the database.
    Status,
    /// Revert the last applied migration with its down.sql.
    Revert,
    /// Revert the last applied migration and apply it again.
    Redo,
}

/// What `orient-db schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    Sql,
    Mermaid,
    Json,
    Svg,
}

/// The engine `orient-db lint --engine` reads a file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintEngine {
    Sqlite,
    Postgres,
}
