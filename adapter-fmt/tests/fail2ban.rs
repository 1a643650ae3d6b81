//! adapter-fmt on log lines nobody here wrote, against timestamps nobody
//! here computed: fail2ban's test logs.
//!
//! fail2ban keeps, for each of ninety-odd services, real log lines (most
//! sent in with bug reports), each led by a `# failJSON:` comment whose
//! `time` is the instant fail2ban's maintainers state for it, as local
//! time in their test zone (`CET-01CEST-02,M3.5.0,M10.5.0`, set in
//! fail2ban/tests/utils.py: Europe/Zurich's rules). The files come from
//! Debian's `fail2ban` package, which `scripts/test` unpacks into
//! `target/fail2ban` (or set `FAIL2BAN_LOGS` to its `tests/files/logs`).
//!
//! Each file is one source (one adapter-fmt run, lines in order). A line
//! is right when adapter-fmt's instant, written in the same zone, has the
//! stated date and time to the second (the month, day and time only when
//! the line has no year: fail2ban's tests fix "now" in 2005); absent when
//! adapter-fmt found no stamp and said so (`read_time`); wrong otherwise.
//! Where our reading and fail2ban's differ on purpose, the line is listed
//! in `DISAGREEMENTS` with our instant and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDateTime};

/// Lines where adapter-fmt's instant differs from fail2ban's on purpose:
/// file, a piece of the line, our instant (Europe/Zurich local), why.
const DISAGREEMENTS: &[(&str, &str, &str, &str)] = &[
    (
        "3proxy",
        "11-06-2013 02:09:40 +0300",
        "2013-06-11T01:09:40",
        "the line states +0300, which fail2ban's 3proxy pattern does not read",
    ),
    (
        "3proxy",
        "11-06-2013 02:09:43 +0300",
        "2013-06-11T01:09:43",
        "the line states +0300, which fail2ban's 3proxy pattern does not read",
    ),
    (
        "3proxy",
        "13-06-2013 01:39:34 +0300",
        "2013-06-13T00:39:34",
        "the line states +0300, which fail2ban's 3proxy pattern does not read",
    ),
    (
        "apache-botsearch",
        "[Fri Dec 06 09:29:34 2013]",
        "2013-12-06T09:29:34",
        "the line says 2013 (and 6 December 2013 was a Friday); fail2ban states 2014",
    ),
    (
        "selinux-ssh",
        "audit(1372546928.000:52008)",
        "2013-06-30T01:02:08",
        "Unix time 1372546928 is 01:02:08 in Zurich (Python's datetime.fromtimestamp agrees); fail2ban states an hour later",
    ),
    (
        "selinux-ssh",
        "audit(1372557500.000:61750)",
        "2013-06-30T03:58:20",
        "Unix time 1372557500 is 03:58:20 in Zurich (Python's datetime.fromtimestamp agrees); fail2ban states an hour later",
    ),
];

/// Lines that carry no date at all (fail2ban dates them by the line
/// before or by its fixed "now"): adapter-fmt must say it found none.
const NO_DATE_IN_LINE: &[(&str, &str)] = &[
    ("ejabberd-auth", "I(<0.1440.0>:ejabberd_c2s:813)"),
    (
        "guacamole",
        "WARNING: Authentication attempt from 192.0.2.0 for user \"null\"",
    ),
    (
        "guacamole",
        "WARNING: Authentication attempt from 192.0.2.0 for user \"pippo\"",
    ),
    // A clock without a date.
    ("guacamole", "12:57:32.907 [http-nio-8080-exec-10]"),
];

/// One line with the instant fail2ban states for it.
struct Case {
    file: String,
    line: String,
    expected: NaiveDateTime,
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Right,
    Absent,
    Wrong(String),
}

