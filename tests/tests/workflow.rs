//! The workflow of the README on real files and real processes: the binary creates and migrates the
//! database, a service opens the same file from its environment and queries it through the structs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use diesel::prelude::*;
use orient_database::db::{self, Config, Db};
use orient_database::schema::domains::{ContextType, ToolAccess};
use orient_database::schema::*;
use orient_testkit::{Engine, binary, describe};

orient_testkit::on_each_engine! {
fn migrate_then_a_service_inserts_and_joins_an_agent_with_its_skills(project: Project) {
    project.add_migrations();
    let migrate = project.command(&binary("orient-db"), &["migrate"], &[]);
    assert!(migrate.status.success(), "{}", describe(&migrate));

    // The service resolves the same database from the same directory and environment.
    let mut env = BTreeMap::new();
    if let Some(url) = project.url() {
        env.insert("DATABASE_URL".to_owned(), url.to_owned());
    }
    let config = Config::resolve(project.root(), &env).unwrap();
    if project.engine() == Engine::Sqlite {
        let file = project.root().join(".dev-data/instance-0/orient.db");
        assert!(file.is_file());
        assert_eq!(config.sqlite_path().unwrap(), file);
    }
    let service = Db::open(&config).unwrap();
    assert!(
        service.opened().applied_migrations.is_empty(),
        "already migrated"
    );

    service
        .transaction(|tx| {
            diesel::insert_into(agents::table)
                .values(&NewAgent::new("ori", "Ori"))
                .execute(tx)?;
            NewAgentSkill::insert_all(
                tx,
                &[
                    NewAgentSkill::new("ori", "tool-discovery"),
                    NewAgentSkill::new("ori", "onboarding-guide"),
                ],
            )?;
            diesel::insert_into(agent_tools::table)
                .values(&NewAgentTool::new("ori", "config_*", ToolAccess::Allow))
                .execute(tx)?;
            let mut rule = NewContextRule::new(ContextType::Default);
            rule.agent_id = Some("ori".to_owned());
            diesel::insert_into(context_rules::table)
                .values(&rule)
                .execute(tx)?;
            Ok::<_, db::Error>(())
        })
        .unwrap();

    let mut conn = service.reader().unwrap();
    // An inner join through the generated joinable!.
    let pairs: Vec<(String, String)> = agents::table
        .inner_join(agent_skills::table)
        .select((agents::name, agent_skills::skill_name))
        .order(agent_skills::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        pairs,
        vec![
            ("Ori".to_owned(), "tool-discovery".to_owned()),
            ("Ori".to_owned(), "onboarding-guide".to_owned())
        ]
    );
    // belonging_to through Associations, and a three-table join.
    let ori: Agent = agents::table.find("ori").get_result(&mut conn).unwrap();
    let skills: Vec<AgentSkill> = AgentSkill::belonging_to(&ori).load(&mut conn).unwrap();
    assert_eq!(skills.len(), 2);
    assert!(skills.iter().all(|s| s.enabled == Some(true)));
    let triples: Vec<(Agent, AgentSkill, AgentTool)> = agents::table
        .inner_join(agent_skills::table)
        .inner_join(agent_tools::table)
        .select((
            Agent::as_select(),
            AgentSkill::as_select(),
            AgentTool::as_select(),
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(triples.len(), 2);
    assert_eq!(triples[0].2.access_type, ToolAccess::Allow);
    let rules: Vec<(ContextRule, Option<Agent>)> = context_rules::table
        .left_join(agents::table)
        .select((ContextRule::as_select(), Option::<Agent>::as_select()))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rules[0].1.as_ref().map(|a| a.id.as_str()), Some("ori"));
    drop(conn);

    // And the database the binary made is exactly the declared schema.
    let check = project.run(&["check"], &[]);
    assert_eq!(check.code, 0, "{check:?}");
}
}

/// The global handle reads the process environment, so it runs in a child process of its own.
#[test]
fn the_global_handle_opens_the_database_the_environment_names() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/global.db");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "global_handle_child", "--ignored", "--nocapture"])
        .env("SQLITE_DATABASE", &file)
        .env("ORIENT_GLOBAL_CHILD", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(child.status.success(), "{}", describe(&child));
    assert!(String::from_utf8_lossy(&child.stdout).contains("1 passed"));
    let db = Db::open_path(&file).unwrap();
    let names: Vec<String> = db
        .read(|conn| Ok::<_, db::Error>(agents::table.select(agents::name).load(conn)?))
        .unwrap();
    assert_eq!(names, vec!["From the global handle"]);
}

#[test]
#[ignore = "run by the_global_handle_opens_the_database_the_environment_names in a child process"]
fn global_handle_child() {
    assert_eq!(std::env::var("ORIENT_GLOBAL_CHILD").as_deref(), Ok("1"));
    db::transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("g", "From the global handle"))
            .execute(tx)?;
        Ok::<_, db::Error>(())
    })
    .unwrap();
    let failed: Result<(), db::Error> = db::transaction(|tx| {
        diesel::insert_into(agents::table)
            .values(&NewAgent::new("h", "Never committed"))
            .execute(tx)?;
        Err(db::Error::Query(diesel::result::Error::RollbackTransaction))
    });
    assert!(failed.is_err());
    let count: i64 =
        db::read(|conn| Ok::<_, db::Error>(agents::table.count().get_result(conn)?)).unwrap();
    assert_eq!(count, 1);
    assert!(std::ptr::eq(db::global().unwrap(), db::global().unwrap()));
}
