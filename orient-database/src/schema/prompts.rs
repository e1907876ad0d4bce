//! System prompts shared by the WhatsApp and Slack bots.

use diesel::prelude::*;

use super::domains::MessagingPlatform;
use crate::Table;
use crate::types::Timestamp;

/// The system prompt for one chat or channel, or a platform default (`chat_id = '__default__'`).
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = system_prompts, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "system_prompts")]
#[orient(index(name = "idx_system_prompts_lookup", columns(platform, chat_id)))]
pub struct SystemPrompt {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub chat_id: String,
    #[orient(sql_type = text, index = "idx_system_prompts_platform")]
    pub platform: MessagingPlatform,
    pub prompt_text: String,
    #[orient(default = true)]
    pub is_active: Option<bool>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
