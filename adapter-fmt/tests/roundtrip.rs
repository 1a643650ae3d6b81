//! Property tests: write a random instant in each supported format (with
//! chrono's formatter, not ours), read it back, get the same instant.

use adapter_fmt::detect::{detect, Context, DetectConfig};
use adapter_fmt::evidence::Evidence;
use adapter_fmt::format::Format;
use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Utc};
use proptest::prelude::*;

/// The time of reading, for formats without a year.
fn now() -> DateTime<Utc> {
    "2026-11-26T20:00:00Z".parse().unwrap()
}

/// An instant between September 2001 and 2037 (the span every epoch width covers),
/// in whole microseconds.
fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    (1_000_000_000i64..2_114_380_800, 0u32..1_000_000)
        .prop_map(|(secs, micros)| DateTime::from_timestamp(secs, micros * 1000).unwrap())
}

/// An instant within the year before `now()`, for formats without a year.
fn recent_instants() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..364 * 86_400, 0u32..1_000_000).prop_map(|(back, micros)| {
        now() - TimeDelta::seconds(back) + TimeDelta::microseconds(i64::from(micros))
    })
}

fn offsets() -> impl Strategy<Value = FixedOffset> {
    (-12 * 4i32..=14 * 4).prop_map(|quarters| FixedOffset::east_opt(quarters * 900).unwrap())
}

fn read(line: &str) -> Option<(DateTime<Utc>, Format)> {
    let config = DetectConfig::default();
    let mut evidence = Evidence::default();
    let mut ctx = Context {
        config: &config,
        evidence: &mut evidence,
        now: now(),
    };
    detect(line.as_bytes(), &mut ctx).map(|d| (d.timestamp.instant, d.timestamp.format))
}

/// `instant` cut to `digits` fractional digits.
fn cut(instant: DateTime<Utc>, digits: u32) -> DateTime<Utc> {
    let step = 10u32.pow(9 - digits);
    let nanos = instant.timestamp_subsec_nanos() / step * step;
    DateTime::from_timestamp(instant.timestamp(), nanos).unwrap()
}

fn check(line: String, expected: DateTime<Utc>, format: Format) -> Result<(), TestCaseError> {
    prop_assert_eq!(read(&line), Some((expected, format)), "line: {}", line);
    Ok(())
}

// 256 cases per property by default; PROPTEST_CASES=100000 for a long run.
proptest! {
    #[test]
    fn rfc3339(instant in instants(), offset in offsets(), digits in 0u32..=6) {
        let local = instant.with_timezone(&offset);
        let fraction = match digits {
            0 => String::new(),
            d => format!(".{}", &format!("{:06}", instant.timestamp_subsec_micros())[..d as usize]),
        };
        let line = format!("{}{fraction}{} app started", local.format("%Y-%m-%dT%H:%M:%S"), local.format("%:z"));
        check(line, cut(instant, digits), Format::Rfc3339)?;
    }

    #[test]
    fn iso8601_space_and_log4j(instant in instants()) {
        check(format!("{} INFO x", instant.format("%Y-%m-%d %H:%M:%S%.3f")), cut(instant, 3), Format::Iso8601)?;
        check(format!("{},{:03} INFO x", instant.format("%Y-%m-%d %H:%M:%S"), instant.timestamp_subsec_millis()), cut(instant, 3), Format::Log4j)?;
    }

    #[test]
    fn go_time_string(instant in instants()) {
        check(format!("{} m=+0.1", instant.format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC")), instant, Format::GoTime)?;
    }

    #[test]
    fn date_ctime_and_apache(instant in instants()) {
        check(format!("{}#This is log", instant.format("%a %b %e %H:%M:%S UTC %Y")), cut(instant, 0), Format::Ctime)?;
        check(format!("[{}] [error] x", instant.format("%a %b %d %H:%M:%S%.6f %Y")), cut(instant, 6), Format::Ctime)?;
    }

    #[test]
    fn rfc2822(instant in instants(), offset in offsets()) {
        let local = instant.with_timezone(&offset);
        check(format!("{} mail", local.format("%a, %d %b %Y %H:%M:%S %z")), cut(instant, 0), Format::Rfc2822)?;
    }

    #[test]
    fn clf_and_day_month_name(instant in instants(), offset in offsets()) {
        let local = instant.with_timezone(&offset);
        check(format!("1.2.3.4 - - [{}] \"GET /\"", local.format("%d/%b/%Y:%H:%M:%S %z")), cut(instant, 0), Format::Clf)?;
        check(format!("{} INFO [main] x", instant.format("%d-%b-%Y %H:%M:%S%.3f")), cut(instant, 3), Format::DayMonthName)?;
    }

    #[test]
    fn slashes_and_numeric(instant in instants()) {
        check(format!("{} [error] x", instant.format("%Y/%m/%d %H:%M:%S")), cut(instant, 0), Format::YmdSlash)?;
        // Day and month are told apart by the day being above 12.
        let day13 = instant.with_day(13 + instant.day() % 16).unwrap();
        check(format!("{} x", day13.format("%d/%m/%Y %H:%M:%S")), cut(day13, 0), Format::NumericDmy)?;
        check(format!("{} x", day13.format("%m/%d/%Y %I:%M:%S %p")), cut(day13, 0), Format::NumericMdy)?;
        check(format!("{} x", instant.format("%d.%m.%Y %H:%M:%S")), cut(instant, 0), Format::NumericDmy)?;
    }

    #[test]
    fn month_name_first_java(instant in instants()) {
        check(format!("{} org.example.Main start", instant.format("%b %-d, %Y %-I:%M:%S %p")), cut(instant, 0), Format::MonthNameFirst)?;
    }

    #[test]
    fn yearless_syslog_and_klog(instant in recent_instants()) {
        check(format!("{} host sshd[1]: x", instant.format("%b %e %H:%M:%S")), cut(instant, 0), Format::Syslog3164)?;
        check(format!("I{}    1 main.go:1] x", instant.format("%m%d %H:%M:%S%.6f")), cut(instant, 6), Format::Klog)?;
    }

    #[test]
    fn syslog_5424(instant in instants()) {
        check(format!("<34>1 {} host app - - - x", instant.format("%Y-%m-%dT%H:%M:%S%.3fZ")), cut(instant, 3), Format::Syslog5424)?;
    }

    #[test]
    fn epochs(instant in instants()) {
        let s = instant.timestamp();
        let us = instant.timestamp_micros();
        check(format!("{s} x"), cut(instant, 0), Format::EpochSeconds)?;
        check(format!("{}.{:06} x", s, instant.timestamp_subsec_micros()), instant, Format::EpochSeconds)?;
        check(format!("{} x", instant.timestamp_millis()), cut(instant, 3), Format::EpochMillis)?;
        check(format!("{us} x"), instant, Format::EpochMicros)?;
        check(format!("{} x", us * 1000), instant, Format::EpochNanos)?;
        check(format!("level=info ts={s} msg=x"), cut(instant, 0), Format::EpochSeconds)?;
    }

    #[test]
    fn json_fields(instant in instants()) {
        check(format!("{{\"time\":\"{}\",\"msg\":\"x\"}}", instant.format("%Y-%m-%dT%H:%M:%S%.6fZ")), instant, Format::Json)?;
        check(format!("{{\"ts\":{}.{:06},\"msg\":\"x\"}}", instant.timestamp(), instant.timestamp_subsec_micros()), instant, Format::Json)?;
    }
}
