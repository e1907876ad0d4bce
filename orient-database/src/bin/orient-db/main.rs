//! `orient-db`: the Orient database tool. See `orient-db --help`.

mod cli;
mod commands;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser;
use orient_database::db::config::Settings;

use crate::cli::Cli;
use crate::exit::{Exit, exit_code};
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    // Every variable is read once, by the library's one reader; a bad value stops here, before
    // anything runs (the log filter is needed first).
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => return fail(&anyhow::Error::new(error), out),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log_filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let exit = match commands::run(cli.command, out) {
        Ok(exit) => exit,
        Err(error) => return fail(&error, out),
    };
    if output::failed() && exit == Exit::Ok {
        return Exit::Error.into();
    }
    exit.into()
}

/// Reports `error` (also as JSON with `--json`) and returns its exit code.
fn fail(error: &anyhow::Error, out: Output) -> ExitCode {
    let exit = exit_code(error);
    let exit = if exit == Exit::Ok { Exit::Error } else { exit };
    // Our error types already include their cause in their message; `{:#}` would repeat it.
    let message = error.to_string();
    if out.json {
        let report = serde_json::json!({
            "error": { "message": message, "exit_code": exit as u8 }
        });
        output::stdout(&format!("{report}\n"));
    }
    output::stderr(&format!("error: {message}"));
    exit.into()
}
