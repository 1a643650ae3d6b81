//! adapter-fmt's timestamps against the real-world corpus described in
//! `tests/realworld/README.md` (kept out of the repository, in
//! `target/realworld-corpus`): logs of 16 production systems (loghub) and formats
//! from public parser and pattern collections, each line with an
//! expectation computed without adapter-fmt (`tests/realworld/expectations.py`).
//!
//! Run: `cargo run --release -p adapter-fmt --example realworld [-- OPTIONS]`.
//!
//! Options: `--show N` wrong lines listed per source (default 5), `--absent N`
//! lines without a stamp listed per source (default 0), `--corpus DIR` another
//! copy of the corpus (default `$REALWORLD_CORPUS`, else `target/realworld-corpus`), and any other word keeps
//! only the sources whose name contains it (`loghub/`, `lnav`).
//!
//! Every line is read as the binary reads it with `--default-tz UTC` and
//! `--date-order auto`, one source's date-order evidence per file (per format
//! group in the pattern collections, where each group stands for a file of
//! its own). A line is
//! - right: the instant expected, to the digits the expectation has; where
//!   the line gives no year, the month, day and time with `year_inferred`
//!   said; where it gives no zone, the wall time read as UTC with
//!   `default_zone` said;
//! - absent: no stamp found, `read_time` said (no claim made);
//! - wrong: any other stamp, including one on a line that has none and one
//!   that claims a year or a zone the line does not give.
//!
//! Exits 1 unless at least 99% of all lines are right, no source is at 0%
//! and no line is wrong.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use adapter_fmt::detect::{detect, Assumptions, Context, DetectConfig, Detected};
use adapter_fmt::evidence::Evidence;
use adapter_fmt::severity::severity;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde_json::Value;

/// The share of lines that must be right.
const TARGET_RIGHT: f64 = 0.99;

/// What a line's source says its timestamp is.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// The line has no timestamp.
    Nothing,
    /// A full instant, with the fractional digits the truth has.
    Instant(DateTime<Utc>, u32),
    /// A wall-clock time: the year if the line gives one, the offset if the
    /// line gives a zone.
    Wall {
        year: Option<i32>,
        month: u32,
        day: u32,
        time: NaiveTime,
        digits: u32,
        offset: Option<FixedOffset>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Right,
    Absent,
    Wrong,
}

struct Source {
    name: String,
    log: PathBuf,
    expected: PathBuf,
}

#[derive(Default)]
struct Tally {
    lines: usize,
    right: usize,
    absent: usize,
    wrong: usize,
    /// Lines whose source states their level (loghub's Level column), and
    /// those whose level adapter-fmt read as stated (any case).
    levels: usize,
    levels_right: usize,
    /// Wrong lines by kind of miss.
    kinds: Vec<(String, usize)>,
    shown_wrong: Vec<String>,
    shown_absent: Vec<String>,
}

struct Options {
    corpus: PathBuf,
    show: usize,
    absent: usize,
    filters: Vec<String>,
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("realworld: {e}");
            return ExitCode::from(2);
        }
    };
    let root = &options.corpus;
    let sources: Vec<Source> = find_sources(root)
        .into_iter()
        .filter(|s| options.filters.is_empty() || options.filters.iter().any(|f| s.name.contains(f.as_str())))
        .collect();
    if sources.is_empty() {
        eprintln!("realworld: no corpus under {}", root.display());
        return ExitCode::from(2);
    }
    let now: DateTime<Utc> = "2026-11-26T20:00:00Z".parse().expect("a valid time");
    let config = DetectConfig::default();

    let mut tallies = Vec::new();
    for source in &sources {
        match run_source(source, &config, now, &options) {
            Ok(tally) => tallies.push((source.name.clone(), tally)),
            Err(e) => {
                eprintln!("realworld: {}: {e}", source.name);
                return ExitCode::from(2);
            }
        }
    }
    report(&tallies)
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        corpus: std::env::var_os("REALWORLD_CORPUS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/realworld-corpus"),
            PathBuf::from,
        ),
        show: 5,
        absent: 0,
        filters: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let number = |value: Option<String>| {
            value
                .and_then(|n| n.parse().ok())
                .ok_or(format!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--show" => options.show = number(args.next())?,
            "--absent" => options.absent = number(args.next())?,
            "--corpus" => options.corpus = args.next().ok_or("--corpus needs a directory")?.into(),
            "-h" | "--help" => {
                return Err(
                    "options: [--corpus DIR] [--show N] [--absent N] [SOURCE-NAME-PART...]".to_owned(),
                );
            }
            other => options.filters.push(other.to_owned()),
        }
    }
    Ok(options)
}

