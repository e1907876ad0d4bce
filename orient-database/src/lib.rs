//! The Orient database: what services import.
//!
//! - [`db`]: the connection layer (`orient_database::db`): configuration from the environment and `.env`,
//!   WAL and the other pragmas on every connection, a writer and a pool of readers, embedded migrations run
//!   at first open, `db::transaction(|tx| …)`.
//! - [`schema`]: the 34 Orient tables as structs (`#[derive(Table)]`), registered in [`schema::TABLES`].
//! - [`types`]: `Timestamp` (INTEGER Unix seconds), `Json<T>` (TEXT) and the value-domain enums.
//! - The schema engine behind the `orient-db` CLI: the [`model`], the SQL [`dialect`]s (rendering and
//!   introspection), [`normalize`], [`diff`] (pure), [`assess`] (which changes lose data, measured),
//!   [`plan`] (changes to statements, table rebuilds included), [`apply`] (running a plan safely),
//!   [`push`], [`check`] and [`migrations`].
//! - [`seed`]: Orient's default data (what `orient-seed` writes) and its comparison with a database.
//! - `studio` (feature `studio`, on by default): `orient-db studio`, a local web page to look inside the
//!   database.

// The derive emits `::orient_database::…` paths; this makes them resolve inside this crate too.
extern crate self as orient_database;

pub mod apply;
pub mod assess;
pub mod bookkeeping;
pub mod check;
pub mod db;
pub mod dialect;
pub mod diff;
pub mod migrations;
pub mod model;
pub mod normalize;
pub mod plan;
pub mod push;
pub mod registry;
pub mod schema;
pub mod seed;
#[cfg(feature = "studio")]
pub mod studio;
pub mod types;

pub use model::TableModel;
pub use orient_derive::Table;

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
