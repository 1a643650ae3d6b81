//! Dates written in numbers: `2026/11/26` (nginx error log, Go's log
//! package), and the ambiguous day-or-month-first forms `26/11/2026`,
//! `11/26/2026`, `26.11.2026`, `26-11-26`, each with or without a time.

use super::cursor::Cursor;
use super::{choose_order, expand_two_digit_year, time_of_day, Context, DateOrderMode, Format, Parts, Read};
use crate::evidence::DateOrder;

/// `YYYY/MM/DD[ time]`.
pub(super) fn parse_year_first(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let year = c.digits(4)? as i32;
    c.require(b'/')?;
    let (month, _) = c.digits_between(1, 2)?;
    c.require(b'/')?;
    let (day, _) = c.digits_between(1, 2)?;
    let mut parts = Parts {
        year: Some(year),
        month: month as u32,
        day: day as u32,
        ..Parts::default()
    };
    optional_time(&mut c, &mut parts)?;
    Some((parts, Format::YmdSlash, pos..c.pos()))
}

/// `A/B/Y`, `A.B.Y` or `A-B-Y` with one or two digits for A and B and two
/// or four for Y: which of A and B is the day is settled by
/// [`choose_order`].
pub(super) fn parse_day_or_month_first(line: &[u8], pos: usize, ctx: &mut Context<'_>) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let (first, _) = c.digits_between(1, 2)?;
    let separator = c.eat_any(b"/.-")?;
    let (second, _) = c.digits_between(1, 2)?;
    c.require(separator)?;
    let (third, third_digits) = c.digits_between(2, 4)?;
    if third_digits == 3 {
        return None;
    }
    let (first, second, third) = (first as u32, second as u32, third as u32);
    let mut parts = Parts::default();
    let two_digit_year_first =
        third_digits == 2 && ctx.config.date_order == DateOrderMode::Fixed(DateOrder::Ymd);
    let format = if two_digit_year_first {
        parts.year = Some(expand_two_digit_year(first, &mut parts));
        parts.month = second;
        parts.day = third;
        Format::NumericYmd
    } else {
        parts.year = Some(if third_digits == 2 {
            expand_two_digit_year(third, &mut parts)
        } else {
            third as i32
        });
        match choose_order(first, second, separator, ctx, &mut parts)? {
            DateOrder::Mdy => {
                parts.month = first;
                parts.day = second;
                Format::NumericMdy
            }
            DateOrder::Dmy | DateOrder::Ymd => {
                parts.day = first;
                parts.month = second;
                Format::NumericDmy
            }
        }
    };
    optional_time(&mut c, &mut parts)?;
    Some((parts, format, pos..c.pos()))
}

/// A time after a space, `T` or `:`, or nothing; the date must end at a
/// token boundary either way.
fn optional_time(c: &mut Cursor<'_>, parts: &mut Parts) -> Option<()> {
    let save = *c;
    if c.eat_any(b" T:").is_some() && time_of_day(c, parts, true).is_some() && c.at_boundary() {
        return Some(());
    }
    *c = save;
    c.at_boundary().then_some(())
}
