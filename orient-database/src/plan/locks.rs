//! The table locks a plan's steps take ([`crate::plan::Step::locks`]), in words any engine with table
//! locks can use: what others wait for, and what the statement does to the table while they wait.

use serde::Serialize;

use crate::model::Name;

/// What other sessions wait for while a lock is held (locks are held until the transaction ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocks {
    /// Only other schema changes and index builds wait (PostgreSQL's ROW EXCLUSIVE).
    SchemaChanges,
    /// Writes wait, reads go on (SHARE, SHARE ROW EXCLUSIVE).
    Writes,
    /// Reads and writes wait (ACCESS EXCLUSIVE).
    ReadsAndWrites,
}

/// What a statement does to a table's rows while it holds its lock: the part whose duration grows with
/// the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableWork {
    /// Changes the catalog only: quick whatever the table's size (but it still waits for the lock).
    Catalog,
    /// Reads every row (to validate a constraint, build an index, find the rows to delete).
    Scan,
    /// Writes a new copy of the table and its indexes.
    Rewrite,
}

/// A table lock a step takes, as the engine names it, and the work done under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableLock {
    pub table: Name,
    /// The engine's name for the lock (`ACCESS EXCLUSIVE`).
    pub lock: &'static str,
    pub blocks: Blocks,
    pub work: TableWork,
}

impl TableLock {
    /// Whether everyone waits for this table while its rows are read or rewritten: the hazard to
    /// schedule around.
    pub fn blocks_all_while_working(&self) -> bool {
        self.blocks == Blocks::ReadsAndWrites && self.work != TableWork::Catalog
    }
}

impl std::fmt::Display for TableLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let blocks = match self.blocks {
            Blocks::SchemaChanges => "schema changes wait",
            Blocks::Writes => "writes wait",
            Blocks::ReadsAndWrites => "reads and writes wait",
        };
        let work = match self.work {
            TableWork::Catalog => "changes the catalog only",
            TableWork::Scan => "scans the table",
            TableWork::Rewrite => "rewrites the table and its indexes",
        };
        write!(f, "{} on `{}` ({blocks}); {work}", self.lock, self.table)
    }
}
