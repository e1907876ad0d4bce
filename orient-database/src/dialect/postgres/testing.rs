//! Per-test databases on PostgreSQL (features `testing` and `postgres`): a template database migrated
//! (and seeded) once per process, and `CREATE DATABASE … TEMPLATE …` for each test, dropped when the
//! test's database is.
//!
//! The server: `ORIENT_TEST_POSTGRES_URL` (any database on it; the user needs CREATEDB), else a
//! throwaway cluster of this test process (`orient_testkit::postgres`: `initdb` into a temporary
//! directory, stopped and deleted when the process ends). Databases are named
//! `orient_<template or test>_<pid>_<n>`, so two test processes on one server never collide and a
//! database left behind by a killed process says whose it was. The template lives as long as the
//! process: on a throwaway server it goes with the server; on a server of yours it stays (one per
//! process and template; drop `orient_tpl_*` databases when you like).
//!
//! Copying a template is PostgreSQL's own file-level copy, which needs no connection to the template:
//! the template's connections are all closed before the first copy.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;

use crate::db::backend::Access;
use crate::db::target::{PostgresTarget, Target};
use crate::db::{self, Config, Db, DbConnection, Options};
use crate::dialect::postgres::Postgres;
use crate::dialect::postgres::connection::establish;
use crate::sql::Dialect;
use crate::testing::error::Error;
use crate::testing::seed_hook::SeedHook;

/// The variable naming a server for test databases.
pub const SERVER_VARIABLE: &str = "ORIENT_TEST_POSTGRES_URL";

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// CREATE and DROP DATABASE of this process, one at a time: concurrent copies of one template contend
/// for it and fail with "source database is being accessed by other users".
static ADMIN: Mutex<()> = Mutex::new(());

/// A migrated (and possibly seeded) template database on the test server.
#[derive(Debug)]
pub struct Template {
    server: PostgresTarget,
    name: String,
}

impl Template {
    /// Creates the template database, migrates it as [`Db::open`] migrates a new database, and runs
    /// `seed` on it; every connection to it is closed before this returns.
    pub fn build(name: &str, seed: Option<SeedHook>) -> Result<Template, Error> {
        let server = server()?;
        let database = unique_name("tpl", name);
        admin(
            &server,
            &format!("CREATE DATABASE {}", Postgres.quote_ident(&database)),
        )?;
        let target = with_database(&server, &database)?;
        let failed = |source: db::Error| Error::Migrate {
            source: Box::new(source),
        };
        let (mut conn, _) =
            db::open_config_writer(&Config::for_target(Target::Postgres(target)), true)
                .map_err(failed)?;
        if let Some(seed) = seed {
            seed(&mut conn).map_err(|source| Error::Seed { source })?;
        }
        drop(conn);
        Ok(Template {
            server,
            name: database,
        })
    }

    /// A new database copied from the template, opened as a [`Db`] without migrating.
    pub fn instantiate(&self, test: &str) -> Result<(Db, Instance), Error> {
        let database = unique_name("t", test);
        admin(
            &self.server,
            &format!(
                "CREATE DATABASE {} TEMPLATE {}",
                Postgres.quote_ident(&database),
                Postgres.quote_ident(&self.name)
            ),
        )?;
        let instance = Instance {
            server: self.server.clone(),
            target: with_database(&self.server, &database)?,
        };
        let options = Options {
            readers: 4,
            migrate: false,
            ..Options::default()
        };
        let config = Config::for_target(Target::Postgres(instance.target.clone()));
        let db = Db::open_ready(&config, &options).map_err(|source| Error::Server {
            server: instance.target.redacted().to_owned(),
            step: "opening the test's database",
            source: Box::new(source),
        })?;
        Ok((db, instance))
    }
}

/// One test's database: dropped (`WITH (FORCE)`, so a connection the test leaked cannot keep it) when
/// this is.
#[derive(Debug)]
pub struct Instance {
    server: PostgresTarget,
    target: PostgresTarget,
}

impl Instance {
    pub fn target(&self) -> &PostgresTarget {
        &self.target
    }

    /// A new read-write connection to the test's database, configured like every connection.
    pub fn connect(&self) -> Result<DbConnection, Error> {
        establish(&self.target, Access::ReadWrite)
            .map(DbConnection::from)
            .map_err(|source| Error::Server {
                server: self.target.redacted().to_owned(),
                step: "connecting to the test's database",
                source: Box::new(source),
            })
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            Postgres.quote_ident(&self.target.database)
        );
        if let Err(e) = admin(&self.server, &sql) {
            tracing::warn!("dropping a test database: {e}");
        }
    }
}

/// The server's maintenance database (`postgres`), from [`SERVER_VARIABLE`] or the throwaway cluster.
fn server() -> Result<PostgresTarget, Error> {
    let url = match std::env::var(SERVER_VARIABLE) {
        Ok(url) => url,
        Err(_) => match orient_testkit::postgres::server() {
            Some(server) => server.url("postgres"),
            None => {
                return Err(Error::NoPostgres {
                    variable: SERVER_VARIABLE,
                });
            }
        },
    };
    let target = PostgresTarget::parse(&url).map_err(|e| Error::BadServerUrl {
        variable: SERVER_VARIABLE,
        reason: e.to_string(),
    })?;
    with_database(&target, "postgres")
}

fn with_database(server: &PostgresTarget, database: &str) -> Result<PostgresTarget, Error> {
    server
        .with_database(database)
        .map_err(|e| Error::BadServerUrl {
            variable: SERVER_VARIABLE,
            reason: e.to_string(),
        })
}

/// Runs `sql` (CREATE/DROP DATABASE, which cannot run in a transaction) on the maintenance database.
fn admin(server: &PostgresTarget, sql: &str) -> Result<(), Error> {
    let _one_at_a_time = ADMIN.lock().unwrap_or_else(|e| e.into_inner());
    let failed = |step: &'static str| {
        move |source: db::Error| Error::Server {
            server: server.redacted().to_owned(),
            step,
            source: Box::new(source),
        }
    };
    let mut conn = establish(server, Access::ReadWrite).map_err(failed("connecting"))?;
    conn.batch_execute(sql)
        .map_err(db::Error::from)
        .map_err(failed("creating or dropping a test database"))
}

/// `orient_<kind>_<name>_<pid>_<n>`: lower-case ASCII, at most 63 bytes (PostgreSQL's identifier limit).
fn unique_name(kind: &str, name: &str) -> String {
    let clean: String = name
        .rsplit("::")
        .next()
        .unwrap_or(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    format!("orient_{kind}_{clean}_{}_{n}", std::process::id())
}
