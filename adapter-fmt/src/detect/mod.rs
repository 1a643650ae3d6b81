//! Finding the timestamp in a log line, whatever its format.
//!
//! A line is tried at its start and after each separator within its first
//! [`PREFIX_WINDOW`] bytes (a level, brackets, a sequence number or a host may
//! come first). At each place the first byte picks the families worth
//! trying, so a line costs a few byte comparisons per place and no
//! allocation. Each family reads into [`Parts`]; [`resolve`] turns parts into
//! an instant, filling in what the line left out (year, zone, date order)
//! and saying so in [`Assumptions`].

mod clf;
mod ctime;
pub mod cursor;
mod epoch;
mod iso;
mod json;
mod klog;
mod numeric;
mod rfc2822;
mod syslog;

use std::fmt;
use std::ops::Range;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::evidence::{DateOrder, Evidence};
use crate::zone::{self, UserZone, ZoneSpec};
use cursor::Cursor;

/// How far into a line a timestamp may start.
pub const PREFIX_WINDOW: usize = 64;

/// The timestamp formats recognised, by family and variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 3339: `2026-11-26T18:03:08.123Z`.
    Rfc3339,
    /// ISO 8601 with a space or without a zone: `2026-11-26 18:03:08`.
    Iso8601,
    /// ISO 8601 basic form: `20261126T180308Z`.
    Iso8601Compact,
    /// log4j, logback, Python logging: `2026-11-26 18:03:08,123`.
    Log4j,
    /// Go's `time.Time.String()`: `2026-11-26 18:03:08.123 +0000 UTC`.
    GoTime,
    /// `date`, ctime, asctime, Apache error log: `Thu Nov 26 18:03:08 UTC 2026`.
    Ctime,
    /// RFC 2822 / 1123: `Thu, 26 Nov 2026 18:03:08 +0000`.
    Rfc2822,
    /// Common Log Format (Apache, nginx access): `26/Nov/2026:18:03:08 +0000`.
    Clf,
    /// Day, month name, year: Tomcat's `26-Nov-2026 18:03:08.123`, Django's `26/Nov/2026 18:03:08`.
    DayMonthName,
    /// nginx error log, Go's log package: `2026/11/26 18:03:08`.
    YmdSlash,
    /// Syslog RFC 3164: `Nov 26 18:03:08` (no year).
    Syslog3164,
    /// Syslog RFC 5424: `<34>1 2026-11-26T18:03:08.003Z`.
    Syslog5424,
    /// A month name first with a year: `Nov 26 2026 18:03:08`, Java's `Nov 26, 2026 6:03:08 PM`.
    MonthNameFirst,
    /// Numeric, day first: `26/11/2026`, `26.11.2026`, `26-11-2026`.
    NumericDmy,
    /// Numeric, month first: `11/26/2026`.
    NumericMdy,
    /// Numeric, year first with two-digit year: `26/11/26` read as `yy/mm/dd`.
    NumericYmd,
    /// Kubernetes klog: `I1126 18:03:08.123456`.
    Klog,
    /// Unix epoch seconds (10 digits, optional fraction).
    EpochSeconds,
    /// Unix epoch milliseconds (13 digits).
    EpochMillis,
    /// Unix epoch microseconds (16 digits).
    EpochMicros,
    /// Unix epoch nanoseconds (19 digits).
    EpochNanos,
    /// The time field of a JSON log line.
    Json,
}

impl Format {
    /// Every format, for metrics and documentation.
    pub const ALL: [Format; 22] = [
        Format::Rfc3339,
        Format::Iso8601,
        Format::Iso8601Compact,
        Format::Log4j,
        Format::GoTime,
        Format::Ctime,
        Format::Rfc2822,
        Format::Clf,
        Format::DayMonthName,
        Format::YmdSlash,
        Format::Syslog3164,
        Format::Syslog5424,
        Format::MonthNameFirst,
        Format::NumericDmy,
        Format::NumericMdy,
        Format::NumericYmd,
        Format::Klog,
        Format::EpochSeconds,
        Format::EpochMillis,
        Format::EpochMicros,
        Format::EpochNanos,
        Format::Json,
    ];

