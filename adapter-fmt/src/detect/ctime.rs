//! `date`, ctime and asctime output, and the Apache error log:
//! `Thu Nov 26 18:03:08 UTC 2026`, `Thu Nov  6 18:03:08 2026`,
//! `Sun Dec 04 04:47:44.123456 2005`, `Thu Nov 26 06:03:08 PM UTC 2026`.

use super::{time_of_day, Format, Parts, Read};
use crate::cursor::Cursor;

/// `Wkd Mon D hh:mm:ss[.f][ AM|PM][ ZONE] YYYY`.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    c.weekday().then_some(())?;
    c.spaces()?;
    let month = c.month()?;
    c.eat_spaces();
    let (day, _) = c.digits_between(1, 2)?;
    c.spaces()?;
    let mut parts = Parts {
        month,
        day: day as u32,
        ..Parts::default()
    };
    time_of_day(&mut c, &mut parts, false)?;
    c.spaces()?;
    parts.year = Some(c.digits(4)? as i32);
    c.at_boundary().then_some((parts, Format::Ctime, pos..c.pos()))
}
