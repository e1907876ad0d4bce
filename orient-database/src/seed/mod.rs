//! Orient's default data, in one place, and how a database compares with it.
//!
//! The rows `orient-seed` writes live here (the spec: `spec/orient-seeds.md`), so the seeder binary and
//! the studio in `orient-db` read the same data and share one notion of "differs":
//!
//! - [`data`]: the rows, as typed Rust constants (agents, their skills, tools and context rules; the test
//!   chat and channel permissions; the sample system prompts) turned into the tables' insert structs
//!   (`NewAgent`, …), one [`SeedTable`] per table; [`tables`] lists them in the order they are seeded.
//! - [`SeedTable`]: what can be done with one table's seed rows, all through its Diesel DSL: find them
//!   in a database, insert them through the insert struct, rewrite them in place by primary key. Column
//!   names come from Diesel, so renaming a seeded column in its struct does not compile until the seed
//!   data follows.
//! - [`compare_table`] / [`status`]: for each seed row, whether the database holds it ([`SeedRowState`]:
//!   missing, matching, or differing in named columns). Rows are found by their natural key (an agent's
//!   id; agent + skill name; agent + pattern + type; context type + context id, NULL-safe; chat id;
//!   channel id; chat id + platform), never by autoincrement id. Reads only: works on a `query_only`
//!   connection. Which tables and columns exist comes from the schema engine's introspection
//!   ([`Shape`]).
//!
//! Deciding what to write is the seeder's job (`orient-seed`): it plans its inserts and rewrites from the
//! same [`TableComparison`] and hands them to [`SeedTable::write`].

mod compare;
pub mod data;
mod shape;
mod stored;
mod table;

use serde::Serialize;

pub use compare::{
    RowComparison, SeedRowState, SeedRowStatus, TableComparison, TableSeedStatus, compare_table,
    status,
};
pub use shape::Shape;
pub use table::SeedTable;

/// The three groups of default data, one per seeder, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedGroup {
    /// agents, agent_skills, agent_tools, context_rules.
    Agents,
    /// chat_permissions, slack_channel_permissions (test chats and channels).
    Permissions,
    /// system_prompts (sample prompts and the platform defaults).
    Prompts,
}

impl SeedGroup {
    /// Every group, in seeding order.
    pub const ALL: [SeedGroup; 3] = [
        SeedGroup::Agents,
        SeedGroup::Permissions,
        SeedGroup::Prompts,
    ];

    /// The name the seeder and its flags use (`agents`, `permissions`, `prompts`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SeedGroup::Agents => "agents",
            SeedGroup::Permissions => "permissions",
            SeedGroup::Prompts => "prompts",
        }
    }
}

/// The seed tables of one group, in seeding order.
pub fn group_tables(group: SeedGroup) -> &'static [&'static dyn SeedTable] {
    match group {
        SeedGroup::Agents => data::agents::TABLES,
        SeedGroup::Permissions => data::permissions::TABLES,
        SeedGroup::Prompts => data::prompts::TABLES,
    }
}

/// Every seed table, in seeding order: agents, agent_skills, agent_tools, context_rules,
/// chat_permissions, slack_channel_permissions, system_prompts.
pub fn tables() -> Vec<&'static dyn SeedTable> {
    SeedGroup::ALL
        .into_iter()
        .flat_map(|group| group_tables(group).iter().copied())
        .collect()
}

#[cfg(test)]
mod tests;
