//! Unix epoch stamps, their unit told by the digit count: 10 digits are
//! seconds (optionally with a fraction), 13 milliseconds, 16 microseconds,
//! 19 nanoseconds. That covers the years 2001 to 2286.

use chrono::{DateTime, Datelike, Timelike};

use super::{Format, Parts, Read};
use crate::cursor::Cursor;
use crate::zone::ZoneSpec;

/// A 10-, 13-, 16- or 19-digit number ending at a token boundary.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let (value, digits) = c.digits_between(10, 19)?;
    let (format, nanos, precision) = match digits {
        10 => {
            let (fraction, precision) = c.fraction().unwrap_or((0, 0));
            (
                Format::EpochSeconds,
                value as i128 * 1_000_000_000 + i128::from(fraction),
                precision,
            )
        }
        13 => (Format::EpochMillis, value as i128 * 1_000_000, 3),
        16 => (Format::EpochMicros, value as i128 * 1_000, 6),
        19 => (Format::EpochNanos, value as i128, 9),
        _ => return None,
    };
    if !c.at_boundary() {
        return None;
    }
    let parts = parts_of(nanos, precision)?;
    Some((parts, format, pos..c.pos()))
}

/// The UTC calendar fields of an instant given in nanoseconds since the epoch.
pub(super) fn parts_of(nanos: i128, precision: u8) -> Option<Parts> {
    let seconds = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let instant = DateTime::from_timestamp(seconds, nanos.rem_euclid(1_000_000_000) as u32)?;
    Some(Parts {
        year: Some(instant.year()),
        month: instant.month(),
        day: instant.day(),
        hour: instant.hour(),
        minute: instant.minute(),
        second: instant.second(),
        nanos: instant.nanosecond(),
        precision,
        zone: Some(ZoneSpec::Offset(0)),
        ..Parts::default()
    })
}
