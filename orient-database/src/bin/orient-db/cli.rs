//! The command line, as clap reads it.

use clap::{Parser, Subcommand};

/// The Orient database tool: migrations, schema, drift checks.
///
/// The database is chosen by SQLITE_DATABASE, SQLITE_DB_PATH or DATABASE_URL (environment or the project's
/// .env), else .dev-data/instance-N/orient.db in the project (the directory holding diesel.toml, or
/// ORIENT_PROJECT_ROOT); outside a project with none of them set, nothing is guessed (exit 2).
/// `orient-db path` shows which and why.
///
/// Exit codes: 0 ok · 1 error · 2 usage, configuration or declaration error · 3 refused for safety ·
/// 4 database locked · 5 drift found by `check`.
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
    /// Print the live database's CREATE statements, like sqlite3's `.schema`.
    Schema {
        /// Only this table and its indexes and triggers.
        table: Option<String>,
    },
    /// Write a new migration from the difference between the migrations and the declared structs.
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
    /// in the live database and that the live database matches. Exit 5 on any difference.
    Check {
        /// Only compare the migrations with the structs; do not look at a database.
        #[arg(long)]
        no_database: bool,
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
