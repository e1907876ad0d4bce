//! Onboarding assistant sessions.

use diesel::prelude::*;

use super::users::{DashboardUser, dashboard_users};
use crate::Table;
use crate::types::Timestamp;

/// A conversation session of the onboarding assistant.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = onboarder_sessions, belongs_to(DashboardUser, foreign_key = user_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "onboarder_sessions")]
#[orient(index(name = "idx_onboarder_sessions_active", columns(user_id, is_active)))]
pub struct OnboarderSession {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = dashboard_users::id, on_delete = cascade, index = "idx_onboarder_sessions_user")]
    pub user_id: i64,
    #[orient(unique)]
    pub session_id: String,
    pub title: String,
    #[orient(default = false)]
    pub is_active: Option<bool>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub last_active_at: Option<Timestamp>,
}
