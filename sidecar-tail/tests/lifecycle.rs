//! Start, stop and restart: signals, checkpoints, a closed stdout, bad flags.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;

use common::{numbered, path_arg, run_tail, tail, tail_with_pipe, LogWriter};

#[test]
fn sigterm_drains_every_written_line_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    writer.line("0");
    let tail = tail(&[path_arg(&log)]);
    tail.stdout.wait_for_lines(1);

    // Everything written before the signal must come out, including the
    // unfinished last line, although the tailer may not have seen it yet.
    let total = 50_000;
    for n in 1..=total {
        writer.line(&n.to_string());
    }
    writer.write("unfinished");
    let finished = tail.terminate();

    assert!(finished.status.success(), "stderr:\n{}", finished.stderr);
    let mut expected = numbered("", 0..=total);
    expected.push("unfinished".into());
    assert!(finished.lines() == expected, "lines lost at shutdown");
}

#[test]
fn sigint_stops_like_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "a\n").unwrap();
    let tail = tail(&[path_arg(&log)]);
    tail.stdout.wait_for_lines(1);
    common::signal(tail.pid(), common::Signal::INT);
    let finished = tail.wait();
    assert!(finished.status.success());
    assert_eq!(finished.lines(), ["a"]);
}

#[test]
fn restart_with_checkpoint_delivers_every_line_exactly_once_across_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let checkpoint = dir.path().join("state/checkpoint.json");
    fs::create_dir(dir.path().join("state")).unwrap();
    let pattern = format!("{}*", log.display());
    let args = ["--checkpoint", path_arg(&checkpoint), &pattern];

    let mut writer = LogWriter::create(&log);
    for n in 1..=1000 {
        writer.line(&n.to_string());
    }
    let first = tail(&args);
    first.stdout.wait_for_lines(1000);
    for n in 1001..=2000 {
        writer.line(&n.to_string());
    }
    writer.write("20"); // half a line when the first run stops
    let first = first.terminate();
    assert!(first.status.success(), "stderr:\n{}", first.stderr);

    // While nothing runs: the line is finished, more is written, and the
    // file is rotated by rename with a new one in its place.
    writer.line("01");
    for n in 2002..=3000 {
        writer.line(&n.to_string());
    }
    let mut writer = writer.rename_to(&dir.path().join("app.log.1"));
    writer.line("3001");
    let mut writer = LogWriter::create(&log);
    for n in 3002..=4000 {
        writer.line(&n.to_string());
    }
    // Timestamps can tie or mislead (a tool touched the rotated file): the
    // file the checkpoint knows must still be finished first.
    let touched = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(dir.path().join("app.log.1"))
        .unwrap()
        .set_modified(touched)
        .unwrap();

    let second = tail(&args);
    second.stdout.wait_for_lines(4000 - first.lines().len());
    let second = second.terminate();
    assert!(second.status.success(), "stderr:\n{}", second.stderr);

    let mut all = first.lines();
    all.extend(second.lines());
    assert!(
        all == numbered("", 1..=4000),
        "lines lost, repeated or out of order across the restart"
    );
    assert_eq!(first.lines().len(), 2000, "the half line waits for the next run");

    // A third run has nothing new to say.
    let third = run_tail(&["--no-follow", "--checkpoint", path_arg(&checkpoint), &pattern]);
    assert!(third.status.success());
    assert!(
        third.stdout.is_empty(),
        "repeated: {}",
        String::from_utf8_lossy(&third.stdout)
    );
}

/// Issue 13: one plain path (no glob), 100 000 lines written at 10 000
/// lines/s, two SIGTERM restarts, the first across a rename rotation done
/// while nothing runs: every line once, in order.
#[test]
fn restarts_across_a_rotation_while_down_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let checkpoint = dir.path().join("checkpoint.json");
    let args = ["--checkpoint", path_arg(&checkpoint), path_arg(&log)];
    let total = 100_000;
    let mut writer = LogWriter::create(&log);
    let mut running = Some(tail(&args));
    let mut runs = Vec::new();
    let started = std::time::Instant::now();
    for n in 1..=total {
        writer.line(&n.to_string());
        if n % 100 == 0 {
            // 10 000 lines a second.
            let due = started + std::time::Duration::from_millis(n as u64 / 10);
            std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
        }
        match n {
            30_000 | 70_000 => runs.push(running.take().expect("a run").terminate()),
            35_000 => {
                // Rotated by rename while nothing runs.
                drop(writer.rename_to(&dir.path().join("app.log.1")));
                writer = LogWriter::create(&log);
            }
            40_000 | 75_000 => running = Some(tail(&args)),
            _ => {}
        }
    }
    let printed: usize = runs.iter().map(|run| run.lines().len()).sum();
    let last = running.expect("the last run");
    last.stdout.wait_for_lines(total - printed);
    runs.push(last.terminate());
    let mut all = Vec::new();
    for run in &runs {
        assert!(run.status.success(), "stderr:\n{}", run.stderr);
        all.extend(run.lines());
    }
    assert_eq!(all.len(), total, "lines lost or repeated");
    assert!(all == numbered("", 1..=total), "lines out of order");
}

