//! `orient-db studio [--port 4983] [--write] [--open] [--host ADDR]`: the local web page.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use orient_database::db::Config;
use orient_database::studio::{self, Options, Server};

use crate::exit::{CommandError, Exit};
use crate::output::Output;

#[derive(Serialize)]
struct Started {
    url: String,
    address: String,
    port: u16,
    database: String,
    write: bool,
}

pub fn run(
    port: u16,
    write: bool,
    open: bool,
    host: Option<&str>,
    out: Output,
) -> anyhow::Result<Exit> {
    let host = match host {
        None | Some("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(text) => text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| {
                CommandError::usage(format!(
                    "--host {text}: give an IP address, such as 127.0.0.1"
                ))
            })?,
    };
    let config = Config::from_env()?;
    // The target as messages show it: a path, or a server's URL with the password hidden.
    let database = config.target.to_string();
    let options = Options { host, port, write };
    let server = Server::bind(&config.target, &options).map_err(|e| match e {
        // So that a missing database exits 2, like every other read-only command.
        studio::Error::Database(db) => anyhow::Error::new(db),
        other => anyhow::Error::new(other),
    })?;
    if !host.is_loopback() {
        out.note(format!(
            "warning: listening on {}, not only on this machine's loopback: other machines may reach the \
             studio (it still requires the token, and answers only to the Host names 127.0.0.1, \
             localhost, [::1]{})",
            server.address(),
            if host.is_unspecified() { String::new() } else { format!(" and {host}") }
        ));
    }
    let url = server.url();
    out.note(format!(
        "Orient studio for {} ({}). Open the link below; Ctrl-C stops it.",
        database,
        if write {
            "editing allowed: --write"
        } else {
            "read-only"
        }
    ));
    let started = Started {
        url: url.clone(),
        address: server.address().ip().to_string(),
        port: server.address().port(),
        database,
        write,
    };
    // The URL alone on stdout (the token is printed nowhere else), or one JSON object with --json.
    out.emit(&started, |s| s.url.clone());
    if open {
        open_browser(&url, out);
    }
    server.run(shutdown())?;
    out.note("studio stopped");
    Ok(Exit::Ok)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

fn open_browser(url: &str, out: Output) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Err(e) = command.spawn() {
        out.note(format!(
            "could not open a browser ({e}); open the link yourself"
        ));
    }
}
