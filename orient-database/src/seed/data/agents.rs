//! The agent registry's defaults: five agents, their skills and tool patterns, and the context rules
//! that choose an agent per platform and environment.

use crate::schema::domains::{AgentMode, ContextType, ModelTier, ToolAccess};
use crate::schema::{
    NewAgent, NewAgentSkill, NewAgentTool, NewContextRule, agent_skills, agent_tools, agents,
    context_rules,
};
use crate::seed::SeedTable;
use crate::seed::table::seed_table;
use crate::types::{Json, Timestamp};

/// The default model of every agent but `app-builder`.
pub const HAIKU: &str = "anthropic/claude-haiku-4-5-20251001";
/// `app-builder`'s default model.
pub const SONNET: &str = "anthropic/claude-sonnet-4-20250514";
/// Every agent's fallback model.
pub const FALLBACK: &str = "opencode/gpt-5-nano";

/// A default agent (all are enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSeed {
    pub id: &'static str,
    pub name: &'static str,
    pub mode: AgentMode,
    pub model_default: &'static str,
    pub model_fallback: &'static str,
    pub model_tier: ModelTier,
    pub description: &'static str,
    pub base_prompt: &'static str,
}

pub const AGENTS: [AgentSeed; 5] = [
    AgentSeed {
        id: "ori",
        name: "Ori",
        mode: AgentMode::Primary,
        model_default: HAIKU,
        model_fallback: FALLBACK,
        model_tier: ModelTier::Cheap,
        description: "Orient's everyday assistant, a cheerful border collie who herds JIRA issues, \
                      meetings, weekly workflows and onboarding, and checks with you before changing \
                      any setting.",
        base_prompt: "You are Ori, the team's assistant: an upbeat, quick-witted border collie who \
                      keeps work moving.\n\
                      Help with JIRA issues, meeting notes and agendas, recurring weekly workflows and \
                      getting new people settled in.\n\
                      Keep answers short and practical; offer the next step rather than a lecture.\n\
                      When you are unsure which tool fits, look it up with discover_tools first.\n\
                      Configuration changes (permissions, prompts, secrets, agents, schedules) are \
                      prepared first and only applied after the person confirms them.\n\
                      Never invent ticket numbers, dates or people; say what you could not find.",
    },
    AgentSeed {
        id: "communicator",
        name: "Communicator",
        mode: AgentMode::Specialized,
        model_default: HAIKU,
        model_fallback: FALLBACK,
        model_tier: ModelTier::Cheap,
        description: "Writes and sends Slack and WhatsApp messages, formatted the way each platform \
                      expects.",
        base_prompt: "You write and send messages on Slack and WhatsApp for the team.\n\
                      Match each platform's formatting: Slack mrkdwn (*bold*, _italic_, <url|label>) \
                      on Slack, WhatsApp's *bold* and _italic_ on WhatsApp, no Markdown headings on \
                      either.\n\
                      Keep messages brief, friendly and easy to scan; use short lists for several \
                      items.\n\
                      Check the recipient and the channel before sending, and say what was sent.",
    },
    AgentSeed {
        id: "scheduler",
        name: "Scheduler",
        mode: AgentMode::Specialized,
        model_default: HAIKU,
        model_fallback: FALLBACK,
        model_tier: ModelTier::Cheap,
        description: "Looks after calendars, reminders and anything that has to happen at a given \
                      time.",
        base_prompt: "You manage calendars, tasks, reminders and scheduled messages.\n\
                      Times are in Asia/Jerusalem unless the person names another time zone; always \
                      state the time zone you used.\n\
                      Before creating or moving an event, repeat the date, time and attendees back in \
                      one line.\n\
                      For recurring jobs, describe the schedule in words as well as the rule.",
    },
    AgentSeed {
        id: "explorer",
        name: "Explorer",
        mode: AgentMode::Specialized,
        model_default: HAIKU,
        model_fallback: FALLBACK,
        model_tier: ModelTier::Cheap,
        description: "Finds its way around a codebase and its documentation quickly, without \
                      changing anything.",
        base_prompt: "You explore code and documentation to answer questions fast.\n\
                      Search first (glob, grep), then read only the files that matter.\n\
                      Answer with file paths and line numbers so others can follow.\n\
                      You only read: never edit, write or run commands.",
    },
    AgentSeed {
        id: "app-builder",
        name: "App Builder",
        mode: AgentMode::Specialized,
        model_default: SONNET,
        model_fallback: FALLBACK,
        model_tier: ModelTier::Balanced,
        description: "Creates and updates mini-apps, always through a pull request and never by \
                      writing code directly.",
        base_prompt: "You build small web apps (mini-apps) for the team.\n\
                      Every app is created or changed through the app tools, which open a pull \
                      request for review; you never write files or run shell commands yourself.\n\
                      Ask what the app should do and who uses it, propose a short plan, then create \
                      it.\n\
                      Share the pull request link and what is left to decide.",
    },
];

