//! The helpers of the workspace's own tests (`orient-database/tests`, `orient-seed/tests`, `tests/`), in
//! one place:
//!
//! - [`project`]: a scratch project directory ([`Project`]: `diesel.toml`, optionally the migrations),
//!   its database on either engine with probes that speak both, and running the real `orient-db` /
//!   `orient-seed` in it with a clean database environment;
//! - [`engine`]: [`on_each_engine!`], one test body run on SQLite and on PostgreSQL;
//! - [`process`]: finding the workspace's binaries from the test executable's location, other programs
//!   (chromium, diesel) on `PATH`, and what a run produced ([`Run`]);
//! - [`files`]: listings, file hashes, copying trees, the repository's own paths;
//! - [`sqlite`]: probing a database file (connections with the library's pragmas, one-value queries,
//!   row dumps and content hashes);
//! - [`reference`]: databases built the way the original TypeScript Orient builds them;
//! - [`seed_report`]: reading `orient-seed --json` reports;
//! - [`kill`]: SIGKILL at random moments, for the crash-consistency tests;
//! - [`postgres`]: a throwaway PostgreSQL server for the test process (skipped, with a line saying
//!   why, without the binaries unless `ORIENT_REQUIRE_POSTGRES=1`);
//! - [`replication`]: a primary with streaming standbys of a test's own (the read-replica tests).
//!
//! Per-test *migrated* databases are not here: they are `orient_database::testing` (feature
//! `testing`), which services' tests use too.
//!
//! This crate does not depend on `orient-database` (see Cargo.toml for why): helpers that need its
//! types stay in the test that uses them, and the one piece of knowledge duplicated here (the
//! connection pragmas, [`sqlite::connect`]) is checked against the library by
//! `orient-database/tests/testkit.rs`.
// Test helpers: a failed step is a failed test, so panicking with the step's context is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod engine;
pub mod files;
pub mod kill;
pub mod postgres;
pub mod process;
pub mod project;
pub mod reference;
pub mod replication;
pub mod seed_report;
pub mod sqlite;

pub use engine::Engine;
pub use files::{copy_dir, listing, repository, repository_migrations, sha256_file};
pub use process::{DB_VARIABLES, Run, binary, describe, find_program, on_path, run_in};
pub use project::Project;
