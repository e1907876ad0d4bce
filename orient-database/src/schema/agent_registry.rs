//! The agent registry: agents, their skills and tool permissions, and the context rules that pick them.

use diesel::prelude::*;

use super::domains::{AgentMode, ContextType, ModelTier, ToolAccess};
use crate::Table;
use crate::types::{Json, Timestamp};

/// An assistant agent: its persona, models and whether it is enabled.
#[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = agents, check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "agents")]
pub struct Agent {
    #[orient(primary_key)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[orient(sql_type = text, default = AgentMode::Primary)]
    pub mode: Option<AgentMode>,
    pub model_default: Option<String>,
    pub model_fallback: Option<String>,
    #[orient(sql_type = text, default = ModelTier::Cheap)]
    pub model_tier: Option<ModelTier>,
    pub base_prompt: Option<String>,
    #[orient(default = true)]
    pub enabled: Option<bool>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

/// A skill an agent may use.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = agent_skills, belongs_to(Agent), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "agent_skills")]
pub struct AgentSkill {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = agents::id, on_delete = cascade, index = "idx_agent_skills_agent")]
    pub agent_id: String,
    #[orient(index = "idx_agent_skills_skill")]
    pub skill_name: String,
    #[orient(default = true)]
    pub enabled: Option<bool>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}

/// A glob pattern allowing or denying an agent a set of tools.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = agent_tools, belongs_to(Agent), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "agent_tools")]
pub struct AgentTool {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = agents::id, on_delete = cascade, index = "idx_agent_tools_agent")]
    pub agent_id: String,
    pub pattern: String,
    #[orient(sql_type = text, index = "idx_agent_tools_type", column = "type")]
    pub access_type: ToolAccess,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
}

/// A rule choosing the agent and skill overrides for a context (platform, chat, environment…); the highest priority wins.
#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug, Clone, PartialEq)]
#[diesel(table_name = context_rules, belongs_to(Agent), check_for_backend(diesel::sqlite::Sqlite))]
#[orient(table = "context_rules")]
#[orient(index(name = "idx_context_rules_context", columns(context_type, context_id)))]
pub struct ContextRule {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(sql_type = text, index = "idx_context_rules_type")]
    pub context_type: ContextType,
    pub context_id: Option<String>,
    #[orient(references = agents::id, on_delete = set_null, index = "idx_context_rules_agent")]
    pub agent_id: Option<String>,
    pub skill_overrides: Option<Json<Vec<String>>>,
    #[orient(default = 0, index = "idx_context_rules_priority")]
    pub priority: Option<i64>,
    #[orient(default_now)]
    pub created_at: Option<Timestamp>,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}
