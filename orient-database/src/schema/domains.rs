//! The documented value domains of Orient's text columns, as enums stored as the same text.
//!
//! The database does not enforce them (they are plain TEXT, as in the original); reading a value outside a
//! domain is a deserialisation error that names the enum and the value. Columns whose domain is open-ended
//! (`slack_channels.channel_type`, audit-log permission values) stay `String`.

use crate::text_enum;

text_enum! {
    /// `messages.direction`, `slack_messages.direction`.
    pub enum MessageDirection { Incoming = "incoming", Outgoing = "outgoing" }
}

text_enum! {
    /// `messages.media_type`.
    pub enum MediaType { Image = "image", Audio = "audio", Video = "video", Document = "document" }
}

text_enum! {
    /// `chat_permissions.chat_type`.
    pub enum ChatType { Individual = "individual", Group = "group" }
}

text_enum! {
    /// What the bot may do in a chat or channel (`chat_permissions.permission`,
    /// `slack_channel_permissions.permission`; default `read_only`).
    pub enum PermissionLevel { Ignored = "ignored", ReadOnly = "read_only", ReadWrite = "read_write" }
}

text_enum! {
    /// `dashboard_users.auth_method` (default `password`).
    pub enum AuthMethod { Password = "password", Google = "google", Both = "both" }
}

text_enum! {
    /// The two messaging platforms: `system_prompts.platform`, `scheduled_jobs.provider`, `webhooks.provider`,
    /// `scheduled_messages.target_type`.
    pub enum MessagingPlatform { Whatsapp = "whatsapp", Slack = "slack" }
}

text_enum! {
    /// `scheduled_jobs.schedule_type`.
    pub enum ScheduleType { Once = "once", Recurring = "recurring", Cron = "cron" }
}

text_enum! {
    /// `scheduled_job_runs.status`.
    pub enum JobRunStatus { Running = "running", Success = "success", Failed = "failed" }
}

text_enum! {
    /// `webhooks.source_type`.
    pub enum WebhookSource { Github = "github", Calendar = "calendar", Jira = "jira", Custom = "custom" }
}

text_enum! {
    /// `webhook_events.status` (default `pending`).
    pub enum WebhookEventStatus {
        Processed = "processed", Filtered = "filtered", Failed = "failed", Pending = "pending"
    }
}

text_enum! {
    /// `agents.mode` (default `primary`).
    pub enum AgentMode { Primary = "primary", Specialized = "specialized" }
}

text_enum! {
    /// `agents.model_tier` (default `cheap`).
    pub enum ModelTier { Free = "free", Cheap = "cheap", Balanced = "balanced", Quality = "quality" }
}

text_enum! {
    /// `agent_tools.type`: whether a tool pattern allows or denies.
    pub enum ToolAccess { Allow = "allow", Deny = "deny" }
}

text_enum! {
    /// `context_rules.context_type`.
    pub enum ContextType {
        Default = "default", Platform = "platform", Chat = "chat", Channel = "channel",
        Environment = "environment"
    }
}

text_enum! {
    /// `permission_policies.action`.
    pub enum PermissionAction { Allow = "allow", Deny = "deny", Ask = "ask" }
}

text_enum! {
    /// `permission_policies.granularity`.
    pub enum PermissionGranularity {
        PerCall = "per_call", PerSession = "per_session", PerCategory = "per_category"
    }
}

text_enum! {
    /// `permission_policies.risk_level`.
    pub enum RiskLevel { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
}

text_enum! {
    /// `approval_requests.status`.
    pub enum ApprovalStatus {
        Pending = "pending", Approved = "approved", Denied = "denied", Expired = "expired"
    }
}

text_enum! {
    /// `approval_grants.grant_type`.
    pub enum GrantType { Tool = "tool", Category = "category", Policy = "policy" }
}

text_enum! {
    /// `chat_context.platform`.
    pub enum ChatPlatform { Whatsapp = "whatsapp", Slack = "slack", Opencode = "opencode", Cursor = "cursor" }
}

text_enum! {
    /// `oauth_proxy_sessions.status` (default `pending`).
    pub enum OAuthSessionStatus {
        Pending = "pending", Completed = "completed", Retrieved = "retrieved", Expired = "expired"
    }
}

text_enum! {
    /// `secrets_audit_log.action`.
    pub enum SecretAction {
        Created = "created", Updated = "updated", Deleted = "deleted", Accessed = "accessed"
    }
}
