#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::*;
use crate::db::backend::DbConnection;
use crate::db::backend::from_sqlite;
use crate::migrations::{embedded, runner};
use crate::schema::TABLES;
use crate::schema::domains::ToolAccess;
use crate::types::Timestamp;

fn migrated_memory_db() -> DbConnection {
    let mut conn = from_sqlite(crate::dialect::sqlite::connection::in_memory().unwrap());
    runner::run_pending(&mut conn, &embedded().unwrap()).unwrap();
    conn
}

/// Every seed row, through each table's insert struct.
fn insert_all(conn: &mut DbConnection) {
    let shape = Shape::read(conn).unwrap();
    let now = Timestamp::now();
    for table in tables() {
        let all: Vec<usize> = (0..table.len()).collect();
        assert_eq!(
            table.write(conn, &shape, now, &all, &[]).unwrap(),
            table.len()
        );
    }
}

fn table(name: &str) -> &'static dyn SeedTable {
    tables().into_iter().find(|t| t.name() == name).unwrap()
}

#[test]
fn the_data_has_the_counts_and_order_of_the_spec() {
    let counts: Vec<(&str, SeedGroup, usize)> = tables()
        .iter()
        .map(|t| (t.name(), t.group(), t.len()))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("agents", SeedGroup::Agents, 5),
            ("agent_skills", SeedGroup::Agents, 13),
            ("agent_tools", SeedGroup::Agents, 55),
            ("context_rules", SeedGroup::Agents, 6),
            ("chat_permissions", SeedGroup::Permissions, 3),
            ("slack_channel_permissions", SeedGroup::Permissions, 3),
            ("system_prompts", SeedGroup::Prompts, 4),
        ]
    );
    let now = Timestamp::now();
    let tools = data::agents::tool_rows(now);
    let allow = tools
        .iter()
        .filter(|r| r.access_type == ToolAccess::Allow)
        .count();
    assert_eq!((allow, tools.len() - allow), (39, 16));
    // Per agent, allow rows first.
    for agent in [
        "ori",
        "communicator",
        "scheduler",
        "explorer",
        "app-builder",
    ] {
        let types: Vec<ToolAccess> = tools
            .iter()
            .filter(|r| r.agent_id == agent)
            .map(|r| r.access_type)
            .collect();
        let first_deny = types.iter().position(|t| *t == ToolAccess::Deny).unwrap();
        assert!(
            types[first_deny..].iter().all(|t| *t == ToolAccess::Deny),
            "{agent}"
        );
    }
    let rules = data::agents::context_rule_rows(now);
    assert_eq!(
        serde_json::to_string(&rules[1].skill_overrides).unwrap(),
        r#"["disable:project-architecture","disable:mcp-debugging","disable:whatsapp-logs"]"#
    );
    assert_eq!(table("context_rules").keys()[0], "default / NULL");
}

#[test]
fn natural_keys_are_unique_and_their_first_column_is_never_null() {
    // Types fit by construction (the rows are the insert structs); the first key column is never NULL.
    for table in tables() {
        let mut seen = HashSet::new();
        for key in table.keys() {
            assert!(!key.starts_with("NULL"), "{}: {key}", table.name());
            assert!(
                seen.insert(key.clone()),
                "{}: duplicate key {key}",
                table.name()
            );
        }
    }
}

#[test]
fn every_seeded_column_is_declared_with_a_fitting_type() {
    for table in tables() {
        let declared = TABLES
            .iter()
            .find(|t| t.name == table.name())
            .unwrap_or_else(|| panic!("{} is not a registered table", table.name()));
        for dependency in table.depends_on() {
            assert!(TABLES.iter().any(|t| t.name == *dependency));
        }
        // The run's `now` goes into created_at on insert and into updated_at on insert and rewrite.
        assert_eq!(
            table.touched(),
            declared.column("updated_at").map(|_| "updated_at"),
            "{}",
            table.name()
        );
        let mut seeded: Vec<&str> = table.key().iter().chain(table.columns()).copied().collect();
        seeded.extend(["created_at", "updated_at"]);
        for column in table.written_columns() {
            assert!(
                seeded.contains(&column.as_str()),
                "{}.{column} is written but neither seeded nor stamped",
                table.name()
            );
        }
        for name in table.key().iter().chain(table.columns()) {
            let column = declared
                .column(name)
                .unwrap_or_else(|| panic!("{}.{name} is not declared", table.name()));
            assert!(!column.autoincrement, "{}.{name}", table.name());
        }
    }
}

