//! tail's own flags, as the seed's `tail -n+1 -f` and Kubernetes' docs'
//! `tail -n+1 -F` type them, against GNU tail on the same files: the same
//! bytes out. Following runs end through `--pid` of a short-lived process,
//! which both honour.

mod common;

use std::fs;
use std::process::{Command, Stdio};

use common::{binary, path_arg};

/// What `program ARGS --pid=P FILES` prints, where P is a process that
/// lives half a second; `append` is written to the first file while it runs.
fn output_of(program: &str, args: &[&str], files: &[&std::path::Path], append: &str) -> Vec<u8> {
    let mut sleeper = Command::new("sleep").arg("0.5").spawn().unwrap();
    let pid = format!("--pid={}", sleeper.id());
    // Reaped as soon as it ends: a zombie still counts as alive for --pid.
    let reaper = std::thread::spawn(move || sleeper.wait());
    let child = Command::new(program)
        .args(args)
        .arg(&pid)
        .args(files.iter().map(|f| path_arg(f)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut file = fs::OpenOptions::new().append(true).open(files[0]).unwrap();
    std::io::Write::write_all(&mut file, append.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let _ = reaper.join();
    assert!(output.status.success(), "{program} {args:?} failed");
    output.stdout
}

#[test]
fn tail_flags_print_what_gnu_tail_prints() {
    let cases: &[&[&str]] = &[
        &["-n+1", "-f"],
        &["-n+1", "-F"],
        &["-n", "+1", "--follow=name", "--retry"],
        &["--follow=descriptor", "-n", "-2"],
        &["-n", "2", "-f"],
        &["-n1", "-F"],
        &["-q", "-n+1", "-f"],
        &["-v", "-n", "2", "-f"],
        &["-s", "0.1", "-n+1", "-F"],
    ];
    for (i, args) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("access.log");
        let second = dir.path().join("error.log");
        fs::write(&first, "a 1\na 2\na 3\n").unwrap();
        fs::write(&second, "e 1\ne 2\n").unwrap();
        // One file, as the seed; two files for -q and -v.
        let files: Vec<&std::path::Path> = if args.contains(&"-q") || args.contains(&"-v") {
            vec![&first, &second]
        } else {
            vec![&first]
        };
        let theirs = output_of("tail", args, &files, "");
        fs::write(&first, "a 1\na 2\na 3\n").unwrap();
        let ours = output_of(binary(), args, &files, "");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "case {i}: {args:?}"
        );
    }
}

/// Lines appended while following come out as they do from GNU tail.
#[test]
fn lines_appended_while_following_come_out_as_from_gnu_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "before\n").unwrap();
    let theirs = output_of("tail", &["-n+1", "-F"], &[&log], "after 1\nafter 2\n");
    fs::write(&log, "before\n").unwrap();
    let ours = output_of(binary(), &["-n+1", "-F"], &[&log], "after 1\nafter 2\n");
    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
    assert_eq!(String::from_utf8_lossy(&ours), "before\nafter 1\nafter 2\n");
}

/// `--help` lists tail's flags in a group of their own.
#[test]
fn help_lists_the_tail_compatibility_group() {
    let help = Command::new(binary()).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    let group = text
        .split("Tail compatibility:")
        .nth(1)
        .expect("the group in --help");
    for flag in [
        "--follow",
        "-F",
        "--retry",
        "--quiet",
        "--verbose",
        "--sleep-interval",
        "--pid",
    ] {
        assert!(group.contains(flag), "{flag} not in the group:\n{group}");
    }
}

/// A last line that never got its newline comes out as tail writes it: as
/// it is, with no newline made up for it.
#[test]
fn a_torn_last_line_comes_out_as_gnu_tail_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "whole\ntorn").unwrap();
    let theirs = output_of("tail", &["-n+1", "-f"], &[&log], "");
    let ours = output_of(binary(), &["-n+1", "-f"], &[&log], "");
    assert_eq!(ours, theirs);
    assert_eq!(ours, b"whole\ntorn");
}
