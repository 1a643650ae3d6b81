//! Fixed-shape stamps as rows of a table: a new shape of this kind is one
//! row and a test.
//!
//! Each row is a pattern in strftime's letters, read by a small
//! interpreter over the line's bytes (no allocation; a row that does not
//! fit fails on its first byte that differs). The families with a reading
//! to decide (ISO 8601's many forms, day-or-month order, syslog, epoch
//! numbers) stay code in their own modules; what has one layout is here.
//!
//! | in a pattern | reads |
//! |---|---|
//! | `^` (first) | the row applies only where the line starts |
//! | `%Y` | four-digit year |
//! | `%y` | two-digit year (69 and below are 20xx, said in the assumptions) |
//! | `%m` `%d` `%H` `%M` `%S` | one or two digits; exactly two when another field follows at once (`%y%m%d`) |
//! | `%b` | a month name, abbreviated or in full |
//! | `%T` | a clock as every family reads it: `H:MM[:SS]`, a fraction after `.`, `,` or `:`, AM/PM, then an optional zone |
//! | a space | one or more spaces |
//! | any other byte | itself |

use super::{expand_two_digit_year, time_of_day, Format, Parts, Read};
use crate::cursor::Cursor;

/// One fixed shape: the format it is reported as, its pattern, and what
/// its first field looks like (worked out from the pattern when the table
/// is built), so that most places are turned down without reading.
struct Row {
    format: Format,
    pattern: &'static [u8],
    anchored: bool,
    head: Head,
}

/// The start of a row's stamp: a run of digits (`min..=max` long) or a
/// month name, then the byte that ends it.
#[derive(Clone, Copy)]
struct Head {
    digits: bool,
    min: usize,
    max: usize,
    then: u8,
}

/// A row of the table: `pattern` as in the module's table of letters.
const fn row(format: Format, pattern: &'static [u8]) -> Row {
    let anchored = !pattern.is_empty() && pattern[0] == b'^';
    let mut i = anchored as usize;
    let mut head = Head {
        digits: true,
        min: 0,
        max: 0,
        then: 0,
    };
    // Sum the widths of the digit fields that abut at the start.
    while i + 1 < pattern.len() && pattern[i] == b'%' {
        let abutting = i + 2 < pattern.len() && pattern[i + 2] == b'%';
        let (min, max) = match pattern[i + 1] {
            b'Y' => (4, 4),
            b'y' => (2, 2),
            b'b' => {
                head.digits = false;
                (3, 9)
            }
            _ if abutting => (2, 2),
            _ => (1, 2),
        };
        head.min += min;
        head.max += max;
        i += 2;
        if !head.digits {
            break;
        }
    }
    if i < pattern.len() {
        head.then = pattern[i];
    }
    Row {
        format,
        pattern,
        anchored,
        head,
    }
}

/// The rows, tried in order; the first that reads a whole stamp ending at
/// a token boundary wins. Rows starting with a digit are tried only at a
/// digit, the others only at a letter.
const ROWS: &[Row] = &[
    // (At most 16 rows: `ROWS_BY_HEAD` keeps a bit per row.)
    // Apache and nginx access logs (Common Log Format), inside brackets.
    row(Format::Clf, b"%d/%b/%Y:%T"),
    // Django's `26/Nov/2026 18:03:08`, Tomcat's `26-Nov-2026 18:03:08.123`.
    row(Format::DayMonthName, b"%d/%b/%Y %T"),
    row(Format::DayMonthName, b"%d-%b-%Y %T"),
    // Android logcat `03-17 16:13:38.811`, Proxifier `10.30 16:49:06`: no year.
    row(Format::MonthDay, b"%m-%d %T"),
    row(Format::MonthDay, b"%m.%d %T"),
    // MySQL 5's `170213 16:00:33` and `130324  0:04:00`.
    row(Format::Yymmdd, b"%y%m%d %T"),
    // Hadoop 0.x `081109 203615`: at the start only, since elsewhere two
    // six-digit numbers are anything.
    row(Format::Yymmdd, b"^%y%m%d %H%M%S"),
    // DirectAdmin's `2014:07:02-00:17:45`.
    row(Format::YmdSlash, b"%Y:%m:%d-%T"),
    // ASSP's `Apr-07-13 07:08:36`.
    row(Format::MonthNameFirst, b"%b-%d-%y %T"),
];

/// For each kind of start (digits, letters) and each byte that can end
/// it, the rows whose first field ends so: most places have none, and cost
/// one lookup.
const ROWS_BY_HEAD: [[u16; 256]; 2] = {
    let mut table = [[0u16; 256]; 2];
    let mut i = 0;
    while i < ROWS.len() {
        let head = ROWS[i].head;
        table[head.digits as usize][head.then as usize] |= 1 << i;
        i += 1;
    }
    table
};

