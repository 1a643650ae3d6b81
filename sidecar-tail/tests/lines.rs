//! What comes out: whole lines, long lines in pieces, raw bytes, where to
//! start, formats and stderr routing.

mod common;

use std::fs;

use common::{path_arg, run_tail, tail, LogWriter};

#[test]
fn a_partial_line_is_held_until_its_newline_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let marker_log = dir.path().join("marker.log");
    let log = dir.path().join("app.log");
    fs::write(&marker_log, "").unwrap();
    fs::write(&log, "").unwrap();
    // marker.log is named first, so each pass reads it before app.log.
    let tail = tail(&[path_arg(&marker_log), path_arg(&log)]);

    let mut writer = LogWriter::create(&log);
    writer.write("hel");
    // The pass that delivers the marker, written after "hel", also read
    // app.log after "hel" was there, and flushed after both: so if "hel"
    // were emitted early, it would show by the time the marker does.
    LogWriter::create(&marker_log).line("marker");
    tail.stdout.wait_for_lines(1);
    assert_eq!(tail.stdout.text(), "marker\n", "a partial line was emitted");

    writer.write("lo wor");
    writer.line("ld");
    tail.stdout.wait_for_lines(2);
    let finished = tail.terminate();
    assert_eq!(finished.lines(), ["marker", "hello world"]);
}

#[test]
fn a_last_line_without_newline_is_printed_at_eof_without_follow() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "a\nno newline at end").unwrap();
    let finished = run_tail(&["--no-follow", path_arg(&log)]);
    assert!(finished.status.success());
    // As GNU tail writes it: no newline made up.
    assert_eq!(finished.stdout, b"a\nno newline at end");
}

#[test]
fn long_lines_come_out_in_pieces_with_a_warning_and_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let long: String = (0..3500).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    fs::write(&log, format!("short\n{long}\nafter\n")).unwrap();
    let tail = tail(&["--max-line-bytes", "1000", path_arg(&log)]);
    tail.stdout.wait_for_lines(6);
    let finished = tail.terminate();
    let lines = finished.lines();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0], "short");
    assert_eq!(
        lines[1..5].iter().map(String::len).collect::<Vec<_>>(),
        [1000, 1000, 1000, 500]
    );
    assert_eq!(lines[1..5].concat(), long);
    assert_eq!(lines[5], "after");
    assert!(
        finished.stderr.contains("longer than --max-line-bytes"),
        "{}",
        finished.stderr
    );
}

#[test]
fn a_line_over_the_default_limit_streams_in_one_mib_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let long = vec![b'x'; 3 * 1024 * 1024 + 5];
    let mut content = long.clone();
    content.push(b'\n');
    fs::write(&log, &content).unwrap();
    let finished = run_tail(&["--no-follow", path_arg(&log)]);
    assert!(finished.status.success());
    let pieces: Vec<usize> = finished.stdout.split(|&b| b == b'\n').map(<[u8]>::len).collect();
    assert_eq!(pieces, [1 << 20, 1 << 20, 1 << 20, 5, 0]);
}

#[test]
fn raw_output_passes_any_bytes_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut content: Vec<u8> = (0u8..=255).filter(|&b| b != b'\n').collect();
    content.extend_from_slice(b"\n\xff\xfe invalid utf-8 \xc3\x28\n\x00\x00\n\r\n");
    fs::write(&log, &content).unwrap();
    let finished = run_tail(&["--no-follow", path_arg(&log)]);
    assert!(finished.status.success());
    assert_eq!(finished.stdout, content);
}

#[test]
fn lines_option_matches_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "1\n2\n3\n4\n5\n").unwrap();
    let last_two = run_tail(&["--no-follow", "-n", "2", path_arg(&log)]);
    assert_eq!(last_two.lines(), ["4", "5"]);
    let from_four = run_tail(&["--no-follow", "-n", "+4", path_arg(&log)]);
    assert_eq!(from_four.lines(), ["4", "5"]);
    let none = run_tail(&["--no-follow", "-n", "0", path_arg(&log)]);
    assert!(none.stdout.is_empty());

    // In follow mode, lines appended after start come out whole after the last N.
    let tail = tail(&["-n", "1", path_arg(&log)]);
    tail.stdout.wait_for_lines(1);
    LogWriter::create(&log).line("6");
    tail.stdout.wait_for_lines(2);
    assert_eq!(tail.terminate().lines(), ["5", "6"]);
}

#[test]
fn stderr_glob_routes_error_log_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let access = dir.path().join("access.log");
    let error = dir.path().join("error.log");
    fs::write(&access, "GET /\n").unwrap();
    fs::write(&error, "[error] upstream timed out\n").unwrap();
    let pattern = format!("{}/*.log", dir.path().display());
    let tail = tail(&["--stderr", "error.log", &pattern]);
    tail.stdout.wait_for_lines(1);
    tail.stderr.wait_for_text("[error] upstream timed out\n");
    LogWriter::create(&error).line("[error] second");
    tail.stderr.wait_for_text("[error] second\n");
    let finished = tail.terminate();
    assert_eq!(finished.lines(), ["GET /"]);
}

#[test]
fn json_output_carries_path_offset_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"first\n\"quoted\" \xff\n").unwrap();
    let finished = run_tail(&["--no-follow", "--output", "json", path_arg(&log)]);
    assert!(finished.status.success());
    let records: Vec<serde_json::Value> = finished
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["path"], path_arg(&log));
    assert_eq!(records[0]["offset"], 0);
    assert_eq!(records[0]["line"], "first");
    assert_eq!(records[1]["offset"], 6);
    assert_eq!(records[1]["line"], "\"quoted\" \u{fffd}");
}

#[test]
fn several_files_in_argument_order_without_follow() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    fs::write(&b, "b\n").unwrap();
    fs::write(&a, "a\n").unwrap();
    let finished = run_tail(&["--no-follow", path_arg(&b), path_arg(&a)]);
    assert_eq!(finished.lines(), ["b", "a"]);
    let prefixed = run_tail(&["--no-follow", "--output", "prefixed", path_arg(&a)]);
    assert_eq!(prefixed.lines(), [format!("{}: a", a.display())]);
}
