//! The user's own formats (`--time-format`, strftime as chrono reads it,
//! e.g. `%y%m%d %H%M%S`): a source whose stamp no built-in shape knows is
//! read with one row of the user's, tried first at every candidate place,
//! and otherwise treated as every other stamp (a missing year inferred, a
//! missing zone the default one, said in the assumptions).

use chrono::format::{parse_and_remainder, Item, Parsed, StrftimeItems};
use chrono::{DateTime, Timelike};

use super::{epoch, expand_two_digit_year, Format, Parts, Read};
use crate::cursor::Cursor;
use crate::zone::ZoneSpec;

/// A strftime format the user gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFormat {
    /// The pattern read once into chrono's items: it is tried at every
    /// candidate place of every line.
    items: Vec<Item<'static>>,
}

impl UserFormat {
    /// Checks `pattern`: it must be a valid strftime format that says at
    /// least a time of day, a day or a Unix time, and what it writes must
    /// read back; the error says what is wrong.
    pub fn new(pattern: &str) -> Result<UserFormat, String> {
        if let Some(at) = StrftimeItems::new(pattern).position(|item| matches!(item, Item::Error)) {
            return Err(format!(
                "--time-format {pattern:?}: specifier {} is not one chrono's strftime knows",
                at + 1
            ));
        }
        let says_enough = ["%H", "%I", "%T", "%R", "%s", "%d", "%e", "%F", "%D", "%c", "%+"]
            .iter()
            .any(|spec| pattern.contains(spec));
        if !says_enough {
            return Err(format!(
                "--time-format {pattern:?} names no day, time of day or Unix time (%d, %H, %s, ...)"
            ));
        }
        let items = StrftimeItems::new(pattern)
            .parse_to_owned()
            .map_err(|e| format!("--time-format {pattern:?}: {e}"))?;
        let format = UserFormat { items };
        // A stamp written with the format must read back.
        let sample = DateTime::from_timestamp(1_764_180_188, 0).unwrap_or_default();
        let mut written = String::new();
        std::fmt::Write::write_fmt(&mut written, format_args!("{}", sample.format(pattern)))
            .map_err(|_| format!("--time-format {pattern:?} cannot be used to read stamps"))?;
        if format.parse(written.as_bytes(), 0).is_none() {
            return Err(format!(
                "--time-format {pattern:?}: a stamp written with it ({written:?}) does not read back"
            ));
        }
        Ok(format)
    }

    /// The stamp at `pos`, if it has this format and ends at a token boundary.
    pub(super) fn parse(&self, line: &[u8], pos: usize) -> Option<Read> {
        let bytes = &line[pos..];
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        };
        let mut parsed = Parsed::new();
        let rest = parse_and_remainder(&mut parsed, text, self.items.iter()).ok()?;
        let end = pos + text.len() - rest.len();
        if end == pos || !Cursor::new(line, end).at_boundary() {
            return None;
        }
        let parts = match parsed.timestamp() {
            Some(seconds) => epoch::parts_of(i128::from(seconds) * 1_000_000_000, 0)?,
            None => parts_of(&parsed)?,
        };
        Some((parts, Format::User, pos..end))
    }
}

/// The calendar fields `parsed` holds; a missing year is left to be
/// inferred, a missing time of day is midnight.
fn parts_of(parsed: &Parsed) -> Option<Parts> {
    let mut parts = Parts::default();
    parts.year = match (parsed.year(), parsed.year_mod_100()) {
        (Some(year), _) => Some(year),
        (None, Some(yy)) => Some(expand_two_digit_year(yy as u32, &mut parts)),
        (None, None) => None,
    };
    parts.month = parsed.month()?;
    parts.day = parsed.day()?;
    match parsed.to_naive_time() {
        Ok(time) => {
            parts.hour = time.hour();
            parts.minute = time.minute();
            parts.second = time.second();
            parts.nanos = time.nanosecond();
            parts.precision = match parsed.nanosecond() {
                None => 0,
                Some(nanos) if nanos % 1_000_000 == 0 => 3,
                Some(nanos) if nanos % 1_000 == 0 => 6,
                Some(_) => 9,
            };
        }
        Err(_) => parts.date_only = true,
    }
    parts.zone = parsed.offset().map(ZoneSpec::Offset);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_checked_at_start() {
        assert!(UserFormat::new("%y%m%d %H%M%S").is_ok());
        assert!(UserFormat::new("%Q")
            .unwrap_err()
            .contains("not one chrono's strftime knows"));
        assert!(UserFormat::new("%Y").unwrap_err().contains("names no day"));
        assert!(UserFormat::new("%#z %H").is_err());
    }

    #[test]
    fn reads_the_users_shape() {
        let format = UserFormat::new("%y%m%d %H%M%S").unwrap();
        let (parts, _, span) = format.parse(b"081109 203615 148 INFO", 0).unwrap();
        assert_eq!(
            (parts.year, parts.month, parts.day, parts.hour),
            (Some(2008), 11, 9, 20)
        );
        assert_eq!(span, 0..13);
        assert!(format.parse(b"0811091 203615", 0).is_none());
    }
}
