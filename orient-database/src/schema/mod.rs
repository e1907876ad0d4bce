//! The 34 tables of the Orient database, one file per group of tables that belong together, and the
//! registry that lists them all ([`TABLES`]).
//!
//! Each struct derives [`Table`](crate::Table): its Diesel table module (`agents`, `agent_skills`, …), its
//! insert struct (`NewAgent`, …) and its model live beside it and are re-exported here. The value domains
//! of text columns are enums in [`domains`].

pub mod agent_registry;
pub mod app_store;
pub mod approval;
pub mod context;
pub mod demo;
pub mod domains;
pub mod feature_flag;
pub mod oauth_proxy;
pub mod onboarder;
pub mod prompts;
pub mod scheduler;
pub mod secret;
pub mod slack;
pub mod users;
pub mod webhook;
pub mod whatsapp;

pub use agent_registry::*;
pub use app_store::*;
pub use approval::*;
pub use context::*;
pub use demo::*;
pub use feature_flag::*;
pub use oauth_proxy::*;
pub use onboarder::*;
pub use prompts::*;
pub use scheduler::*;
pub use secret::*;
pub use slack::*;
pub use users::*;
pub use webhook::*;
pub use whatsapp::*;

crate::register_tables! {
    messages => Message,
    groups => Group,
    chat_permissions => ChatPermission,
    permission_audit_log => PermissionAuditLog,
    dashboard_users => DashboardUser,
    user_version_preferences => UserVersionPreference,
    system_prompts => SystemPrompt,
    slack_messages => SlackMessage,
    slack_channels => SlackChannel,
    slack_channel_permissions => SlackChannelPermission,
    slack_permission_audit_log => SlackPermissionAuditLog,
    scheduled_jobs => ScheduledJob,
    scheduled_job_runs => ScheduledJobRun,
    scheduled_messages => ScheduledMessage,
    demo_meetings => DemoMeeting,
    demo_github_monitors => DemoGithubMonitor,
    webhook_forwards => WebhookForward,
    webhooks => Webhook,
    webhook_events => WebhookEvent,
    agents => Agent,
    agent_skills => AgentSkill,
    agent_tools => AgentTool,
    context_rules => ContextRule,
    permission_policies => PermissionPolicy,
    approval_requests => ApprovalRequest,
    approval_grants => ApprovalGrant,
    chat_context => ChatContext,
    app_storage => AppStorageEntry,
    feature_flags => FeatureFlag,
    user_feature_flag_overrides => UserFeatureFlagOverride,
    onboarder_sessions => OnboarderSession,
    oauth_proxy_sessions => OAuthProxySession,
    secrets => Secret,
    secrets_audit_log => SecretAuditLog,
}
