//! Tool-permission policies, approval requests and the grants they produce.

use diesel::prelude::*;

use super::domains::{
    ApprovalStatus, GrantType, PermissionAction, PermissionGranularity, RiskLevel,
};
use crate::Table;
use crate::types::Timestamp;

/// A policy deciding whether tool calls matching its patterns are allowed, denied, or need approval.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = permission_policies, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "permission_policies")]
pub struct PermissionPolicy {
    #[orient(primary_key)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub tool_patterns: String,
    pub agent_ids: Option<String>,
    pub platforms: Option<String>,
    #[orient(sql_type = text, index = "idx_permission_policies_action")]
    pub action: PermissionAction,
    #[orient(sql_type = text)]
    pub granularity: PermissionGranularity,
    pub timeout: Option<i64>,
    pub prompt_template: Option<String>,
    #[orient(sql_type = text)]
    pub risk_level: RiskLevel,
    #[orient(default = 0, index = "idx_permission_policies_priority")]
    pub priority: Option<i64>,
    #[orient(default = true, index = "idx_permission_policies_enabled")]
    pub enabled: Option<bool>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// A tool call waiting for (or resolved by) a human approval.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = approval_requests, belongs_to(PermissionPolicy, foreign_key = policy_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "approval_requests")]
pub struct ApprovalRequest {
    #[orient(primary_key)]
    pub id: String,
    #[orient(index = "idx_approval_requests_session")]
    pub session_id: String,
    #[orient(index = "idx_approval_requests_platform")]
    pub platform: String,
    pub user_id: String,
    pub agent_id: String,
    #[orient(references = permission_policies::id, index = "idx_approval_requests_policy")]
    pub policy_id: Option<String>,
    pub tool_name: String,
    pub tool_input: String,
    #[orient(sql_type = text, index = "idx_approval_requests_status")]
    pub status: ApprovalStatus,
    pub platform_message_id: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// An approval that covers later calls: of a tool, a category or a policy, for a session.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = approval_grants, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "approval_grants")]
pub struct ApprovalGrant {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_approval_grants_session")]
    pub session_id: String,
    #[orient(index = "idx_approval_grants_user")]
    pub user_id: String,
    #[orient(sql_type = text, index = "idx_approval_grants_type")]
    pub grant_type: GrantType,
    pub grant_value: String,
    pub expires_at: Option<Timestamp>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}
