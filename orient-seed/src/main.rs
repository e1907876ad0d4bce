//! `orient-seed`: creates, migrates and seeds the Orient database. See `orient-seed --help`.

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use orient_database::db::config::Settings;
use orient_database::db::{self, Config};
use orient_database::output;
use orient_database::seed::SeedGroup;
use orient_seed::{Error, Options, REGISTRY, Report};

/// Seed the Orient database with its default data: agents → test permissions → sample prompts.
///
/// Creates the database and runs pending migrations first (the database is chosen like every Orient
/// tool: SQLITE_DATABASE, SQLITE_DB_PATH or DATABASE_URL, else .dev-data/instance-N/orient.db in the
/// project, and outside a project with none of them set nothing is guessed: exit 2; see `orient-db
/// path`). The whole run is one transaction. Seed rows are found by their natural key:
/// missing ones are inserted, existing ones left alone (with --force, rewritten to their seed values in
/// place). Rows that users created are never changed or deleted. Running it twice changes nothing.
///
/// Exit codes: 0 ok · 1 error · 2 usage or configuration error · 3 refused for safety (the database's
/// migrations) · 4 database locked.
#[derive(Debug, Parser)]
#[command(name = "orient-seed", version, about, long_about)]
struct Cli {
    /// Rewrite seeded rows that differ from their seed values, in place (same ids), and re-create
    /// missing ones. Rows that users created are left alone.
    #[arg(long)]
    force: bool,
    /// Run only this seeder.
    #[arg(long, value_enum, value_name = "SEEDER",
          conflicts_with_all = ["skip_agents", "skip_permissions", "skip_prompts"])]
    only: Option<SeederName>,
    /// Do not run the agents seeder (agents, agent_skills, agent_tools, context_rules).
    #[arg(long)]
    skip_agents: bool,
    /// Do not run the permissions seeder (chat_permissions, slack_channel_permissions).
    #[arg(long)]
    skip_permissions: bool,
    /// Do not run the prompts seeder (system_prompts).
    #[arg(long)]
    skip_prompts: bool,
    /// Show what would be inserted and updated; write nothing (the database is not even created).
    #[arg(long)]
    dry_run: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeederName {
    Agents,
    Permissions,
    Prompts,
}

impl SeederName {
    /// The seeder's name, as `orient_database::seed` spells it.
    fn as_str(self) -> &'static str {
        match self {
            SeederName::Agents => SeedGroup::Agents,
            SeederName::Permissions => SeedGroup::Permissions,
            SeederName::Prompts => SeedGroup::Prompts,
        }
        .as_str()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every variable is read by the library's one reader; a bad value stops here, before anything runs.
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => return fail(&Error::Database(db::Error::from(error)), cli.json),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log_filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match seed(&cli) {
        Ok(report) => {
            print(&report, cli.json);
            if output::failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => fail(&error, cli.json),
    }
}

/// Reports `error` (also as JSON with `--json`) and returns its exit code.
fn fail(error: &Error, json: bool) -> ExitCode {
    let code = exit_code(error);
    let message = error.to_string();
    if json {
        let report = serde_json::json!({ "error": { "message": message, "exit_code": code } });
        output::stdout(&format!("{report}\n"));
    }
    output::stderr(&format!("error: {message}"));
    ExitCode::from(code)
}

fn seed(cli: &Cli) -> Result<Report, Error> {
    let config = Config::from_env().map_err(db::Error::from)?;
    let skip = [
        (cli.skip_agents, SeederName::Agents),
        (cli.skip_permissions, SeederName::Permissions),
        (cli.skip_prompts, SeederName::Prompts),
    ]
    .into_iter()
    .filter(|(skip, _)| *skip)
    .map(|(_, name)| name.as_str().to_owned())
    .collect();
    let options = Options {
        force: cli.force,
        dry_run: cli.dry_run,
        only: cli.only.map(|name| name.as_str().to_owned()),
        skip,
    };
    orient_seed::run(&config, REGISTRY, &options)
}

fn print(report: &Report, json: bool) {
    // Progress and warnings go to stderr, so stdout stays one JSON document with --json.
    for dir in &report.created_directories {
        output::stderr(&format!("created directory {dir}"));
    }
    if report.created_database {
        output::stderr(&format!("created database {}", report.database));
    }
    for name in &report.adopted_migrations {
        output::stderr(&format!(
            "adopted migration {name} (the database already had its schema)"
        ));
    }
    for name in &report.applied_migrations {
        output::stderr(&format!("applied migration {name}"));
    }
    if report.dry_run && !report.pending_migrations.is_empty() {
        output::stderr(&format!(
            "note: a real run would first apply {} pending migration(s): {}{}",
            report.pending_migrations.len(),
            report.pending_migrations.join(", "),
            if std::path::Path::new(&report.database).exists() {
                "; this plan is for the database as it is now"
            } else {
                " (the database does not exist yet)"
            }
        ));
    }
    for warning in &report.warnings {
        output::stderr(&format!("warning: {warning}"));
    }
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(text) => output::stdout(&format!("{text}\n")),
            Err(e) => output::stderr(&format!("error: cannot encode the report as JSON: {e}")),
        }
    } else {
        output::stdout(&report.human());
    }
}

/// The exit codes of the Orient tools (the same as `orient-db`'s).
fn exit_code(error: &Error) -> u8 {
    use orient_database::ops::ErrorClass;
    let class = if error.is_locked() {
        ErrorClass::Locked
    } else {
        match error {
            Error::UnknownSeeder { .. } => ErrorClass::Usage,
            Error::Database(e) => e.class(),
            Error::Migrations(e) => e.class(),
            _ => ErrorClass::Failure,
        }
    };
    match class {
        ErrorClass::Failure => 1,
        ErrorClass::Usage => 2,
        ErrorClass::Refused => 3,
        ErrorClass::Locked => 4,
    }
}
