//! Key-value storage for mini-apps.

use diesel::prelude::*;

use crate::Table;
use crate::types::Timestamp;

/// One key-value entry of a mini-app's storage.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = app_storage, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "app_storage")]
#[orient(unique_index(name = "idx_app_storage_unique", columns(app_name, key)))]
pub struct AppStorageEntry {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_app_storage_app_name")]
    pub app_name: String,
    pub key: String,
    pub value: String,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
