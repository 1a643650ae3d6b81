//! The binary on stdin and on files: formats, flags, multiline, bad input.

mod common;

use std::fs;

use common::{adapter, path_arg, records, run_adapter, LogWriter};

#[test]
fn stdin_lines_become_ndjson_records_in_order() {
    let input = "2026-11-26T18:03:08.123Z first\nThu Nov 26 18:03:09 UTC 2026#This is log\nno stamp at all\n";
    let finished = run_adapter(&[], input.as_bytes());
    assert!(finished.status.success(), "{}", finished.stderr);
    let records = records(&finished.stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["timestamp"], "2026-11-26T18:03:08.123Z");
    assert_eq!(records[0]["message"], "first");
    assert_eq!(records[0]["source"], "stdin");
    assert_eq!(records[0]["format"], "rfc3339");
    assert_eq!(records[0]["assumptions"], serde_json::json!([]));
    assert_eq!(records[1]["timestamp"], "2026-11-26T18:03:09Z");
    assert_eq!(records[1]["message"], "This is log");
    assert_eq!(
        records[1]["assumptions"],
        serde_json::json!(["zone_abbreviation"])
    );
    assert_eq!(records[2]["format"], serde_json::Value::Null);
    assert_eq!(records[2]["assumptions"], serde_json::json!(["read_time"]));
    assert_eq!(records[2]["message"], "no stamp at all");
}

#[test]
fn text_logfmt_zones_and_formats() {
    let line = b"2026-11-26 18:03:08.5 started\n";
    let text = run_adapter(&["--output", "text", "--default-tz", "Europe/Berlin"], line);
    assert_eq!(
        String::from_utf8_lossy(&text.stdout),
        "2026-11-26T17:03:08.5Z started\n"
    );

    let shifted = run_adapter(&["--output", "text", "--output-tz", "+05:30"], line);
    assert_eq!(
        String::from_utf8_lossy(&shifted.stdout),
        "2026-11-26T23:33:08.5+05:30 started\n"
    );

    let custom = run_adapter(
        &["--output", "text", "--output-time-format", "%d.%m.%Y %H:%M"],
        line,
    );
    assert_eq!(
        String::from_utf8_lossy(&custom.stdout),
        "26.11.2026 18:03 started\n"
    );

    let logfmt = run_adapter(&["--output", "logfmt", "--keep-original"], line);
    assert_eq!(
        String::from_utf8_lossy(&logfmt.stdout),
        "timestamp=2026-11-26T18:03:08.5Z source=stdin format=iso8601 assumptions=default_zone \
         message=started original=\"2026-11-26 18:03:08.5 started\"\n"
    );
}

#[test]
fn date_order_is_learned_per_source_and_can_be_forced() {
    let input = b"13/04/2026 10:00 settles day first\n03/04/2026 10:00 then ambiguous\n";
    let learned = records(&run_adapter(&[], input).stdout);
    assert_eq!(learned[1]["timestamp"], "2026-04-03T10:00:00Z");
    assert_eq!(learned[1]["format"], "numeric_dmy");
    assert_eq!(
        learned[1]["assumptions"],
        serde_json::json!(["default_zone", "date_order_from_source"])
    );

    let unsettled = records(&run_adapter(&[], b"03/04/2026 10:00 x\n").stdout);
    assert_eq!(
        unsettled[0]["timestamp"], "2026-03-04T10:00:00Z",
        "slash dates default to month first"
    );
    assert_eq!(
        unsettled[0]["assumptions"],
        serde_json::json!(["default_zone", "date_order_default"])
    );

    let forced = records(&run_adapter(&["--date-order", "dmy"], b"03/04/2026 10:00 x\n").stdout);
    assert_eq!(forced[0]["timestamp"], "2026-04-03T10:00:00Z");
    assert_eq!(forced[0]["assumptions"], serde_json::json!(["default_zone"]));
}

