//! Incoming webhooks, their events, and webhook forwarding rules.

use diesel::prelude::*;

use super::domains::{MessagingPlatform, WebhookEventStatus, WebhookSource};
use crate::Table;
use crate::types::Timestamp;

/// A rule forwarding incoming webhook calls under a path prefix to another URL.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = webhook_forwards, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "webhook_forwards")]
pub struct WebhookForward {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub name: String,
    #[orient(index = "idx_webhook_forwards_path")]
    pub source_path_prefix: String,
    pub target_url: String,
    #[orient(default = true, index = "idx_webhook_forwards_active")]
    pub is_active: Option<bool>,
    #[orient(default = false)]
    pub verify_signature: Option<bool>,
    pub signature_header: Option<String>,
    pub signature_secret: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// An incoming webhook endpoint that turns events into WhatsApp or Slack messages.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = webhooks, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "webhooks")]
pub struct Webhook {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(unique, index = "idx_webhooks_name")]
    pub name: String,
    pub description: Option<String>,
    pub token: String,
    pub signature_header: Option<String>,
    #[orient(sql_type = text, index = "idx_webhooks_source_type")]
    pub source_type: WebhookSource,
    pub event_filter: Option<String>,
    #[orient(sql_type = text)]
    pub provider: MessagingPlatform,
    pub target: String,
    pub message_template: Option<String>,
    #[orient(default = true, index = "idx_webhooks_enabled")]
    pub enabled: Option<bool>,
    pub last_triggered_at: Option<Timestamp>,
    #[orient(default = 0)]
    pub trigger_count: Option<i64>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// One event received by a webhook and what became of it.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = webhook_events, belongs_to(Webhook), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "webhook_events")]
pub struct WebhookEvent {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = webhooks::id, on_delete = cascade, index = "idx_webhook_events_webhook_id")]
    pub webhook_id: i64,
    #[orient(default_now, index = "idx_webhook_events_received_at")]
    pub received_at: Option<Timestamp>,
    pub event_type: Option<String>,
    pub payload: Option<String>,
    #[orient(sql_type = text, default = WebhookEventStatus::Pending, index = "idx_webhook_events_status")]
    pub status: WebhookEventStatus,
    pub error: Option<String>,
    pub message_sent: Option<String>,
    pub processing_time_ms: Option<i64>,
}
