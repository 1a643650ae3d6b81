//! Finding the timestamp in a log line, whatever its format.
//!
//! A line is tried at its start and after each separator in the whole line
//! (a level, brackets, a sequence number, a host or a request may come
//! first); every stamp found is a candidate and the most complete one wins
//! ([`detect`]). At each place the first byte picks the families worth
//! trying, so a place costs a few byte comparisons and no allocation; the
//! place a source used last is tried first. Shapes with one layout are
//! rows of a table (`table`, strftime's letters); the families with a
//! reading to decide (ISO 8601, day-or-month order, syslog, Unix time) are
//! code. Each reads into [`Parts`]; [`resolve`] turns parts into
//! an instant, filling in what the line left out (year, zone, date order)
//! and saying so in [`Assumptions`].

mod ctime;
mod epoch;
mod iso;
mod json;
mod klog;
mod numeric;
mod rfc2822;
mod syslog;
mod table;
mod user;

pub use user::UserFormat;

use std::ops::Range;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};

use crate::cursor::Cursor;
use crate::evidence::{DateOrder, Evidence, Learned};
use crate::format::Format;
use crate::zone::{self, UserZone, ZoneSpec};

/// What a timestamp rests on beyond what the line says: a small set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Assumptions(u16);

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
    /// A bare number standing as a field of its own was read as Unix time:
    /// nothing else in the line was a timestamp, or its date agreed.
    pub const EPOCH_FIELD: Assumptions = Assumptions(1 << 7);
    /// The stamp is more than 30 days away from the source's previous one:
    /// either the log jumps, or the stamp was misread.
    pub const FAR_FROM_NEIGHBOURS: Assumptions = Assumptions(1 << 8);

    const NAMES: [(Assumptions, &'static str); 9] = [
        (Assumptions::YEAR_INFERRED, "year_inferred"),
        (Assumptions::CENTURY_INFERRED, "century_inferred"),
        (Assumptions::DEFAULT_ZONE, "default_zone"),
        (Assumptions::ZONE_ABBREVIATION, "zone_abbreviation"),
        (Assumptions::DATE_ORDER_FROM_SOURCE, "date_order_from_source"),
        (Assumptions::DATE_ORDER_DEFAULT, "date_order_default"),
        (Assumptions::READ_TIME, "read_time"),
        (Assumptions::EPOCH_FIELD, "epoch_field"),
        (Assumptions::FAR_FROM_NEIGHBOURS, "far_from_neighbours"),
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
    /// A date without a time of day.
    pub date_only: bool,
    /// What the stamp shows of its source's date order.
    pub learned: Learned,
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
#[derive(Debug, Clone, Default)]
pub struct DetectConfig {
    /// How ambiguous numeric dates are read.
    pub date_order: DateOrderMode,
    /// The zone of stamps that name none.
    pub default_zone: UserZone,
    /// The user's own formats (`--time-format`), tried first.
    pub user_formats: Vec<UserFormat>,
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

/// Finds the timestamp of `line`: every plausible stamp in the whole line
/// is a candidate, and the most complete one wins (date and time over
/// either alone, a year over none, an explicit zone over none; the
/// earliest of equals). The place where this source wrote its last stamp
/// is tried first, and taken without looking further when it holds a stamp
/// as good as then: lines of one source share their stamp's shape.
pub fn detect(line: &[u8], ctx: &mut Context<'_>) -> Option<Detected> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if line[start] == b'{' {
        return json::detect_object(line, start, ctx);
    }
    if let Some((pos, format, score)) = ctx.evidence.place() {
        if pos < line.len() && (pos == start || is_candidate_place(line, pos)) {
            if let Some(found) = candidate(line, pos, ctx) {
                if found.detected.timestamp.format == format && found.score >= score && !found.epoch_field {
                    return Some(finish(found, ctx));
                }
            }
        }
    }
    // The first stamp with a time of day is the line's: a header comes
    // first, and stamps later in a message are about other things (a
    // build date, a request's start).
    let mut first_dated: Option<Candidate> = None;
    let mut primary: Option<Candidate> = None;
    let mut epoch_field: Option<Candidate> = None;
    let places =
        std::iter::once(start).chain((start + 1..line.len()).filter(|&i| is_candidate_place(line, i)));
    for pos in places {
        let Some(found) = candidate(line, pos, ctx) else {
            continue;
        };
        let slot = if found.epoch_field {
            &mut epoch_field
        } else if found.date_only {
            &mut first_dated
        } else {
            &mut primary
        };
        slot.get_or_insert(found);
        // Nothing after the first stamp with a clock can change the choice.
        if primary.is_some() {
            break;
        }
    }
    // A bare number as a field is Unix time when it comes before the
    // line's stamp and agrees with a stamp beside it (a local date or clock
    // beside the exact instant, as supercomputer logs write them), or when
    // the line has no other stamp; otherwise it is an id, a count, or
    // another moment.
    let chosen = match epoch_field {
        Some(epoch) => {
            let before_primary = primary
                .as_ref()
                .is_none_or(|p| epoch.detected.span.start < p.detected.span.start);
            // The stamp nearest after it is its witness.
            let witness = [primary.as_ref(), first_dated.as_ref()]
                .into_iter()
                .flatten()
                .min_by_key(|c| c.detected.span.start);
            if before_primary && witness.is_none_or(|w| agrees(w, &epoch)) {
                Some(epoch)
            } else {
                primary.or(first_dated)
            }
        }
        None => primary.or(first_dated),
    };
    chosen.map(|chosen| finish(chosen, ctx))
}

/// A candidate stamp, how good it is, and the evidence reading it left.
struct Candidate {
    detected: Detected,
    score: i32,
    /// A bare number standing as a field, read as Unix time.
    epoch_field: bool,
    /// A date without a time of day.
    date_only: bool,
    learned: Learned,
}

/// Whether a stamp may start at `i`: after a separator, at a digit, `<`
/// or a letter that starts a month or weekday name.
fn is_candidate_place(line: &[u8], i: usize) -> bool {
    let (Some(&before), Some(&at)) = (i.checked_sub(1).and_then(|b| line.get(b)), line.get(i)) else {
        return false;
    };
    BYTE_CLASS[at as usize] & CAN_START != 0
        && (BYTE_CLASS[before as usize] & SEPARATOR != 0
            // `Service:2021-05-19`, `Thread-1::INFO::2011-12-07`: after a
            // colon that ends a word, not inside a clock.
            || (before == b':' && i >= 2 && !line[i - 2].is_ascii_digit()))
}

/// A byte a stamp can start with: a digit, `<`, or the first letter of a
/// month or weekday name (klog's letters count only at the start of a line).
const CAN_START: u8 = 1;
/// A byte after which a stamp can start.
const SEPARATOR: u8 = 2;

/// `CAN_START` and `SEPARATOR` of every byte, looked up once per byte of a
/// line.
const BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let starts = b"0123456789<adfjmnostwADFJMNOSTW";
    let mut i = 0;
    while i < starts.len() {
        class[starts[i] as usize] |= CAN_START;
        i += 1;
    }
    let separators = b" \t[(\"'=|,;#+<>";
    let mut i = 0;
    while i < separators.len() {
        class[separators[i] as usize] |= SEPARATOR;
        i += 1;
    }
    class
};

/// Reads the stamp at `pos`, if any, in the light of the source's
/// evidence (which only the chosen stamp adds to); rejects shapes that are
/// something else.
fn candidate(line: &[u8], pos: usize, ctx: &mut Context<'_>) -> Option<Candidate> {
    let (parts, format, span) = read_at(line, pos, ctx)?;
    if looks_like_something_else(line, &parts, format, &span) {
        return None;
    }
    let epoch_field = is_epoch(format) && !epoch_allowed(line, pos);
    let mut timestamp = resolve(parts, format, ctx)?;
    if epoch_field {
        let now = ctx.now + TimeDelta::days(1);
        let earliest = DateTime::from_timestamp(946_684_800, 0)?;
        if timestamp.instant < earliest || timestamp.instant > now {
            return None;
        }
        timestamp.assumptions |= Assumptions::EPOCH_FIELD;
    }
    let score = score(&timestamp, parts.date_only);
    Some(Candidate {
        detected: Detected { timestamp, span },
        score,
        epoch_field,
        date_only: parts.date_only,
        learned: parts.learned,
    })
}

/// Takes `chosen` as the line's stamp: what it showed joins the source's evidence,
/// and a stamp far from the source's last one is flagged.
fn finish(mut chosen: Candidate, ctx: &mut Context<'_>) -> Detected {
    ctx.evidence.learn(chosen.learned);
    let timestamp = &mut chosen.detected.timestamp;
    if let Some(last) = ctx.evidence.last() {
        if (timestamp.instant - last).abs() > TimeDelta::days(30) {
            timestamp.assumptions |= Assumptions::FAR_FROM_NEIGHBOURS;
        }
    }
    ctx.evidence.found(
        (chosen.detected.span.start, timestamp.format, chosen.score),
        timestamp.instant,
    );
    chosen.detected
}

/// How complete a stamp is: a time of day, a year and a zone each count;
/// guesses (century, day-or-month order) count against it.
fn score(timestamp: &Timestamp, date_only: bool) -> i32 {
    let a = timestamp.assumptions;
    let mut score = 0;
    if !date_only {
        score += 8;
    }
    if !a.contains(Assumptions::YEAR_INFERRED) {
        score += 8;
    }
    if !a.contains(Assumptions::DEFAULT_ZONE) {
        score += if a.contains(Assumptions::ZONE_ABBREVIATION) {
            3
        } else {
            6
        };
    }
    if a.contains(Assumptions::CENTURY_INFERRED) {
        score -= 2;
    }
    if a.contains(Assumptions::DATE_ORDER_DEFAULT) {
        score -= 2;
    }
    if is_epoch(timestamp.format) {
        score += 2;
    }
    score
}

/// Whether a Unix time agrees with the line's other stamp: the same day,
/// give or take one, whatever year that one has; and, when it has a
/// clock, the same minutes and seconds (zones shift whole quarter hours).
fn agrees(stamp: &Candidate, epoch: &Candidate) -> bool {
    let (a, b) = (stamp.detected.timestamp.instant, epoch.detected.timestamp.instant);
    let apart = (a.ordinal0() as i32 - b.ordinal0() as i32).rem_euclid(365);
    if apart > 1 && apart < 364 {
        return false;
    }
    if stamp.date_only {
        return true;
    }
    let delta = (a.num_seconds_from_midnight() as i64 - b.num_seconds_from_midnight() as i64).rem_euclid(900);
    delta <= 60 || delta >= 840
}

fn is_epoch(format: Format) -> bool {
    matches!(
        format,
        Format::EpochSeconds | Format::EpochMillis | Format::EpochMicros | Format::EpochNanos
    )
}

/// Shapes that read as dates but are not: numbers of an IPv4 address
/// (`10.12.14.7`, `10.10.10.10/24`), and dotted dates with a two-digit
/// year and no time, which are version numbers far more often
/// (`2.10.26`).
fn looks_like_something_else(line: &[u8], parts: &Parts, format: Format, span: &Range<usize>) -> bool {
    let dotted = line[span.clone()].contains(&b'.')
        && matches!(
            format,
            Format::NumericDmy | Format::NumericMdy | Format::NumericYmd
        );
    if !dotted {
        return false;
    }
    let before_dot = span.start >= 2 && line[span.start - 1] == b'.' && line[span.start - 2].is_ascii_digit();
    let after_dot =
        line.get(span.end) == Some(&b'.') && line.get(span.end + 1).is_some_and(u8::is_ascii_digit);
    before_dot || after_dot || (parts.date_only && parts.assumptions.contains(Assumptions::CENTURY_INFERRED))
}

/// What a family read: the parts, the format, and the bytes they came from.
pub(crate) type Read = (Parts, Format, Range<usize>);

/// Tries the families that can start with the byte at `pos`.
fn read_at(line: &[u8], pos: usize, ctx: &mut Context<'_>) -> Option<Read> {
    if let Some(read) = ctx
        .config
        .user_formats
        .iter()
        .find_map(|format| format.parse(line, pos))
    {
        return Some(read);
    }
    let first = line[pos];
    if first.is_ascii_digit() {
        iso::parse(line, pos)
            .or_else(|| numeric::parse_year_first(line, pos))
            .or_else(|| table::parse(line, pos))
            .or_else(|| numeric::parse_day_or_month_first(line, pos, ctx))
            .or_else(|| rfc2822::parse_without_weekday(line, pos))
            .or_else(|| epoch::parse(line, pos))
    } else if first == b'<' {
        syslog::parse_with_priority(line, pos)
    } else if first.is_ascii_alphabetic() {
        klog::parse(line, pos)
            .or_else(|| ctime::parse(line, pos))
            .or_else(|| rfc2822::parse(line, pos))
            .or_else(|| syslog::parse(line, pos))
            .or_else(|| table::parse(line, pos))
    } else {
        None
    }
}

/// Bare digit runs are epoch stamps at the start of a line or as the value
/// of a time-like key; elsewhere only as a field of their own, checked
/// against the line ([`detect`]).
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
    match cursor.fraction().or_else(|| colon_fraction(cursor)) {
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

/// A fraction after a colon, `18:03:08:317` (Java's `HH:mm:ss:SSS`): one
/// to three digits are milliseconds, unpadded as `SSS` writes them where
/// it pads nothing (`:11` is 11 ms); six are microseconds, nine
/// nanoseconds.
fn colon_fraction(cursor: &mut Cursor<'_>) -> Option<(u32, u8)> {
    let save = *cursor;
    let read = (|| {
        cursor.require(b':')?;
        let (value, digits) = cursor.digits_between(1, 9)?;
        if !cursor.at_boundary() {
            return None;
        }
        match digits {
            1..=3 => Some((value as u32 * 1_000_000, 3)),
            6 => Some((value as u32 * 1_000, 6)),
            9 => Some((value as u32, 9)),
            _ => None,
        }
    })();
    if read.is_none() {
        *cursor = save;
    }
    read
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
            // `GMT-0500` (JavaScript's Date): the offset says it all.
            if name.is_utc() {
                if let Some(offset) = zone::offset(cursor) {
                    parts.zone = Some(offset);
                }
            }
            return false;
        }
        if let Some(named) = zone::iana(cursor) {
            parts.zone = Some(named);
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
            Some(zone) => zone.to_utc(local),
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
    // RFC 3339 writes years 0000 to 9999: an instant outside them (a
    // placeholder such as 9999-12-31T23:59:59-14:00) is not written.
    if !(0..=9999).contains(&instant.year()) {
        return None;
    }
    match parts.zone {
        None => assumptions |= Assumptions::DEFAULT_ZONE,
        Some(ZoneSpec::Abbreviation(_)) => assumptions |= Assumptions::ZONE_ABBREVIATION,
        Some(ZoneSpec::Offset(_) | ZoneSpec::Named(_)) => {}
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
            parts.learned.order = Some(DateOrder::Dmy);
            Some(DateOrder::Dmy)
        }
        (false, true) => {
            parts.learned.order = Some(DateOrder::Mdy);
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
