//! SIGKILL at random moments: the schedule of the crash-consistency tests (a tool killed mid-work must
//! leave the database entirely as before or entirely as after, every time).

use std::hash::{BuildHasher, Hasher};
use std::process::Command;
use std::time::{Duration, Instant};

/// `rounds` moments spread over 0–110% of `full` (how long an uninterrupted run takes), different in
/// every test run and reproducible from the seed printed on stderr.
pub fn schedule(rounds: usize, full: Duration) -> Vec<Duration> {
    let seed = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    eprintln!("kill schedule seed {seed}, uninterrupted run {full:?}");
    let mut state = seed | 1;
    (0..rounds)
        .map(|_| {
            // xorshift
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            full.mul_f64((state % 1000) as f64 / 1000.0 * 1.1)
        })
        .collect()
}

/// How long `command` takes when left alone (it must succeed).
pub fn time_uninterrupted(command: &mut Command) -> Duration {
    let started = Instant::now();
    let status = command.status().expect("running the command");
    assert!(status.success(), "{command:?}: {status}");
    started.elapsed()
}

/// Starts `command`, kills it with SIGKILL after `delay` (if it still runs) and reaps it.
pub fn kill_after(command: &mut Command, delay: Duration) {
    let mut child = command.spawn().expect("starting the command");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}
