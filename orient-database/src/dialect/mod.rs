//! The database engines: everything that is true of one engine only, one directory per engine.
//!
//! Each implements the engine-neutral traits the rest of the crate is written against: how it spells
//! the model ([`crate::sql::Dialect`]), which changes its `ALTER TABLE` cannot make and how it makes them
//! instead ([`crate::plan::Planner`]), its work through a live connection
//! ([`crate::engine::EngineConnection`]) and its migration ledger and lock
//! ([`crate::migrations::backend::MigrationBackend`]). [`sqlite`] is always built; so are [`postgres`]'s
//! dialect and planner (`generate` writes both engines' migrations in every build), its connections,
//! introspection, ledger and lock only with the cargo feature `postgres`.

pub mod postgres;
pub mod sqlite;

use crate::db::target::Target;
use crate::plan::Planner;

/// How the engine of `target` spells and plans the model, without connecting to it.
pub fn planner_for(target: &Target) -> &'static dyn Planner {
    match target {
        Target::Sqlite { .. } => &sqlite::Sqlite,
        // A build without the feature `postgres` renders for PostgreSQL too; only connecting needs it
        // (a configuration naming PostgreSQL there is `ConfigError::PostgresNotBuilt`).
        Target::Postgres(_) => &postgres::Postgres,
    }
}