    /// The name records and metrics use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rfc3339 => "rfc3339",
            Format::Iso8601 => "iso8601",
            Format::Iso8601Compact => "iso8601_compact",
            Format::Log4j => "log4j",
            Format::GoTime => "go_time",
            Format::Ctime => "ctime",
            Format::Rfc2822 => "rfc2822",
            Format::Clf => "clf",
            Format::DayMonthName => "day_month_name",
            Format::YmdSlash => "ymd_slash",
            Format::Syslog3164 => "syslog_rfc3164",
            Format::Syslog5424 => "syslog_rfc5424",
            Format::MonthNameFirst => "month_name_first",
            Format::NumericDmy => "numeric_dmy",
            Format::NumericMdy => "numeric_mdy",
            Format::NumericYmd => "numeric_ymd",
            Format::Klog => "klog",
            Format::EpochSeconds => "epoch_s",
            Format::EpochMillis => "epoch_ms",
            Format::EpochMicros => "epoch_us",
            Format::EpochNanos => "epoch_ns",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a timestamp rests on beyond what the line says: a small set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Assumptions(u8);

impl Assumptions {
    /// The line had no year; it was inferred from the time of reading.
    pub const YEAR_INFERRED: Assumptions = Assumptions(1);
    /// A two-digit year was put in a century (69 and below: 20xx).
    pub const CENTURY_INFERRED: Assumptions = Assumptions(1 << 1);
    /// The line named no zone; `--default-tz` was applied.
    pub const DEFAULT_ZONE: Assumptions = Assumptions(1 << 2);
    /// The zone came from an abbreviation (see the table in `zone`).
    pub const ZONE_ABBREVIATION: Assumptions = Assumptions(1 << 3);
    /// Day and month could be either; the order this source showed earlier was used.
    pub const DATE_ORDER_FROM_SOURCE: Assumptions = Assumptions(1 << 4);
    /// Day and month could be either, and the source never showed which: the default order was used.
    pub const DATE_ORDER_DEFAULT: Assumptions = Assumptions(1 << 5);
    /// The line has no timestamp; the time it was read stands in.
    pub const READ_TIME: Assumptions = Assumptions(1 << 6);

    const NAMES: [(Assumptions, &'static str); 7] = [
        (Assumptions::YEAR_INFERRED, "year_inferred"),
        (Assumptions::CENTURY_INFERRED, "century_inferred"),
        (Assumptions::DEFAULT_ZONE, "default_zone"),
        (Assumptions::ZONE_ABBREVIATION, "zone_abbreviation"),
        (Assumptions::DATE_ORDER_FROM_SOURCE, "date_order_from_source"),
        (Assumptions::DATE_ORDER_DEFAULT, "date_order_default"),
        (Assumptions::READ_TIME, "read_time"),
    ];

    /// No assumptions.
    pub const NONE: Assumptions = Assumptions(0);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Assumptions) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names of the flags set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

impl std::ops::BitOr for Assumptions {
    type Output = Assumptions;
    fn bitor(self, rhs: Assumptions) -> Assumptions {
        Assumptions(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Assumptions {
    fn bitor_assign(&mut self, rhs: Assumptions) {
        self.0 |= rhs.0;
    }
}

/// A timestamp read from a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// The instant, in UTC.
    pub instant: DateTime<Utc>,
    /// How many fractional-second digits the source wrote (0 to 9).
    pub precision: u8,
    /// The format it was written in.
    pub format: Format,
    /// What was filled in.
    pub assumptions: Assumptions,
}

/// A timestamp and where it stands in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The timestamp.
    pub timestamp: Timestamp,
    /// The bytes of the line it was read from.
    pub span: Range<usize>,
}

/// The fields of a date and time as a line wrote them, before resolving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parts {
    /// The year, if the line gave one.
    pub year: Option<i32>,
    /// Month, 1 to 12 (checked when resolving).
    pub month: u32,
    /// Day of the month (checked when resolving).
    pub day: u32,
    /// Hour, 0 to 23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second; 60 is a leap second.
    pub second: u32,
    /// Nanoseconds.
    pub nanos: u32,
    /// Fractional digits written.
    pub precision: u8,
    /// The zone, if the line named one.
    pub zone: Option<ZoneSpec>,
    /// Assumptions the family already made (century, date order).
    pub assumptions: Assumptions,
}

/// How ambiguous numeric dates are read (`--date-order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrderMode {
    /// Decide from the fields (a field above 12 settles it), then from what
    /// the source showed before, then by the separator's usual reading:
    /// `/` month first (US), `.` and `-` day first (Europe).
    #[default]
    Auto,
    /// Always a fixed order.
    Fixed(DateOrder),
}

/// What detection needs to know besides the line.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetectConfig {
    /// How ambiguous numeric dates are read.
    pub date_order: DateOrderMode,
    /// The zone of stamps that name none.
    pub default_zone: UserZone,
}

