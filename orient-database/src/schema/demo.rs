//! Tables of the demo features: meetings and GitHub monitors.

use diesel::prelude::*;

use crate::Table;
use crate::types::Timestamp;

/// A meeting created by the demo calendar feature.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = demo_meetings, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "demo_meetings")]
pub struct DemoMeeting {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub attendees: Option<String>,
    #[orient(index = "idx_demo_meetings_start_time")]
    pub start_time: Timestamp,
    pub duration_minutes: i64,
    #[orient(default = true)]
    pub send_reminder: bool,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}

/// A GitHub repository the demo watches, reporting to a Slack channel daily.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = demo_github_monitors, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "demo_github_monitors")]
pub struct DemoGithubMonitor {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_demo_github_monitors_repo")]
    pub repo_url: String,
    pub slack_channel: String,
    pub schedule_time: String,
    #[orient(default = true, index = "idx_demo_github_monitors_active")]
    pub is_active: bool,
    pub last_checked: Option<Timestamp>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}
