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

/// What GNU tail and sidecar-tail print for `args` over files holding
/// `contents` (written afresh for each; `append` goes to the first while it
/// is followed): the same bytes, asserted, and returned.
fn same_as_gnu_tail(args: &[&str], contents: &[&str], append: &str, case: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> = ["access.log", "error.log"]
        .iter()
        .take(contents.len())
        .map(|name| dir.path().join(name))
        .collect();
    let paths: Vec<&std::path::Path> = files.iter().map(|f| f.as_path()).collect();
    let run = |program: &str| {
        for (file, content) in files.iter().zip(contents) {
            fs::write(file, content).unwrap();
        }
        output_of(program, args, &paths, append)
    };
    let theirs = run("tail");
    let ours = run(binary());
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs),
        "{case}: {args:?}"
    );
    ours
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
        // One file, as the seed; two files for -q and -v.
        let contents: &[&str] = if args.contains(&"-q") || args.contains(&"-v") {
            &["a 1\na 2\na 3\n", "e 1\ne 2\n"]
        } else {
            &["a 1\na 2\na 3\n"]
        };
        same_as_gnu_tail(args, contents, "", &format!("case {i}"));
    }
}

/// Lines appended while following come out as they do from GNU tail.
#[test]
fn lines_appended_while_following_come_out_as_from_gnu_tail() {
    let ours = same_as_gnu_tail(&["-n+1", "-F"], &["before\n"], "after 1\nafter 2\n", "appended");
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
    let ours = same_as_gnu_tail(&["-n+1", "-f"], &["whole\ntorn"], "", "torn");
    assert_eq!(ours, b"whole\ntorn");
}

/// `-c` and `-z` on files being followed, as GNU tail prints them.
#[test]
fn bytes_and_nul_terminated_lines_come_out_as_from_gnu_tail() {
    let cases: &[(&[&str], &str)] = &[
        (&["-c", "+3", "-f"], "a 1\na 2\na 3\n"),
        (&["-c", "5", "-F"], "a 1\na 2\na 3\n"),
        (&["-c", "-5", "-f"], "a 1\na 2\na 3\n"),
        // (Not `-c +100` on a shorter file: GNU tail -f takes its position
        // past the end for a truncation and prints the file from its start;
        // sidecar-tail waits for byte 100, as asked. README, the flag table.)
        (&["-c+10", "-f"], "a 1\na 2\na 3\n"),
        (&["-z", "-n", "1", "-f"], "a 1\0a 2\na 2b\0a 3\0"),
        (&["-z", "-n+2", "-F"], "a 1\0a 2\na 2b\0a 3\0"),
        (&["--zero-terminated", "-v", "-n", "2", "-f"], "a 1\0a 2\0a 3"),
    ];
    for (i, (args, content)) in cases.iter().enumerate() {
        same_as_gnu_tail(args, &[content], "", &format!("case {i}"));
    }
}

/// `-` reads stdin to its end (following does not apply to a pipe, as for
/// GNU tail), from where `-n`, `-c` and `-z` say.
#[test]
fn stdin_comes_out_as_from_gnu_tail() {
    // Big enough that only the end is kept while reading.
    let mut big = String::new();
    for i in 0..200_000 {
        big.push_str(&format!("line {i}\n"));
    }
    let cases: &[(&[&str], &str)] = &[
        (&["-n", "2", "-"], "a\nb\nc\nd"),
        (&["-n+2", "-"], "a\nb\nc\n"),
        (&["-c", "3", "-"], "a\nb\nc\n"),
        (&["-c", "+3", "-"], "a\nb\nc\n"),
        (&["-n+1", "-f", "-"], "a\nb\n"),
        (&["-v", "-n", "1", "-"], "a\nb\n"),
        (&["-z", "-n", "1", "-"], "a\0b\nc\0"),
        (&["-n", "5", "-"], &big),
        (&["-c", "100000", "-"], &big),
        (&["-"], ""),
    ];
    for (i, (args, input)) in cases.iter().enumerate() {
        let run = |program: &str| {
            let mut command = Command::new(program);
            command.args(*args);
            let finished = testkit::run_with_stdin(command, input.as_bytes());
            assert!(
                finished.status.success(),
                "{program} {args:?} failed: {}",
                finished.stderr
            );
            finished.stdout
        };
        assert_eq!(run(binary()), run("tail"), "case {i}: {args:?}");
    }
}

/// Stdin mixed with files, or with a checkpoint, is refused at start.
#[test]
fn stdin_with_files_or_a_checkpoint_is_refused() {
    for args in [&["-", "app.log"][..], &["--checkpoint", "ck.json", "-"]] {
        let output = Command::new(binary())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("stdin"),
            "{args:?}"
        );
    }
}

/// `completions bash` loads in bash, and `man` renders with `man -l`.
#[test]
fn completions_and_man_page() {
    common::check_completions_and_man_page(binary(), "--checkpoint");
}
