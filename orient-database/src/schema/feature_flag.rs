//! Feature flags and per-user overrides.

use diesel::prelude::*;

use super::users::{DashboardUser, dashboard_users};
use crate::Table;
use crate::types::Timestamp;

/// A feature flag shown in the dashboard.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = feature_flags, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "feature_flags")]
pub struct FeatureFlag {
    #[orient(primary_key)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[orient(default = true)]
    pub enabled: Option<bool>,
    #[orient(default = "ui", index = "idx_feature_flags_category")]
    pub category: Option<String>,
    #[orient(default = 0, index = "idx_feature_flags_sort_order")]
    pub sort_order: Option<i64>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// A user's own setting for a feature flag.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = user_feature_flag_overrides, belongs_to(DashboardUser, foreign_key = user_id), belongs_to(FeatureFlag, foreign_key = flag_id), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "user_feature_flag_overrides")]
#[orient(unique_index(name = "idx_user_flag_overrides_user_flag", columns(user_id, flag_id)))]
pub struct UserFeatureFlagOverride {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = dashboard_users::id, on_delete = cascade, index = "idx_user_flag_overrides_user")]
    pub user_id: i64,
    #[orient(references = feature_flags::id, on_delete = cascade, index = "idx_user_flag_overrides_flag")]
    pub flag_id: String,
    pub enabled: bool,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
