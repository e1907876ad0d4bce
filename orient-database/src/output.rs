//! Printing from the command-line tools (`orient-db`, `orient-seed`; feature `cli`): every byte they
//! print goes through here.
//!
//! A reader that goes away early (`orient-db schema | head -1`, `orient-seed | true`) closes the pipe;
//! the work is done by then, so the rest of the output is dropped quietly and the command ends with its
//! own exit code (Rust's `println!` would panic, exit 101). Any other failure to write stdout (a full
//! disk under `> file`) is reported and recorded ([`failed`]): the tools then exit 1 where they would
//! have succeeded, since their output is incomplete.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when writing stdout failed for a reason other than a closed pipe.
static OUTPUT_FAILED: AtomicBool = AtomicBool::new(false);

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
