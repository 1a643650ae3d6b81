//! adapter-fmt's detection against the `dateparser` crate, on the corpus's
//! lines, in the same run: lines per second and how many lines each reads
//! right (the instant the corpus expects, or nothing where it expects none).
//!
//! Run: `cargo run --release -p adapter-fmt --example vs_dateparser`.
//!
//! dateparser reads a string that is a date, not a log line, so it is given
//! the line twice: whole, as a log reader would have to, and cut down to
//! the timestamp that adapter-fmt found in it, its best possible case.

use std::time::Instant;

use adapter_fmt::detect::{detect, Context, DetectConfig};
use adapter_fmt::evidence::Evidence;
use chrono::{DateTime, Utc};

const CORPUS: &str = include_str!("../tests/corpus/lines.tsv");

struct Case {
    line: &'static str,
    expected: Option<DateTime<Utc>>,
    /// The timestamp's text, as adapter-fmt found it.
    stamp: Option<&'static str>,
}

fn main() {
    let now: DateTime<Utc> = "2026-11-26T20:00:00Z".parse().expect("a valid time");
    let config = DetectConfig::default();
    let ours = |line: &str| {
        let mut evidence = Evidence::default();
        let mut ctx = Context {
            config: &config,
            evidence: &mut evidence,
            now,
        };
        detect(line.as_bytes(), &mut ctx)
    };
    let cases: Vec<Case> = CORPUS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|row| {
            let mut columns = row.splitn(3, '\t');
            let expected = columns.next().expect("expected column");
            let line = columns.nth(1).expect("line column");
            let stamp = ours(line).map(|d| &line[d.span]).filter(|s| !s.is_empty());
            Case {
                line,
                expected: (expected != "none").then(|| expected.parse().expect("expected is RFC 3339")),
                stamp,
            }
        })
        .collect();

    let ours_right = cases
        .iter()
        .filter(|c| ours(c.line).map(|d| d.timestamp.instant) == c.expected)
        .count();
    let theirs = |text: &str| dateparser::parse_with_timezone(text, &Utc).ok();
    let whole_right = cases.iter().filter(|c| theirs(c.line) == c.expected).count();
    let stamp_right = cases
        .iter()
        .filter(|c| c.stamp.and_then(theirs) == c.expected || (c.stamp.is_none() && c.expected.is_none()))
        .count();

    let rounds = 200;
    let ours_rate = lines_per_second(rounds, &cases, |c| ours(c.line).is_some());
    let whole_rate = lines_per_second(rounds / 10, &cases, |c| theirs(c.line).is_some());
    let stamp_rate = lines_per_second(rounds / 10, &cases, |c| c.stamp.and_then(theirs).is_some());

    let total = cases.len();
    println!(
        "{} corpus lines ({} with a timestamp, {} without)",
        total,
        cases.iter().filter(|c| c.expected.is_some()).count(),
        cases.iter().filter(|c| c.expected.is_none()).count()
    );
    println!(
        "{:44} {:>12} {:>10} {:>16}",
        "reader", "lines/s", "right", "adapter-fmt is"
    );
    println!(
        "{:44} {:>12.0} {:>6}/{} {:>15}",
        "adapter-fmt (whole line)", ours_rate, ours_right, total, "-"
    );
    for (name, rate, right) in [
        ("dateparser 0.3 (whole line)", whole_rate, whole_right),
        (
            "dateparser 0.3 (timestamp cut out for it)",
            stamp_rate,
            stamp_right,
        ),
    ] {
        println!(
            "{:44} {:>12.0} {:>6}/{} {:>14.1}x faster",
            name,
            rate,
            right,
            total,
            ours_rate / rate
        );
    }
}

fn lines_per_second(rounds: usize, cases: &[Case], read: impl Fn(&Case) -> bool) -> f64 {
    let start = Instant::now();
    let mut found = 0usize;
    for _ in 0..rounds.max(1) {
        found += cases.iter().filter(|c| read(c)).count();
    }
    std::hint::black_box(found);
    (rounds.max(1) * cases.len()) as f64 / start.elapsed().as_secs_f64()
}
