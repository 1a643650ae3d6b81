//! Rotation, truncation, re-creation and discovery, with the real binary on
//! real files.

mod common;

use std::io::Write;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{numbered, path_arg, tail, LogWriter, Process};

/// Writes lines `1..=total`, one write each, renaming the file away every
/// `per_file` lines. A few lines go to the renamed file through the old
/// descriptor after each rename, as nginx does until it reopens its log.
///
/// `may_rotate(lines_before_this_file)` gates each rename; the writer keeps
/// writing while it says no, up to three times `per_file` lines. Returns the
/// number of rotations.
fn write_with_rotation(
    log: &Path,
    total: usize,
    per_file: usize,
    may_rotate: impl Fn(usize) -> bool,
) -> usize {
    let dir = log.parent().unwrap();
    let name = log.file_name().unwrap().to_str().unwrap();
    let mut writer = LogWriter::create(log);
    let mut file_start = 0;
    let mut rotations = 0;
    let mut n = 1;
    while n <= total {
        writer.line(&n.to_string());
        n += 1;
        let in_file = n - 1 - file_start;
        // A file may grow to three times `per_file` while the rotation waits
        // for `may_rotate`; then the writer waits too, so that a slow
        // machine still sees many rotations.
        if in_file >= 3 * per_file {
            let deadline = std::time::Instant::now() + common::DEADLINE;
            while !may_rotate(file_start) {
                assert!(std::time::Instant::now() < deadline, "rotation never allowed");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        if in_file >= per_file && may_rotate(file_start) {
            rotations += 1;
            let mut old = writer.rename_to(&dir.join(format!("{name}.{rotations}")));
            for _ in 0..10 {
                if n <= total {
                    old.line(&n.to_string());
                    n += 1;
                }
            }
            writer = LogWriter::create(log);
            file_start = n - 1;
        }
    }
    rotations
}

#[test]
fn rename_rotation_under_a_fast_writer_delivers_every_line_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let tail = tail(&[path_arg(&log)]);

    // A file must have been seen before it is rotated away under a name the
    // paths do not match: otherwise no tailer could know it existed. So each
    // rename waits until the first line of the current file came out, while
    // the writer keeps appending at full speed.
    let total = 100_000;
    let rotations = write_with_rotation(&log, total, 3_000, |before| tail.stdout.line_count() > before);
    tail.stdout.wait_for_lines(total);
    let finished = tail.terminate();

    assert!(finished.status.success(), "stderr:\n{}", finished.stderr);
    assert!(rotations >= 10, "only {rotations} rotations happened");
    let expected = numbered("", 1..=total);
    assert!(
        finished.lines() == expected,
        "lines lost, repeated or out of order"
    );
}

#[test]
fn rotated_files_matching_the_glob_are_read_once_even_when_missed_live() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let pattern = format!("{}*", log.display());
    let tail = tail(&[&pattern]);

    // No coupling: the writer may rotate several times between two looks of
    // the tailer. Every rotated file still matches the glob, so every line
    // must arrive once, and the lines of each file in order.
    let total = 50_000;
    let per_file = 2_000;
    write_with_rotation(&log, total, per_file, |_| true);
    tail.stdout.wait_for_lines(total);
    let finished = tail.terminate();
    assert!(finished.status.success(), "stderr:\n{}", finished.stderr);

    let got: Vec<usize> = finished.lines().iter().map(|l| l.parse().unwrap()).collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert!(
        sorted == (1..=total).collect::<Vec<_>>(),
        "lines lost or repeated"
    );
    let mut last_in_file = std::collections::HashMap::new();
    for n in got {
        // Line n sits in the file of rotation (n - 1) / (per_file + 10).
        let file = (n - 1) / (per_file + 10);
        if let Some(prev) = last_in_file.insert(file, n) {
            assert!(prev < n, "line {n} came after line {prev} of the same file");
        }
    }
}

/// A truncation reads the lines written before the cut from logrotate's
/// copy, never from another file that happens to start the same (found by
/// a tester: a mirror of the log beside it had its lines printed as the
/// log's).
#[test]
fn a_truncation_never_reads_an_unrelated_file_that_starts_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "old-1\nold-2\nold-3\n").unwrap();
    let tail = tail(&[path_arg(&log)]);
    tail.stdout.wait_for_lines(3);
    std::fs::write(
        dir.path().join("mirror.txt"),
        "old-1\nold-2\nold-3\nFOREIGN line of mirror.txt\n",
    )
    .unwrap();
    std::fs::write(&log, "new-1\nnew-2\n").unwrap();
    tail.stdout.wait_for_lines(5);
    let finished = tail.terminate();
    assert_eq!(finished.lines(), ["old-1", "old-2", "old-3", "new-1", "new-2"]);
}