/// Each agent's skills, in insert order (all enabled).
pub const SKILLS: [(&str, &[&str]); 5] = [
    (
        "ori",
        &[
            "personal-jira-project-management",
            "personal-weekly-workflow",
            "example-presentation-automation",
            "personal-message-scheduling",
            "tool-discovery",
            "onboarding-guide",
        ],
    ),
    (
        "communicator",
        &["slack-formatting", "personal-message-scheduling"],
    ),
    ("scheduler", &["personal-message-scheduling"]),
    (
        "explorer",
        &["tool-discovery", "project-architecture", "testing-strategy"],
    ),
    ("app-builder", &["mini-apps"]),
];

/// An agent's tool patterns: allowed ones are inserted first, then denied ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSeed {
    pub agent: &'static str,
    pub allow: &'static [&'static str],
    pub deny: &'static [&'static str],
}

pub const TOOLS: [ToolSeed; 5] = [
    ToolSeed {
        agent: "ori",
        allow: &[
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
        deny: &["write", "edit", "bash", "Bash"],
    },
    ToolSeed {
        agent: "communicator",
        allow: &["ai_first_slack_*", "whatsapp_send_*"],
        deny: &["jira*", "*docs*"],
    },
    ToolSeed {
        agent: "scheduler",
        allow: &["google_calendar_*", "google_tasks_*", "ai_first_*schedule*"],
        deny: &["jira*", "*messaging*"],
    },
    ToolSeed {
        agent: "explorer",
        allow: &["read", "glob", "grep", "discover_tools"],
        deny: &["write", "edit", "*messaging*"],
    },
    ToolSeed {
        agent: "app-builder",
        allow: &[
            "ai_first_create_app",
            "ai_first_update_app",
            "ai_first_list_apps",
            "ai_first_get_app",
            "ai_first_share_app",
            "discover_tools",
        ],
        deny: &["write", "edit", "bash", "Bash", "Shell"],
    },
];

/// A rule choosing an agent (and skill overrides) for a context; the highest priority wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextRuleSeed {
    pub context_type: ContextType,
    pub context_id: Option<&'static str>,
    pub agent_id: Option<&'static str>,
    /// Stored as compact JSON text (`["disable:x","disable:y"]`).
    pub skill_overrides: Option<&'static [&'static str]>,
    pub priority: i64,
}

pub const CONTEXT_RULES: [ContextRuleSeed; 6] = [
    ContextRuleSeed {
        context_type: ContextType::Default,
        context_id: None,
        agent_id: Some("ori"),
        skill_overrides: None,
        priority: 0,
    },
    ContextRuleSeed {
        context_type: ContextType::Environment,
        context_id: Some("local"),
        agent_id: None,
        skill_overrides: Some(&[
            "disable:project-architecture",
            "disable:mcp-debugging",
            "disable:whatsapp-logs",
        ]),
        priority: 10,
    },
    ContextRuleSeed {
        context_type: ContextType::Environment,
        context_id: Some("prod"),
        agent_id: None,
        skill_overrides: Some(&[
            "disable:skill-creator",
            "disable:project-architecture",
            "disable:mcp-debugging",
            "disable:whatsapp-logs",
        ]),
        priority: 10,
    },
    ContextRuleSeed {
        context_type: ContextType::Platform,
        context_id: Some("whatsapp"),
        agent_id: Some("ori"),
        skill_overrides: None,
        priority: 5,
    },
    ContextRuleSeed {
        context_type: ContextType::Platform,
        context_id: Some("slack"),
        agent_id: Some("ori"),
        skill_overrides: None,
        priority: 5,
    },
    ContextRuleSeed {
        context_type: ContextType::Platform,
        context_id: Some("opencode"),
        agent_id: Some("ori"),
        skill_overrides: None,
        priority: 5,
    },
];