/// The state detection carries from line to line of one source.
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a DetectConfig,
    /// What this source has shown so far.
    pub evidence: &'a mut Evidence,
    /// The time of reading, for inferring missing years.
    pub now: DateTime<Utc>,
}

/// Finds the first timestamp in `line`.
pub fn detect(line: &[u8], ctx: &mut Context<'_>) -> Option<Detected> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if line[start] == b'{' {
        return json::detect_object(line, start, ctx);
    }
    if let Some(found) = try_at(line, start, ctx) {
        return Some(found);
    }
    let window = line.len().min(PREFIX_WINDOW);
    (start + 1..window)
        .filter(|&i| is_separator(line[i - 1]) && (line[i].is_ascii_alphanumeric() || line[i] == b'<'))
        .find_map(|i| try_at(line, i, ctx))
}

fn is_separator(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'[' | b'(' | b'"' | b'\'' | b'=' | b'|')
}

/// What a family read: the parts, the format, and the bytes they came from.
pub(crate) type Read = (Parts, Format, Range<usize>);

/// Tries the families that can start with the byte at `pos`.
fn try_at(line: &[u8], pos: usize, ctx: &mut Context<'_>) -> Option<Detected> {
    let first = line[pos];
    let (parts, format, span) = if first.is_ascii_digit() {
        iso::parse(line, pos)
            .or_else(|| numeric::parse_year_first(line, pos))
            .or_else(|| clf::parse(line, pos))
            .or_else(|| numeric::parse_day_or_month_first(line, pos, ctx))
            .or_else(|| rfc2822::parse_without_weekday(line, pos))
            .or_else(|| {
                epoch_allowed(line, pos)
                    .then(|| epoch::parse(line, pos))
                    .flatten()
            })?
    } else if first == b'<' {
        syslog::parse_with_priority(line, pos)?
    } else if first.is_ascii_alphabetic() {
        klog::parse(line, pos)
            .or_else(|| ctime::parse(line, pos))
            .or_else(|| rfc2822::parse(line, pos))
            .or_else(|| syslog::parse(line, pos))?
    } else {
        return None;
    };
    let timestamp = resolve(parts, format, ctx)?;
    Some(Detected { timestamp, span })
}

/// Bare digit runs are epoch stamps only at the start of a line or as the
/// value of a time-like key: elsewhere they are ids, sizes and counters.
fn epoch_allowed(line: &[u8], pos: usize) -> bool {
    if line[..pos].iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    let before = &line[..pos];
    [&b"ts="[..], b"time=", b"timestamp=", b"t=", b"epoch="]
        .iter()
        .any(|key| {
            before.ends_with(key)
                && before
                    .len()
                    .checked_sub(key.len() + 1)
                    .is_none_or(|i| !before[i].is_ascii_alphanumeric())
        })
}

/// How the time of day was written, for telling apart formats that share a date.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeStyle {
    /// The fraction followed a comma (log4j, Python logging).
    pub comma_fraction: bool,
    /// A numeric offset followed by a zone name (Go's `+0000 UTC`).
    pub offset_and_name: bool,
}

/// Reads a clock, fraction, AM/PM and zone (numeric offset or
/// abbreviation). Returns `None` unless a clock is next; the cursor is left
/// past what was read.
pub(crate) fn time_of_day(
    cursor: &mut Cursor<'_>,
    parts: &mut Parts,
    seconds_optional: bool,
) -> Option<TimeStyle> {
    let mut style = TimeStyle::default();
    let (hour, minute, second) = cursor.clock(seconds_optional)?;
    parts.hour = hour;
    parts.minute = minute;
    parts.second = second;
    style.comma_fraction = cursor.peek() == Some(b',');
    match cursor.fraction() {
        Some((nanos, precision)) => {
            parts.nanos = nanos;
            parts.precision = precision;
        }
        None => style.comma_fraction = false,
    }
    meridiem(cursor, parts)?;
    style.offset_and_name = zone_after(cursor, parts);
    Some(style)
}

/// ` AM` / ` PM` after a clock, turning a 12-hour clock into 24 hours.
/// Fails when an AM/PM follows an hour that a 12-hour clock cannot show.
fn meridiem(cursor: &mut Cursor<'_>, parts: &mut Parts) -> Option<()> {
    let save = *cursor;
    cursor.eat_spaces();
    let pm = if cursor.eat_word(b"AM") || cursor.eat_word(b"a.m.") {
        false
    } else if cursor.eat_word(b"PM") || cursor.eat_word(b"p.m.") {
        true
    } else {
        *cursor = save;
        return Some(());
    };
    if !(1..=12).contains(&parts.hour) {
        return None;
    }
    parts.hour = match (pm, parts.hour) {
        (false, 12) => 0,
        (true, 12) => 12,
        (true, h) => h + 12,
        (false, h) => h,
    };
    Some(())
}

