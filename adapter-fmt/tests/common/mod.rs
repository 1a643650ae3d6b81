//! Starting the real `adapter-fmt` binary and talking to it over HTTP with
//! curl; the generic helpers are testkit's.
#![allow(dead_code)] // each test file uses its own share of these helpers

use std::process::Command;

pub(crate) use testkit::*;

/// Starts `adapter-fmt ARGS`, capturing stdout and stderr.
pub(crate) fn adapter(args: &[&str]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
    command.args(args);
    Process::spawn(command)
}

/// Runs `adapter-fmt ARGS` on `input` as stdin, to completion.
pub(crate) fn run_adapter(args: &[&str], input: &[u8]) -> Finished {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
    command.args(args);
    run_with_stdin(command, input)
}

/// The records of NDJSON output.
pub(crate) fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// `curl -sS ARGS URL`: the HTTP client the tests use, a real one.
pub(crate) fn curl(args: &[&str], url: &str) -> Finished {
    let mut command = Command::new("curl");
    command.args(["-sS", "--max-time", "30"]).args(args).arg(url);
    run(command)
}

/// GETs `url` and returns the status code and body.
pub(crate) fn get(url: &str) -> (u16, String) {
    let finished = curl(&["-w", "\n%{http_code}"], url);
    assert!(
        finished.status.success(),
        "curl {url} failed: {}",
        finished.stderr
    );
    let text = String::from_utf8_lossy(&finished.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("curl wrote the status code");
    (code.parse().expect("a status code"), body.to_owned())
}

/// Starts adapter-fmt with `args` plus `--listen` on a free port, waits
/// until it listens, and checks `/healthz`. Returns the process and the base URL.
pub(crate) fn serving(args: &[&str]) -> (Process, String) {
    let (process, port) = start_listening(|port| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
        command
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args);
        command
    });
    let base = format!("http://127.0.0.1:{port}");
    let probe = curl(
        &["-o", "/dev/null", "-w", "%{http_code}"],
        &format!("{base}/healthz"),
    );
    assert_eq!(
        probe.stdout,
        b"200",
        "adapter-fmt does not answer /healthz: {}",
        process.stderr.text()
    );
    (process, base)
}
