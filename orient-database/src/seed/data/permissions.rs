//! Test permissions for development: three WhatsApp chats and three Slack channels the bots may use.

use crate::schema::domains::{ChatType, PermissionLevel};
use crate::seed::{SeedGroup, SeedRow, SeedTable, SeedValue};

/// A WhatsApp chat's permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatPermissionSeed {
    pub chat_id: &'static str,
    pub chat_type: ChatType,
    pub permission: PermissionLevel,
    pub display_name: &'static str,
    pub notes: &'static str,
}

pub const CHAT_PERMISSIONS: [ChatPermissionSeed; 3] = [
    ChatPermissionSeed {
        chat_id: "test-group-1@g.us",
        chat_type: ChatType::Group,
        permission: PermissionLevel::ReadWrite,
        display_name: "Test Team Chat",
        notes: "Development group: the bot reads and replies here.",
    },
    ChatPermissionSeed {
        chat_id: "test-group-2@g.us",
        chat_type: ChatType::Group,
        permission: PermissionLevel::ReadOnly,
        display_name: "Test Announcements",
        notes: "For testing read-only behaviour: the bot listens but never replies.",
    },
    ChatPermissionSeed {
        chat_id: "test-dm-1@s.whatsapp.net",
        chat_type: ChatType::Individual,
        permission: PermissionLevel::ReadWrite,
        display_name: "Test DM User",
        notes: "Development direct message with full access.",
    },
];

/// A Slack channel's permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlackChannelPermissionSeed {
    pub channel_id: &'static str,
    pub permission: PermissionLevel,
    pub respond_to_mentions: bool,
    pub respond_to_dms: bool,
    pub notes: &'static str,
}

pub const SLACK_CHANNEL_PERMISSIONS: [SlackChannelPermissionSeed; 3] = [
    SlackChannelPermissionSeed {
        channel_id: "C_TEST_GENERAL",
        permission: PermissionLevel::ReadWrite,
        respond_to_mentions: true,
        respond_to_dms: true,
        notes: "General test channel: the bot reads and replies here.",
    },
    SlackChannelPermissionSeed {
        channel_id: "C_TEST_ALERTS",
        permission: PermissionLevel::ReadOnly,
        respond_to_mentions: false,
        respond_to_dms: false,
        notes: "Alerts test channel: read only, the bot stays quiet.",
    },
    SlackChannelPermissionSeed {
        channel_id: "D_TEST_DM",
        permission: PermissionLevel::ReadWrite,
        respond_to_mentions: true,
        respond_to_dms: true,
        notes: "Test direct-message channel with full access.",
    },
];

/// chat_permissions and slack_channel_permissions.
pub fn tables() -> Vec<SeedTable> {
    let chats = SeedTable {
        name: "chat_permissions",
        group: SeedGroup::Permissions,
        key: &["chat_id"],
        columns: &["chat_type", "permission", "display_name", "notes"],
        created_at: true,
        updated_at: true,
        depends_on: &[],
        rows: CHAT_PERMISSIONS
            .iter()
            .map(|c| SeedRow {
                key: vec![SeedValue::text(c.chat_id)],
                values: vec![
                    SeedValue::text(c.chat_type.as_str()),
                    SeedValue::text(c.permission.as_str()),
                    SeedValue::text(c.display_name),
                    SeedValue::text(c.notes),
                ],
            })
            .collect(),
    };
    let channels = SeedTable {
        name: "slack_channel_permissions",
        group: SeedGroup::Permissions,
        key: &["channel_id"],
        columns: &[
            "permission",
            "respond_to_mentions",
            "respond_to_dms",
            "notes",
        ],
        created_at: true,
        updated_at: true,
        depends_on: &[],
        rows: SLACK_CHANNEL_PERMISSIONS
            .iter()
            .map(|c| SeedRow {
                key: vec![SeedValue::text(c.channel_id)],
                values: vec![
                    SeedValue::text(c.permission.as_str()),
                    SeedValue::boolean(c.respond_to_mentions),
                    SeedValue::boolean(c.respond_to_dms),
                    SeedValue::text(c.notes),
                ],
            })
            .collect(),
    };
    vec![chats, channels]
}