/// Every `*.log` with its `*.expected.jsonl`, in the corpus's folders, sorted.
fn find_sources(root: &Path) -> Vec<Source> {
    let mut sources = Vec::new();
    let Ok(dirs) = fs::read_dir(root) else {
        return sources;
    };
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut logs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        logs.sort();
        for log in logs {
            let stem = log
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let expected = log.with_file_name(format!("{stem}.expected.jsonl"));
            if expected.exists() {
                let folder = dir.file_name().and_then(|s| s.to_str()).unwrap_or_default();
                sources.push(Source {
                    name: format!("{folder}/{stem}"),
                    log,
                    expected,
                });
            }
        }
    }
    sources
}

fn run_source(
    source: &Source,
    config: &DetectConfig,
    now: DateTime<Utc>,
    options: &Options,
) -> Result<Tally, String> {
    let raw = fs::read(&source.log).map_err(|e| format!("{}: {e}", source.log.display()))?;
    let expected_text =
        fs::read_to_string(&source.expected).map_err(|e| format!("{}: {e}", source.expected.display()))?;
    let mut lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let rows: Vec<Value> = expected_text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", source.expected.display()))?;
    if rows.len() != lines.len() {
        return Err(format!("{} lines but {} expectations", lines.len(), rows.len()));
    }

    let mut tally = Tally::default();
    let mut evidence = Evidence::default();
    let mut group: Option<String> = None;
    for (index, (line, row)) in lines.iter().zip(&rows).enumerate() {
        let number = row["line"].as_u64().unwrap_or(0) as usize;
        if number != index + 1 {
            return Err(format!("expectation {} is for line {number}", index + 1));
        }
        let expected = parse_expected(row).map_err(|e| format!("line {number}: {e}"))?;
        // Each format group of a pattern collection stands for a file of its own.
        let this_group = row["group"].as_str().map(str::to_owned);
        if this_group != group {
            evidence = Evidence::default();
            group = this_group;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut ctx = Context {
            config,
            evidence: &mut evidence,
            now,
        };
        let found = detect(line, &mut ctx);
        if let Some(stated) = row.get("level").and_then(Value::as_str) {
            let format = found.as_ref().map(|f| f.timestamp.format);
            let read = severity(line, format).map(|s| s.text);
            tally.levels += 1;
            tally.levels_right +=
                usize::from(read.is_some_and(|r| r.eq_ignore_ascii_case(stated.as_bytes())));
        }
        let (verdict, kind) = judge(&expected, found.as_ref());
        tally.lines += 1;
        match verdict {
            Verdict::Right => tally.right += 1,
            Verdict::Absent => {
                tally.absent += 1;
                if tally.shown_absent.len() < options.absent {
                    tally
                        .shown_absent
                        .push(describe(number, row, line, &expected, found.as_ref(), ""));
                }
            }
            Verdict::Wrong => {
                tally.wrong += 1;
                match tally.kinds.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => tally.kinds.push((kind.to_owned(), 1)),
                }
                if tally.shown_wrong.len() < options.show {
                    tally
                        .shown_wrong
                        .push(describe(number, row, line, &expected, found.as_ref(), kind));
                }
            }
        }
    }
    Ok(tally)
}

