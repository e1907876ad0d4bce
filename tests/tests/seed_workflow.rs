//! The README's set-up on a fresh clone: `cargo run -p orient-seed` creates, migrates and seeds the
//! instance database; services read the seeded rows through the structs; `orient-db check` finds no
//! drift; and `orient_database::seed::status` (what the studio shows) reports every seed row in place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use diesel::prelude::*;
use orient_database::db::{self, Config, Db};
use orient_database::schema::domains::{ContextType, MessagingPlatform};
use orient_database::schema::*;
use orient_database::seed::{self, SeedRowState};
use orient_testkit::{Project, binary, describe};

#[test]
fn orient_seed_sets_up_a_fresh_clone_and_services_read_what_it_wrote() {
    let project = Project::with_migrations();
    let seed = project.command(&binary("orient-seed"), &[], &[]);
    assert!(seed.status.success(), "{}", describe(&seed));
    let file = project.root().join(".dev-data/instance-0/orient.db");
    assert!(file.is_file());

    let check = project.command(&binary("orient-db"), &["check"], &[]);
    assert!(check.status.success(), "{}", describe(&check));

    let config = Config::resolve(project.root(), &BTreeMap::new()).unwrap();
    assert_eq!(config.sqlite_path().unwrap(), file);
    let service = Db::open(&config).unwrap();
    assert!(service.opened().applied_migrations.is_empty());

    // The agent a WhatsApp chat gets: the highest-priority rule for the platform or the default.
    let agent: Agent = service
        .read(|conn| {
            let rule: ContextRule = context_rules::table
                .filter(
                    context_rules::context_type
                        .eq(ContextType::Platform)
                        .and(context_rules::context_id.eq("whatsapp"))
                        .or(context_rules::context_type.eq(ContextType::Default)),
                )
                .order(context_rules::priority.desc())
                .first(conn)?;
            Ok::<_, db::Error>(
                agents::table
                    .find(rule.agent_id.unwrap())
                    .first::<Agent>(conn)?,
            )
        })
        .unwrap();
    assert_eq!(agent.id, "ori");
    let prompt: String = service
        .read(|conn| {
            Ok::<_, db::Error>(
                system_prompts::table
                    .filter(system_prompts::chat_id.eq("__default__"))
                    .filter(system_prompts::platform.eq(MessagingPlatform::Slack))
                    .select(system_prompts::prompt_text)
                    .first(conn)?,
            )
        })
        .unwrap();
    assert!(prompt.contains("mrkdwn"));

    // The studio's view, on a read-only (query_only) connection.
    let mut reader = service.reader().unwrap();
    let status = seed::status(&mut reader).unwrap();
    assert_eq!(
        status
            .iter()
            .map(|t| (t.table, t.rows.len()))
            .collect::<Vec<_>>(),
        vec![
            ("agents", 5),
            ("agent_skills", 13),
            ("agent_tools", 55),
            ("context_rules", 6),
            ("chat_permissions", 3),
            ("slack_channel_permissions", 3),
            ("system_prompts", 4),
        ]
    );
    assert!(
        status
            .iter()
            .all(|t| t.exists && t.rows.iter().all(|r| r.state == SeedRowState::Matches))
    );
    assert_eq!(status[1].rows[4].key, "ori / tool-discovery");
    drop(reader);

    service
        .transaction(|tx| {
            diesel::update(agents::table.find("explorer"))
                .set(agents::model_default.eq("something/else"))
                .execute(tx)?;
            diesel::delete(agent_skills::table.filter(agent_skills::skill_name.eq("mini-apps")))
                .execute(tx)?;
            Ok::<_, db::Error>(())
        })
        .unwrap();
    let mut reader = service.reader().unwrap();
    let status = seed::status(&mut reader).unwrap();
    assert_eq!(
        status[0].rows[3].state,
        SeedRowState::Differs {
            fields: vec!["model_default".to_owned()]
        }
    );
    assert_eq!(status[1].rows[12].key, "app-builder / mini-apps");
    assert_eq!(status[1].rows[12].state, SeedRowState::Missing);
}