#[test]
fn a_checkpoint_inside_the_followed_directory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.log"), "a\n").unwrap();
    let checkpoint = dir.path().join("checkpoint.json");
    let pattern = format!("{}/*", dir.path().display());
    let tail = tail(&[
        "--checkpoint",
        path_arg(&checkpoint),
        "--checkpoint-interval",
        "10ms",
        &pattern,
    ]);
    tail.stdout.wait_for_lines(1);
    common::wait_until_exists(&checkpoint);
    // Shutdown looks for files once more, so the checkpoint, which now
    // matches the glob, would be found there at the latest.
    let finished = tail.terminate();
    assert_eq!(finished.lines(), ["a"], "the checkpoint's own JSON was echoed");
}

#[test]
fn reused_inode_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let checkpoint = dir.path().join("checkpoint.json");
    let args = [
        "--no-follow",
        "--checkpoint",
        path_arg(&checkpoint),
        path_arg(&log),
    ];
    fs::write(&log, "old-1\nold-2\n").unwrap();
    assert_eq!(run_tail(&args).lines(), ["old-1", "old-2"]);

    // Same device and inode, other content: what a filesystem handing a
    // freed inode to a new file looks like. Rewriting in place produces it
    // deterministically; the new file is longer than the checkpoint offset,
    // so only the fingerprint can tell.
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
    let before = inode(&log);
    fs::write(&log, "new-1 from another writer\nnew-2\n").unwrap();
    assert_eq!(inode(&log), before);
    let second = run_tail(&args);
    assert_eq!(second.lines(), ["new-1 from another writer", "new-2"]);
    assert!(
        second.stderr.contains("inode reused"),
        "stderr:\n{}",
        second.stderr
    );
}

#[test]
fn closed_stdout_ends_the_program_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    writer.line("first");
    let (mut tail, pipe) = tail_with_pipe(&[path_arg(&log)]);
    let mut reader = BufReader::new(pipe);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "first\n");
    drop(reader);

    // The next lines find no reader: the write fails with EPIPE. Lines keep
    // coming until then, as in a pod: a process that another test forked at
    // the wrong moment can hold the pipe's read end until it execs, and a
    // write in that window still succeeds.
    let deadline = std::time::Instant::now() + common::DEADLINE;
    let mut n = 0;
    while !tail.has_exited() {
        writer.line(&format!("unread {n}"));
        n += 1;
        assert!(
            std::time::Instant::now() < deadline,
            "sidecar-tail never noticed the closed stdout"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let finished = tail.wait();
    assert!(finished.status.success(), "exit status {:?}", finished.status);
    let besides_the_start_line = finished
        .stderr
        .lines()
        .filter(|line| !line.contains("INFO sidecar-tail"))
        .count();
    assert_eq!(besides_the_start_line, 0, "stderr:\n{}", finished.stderr);
}

#[test]
fn bad_flags_get_a_usage_error_and_exit_2() {
    for args in [
        &["--bogus", "x.log"][..],
        &[][..],
        &["--lines", "ten", "x.log"][..],
        &["--poll", "0s", "x.log"][..],
        &["--output", "xml", "x.log"][..],
        &["--max-line-bytes", "5 parsecs", "x.log"][..],
    ] {
        let finished = run_tail(args);
        assert_eq!(finished.status.code(), Some(2), "args {args:?}");
        assert!(
            finished.stderr.contains("Usage:") || finished.stderr.contains("error:"),
            "{args:?}: {}",
            finished.stderr
        );
        assert!(finished.stdout.is_empty());
    }
}

#[test]
fn a_garbage_checkpoint_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("checkpoint.json");
    fs::write(&checkpoint, b"\x7fELF garbage").unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "a\n").unwrap();
    let finished = run_tail(&[
        "--no-follow",
        "--checkpoint",
        path_arg(&checkpoint),
        path_arg(&log),
    ]);
    assert_eq!(finished.status.code(), Some(1));
    assert!(
        finished.stderr.contains("not a valid sidecar-tail checkpoint"),
        "{}",
        finished.stderr
    );
    assert!(finished.stderr.contains("move it away"), "{}", finished.stderr);
}