#[test]
fn fail2ban_test_logs_read_as_fail2ban_states_them() {
    let dir = logs_dir();
    let cases = read_cases(&dir);
    assert!(
        cases.len() > 700,
        "only {} stated lines in {}: is the fail2ban package complete?",
        cases.len(),
        dir.display()
    );
    let mut by_file: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for case in &cases {
        by_file.entry(&case.file).or_default().push(case);
    }
    let (mut right, mut with_date, mut absent) = (0, 0, Vec::new());
    let mut wrong = Vec::new();
    let mut sources_at_zero = Vec::new();
    for (file, cases) in &by_file {
        let outputs = run_adapter(cases);
        let mut file_right = 0;
        let mut file_with_date = 0;
        for (case, output) in cases.iter().zip(&outputs) {
            let verdict = judge(case, output);
            if NO_DATE_IN_LINE
                .iter()
                .any(|(f, piece)| f == file && case.line.contains(piece))
            {
                assert_eq!(
                    verdict,
                    Verdict::Absent,
                    "{file}: a line without a date got one: {}",
                    case.line
                );
                continue;
            }
            with_date += 1;
            file_with_date += 1;
            match verdict {
                Verdict::Right => file_right += 1,
                Verdict::Absent => absent.push(format!("{file}: {}", case.line)),
                Verdict::Wrong(got) => match DISAGREEMENTS
                    .iter()
                    .find(|(f, piece, _, _)| f == file && case.line.contains(piece))
                {
                    Some((_, _, ours, _)) if got.starts_with(ours) => file_right += 1,
                    _ => wrong.push(format!(
                        "{file}: expected {}, got {got}: {}",
                        case.expected, case.line
                    )),
                },
            }
        }
        right += file_right;
        if file_with_date > 0 && file_right == 0 {
            sources_at_zero.push(*file);
        }
    }
    eprintln!(
        "fail2ban test logs: {} files, {with_date} lines with a date: {right} right ({:.2} %), {} absent and flagged, {} wrong",
        by_file.len(),
        100.0 * right as f64 / with_date as f64,
        absent.len(),
        wrong.len()
    );
    for line in &absent {
        eprintln!("  absent: {line}");
    }
    assert!(wrong.is_empty(), "stamps silently wrong:\n{}", wrong.join("\n"));
    assert!(
        right * 100 >= with_date * 99,
        "{right} of {with_date} right, under 99 %"
    );
    // openhab writes French month names (`02/sept./2015`), which are not read.
    assert_eq!(sources_at_zero, ["openhab"], "sources with no line right");
}

/// Where the unpacked test logs are.
fn logs_dir() -> PathBuf {
    let dir = std::env::var_os("FAIL2BAN_LOGS").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/fail2ban/usr/lib/python3/dist-packages/fail2ban/tests/files/logs")
        },
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "{} is missing: run ./scripts/test, which unpacks Debian's fail2ban package into target/fail2ban \
         (or set FAIL2BAN_LOGS to fail2ban's tests/files/logs)",
        dir.display()
    );
    dir
}

/// Every line led by a `# failJSON:` comment with a `time`, file by file.
fn read_cases(dir: &Path) -> Vec<Case> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("fail2ban's logs directory is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for path in names {
        let file = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).expect("a readable log file");
        let mut stated: Option<NaiveDateTime> = None;
        for raw in bytes.split(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(raw) else {
                stated = None;
                continue;
            };
            if let Some(json) = line.strip_prefix("# failJSON:") {
                stated = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("time")?.as_str().map(str::to_owned))
                    .map(|time| {
                        NaiveDateTime::parse_from_str(&time, "%Y-%m-%dT%H:%M:%S%.f")
                            .unwrap_or_else(|e| panic!("{file}: fail2ban's time {time:?}: {e}"))
                    });
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(expected) = stated.take() {
                cases.push(Case {
                    file: file.clone(),
                    line: line.to_owned(),
                    expected,
                });
            }
        }
    }
    cases
}

/// adapter-fmt's records for one source's lines, in Zurich time.
fn run_adapter(cases: &[&Case]) -> Vec<serde_json::Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adapter-fmt"));
    command.args(["--default-tz", "Europe/Zurich", "--output-tz", "Europe/Zurich"]);
    let input: String = cases.iter().map(|case| format!("{}\n", case.line)).collect();
    let finished = testkit::run_with_stdin(command, input.as_bytes());
    assert!(
        finished.status.success(),
        "adapter-fmt failed: {}",
        finished.stderr
    );
    let records: Vec<serde_json::Value> = String::from_utf8(finished.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON record"))
        .collect();
    assert_eq!(records.len(), cases.len(), "one record per line");
    records
}

fn judge(case: &Case, record: &serde_json::Value) -> Verdict {
    let assumed = |name: &str| {
        record["assumptions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == name))
    };
    if assumed("read_time") {
        return Verdict::Absent;
    }
    let written = record["timestamp"].as_str().expect("a timestamp");
    let local = DateTime::parse_from_rfc3339(written)
        .expect("RFC 3339")
        .naive_local();
    let seconds = |t: NaiveDateTime| t.format("%m-%dT%H:%M:%S").to_string();
    let same = seconds(local) == seconds(case.expected)
        && (assumed("year_inferred") || local.year() == case.expected.year());
    if same {
        Verdict::Right
    } else {
        Verdict::Wrong(local.format("%Y-%m-%dT%H:%M:%S").to_string())
    }
}
