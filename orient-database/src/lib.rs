//! The Orient database: what services import.
//!
//! - [`db`]: the connection layer (`orient_database::db`): configuration from the environment and `.env`,
//!   WAL and the other pragmas on every connection, a writer and a pool of readers, embedded migrations run
//!   at first open, `db::transaction(|tx| …)`.
//! - [`schema`]: the 34 Orient tables as structs (`#[derive(Table)]`), registered in [`schema::TABLES`].
//! - [`types`]: `Timestamp` (INTEGER Unix seconds), `Json<T>` (TEXT) and the value-domain enums.
//! - The schema engine behind the `orient-db` CLI: the [`model`], [`normalize`], [`diff`] (pure),
//!   [`assess`] (which changes lose data, measured), [`plan`] (changes to ordered steps), [`apply`]
//!   (running a plan safely), [`push`], [`check`] and [`migrations`]. What differs between database
//!   engines is behind traits ([`sql::Dialect`], [`plan::Planner`], [`engine::EngineConnection`],
//!   [`migrations::backend::MigrationBackend`]) implemented once per engine under [`dialect`].
//! - [`diagram`]: the schema as a picture (Mermaid `erDiagram`, SVG) and as a documented JSON document.
//! - [`ops`]: `orient-db doctor`, verified backups and restores, automatic snapshots before data loss.
//! - [`os`]: what the operating system says about files and this process (owners, access, mounts, free
//!   space), for messages that name the cause and the fix.
//! - [`seed`]: Orient's default data (what `orient-seed` writes) and its comparison with a database.
//! - `output` (feature `cli`, on by default): printing from the command-line tools, safe when the
//!   reader goes away.
//! - `testing` (feature `testing`, for test crates): a fresh migrated database per test, copied from a
//!   template, and the `#[orient_database::test]` attribute.
//! - `studio` (feature `studio`, on by default): `orient-db studio`, a local web page to look inside the
//!   database.

// The derive emits `::orient_database::…` paths; this makes them resolve inside this crate too.
extern crate self as orient_database;

pub mod apply;
pub mod assess;
pub mod bookkeeping;
pub mod check;
pub mod dangling;
pub mod db;
mod default_text;
pub mod diagram;
pub mod dialect;
pub mod diff;
pub mod engine;
pub mod lint;
pub mod migrations;
pub mod model;
pub mod normalize;
pub mod ops;
pub mod os;
#[cfg(feature = "cli")]
pub mod output;
pub mod plan;
pub mod push;
pub mod registry;
pub mod schema;
pub mod seed;
pub mod sql;
#[cfg(feature = "studio")]
pub mod studio;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;

pub use model::TableModel;
pub use orient_derive::Table;
/// `#[orient_database::test]`: a test that takes a fresh migrated database (feature `testing`; see
/// [`testing`]).
#[cfg(feature = "testing")]
pub use orient_derive::test;

/// `insert_all`'s body in a SQLite-only build: `$sqlite` with `$c` bound to the connection itself. A
/// build with PostgreSQL defines this macro in `dialect/postgres/copy.rs`, where PostgreSQL's arm
/// copies the rows instead. Used by the code `#[derive(Table)]` generates. Not public API.
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "postgres"))]
macro_rules! __insert_all {
    ($conn:expr, $table:expr, $rows:expr, |$c:ident| $sqlite:expr) => {{
        let $c: &mut $crate::db::DbConnection = $conn;
        $sqlite
    }};
}

/// What generated code and exported macros refer to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::types::foreign_key::{
        JoinOn, Unrecognised, foreign_key_type, join_on, references_primary_key,
    };
    pub use diesel;
    pub use serde;
    pub use serde_json;
}
