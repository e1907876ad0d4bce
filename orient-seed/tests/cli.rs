//! `orient-seed` driven as a process on real database files: what it writes, idempotence, `--force`,
//! the selection flags, `--dry-run`, missing tables, usage and configuration errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use orient_database::db::DbConnection;
use orient_database::db::config::Config;
use orient_database::schema::domains::{
    AgentMode, ContextType, MessagingPlatform, ModelTier, PermissionLevel,
};
use orient_database::schema::*;
use orient_testkit::seed_report::{counts, totals};
use orient_testkit::sqlite::{connect, content_hash, count, execute, table_rows};
use orient_testkit::{Engine, Project};
use orient_testkit::{listing, sha256_file};

const HAIKU: &str = "anthropic/claude-haiku-4-5-20251001";
const SONNET: &str = "anthropic/claude-sonnet-4-20250514";
const NANO: &str = "opencode/gpt-5-nano";

/// (context_type, context_id, agent_id, skill_overrides, priority)
type RuleSummary<'a> = (
    ContextType,
    Option<&'a str>,
    Option<&'a str>,
    Option<Vec<String>>,
    i64,
);

/// A connection to `project`'s database, on its engine, as a service would open it.
fn open(project: &Project) -> DbConnection {
    let mut env = std::collections::BTreeMap::new();
    if let Some(url) = project.url() {
        env.insert("DATABASE_URL".to_owned(), url.to_owned());
    }
    let config = Config::resolve(project.root(), &env).unwrap();
    orient_database::db::open::open_existing(&config, "reading what the seeder wrote").unwrap()
}

fn seeded_project() -> Project {
    let project = Project::new();
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    project
}

