//! Starting the real `sidecar-tail` binary; the generic helpers are testkit's.
#![allow(dead_code)] // each test file uses its own share of these helpers

use std::process::{ChildStdout, Command};

pub use testkit::*;

/// The path of the binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_sidecar-tail")
}

/// Starts `sidecar-tail ARGS`, capturing stdout and stderr.
pub fn tail(args: &[&str]) -> Process {
    let mut command = Command::new(binary());
    command.args(args);
    Process::spawn(command)
}

/// Starts `sidecar-tail ARGS` and hands back its stdout pipe unread.
pub fn tail_with_pipe(args: &[&str]) -> (Process, ChildStdout) {
    let mut command = Command::new(binary());
    command.args(args);
    Process::spawn_with_pipe(command)
}

/// Runs `sidecar-tail ARGS` to completion (for `--no-follow` and bad input).
pub fn run_tail(args: &[&str]) -> Finished {
    let mut command = Command::new(binary());
    command.args(args);
    run(command)
}