fn parse_expected(row: &Value) -> Result<Expected, String> {
    if let Some(expected) = row.get("expected") {
        return match expected {
            Value::Null => Ok(Expected::Nothing),
            Value::String(text) => {
                let instant = DateTime::parse_from_rfc3339(text).map_err(|e| format!("{text}: {e}"))?;
                Ok(Expected::Instant(
                    instant.with_timezone(&Utc),
                    fraction_digits(text),
                ))
            }
            other => Err(format!("expected is {other}")),
        };
    }
    let number = |key: &str| row[key].as_u64().ok_or_else(|| format!("no {key}"));
    let time_text = row["time"].as_str().ok_or("no time")?;
    let time =
        NaiveTime::parse_from_str(time_text, "%H:%M:%S%.f").map_err(|e| format!("{time_text}: {e}"))?;
    let offset = match row.get("offset").and_then(Value::as_str) {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{text}"))
                .map_err(|e| format!("{text}: {e}"))?
                .timezone(),
        ),
        None => None,
    };
    let year = match row.get("year") {
        Some(year) => Some(year.as_i64().ok_or("year is not a number")? as i32),
        None => None,
    };
    let year_in_line = row.get("year_in_line").and_then(Value::as_bool).unwrap_or(true);
    if year_in_line != year.is_some() {
        return Err("year_in_line and year disagree".to_owned());
    }
    let zone_in_line = row.get("zone_in_line").and_then(Value::as_bool).unwrap_or(true);
    if zone_in_line != offset.is_some() {
        return Err("zone_in_line and offset disagree".to_owned());
    }
    Ok(Expected::Wall {
        year,
        month: number("month")? as u32,
        day: number("day")? as u32,
        time,
        digits: fraction_digits(time_text),
        offset,
    })
}

fn fraction_digits(text: &str) -> u32 {
    match text.find('.') {
        Some(dot) => text[dot + 1..].bytes().take_while(u8::is_ascii_digit).count() as u32,
        None => 0,
    }
}

/// `time` cut to `digits` fractional digits.
fn truncate(time: NaiveDateTime, digits: u32) -> NaiveDateTime {
    let unit = 10u32.pow(9 - digits.min(9));
    let nanos = time.nanosecond() % 1_000_000_000;
    time.with_nanosecond(nanos - nanos % unit)
        .expect("fewer nanoseconds stay valid")
}

/// The verdict on a line and, when wrong, what kind of miss it is.
fn judge(expected: &Expected, found: Option<&Detected>) -> (Verdict, &'static str) {
    let Some(found) = found else {
        return match expected {
            Expected::Nothing => (Verdict::Right, ""),
            _ => (Verdict::Absent, ""),
        };
    };
    let stamp = &found.timestamp;
    let said = |flag: Assumptions| stamp.assumptions.contains(flag);
    match expected {
        Expected::Nothing => (Verdict::Wrong, "stamp on a line without one"),
        Expected::Instant(want, digits) => {
            if truncate(stamp.instant.naive_utc(), *digits) == want.naive_utc() {
                return (Verdict::Right, "");
            }
            let off_by = (stamp.instant - *want).num_milliseconds().abs();
            let kind = if said(Assumptions::YEAR_INFERRED) {
                "year inferred, the line has one"
            } else if off_by < 1000 {
                "fraction lost or misread"
            } else if said(Assumptions::DEFAULT_ZONE) && off_by % 900_000 == 0 && off_by <= 14 * 3_600_000 {
                "default zone applied, the line has a zone"
            } else {
                "wrong instant (other text read as the stamp)"
            };
            (Verdict::Wrong, kind)
        }
        Expected::Wall {
            year,
            month,
            day,
            time,
            digits,
            offset,
        } => {
            if year.is_none() && !said(Assumptions::YEAR_INFERRED) {
                return (Verdict::Wrong, "claims a year the line does not give");
            }
            if offset.is_none() && !said(Assumptions::DEFAULT_ZONE) {
                return (Verdict::Wrong, "claims a zone the line does not give");
            }
            // With --default-tz UTC, a zoneless wall time is its UTC reading.
            let offset = offset.unwrap_or_else(|| FixedOffset::east_opt(0).expect("0 is valid"));
            let got = truncate(stamp.instant.with_timezone(&offset).naive_local(), *digits);
            let date_ok = match year {
                Some(year) => NaiveDate::from_ymd_opt(*year, *month, *day) == Some(got.date()),
                None => chrono::Datelike::month(&got) == *month && chrono::Datelike::day(&got) == *day,
            };
            if date_ok && got.time() == *time {
                (Verdict::Right, "")
            } else if date_ok && (got.time() - *time).num_milliseconds().abs() < 1000 {
                (Verdict::Wrong, "fraction lost or misread")
            } else if date_ok {
                (Verdict::Wrong, "wrong time of day")
            } else {
                (Verdict::Wrong, "wrong date")
            }
        }
    }
}

