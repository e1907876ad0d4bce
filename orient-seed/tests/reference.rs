//! Seeding a database made by the original TypeScript Orient (its Drizzle migrations, from
//! ORIENT_REFERENCE_DIR): it is adopted and migrated, seeded, and its other tables are left as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use diesel::connection::SimpleConnection;
use orient_testkit::Project;
use orient_testkit::reference;
use orient_testkit::seed_report::totals;
use orient_testkit::sqlite::{connect, count, table_names, table_rows};

const SEEDED: [&str; 7] = [
    "agents",
    "agent_skills",
    "agent_tools",
    "context_rules",
    "chat_permissions",
    "slack_channel_permissions",
    "system_prompts",
];

/// A database as the original leaves it after its first `files` migrations, with rows of its own.
fn original_database(reference: &Path, db: &Path, files: usize) {
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let mut conn = connect(db);
    // One transaction: statement by statement, each would wait for its own fsync.
    conn.batch_execute("BEGIN").unwrap();
    reference::build_original(&mut conn, reference, files);
    conn.batch_execute(
        "INSERT INTO agents (id, name, description, enabled, created_at) VALUES
           ('ori', 'Ori', 'the main agent', 1, 1769987409), ('helper', 'Helper', NULL, 0, 1769987410);
         INSERT INTO agent_skills (agent_id, skill_name, enabled, created_at) VALUES
           ('ori', 'tool-discovery', 1, 1769987411), ('helper', 'web', 0, NULL);
         INSERT INTO chat_permissions (chat_id, chat_type, permission, display_name) VALUES
           ('test-group-1@g.us', 'group', 'ignored', 'Our real group');
         INSERT INTO system_prompts (chat_id, platform, prompt_text) VALUES
           ('__default__', 'whatsapp', 'Our own default prompt.');
         INSERT INTO messages (message_id, direction, jid, phone, text, is_group, timestamp) VALUES
           ('m1', 'incoming', '123@s.whatsapp.net', '123', 'hello ''world''', 0, 1769987412),
           (NULL, 'outgoing', '123@s.whatsapp.net', '123', 'ünïcode ✓', 0, 1769987413);
         INSERT INTO feature_flags (id, name, category, sort_order) VALUES ('studio', 'Studio', 'ui', 3);
         INSERT INTO groups (group_id, group_name, participant_count) VALUES ('g1', 'Friends', 7);
         INSERT INTO secrets (key, encrypted_value, iv, auth_tag) VALUES ('k', 'v', 'i', 't');
         COMMIT;",
    )
    .unwrap();
}

/// Every table that is not seeded, with its rows.
fn other_tables(db: &Path) -> BTreeMap<String, Vec<String>> {
    let mut conn = connect(db);
    table_names(&mut conn)
        .into_iter()
        .filter(|t| !SEEDED.contains(&t.as_str()))
        .filter(|t| t != "__diesel_schema_migrations" && t != "__orient_migration_checksums")
        .map(|t| {
            let rows = table_rows(&mut conn, &t);
            (t, rows)
        })
        .collect()
}

#[test]
fn seeding_a_database_of_the_original_keeps_its_other_tables_and_its_own_rows() {
    let Some(reference) = reference::reference_dir() else {
        return;
    };
    for files in [2, 1] {
        let project = Project::new();
        let db = project.db();
        original_database(&reference, &db, files);
        let others = other_tables(&db);
        assert!(others.contains_key("__drizzle_migrations"));
        assert_eq!(others["messages"].len(), 2);

        let run = project.seed(&["--json"], &[]);
        assert_eq!(run.code, 0, "{files} file(s): {run:?}");
        let report = run.json();
        assert_eq!(
            report["adopted_migrations"].as_array().map(Vec::len),
            Some(files),
            "{run:?}"
        );
        assert_eq!(
            report["applied_migrations"].as_array().map(Vec::len),
            Some(2 - files)
        );
        // ori, its tool-discovery skill, the group permission and the WhatsApp default existed: kept.
        let kept: Vec<String> = report["seeders"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["tables"].as_array().unwrap().clone())
            .flat_map(|t| {
                let table = t["table"].as_str().unwrap().to_owned();
                t["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["action"] == "keep")
                    .map(|c| format!("{table}: {}", c["key"].as_str().unwrap()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            kept,
            [
                "agents: ori",
                "chat_permissions: test-group-1@g.us",
                "system_prompts: __default__ / whatsapp"
            ]
        );
        assert_eq!(totals(&report), (85, 0, 1, 3));
        assert_eq!(other_tables(&db), others, "the other tables are unchanged");
        for (table, n) in [
            ("agents", 6),
            ("agent_skills", 14),
            ("agent_tools", 55),
            ("context_rules", 6),
            ("chat_permissions", 3),
            ("slack_channel_permissions", 3),
            ("system_prompts", 4),
        ] {
            assert_eq!(count(&db, table), n, "{table}");
        }

        // --force rewrites the seeded rows; the original's own rows (helper, its skill) stay.
        let forced = project.seed_json(&["--force"]);
        assert_eq!(totals(&forced), (0, 3, 86, 0));
        let mut conn = connect(&db);
        let agents = table_rows(&mut conn, "agents");
        assert!(
            agents[1].starts_with("'helper','Helper',NULL"),
            "{agents:?}"
        );
        assert!(agents[0].starts_with("'ori','Ori','Orient''s everyday assistant"));
        assert_eq!(
            table_rows(&mut conn, "agent_skills")[1],
            "2,'helper','web',0,NULL"
        );
        drop(conn);
        assert_eq!(other_tables(&db), others);
    }
}
