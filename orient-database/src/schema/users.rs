//! Dashboard users and their version-notification preferences.

use diesel::prelude::*;

use super::domains::AuthMethod;
use crate::Table;
use crate::types::{Json, Timestamp};

/// A user of the web dashboard, signing in with a password, Google, or both.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = dashboard_users, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "dashboard_users")]
pub struct DashboardUser {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(unique)]
    pub username: String,
    pub password_hash: Option<String>,
    #[orient(unique)]
    pub google_id: Option<String>,
    pub google_email: Option<String>,
    #[orient(sql_type = text, default = AuthMethod::Password)]
    pub auth_method: AuthMethod,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}

/// A dashboard user's preferences for new-version notifications.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = user_version_preferences, belongs_to(DashboardUser, foreign_key = user_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "user_version_preferences")]
pub struct UserVersionPreference {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = dashboard_users::id, on_delete = cascade, unique, index = "idx_user_version_prefs_user")]
    pub user_id: i64,
    #[orient(default = true)]
    pub notifications_enabled: Option<bool>,
    #[orient(default = "[]")]
    pub dismissed_versions: Option<Json<Vec<String>>>,
    pub remind_later_until: Option<Timestamp>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
