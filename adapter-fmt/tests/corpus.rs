//! The corpus: real-looking lines from many programs, each with the
//! timestamp and format a correct reader finds (computed independently, by
//! `corpus/generate.py` with Python's datetime).

use adapter_fmt::detect::{detect, Context, DetectConfig};
use adapter_fmt::encode::write_rfc3339;
use adapter_fmt::evidence::Evidence;
use chrono::{DateTime, Utc};

/// The time of reading the corpus assumes, for lines without a year.
const NOW: &str = "2026-11-26T20:00:00Z";

#[test]
fn every_corpus_line_gets_its_expected_timestamp_and_format() {
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let config = DetectConfig::default();
    let corpus = include_str!("corpus/lines.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in corpus.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = row.splitn(3, '\t');
        let (expected, format, line) = (
            columns.next().unwrap(),
            columns.next().unwrap(),
            columns.next().unwrap(),
        );
        let mut evidence = Evidence::default();
        let mut ctx = Context {
            config: &config,
            evidence: &mut evidence,
            now,
        };
        let got = match detect(line.as_bytes(), &mut ctx) {
            Some(found) => {
                let mut text = Vec::new();
                write_rfc3339(
                    found.timestamp.instant,
                    found.timestamp.precision,
                    None,
                    &mut text,
                );
                (
                    String::from_utf8(text).unwrap(),
                    found.timestamp.format.name().to_owned(),
                )
            }
            None => ("none".to_owned(), "none".to_owned()),
        };
        if got != (expected.to_owned(), format.to_owned()) {
            failures.push(format!(
                "{line}\n    expected {expected} {format}\n    got      {} {}",
                got.0, got.1
            ));
        }
        checked += 1;
    }
    assert!(checked >= 300, "the corpus has only {checked} lines");
    assert!(
        failures.is_empty(),
        "{} of {checked} lines wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