#[test]
fn multiline_joins_stack_traces_onto_their_record() {
    let input = "2026-11-26 18:03:08,123 ERROR boom\n\
                 java.lang.IllegalStateException: bad\n\
                 \tat com.example.App.run(App.java:42)\n\
                 \tat com.example.App.main(App.java:7)\n\
                 Caused by: java.io.IOException: disk\n\
                 \t... 2 more\n\
                 2026-11-26 18:03:09,000 INFO next\n";
    let joined = records(&run_adapter(&["--multiline"], input.as_bytes()).stdout);
    assert_eq!(joined.len(), 2, "{joined:?}");
    assert_eq!(joined[0]["timestamp"], "2026-11-26T18:03:08.123Z");
    assert_eq!(
        joined[0]["message"],
        "ERROR boom\njava.lang.IllegalStateException: bad\n\tat com.example.App.run(App.java:42)\n\tat com.example.App.main(App.java:7)\nCaused by: java.io.IOException: disk\n\t... 2 more"
    );
    assert_eq!(joined[1]["message"], "INFO next");
    let separate = records(&run_adapter(&[], input.as_bytes()).stdout);
    assert_eq!(separate.len(), 7);

    let python = "2026-11-26 18:03:08,123 ERROR failed\n\
                  Traceback (most recent call last):\n\
                  \x20 File \"app.py\", line 3, in <module>\n\
                  ValueError: bad value\n\
                  plain line without stamp\n";
    let joined = records(&run_adapter(&["--multiline"], python.as_bytes()).stdout);
    assert_eq!(joined.len(), 2, "{joined:?}");
    assert!(joined[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("ValueError: bad value"));
}

#[test]
fn bad_input_is_passed_through_never_dropped() {
    let mut input = Vec::new();
    input.extend_from_slice(b"\x00\x01\x02\xff\xfe binary garbage\n");
    input.extend_from_slice(b"2026-11-26T18:03:08Z invalid utf-8 \xc3\x28 here\n");
    input.extend_from_slice(b"2026-13-01T00:00:00Z month thirteen\n");
    input.extend_from_slice(b"2026-11-26 25:61:00 hour twenty-five\n");
    input.extend_from_slice(&vec![b'x'; 10 * 1024 * 1024]);
    input.extend_from_slice(b"\nlast\n");
    let finished = run_adapter(&[], &input);
    assert!(finished.status.success(), "{}", finished.stderr);
    let records = records(&finished.stdout);
    // The 10 MiB line comes as ten 1 MiB records.
    assert_eq!(records.len(), 4 + 10 + 1);
    assert_eq!(records[0]["message"], "\u{0}\u{1}\u{2}\\xff\\xfe binary garbage");
    assert_eq!(records[1]["message"], "invalid utf-8 \\xc3( here");
    assert_eq!(records[2]["format"], serde_json::Value::Null);
    assert_eq!(records[2]["message"], "2026-13-01T00:00:00Z month thirteen");
    assert_eq!(records[3]["format"], serde_json::Value::Null);
    let long: usize = records[4..14]
        .iter()
        .map(|r| r["message"].as_str().unwrap().len())
        .sum();
    assert_eq!(long, 10 * 1024 * 1024);
    assert_eq!(records[14]["message"], "last");
}

#[test]
fn follows_files_across_rotation_with_sidecar_tails_guarantees() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    for n in 1..=100 {
        writer.line(&format!("2026-11-26T18:00:00Z line {n}"));
    }
    let process = adapter(&["--output", "text", path_arg(&log)]);
    process.stdout.wait_for_lines(100);
    let mut old = writer.rename_to(&dir.path().join("app.log.1"));
    old.line("2026-11-26T18:00:01Z line 101");
    let mut writer = LogWriter::create(&log);
    writer.line("2026-11-26T18:00:02Z line 102");
    process.stdout.wait_for_lines(102);
    let finished = process.terminate();
    assert!(finished.status.success(), "{}", finished.stderr);
    let lines = finished.lines();
    let expected: Vec<String> = (1..=102)
        .map(|n| {
            let second = match n {
                101 => 1,
                102 => 2,
                _ => 0,
            };
            format!("2026-11-26T18:00:0{second}Z line {n}")
        })
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn no_follow_reads_globs_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.log"), "Nov 26 18:03:08 host a: one\n").unwrap();
    fs::write(dir.path().join("b.log"), "[26/Nov/2026:18:03:09 +0000] two\n").unwrap();
    let pattern = format!("{}/*.log", dir.path().display());
    let finished = common::run_adapter(&["--no-follow", &pattern], b"");
    assert!(finished.status.success(), "{}", finished.stderr);
    let records = records(&finished.stdout);
    assert_eq!(records.len(), 2);
    let sources: Vec<&str> = records.iter().map(|r| r["source"].as_str().unwrap()).collect();
    assert!(sources.iter().all(|s| s.ends_with(".log")), "{sources:?}");
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    for (args, says) in [
        (&["--default-tz", "Mars/Olympus"][..], "IANA"),
        (&["--output", "xml"][..], "xml"),
        (&["--time-format", "%Y-%"][..], "time-format"),
        (&["--date-order", "ydm"][..], "ydm"),
        (&["--listen", "nowhere"][..], "nowhere"),
    ] {
        let finished = run_adapter(args, b"");
        assert_eq!(finished.status.code(), Some(2), "{args:?}");
        assert!(finished.stderr.contains(says), "{args:?}: {}", finished.stderr);
    }
    let mixed = run_adapter(&["-", "x.log"], b"");
    assert_eq!(mixed.status.code(), Some(1));
    assert!(mixed.stderr.contains("cannot be mixed"), "{}", mixed.stderr);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    let line = "2026-11-26T18:00:00Z filler line\n";
    fs::write(&log, line.repeat(200_000)).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
    command.args(["--no-follow", path_arg(&log)]);
    let (process, pipe) = common::Process::spawn_with_pipe(command);
    let mut first = String::new();
    BufReader::new(pipe).read_line(&mut first).unwrap();
    assert!(first.contains("filler line"));
    let finished = process.wait();
    assert!(finished.status.success(), "{:?}", finished.status);
    assert!(finished.stderr.is_empty(), "{}", finished.stderr);
}

