//! Persistent conversation context per chat.

use diesel::prelude::*;

use super::domains::ChatPlatform;
use crate::Table;
use crate::types::Timestamp;

/// Persistent context (JSON) kept for one chat on one platform.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = chat_context, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "chat_context")]
#[orient(index(name = "idx_chat_context_lookup", columns(platform, chat_id)))]
pub struct ChatContext {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub chat_id: String,
    #[orient(sql_type = text)]
    pub platform: ChatPlatform,
    pub context_json: String,
    #[orient(default = 1)]
    pub version: Option<i64>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
