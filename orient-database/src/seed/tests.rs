#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::*;
use crate::db::connection::{Access, configure};
use crate::migrations::{embedded, runner};
use crate::model::ColumnType;
use crate::schema::TABLES;

fn migrated_memory_db() -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    configure(&mut conn, Access::ReadWrite).unwrap();
    runner::run_pending(&mut conn, &embedded().unwrap()).unwrap();
    conn
}

/// Test-only writer: every seed row, with the key and compared columns (the runner lives in orient-seed).
fn insert_all(conn: &mut SqliteConnection) {
    let dialect = crate::dialect::sqlite::Sqlite;
    use crate::sql::Dialect;
    for table in tables() {
        let columns: Vec<String> = table
            .data_columns()
            .map(|c| dialect.quote_ident(c))
            .collect();
        for row in &table.rows {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                dialect.quote_ident(table.name),
                columns.join(", "),
                vec!["?"; columns.len()].join(", ")
            );
            let mut query = diesel::sql_query(sql).into_boxed();
            for value in row.key.iter().chain(&row.values) {
                query = value.bind(query);
            }
            query.execute(conn).unwrap();
        }
    }
}

fn table(name: &str) -> SeedTable {
    tables().into_iter().find(|t| t.name == name).unwrap()
}

#[test]
fn the_data_has_the_counts_and_order_of_the_spec() {
    let counts: Vec<(&str, SeedGroup, usize)> = tables()
        .iter()
        .map(|t| (t.name, t.group, t.rows.len()))
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
    let tools = table("agent_tools");
    let allow = tools
        .rows
        .iter()
        .filter(|r| r.key[2] == SeedValue::text("allow"))
        .count();
    assert_eq!((allow, tools.rows.len() - allow), (39, 16));
    // Per agent, allow rows first.
    for agent in [
        "ori",
        "communicator",
        "scheduler",
        "explorer",
        "app-builder",
    ] {
        let types: Vec<String> = tools
            .rows
            .iter()
            .filter(|r| r.key[0] == SeedValue::text(agent))
            .map(|r| r.key[2].to_string())
            .collect();
        let first_deny = types.iter().position(|t| t == "deny").unwrap();
        assert!(types[first_deny..].iter().all(|t| t == "deny"), "{agent}");
    }
    let rules = table("context_rules");
    assert_eq!(
        rules.rows[1].values[1],
        SeedValue::text(
            r#"["disable:project-architecture","disable:mcp-debugging","disable:whatsapp-logs"]"#
        )
    );
    assert_eq!(rules.rows[0].display_key(), "default / NULL");
}

#[test]
fn natural_keys_are_unique_and_their_first_column_is_never_null() {
    for table in tables() {
        let mut seen = HashSet::new();
        for row in &table.rows {
            assert_eq!(row.key.len(), table.key.len(), "{}", table.name);
            assert_eq!(row.values.len(), table.columns.len(), "{}", table.name);
            assert_ne!(row.key[0], SeedValue::Null, "{}", table.name);
            assert!(
                seen.insert(row.key.clone()),
                "{}: duplicate key {}",
                table.name,
                row.display_key()
            );
        }
    }
}

#[test]
fn every_seeded_column_is_declared_with_a_fitting_type() {
    for table in tables() {
        let declared = TABLES
            .iter()
            .find(|t| t.name == table.name)
            .unwrap_or_else(|| panic!("{} is not a registered table", table.name));
        for column in ["created_at", "updated_at"] {
            let wanted = if column == "created_at" {
                table.created_at
            } else {
                table.updated_at
            };
            assert_eq!(
                declared.column(column).is_some(),
                wanted,
                "{}.{column}",
                table.name
            );
        }
        for dependency in table.depends_on {
            assert!(TABLES.iter().any(|t| t.name == *dependency));
        }
        for row in &table.rows {
            for (name, value) in table.data_columns().zip(row.key.iter().chain(&row.values)) {
                let column = declared
                    .column(name)
                    .unwrap_or_else(|| panic!("{}.{name} is not declared", table.name));
                match value {
                    SeedValue::Null => assert!(column.nullable, "{}.{name}", table.name),
                    SeedValue::Integer(_) => assert!(
                        matches!(
                            column.ty,
                            ColumnType::Integer
                                | ColumnType::BigInt
                                | ColumnType::Bool
                                | ColumnType::Timestamp
                        ),
                        "{}.{name}",
                        table.name
                    ),
                    SeedValue::Text(_) => assert!(
                        matches!(column.ty, ColumnType::Text | ColumnType::Json),
                        "{}.{name}",
                        table.name
                    ),
                }
            }
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
        let t = table("agents");
        let shape = Shape::read(&mut conn, &["agents"]).unwrap();
        compare_table(&mut conn, &t, &shape).unwrap()
    };
    assert_eq!(comparison.missing_columns, vec!["model_tier"]);
    assert!(comparison.rows.iter().all(|r| r.state
        == SeedRowState::Differs {
            fields: vec!["model_tier".to_owned()]
        }));
    assert_eq!(comparison.rows[0].rowid, Some(1));
}