#[test]
fn no_follow_reports_missing_files_and_prints_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "a\nb\n").unwrap();
    let missing = dir.path().join("missing.log");
    let finished = run_tail(&["--no-follow", path_arg(&log), path_arg(&missing)]);
    assert_eq!(finished.status.code(), Some(1));
    assert_eq!(finished.lines(), ["a", "b"]);
    assert!(finished.stderr.contains("no such file"), "{}", finished.stderr);
    assert!(finished.stderr.contains("missing.log"), "{}", finished.stderr);
}

#[test]
fn diagnostics_can_be_json_and_never_reach_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let tail = tail(&["--log-format", "json", path_arg(&log)]);
    tail.stderr.wait_for_text("waiting for it to appear");
    fs::write(&log, "a\n").unwrap();
    tail.stdout.wait_for_lines(1);
    let finished = tail.terminate();
    assert_eq!(finished.lines(), ["a"]);
    for line in finished.stderr.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("each diagnostic is JSON");
        assert!(value.get("level").is_some(), "{line}");
    }
}

/// Issue 13's errors: what a path is when it is not a file, an unreadable
/// file under --no-follow (exit 1, as GNU tail), and a checkpoint that
/// cannot be written, refused before anything is printed.
#[test]
fn errors_say_what_happened() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let directory = run_tail(&[path_arg(dir.path())]);
    assert_eq!(directory.status.code(), Some(1));
    assert!(
        directory.stderr.contains("is a directory, not a file"),
        "{}",
        directory.stderr
    );
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo_run = run_tail(&[path_arg(&fifo)]);
    assert_eq!(fifo_run.status.code(), Some(1));
    assert!(
        fifo_run.stderr.contains("is a FIFO (named pipe)"),
        "{}",
        fifo_run.stderr
    );

    let log = dir.path().join("app.log");
    fs::write(&log, "a\n").unwrap();
    let missing_dir = dir.path().join("no/such/dir/ck.json");
    let refused = run_tail(&["--checkpoint", path_arg(&missing_dir), path_arg(&log)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty(), "printed before refusing");
    assert!(
        refused.stderr.contains("directory must exist and be writable"),
        "{}",
        refused.stderr
    );

    // A checkpoint far over any real one's size is not read.
    let huge = dir.path().join("huge.json");
    fs::File::create(&huge).unwrap().set_len(64 << 20).unwrap();
    let too_big = run_tail(&["--checkpoint", path_arg(&huge), path_arg(&log)]);
    assert_eq!(too_big.status.code(), Some(1));
    assert!(
        too_big.stderr.contains("more than a checkpoint can hold"),
        "{}",
        too_big.stderr
    );

    // Unreadable for the user it runs as (root reads everything: run both
    // tails as nobody): GNU tail and sidecar-tail print the readable file
    // and exit 1.
    let secret = dir.path().join("secret.log");
    fs::write(&secret, "hidden\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&log, fs::Permissions::from_mode(0o644)).unwrap();
    let as_nobody = |program: &str, args: &[&str]| {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", program])
            .args(args);
        command.output().unwrap()
    };
    let ours = as_nobody(
        common::binary(),
        &["--no-follow", path_arg(&log), path_arg(&secret)],
    );
    let gnu = as_nobody("tail", &["-q", "-n", "+1", path_arg(&log), path_arg(&secret)]);
    assert_eq!(gnu.status.code(), Some(1));
    assert_eq!(
        ours.status.code(),
        gnu.status.code(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert_eq!(ours.stdout, gnu.stdout);
}

/// At the default level the sidecar says once what it follows, then
/// nothing for the lines it streams, nor for a rotation.
#[test]
fn at_the_default_level_one_line_says_what_is_followed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = common::LogWriter::create(&log);
    let mut command = std::process::Command::new(common::binary());
    command.arg(common::path_arg(&log)).env_remove("RUST_LOG");
    let (tail, stdout) = common::Process::spawn_with_pipe(command);
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    // Followed once its first line is out: a rotation before that would
    // take the file out of the path before sidecar-tail ever saw it.
    writer.line("first");
    assert_eq!(lines.next().unwrap().unwrap(), "first");
    for n in 0..100 {
        writer.line(&format!("line {n}"));
    }
    let writer = writer.rename_to(&dir.path().join("app.log.1"));
    drop(writer);
    let mut fresh = common::LogWriter::create(&log);
    fresh.line("after the rotation");
    let expected: Vec<String> = (0..100)
        .map(|n| format!("line {n}"))
        .chain(["after the rotation".to_owned()])
        .collect();
    for want in &expected {
        assert_eq!(&lines.next().unwrap().unwrap(), want);
    }
    let finished = tail.terminate();
    let stderr: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(stderr.len(), 1, "stderr:\n{}", finished.stderr);
    assert!(
        stderr[0].contains("INFO sidecar-tail")
            && stderr[0].contains("following")
            && stderr[0].contains("app.log"),
        "{}",
        stderr[0]
    );
}