/// An optional zone after a time: `Z` or an offset, directly or after
/// spaces, optionally followed by a zone name (Go writes both); or a zone
/// name alone after a space. Returns whether both an offset and a name came.
fn zone_after(cursor: &mut Cursor<'_>, parts: &mut Parts) -> bool {
    let save = *cursor;
    let spaced = cursor.eat_spaces() > 0;
    if let Some(offset) = zone::offset(cursor) {
        parts.zone = Some(offset);
        let after_offset = *cursor;
        if cursor.eat_spaces() == 1 && zone::abbreviation(cursor).is_some() {
            return true;
        }
        *cursor = after_offset;
        return false;
    }
    if spaced {
        if let Some(name) = zone::abbreviation(cursor) {
            parts.zone = Some(name);
            return false;
        }
    }
    *cursor = save;
    false
}

/// Turns parts into an instant, inferring a missing year from the time of
/// reading and applying the default zone; `None` for impossible dates.
pub fn resolve(parts: Parts, format: Format, ctx: &Context<'_>) -> Option<Timestamp> {
    let mut assumptions = parts.assumptions;
    let (hour, minute) = (parts.hour, parts.minute);
    // A leap second is kept as chrono keeps it: second 59 plus a full second.
    let (second, nanos) = match parts.second {
        60 => (59, parts.nanos.checked_add(1_000_000_000)?),
        s => (s, parts.nanos),
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let to_utc = |date: NaiveDate| {
        let local = date.and_time(time);
        match parts.zone {
            Some(zone) => (local - TimeDelta::seconds(i64::from(zone.seconds()))).and_utc(),
            None => ctx.config.default_zone.to_utc(local),
        }
    };
    let instant = match parts.year {
        Some(year) => to_utc(NaiveDate::from_ymd_opt(year, parts.month, parts.day)?),
        None => {
            assumptions |= Assumptions::YEAR_INFERRED;
            // This year, unless that puts the stamp more than a day in the
            // future: a December stamp read in January is from last year.
            let this_year = ctx.now.year();
            let latest = ctx.now + TimeDelta::days(1);
            (0..4)
                .filter_map(|back| NaiveDate::from_ymd_opt(this_year - back, parts.month, parts.day))
                .map(to_utc)
                .find(|instant| *instant <= latest)?
        }
    };
    match parts.zone {
        None => assumptions |= Assumptions::DEFAULT_ZONE,
        Some(ZoneSpec::Abbreviation(_)) => assumptions |= Assumptions::ZONE_ABBREVIATION,
        Some(ZoneSpec::Offset(_)) => {}
    }
    Some(Timestamp {
        instant,
        precision: parts.precision,
        format,
        assumptions,
    })
}

/// Reads a year written with two digits (POSIX's rule: 69 and below are 20xx).
pub(crate) fn expand_two_digit_year(yy: u32, parts: &mut Parts) -> i32 {
    parts.assumptions |= Assumptions::CENTURY_INFERRED;
    if yy <= 68 {
        2000 + yy as i32
    } else {
        1900 + yy as i32
    }
}

/// Records which date order a source showed, or picks one for an ambiguous date.
pub(crate) fn choose_order(
    first: u32,
    second: u32,
    separator: u8,
    ctx: &mut Context<'_>,
    parts: &mut Parts,
) -> Option<DateOrder> {
    if let DateOrderMode::Fixed(order) = ctx.config.date_order {
        return Some(order);
    }
    match (first > 12, second > 12) {
        (true, true) => None,
        (true, false) => {
            ctx.evidence.saw(DateOrder::Dmy);
            Some(DateOrder::Dmy)
        }
        (false, true) => {
            ctx.evidence.saw(DateOrder::Mdy);
            Some(DateOrder::Mdy)
        }
        (false, false) => Some(match ctx.evidence.order() {
            Some(order) => {
                parts.assumptions |= Assumptions::DATE_ORDER_FROM_SOURCE;
                order
            }
            None => {
                parts.assumptions |= Assumptions::DATE_ORDER_DEFAULT;
                if separator == b'/' {
                    DateOrder::Mdy
                } else {
                    DateOrder::Dmy
                }
            }
        }),
    }
}
