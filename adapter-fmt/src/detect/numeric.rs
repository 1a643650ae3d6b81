//! Dates written in numbers: `2026/11/26` (nginx error log, Go's log
//! package), and the ambiguous day-or-month-first forms `26/11/2026`,
//! `11/26/2026`, `26.11.2026`, `26-11-26`, each with or without a time.

use super::{
    choose_order, expand_two_digit_year, time_of_day, Assumptions, Context, DateOrderMode, Format, Parts,
    Read,
};
use crate::cursor::Cursor;
use chrono::NaiveDate;

use crate::evidence::DateOrder;

/// `YYYY/MM/DD[ time]`, also with `.` or `-` (a date alone: `2005.06.03`).
pub(super) fn parse_year_first(line: &[u8], pos: usize) -> Option<Read> {
    let mut c = Cursor::new(line, pos);
    let year = c.digits(4)? as i32;
    let separator = c.eat_any(b"/.-")?;
    let (month, _) = c.digits_between(1, 2)?;
    c.require(separator)?;
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
    // `17/06/09`: a first field above 12 is a day or a two-digit year.
    // log4j's `yy/MM/dd` (Spark, Hadoop) is the common one; the source
    // shows which by the field that changes from line to line.
    let ambiguous_year = third_digits == 2
        && first > 12
        && second <= 12
        && (1..=31).contains(&third)
        && ctx.config.date_order == DateOrderMode::Auto;
    let two_digit_year_first = if ambiguous_year {
        parts.learned.two_digit_fields = Some((first, third));
        ctx.evidence
            .two_digit_year_first(first, third)
            .unwrap_or_else(|| {
                parts.assumptions |= Assumptions::DATE_ORDER_DEFAULT;
                year_first_by_time(first, second, third, ctx)
            })
    } else {
        third_digits == 2 && ctx.config.date_order == DateOrderMode::Fixed(DateOrder::Ymd)
    };
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

/// Which reading of `A/B/C` (year first, or day first) a source that has
/// not shown its order means: the one nearer its last stamp; without one,
/// the one not in the future; else year first, log4j's `yy/MM/dd`.
fn year_first_by_time(first: u32, second: u32, third: u32, ctx: &Context<'_>) -> bool {
    let date = |year: u32, day: u32| NaiveDate::from_ymd_opt(2000 + year as i32, second, day);
    let (Some(year_first), Some(day_first)) = (date(first, third), date(third, first)) else {
        return date(first, third).is_some();
    };
    let distance = |d: NaiveDate, to: NaiveDate| (d - to).num_days().abs();
    match ctx.evidence.last() {
        Some(last) => {
            let last = last.date_naive();
            distance(year_first, last) <= distance(day_first, last)
        }
        None => {
            let tomorrow = (ctx.now + chrono::TimeDelta::days(1)).date_naive();
            !(year_first > tomorrow && day_first <= tomorrow)
        }
    }
}

/// A time after white space, `T`, `:` or `-`, or nothing; the date must end at a
/// token boundary either way.
fn optional_time(c: &mut Cursor<'_>, parts: &mut Parts) -> Option<()> {
    let save = *c;
    // A space (or several, or a tab: sssd, CloudFront), ` - `, `T`, `:`
    // or `-` (`24/03/2015-18:35:12`).
    let separated = match c.eat_any(b" \tT:-") {
        Some(b' ' | b'\t') => {
            while c.eat_any(b" \t").is_some() {}
            // Half-Life's `L 01/01/2014 - 01:25:17:`.
            if c.peek() == Some(b'-') && c.peek_at(1) == Some(b' ') {
                c.advance(2);
            }
            true
        }
        Some(_) => true,
        None => false,
    };
    if separated && time_of_day(c, parts, true).is_some() && c.at_boundary() {
        return Some(());
    }
    *c = save;
    parts.date_only = true;
    c.at_boundary().then_some(())
}
