//! Timestamps led by a month name: syslog RFC 3164 (`Nov 26 18:03:08`,
//! `Nov  6 08:03:08`, no year), with a year (`Nov 26 2026 18:03:08`),
//! Java's `Nov 26, 2026 6:03:08 PM`; and syslog's priority prefix, which
//! leads either RFC 3164 or RFC 5424 (`<34>1 2026-11-26T18:03:08.003Z`).

use super::{iso, time_of_day, Format, Parts, Read};
use crate::cursor::Cursor;
use crate::zone::{self, ZoneSpec};

/// `Mon D hh:mm:ss`, `Mon D YYYY hh:mm:ss`, `Mon D, YYYY h:mm[:ss][ AM|PM]`.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let month = c.month()?;
    c.spaces()?;
    let (day, _) = c.digits_between(1, 2)?;
    let mut parts = Parts {
        month,
        day: day as u32,
        ..Parts::default()
    };
    let comma = c.eat(b',');
    c.spaces()?;
    let with_year = {
        let mut probe = c;
        probe
            .digits(4)
            .filter(|_| probe.eat_spaces() > 0)
            .map(|year| (year, probe))
    };
    let format = match with_year {
        Some((year, after)) => {
            parts.year = Some(year as i32);
            c = after;
            time_of_day(&mut c, &mut parts, true)?;
            Format::MonthNameFirst
        }
        None if !comma => {
            time_of_day(&mut c, &mut parts, false)?;
            Format::Syslog3164
        }
        None => return None,
    };
    if !c.at_boundary() {
        return None;
    }
    let mut start = pos;
    if parts.zone.is_none() {
        if let Some((zone, zone_start)) = zone_before(line, pos) {
            parts.zone = Some(zone);
            start = zone_start;
        }
    }
    Some((parts, format, start..c.pos()))
}

/// A zone abbreviation written before the month, as monit does
/// (`[PDT Apr 16 20:59:33]`): the zone and where it starts.
fn zone_before(line: &[u8], pos: usize) -> Option<(ZoneSpec, usize)> {
    let head = line[..pos].strip_suffix(b" ")?;
    let start = head
        .iter()
        .rposition(|b| !b.is_ascii_uppercase())
        .map_or(0, |i| i + 1);
    if start > 0 && line[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let zone = zone::abbreviation(&mut Cursor::new(line, start))?;
    Some((zone, start))
}

/// `<PRI>1 ` followed by RFC 3339 (RFC 5424), or `<PRI>` followed by RFC 3164.
pub(super) fn parse_with_priority(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    c.eat(b'<');
    c.digits_between(1, 3)?;
    c.require(b'>')?;
    let mut version = c;
    if version.eat(b'1') && version.eat(b' ') {
        let (parts, _, stamp) = iso::parse(line, version.pos())?;
        return Some((parts, Format::Syslog5424, pos..stamp.end));
    }
    let (parts, format, stamp) = parse(line, c.pos())?;
    Some((parts, format, pos..stamp.end))
}
