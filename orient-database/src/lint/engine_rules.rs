//! What an engine's rules are given and give back: the context of the statement being checked, a
//! finding before the runner adds its file, line and allows, and the trait each dialect implements
//! (`dialect/{sqlite,postgres}/lint.rs`).

use std::collections::BTreeSet;

use sqlparser::ast;

use super::catalog::Catalog;
use super::finding::Code;
use super::statement::Statement;

/// One rule's finding on the statement being checked; the runner adds file, line and allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub code: Code,
    pub message: String,
    pub why: String,
    pub instead: String,
}

/// What the rules know at a statement.
#[derive(Debug)]
pub struct Context<'a> {
    /// The tables as the statements before this one left them.
    pub catalog: &'a Catalog,
    /// The tables as they were before this migration.
    pub before: &'a Catalog,
    /// Tables this migration created (no rows can be at stake, no other version uses them).
    pub created_here: &'a BTreeSet<String>,
    /// Whether this statement runs inside a transaction (Diesel's, or an explicit BEGIN).
    pub in_transaction: bool,
    /// The data-loss guards (`Dialect::loss_guard`) met so far in this migration, as text.
    pub guards: &'a [String],
}

impl Context<'_> {
    /// Whether `table` existed before this migration.
    pub fn existing(&self, table: &str) -> bool {
        !self.created_here.contains(table)
    }

    /// Whether a guard before this statement refuses to lose the data of `table` (or its `column`):
    /// on a database holding it, the migration then fails and changes nothing.
    pub fn guarded(&self, table: &str, column: Option<&str>) -> bool {
        self.guards.iter().any(|guard| {
            guard.contains(&format!("`{table}`"))
                && column.is_none_or(|c| guard.contains(&format!("`{c}`")))
        })
    }
}

/// The rules of one engine. `check` is called for every parsed statement, in order, before the
/// statement is applied to the catalog; one value is used for one migration.
pub trait EngineRules: std::fmt::Debug {
    fn check(&mut self, context: &Context<'_>, statement: &Statement, hits: &mut Vec<Hit>);

    /// Whether changing a column from `old` to `new` can lose or reject values on this engine.
    fn narrows(&self, old: &ast::DataType, new: &ast::DataType) -> bool;
}
