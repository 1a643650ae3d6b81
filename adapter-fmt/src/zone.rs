//! Time zones as logs write them (`Z`, `+0100`, `+01:00`, `UTC`, `CET`),
//! and as users name them (`--default-tz`, `--output-tz`).

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::cursor::Cursor;

/// Zone abbreviations understood in timestamps, with their offset from UTC
/// in seconds. Abbreviations are ambiguous in general; this table takes the
/// most common reading (IST is India, BST is British Summer Time, CST is US
/// Central). A stamp with any other abbreviation keeps it in its message
/// and gets the default zone.
pub const ABBREVIATIONS: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("MET", 3600),
    ("MEST", 7200),
    ("EET", 7200),
    ("EEST", 10800),
    ("MSK", 10800),
    ("IST", 19800),
    ("PKT", 18000),
    ("ICT", 25200),
    ("WIB", 25200),
    ("CST", -21600),
    ("CDT", -18000),
    ("EST", -18000),
    ("EDT", -14400),
    ("MST", -25200),
    ("MDT", -21600),
    ("PST", -28800),
    ("PDT", -25200),
    ("AKST", -32400),
    ("AKDT", -28800),
    ("HST", -36000),
    ("AST", -14400),
    ("ADT", -10800),
    ("NST", -12600),
    ("NDT", -9000),
    ("BRT", -10800),
    ("ART", -10800),
    ("HKT", 28800),
    ("SGT", 28800),
    ("AWST", 28800),
    ("PHT", 28800),
    ("JST", 32400),
    ("KST", 32400),
    ("ACST", 34200),
    ("ACDT", 37800),
    ("AEST", 36000),
    ("AEDT", 39600),
    ("NZST", 43200),
    ("NZDT", 46800),
    ("SAST", 7200),
    ("CAT", 7200),
    ("EAT", 10800),
    ("WAT", 3600),
];

/// What a timestamp said about its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSpec {
    /// A numeric offset or `Z`: seconds east of UTC.
    Offset(i32),
    /// An abbreviation from [`ABBREVIATIONS`], with its offset.
    Abbreviation(i32),
    /// An IANA zone named in the line (`Asia/Kolkata`, PHP's error log).
    Named(Tz),
}

impl ZoneSpec {
    /// The offset from UTC in seconds, unless the zone is a named one
    /// (whose offset depends on the date).
    pub fn fixed_seconds(self) -> Option<i32> {
        match self {
            ZoneSpec::Offset(seconds) | ZoneSpec::Abbreviation(seconds) => Some(seconds),
            ZoneSpec::Named(_) => None,
        }
    }

    /// The instant of wall-clock time `local` in this zone.
    pub fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            ZoneSpec::Offset(s) | ZoneSpec::Abbreviation(s) => {
                (local - TimeDelta::seconds(i64::from(s))).and_utc()
            }
            ZoneSpec::Named(tz) => UserZone::Named(tz).to_utc(local),
        }
    }
}

impl ZoneSpec {
    /// `UTC`, `GMT`, `UT` or `Z`: zero, whatever its spelling.
    pub fn is_utc(self) -> bool {
        matches!(self, ZoneSpec::Abbreviation(0) | ZoneSpec::Offset(0))
    }
}

/// An IANA zone name (`Asia/Kolkata`, `America/Argentina/Buenos_Aires`),
/// ending at a token boundary.
pub fn iana(cursor: &mut Cursor<'_>) -> Option<ZoneSpec> {
    let start = cursor.pos();
    let mut len = 0;
    while cursor
        .peek_at(len)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
    {
        len += 1;
    }
    let name = std::str::from_utf8(cursor.slice(start, start + len)).ok()?;
    if !name.contains('/') || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let tz = name.parse::<Tz>().ok()?;
    cursor.advance(len);
    Some(ZoneSpec::Named(tz))
}

/// `Z`, `+hh`, `+hhmm` or `+hh:mm` (or `-`), ending at a token boundary.
pub fn offset(cursor: &mut Cursor<'_>) -> Option<ZoneSpec> {
    let save = *cursor;
    if cursor.eat_any(b"Zz").is_some() {
        if cursor.at_boundary() {
            return Some(ZoneSpec::Offset(0));
        }
        *cursor = save;
        return None;
    }
    let parsed = (|| {
        let sign = match cursor.eat_any(b"+-")? {
            b'+' => 1,
            _ => -1,
        };
        let hours = cursor.digits(2)?;
        let minutes = if cursor.eat(b':') {
            cursor.digits(2)?
        } else {
            cursor.digits(2).unwrap_or(0)
        };
        // RFC 3339 allows offsets up to ±23:59.
        if hours > 23 || minutes > 59 || !cursor.at_boundary() {
            return None;
        }
        Some(ZoneSpec::Offset(
            sign * (hours as i32 * 3600 + minutes as i32 * 60),
        ))
    })();
    if parsed.is_none() {
        *cursor = save;
    }
    parsed
}

