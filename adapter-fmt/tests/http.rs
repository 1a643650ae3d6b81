//! The HTTP side, against the running binary, with curl as the client.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{curl, get, path_arg, proc_status_kib, serving, start_listening, LogWriter, Process, DEADLINE};

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
    let rss_kib = proc_status_kib(process.pid(), "VmRSS");
    assert!(rss_kib < 64 * 1024, "RSS {rss_kib} KiB after a stalled follower");
    // When it reads at last, it is told what it missed.
    stalled.set_read_timeout(Some(DEADLINE)).unwrap();
    let deadline = Instant::now() + DEADLINE;
    let mut tail = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        assert!(Instant::now() < deadline, "no notice of skipped records");
        let n = stalled.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended");
        tail.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&tail).contains("records skipped\"}") {
            break;
        }
        // Keep only what a notice cut by this read could start with.
        tail.drain(..tail.len().saturating_sub(200));
    }
}

/// A value from the adapter's `/metrics`.
fn metric(base: &str, name: &str) -> u64 {
    let (status, text) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// Waits until `/metrics` shows `name` with a value that `done` accepts.
fn wait_for_metric(base: &str, name: &str, done: impl Fn(u64) -> bool) -> u64 {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let value = metric(base, name);
        if done(value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{name} stayed at {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The server's side of its IPv4 connections, by the client's port: the TCP
/// state (1 is established) and the bytes waiting in its send queue.
fn server_sockets(server_port: u16) -> HashMap<u16, (u8, u64)> {
    let hex_port = |address: &str| u16::from_str_radix(address.rsplit(':').next().unwrap(), 16).unwrap();
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if hex_port(fields[1]) != server_port {
                return None;
            }
            let state = u8::from_str_radix(fields[3], 16).unwrap();
            let tx_queue = u64::from_str_radix(fields[4].split(':').next().unwrap(), 16).unwrap();
            Some((hex_port(fields[2]), (state, tx_queue)))
        })
        .collect()
}

/// An established connection whose send queue holds bytes the client has
/// no room for.
fn filled_up(socket: Option<(u8, u64)>) -> bool {
    matches!(socket, Some((1, tx)) if tx > 0)
}

fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Writes `n` records of about 1 KiB and waits until all are published.
fn write_kib_records(writer: &mut LogWriter, base: &str, n: u64) {
    let padding = "x".repeat(1000);
    for i in 1..=n {
        writer.line(&format!("2026-11-26T18:00:00Z {i} {padding}"));
    }
    wait_for_metric(base, "adapter_fmt_records_written_total", |v| v == n);
}

/// Opens a connection that sends `request` and then never reads.
fn stalled_client(base: &str, request: &str) -> TcpStream {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

/// Waits until the server's side of each of `clients` (its state and send
/// queue, `None` once it is gone) satisfies `done`.
fn wait_for_server_sockets(
    base: &str,
    clients: &[TcpStream],
    what: &str,
    done: impl Fn(Option<(u8, u64)>) -> bool,
) {
    let ports: Vec<u16> = clients.iter().map(|c| c.local_addr().unwrap().port()).collect();
    let deadline = Instant::now() + DEADLINE;
    loop {
        let sockets = server_sockets(port_of(base));
        let pending = ports.iter().filter(|p| !done(sockets.get(p).copied())).count();
        if pending == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{pending} connections never {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_hundred_clients_that_never_read_stay_within_the_pod_limit() {
    // Default settings: --buffer 10000, --buffer-bytes 8MiB.
    let (_dir, mut writer, process, base) = serve_file(&[]);
    write_kib_records(&mut writer, &base, 10_000);
    let buffered = metric(&base, "adapter_fmt_buffer_records");
    let buffer_bytes = metric(&base, "adapter_fmt_buffer_bytes");
    assert!(
        buffer_bytes > 7 << 20 && buffer_bytes <= 8 << 20,
        "{buffer_bytes}"
    );
    let before = proc_status_kib(process.pid(), "VmRSS");

    let clients: Vec<TcpStream> = (0..200)
        .map(|_| stalled_client(&base, "GET /logs HTTP/1.1\r\nHost: x\r\n\r\n"))
        .collect();
    // Every response is stuck: the client's window is full and the server's
    // send queue holds bytes it cannot send.
    wait_for_server_sockets(&base, &clients, "filled up", filled_up);

    // Meanwhile a client that reads gets the whole buffer.
    let (status, body) = get(&format!("{base}/logs"));
    assert_eq!(status, 200);
    let listed = messages(&body);
    assert_eq!(listed.len() as u64, buffered);
    assert!(listed.last().unwrap().starts_with("10000 "));
    assert_eq!(get(&format!("{base}/healthz")), (200, "ok\n".to_owned()));

    let peak = proc_status_kib(process.pid(), "VmHWM");
    let now = proc_status_kib(process.pid(), "VmRSS");
    eprintln!(
        "200 stalled GET /logs over {buffered} records of 1 KiB ({buffer_bytes} bytes): \
         RSS {before} KiB before, {now} KiB stalled, peak (VmHWM) {peak} KiB"
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB with 200 stalled clients");
    drop(clients);
}

#[test]
fn healthz_answers_under_a_connection_flood() {
    let (_dir, _writer, _process, base) = serve_file(&["--max-connections", "50", "--header-timeout", "10m"]);
    let flood: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(base.trim_start_matches("http://")).unwrap())
        .collect();
    // All 200 accepted: 50 within the limit, the others over it (the oldest
    // of those closed as newer ones come).
    wait_for_metric(&base, "adapter_fmt_http_over_limit_connections_total", |n| {
        n >= 150
    });
    assert_eq!(metric(&base, "adapter_fmt_http_connections"), 50);

    assert_eq!(get(&format!("{base}/healthz")), (200, "ok\n".to_owned()));
    let (status, body) = get(&format!("{base}/logs"));
    assert_eq!(status, 503);
    assert!(body.contains("too many connections"), "{body}");

    // When the flood goes, /logs is served again.
    drop(flood);
    wait_for_metric(&base, "adapter_fmt_http_connections", |n| n <= 1);
    assert_eq!(get(&format!("{base}/logs")).0, 200);
}

#[test]
fn healthz_answers_when_connections_exceed_the_open_file_limit() {
    // The case: more idle connections than `ulimit -n` allows.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let _writer = LogWriter::create(&log);
    let (_process, port) = start_listening(|port| {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "ulimit -S -n 256 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_adapter-fmt"),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--header-timeout",
            "10m",
            path_arg(&log),
        ]);
        command
    });
    let base = format!("http://127.0.0.1:{port}");
    let max = metric(&base, "adapter_fmt_http_connections_max");
    assert!(
        max < 256 - 32,
        "--max-connections not fitted to ulimit -n 256: {max}"
    );

    let flood: Vec<TcpStream> = (0..400)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    wait_for_metric(&base, "adapter_fmt_http_over_limit_connections_total", |n| {
        n >= 400 - max
    });
    assert_eq!(metric(&base, "adapter_fmt_http_connections"), max);
    assert_eq!(get(&format!("{base}/healthz")), (200, "ok\n".to_owned()));
    assert_eq!(get(&format!("{base}/logs")).0, 503);
    drop(flood);
}

#[test]
fn slow_and_idle_connections_are_closed_but_followers_are_not() {
    let (_dir, mut writer, _process, base) = serve_file(&["--header-timeout", "1s"]);
    let addr = base.trim_start_matches("http://");

    // A follower, streaming before the others connect.
    let mut command = Command::new("curl");
    command.args(["-sSN", &format!("{base}/logs?follow=true")]);
    let follower = Process::spawn(command);
    wait_for_metric(&base, "adapter_fmt_followers", |n| n == 1);

    // Half a request head, never finished.
    let mut slow = TcpStream::connect(addr).unwrap();
    let connected = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    // A kept-alive connection that sends nothing after its first answer.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();

    for (name, stream) in [("slow", &mut slow), ("idle", &mut idle)] {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut received = Vec::new();
        // Ends at EOF (or a reset): the server closed the connection.
        let _ = stream.read_to_end(&mut received);
        let received = String::from_utf8_lossy(&received);
        assert!(connected.elapsed() < DEADLINE, "{name} not closed: {received}");
        match name {
            "slow" => assert!(received.is_empty(), "{received}"),
            _ => assert!(received.ends_with("\r\n\r\nok\n"), "{received}"),
        }
    }
    assert!(connected.elapsed() >= Duration::from_millis(900));
    let text = String::from_utf8_lossy(&{
        let mut again = TcpStream::connect(addr).unwrap();
        again
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut received = Vec::new();
        again.read_to_end(&mut received).unwrap();
        received
    })
    .into_owned();
    assert!(text.ends_with("\r\n\r\nok\n"), "{text}");

    // The follower outlived the timeout and still gets new records.
    writer.line("2026-11-26T18:00:00Z after the timeout");
    follower.stdout.wait_for_text("after the timeout");
    assert_eq!(metric(&base, "adapter_fmt_followers"), 1);
}

#[test]
fn a_client_that_reads_nothing_is_closed_after_the_write_timeout() {
    let (_dir, mut writer, _process, base) = serve_file(&["--write-timeout", "1s"]);
    write_kib_records(&mut writer, &base, 5000);
    let mut stalled = vec![stalled_client(&base, "GET /logs HTTP/1.1\r\nHost: x\r\n\r\n")];
    wait_for_server_sockets(&base, &stalled, "filled up", filled_up);
    // The server gives up: its side leaves the established state.
    wait_for_server_sockets(&base, &stalled, "closed", |s| !matches!(s, Some((1, _))));
    wait_for_metric(&base, "adapter_fmt_http_connections", |n| n == 1);
    let mut received = Vec::new();
    stalled[0].set_read_timeout(Some(DEADLINE)).unwrap();
    // What was sent before (unless the closed socket was reset).
    let _ = stalled.pop().unwrap().read_to_end(&mut received);
    if !received.is_empty() {
        assert!(received.starts_with(b"HTTP/1.1 200 OK"));
        assert!(!received.ends_with(b"]\n"), "the whole response came");
    }
}

#[test]
fn allow_on_405_and_head_without_a_body() {
    let (_dir, mut writer, _process, base) = serve_file(&[]);
    writer.line("2026-11-26T18:00:00Z one record");
    wait_for_records(&base, 1);

    let post = curl(&["-X", "POST", "-i"], &format!("{base}/logs"));
    let text = String::from_utf8_lossy(&post.stdout).to_lowercase();
    assert!(text.starts_with("http/1.1 405"), "{text}");
    assert!(text.contains("\r\nallow: get, head\r\n"), "{text}");

    let raw = |request: &str| {
        let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut received = Vec::new();
        stream.read_to_end(&mut received).unwrap();
        String::from_utf8(received).unwrap()
    };
    let health = raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    assert!(health.contains("content-length: 3\r\n"), "{health}");
    assert!(health.ends_with("\r\n\r\n"), "a body came: {health}");
    for path in ["/logs", "/logs?follow=true", "/metrics"] {
        let head = raw(&format!(
            "HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ));
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{path}: {head}");
        assert!(head.ends_with("\r\n\r\n"), "{path}: a body came: {head}");
    }
    assert_eq!(metric(&base, "adapter_fmt_followers"), 0);
}

#[test]
fn buffer_bytes_evicts_by_bytes() {
    let (_dir, mut writer, _process, base) = serve_file(&["--buffer-bytes", "10KiB"]);
    write_kib_records(&mut writer, &base, 100);
    let (_, body) = get(&format!("{base}/logs"));
    let listed = messages(&body);
    // Each record's JSON is over 1 KiB: fewer than 10 fit, the newest.
    assert!((5..10).contains(&listed.len()), "{} records", listed.len());
    let numbers: Vec<usize> = listed
        .iter()
        .map(|m| m.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let first = 101 - listed.len();
    assert_eq!(numbers, (first..=100).collect::<Vec<_>>());
    assert!(metric(&base, "adapter_fmt_buffer_bytes") <= 10 * 1024);
    assert_eq!(metric(&base, "adapter_fmt_buffer_capacity_bytes"), 10 * 1024);
    assert_eq!(metric(&base, "adapter_fmt_buffer_records"), listed.len() as u64);
}

/// What happens to the files followed is counted in `/metrics`: a rename
/// and a truncation, each once, from the tailer's events.
#[test]
fn metrics_count_what_happened_to_the_files() {
    let (dir, mut writer, _process, base) = serve_file(&[]);
    writer.line("2026-11-26T18:00:00Z a first line, longer than what replaces it");
    wait_for_records(&base, 1);
    let log = dir.path().join("app.log");
    std::fs::write(&log, "2026-11-26T18:00:01Z short\n").unwrap();
    wait_for_records(&base, 2);
    let rotated = dir.path().join("app.log.1");
    let _writer = writer.rename_to(&rotated);
    let count = |event: &str| -> Option<u64> {
        let (_, body) = get(&format!("{base}/metrics"));
        let sample = format!("adapter_fmt_file_events_total{{event=\"{event}\"}} ");
        body.lines()
            .find_map(|line| line.strip_prefix(&sample))
            .map(|value| value.parse().unwrap())
    };
    common::eventually("the rotation is counted", || count("rotated_away") == Some(1));
    assert_eq!(count("truncated"), Some(1));
    assert_eq!(count("long_line"), Some(0), "listed at zero before it happens");
}

/// At the default level a serving adapter says once what it reads and
/// where it serves, then nothing per record.
#[test]
fn at_the_default_level_one_line_says_what_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    let (process, port) = start_listening(|port| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
        command
            .args(["--listen", &format!("127.0.0.1:{port}"), path_arg(&log)])
            .env_remove("RUST_LOG");
        command
    });
    let base = format!("http://127.0.0.1:{port}");
    for n in 1..=50 {
        writer.line(&format!("2026-11-26T18:00:{:02}Z record {n}", n % 60));
    }
    wait_for_records(&base, 50);
    let finished = process.terminate();
    let stderr: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(stderr.len(), 1, "stderr:\n{}", finished.stderr);
    assert!(
        stderr[0].contains("INFO adapter-fmt") && stderr[0].contains("app.log") && stderr[0].contains(&base),
        "{}",
        stderr[0]
    );
}

/// Over-long lines are counted one by one, however many arrive in one read
/// and however many pieces each makes (a tester saw 100 lines counted as 1).
#[test]
fn metrics_count_each_over_long_line() {
    let (_dir, mut writer, _process, base) = serve_file(&["--max-line-bytes", "16"]);
    let lines: String = (0..100)
        .map(|n| format!("2026-11-26T18:00:00Z line {n:03} is long\n"))
        .collect();
    writer.write(&lines);
    wait_for_records(&base, 300);
    // Counted once the read that delivered them is done.
    common::eventually("100 long lines counted", || {
        let (_, body) = get(&format!("{base}/metrics"));
        body.contains("adapter_fmt_file_events_total{event=\"long_line\"} 100\n")
    });
}
