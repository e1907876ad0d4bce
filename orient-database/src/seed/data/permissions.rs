//! Test permissions for development: three WhatsApp chats and three Slack channels the bots may use.

use crate::schema::domains::{ChatType, PermissionLevel};
use crate::schema::{
    NewChatPermission, NewSlackChannelPermission, chat_permissions, slack_channel_permissions,
};
use crate::seed::SeedTable;
use crate::seed::table::seed_table;
use crate::types::Timestamp;

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

/// The chat permissions, stamped with the run's `now`.
pub fn chat_permission_rows(now: Timestamp) -> Vec<NewChatPermission> {
    CHAT_PERMISSIONS
        .iter()
        .map(|c| NewChatPermission {
            chat_id: c.chat_id.to_owned(),
            chat_type: c.chat_type,
            permission: c.permission,
            display_name: Some(c.display_name.to_owned()),
            notes: Some(c.notes.to_owned()),
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect()
}

/// The Slack channel permissions, stamped with the run's `now`.
pub fn slack_channel_permission_rows(now: Timestamp) -> Vec<NewSlackChannelPermission> {
    SLACK_CHANNEL_PERMISSIONS
        .iter()
        .map(|c| NewSlackChannelPermission {
            channel_id: c.channel_id.to_owned(),
            permission: c.permission,
            respond_to_mentions: Some(c.respond_to_mentions),
            respond_to_dms: Some(c.respond_to_dms),
            notes: Some(c.notes.to_owned()),
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect()
}

seed_table! {
    /// chat_permissions: the test WhatsApp chats.
    pub struct ChatPermissionsTable = chat_permissions(NewChatPermission) {
        group: Permissions,
        primary_key: String,
        key: [chat_id],
        columns: [chat_type, permission, display_name, notes],
        touch: updated_at,
        depends_on: [],
        rows: chat_permission_rows,
    }
}

seed_table! {
    /// slack_channel_permissions: the test Slack channels.
    pub struct SlackChannelPermissionsTable = slack_channel_permissions(NewSlackChannelPermission) {
        group: Permissions,
        primary_key: String,
        key: [channel_id],
        columns: [permission, respond_to_mentions, respond_to_dms, notes],
        touch: updated_at,
        depends_on: [],
        rows: slack_channel_permission_rows,
    }
}

/// chat_permissions and slack_channel_permissions.
pub const TABLES: &[&dyn SeedTable] = &[&ChatPermissionsTable, &SlackChannelPermissionsTable];
