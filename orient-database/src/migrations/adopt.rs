//! Adopting a database that has tables but no Diesel ledger: one made by `push`, by the original
//! TypeScript Orient (its `__drizzle_migrations` ledger is not Diesel's), or by hand.
//!
//! Such a database is adopted when its schema equals the schema some prefix of the migrations produces
//! (the first k migrations, replayed in memory): versions 1..k are then recorded as applied, and only the
//! later ones run. No table is touched. A database whose schema matches no prefix, or whose tables are
//! none the migrations create, is refused with nothing written.

use std::collections::BTreeSet;

use crate::db::backend::DbConnection;
use crate::db::target::Target;
use crate::diff::diff;
use crate::engine::EngineConnection;
use crate::migrations::replay::{Scratch, prefix_schemas};
use crate::migrations::{Error, Migration};
use crate::model::Introspection;
use crate::plan::Planner;

/// What [`examine`] decided for a database without ledger rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Examined {
    /// No application table: a new database, the migrations simply run.
    Empty,
    /// Its schema is the one the first `k` migrations produce.
    Matches { k: usize },
}

/// The differences that would turn `live` into `target`, as sentences; empty when they are equal.
pub fn differences(
    live: &Introspection,
    target: &Introspection,
    planner: &dyn Planner,
) -> Vec<String> {
    let mut out: Vec<String> = diff(&live.schema, &target.schema, planner)
        .iter()
        .map(ToString::to_string)
        .collect();
    let objects = |i: &Introspection| -> BTreeSet<(String, String)> {
        i.unmodelled
            .iter()
            .map(|o| (o.kind.clone(), o.name.clone()))
            .collect()
    };
    let (have, want) = (objects(live), objects(target));
    for (kind, name) in have.difference(&want) {
        out.push(format!("drop {kind} `{name}`"));
    }
    for (kind, name) in want.difference(&have) {
        out.push(format!("create {kind} `{name}`"));
    }
    out
}

/// Decides whether a database with no ledger rows can be adopted. Reads only.
///
/// - no application table → [`Examined::Empty`];
/// - tables, none of which any migration creates → [`Error::Foreign`];
/// - the schema after the first k migrations equals it → [`Examined::Matches`] with the largest such k
///   (a later migration that changes no schema, a data fix, is then not re-run);
/// - else [`Error::NotAdoptable`] with the differences against the closest prefix.
pub fn examine(
    conn: &mut DbConnection,
    migrations: &[Migration],
    target: &Target,
) -> Result<Examined, Error> {
    let planner = conn.planner();
    let live = conn.introspect().map_err(Error::Introspect)?;
    if live.schema.tables.is_empty() {
        return Ok(Examined::Empty);
    }
    let prefixes = prefix_schemas(Scratch::of(conn, target)?, migrations)?;
    let created: BTreeSet<&str> = prefixes
        .iter()
        .flat_map(|p| p.schema.tables.iter().map(|t| t.name.as_ref()))
        .collect();
    let live_tables: Vec<String> = live
        .schema
        .tables
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    if !live_tables.iter().any(|t| created.contains(t.as_str())) {
        return Err(Error::Foreign {
            database: target.to_string(),
            tables: live_tables,
        });
    }
    let mut closest: Option<(usize, Vec<String>)> = None;
    for (i, prefix) in prefixes.iter().enumerate().rev() {
        let found = differences(&live, prefix, planner);
        if found.is_empty() {
            return Ok(Examined::Matches { k: i + 1 });
        }
        // Ties go to the longer prefix (visited first).
        if closest
            .as_ref()
            .is_none_or(|(_, best)| found.len() < best.len())
        {
            closest = Some((i, found));
        }
    }
    let (i, differences) = closest.unwrap_or_default();
    Err(Error::NotAdoptable {
        database: target.to_string(),
        closest: migrations
            .get(i)
            .map(|m| m.name.to_string())
            .unwrap_or_default(),
        differences,
    })
}