/// Levels and the common schemas on real lines (log4j, logcat, an access
/// log, an RFC 5424 line): OpenTelemetry's and ECS's field names, the
/// level as written and OpenTelemetry's number, the original kept intact.
#[test]
fn severity_and_the_otel_and_ecs_schemas() {
    let input = "2017-06-09 20:10:40,123 WARN executor.Executor: slow task\n\
                 03-17 16:13:38.811  1702  2395 E WindowManager: freeze\n\
                 <11>1 2026-11-26T18:03:08.003Z host app 1 - - disk failed\n\
                 10.12.14.7 - - [26/Nov/2026:18:03:08 +0000] \"GET / HTTP/1.1\" 200 5\n";
    let default = records(&run_adapter(&[], input.as_bytes()).stdout);
    let levels: Vec<_> = default
        .iter()
        .map(|r| (r["severity_text"].clone(), r["severity_number"].clone()))
        .collect();
    assert_eq!(
        levels,
        [
            (serde_json::json!("WARN"), serde_json::json!(13)),
            (serde_json::json!("E"), serde_json::json!(17)),
            (serde_json::json!("err"), serde_json::json!(17)),
            (serde_json::Value::Null, serde_json::Value::Null),
        ]
    );

    let otel = records(&run_adapter(&["--schema", "otel", "--keep-original"], input.as_bytes()).stdout);
    assert_eq!(otel[0]["timestamp"], "2017-06-09T20:10:40.123Z");
    assert!(otel[0]["observed_timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(otel[0]["severity_number"], 13);
    assert_eq!(
        otel[3]["body"],
        input.lines().nth(3).unwrap(),
        "the access log line intact"
    );
    assert_eq!(otel[3]["attributes"]["log.file.path"], "stdin");
    assert!(otel[0].get("message").is_none());

    let ecs = records(&run_adapter(&["--schema", "ecs"], input.as_bytes()).stdout);
    assert_eq!(ecs[2]["@timestamp"], "2026-11-26T18:03:08.003Z");
    assert_eq!(ecs[2]["log.level"], "err");
    assert_eq!(ecs[2]["event.original"], input.lines().nth(2).unwrap());
    assert_eq!(ecs[2]["log.file.path"], "stdin");
    assert_eq!(ecs[0]["message"], "WARN executor.Executor: slow task");
}

/// Issue 12's small ones: a format that cannot be written is refused at
/// start; an instant RFC 3339 cannot write is absent and flagged; +23:59
/// is an offset.
#[test]
fn formats_and_offsets_at_their_edges() {
    let refused = run_adapter(&["--output-time-format", "%#z"], b"");
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stderr.contains("cannot be written"), "{}", refused.stderr);
    let edges = records(
        &run_adapter(
            &[],
            b"9999-12-31T23:59:59-14:00 placeholder\n2026-11-26T10:00:00+23:59 far east\n",
        )
        .stdout,
    );
    assert_eq!(edges[0]["assumptions"], serde_json::json!(["read_time"]));
    assert_eq!(edges[0]["message"], "9999-12-31T23:59:59-14:00 placeholder");
    assert_eq!(edges[1]["timestamp"], "2026-11-25T10:01:00Z");
}

/// A format no built-in shape knows, given with `--time-format`: read on
/// real lines (Hadoop 0.x's yyMMdd HHmmss, BGL's own stamp); a bad one is
/// refused at start, saying what is wrong.
#[test]
fn the_users_own_time_formats() {
    let input =
        b"- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x\n";
    let without = records(&run_adapter(&["--default-tz", "America/Los_Angeles"], input).stdout);
    assert_eq!(without[0]["timestamp"], "2005-06-03T22:42:50Z");
    let with = records(
        &run_adapter(
            &[
                "--time-format",
                "%Y-%m-%d-%H.%M.%S%.6f",
                "--default-tz",
                "America/Los_Angeles",
            ],
            b"R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x\n",
        )
        .stdout,
    );
    assert_eq!(with[0]["timestamp"], "2005-06-03T22:42:50.675872Z");
    assert_eq!(with[0]["format"], "user");
    for (format, says) in [
        ("%Q %H", "not one chrono's strftime knows"),
        ("%Y", "names no day"),
    ] {
        let refused = run_adapter(&["--time-format", format], b"");
        assert_eq!(refused.status.code(), Some(2));
        assert!(refused.stderr.contains(says), "{}", refused.stderr);
    }
}

/// `--regex`: named captures of a real Zookeeper line as fields, in every
/// schema; lines it does not match are read as usual; a bad pattern says
/// where it is wrong.
#[test]
fn the_users_regex_names_the_fields() {
    let pattern =
        r"^(?P<timestamp>\S+ \S+) - (?P<level>\w+)\s+\[(?P<thread>[^\]]*(?:\][^\]]*)*)\] - (?P<message>.*)$";
    let input = "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200\n\
                 2015-07-29 17:41:45,001 an unmatched line\n";
    let default = records(&run_adapter(&["--regex", pattern], input.as_bytes()).stdout);
    assert_eq!(default[0]["timestamp"], "2015-07-29T17:41:44.747Z");
    assert_eq!(default[0]["severity_text"], "INFO");
    assert_eq!(default[0]["message"], "Notification time out: 3200");
    assert_eq!(
        default[0]["attributes"]["thread"],
        "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774"
    );
    assert_eq!(default[1]["timestamp"], "2015-07-29T17:41:45.001Z");
    assert!(default[1].get("attributes").is_none());
    let otel = records(&run_adapter(&["--regex", pattern, "--schema", "otel"], input.as_bytes()).stdout);
    assert!(otel[0]["attributes"]["thread"]
        .as_str()
        .unwrap()
        .starts_with("QuorumPeer"));
    let ecs = records(&run_adapter(&["--regex", pattern, "--schema", "ecs"], input.as_bytes()).stdout);
    assert!(ecs[0]["labels.thread"]
        .as_str()
        .unwrap()
        .starts_with("QuorumPeer"));
    let refused = run_adapter(&["--regex", "(?P<timestamp>"], b"");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        refused.stderr.contains("not a valid regular expression"),
        "{}",
        refused.stderr
    );
}

/// `completions bash` loads in bash, and `man` renders with `man -l`.
#[test]
fn completions_and_man_page() {
    common::check_completions_and_man_page(env!("CARGO_BIN_EXE_adapter-fmt"), "--default-tz");
}

/// A checkpoint cannot apply to stdin: refused, not silently ignored
/// (found by a tester).
#[test]
fn checkpoint_with_stdin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("cp.json");
    let finished = run_adapter(&["--checkpoint", path_arg(&checkpoint)], b"x\n");
    assert_eq!(finished.status.code(), Some(1));
    assert!(finished.stderr.contains("--checkpoint"), "{}", finished.stderr);
    assert!(!checkpoint.exists());
}