#[test]
fn copytruncate_restarts_at_zero_with_one_notice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    for line in numbered("before-", 1..=1000) {
        writer.line(&line);
    }
    let tail = tail(&[path_arg(&log)]);
    tail.stdout.wait_for_lines(1000);

    // logrotate's copytruncate: copy away, truncate in place; the writer's
    // O_APPEND descriptor goes on at the new end.
    copytruncate(&log, &dir.path().join("app.log.1"));
    for line in numbered("after-", 1..=500) {
        writer.line(&line);
    }
    tail.stdout.wait_for_lines(1500);
    let finished = tail.terminate();

    let mut expected = numbered("before-", 1..=1000);
    expected.extend(numbered("after-", 1..=500));
    assert_eq!(finished.lines(), expected);
    assert_eq!(
        finished.stderr.matches("truncated").count(),
        1,
        "stderr:\n{}",
        finished.stderr
    );
}

#[test]
fn truncated_and_rewritten_past_the_offset_is_caught_by_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "old-1\nold-2\n").unwrap();
    // Polling rarely leaves the truncation and the rewrite to be seen in one
    // look, where the size alone shows nothing wrong.
    let tail = tail(&["--poll", "300ms", path_arg(&log)]);
    tail.stdout.wait_for_lines(2);
    fs::write(&log, "new-1 is longer than before\nnew-2\n").unwrap();
    tail.stdout.wait_for_lines(4);
    let finished = tail.terminate();
    assert_eq!(
        finished.lines(),
        ["old-1", "old-2", "new-1 is longer than before", "new-2"]
    );
}

#[test]
fn deleted_and_recreated_file_is_followed_from_its_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut writer = LogWriter::create(&log);
    writer.line("first-1");
    let tail = tail(&[path_arg(&log)]);
    tail.stdout.wait_for_lines(1);

    writer.line("first-2");
    fs::remove_file(&log).unwrap();
    writer.line("first-3 written after unlink");
    drop(writer);
    let mut writer = LogWriter::create(&log);
    writer.line("second-1");
    writer.line("second-2");
    tail.stdout.wait_for_lines(5);
    let finished = tail.terminate();
    assert_eq!(
        finished.lines(),
        [
            "first-1",
            "first-2",
            "first-3 written after unlink",
            "second-1",
            "second-2"
        ]
    );
}

#[test]
fn globs_pick_up_files_that_appear_later_from_their_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = format!("{}/*.log", dir.path().display());
    let tail = tail(&["--output", "prefixed", &pattern]);
    tail.stderr.wait_for_text("waiting for it to appear");

    fs::write(dir.path().join("a.log"), "a-1\na-2\n").unwrap();
    tail.stdout.wait_for_lines(2);
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("ignored.txt"), "not a log\n").unwrap();
    fs::write(dir.path().join("b.log"), "b-1\n").unwrap();
    tail.stdout.wait_for_lines(3);
    let finished = tail.terminate();

    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    assert_eq!(
        finished.lines(),
        [
            format!("{}: a-1", a.display()),
            format!("{}: a-2", a.display()),
            format!("{}: b-1", b.display())
        ]
    );
    assert_eq!(finished.stderr.matches("waiting for it to appear").count(), 1);
}

#[test]
fn polling_mode_follows_rotation_without_inotify() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let tail = tail(&["--poll", "50ms", path_arg(&log)]);
    let mut writer = LogWriter::create(&log);
    let mut n = 0;
    for rotation in 1..=5 {
        let file_start = n;
        for _ in 0..1_000 {
            n += 1;
            writer.line(&n.to_string());
        }
        // Rotate once the tailer has seen this file (see the inotify test).
        tail.stdout.wait_for_lines(file_start + 1);
        let mut old = writer.rename_to(&dir.path().join(format!("app.log.{rotation}")));
        n += 1;
        old.line(&n.to_string());
        writer = LogWriter::create(&log);
    }
    tail.stdout.wait_for_lines(n);
    let finished = tail.terminate();
    assert_eq!(finished.lines(), numbered("", 1..=n));
}

