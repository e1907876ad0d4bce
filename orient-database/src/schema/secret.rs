//! Encrypted secrets and their audit log.

use diesel::prelude::*;

use super::domains::SecretAction;
use crate::Table;
use crate::types::Timestamp;

/// An encrypted secret (AES-GCM value, IV and tag), by key.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = secrets, primary_key(key), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "secrets")]
pub struct Secret {
    #[orient(primary_key)]
    pub key: String,
    pub encrypted_value: String,
    pub iv: String,
    pub auth_tag: String,
    #[orient(index = "idx_secrets_category")]
    pub category: Option<String>,
    pub description: Option<String>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// One access to or change of a secret.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = secrets_audit_log, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "secrets_audit_log")]
pub struct SecretAuditLog {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(index = "idx_secrets_audit_key")]
    pub key: String,
    #[orient(sql_type = text)]
    pub action: SecretAction,
    pub changed_by: Option<String>,
    #[orient(default_now, index = "idx_secrets_audit_time")]
    pub changed_at: Option<Timestamp>,
}
