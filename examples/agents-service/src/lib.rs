// src/lib.rs
//! An axum service over Orient's agents and their skills. Every handler awaits the database through
//! `read_async` / `transaction_async`, which run the closure on tokio's blocking pool, so a handler
//! waiting for the database never stalls the runtime's worker threads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use diesel::prelude::*;
use orient_database::db::{self, Db};
use orient_database::schema::{Agent, AgentSkill, NewAgentSkill, agent_skills, agents};
use serde::{Deserialize, Serialize};

/// The service's routes, over a database opened once at startup.
pub fn app(db: Arc<Db>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/agents", get(list_agents))
        .route("/agents/{id}", get(get_agent))
        .route("/agents/{id}/skills", post(add_skill))
        .with_state(db)
}

/// Answers without touching the database.
async fn health() -> &'static str {
    "ok"
}

#[derive(Debug, Serialize)]
pub struct AgentSummary {
    pub id: String,
    pub name: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct AgentWithSkills {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub skills: Vec<Skill>,
}

#[derive(Debug, Serialize)]
pub struct Skill {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
}

impl From<AgentSkill> for Skill {
    fn from(skill: AgentSkill) -> Skill {
        Skill {
            id: skill.id,
            name: skill.skill_name,
            enabled: skill.enabled.unwrap_or(true),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewSkill {
    pub skill: String,
}

/// `GET /agents`: every agent, by id.
async fn list_agents(State(db): State<Arc<Db>>) -> Result<Json<Vec<AgentSummary>>, ApiError> {
    let rows = db
        .read_async(|conn| {
            let rows = agents::table
                .select((agents::id, agents::name, agents::enabled))
                .order(agents::id)
                .load::<(String, String, Option<bool>)>(conn)?;
            Ok::<_, ApiError>(rows)
        })
        .await?;
    let agents = rows
        .into_iter()
        .map(|(id, name, enabled)| AgentSummary {
            id,
            name,
            enabled: enabled.unwrap_or(true),
        })
        .collect();
    Ok(Json(agents))
}

/// `GET /agents/{id}`: one agent and its skills.
async fn get_agent(
    State(db): State<Arc<Db>>,
    Path(id): Path<String>,
) -> Result<Json<AgentWithSkills>, ApiError> {
    let (agent, skills) = db
        .read_async(move |conn| {
            // One read transaction: the agent and its skills from the same snapshot.
            conn.transaction(|conn| {
                let agent = agents::table
                    .find(&id)
                    .select(Agent::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| ApiError::NoSuchAgent(id.clone()))?;
                let skills = AgentSkill::belonging_to(&agent)
                    .select(AgentSkill::as_select())
                    .order(agent_skills::id)
                    .load(conn)?;
                Ok::<_, ApiError>((agent, skills))
            })
        })
        .await?;
    Ok(Json(AgentWithSkills {
        id: agent.id,
        name: agent.name,
        description: agent.description,
        enabled: agent.enabled.unwrap_or(true),
        skills: skills.into_iter().map(Skill::from).collect(),
    }))
}

/// `POST /agents/{id}/skills` with `{"skill": "…"}`: gives the agent a skill (a write).
async fn add_skill(
    State(db): State<Arc<Db>>,
    Path(id): Path<String>,
    Json(new): Json<NewSkill>,
) -> Result<(StatusCode, Json<Skill>), ApiError> {
    let name = new.skill.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::EmptySkill);
    }
    let skill = db
        .transaction_async(move |tx| {
            // Checked inside the transaction, so nothing can change between the checks and the insert.
            let exists = agents::table
                .find(&id)
                .select(agents::id)
                .first::<String>(tx)
                .optional()?
                .is_some();
            if !exists {
                return Err(ApiError::NoSuchAgent(id));
            }
            let taken = agent_skills::table
                .filter(agent_skills::agent_id.eq(&id))
                .filter(agent_skills::skill_name.eq(&name))
                .count()
                .get_result::<i64>(tx)?;
            if taken > 0 {
                return Err(ApiError::SkillExists {
                    agent: id,
                    skill: name,
                });
            }
            let skill = diesel::insert_into(agent_skills::table)
                .values(&NewAgentSkill::new(id, name))
                // All columns rather than `as_returning()`, which the multi-engine connection of a
                // build with PostgreSQL cannot return.
                .returning(agent_skills::all_columns)
                .get_result::<AgentSkill>(tx)?;
            Ok(skill)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(Skill::from(skill))))
}

/// What a request can fail with; each becomes a status and a JSON `{"error": "…"}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no agent has the id {0:?}; GET /agents lists them")]
    NoSuchAgent(String),
    #[error("agent {agent:?} already has the skill {skill:?}")]
    SkillExists { agent: String, skill: String },
    #[error("the skill name is empty; send {{\"skill\": \"<name>\"}}")]
    EmptySkill,
    #[error(transparent)]
    Database(#[from] db::Error),
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::Database(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::NoSuchAgent(_) => StatusCode::NOT_FOUND,
            ApiError::SkillExists { .. } => StatusCode::CONFLICT,
            ApiError::EmptySkill => StatusCode::UNPROCESSABLE_ENTITY,
            // The writer stayed busy for the whole wait: worth retrying.
            ApiError::Database(db::Error::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(e) if e.is_locked() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = self.to_string();
        if status.is_server_error() {
            eprintln!("agents-service: {message}");
        }
        (status, Json(ErrorBody { error: message })).into_response()
    }
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
}