/// Runs sidecar-tail in a user namespace of its own whose inotify `limit`
/// (a file in /proc/sys/user) is 0, so inotify fails there and only there.
fn start_without_inotify(limit: &str, log: &Path) -> Process {
    let mut command = std::process::Command::new("unshare");
    command.args([
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        &format!("echo 0 > /proc/sys/user/{limit} && exec \"$0\" \"$@\""),
        common::binary(),
        path_arg(log),
    ]);
    Process::spawn(command)
}

#[test]
fn falls_back_to_polling_when_inotify_is_unavailable() {
    for limit in ["max_inotify_instances", "max_inotify_watches"] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        fs::write(&log, "before\n").unwrap();
        let tail = start_without_inotify(limit, &log);
        tail.stderr.wait_for_text("falling back to polling");
        tail.stdout.wait_for_lines(1);
        LogWriter::create(&log).line("after");
        tail.stdout.wait_for_lines(2);
        let finished = tail.terminate();
        assert!(finished.status.success(), "{limit}: {}", finished.stderr);
        assert_eq!(finished.lines(), ["before", "after"], "{limit}");
    }
}

#[test]
fn a_symlinked_path_follows_the_links_current_target() {
    let dir = tempfile::tempdir().unwrap();
    let pods = dir.path().join("pods");
    fs::create_dir(&pods).unwrap();
    let link = dir.path().join("container.log");
    fs::write(pods.join("0.log"), "restart-0 line-1\n").unwrap();
    std::os::unix::fs::symlink(pods.join("0.log"), &link).unwrap();

    let tail = tail(&[path_arg(&link)]);
    tail.stdout.wait_for_lines(1);
    // Writes land in the target's directory, which is not the link's.
    LogWriter::create(&pods.join("0.log")).line("restart-0 line-2");
    tail.stdout.wait_for_lines(2);

    // The container restarts: kubelet points the link at a new file.
    fs::write(pods.join("1.log"), "restart-1 line-1\n").unwrap();
    let tmp_link = dir.path().join("container.log.tmp");
    std::os::unix::fs::symlink(pods.join("1.log"), &tmp_link).unwrap();
    fs::rename(&tmp_link, &link).unwrap();
    tail.stdout.wait_for_lines(3);
    let finished = tail.terminate();
    assert_eq!(
        finished.lines(),
        ["restart-0 line-1", "restart-0 line-2", "restart-1 line-1"]
    );
}

/// Issue 13: a writer at about 100 000 lines/s, copytruncate nine times
/// while it writes, the copies beside the followed file: every line that
/// is in a copy or in the file comes out once, in order (lines written
/// between logrotate's copy and its truncate are in neither: logrotate
/// itself loses them).
#[test]
fn copytruncate_under_a_fast_writer_loses_nothing_the_copies_hold() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "").unwrap();
    let tail = tail(&[path_arg(&log)]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (log, stop) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut file = fs::OpenOptions::new().append(true).open(&log).unwrap();
            let mut n = 0u64;
            let started = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let mut batch = String::new();
                for _ in 0..100 {
                    n += 1;
                    batch.push_str(&format!("line-{n}\n"));
                }
                file.write_all(batch.as_bytes()).unwrap();
                // About 100 000 lines a second.
                let due = started + std::time::Duration::from_micros(n * 10);
                std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
            }
        })
    };
    let mut copies = Vec::new();
    for i in 1..=9 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let copy = dir.path().join(format!("app.log.{i}"));
        copytruncate(&log, &copy);
        copies.push(copy);
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    let mut expected: Vec<String> = Vec::new();
    for path in copies.iter().chain(std::iter::once(&log)) {
        let text = fs::read_to_string(path).unwrap();
        expected.extend(text.lines().map(str::to_owned));
    }
    tail.stdout.wait_for_lines(expected.len());
    let finished = tail.terminate();
    let got = finished.lines();
    assert_eq!(got.len(), expected.len(), "lines lost or repeated");
    assert!(got == expected, "lines out of order or changed");
}

/// A copytruncate whose file is refilled past the offset read before the
/// next look (a slow look, under load): the truncation is seen by the first
/// bytes, not the size, and the lines between the last read and the cut
/// still come from the copy. Polling every 2 s stages the slow look.
#[test]
fn copytruncate_refilled_past_the_offset_before_the_next_look_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let before: String = (1..=10).map(|i| format!("before-{i}\n")).collect();
    fs::write(&log, &before).unwrap();
    let tail = tail(&["--poll", "2s", "--glob-interval", "30s", path_arg(&log)]);
    tail.stdout.wait_for_lines(10);
    // Appended after that read, copied, cut, and refilled with more bytes
    // than the file had, all before the next look.
    let unread: String = (1..=10).map(|i| format!("unread-{i}\n")).collect();
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(unread.as_bytes())
        .unwrap();
    fs::copy(&log, dir.path().join("app.log.1")).unwrap();
    let after: String = (1..=40).map(|i| format!("after-{i}\n")).collect();
    fs::write(&log, &after).unwrap();
    tail.stdout.wait_for_lines(60);
    let finished = tail.terminate();
    let expected: Vec<String> = format!("{before}{unread}{after}")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(finished.lines(), expected);
}