fn describe(
    number: usize,
    row: &Value,
    line: &[u8],
    expected: &Expected,
    found: Option<&Detected>,
    kind: &str,
) -> String {
    let text = String::from_utf8_lossy(line);
    let shown: String = text.chars().take(150).collect();
    let ellipsis = if text.chars().count() > 150 { "…" } else { "" };
    let group = row["group"]
        .as_str()
        .map(|g| format!(" [{g}]"))
        .unwrap_or_default();
    let mut out = format!("    line {number}{group}: {shown}{ellipsis}\n");
    let want = match expected {
        Expected::Nothing => "no timestamp".to_owned(),
        Expected::Instant(t, digits) => format!("{} ({digits} fractional digits)", t.to_rfc3339()),
        Expected::Wall {
            year,
            month,
            day,
            time,
            offset,
            ..
        } => format!(
            "{}-{month:02}-{day:02} {time} {}",
            year.map(|y| y.to_string())
                .unwrap_or_else(|| "(no year)".to_owned()),
            offset
                .map(|o| o.to_string())
                .unwrap_or_else(|| "(no zone)".to_owned())
        ),
    };
    let _ = writeln!(out, "      expected {want}");
    match found {
        Some(found) => {
            let span = String::from_utf8_lossy(&line[found.span.clone()]);
            let assumptions: Vec<&str> = found.timestamp.assumptions.names().collect();
            let _ = write!(
                out,
                "      got      {} from {:?} as {} [{}]{}",
                found.timestamp.instant.to_rfc3339(),
                span,
                found.timestamp.format,
                assumptions.join(","),
                if kind.is_empty() {
                    String::new()
                } else {
                    format!(": {kind}")
                }
            );
        }
        None => out.push_str("      got      no stamp (read_time)"),
    }
    out
}

/// One row of the table: a source's or a sum's counts.
fn print_row(name: &str, t: &Tally) {
    println!(
        "{:28} {:>7} {:>7} {:>7.1}% {:>7} {:>7}",
        name,
        t.lines,
        t.right,
        percent(t.right, t.lines),
        t.absent,
        t.wrong
    );
}

fn report(tallies: &[(String, Tally)]) -> ExitCode {
    println!(
        "{:28} {:>7} {:>7} {:>8} {:>7} {:>7}",
        "source", "lines", "right", "right %", "absent", "wrong"
    );
    let mut total = Tally::default();
    // Sources are sorted by corpus, so a BTreeMap keeps the table's order.
    let mut per_corpus: std::collections::BTreeMap<&str, Tally> = Default::default();
    for (name, t) in tallies {
        print_row(name, t);
        let corpus = name.split('/').next().unwrap_or_default();
        for sum in [per_corpus.entry(corpus).or_default(), &mut total] {
            sum.lines += t.lines;
            sum.right += t.right;
            sum.absent += t.absent;
            sum.wrong += t.wrong;
            sum.levels += t.levels;
            sum.levels_right += t.levels_right;
        }
    }
    for (corpus, t) in &per_corpus {
        print_row(&format!("all {corpus}"), t);
    }
    print_row("all", &total);

    for (name, t) in tallies {
        if t.wrong == 0 && t.shown_absent.is_empty() {
            continue;
        }
        println!("\n{name}: {} wrong, {} absent", t.wrong, t.absent);
        for (kind, n) in &t.kinds {
            println!("  {n:>5} {kind}");
        }
        for shown in t.shown_wrong.iter().chain(&t.shown_absent) {
            println!("{shown}");
        }
    }

    println!(
        "\nlevels as the sources state them: {} of {} right",
        total.levels_right, total.levels
    );
    let mut failures = Vec::new();
    if total.levels_right < total.levels {
        failures.push(format!(
            "{} stated levels not read as stated",
            total.levels - total.levels_right
        ));
    }
    let share = total.right as f64 / total.lines.max(1) as f64;
    if share < TARGET_RIGHT {
        failures.push(format!(
            "{:.1}% of lines right, the target is {:.0}%",
            share * 100.0,
            TARGET_RIGHT * 100.0
        ));
    }
    let zero: Vec<&str> = tallies
        .iter()
        .filter(|(_, t)| t.right == 0)
        .map(|(n, _)| n.as_str())
        .collect();
    if !zero.is_empty() {
        failures.push(format!("sources at 0%: {}", zero.join(", ")));
    }
    if total.wrong > 0 {
        failures.push(format!("{} lines silently wrong, the target is 0", total.wrong));
    }
    if failures.is_empty() {
        println!("\ntargets met");
        ExitCode::SUCCESS
    } else {
        println!("\ntargets not met: {}", failures.join("; "));
        ExitCode::FAILURE
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}
