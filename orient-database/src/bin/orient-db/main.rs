//! `orient-db`: the Orient database tool. See `orient-db --help`.

mod cli;
mod commands;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::exit::{Exit, exit_code};
use crate::output::Output;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORIENT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    match commands::run(cli.command, out) {
        Ok(exit) => exit.into(),
        Err(error) => {
            let exit = exit_code(&error);
            // Our error types already include their cause in their message; `{:#}` would repeat it.
            let message = error.to_string();
            if out.json {
                let report = serde_json::json!({
                    "error": { "message": message, "exit_code": exit as u8 }
                });
                println!("{report}");
            }
            eprintln!("error: {message}");
            if exit == Exit::Ok {
                Exit::Error.into()
            } else {
                exit.into()
            }
        }
    }
}
