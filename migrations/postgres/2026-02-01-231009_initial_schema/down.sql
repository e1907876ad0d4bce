-- initial_schema: PostgreSQL's version of this migration, the same version as migrations/sqlite/2026-02-01-231009_initial_schema.
-- Written from the declared structs; once applied anywhere, a migration must not change.

-- drop table `agent_skills`
--   lock: ACCESS EXCLUSIVE on `agent_skills` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
DROP TABLE "agent_skills";
-- drop table `agent_tools`
--   lock: ACCESS EXCLUSIVE on `agent_tools` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
DROP TABLE "agent_tools";
-- drop table `app_storage`
--   lock: ACCESS EXCLUSIVE on `app_storage` (reads and writes wait); changes the catalog only
DROP TABLE "app_storage";
-- drop table `approval_grants`
--   lock: ACCESS EXCLUSIVE on `approval_grants` (reads and writes wait); changes the catalog only
DROP TABLE "approval_grants";
-- drop table `approval_requests`
--   lock: ACCESS EXCLUSIVE on `approval_requests` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `permission_policies` (reads and writes wait); changes the catalog only
DROP TABLE "approval_requests";
-- drop table `chat_context`
--   lock: ACCESS EXCLUSIVE on `chat_context` (reads and writes wait); changes the catalog only
DROP TABLE "chat_context";
-- drop table `chat_permissions`
--   lock: ACCESS EXCLUSIVE on `chat_permissions` (reads and writes wait); changes the catalog only
DROP TABLE "chat_permissions";
-- drop table `context_rules`
--   lock: ACCESS EXCLUSIVE on `context_rules` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
DROP TABLE "context_rules";
-- drop table `agents`
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
DROP TABLE "agents";
-- drop table `demo_github_monitors`
--   lock: ACCESS EXCLUSIVE on `demo_github_monitors` (reads and writes wait); changes the catalog only
DROP TABLE "demo_github_monitors";
-- drop table `demo_meetings`
--   lock: ACCESS EXCLUSIVE on `demo_meetings` (reads and writes wait); changes the catalog only
DROP TABLE "demo_meetings";
-- drop table `groups`
--   lock: ACCESS EXCLUSIVE on `groups` (reads and writes wait); changes the catalog only
DROP TABLE "groups";
-- drop table `messages`
--   lock: ACCESS EXCLUSIVE on `messages` (reads and writes wait); changes the catalog only
DROP TABLE "messages";
-- drop table `oauth_proxy_sessions`
--   lock: ACCESS EXCLUSIVE on `oauth_proxy_sessions` (reads and writes wait); changes the catalog only
DROP TABLE "oauth_proxy_sessions";
-- drop table `onboarder_sessions`
--   lock: ACCESS EXCLUSIVE on `onboarder_sessions` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `dashboard_users` (reads and writes wait); changes the catalog only
DROP TABLE "onboarder_sessions";
-- drop table `permission_audit_log`
--   lock: ACCESS EXCLUSIVE on `permission_audit_log` (reads and writes wait); changes the catalog only
DROP TABLE "permission_audit_log";
-- drop table `permission_policies`
--   lock: ACCESS EXCLUSIVE on `permission_policies` (reads and writes wait); changes the catalog only
DROP TABLE "permission_policies";
-- drop table `scheduled_job_runs`
--   lock: ACCESS EXCLUSIVE on `scheduled_job_runs` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `scheduled_jobs` (reads and writes wait); changes the catalog only
DROP TABLE "scheduled_job_runs";
-- drop table `scheduled_jobs`
--   lock: ACCESS EXCLUSIVE on `scheduled_jobs` (reads and writes wait); changes the catalog only
DROP TABLE "scheduled_jobs";
-- drop table `scheduled_messages`
--   lock: ACCESS EXCLUSIVE on `scheduled_messages` (reads and writes wait); changes the catalog only
DROP TABLE "scheduled_messages";
-- drop table `secrets`
--   lock: ACCESS EXCLUSIVE on `secrets` (reads and writes wait); changes the catalog only
DROP TABLE "secrets";
-- drop table `secrets_audit_log`
--   lock: ACCESS EXCLUSIVE on `secrets_audit_log` (reads and writes wait); changes the catalog only
DROP TABLE "secrets_audit_log";
-- drop table `slack_channel_permissions`
--   lock: ACCESS EXCLUSIVE on `slack_channel_permissions` (reads and writes wait); changes the catalog only
DROP TABLE "slack_channel_permissions";
-- drop table `slack_channels`
--   lock: ACCESS EXCLUSIVE on `slack_channels` (reads and writes wait); changes the catalog only
DROP TABLE "slack_channels";
-- drop table `slack_messages`
--   lock: ACCESS EXCLUSIVE on `slack_messages` (reads and writes wait); changes the catalog only
DROP TABLE "slack_messages";
-- drop table `slack_permission_audit_log`
--   lock: ACCESS EXCLUSIVE on `slack_permission_audit_log` (reads and writes wait); changes the catalog only
DROP TABLE "slack_permission_audit_log";
-- drop table `system_prompts`
--   lock: ACCESS EXCLUSIVE on `system_prompts` (reads and writes wait); changes the catalog only
DROP TABLE "system_prompts";
-- drop table `user_feature_flag_overrides`
--   lock: ACCESS EXCLUSIVE on `user_feature_flag_overrides` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `dashboard_users` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `feature_flags` (reads and writes wait); changes the catalog only
DROP TABLE "user_feature_flag_overrides";
-- drop table `feature_flags`
--   lock: ACCESS EXCLUSIVE on `feature_flags` (reads and writes wait); changes the catalog only
DROP TABLE "feature_flags";
-- drop table `user_version_preferences`
--   lock: ACCESS EXCLUSIVE on `user_version_preferences` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `dashboard_users` (reads and writes wait); changes the catalog only
DROP TABLE "user_version_preferences";
-- drop table `dashboard_users`
--   lock: ACCESS EXCLUSIVE on `dashboard_users` (reads and writes wait); changes the catalog only
DROP TABLE "dashboard_users";
-- drop table `webhook_events`
--   lock: ACCESS EXCLUSIVE on `webhook_events` (reads and writes wait); changes the catalog only
--   lock: ACCESS EXCLUSIVE on `webhooks` (reads and writes wait); changes the catalog only
DROP TABLE "webhook_events";
-- drop table `webhook_forwards`
--   lock: ACCESS EXCLUSIVE on `webhook_forwards` (reads and writes wait); changes the catalog only
DROP TABLE "webhook_forwards";
-- drop table `webhooks`
--   lock: ACCESS EXCLUSIVE on `webhooks` (reads and writes wait); changes the catalog only
DROP TABLE "webhooks";
