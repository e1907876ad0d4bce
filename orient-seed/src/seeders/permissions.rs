//! Step 2: test permissions, so the bots can be tried in development chats and channels.

use orient_database::seed::{self, SeedGroup, SeedTable};

use crate::seeder::Seeder;

/// chat_permissions (3 WhatsApp chats), slack_channel_permissions (3 Slack channels).
#[derive(Debug, Clone, Copy, Default)]
pub struct PermissionsSeeder;

impl Seeder for PermissionsSeeder {
    fn name(&self) -> &'static str {
        SeedGroup::Permissions.as_str()
    }

    fn tables(&self) -> &'static [&'static dyn SeedTable] {
        seed::data::permissions::TABLES
    }
}