/// Issue 13: with docs/sidecar-tail.md's own `'app.log*'`, `gzip -k app.log.1` makes
/// a compressed file that is skipped with one warning, not written to
/// stdout; `--exclude` keeps files out by name.
#[test]
fn compressed_and_excluded_files_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(dir.path().join("app.log.1"), "old-1\nold-2\n").unwrap();
    fs::write(&log, "new-1\n").unwrap();
    fs::write(dir.path().join("app.log.old"), "excluded\n").unwrap();
    let pattern = format!("{}*", log.display());
    let tail = tail(&["--exclude", "*.old", &pattern]);
    tail.stdout.wait_for_lines(3);
    let gzip = std::process::Command::new("gzip")
        .args(["-k", path_arg(&dir.path().join("app.log.1"))])
        .status()
        .unwrap();
    assert!(gzip.success());
    tail.stderr.wait_for_text("compressed file skipped");
    let mut appender = fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut appender, b"new-2\n").unwrap();
    tail.stdout.wait_for_lines(4);
    let finished = tail.terminate();
    let mut lines = finished.lines();
    lines.sort();
    assert_eq!(lines, ["new-1", "new-2", "old-1", "old-2"]);
    assert_eq!(
        finished.stderr.matches("compressed file skipped").count(),
        1,
        "{}",
        finished.stderr
    );
}

/// Real logrotate (Debian's), copytruncate with its own naming of the
/// copy (`app.log.1`, and `app.log-YYYYMMDD` with `dateext`): the lines
/// written after sidecar-tail's last look and before the cut are read from
/// logrotate's copy, once, and nothing else is.
#[test]
fn copytruncate_by_logrotate_reads_the_copy_it_names() {
    for naming in ["", "dateext"] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        let before: String = (1..=10).map(|i| format!("before-{i}\n")).collect();
        fs::write(&log, &before).unwrap();
        // A sibling that starts the same is not a copy.
        fs::write(dir.path().join("mirror.txt"), format!("{before}FOREIGN\n")).unwrap();
        let tail = tail(&["--poll", "2s", "--glob-interval", "30s", path_arg(&log)]);
        tail.stdout.wait_for_lines(10);
        let unread: String = (1..=10).map(|i| format!("unread-{i}\n")).collect();
        fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .unwrap()
            .write_all(unread.as_bytes())
            .unwrap();
        let config = dir.path().join("logrotate.conf");
        fs::write(
            &config,
            format!(
                "{} {{\n  copytruncate\n  rotate 3\n  {naming}\n}}\n",
                log.display()
            ),
        )
        .unwrap();
        let state = dir.path().join("logrotate.state");
        let mut logrotate = Command::new("logrotate");
        logrotate.args(["-f", "-s", path_arg(&state), path_arg(&config)]);
        let rotated = common::run(logrotate);
        assert!(rotated.status.success(), "logrotate: {}", rotated.stderr);
        let copies: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("app.log") && name != "app.log")
            .collect();
        assert_eq!(copies.len(), 1, "logrotate made one copy: {copies:?}");
        let after: String = (1..=5).map(|i| format!("after-{i}\n")).collect();
        fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .unwrap()
            .write_all(after.as_bytes())
            .unwrap();
        tail.stdout.wait_for_lines(25);
        let finished = tail.terminate();
        let expected: Vec<String> = format!("{before}{unread}{after}")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(finished.lines(), expected, "copy {copies:?}");
        // Read from the copy, not by a look between the append and the cut.
        assert!(
            finished
                .stderr
                .contains("copytruncate: reading the lines written before the cut"),
            "{}",
            finished.stderr
        );
    }
}

/// logrotate's copytruncate: copy `log` to `copy`, then cut `log` to
/// nothing in place.
fn copytruncate(log: &std::path::Path, copy: &std::path::Path) {
    fs::copy(log, copy).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(log)
        .unwrap()
        .set_len(0)
        .unwrap();
}
