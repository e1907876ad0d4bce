//! The declared schema against everything that should equal it: the migrations, the original
//! TypeScript Orient's database, Diesel's own migration harness, and typed reads and writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use orient_database::db::Db;
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::dialect::sqlite::replay_migrations as replay;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::migrations::backend::MigrationBackend;
use orient_database::migrations::{self, runner};
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_database::testing::TestDb;
use orient_database::types::{Json, Timestamp};

fn declared() -> Schema {
    Schema::from_declared(TABLES)
}

/// The 34 tables of spec/orient-schema.md.
const SPEC_TABLES: [&str; 34] = [
    "messages",
    "groups",
    "chat_permissions",
    "permission_audit_log",
    "dashboard_users",
    "user_version_preferences",
    "system_prompts",
    "slack_messages",
    "slack_channels",
    "slack_channel_permissions",
    "slack_permission_audit_log",
    "scheduled_jobs",
    "scheduled_job_runs",
    "scheduled_messages",
    "demo_meetings",
    "demo_github_monitors",
    "webhook_forwards",
    "webhooks",
    "webhook_events",
    "agents",
    "agent_skills",
    "agent_tools",
    "context_rules",
    "permission_policies",
    "approval_requests",
    "approval_grants",
    "chat_context",
    "app_storage",
    "feature_flags",
    "user_feature_flag_overrides",
    "onboarder_sessions",
    "oauth_proxy_sessions",
    "secrets",
    "secrets_audit_log",
];

#[test]
fn the_registry_holds_exactly_the_34_orient_tables() {
    let mut registered: Vec<&str> = TABLES.iter().map(|t| t.name.as_ref()).collect();
    registered.sort();
    let mut expected = SPEC_TABLES.to_vec();
    expected.sort();
    assert_eq!(registered, expected);
}

#[test]
fn every_struct_deriving_table_is_registered() {
    // A table declared but forgotten in `register_tables!` would be missing from migrations and checks.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/schema");
    let mut declared_names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("#[orient(table = \"") {
                declared_names.push(rest.split('"').next().unwrap().to_owned());
            }
        }
    }
    declared_names.sort();
    let mut registered: Vec<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
    registered.sort();
    assert_eq!(declared_names, registered);
}

#[test]
fn replaying_the_migrations_produces_exactly_the_declared_model() {
    let replayed = replay(&migrations::embedded().unwrap()).unwrap();
    assert!(replayed.unmodelled.is_empty(), "{:?}", replayed.unmodelled);
    let schema = &replayed.schema;
    assert_eq!(schema.tables.len(), 34);
    assert_eq!(schema.index_count(), 86);
    assert_eq!(schema.foreign_key_count(), 10);
    assert_eq!(declared().index_count(), 86);
    assert_eq!(declared().foreign_key_count(), 10);
    let changes = diff(schema, &declared(), &Sqlite);
    assert!(changes.is_empty(), "drift: {changes:#?}");
    // Indexes keep the original's exact names.
    let messages = schema.table("messages").unwrap();
    assert!(
        messages
            .index("messages_message_id_unique")
            .is_some_and(|i| i.unique)
    );
}

#[test]
fn the_migrations_on_disk_are_the_ones_embedded() {
    let on_disk = migrations::from_directory(&orient_testkit::repository_migrations()).unwrap();
    let embedded = migrations::embedded().unwrap();
    assert_eq!(on_disk, embedded);
    let names: Vec<&str> = embedded.iter().map(|m| m.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "2026-02-01-231009_initial_schema",
            "2026-02-02-094141_agents_model_tier"
        ]
    );
    // The first migration is the original's 0000 (no model_tier), the second adds it.
    let first = replay(&embedded[..1]).unwrap().schema;
    assert!(
        first
            .table("agents")
            .unwrap()
            .column("model_tier")
            .is_none()
    );
}

/// A database exactly as the original leaves it after the given migration files, in memory.
fn original_database(dir: &Path, files: usize) -> DbConnection {
    let mut conn = from_sqlite(SqliteConnection::establish(":memory:").unwrap());
    orient_testkit::reference::build_original(&mut conn, dir, files);
    conn
}