/// The agents, as inserted: enabled, stamped with the run's `now`.
pub fn agent_rows(now: Timestamp) -> Vec<NewAgent> {
    AGENTS
        .iter()
        .map(|a| NewAgent {
            id: a.id.to_owned(),
            name: a.name.to_owned(),
            description: Some(a.description.to_owned()),
            mode: Some(a.mode),
            model_default: Some(a.model_default.to_owned()),
            model_fallback: Some(a.model_fallback.to_owned()),
            model_tier: Some(a.model_tier),
            base_prompt: Some(a.base_prompt.to_owned()),
            enabled: Some(true),
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect()
}

/// The skills, agent by agent, all enabled.
pub fn skill_rows(now: Timestamp) -> Vec<NewAgentSkill> {
    SKILLS
        .iter()
        .flat_map(|(agent, skills)| {
            skills.iter().map(move |skill| NewAgentSkill {
                agent_id: (*agent).to_owned(),
                skill_name: (*skill).to_owned(),
                enabled: Some(true),
                created_at: Some(now),
            })
        })
        .collect()
}

/// The tool patterns, agent by agent: allowed ones first, then denied ones.
pub fn tool_rows(now: Timestamp) -> Vec<NewAgentTool> {
    TOOLS
        .iter()
        .flat_map(|tools| {
            let allow = tools.allow.iter().map(|p| (*p, ToolAccess::Allow));
            let deny = tools.deny.iter().map(|p| (*p, ToolAccess::Deny));
            allow
                .chain(deny)
                .map(move |(pattern, access_type)| NewAgentTool {
                    agent_id: tools.agent.to_owned(),
                    pattern: pattern.to_owned(),
                    access_type,
                    created_at: Some(now),
                })
        })
        .collect()
}

/// The context rules; skill overrides are stored as compact JSON (`["disable:x","disable:y"]`).
pub fn context_rule_rows(now: Timestamp) -> Vec<NewContextRule> {
    CONTEXT_RULES
        .iter()
        .map(|rule| NewContextRule {
            context_type: rule.context_type,
            context_id: rule.context_id.map(str::to_owned),
            agent_id: rule.agent_id.map(str::to_owned),
            skill_overrides: rule
                .skill_overrides
                .map(|overrides| Json(overrides.iter().map(|o| (*o).to_owned()).collect())),
            priority: Some(rule.priority),
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect()
}

seed_table! {
    /// agents: the five default agents.
    pub struct AgentsTable = agents(NewAgent) {
        group: Agents,
        primary_key: String,
        key: [id],
        columns: [
            name,
            description,
            mode,
            model_default,
            model_fallback,
            model_tier,
            base_prompt,
            enabled,
        ],
        touch: updated_at,
        depends_on: [],
        rows: agent_rows,
    }
}

seed_table! {
    /// agent_skills: each agent's skills.
    pub struct AgentSkillsTable = agent_skills(NewAgentSkill) {
        group: Agents,
        primary_key: i64,
        key: [agent_id, skill_name],
        columns: [enabled],
        depends_on: [agents],
        rows: skill_rows,
    }
}

seed_table! {
    /// agent_tools: each agent's tool patterns. The whole row is its key: a pattern either allows or
    /// denies.
    pub struct AgentToolsTable = agent_tools(NewAgentTool) {
        group: Agents,
        primary_key: i64,
        key: [agent_id, pattern, access_type],
        columns: [],
        depends_on: [agents],
        rows: tool_rows,
    }
}

seed_table! {
    /// context_rules: the agent (and skill overrides) per context.
    pub struct ContextRulesTable = context_rules(NewContextRule) {
        group: Agents,
        primary_key: i64,
        key: [context_type, context_id],
        columns: [agent_id, skill_overrides, priority],
        touch: updated_at,
        depends_on: [agents],
        rows: context_rule_rows,
    }
}

/// agents, agent_skills, agent_tools and context_rules, in seeding order.
pub const TABLES: &[&dyn SeedTable] = &[
    &AgentsTable,
    &AgentSkillsTable,
    &AgentToolsTable,
    &ContextRulesTable,
];
