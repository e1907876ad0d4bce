// src/main.rs
//! Starts the service: the database from the environment (see "How the database is found"), then
//! HTTP on AGENTS_SERVICE_ADDR (default 127.0.0.1:3000) until Ctrl-C.

use std::sync::Arc;

use anyhow::Context;
use orient_database::db::{self, Config, Db};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Opening creates and migrates the database if needed: blocking work, kept off the runtime.
    let db =
        tokio::task::spawn_blocking(|| -> Result<Db, db::Error> { Db::open(&Config::from_env()?) })
            .await??;
    let addr = std::env::var("AGENTS_SERVICE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (AGENTS_SERVICE_ADDR)"))?;
    eprintln!(
        "agents-service: {} on http://{}",
        db.target(),
        listener.local_addr()?
    );
    axum::serve(listener, agents_service::app(Arc::new(db)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
