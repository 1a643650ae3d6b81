//! The HTTP side, against the running binary, with curl as the client.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use common::{curl, get, path_arg, serving, LogWriter, Process, DEADLINE};

fn numbered_input(n: usize) -> String {
    (1..=n)
        .map(|i| format!("2026-11-26T18:{:02}:{:02}Z record {i}\n", i / 60 % 60, i % 60))
        .collect()
}

/// The messages of an NDJSON stream.
fn streamed_messages(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let record: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            record["message"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The messages of a JSON array of records.
fn messages(body: &str) -> Vec<String> {
    let value: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_owned())
        .collect()
}

/// A file followed by adapter-fmt serving on a free port.
fn serve_file(extra: &[&str]) -> (tempfile::TempDir, LogWriter, Process, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let writer = LogWriter::create(&log);
    let mut args = extra.to_vec();
    args.push(path_arg(&log));
    let (process, base) = serving(&args);
    // Kept alive by the caller: dropping it would delete the directory.
    (dir, writer, process, base)
}

fn wait_for_records(base: &str, n: usize) -> String {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (status, body) = get(&format!("{base}/logs"));
        assert_eq!(status, 200);
        if messages(&body).len() >= n {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never got {n} records: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn logs_returns_each_record_once_and_filters() {
    let (_dir, mut writer, _process, base) = serve_file(&[]);
    for line in numbered_input(100).lines() {
        writer.line(line);
    }
    let first = wait_for_records(&base, 100);
    let expected: Vec<String> = (1..=100).map(|i| format!("record {i}")).collect();
    assert_eq!(messages(&first), expected);
    // The seed's adapter repeated everything on every request: not here.
    let (_, second) = get(&format!("{base}/logs"));
    assert_eq!(messages(&second), expected);

    let (_, limited) = get(&format!("{base}/logs?limit=3"));
    assert_eq!(messages(&limited), ["record 98", "record 99", "record 100"]);
    let (_, since) = get(&format!("{base}/logs?since=2026-11-26T18:01:38Z"));
    assert_eq!(messages(&since), ["record 98", "record 99", "record 100"]);
    let (_, since_offset) = get(&format!("{base}/logs?since=2026-11-26T19:01:39%2B01:00&limit=5"));
    assert_eq!(messages(&since_offset), ["record 99", "record 100"]);
}

#[test]
fn the_ring_buffer_keeps_only_the_newest() {
    let (_dir, mut writer, _process, base) = serve_file(&["--buffer", "10"]);
    for line in numbered_input(50).lines() {
        writer.line(line);
    }
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (_, body) = get(&format!("{base}/logs"));
        let got = messages(&body);
        if got.last().map(String::as_str) == Some("record 50") {
            assert_eq!(got, (41..=50).map(|i| format!("record {i}")).collect::<Vec<_>>());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
    }
}

#[test]
fn follow_streams_new_records_once_in_order() {
    let (_dir, mut writer, _process, base) = serve_file(&[]);
    writer.line("2026-11-26T18:00:00Z before the client came");
    wait_for_records(&base, 1);

    let mut command = Command::new("curl");
    command.args(["-sSN", &format!("{base}/logs?follow=true")]);
    let client = Process::spawn(command);
    // The stream carries only what is published once it is open; a first
    // record published now and seen by the client proves it is.
    let deadline = std::time::Instant::now() + DEADLINE;
    let mut n = 0;
    loop {
        n += 1;
        writer.line(&format!("2026-11-26T18:00:01Z probe {n}"));
        if client
            .stdout
            .holds_within(std::time::Duration::from_millis(200), |b| !b.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the follower never received a probe"
        );
    }
    let seen = client.stdout.line_count();
    for i in 1..=200 {
        writer.line(&format!("2026-11-26T18:00:02Z live {i}"));
    }
    client.stdout.wait_for_lines(seen + 200);
    let text = client.stdout.text();
    let live: Vec<String> = streamed_messages(&text)
        .into_iter()
        .filter(|m| m.starts_with("live"))
        .collect();
    assert_eq!(live, (1..=200).map(|i| format!("live {i}")).collect::<Vec<_>>());
    assert!(!text.contains("before the client came"));

    let (_, metrics) = get(&format!("{base}/metrics"));
    assert!(metrics.contains("adapter_fmt_followers 1"), "{metrics}");
}

#[test]
fn follow_with_limit_sends_the_backlog_first() {
    let (_dir, mut writer, _process, base) = serve_file(&[]);
    for i in 1..=5 {
        writer.line(&format!("2026-11-26T18:00:00Z old {i}"));
    }
    wait_for_records(&base, 5);
    let mut command = Command::new("curl");
    command.args(["-sSN", &format!("{base}/logs?follow=true&limit=2")]);
    let client = Process::spawn(command);
    client.stdout.wait_for_lines(2);
    writer.line("2026-11-26T18:00:01Z new 1");
    client.stdout.wait_for_lines(3);
    assert_eq!(
        streamed_messages(&client.stdout.text()),
        ["old 4", "old 5", "new 1"]
    );
}

#[test]
fn errors_health_and_metrics() {
    let (_dir, mut writer, _process, base) = serve_file(&[]);
    writer.line("Nov 26 18:03:08 host app: syslog line");
    writer.line("no timestamp");
    wait_for_records(&base, 2);

    assert_eq!(get(&format!("{base}/healthz")), (200, "ok\n".to_owned()));
    let (status, body) = get(&format!("{base}/nothing-here"));
    assert_eq!(status, 404);
    assert!(body.contains("/logs"));
    let (status, body) = get(&format!("{base}/logs?limit=lots"));
    assert_eq!(
        (status, body.trim()),
        (400, "limit must be a whole number, got \"lots\"")
    );
    let (status, body) = get(&format!("{base}/logs?since=yesterday"));
    assert_eq!(status, 400);
    assert!(body.contains("RFC 3339"));
    let (status, _) = get(&format!("{base}/logs?colour=blue"));
    assert_eq!(status, 400);
    let post = curl(
        &["-X", "POST", "-o", "/dev/null", "-w", "%{http_code}"],
        &format!("{base}/logs"),
    );
    assert_eq!(post.stdout, b"405");

    let (status, metrics) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200);
    for expected in [
        "adapter_fmt_lines_read_total 2",
        "adapter_fmt_records_written_total 2",
        "adapter_fmt_lines_without_timestamp_total 1",
        "adapter_fmt_buffer_records 2",
        "adapter_fmt_buffer_capacity 10000",
        "adapter_fmt_records_by_format_total{format=\"syslog_rfc3164\"} 1",
    ] {
        assert!(metrics.contains(expected), "missing {expected:?} in:\n{metrics}");
    }
}

#[test]
fn many_clients_at_once_and_a_client_that_never_reads() {
    let (_dir, mut writer, process, base) = serve_file(&[]);
    // A follower that sends its request and then never reads a byte.
    let addr = base.trim_start_matches("http://");
    let mut stalled = TcpStream::connect(addr).unwrap();
    write!(stalled, "GET /logs?follow=true HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();

    let total = 100_000;
    let padding = "x".repeat(200);
    for i in 1..=total {
        writer.line(&format!("2026-11-26T18:00:00Z {i} {padding}"));
    }
    wait_for_records(&base, 10_000);
    let (_, body) = get(&format!("{base}/logs?limit=1"));
    let deadline = std::time::Instant::now() + DEADLINE;
    let mut last = messages(&body);
    while !last[0].starts_with(&format!("{total} ")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the stream stalled at {last:?}"
        );
        last = messages(&get(&format!("{base}/logs?limit=1")).1);
    }

    // Fifty clients at once, each getting the whole buffer.
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let url = format!("{base}/logs");
            std::thread::spawn(move || get(&url))
        })
        .collect();
    for client in clients {
        let (status, body) = client.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(messages(&body).len(), 10_000);
    }

    // 100 000 records of 250 bytes passed a follower that read none of
    // them: memory stays bounded by the ring and the follow backlog.
    let rss_kib: u64 = std::fs::read_to_string(format!("/proc/{}/status", process.pid()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert!(rss_kib < 64 * 1024, "RSS {rss_kib} KiB after a stalled follower");
    let mut probe = [0u8; 1];
    stalled.set_nonblocking(true).unwrap();
    let _ = stalled.read(&mut probe);
}
