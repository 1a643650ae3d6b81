//! RFC 2822 and RFC 1123 (mail, HTTP): `Thu, 26 Nov 2026 18:03:08 +0000`,
//! `... GMT`, the same without the weekday, and `date` in day-first
//! locales: `Thu 26 Nov 2026 06:03:08 PM UTC`.

use super::{expand_two_digit_year, time_of_day, Format, Parts, Read};
use crate::cursor::Cursor;

/// `Wkd[,] D Mon YYYY hh:mm[:ss][ zone]`.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    if !c.weekday() {
        return None;
    }
    c.eat(b',');
    c.spaces()?;
    let (parts, end) = day_month_year_time(&mut c)?;
    Some((parts, Format::Rfc2822, pos..end))
}

/// `D Mon YYYY hh:mm[:ss][ zone]`, without a weekday.
pub(super) fn parse_without_weekday(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let (parts, end) = day_month_year_time(&mut c)?;
    Some((parts, Format::Rfc2822, pos..end))
}

fn day_month_year_time(c: &mut Cursor<'_>) -> Option<(Parts, usize)> {
    let (day, _) = c.digits_between(1, 2)?;
    c.spaces()?;
    let month = c.month()?;
    c.spaces()?;
    let mut parts = Parts {
        month,
        day: day as u32,
        ..Parts::default()
    };
    let (year, digits) = c.digits_between(2, 4)?;
    parts.year = Some(match digits {
        4 => year as i32,
        2 => expand_two_digit_year(year as u32, &mut parts),
        _ => return None,
    });
    c.spaces()?;
    time_of_day(c, &mut parts, true)?;
    c.at_boundary().then_some((parts, c.pos()))
}