#[test]
fn prompts_are_five_to_twenty_lines() {
    for prompt in data::prompts::SYSTEM_PROMPTS {
        let lines = prompt.prompt_text.lines().count();
        assert!((5..=20).contains(&lines), "{} has {lines}", prompt.chat_id);
    }
    for agent in data::agents::AGENTS {
        assert!(!agent.description.is_empty() && !agent.base_prompt.is_empty());
    }
}

#[test]
fn seeded_rows_read_back_through_the_typed_structs() {
    use crate::schema::*;
    let mut conn = migrated_memory_db();
    insert_all(&mut conn);
    let agents: Vec<Agent> = agents::table.order(agents::id).load(&mut conn).unwrap();
    assert_eq!(agents.len(), 5);
    let tools: Vec<AgentTool> = agent_tools::table.load(&mut conn).unwrap();
    assert_eq!(tools.len(), 55);
    let rules: Vec<ContextRule> = context_rules::table.load(&mut conn).unwrap();
    assert_eq!(
        rules[2].skill_overrides.as_ref().map(|j| j.0.len()),
        Some(4)
    );
    let chats: Vec<ChatPermission> = chat_permissions::table.load(&mut conn).unwrap();
    let channels: Vec<SlackChannelPermission> =
        slack_channel_permissions::table.load(&mut conn).unwrap();
    let prompts: Vec<SystemPrompt> = system_prompts::table.load(&mut conn).unwrap();
    assert_eq!((chats.len(), channels.len(), prompts.len()), (3, 3, 4));
}

fn states(status: &[TableSeedStatus], table: &str) -> Vec<(String, SeedRowState)> {
    status
        .iter()
        .find(|t| t.table == table)
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.key.clone(), r.state.clone()))
        .collect()
}

#[test]
fn status_reports_missing_then_matching_then_differing_rows() {
    let mut conn = migrated_memory_db();
    let before = status(&mut conn).unwrap();
    assert_eq!(before.len(), 7);
    assert!(before.iter().all(|t| t.exists));
    assert!(
        before
            .iter()
            .flat_map(|t| &t.rows)
            .all(|r| r.state == SeedRowState::Missing)
    );

    insert_all(&mut conn);
    let after = status(&mut conn).unwrap();
    assert!(
        after
            .iter()
            .flat_map(|t| &t.rows)
            .all(|r| r.state == SeedRowState::Matches)
    );

    conn.batch_execute(
        "UPDATE agents SET name = 'Renamed', enabled = 0 WHERE id = 'ori';
         DELETE FROM agent_tools WHERE agent_id = 'ori' AND pattern = 'discover_tools';
         -- A user's rows beside the seeded ones: a second rule for the same context, another skill.
         INSERT INTO context_rules (context_type, context_id, agent_id, priority)
           VALUES ('default', NULL, NULL, 99);
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'my-skill');
         UPDATE context_rules SET priority = 'ten' WHERE context_id = 'local';
         DROP TABLE system_prompts;",
    )
    .unwrap();
    // Reads only: a query_only connection is enough.
    conn.batch_execute("PRAGMA query_only = ON").unwrap();
    let changed = status(&mut conn).unwrap();
    let agents = states(&changed, "agents");
    assert_eq!(
        agents[0],
        (
            "ori".to_owned(),
            SeedRowState::Differs {
                fields: vec!["name".to_owned(), "enabled".to_owned()]
            }
        )
    );
    assert!(agents[1..].iter().all(|(_, s)| *s == SeedRowState::Matches));
    let tools = states(&changed, "agent_tools");
    assert_eq!(
        tools[1],
        (
            "ori / discover_tools / allow".to_owned(),
            SeedRowState::Missing
        )
    );
    assert_eq!(
        tools
            .iter()
            .filter(|(_, s)| *s == SeedRowState::Missing)
            .count(),
        1
    );
    let rules = states(&changed, "context_rules");
    // The seeded default rule is the older row; the user's second one is not compared.
    assert_eq!(rules[0].1, SeedRowState::Matches);
    // 'ten' (text that INTEGER affinity cannot convert) is not 10.
    assert_eq!(
        rules[1].1,
        SeedRowState::Differs {
            fields: vec!["priority".to_owned()]
        }
    );
    let prompts = changed
        .iter()
        .find(|t| t.table == "system_prompts")
        .unwrap();
    assert!(!prompts.exists);
    assert!(
        prompts
            .rows
            .iter()
            .all(|r| r.state == SeedRowState::Missing)
    );

    let json = serde_json::to_value(&changed[0]).unwrap();
    assert_eq!(
        json["rows"][0],
        serde_json::json!({"key": "ori", "state": "differs", "fields": ["name", "enabled"]})
    );
    assert_eq!(json["rows"][1]["state"], "matches");
}

