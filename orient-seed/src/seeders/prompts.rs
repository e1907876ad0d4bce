//! Step 3: sample system prompts, including each platform's default (`chat_id = '__default__'`).

use orient_database::seed::{self, SeedGroup, SeedTable};

use crate::seeder::Seeder;

/// system_prompts (4).
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptsSeeder;

impl Seeder for PromptsSeeder {
    fn name(&self) -> &'static str {
        SeedGroup::Prompts.as_str()
    }

    fn tables(&self) -> &'static [&'static dyn SeedTable] {
        seed::data::prompts::TABLES
    }
}