#[test]
fn a_fresh_database_gets_exactly_the_rows_of_the_spec() {
    let project = Project::new();
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let db = project.db();
    assert!(db.is_file(), "the default database is created");
    for (table, n) in [
        ("agents", 5),
        ("agent_skills", 13),
        ("agent_tools", 55),
        ("context_rules", 6),
        ("chat_permissions", 3),
        ("slack_channel_permissions", 3),
        ("system_prompts", 4),
    ] {
        assert_eq!(count(&db, table), n, "{table}");
    }
    let mut conn = connect(&db);

    let agents: Vec<Agent> = agents::table
        .order(diesel::dsl::sql::<diesel::sql_types::BigInt>("rowid"))
        .load(&mut conn)
        .unwrap();
    let summary: Vec<(&str, &str, AgentMode, &str, &str, ModelTier, bool)> = agents
        .iter()
        .map(|a| {
            (
                a.id.as_str(),
                a.name.as_str(),
                a.mode.unwrap(),
                a.model_default.as_deref().unwrap(),
                a.model_fallback.as_deref().unwrap(),
                a.model_tier.unwrap(),
                a.enabled.unwrap(),
            )
        })
        .collect();
    use AgentMode::{Primary, Specialized};
    use ModelTier::{Balanced, Cheap};
    assert_eq!(
        summary,
        vec![
            ("ori", "Ori", Primary, HAIKU, NANO, Cheap, true),
            (
                "communicator",
                "Communicator",
                Specialized,
                HAIKU,
                NANO,
                Cheap,
                true
            ),
            (
                "scheduler",
                "Scheduler",
                Specialized,
                HAIKU,
                NANO,
                Cheap,
                true
            ),
            (
                "explorer",
                "Explorer",
                Specialized,
                HAIKU,
                NANO,
                Cheap,
                true
            ),
            (
                "app-builder",
                "App Builder",
                Specialized,
                SONNET,
                NANO,
                Balanced,
                true
            ),
        ]
    );
    assert!(agents.iter().all(|a| {
        a.description.as_deref().is_some_and(|d| !d.is_empty())
            && a.base_prompt.as_deref().is_some_and(|p| !p.is_empty())
            && a.created_at.is_some()
            && a.created_at == a.updated_at
    }));

    let skills: Vec<(String, String, Option<bool>)> = agent_skills::table
        .order(agent_skills::id)
        .select((
            agent_skills::agent_id,
            agent_skills::skill_name,
            agent_skills::enabled,
        ))
        .load(&mut conn)
        .unwrap();
    let skill_pairs: Vec<String> = skills.iter().map(|(a, s, _)| format!("{a}:{s}")).collect();
    assert_eq!(
        skill_pairs,
        [
            "ori:personal-jira-project-management",
            "ori:personal-weekly-workflow",
            "ori:example-presentation-automation",
            "ori:personal-message-scheduling",
            "ori:tool-discovery",
            "ori:onboarding-guide",
            "communicator:slack-formatting",
            "communicator:personal-message-scheduling",
            "scheduler:personal-message-scheduling",
            "explorer:tool-discovery",
            "explorer:project-architecture",
            "explorer:testing-strategy",
            "app-builder:mini-apps",
        ]
    );
    assert!(skills.iter().all(|(_, _, enabled)| *enabled == Some(true)));

    let tools: Vec<AgentTool> = agent_tools::table
        .order(agent_tools::id)
        .load(&mut conn)
        .unwrap();
    let rendered: Vec<String> = tools
        .iter()
        .map(|t| format!("{}:{}:{}", t.agent_id, t.access_type, t.pattern))
        .collect();
    let mut expected: Vec<String> = Vec::new();
    let spec: [(&str, &[&str], &[&str]); 5] = [
        (
            "ori",
            &[
                "ai_first_*",
                "discover_tools",
                "user-*",
                "config_confirm_action",
                "config_list_pending",
                "config_cancel_action",
                "config_set_permission",
                "config_get_permission",
                "config_list_permissions",
                "config_set_prompt",
                "config_get_prompt",
                "config_list_prompts",
                "config_set_secret",
                "config_list_secrets",
                "config_delete_secret",
                "config_update_agent",
                "config_get_agent",
                "config_list_agents",
                "config_create_schedule",
                "config_update_schedule",
                "config_delete_schedule",
                "config_list_schedules",
                "config_*",
                "orient-assistant_config_*",
            ],
            &["write", "edit", "bash", "Bash"],
        ),
        (
            "communicator",
            &["ai_first_slack_*", "whatsapp_send_*"],
            &["jira*", "*docs*"],
        ),
        (
            "scheduler",
            &["google_calendar_*", "google_tasks_*", "ai_first_*schedule*"],
            &["jira*", "*messaging*"],
        ),
        (
            "explorer",
            &["read", "glob", "grep", "discover_tools"],
            &["write", "edit", "*messaging*"],
        ),
        (
            "app-builder",
            &[
                "ai_first_create_app",
                "ai_first_update_app",
                "ai_first_list_apps",
                "ai_first_get_app",
                "ai_first_share_app",
                "discover_tools",
            ],
            &["write", "edit", "bash", "Bash", "Shell"],
        ),
    ];
    for (agent, allow, deny) in spec {
        expected.extend(allow.iter().map(|p| format!("{agent}:allow:{p}")));
        expected.extend(deny.iter().map(|p| format!("{agent}:deny:{p}")));
    }
    assert_eq!(rendered, expected);

    let rules: Vec<ContextRule> = context_rules::table
        .order(context_rules::id)
        .load(&mut conn)
        .unwrap();
    let rules: Vec<RuleSummary> = rules
        .iter()
        .map(|r| {
            (
                r.context_type,
                r.context_id.as_deref(),
                r.agent_id.as_deref(),
                r.skill_overrides.clone().map(|j| j.0),
                r.priority.unwrap(),
            )
        })
        .collect();
    let list = |items: &[&str]| Some(items.iter().map(|s| (*s).to_owned()).collect());
    assert_eq!(
        rules,
        vec![
            (ContextType::Default, None, Some("ori"), None, 0),
            (
                ContextType::Environment,
                Some("local"),
                None,
                list(&[
                    "disable:project-architecture",
                    "disable:mcp-debugging",
                    "disable:whatsapp-logs"
                ]),
                10
            ),
            (
                ContextType::Environment,
                Some("prod"),
                None,
                list(&[
                    "disable:skill-creator",
                    "disable:project-architecture",
                    "disable:mcp-debugging",
                    "disable:whatsapp-logs"
                ]),
                10
            ),
            (
                ContextType::Platform,
                Some("whatsapp"),
                Some("ori"),
                None,
                5
            ),
            (ContextType::Platform, Some("slack"), Some("ori"), None, 5),
            (
                ContextType::Platform,
                Some("opencode"),
                Some("ori"),
                None,
                5
            ),
        ]
    );
    // skill_overrides is compact JSON text, as the original stores it.
    assert!(
        table_rows(&mut conn, "context_rules")[2].contains(
            r#"'["disable:skill-creator","disable:project-architecture","disable:mcp-debugging","disable:whatsapp-logs"]'"#
        )
    );

    let chats: Vec<ChatPermission> = chat_permissions::table
        .order(diesel::dsl::sql::<diesel::sql_types::BigInt>("rowid"))
        .load(&mut conn)
        .unwrap();
    let chats: Vec<(&str, &str, PermissionLevel, &str)> = chats
        .iter()
        .map(|c| {
            (
                c.chat_id.as_str(),
                c.chat_type.as_str(),
                c.permission,
                c.display_name.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chats,
        vec![
            (
                "test-group-1@g.us",
                "group",
                PermissionLevel::ReadWrite,
                "Test Team Chat"
            ),
            (
                "test-group-2@g.us",
                "group",
                PermissionLevel::ReadOnly,
                "Test Announcements"
            ),
            (
                "test-dm-1@s.whatsapp.net",
                "individual",
                PermissionLevel::ReadWrite,
                "Test DM User"
            ),
        ]
    );
    let channels: Vec<SlackChannelPermission> = slack_channel_permissions::table
        .order(diesel::dsl::sql::<diesel::sql_types::BigInt>("rowid"))
        .load(&mut conn)
        .unwrap();
    let channels: Vec<(&str, PermissionLevel, Option<bool>, Option<bool>)> = channels
        .iter()
        .map(|c| {
            (
                c.channel_id.as_str(),
                c.permission,
                c.respond_to_mentions,
                c.respond_to_dms,
            )
        })
        .collect();
    assert_eq!(
        channels,
        vec![
            (
                "C_TEST_GENERAL",
                PermissionLevel::ReadWrite,
                Some(true),
                Some(true)
            ),
            (
                "C_TEST_ALERTS",
                PermissionLevel::ReadOnly,
                Some(false),
                Some(false)
            ),
            (
                "D_TEST_DM",
                PermissionLevel::ReadWrite,
                Some(true),
                Some(true)
            ),
        ]
    );
    let prompts: Vec<SystemPrompt> = system_prompts::table
        .order(system_prompts::id)
        .load(&mut conn)
        .unwrap();
    let prompts: Vec<(&str, &str, bool, usize)> = prompts
        .iter()
        .map(|p| {
            (
                p.chat_id.as_str(),
                p.platform.as_str(),
                p.is_active.unwrap(),
                p.prompt_text.lines().count(),
            )
        })
        .collect();
    assert_eq!(
        prompts.iter().map(|p| (p.0, p.1, p.2)).collect::<Vec<_>>(),
        vec![
            ("test-group-1@g.us", "whatsapp", true),
            ("C_TEST_GENERAL", "slack", true),
            ("__default__", "whatsapp", true),
            ("__default__", "slack", true),
        ]
    );
    assert!(prompts.iter().all(|p| (5..=20).contains(&p.3)));
    // The slack default teaches single-asterisk bold.
    let slack_default: String = system_prompts::table
        .filter(system_prompts::chat_id.eq("__default__"))
        .filter(system_prompts::platform.eq(MessagingPlatform::Slack))
        .select(system_prompts::prompt_text)
        .first(&mut conn)
        .unwrap();
    assert!(slack_default.contains("*single asterisks*"));
}

orient_testkit::on_each_engine! {
fn the_report_counts_every_row_inserted_then_unchanged(project: Project) {
    let first = project.seed_json(&[]);
    assert_eq!(first["created_database"], project.engine() == Engine::Sqlite);
    assert_eq!(
        first["applied_migrations"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        counts(&first)
            .iter()
            .map(|c| (c.0.as_str(), c.1.as_str(), c.2))
            .collect::<Vec<_>>(),
        vec![
            ("agents", "agents", 5),
            ("agents", "agent_skills", 13),
            ("agents", "agent_tools", 55),
            ("agents", "context_rules", 6),
            ("permissions", "chat_permissions", 3),
            ("permissions", "slack_channel_permissions", 3),
            ("prompts", "system_prompts", 4),
        ]
    );
    assert_eq!(totals(&first), (89, 0, 0, 0));
    assert_eq!(
        first["seeders"][0]["tables"][0]["changes"][0],
        serde_json::json!({"key": "ori", "action": "insert"})
    );

    let hash = project.content_hash();
    let second = project.seed_json(&[]);
    assert_eq!(totals(&second), (0, 0, 89, 0));
    assert!(
        counts(&second)
            .iter()
            .all(|c| c.2 == 0 && c.3 == 0 && c.5 == 0)
    );
    assert_eq!(second["applied_migrations"], serde_json::json!([]));
    assert_eq!(
        project.content_hash(),
        hash,
        "a second run changes nothing"
    );

    // --force on an untouched database has nothing to rewrite either.
    let forced = project.seed_json(&["--force"]);
    assert_eq!(totals(&forced), (0, 0, 89, 0));
    assert_eq!(project.content_hash(), hash);

    // And people get a table.
    let human = project.seed(&[], &[]);
    assert_eq!(human.code, 0, "{human:?}");
    assert!(human.stdout.contains("agent_tools"), "{human:?}");
    assert!(human.stdout.contains("unchanged"), "{human:?}");
}

fn force_restores_seeded_rows_in_place_and_keeps_what_users_added(project: Project) {
    assert_eq!(project.seed(&[], &[]).code, 0);
    let mut conn = open(&project);
    // SQLite: the row stays where it is (same rowid), so an update, not a delete and insert.
    // PostgreSQL rewrites every updated row (MVCC): there the ids below say the same.
    let ori_rowid = || -> Option<String> {
        (project.engine() == Engine::Sqlite)
            .then(|| project.scalar("SELECT rowid FROM agents WHERE id = 'ori'"))
    };
    let rowid_before = ori_rowid();
    let ori_before: Agent = agents::table.find("ori").first(&mut conn).unwrap();
    let skill_ids_before: Vec<i64> = agent_skills::table
        .filter(agent_skills::agent_id.eq("ori"))
        .select(agent_skills::id)
        .order(agent_skills::id)
        .load(&mut conn)
        .unwrap();
    drop(conn);
    project.execute(
        "UPDATE agents SET name = 'Ori the Great', updated_at = 1 WHERE id = 'ori';
         DELETE FROM agent_tools WHERE agent_id = 'ori' AND pattern = 'config_list_pending';
         INSERT INTO agents (id, name, description) VALUES ('custom', 'My Agent', 'made by a user');
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('custom', 'custom-skill');
         INSERT INTO agent_skills (agent_id, skill_name, enabled) VALUES ('ori', 'extra-skill', false);
         INSERT INTO chat_permissions (chat_id, chat_type, permission) VALUES ('real@g.us', 'group', 'ignored');",
    );

    // Without --force: the missing tool comes back, the renamed agent is kept and reported.
    let plain = project.seed_json(&[]);
    assert_eq!(totals(&plain), (1, 0, 87, 1));
    assert_eq!(
        plain["seeders"][0]["tables"][0]["changes"],
        serde_json::json!([{"key": "ori", "action": "keep", "fields": ["name"]}])
    );
    let mut conn = open(&project);
    let name: String = agents::table
        .find("ori")
        .select(agents::name)
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "Ori the Great");
    drop(conn);
    let human = project.seed(&[], &[]);
    assert!(
        human.stdout.contains("--force") && human.stdout.contains("agents `ori` (name)"),
        "{human:?}"
    );

    project.execute(
        "DELETE FROM agent_tools WHERE agent_id = 'ori' AND pattern = 'config_list_pending';",
    );
    let forced = project.seed_json(&["--force"]);
    assert_eq!(totals(&forced), (1, 1, 87, 0));
    assert_eq!(
        forced["seeders"][0]["tables"][0]["changes"],
        serde_json::json!([{"key": "ori", "action": "update", "fields": ["name"]}])
    );

    assert_eq!(ori_rowid(), rowid_before, "updated in place");
    let mut conn = open(&project);
    let ori: Agent = agents::table.find("ori").first(&mut conn).unwrap();
    assert_eq!(ori.name, "Ori");
    assert_eq!(
        Agent {
            updated_at: ori_before.updated_at,
            ..ori.clone()
        },
        ori_before,
        "every seeded column is back to its seed value"
    );
    assert!(
        ori.updated_at.unwrap().unix_seconds() > 1,
        "a rewritten row gets a new updated_at"
    );
    let tool: Vec<AgentTool> = agent_tools::table
        .filter(agent_tools::agent_id.eq("ori"))
        .filter(agent_tools::pattern.eq("config_list_pending"))
        .load(&mut conn)
        .unwrap();
    assert_eq!(tool.len(), 1, "the deleted tool is back");
    assert_eq!(project.count("agent_tools"), 55);
    // The user's rows are untouched.
    let custom: Agent = agents::table.find("custom").first(&mut conn).unwrap();
    assert_eq!(
        (custom.name.as_str(), custom.description.as_deref()),
        ("My Agent", Some("made by a user"))
    );
    let user_skills: Vec<(String, String, Option<bool>)> = agent_skills::table
        .filter(agent_skills::skill_name.eq_any(["custom-skill", "extra-skill"]))
        .select((
            agent_skills::agent_id,
            agent_skills::skill_name,
            agent_skills::enabled,
        ))
        .order(agent_skills::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        user_skills,
        vec![
            ("custom".to_owned(), "custom-skill".to_owned(), Some(true)),
            ("ori".to_owned(), "extra-skill".to_owned(), Some(false)),
        ]
    );
    let skill_ids_after: Vec<i64> = agent_skills::table
        .filter(agent_skills::agent_id.eq("ori"))
        .filter(agent_skills::skill_name.ne("extra-skill"))
        .select(agent_skills::id)
        .order(agent_skills::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        skill_ids_after, skill_ids_before,
        "seeded skills keep their ids"
    );
    assert_eq!(project.count("agents"), 6);
    assert_eq!(project.count("agent_skills"), 15);
    assert_eq!(project.count("chat_permissions"), 4);
    drop(conn);

    // And now everything is as seeded: another --force changes nothing.
    let hash = project.content_hash();
    assert_eq!(totals(&project.seed_json(&["--force"])), (0, 0, 89, 0));
    assert_eq!(project.content_hash(), hash);
}
}

#[test]
fn force_rewrites_every_kind_of_seeded_row_in_place() {
    let project = seeded_project();
    let db = project.db();
    let hash = content_hash(&db);
    execute(
        &db,
        "UPDATE agent_skills SET enabled = 0 WHERE skill_name = 'mini-apps';
         UPDATE context_rules SET priority = 1, agent_id = NULL WHERE context_type = 'default';
         UPDATE chat_permissions SET permission = 'ignored' WHERE chat_id = 'test-group-2@g.us';
         UPDATE slack_channel_permissions SET respond_to_dms = 1 WHERE channel_id = 'C_TEST_ALERTS';
         UPDATE system_prompts SET prompt_text = 'mine', is_active = 0 WHERE chat_id = '__default__' AND platform = 'slack';",
    );
    let forced = project.seed_json(&["--force"]);
    assert_eq!(totals(&forced), (0, 5, 84, 0));
    let updated: Vec<(String, Vec<String>)> = forced["seeders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["tables"].as_array().unwrap().clone())
        .flat_map(|t| t["changes"].as_array().unwrap().clone())
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let owned = |k: &str, f: &[&str]| (k.to_owned(), f.iter().map(|s| (*s).to_owned()).collect());
    assert_eq!(
        updated,
        vec![
            owned("app-builder / mini-apps", &["enabled"]),
            owned("default / NULL", &["agent_id", "priority"]),
            owned("test-group-2@g.us", &["permission"]),
            owned("C_TEST_ALERTS", &["respond_to_dms"]),
            owned("__default__ / slack", &["prompt_text", "is_active"]),
        ]
    );
    // Same rows, same ids: only updated_at tells the rewritten rows apart from the first seeding.
    let mut conn = connect(&db);
    diesel::sql_query("UPDATE context_rules SET updated_at = created_at")
        .execute(&mut conn)
        .unwrap();
    for table in [
        "chat_permissions",
        "slack_channel_permissions",
        "system_prompts",
    ] {
        diesel::sql_query(format!("UPDATE {table} SET updated_at = created_at"))
            .execute(&mut conn)
            .unwrap();
    }
    drop(conn);
    assert_eq!(content_hash(&db), hash);
}

#[test]
fn only_and_skip_run_exactly_the_selected_seeders() {
    let project = Project::new();
    let only = project.seed_json(&["--only", "prompts"]);
    assert_eq!(
        only["not_selected"],
        serde_json::json!(["agents", "permissions"])
    );
    assert_eq!(totals(&only), (4, 0, 0, 0));
    let db = project.db();
    assert_eq!(count(&db, "system_prompts"), 4);
    for table in [
        "agents",
        "agent_skills",
        "agent_tools",
        "context_rules",
        "chat_permissions",
        "slack_channel_permissions",
    ] {
        assert_eq!(count(&db, table), 0, "{table}");
    }

    let project = Project::new();
    let skip = project.seed_json(&["--skip-agents"]);
    assert_eq!(skip["not_selected"], serde_json::json!(["agents"]));
    assert_eq!(totals(&skip), (10, 0, 0, 0));
    let db = project.db();
    for (table, n) in [
        ("agents", 0),
        ("agent_skills", 0),
        ("agent_tools", 0),
        ("context_rules", 0),
        ("chat_permissions", 3),
        ("slack_channel_permissions", 3),
        ("system_prompts", 4),
    ] {
        assert_eq!(count(&db, table), n, "{table}");
    }

    let both = project.seed_json(&["--skip-permissions", "--skip-prompts"]);
    assert_eq!(totals(&both), (79, 0, 0, 0));
    assert_eq!(count(&db, "agent_tools"), 55);
}

#[test]
fn dry_run_writes_nothing_and_reports_what_a_run_would_do() {
    // A database that does not exist is not created.
    let project = Project::new();
    let before = listing(project.root());
    let dry = project.seed_json(&["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(totals(&dry), (89, 0, 0, 0));
    assert_eq!(dry["pending_migrations"].as_array().map(Vec::len), Some(2));
    assert_eq!(listing(project.root()), before, "nothing created");

    // On an existing database: the same summary as the real run, and the file is untouched.
    let project = seeded_project();
    let db = project.db();
    execute(
        &db,
        "UPDATE agents SET name = 'X' WHERE id = 'explorer';
         DELETE FROM system_prompts WHERE platform = 'slack';",
    );
    let hash = content_hash(&db);
    let file = sha256_file(&db);
    let dry = project.seed_json(&["--dry-run", "--force"]);
    assert_eq!(totals(&dry), (2, 1, 86, 0));
    assert_eq!(dry["pending_migrations"], serde_json::json!([]));
    assert_eq!(content_hash(&db), hash);
    assert_eq!(sha256_file(&db), file);
    let human = project.seed(&["--dry-run"], &[]);
    assert!(
        human.stdout.contains("dry run") && human.stdout.contains("would insert"),
        "{human:?}"
    );
    assert_eq!(content_hash(&db), hash);

    let real = project.seed_json(&["--force"]);
    assert_eq!(counts(&real), counts(&dry));
}

#[test]
fn a_missing_table_is_skipped_with_a_warning_and_the_rest_is_seeded() {
    let project = Project::new();
    // Create and migrate the database, then lose a table.
    let run = project.seed(&["--only", "permissions"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let db = project.db();
    execute(&db, "DROP TABLE system_prompts;");
    let run = project.seed(&["--json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning:")
            && run.stderr.contains("system_prompts does not exist")
            && run.stderr.contains("orient-db migrate"),
        "{run:?}"
    );
    let report = run.json();
    assert_eq!(totals(&report), (79, 0, 6, 4));
    let prompts = &report["seeders"][2]["tables"][0];
    assert_eq!(prompts["table"], "system_prompts");
    assert_eq!(prompts["exists"], false);
    assert_eq!(prompts["skipped"], 4);
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("system_prompts")
    );
    assert_eq!(count(&db, "agents"), 5);
    assert_eq!(count(&db, "agent_tools"), 55);

    let human = project.seed(&[], &[]);
    assert_eq!(human.code, 0, "{human:?}");
    assert!(human.stdout.contains("(no table)"), "{human:?}");
}

#[test]
fn a_table_missing_a_column_the_insert_writes_is_skipped_with_a_warning() {
    let project = Project::new();
    let run = project.seed(&["--only", "prompts"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let db = project.db();
    // A schema that drifted from the structs: a seeded column and a timestamp are gone.
    execute(
        &db,
        "ALTER TABLE agents DROP COLUMN model_tier;
         ALTER TABLE chat_permissions DROP COLUMN updated_at;",
    );
    let run = project.seed(&["--json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("table agents has no column model_tier")
            && run
                .stderr
                .contains("table chat_permissions has no column updated_at")
            && run.stderr.contains("orient-db migrate"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("table agent_tools references agents, which could not be seeded"),
        "{run:?}"
    );
    let report = run.json();
    // Slack channels are inserted, the prompts were already there; the rest is skipped.
    assert_eq!(totals(&report), (3, 0, 4, 5 + 13 + 55 + 6 + 3));
    for (table, n) in [
        ("agents", 0),
        ("agent_tools", 0),
        ("chat_permissions", 0),
        ("slack_channel_permissions", 3),
    ] {
        assert_eq!(count(&db, table), n, "{table}");
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    let project = Project::new();
    for args in [
        &["--only", "foo"][..],
        &["--only", "agents", "--skip-agents"],
        &["--frobnicate"],
        &["extra-argument"],
    ] {
        let run = project.seed(args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains("error:"), "{run:?}");
    }
    let run = project.seed(&["--only", "foo"], &[]);
    assert!(
        run.stderr.contains("foo") && run.stderr.contains("agents, permissions, prompts"),
        "{run:?}"
    );
    assert!(!project.path(".dev-data").exists(), "nothing created");
}

#[test]
fn an_unusable_database_is_refused_with_the_cli_exit_codes_and_left_alone() {
    let project = Project::new();
    let run = project.seed(&[], &[("DATABASE_TYPE", "mysql")]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("DATABASE_TYPE=mysql"), "{run:?}");
    let json = project.seed(&["--json"], &[("DATABASE_TYPE", "mysql")]);
    assert_eq!(json.json()["error"]["exit_code"], 2);
    // A PostgreSQL URL: without the `postgres` feature a usage error saying so; with it, a server that
    // cannot be reached is exit 1 naming host, port and database. Never a SQLite file named like it.
    let run = project.seed(&[], &[("DATABASE_URL", "postgres://u@h.invalid/db")]);
    if orient_database::db::target::POSTGRES_BUILT {
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("db on h.invalid:5432"), "{run:?}");
    } else {
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("postgres"), "{run:?}");
    }
    assert!(!project.path(".dev-data").exists());
    assert_eq!(listing(project.root()), ["diesel.toml"]);

    let not_sqlite = project.path("notes.db");
    std::fs::write(&not_sqlite, "these are my notes, not a database\n").unwrap();
    let before = std::fs::read(&not_sqlite).unwrap();
    let files_before = listing(project.root());
    let path = not_sqlite.to_str().unwrap();
    for args in [&[][..], &["--dry-run"]] {
        let run = project.seed(args, &[("SQLITE_DATABASE", path)]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("not an SQLite database"), "{run:?}");
        assert_eq!(std::fs::read(&not_sqlite).unwrap(), before);
        assert_eq!(listing(project.root()), files_before);
    }

    let dir = project.path("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let run = project.seed(&[], &[("SQLITE_DATABASE", dir.to_str().unwrap())]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_database_held_by_another_writer_exits_4_after_the_busy_timeout() {
    use diesel::connection::SimpleConnection;
    let project = seeded_project();
    let db = project.db();
    execute(&db, "DELETE FROM agent_tools WHERE pattern = 'Shell';");
    let hash = content_hash(&db);
    let mut holder = connect(&db);
    holder.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let run = project.seed(&[], &[]);
    holder.batch_execute("ROLLBACK;").unwrap();
    drop(holder);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("locked"), "{run:?}");
    assert_eq!(content_hash(&db), hash);
}

#[test]
fn the_database_is_chosen_like_every_orient_tool() {
    let project = Project::new();
    let run = project.seed(&[], &[("SQLITE_DATABASE", "data/custom.db")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(count(&project.path("data/custom.db"), "agents"), 5);
    assert!(!project.db().exists());
    std::fs::write(project.path(".env"), "AI_INSTANCE_ID=3\n").unwrap();
    let run = project.seed(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        count(&project.path(".dev-data/instance-3/orient.db"), "agents"),
        5
    );
}

/// Every seeded table's rows on `project`'s database through the structs, in key order, as their
/// `Debug` text with the timestamps (the time of the run) blanked.
fn seeded_rows(project: &Project) -> Vec<String> {
    let mut conn = open(project);
    let mut rows: Vec<String> = Vec::new();
    macro_rules! all {
        ($table:ident, $row:ty, $key:expr) => {
            rows.extend(
                $table::table
                    .order($key)
                    .load::<$row>(&mut conn)
                    .unwrap()
                    .iter()
                    .map(|r| format!("{r:?}")),
            )
        };
    }
    all!(agents, Agent, agents::id);
    all!(agent_skills, AgentSkill, agent_skills::id);
    all!(agent_tools, AgentTool, agent_tools::id);
    all!(context_rules, ContextRule, context_rules::id);
    all!(chat_permissions, ChatPermission, chat_permissions::chat_id);
    all!(
        slack_channel_permissions,
        SlackChannelPermission,
        slack_channel_permissions::channel_id
    );
    all!(system_prompts, SystemPrompt, system_prompts::id);
    rows.iter().map(|r| without_timestamps(r)).collect()
}

/// `Timestamp(1769987409)` → `Timestamp(_)`.
fn without_timestamps(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("Timestamp(") {
        let after = at + "Timestamp(".len();
        out.push_str(&rest[..after]);
        out.push('_');
        rest = rest[after..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// The seeder writes the same rows on PostgreSQL as on SQLite: every seeded table, through the structs.
#[test]
fn postgres_gets_exactly_the_rows_sqlite_gets() {
    if !Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT) {
        return;
    }
    let on_sqlite = Project::on(Engine::Sqlite);
    let on_postgres = Project::on(Engine::Postgres);
    for project in [&on_sqlite, &on_postgres] {
        let run = project.seed(&[], &[]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let sqlite_rows = seeded_rows(&on_sqlite);
    assert_eq!(sqlite_rows.len(), 89);
    assert_eq!(seeded_rows(&on_postgres), sqlite_rows);
}