/// The stamp at `pos` of the first row that reads one.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    let digits = line[pos].is_ascii_digit();
    let run = line[pos..]
        .iter()
        .take_while(|b| {
            if digits {
                b.is_ascii_digit()
            } else {
                b.is_ascii_alphabetic()
            }
        })
        .count();
    let then = line.get(pos + run).copied().unwrap_or(0);
    let mut rows = ROWS_BY_HEAD[digits as usize][then as usize];
    while rows != 0 {
        let row = &ROWS[rows.trailing_zeros() as usize];
        rows &= rows - 1;
        let fits = (row.head.min..=row.head.max).contains(&run)
            && (!row.anchored || line[..pos].iter().all(u8::is_ascii_whitespace));
        if let Some(read) = fits.then(|| read_row(row, line, pos)).flatten() {
            return Some(read);
        }
    }
    None
}

/// Reads `row` at `pos`: the stamp, or `None` at the first byte that does not fit.
fn read_row(row: &Row, line: &[u8], pos: usize) -> Option<Read> {
    let pattern = &row.pattern[row.anchored as usize..];
    let mut c = Cursor::new(line, pos);
    let mut parts = Parts {
        date_only: true,
        ..Parts::default()
    };
    let mut i = 0;
    while i < pattern.len() {
        let byte = pattern[i];
        if byte == b' ' {
            c.spaces()?;
            i += 1;
            continue;
        }
        if byte != b'%' {
            c.require(byte)?;
            i += 1;
            continue;
        }
        let spec = *pattern.get(i + 1)?;
        i += 2;
        let abutting = pattern.get(i) == Some(&b'%');
        let field = |c: &mut Cursor<'_>| {
            if abutting {
                c.digits(2)
            } else {
                c.digits_between(1, 2).map(|(value, _)| value as u32)
            }
        };
        match spec {
            b'Y' => parts.year = Some(c.digits(4)? as i32),
            b'y' => {
                let yy = c.digits(2)?;
                parts.year = Some(expand_two_digit_year(yy, &mut parts));
            }
            b'm' => parts.month = field(&mut c)?,
            b'd' => parts.day = field(&mut c)?,
            b'b' => parts.month = c.month()?,
            b'H' => (parts.hour, parts.date_only) = (field(&mut c)?, false),
            b'M' => parts.minute = field(&mut c)?,
            b'S' => parts.second = field(&mut c)?,
            b'T' => {
                time_of_day(&mut c, &mut parts, false)?;
                parts.date_only = false;
            }
            _ => return None,
        }
    }
    c.at_boundary().then_some((parts, row.format, pos..c.pos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<(Parts, Format, std::ops::Range<usize>)> {
        parse(line.as_bytes(), 0)
    }

    #[test]
    fn every_pattern_uses_only_the_letters_the_interpreter_knows() {
        for row in ROWS {
            let pattern = row.pattern.strip_prefix(b"^").unwrap_or(row.pattern);
            let mut specs = pattern.split(|&b| b == b'%').skip(1);
            assert!(
                specs.all(|s| s.first().is_some_and(|b| b"YymdbHMST".contains(b))),
                "{}",
                String::from_utf8_lossy(row.pattern)
            );
        }
    }

    #[test]
    fn each_row_reads_its_shape() {
        let cases = [
            (
                "26/Nov/2026:18:03:08 +0000]",
                Format::Clf,
                (Some(2026), 11, 26, 18),
                26,
            ),
            (
                "26-Nov-2026 18:03:08.123 INFO",
                Format::DayMonthName,
                (Some(2026), 11, 26, 18),
                24,
            ),
            (
                "03-17 16:13:38.811  1702",
                Format::MonthDay,
                (None, 3, 17, 16),
                18,
            ),
            ("10.30 16:49:06] chrome", Format::MonthDay, (None, 10, 30, 16), 14),
            (
                "130324  0:04:00 [Warning]",
                Format::Yymmdd,
                (Some(2013), 3, 24, 0),
                15,
            ),
            (
                "081109 203615 148 INFO",
                Format::Yymmdd,
                (Some(2008), 11, 9, 20),
                13,
            ),
            (
                "2014:07:02-00:17:45: '3.2.1.4'",
                Format::YmdSlash,
                (Some(2014), 7, 2, 0),
                19,
            ),
            (
                "Apr-07-13 07:08:36 [SSL-out]",
                Format::MonthNameFirst,
                (Some(2013), 4, 7, 7),
                18,
            ),
        ];
        for (line, format, (year, month, day, hour), end) in cases {
            let (parts, found, span) = read(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(found, format, "{line}");
            assert_eq!(
                (parts.year, parts.month, parts.day, parts.hour),
                (year, month, day, hour),
                "{line}"
            );
            assert_eq!(span, 0..end, "{line}");
        }
    }

    #[test]
    fn rows_do_not_read_what_is_not_a_stamp() {
        // Two six-digit numbers inside a line, a day without a clock, a
        // stamp that runs into a word.
        assert!(parse(b"id 081109 203615", 3).is_none());
        assert!(read("26/Nov/2026 INFO").is_none());
        assert!(read("03-17 16:13:38x").is_none());
        assert!(read("1234567 12:00:00").is_none());
    }
}
