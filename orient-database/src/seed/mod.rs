//! Orient's default data, in one place, and how a database compares with it.
//!
//! The rows `orient-seed` writes live here (the spec: `spec/orient-seeds.md`), so the seeder binary and
//! the studio in `orient-db` read the same data and share one notion of "differs":
//!
//! - [`data`]: the rows, as typed Rust constants (agents, their skills, tools and context rules; the test
//!   chat and channel permissions; the sample system prompts), turned into [`SeedTable`]s by
//!   [`tables`] in the order they are seeded.
//! - [`compare_table`] / [`status`]: for each seed row, whether the database holds it ([`SeedRowState`]:
//!   missing, matching, or differing in named columns). Rows are found by their natural key (an agent's
//!   id; agent + skill name; agent + pattern + type; context type + context id, NULL-safe; chat id;
//!   channel id; chat id + platform), never by autoincrement id. Reads only: works on a `query_only`
//!   connection.
//!
//! Writing is the seeder's job (`orient-seed`): it plans its inserts and updates from the same
//! [`TableComparison`].

mod compare;
pub mod data;

use std::borrow::Cow;

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::Sqlite;
use serde::Serialize;

pub use compare::{
    RowComparison, SeedRowState, SeedRowStatus, Shape, TableComparison, TableSeedStatus,
    compare_table, status,
};

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

/// A value of a seeded column, as SQLite stores it (booleans are `Integer` 0/1, JSON is `Text`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum SeedValue {
    Null,
    Integer(i64),
    Text(Cow<'static, str>),
}

impl SeedValue {
    pub const fn text(text: &'static str) -> SeedValue {
        SeedValue::Text(Cow::Borrowed(text))
    }

    pub fn optional_text(text: Option<&'static str>) -> SeedValue {
        text.map_or(SeedValue::Null, SeedValue::text)
    }

    pub const fn boolean(value: bool) -> SeedValue {
        SeedValue::Integer(if value { 1 } else { 0 })
    }

    /// Binds this value as the next `?` of a raw query.
    pub fn bind<'f>(
        &'f self,
        query: BoxedSqlQuery<'f, Sqlite, SqlQuery>,
    ) -> BoxedSqlQuery<'f, Sqlite, SqlQuery> {
        match self {
            SeedValue::Null => query.bind::<Nullable<Text>, _>(None::<&str>),
            SeedValue::Integer(value) => query.bind::<BigInt, _>(*value),
            SeedValue::Text(text) => query.bind::<Text, _>(text.as_ref()),
        }
    }
}

impl std::fmt::Display for SeedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedValue::Null => f.write_str("NULL"),
            SeedValue::Integer(value) => write!(f, "{value}"),
            SeedValue::Text(text) => f.write_str(text),
        }
    }
}

/// One seeded row: the values of its natural key and of the other seeded columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRow {
    /// In the order of [`SeedTable::key`].
    pub key: Vec<SeedValue>,
    /// In the order of [`SeedTable::columns`].
    pub values: Vec<SeedValue>,
}

impl SeedRow {
    /// The natural key as people read it: `ori / tool-discovery`, `default / NULL`.
    pub fn display_key(&self) -> String {
        self.key
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// The default rows of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedTable {
    pub name: &'static str,
    /// The seeder that writes this table.
    pub group: SeedGroup,
    /// The natural key: how a seed row is found in the database. The first column is never NULL in the
    /// seed data (it narrows the search with `IN (…)`); later ones may be, and match NULL-safely.
    pub key: &'static [&'static str],
    /// The other columns a seed row sets and that are compared (timestamps are not).
    pub columns: &'static [&'static str],
    /// Whether the table has `created_at` (set on insert) and `updated_at` (set on insert and update).
    pub created_at: bool,
    pub updated_at: bool,
    /// Tables whose rows this one references: when one of them cannot be seeded, neither can this one.
    pub depends_on: &'static [&'static str],
    /// In insert order.
    pub rows: Vec<SeedRow>,
}

impl SeedTable {
    /// Every column the seed data needs (key, then compared columns).
    pub fn data_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.key.iter().chain(self.columns).copied()
    }
}

/// The seed tables of one group, in seeding order.
pub fn group_tables(group: SeedGroup) -> Vec<SeedTable> {
    match group {
        SeedGroup::Agents => data::agents::tables(),
        SeedGroup::Permissions => data::permissions::tables(),
        SeedGroup::Prompts => data::prompts::tables(),
    }
}

/// Every seed table, in seeding order: agents, agent_skills, agent_tools, context_rules,
/// chat_permissions, slack_channel_permissions, system_prompts.
pub fn tables() -> Vec<SeedTable> {
    SeedGroup::ALL.into_iter().flat_map(group_tables).collect()
}

#[cfg(test)]
mod tests;