#[test]
fn a_database_made_by_the_original_orient_has_zero_drift() {
    let Some(dir) = orient_testkit::reference::reference_dir() else {
        return;
    };
    let mut conn = original_database(&dir, 2);
    let live = conn.introspect().unwrap();
    assert!(live.unmodelled.is_empty(), "{:?}", live.unmodelled);
    assert_eq!(live.schema.tables.len(), 34);
    assert_eq!(live.schema.index_count(), 86);
    let changes = diff(&live.schema, &declared(), &Sqlite);
    assert!(
        changes.is_empty(),
        "drift against the original: {changes:#?}"
    );
    // `model_tier` is physically last there, first-class here: order is not drift.
    let agents = live.schema.table("agents").unwrap();
    assert_eq!(agents.columns.last().unwrap().name, "model_tier");

    // Migration by migration: our first migration is the original's 0000.
    let mut first_only = original_database(&dir, 1);
    let original_first = first_only.introspect().unwrap().schema;
    let ours_first = replay(&migrations::embedded().unwrap()[..1])
        .unwrap()
        .schema;
    assert_eq!(diff(&original_first, &ours_first, &Sqlite), vec![]);
}

#[test]
fn diesels_own_harness_sees_the_same_ledger() {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let dir = tempfile::tempdir().unwrap();

    // Ours first (the test template is migrated by our migrator), then Diesel finds nothing pending.
    let ours = TestDb::new().unwrap();
    let mut conn = from_sqlite(
        SqliteConnection::establish(ours.sqlite_path().unwrap().to_str().unwrap()).unwrap(),
    );
    let source = FileBasedMigrations::from_path(orient_testkit::repository_migrations()).unwrap();
    assert!(!conn.has_pending_migration(source).unwrap());

    // Diesel first, then ours finds nothing pending and the schema is the declared one.
    let theirs = dir.path().join("theirs.db");
    let mut conn = from_sqlite(SqliteConnection::establish(theirs.to_str().unwrap()).unwrap());
    let source = FileBasedMigrations::from_path(orient_testkit::repository_migrations()).unwrap();
    conn.run_pending_migrations(source).unwrap();
    let status = runner::status(&mut conn, &migrations::embedded().unwrap()).unwrap();
    assert!(
        status.pending.is_empty() && status.unknown.is_empty(),
        "{status:?}"
    );
    assert_eq!(status.applied.len(), 2);
    assert!(diff(&conn.introspect().unwrap().schema, &declared(), &Sqlite).is_empty());
}

#[test]
fn every_migration_reverts_to_the_schema_before_it() {
    let all = migrations::embedded().unwrap();
    let mut conn = from_sqlite(SqliteConnection::establish(":memory:").unwrap());
    let mut schemas = vec![conn.introspect().unwrap().schema];
    for i in 0..all.len() {
        runner::run_pending(&mut conn, &all[..=i]).unwrap();
        schemas.push(conn.introspect().unwrap().schema);
    }
    for (i, migration) in all.iter().enumerate().rev() {
        conn.revert_one(migration).unwrap();
        let now = conn.introspect().unwrap().schema;
        assert_eq!(
            diff(&now, &schemas[i], &Sqlite),
            vec![],
            "reverting {}",
            migration.name
        );
    }
}

