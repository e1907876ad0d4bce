//! Slack: messages, channels, channel permissions and their audit log.

use diesel::prelude::*;

use super::domains::{MessageDirection, PermissionLevel};
use crate::Table;
use crate::types::Timestamp;

/// A Slack message, incoming or outgoing, with its thread and attachment types.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = slack_messages, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "slack_messages")]
pub struct SlackMessage {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(unique)]
    pub message_id: Option<String>,
    #[orient(index = "idx_slack_messages_channel")]
    pub channel_id: String,
    #[orient(index = "idx_slack_messages_thread")]
    pub thread_ts: Option<String>,
    #[orient(index = "idx_slack_messages_user")]
    pub user_id: String,
    pub user_name: Option<String>,
    pub text: String,
    #[orient(sql_type = text, index = "idx_slack_messages_direction")]
    pub direction: MessageDirection,
    #[orient(index = "idx_slack_messages_timestamp")]
    pub timestamp: Timestamp,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default = false)]
    pub has_files: Option<bool>,
    pub file_types: Option<String>,
}

/// A Slack channel the bot knows, and whether it is a member.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = slack_channels, primary_key(channel_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "slack_channels")]
pub struct SlackChannel {
    #[orient(primary_key)]
    pub channel_id: String,
    #[orient(index = "idx_slack_channels_name")]
    pub channel_name: Option<String>,
    #[orient(index = "idx_slack_channels_type")]
    pub channel_type: Option<String>,
    #[orient(default = true)]
    pub is_member: Option<bool>,
    #[orient(default_now)]
    pub last_updated: Option<Timestamp>,
}

/// What the bot may do in one Slack channel, and whether it answers mentions and DMs.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = slack_channel_permissions, primary_key(channel_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "slack_channel_permissions")]
pub struct SlackChannelPermission {
    #[orient(primary_key)]
    pub channel_id: String,
    #[orient(sql_type = text, default = PermissionLevel::ReadOnly, index = "idx_slack_permissions_permission")]
    pub permission: PermissionLevel,
    #[orient(default = true)]
    pub respond_to_mentions: Option<bool>,
    #[orient(default = true)]
    pub respond_to_dms: Option<bool>,
    pub notes: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// One change of a Slack channel's permission.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = slack_permission_audit_log, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "slack_permission_audit_log")]
pub struct SlackPermissionAuditLog {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_slack_audit_channel")]
    pub channel_id: String,
    pub old_permission: Option<String>,
    pub new_permission: String,
    pub changed_by: Option<String>,
    #[orient(default_now, index = "idx_slack_audit_time")]
    pub changed_at: Option<Timestamp>,
}
