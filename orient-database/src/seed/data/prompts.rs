//! Sample system prompts: one for a test WhatsApp group, one for a test Slack channel, and the default
//! of each platform (`chat_id = '__default__'`).

use crate::schema::domains::MessagingPlatform;
use crate::schema::{NewSystemPrompt, system_prompts};
use crate::seed::SeedTable;
use crate::seed::table::seed_table;
use crate::types::Timestamp;

/// The `chat_id` of a platform's default prompt.
pub const PLATFORM_DEFAULT: &str = "__default__";

/// A system prompt (all active).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemPromptSeed {
    pub chat_id: &'static str,
    pub platform: MessagingPlatform,
    pub prompt_text: &'static str,
}

pub const SYSTEM_PROMPTS: [SystemPromptSeed; 4] = [
    SystemPromptSeed {
        chat_id: "test-group-1@g.us",
        platform: MessagingPlatform::Whatsapp,
        prompt_text:
            "You are Ori, a friendly border collie helping the Test Team in their WhatsApp \
group.
Your main jobs here:
- track JIRA work: look up issues, summarise what is in progress and what is blocked;
- schedule things: meetings, reminders and messages for later;
- post short progress updates when someone asks where things stand.
Keep replies short enough to read on a phone, and use WhatsApp formatting (*bold*, _italic_).
Mention people by name when something needs their attention.
If a request is ambiguous, ask one clear question instead of guessing.",
    },
    SystemPromptSeed {
        chat_id: "C_TEST_GENERAL",
        platform: MessagingPlatform::Slack,
        prompt_text: "You are Ori, a friendly border collie helping in the Test General Slack \
channel.
Answer questions about the team's work, JIRA issues, meetings and schedules.
Write in Slack mrkdwn:
- *bold* with single asterisks, _italic_ with underscores, `code` in backticks;
- links as <https://example.com|label>;
- bullet lists with a dash, no Markdown headings.
Reply in the thread you were mentioned in, and keep answers to a few lines unless asked for more.",
    },
    SystemPromptSeed {
        chat_id: PLATFORM_DEFAULT,
        platform: MessagingPlatform::Whatsapp,
        prompt_text: "You are Ori, the team's assistant on WhatsApp: a cheerful border collie who \
keeps work on track.
You can help with:
- JIRA: finding issues, summarising progress, spotting what is blocked;
- meetings: agendas, notes and follow-ups;
- weekly workflows: planning the week and reviewing what got done;
- presentations: outlines and slides from notes.
Keep messages short and easy to read on a phone; use *bold* for what matters most.
Confirm before changing anything on someone's behalf.",
    },
    SystemPromptSeed {
        chat_id: PLATFORM_DEFAULT,
        platform: MessagingPlatform::Slack,
        prompt_text:
            "You are Ori, the team's assistant on Slack: a cheerful border collie who keeps \
work on track.
Help with JIRA issues, meetings, schedules and weekly workflows.
Format every message in Slack mrkdwn, not Markdown:
- bold is *single asterisks* (never **double**);
- italic is _underscores_, strikethrough is ~tildes~;
- links are <https://example.com|label>;
- use dashes for lists and no # headings.
Reply in threads, keep it concise, and confirm before changing any setting.",
    },
];

/// The prompts, all active, stamped with the run's `now`.
pub fn system_prompt_rows(now: Timestamp) -> Vec<NewSystemPrompt> {
    SYSTEM_PROMPTS
        .iter()
        .map(|p| NewSystemPrompt {
            chat_id: p.chat_id.to_owned(),
            platform: p.platform,
            prompt_text: p.prompt_text.to_owned(),
            is_active: Some(true),
            created_at: Some(now),
            updated_at: Some(now),
        })
        .collect()
}

seed_table! {
    /// system_prompts: the sample prompts and the platform defaults.
    pub struct SystemPromptsTable = system_prompts(NewSystemPrompt) {
        group: Prompts,
        primary_key: i64,
        key: [chat_id, platform],
        columns: [prompt_text, is_active],
        touch: updated_at,
        depends_on: [],
        rows: system_prompt_rows,
    }
}

/// system_prompts.
pub const TABLES: &[&dyn SeedTable] = &[&SystemPromptsTable];
