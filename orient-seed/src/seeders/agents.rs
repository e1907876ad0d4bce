//! Step 1: the agents, their skills and tool patterns, and the context rules that choose an agent per
//! platform and environment.

use orient_database::seed::{self, SeedGroup, SeedTable};

use crate::seeder::Seeder;

/// agents (5), agent_skills (13), agent_tools (55), context_rules (6).
#[derive(Debug, Clone, Copy, Default)]
pub struct AgentsSeeder;

impl Seeder for AgentsSeeder {
    fn name(&self) -> &'static str {
        SeedGroup::Agents.as_str()
    }

    fn tables(&self) -> &'static [&'static dyn SeedTable] {
        seed::data::agents::TABLES
    }
}
