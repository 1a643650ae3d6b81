//! ISO 8601 and RFC 3339, and the formats built on them: log4j's comma
//! fraction, Go's `time.String()`, and the compact basic form.

use super::{time_of_day, Format, Parts, Read};
use crate::cursor::Cursor;
use crate::zone;

/// `YYYY-MM-DD[T ]hh:mm:ss[.f][zone]` or `YYYYMMDDThhmmss[.f][zone]`.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let year = c.digits(4)? as i32;
    if !c.eat(b'-') {
        return compact(line, pos, year);
    }
    let month = c.digits(2)?;
    c.require(b'-')?;
    let day = c.digits(2)?;
    let t_separated = c.eat_any(b"Tt").is_some();
    if !t_separated && !c.eat(b' ') {
        return None;
    }
    let mut parts = Parts {
        year: Some(year),
        month,
        day,
        ..Parts::default()
    };
    let style = time_of_day(&mut c, &mut parts, false)?;
    if !c.at_boundary() {
        return None;
    }
    let format = if style.offset_and_name {
        Format::GoTime
    } else if style.comma_fraction {
        Format::Log4j
    } else if t_separated && matches!(parts.zone, Some(zone::ZoneSpec::Offset(_))) {
        Format::Rfc3339
    } else {
        Format::Iso8601
    };
    Some((parts, format, pos..c.pos()))
}

/// The basic form: `20261126T180308Z`, `20261126T180308.123+0100`; and
/// a compact date before an extended clock: `20171223-22:15:29:606`
/// (HealthApp), `20260327 11:34:21.908` (Robot Framework).
fn compact(line: &[u8], pos: usize, year: i32) -> Option<Read> {
    let mut c = Cursor::new(line, pos + 4);
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    if let Some(b'-' | b' ') = c.peek() {
        c.eat_any(b"- ")?;
        let mut parts = Parts {
            year: Some(year),
            month,
            day,
            ..Parts::default()
        };
        time_of_day(&mut c, &mut parts, false)?;
        return c
            .at_boundary()
            .then_some((parts, Format::Iso8601Compact, pos..c.pos()));
    }
    c.eat_any(b"Tt")?;
    let mut parts = Parts {
        year: Some(year),
        month,
        day,
        hour: c.digits(2)?,
        minute: c.digits(2)?,
        second: c.digits(2)?,
        ..Parts::default()
    };
    if let Some((nanos, precision)) = c.fraction() {
        parts.nanos = nanos;
        parts.precision = precision;
    }
    parts.zone = zone::offset(&mut c);
    if !c.at_boundary() {
        return None;
    }
    Some((parts, Format::Iso8601Compact, pos..c.pos()))
}
