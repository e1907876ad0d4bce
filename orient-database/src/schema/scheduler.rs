//! Scheduled jobs, their runs, and the legacy scheduled messages.

use diesel::prelude::*;

use super::domains::{JobRunStatus, MessagingPlatform, ScheduleType};
use crate::Table;
use crate::types::Timestamp;

/// A message sent on a schedule: once, every N minutes, or by cron expression.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = scheduled_jobs, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "scheduled_jobs")]
pub struct ScheduledJob {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    #[orient(sql_type = text)]
    pub schedule_type: ScheduleType,
    pub cron_expression: Option<String>,
    pub run_at: Option<Timestamp>,
    pub interval_minutes: Option<i64>,
    #[orient(default = "UTC")]
    pub timezone: Option<String>,
    #[orient(sql_type = text, index = "idx_scheduled_jobs_provider")]
    pub provider: MessagingPlatform,
    pub target: String,
    pub message_template: String,
    #[orient(default = true, index = "idx_scheduled_jobs_enabled")]
    pub enabled: Option<bool>,
    pub last_run_at: Option<Timestamp>,
    #[orient(index = "idx_scheduled_jobs_next_run")]
    pub next_run_at: Option<Timestamp>,
    #[orient(default = 0)]
    pub run_count: Option<i64>,
    pub last_error: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// One run of a scheduled job: when, how it ended and what it sent.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = scheduled_job_runs, belongs_to(ScheduledJob, foreign_key = job_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "scheduled_job_runs")]
pub struct ScheduledJobRun {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = scheduled_jobs::id, on_delete = cascade, index = "idx_scheduled_job_runs_job_id")]
    pub job_id: i64,
    #[orient(index = "idx_scheduled_job_runs_started_at")]
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    #[orient(sql_type = text, index = "idx_scheduled_job_runs_status")]
    pub status: Option<JobRunStatus>,
    pub error: Option<String>,
    pub message_sent: Option<String>,
}

/// A cron-scheduled message from the legacy scheduler.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = scheduled_messages, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "scheduled_messages")]
pub struct ScheduledMessage {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub name: String,
    pub cron_expression: String,
    #[orient(sql_type = text)]
    pub target_type: MessagingPlatform,
    pub target_id: String,
    pub message: String,
    #[orient(default = true, index = "idx_scheduled_messages_active")]
    pub is_active: Option<bool>,
    pub last_run: Option<Timestamp>,
    #[orient(index = "idx_scheduled_messages_next_run")]
    pub next_run: Option<Timestamp>,
    pub created_by: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
