//! OAuth proxy sessions (PKCE), holding encrypted tokens until retrieved.

use diesel::prelude::*;

use super::domains::OAuthSessionStatus;
use crate::Table;
use crate::types::Timestamp;

/// A PKCE OAuth session of the proxy, holding encrypted tokens until the client retrieves them.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = oauth_proxy_sessions, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "oauth_proxy_sessions")]
pub struct OAuthProxySession {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(unique, index = "idx_oauth_proxy_session_id")]
    pub session_id: String,
    pub code_challenge: String,
    pub scopes: String,
    #[orient(sql_type = text, default = OAuthSessionStatus::Pending, index = "idx_oauth_proxy_status")]
    pub status: OAuthSessionStatus,
    pub user_email: Option<String>,
    pub encrypted_tokens: Option<String>,
    pub tokens_iv: Option<String>,
    pub tokens_auth_tag: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(index = "idx_oauth_proxy_expires")]
    pub expires_at: Timestamp,
}
