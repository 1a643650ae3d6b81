//! Starting the real `sidecar-tail` binary; the generic helpers are testkit's.
#![allow(dead_code)] // each test file uses its own share of these helpers

use std::process::{ChildStdout, Command};

pub(crate) use testkit::*;

/// The path of the binary under test.
pub(crate) fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_sidecar-tail")
}

/// Starts `sidecar-tail ARGS`, capturing stdout and stderr.
pub(crate) fn tail(args: &[&str]) -> Process {
    let mut command = Command::new(binary());
    command.args(args);
    Process::spawn(command)
}

/// Starts `sidecar-tail ARGS` and hands back its stdout pipe unread.
pub(crate) fn tail_with_pipe(args: &[&str]) -> (Process, ChildStdout) {
    let mut command = Command::new(binary());
    command.args(args);
    Process::spawn_with_pipe(command)
}

/// Runs `sidecar-tail ARGS` to completion (for `--no-follow` and bad input).
pub(crate) fn run_tail(args: &[&str]) -> Finished {
    let mut command = Command::new(binary());
    command.args(args);
    run(command)
}
