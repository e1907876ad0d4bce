//! Printing results: text for people, JSON for machines (`--json`), one object per command. Every byte
//! goes through [`orient_database::output`], which a closed pipe does not make fail.

use serde::Serialize;

pub use orient_database::output::{failed, stderr, stdout};

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text `human` builds from it.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => stdout(&format!("{text}\n")),
                Err(e) => stderr(&format!("error: cannot encode the result as JSON: {e}")),
            }
        } else {
            let text = human(value);
            if !text.is_empty() {
                stdout(&format!("{}\n", text.trim_end()));
            }
        }
    }

    /// A progress note, on stderr so it never mixes with JSON on stdout.
    pub fn note(&self, text: impl AsRef<str>) {
        stderr(text.as_ref());
    }

    /// A warning: a note that says so (also under `--json`, on stderr).
    pub fn warn(&self, text: impl AsRef<str>) {
        stderr(&format!("warning: {}", text.as_ref()));
    }
}
