//! Day, month name and year joined by `/` or `-`: the Common Log Format of
//! Apache and nginx access logs (`26/Nov/2026:18:03:08 +0000`, usually in
//! brackets), Django's `26/Nov/2026 18:03:08` and Tomcat's
//! `26-Nov-2026 18:03:08.123`.

use super::cursor::Cursor;
use super::{time_of_day, Format, Parts, Read};

/// `DD/Mon/YYYY:hh:mm:ss[ zone]`, or with `-` and a space before the time.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let (day, _) = c.digits_between(1, 2)?;
    let separator = c.eat_any(b"/-")?;
    let month = c.month()?;
    c.require(separator)?;
    let year = c.digits(4)? as i32;
    let format = match c.eat_any(b": ")? {
        b':' if separator == b'/' => Format::Clf,
        b' ' => Format::DayMonthName,
        _ => return None,
    };
    let mut parts = Parts {
        year: Some(year),
        month,
        day: day as u32,
        ..Parts::default()
    };
    time_of_day(&mut c, &mut parts, false)?;
    c.at_boundary().then_some((parts, format, pos..c.pos()))
}
