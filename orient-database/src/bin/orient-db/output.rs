//! Printing results: text for people, JSON for machines (`--json`), one object per command.
//!
//! Every byte this tool prints goes through here. A reader that goes away early (`orient-db schema |
//! head -1`) closes the pipe; the work is done by then, so the rest of the output is dropped quietly and
//! the command ends with its own exit code (Rust's `println!` would panic, exit 101). Any other failure to
//! write stdout (a full disk under `> file`) is reported and makes an otherwise successful command exit 1,
//! since its output is incomplete.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// Set when writing stdout failed for a reason other than a closed pipe.
static OUTPUT_FAILED: AtomicBool = AtomicBool::new(false);

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
}

/// Writes `text` to stdout; a closed pipe is not an error (see the module's documentation).
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            OUTPUT_FAILED.store(true, Ordering::Relaxed);
            stderr(&format!("error: cannot write the output to stdout: {e}"));
        }
    }
}

/// Writes one line to stderr. Nowhere is left to report a failure to write stderr, so it is ignored.
pub fn stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// Whether writing stdout failed (other than a closed pipe).
pub fn failed() -> bool {
    OUTPUT_FAILED.load(Ordering::Relaxed)
}
