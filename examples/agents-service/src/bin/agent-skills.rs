// src/bin/agent-skills.rs
//! `agent-skills <agent> [<skill>]`: gives the agent the skill (if one is named), then prints its
//! skills. Code that is not async (a tool, a job, a thread of its own) uses the blocking API.

use anyhow::Context;
use diesel::prelude::*;
use orient_database::db;
use orient_database::schema::{AgentSkill, NewAgentSkill, agent_skills};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let agent = args
        .next()
        .context("usage: agent-skills <agent> [<skill>]")?;
    if let Some(skill) = args.next() {
        // Writes: one transaction (BEGIN IMMEDIATE on SQLite), all or nothing.
        db::transaction(|tx| {
            diesel::insert_into(agent_skills::table)
                .values(&NewAgentSkill::new(&agent, skill))
                .execute(tx)?;
            Ok::<_, db::Error>(())
        })
        .with_context(|| format!("cannot give agent {agent:?} a skill"))?;
    }
    // Reads: a pooled, read-only connection.
    let skills: Vec<AgentSkill> = db::read(|conn| {
        Ok::<_, db::Error>(
            agent_skills::table
                .filter(agent_skills::agent_id.eq(&agent))
                .select(AgentSkill::as_select())
                .order(agent_skills::id)
                .load(conn)?,
        )
    })?;
    for skill in skills {
        println!("{}", skill.skill_name);
    }
    Ok(())
}