/// An abbreviation from [`ABBREVIATIONS`] (upper case, as logs write them).
pub fn abbreviation(cursor: &mut Cursor<'_>) -> Option<ZoneSpec> {
    let start = cursor.pos();
    let mut len = 0;
    while cursor.peek_at(len).is_some_and(|b| b.is_ascii_uppercase()) {
        len += 1;
    }
    if !(2..=4).contains(&len) || cursor.peek_at(len).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut probe = *cursor;
    for &(name, seconds) in ABBREVIATIONS {
        if name.len() == len && probe.eat_word(name.as_bytes()) {
            debug_assert_eq!(probe.pos(), start + len);
            *cursor = probe;
            return Some(ZoneSpec::Abbreviation(seconds));
        }
    }
    None
}

/// A zone the user named (`--default-tz`, `--output-tz`): an IANA name or a
/// fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserZone {
    /// A fixed offset from UTC (`UTC`, `+02:00`).
    Fixed(FixedOffset),
    /// An IANA zone (`Europe/Berlin`), with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl Default for UserZone {
    fn default() -> Self {
        UserZone::Fixed(FixedOffset::east_opt(0).expect("0 is a valid offset"))
    }
}

impl FromStr for UserZone {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Ok(tz) = text.parse::<chrono_tz::Tz>() {
            return Ok(UserZone::Named(tz));
        }
        let mut cursor = Cursor::new(text.as_bytes(), 0);
        let spec = offset(&mut cursor).or_else(|| abbreviation(&mut cursor));
        match spec.and_then(ZoneSpec::fixed_seconds) {
            Some(seconds) if cursor.pos() == text.len() => FixedOffset::east_opt(seconds)
                .map(UserZone::Fixed)
                .ok_or_else(|| format!("offset out of range: {text}")),
            _ => Err(format!(
                "unknown time zone {text:?}: give an IANA name (Europe/Berlin), an offset (+01:00) or UTC"
            )),
        }
    }
}

impl UserZone {
    /// The offset from UTC in force at `instant`.
    pub fn offset_at(&self, instant: DateTime<Utc>) -> FixedOffset {
        match self {
            UserZone::Fixed(offset) => *offset,
            UserZone::Named(tz) => {
                chrono::offset::Offset::fix(&tz.offset_from_utc_datetime(&instant.naive_utc()))
            }
        }
    }

    /// The instant of a wall-clock time in this zone. A time that occurs
    /// twice (the hour repeated when daylight saving ends) is taken at its
    /// first occurrence; a time that never occurs (the hour skipped when it
    /// starts) is read with the offset in force just before the gap.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            UserZone::Fixed(offset) => (local - *offset).and_utc(),
            UserZone::Named(tz) => match tz.from_local_datetime(&local).earliest() {
                Some(dt) => dt.with_timezone(&Utc),
                None => {
                    let before = local - chrono::Duration::hours(1);
                    let offset = tz
                        .offset_from_local_datetime(&before)
                        .earliest()
                        .map_or(0, |o| chrono::offset::Offset::fix(&o).local_minus_utc());
                    (local - chrono::Duration::seconds(i64::from(offset))).and_utc()
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_offset(text: &str) -> Option<i32> {
        offset(&mut Cursor::new(text.as_bytes(), 0))?.fixed_seconds()
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("Z"), Some(0));
        assert_eq!(parse_offset("+0530"), Some(19800));
        assert_eq!(parse_offset("-08:00"), Some(-28800));
        assert_eq!(parse_offset("+01"), Some(3600));
        assert_eq!(parse_offset("+0100x"), None);
        assert_eq!(parse_offset("Zulu"), None);
    }

    #[test]
    fn abbreviations() {
        let mut c = Cursor::new(b"CEST 2026", 0);
        assert_eq!(abbreviation(&mut c), Some(ZoneSpec::Abbreviation(7200)));
        assert_eq!(c.pos(), 4);
        assert_eq!(abbreviation(&mut Cursor::new(b"ERROR", 0)), None);
        assert_eq!(abbreviation(&mut Cursor::new(b"XYZ", 0)), None);
    }

    #[test]
    fn default_zone_parsing_and_dst() {
        assert!("Europe/Berlin".parse::<UserZone>().is_ok());
        assert_eq!(
            "+02:00".parse::<UserZone>(),
            Ok(UserZone::Fixed(FixedOffset::east_opt(7200).unwrap()))
        );
        assert!("Mars/Olympus".parse::<UserZone>().unwrap_err().contains("IANA"));
        let berlin: UserZone = "Europe/Berlin".parse().unwrap();
        let summer = NaiveDateTime::parse_from_str("2026-07-01 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(berlin.to_utc(summer).to_rfc3339(), "2026-07-01T10:00:00+00:00");
        // 02:30 on the last Sunday of March does not exist in Berlin.
        let gap = NaiveDateTime::parse_from_str("2026-03-29 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(berlin.to_utc(gap).to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }
}