#[test]
fn a_table_without_a_seeded_column_reads_it_as_null() {
    let mut conn = migrated_memory_db();
    insert_all(&mut conn);
    // The original's first migration had no model_tier.
    conn.batch_execute("ALTER TABLE agents DROP COLUMN model_tier")
        .unwrap();
    let comparison = {
        let shape = Shape::read(&mut conn).unwrap();
        compare_table(&mut conn, table("agents"), &shape).unwrap()
    };
    assert_eq!(comparison.missing_columns, vec!["model_tier"]);
    assert!(comparison.rows.iter().all(|r| r.state
        == SeedRowState::Differs {
            fields: vec!["model_tier".to_owned()]
        }));
    assert_eq!(comparison.rows[0].key, "ori");
}

#[test]
fn values_the_structs_cannot_read_differ_instead_of_failing_and_force_restores_them() {
    let mut conn = migrated_memory_db();
    insert_all(&mut conn);
    conn.batch_execute(
        "UPDATE agents SET mode = 'bogus' WHERE id = 'ori';
         UPDATE context_rules SET skill_overrides = 'not json' WHERE context_id = 'local';
         UPDATE slack_channel_permissions SET notes = x'00ff' WHERE channel_id = 'D_TEST_DM';
         -- A user's prompt under a seeded chat id, for a platform outside the domain: not a seed row.
         INSERT INTO system_prompts (chat_id, platform, prompt_text) VALUES ('__default__', 'teams', 'mine');",
    )
    .unwrap();
    let changed = status(&mut conn).unwrap();
    let differs = |fields: &[&str]| SeedRowState::Differs {
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    };
    assert_eq!(states(&changed, "agents")[0].1, differs(&["mode"]));
    assert_eq!(
        states(&changed, "context_rules")[1].1,
        differs(&["skill_overrides"])
    );
    assert_eq!(
        states(&changed, "slack_channel_permissions")[2].1,
        differs(&["notes"])
    );
    assert!(
        states(&changed, "system_prompts")
            .iter()
            .all(|(_, s)| *s == SeedRowState::Matches)
    );

    // Rewriting the differing rows in place puts the seed values back; the user's row stays.
    let shape = Shape::read(&mut conn).unwrap();
    for (table, compared) in tables().into_iter().zip(&changed) {
        let differing: Vec<usize> = compared
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.state, SeedRowState::Differs { .. }))
            .map(|(i, _)| i)
            .collect();
        table
            .write(&mut conn, &shape, Timestamp::now(), &[], &differing)
            .unwrap();
    }
    assert!(
        status(&mut conn)
            .unwrap()
            .iter()
            .flat_map(|t| &t.rows)
            .all(|r| r.state == SeedRowState::Matches)
    );
    use crate::schema::{agents, system_prompts};
    let ids: Vec<String> = agents::table
        .select(agents::id)
        .order(agents::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(ids.len(), 5);
    let prompts: i64 = system_prompts::table.count().get_result(&mut conn).unwrap();
    assert_eq!(prompts, 5);
}