#[orient_database::test]
fn typed_rows_round_trip_through_the_generated_insert_structs(db: Db) {
    use orient_database::schema::domains::*;
    use orient_database::schema::*;
    let mut conn = db.writer().unwrap();

    // Text primary key, enum defaults filled by new().
    let agent = NewAgent::new("ori", "Ori");
    assert_eq!(agent.mode, Some(AgentMode::Primary));
    assert_eq!(agent.model_tier, Some(ModelTier::Cheap));
    assert_eq!(agent.enabled, Some(true));
    assert!(agent.created_at.is_some() && agent.created_at == agent.updated_at);
    diesel::insert_into(agents::table)
        .values(&agent)
        .execute(&mut conn)
        .unwrap();
    let row: Agent = agents::table.find("ori").get_result(&mut conn).unwrap();
    assert_eq!(row.model_tier, Some(ModelTier::Cheap));
    assert_eq!(row.created_at, agent.created_at);

    // Autoincrement id assigned by the database; renamed `type` column; enum stored as text.
    let tool = NewAgentTool::new("ori", "config_*", ToolAccess::Deny);
    let inserted: AgentTool = diesel::insert_into(agent_tools::table)
        .values(&tool)
        .returning(agent_tools::all_columns)
        .get_result(&mut conn)
        .unwrap();
    assert!(inserted.id > 0);
    let stored: String = diesel::sql_query("SELECT type AS value FROM agent_tools")
        .get_result::<TextRow>(&mut conn)
        .unwrap()
        .value;
    assert_eq!(stored, "deny");

    // JSON stored as compact text; a nullable FK set to NULL by ON DELETE SET NULL.
    let mut rule = NewContextRule::new(ContextType::Environment);
    rule.agent_id = Some("ori".to_owned());
    rule.skill_overrides = Some(Json(vec!["disable:x".to_owned(), "enable:y".to_owned()]));
    diesel::insert_into(context_rules::table)
        .values(&rule)
        .execute(&mut conn)
        .unwrap();
    let text: String = diesel::sql_query("SELECT skill_overrides AS value FROM context_rules")
        .get_result::<TextRow>(&mut conn)
        .unwrap()
        .value;
    assert_eq!(text, r#"["disable:x","enable:y"]"#);
    assert_eq!(rule.priority, Some(0));

    // A JSON column's SQL default, and a cascade from dashboard_users.
    let user: DashboardUser = diesel::insert_into(dashboard_users::table)
        .values(&NewDashboardUser::new("ada"))
        .returning(dashboard_users::all_columns)
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(user.auth_method, AuthMethod::Password);
    let preferences = NewUserVersionPreference::new(user.id);
    assert_eq!(preferences.dismissed_versions, Some(Json(Vec::new())));
    diesel::insert_into(user_version_preferences::table)
        .values(&preferences)
        .execute(&mut conn)
        .unwrap();

    // Timestamps are whole Unix seconds in INTEGER columns, booleans 0/1.
    let mut message = NewMessage::new(
        MessageDirection::Incoming,
        "123@s.whatsapp.net",
        "123",
        "hello",
        Timestamp::from_unix_seconds(1_769_987_409),
    );
    message.media_type = Some(MediaType::Audio);
    diesel::insert_into(messages::table)
        .values(&message)
        .execute(&mut conn)
        .unwrap();
    let raw: TextRow = diesel::sql_query(
        "SELECT typeof(timestamp) || ':' || timestamp || ':' || is_group AS value FROM messages",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(raw.value, "integer:1769987409:0");

    // Deleting the agent cascades to its tools and nulls the rule's agent.
    diesel::delete(agents::table.find("ori"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        agent_tools::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        0
    );
    let rule: ContextRule = context_rules::table.first(&mut conn).unwrap();
    assert_eq!(rule.agent_id, None);
    diesel::delete(dashboard_users::table)
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        user_version_preferences::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        0
    );
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[test]
fn an_unknown_enum_value_is_an_error_naming_the_type_and_value() {
    use orient_database::schema::*;
    let mut conn = from_sqlite(SqliteConnection::establish(":memory:").unwrap());
    runner::run_pending(&mut conn, &migrations::embedded().unwrap()).unwrap();
    conn.batch_execute("INSERT INTO agents (id, name, mode) VALUES ('x', 'X', 'supervisor');")
        .unwrap();
    let error = agents::table
        .find("x")
        .get_result::<Agent>(&mut conn)
        .err()
        .map(|e| {
            // Diesel wraps the cause ("Error deserializing field 'mode'"); print the whole chain.
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        })
        .unwrap_or_default();
    assert!(error.contains("'mode'"), "{error}");
    assert!(
        error.contains("`supervisor` is not a valid AgentMode"),
        "{error}"
    );
    assert!(error.contains("primary, specialized"), "{error}");
}

#[orient_database::test]
fn insert_all_writes_full_chunks_and_the_remainder(db: Db) {
    use orient_database::schema::domains::MessageDirection;
    use orient_database::schema::{NewMessage, messages};
    // 14 insertable columns → chunks of 1000: two full chunks and 345 single-row inserts.
    let rows: Vec<NewMessage> = (0..2345)
        .map(|i| {
            let mut m = NewMessage::new(
                MessageDirection::Incoming,
                format!("{i}@s.whatsapp.net"),
                format!("+{i}"),
                format!("message {i}"),
                Timestamp::from_unix_seconds(1_769_987_409 + i),
            );
            m.message_id = Some(format!("m{i}"));
            m
        })
        .collect();
    let inserted = db
        .transaction(|tx| {
            NewMessage::insert_all(tx, &rows).map_err(orient_database::db::Error::from)
        })
        .unwrap();
    assert_eq!(inserted, 2345);
    let mut conn = db.reader().unwrap();
    let ids: Vec<Option<String>> = messages::table
        .select(messages::message_id)
        .order(messages::id)
        .load(&mut conn)
        .unwrap();
    let expected: Vec<Option<String>> = (0..2345).map(|i| Some(format!("m{i}"))).collect();
    assert_eq!(ids, expected);

    // All or nothing inside a transaction: a duplicate message_id in the last chunk inserts nothing.
    let mut again = rows[..3].to_vec();
    again.push(rows[0].clone());
    let failed = db.transaction(|tx| {
        NewMessage::insert_all(tx, &again).map_err(orient_database::db::Error::from)
    });
    assert!(failed.is_err());
    let count: i64 = messages::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 2345);
}
