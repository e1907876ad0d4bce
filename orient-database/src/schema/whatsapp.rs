//! WhatsApp: messages, groups, chat permissions and their audit log.

use diesel::prelude::*;

use super::domains::{ChatType, MediaType, MessageDirection, PermissionLevel};
use crate::Table;
use crate::types::Timestamp;

/// A WhatsApp message, incoming or outgoing, with optional media and its transcription.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = messages, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "messages")]
pub struct Message {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(unique)]
    pub message_id: Option<String>,
    #[orient(sql_type = text, index = "idx_messages_direction")]
    pub direction: MessageDirection,
    pub jid: String,
    #[orient(index = "idx_messages_phone")]
    pub phone: String,
    pub text: String,
    #[orient(default = false, index = "idx_messages_is_group")]
    pub is_group: bool,
    #[orient(index = "idx_messages_group_id")]
    pub group_id: Option<String>,
    #[orient(index = "idx_messages_timestamp")]
    pub timestamp: Timestamp,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(sql_type = text, index = "idx_messages_media_type")]
    pub media_type: Option<MediaType>,
    pub media_path: Option<String>,
    pub media_mime_type: Option<String>,
    pub transcribed_text: Option<String>,
    pub transcribed_language: Option<String>,
}

/// A WhatsApp group the bot has seen, with its name, subject and size.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = groups, primary_key(group_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "groups")]
pub struct Group {
    #[orient(primary_key)]
    pub group_id: String,
    #[orient(index = "idx_groups_name")]
    pub group_name: Option<String>,
    #[orient(index = "idx_groups_subject")]
    pub group_subject: Option<String>,
    pub participant_count: Option<i64>,
    #[orient(default_now)]
    pub last_updated: Option<Timestamp>,
}

/// What the bot may do in one WhatsApp chat: ignore it, read it, or read and reply.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = chat_permissions, primary_key(chat_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "chat_permissions")]
pub struct ChatPermission {
    #[orient(primary_key)]
    pub chat_id: String,
    #[orient(sql_type = text, index = "idx_chat_permissions_type")]
    pub chat_type: ChatType,
    #[orient(sql_type = text, default = PermissionLevel::ReadOnly, index = "idx_chat_permissions_permission")]
    pub permission: PermissionLevel,
    pub display_name: Option<String>,
    pub notes: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// One change of a WhatsApp chat's permission: who changed it, from what, to what.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = permission_audit_log, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "permission_audit_log")]
pub struct PermissionAuditLog {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_permission_audit_chat")]
    pub chat_id: String,
    pub old_permission: Option<String>,
    pub new_permission: String,
    pub changed_by: Option<String>,
    #[orient(default_now, index = "idx_permission_audit_time")]
    pub changed_at: Option<Timestamp>,
}
