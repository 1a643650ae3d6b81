//! A byte cursor with the small readers that every timestamp family is
//! built from. Nothing here allocates; every reader either consumes what it
//! recognised or leaves the cursor where it was.

/// A position in a line.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];
const MONTH_TAILS: [&[u8]; 12] = [
    b"uary", b"ruary", b"ch", b"il", b"", b"e", b"y", b"ust", b"tember", b"ober", b"ember", b"ember",
];
const WEEKDAYS: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
const WEEKDAY_TAILS: [&[u8]; 7] = [b"day", b"sday", b"nesday", b"rsday", b"day", b"urday", b"day"];

impl<'a> Cursor<'a> {
    /// A cursor at `pos` in `bytes`.
    pub fn new(bytes: &'a [u8], pos: usize) -> Self {
        Cursor { bytes, pos }
    }

    /// The offset of the next byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next byte, if any.
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The byte `ahead` places after the next one.
    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Consumes `byte` if it is next.
    pub fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `byte`, or fails: for `?` in a family's parser.
    pub fn require(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// Consumes one or more spaces, or fails.
    pub fn spaces(&mut self) -> Option<()> {
        (self.eat_spaces() > 0).then_some(())
    }

    /// Consumes the next byte if it is one of `set`, and returns it.
    pub fn eat_any(&mut self, set: &[u8]) -> Option<u8> {
        let byte = self.peek().filter(|b| set.contains(b))?;
        self.pos += 1;
        Some(byte)
    }

    /// Consumes spaces; returns how many.
    pub fn eat_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Consumes `word` compared without case, if it is next and ends there.
    pub fn eat_word(&mut self, word: &[u8]) -> bool {
        let end = self.pos + word.len();
        if self.bytes.len() >= end
            && self.bytes[self.pos..end].eq_ignore_ascii_case(word)
            && !self.bytes.get(end).is_some_and(u8::is_ascii_alphanumeric)
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// Exactly `n` digits, as a number.
    pub fn digits(&mut self, n: usize) -> Option<u32> {
        let end = self.pos + n;
        let slice = self.bytes.get(self.pos..end)?;
        let mut value = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos = end;
        Some(value)
    }

    /// Between `min` and `max` digits (as many as there are), as a number
    /// and how many digits it had. `max` is at most 19.
    pub fn digits_between(&mut self, min: usize, max: usize) -> Option<(u64, usize)> {
        let mut value = 0u64;
        let mut n = 0;
        while n < max {
            match self.peek_at(n) {
                Some(b) if b.is_ascii_digit() => value = value * 10 + u64::from(b - b'0'),
                _ => break,
            }
            n += 1;
        }
        if n < min || self.peek_at(n).is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        self.pos += n;
        Some((value, n))
    }

    /// A month name, abbreviated (`Nov`) or in full (`November`): 1 to 12.
    pub fn month(&mut self) -> Option<u32> {
        let index = self.name_from(&MONTHS, &MONTH_TAILS)?;
        Some(index as u32 + 1)
    }

    /// A weekday name, abbreviated (`Thu`) or in full (`Thursday`).
    pub fn weekday(&mut self) -> bool {
        self.name_from(&WEEKDAYS, &WEEKDAY_TAILS).is_some()
    }

    fn name_from(&mut self, names: &[&[u8; 3]], tails: &[&[u8]]) -> Option<usize> {
        let head = self.bytes.get(self.pos..self.pos + 3)?;
        let index = names
            .iter()
            .position(|name| head.eq_ignore_ascii_case(&name[..]))?;
        let mut end = self.pos + 3;
        let tail = tails[index];
        if !tail.is_empty()
            && self
                .bytes
                .get(end..end + tail.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(tail))
        {
            end += tail.len();
        }
        if self.bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        self.pos = end;
        Some(index)
    }

    /// A fraction of a second after `.` or `,`: its value in nanoseconds and
    /// how many digits the source wrote (digits past the ninth are dropped).
    pub fn fraction(&mut self) -> Option<(u32, u8)> {
        let save = self.pos;
        self.eat_any(b".,")?;
        let start = self.pos;
        let mut nanos = 0u32;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            if self.pos - start < 9 {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
            self.pos += 1;
        }
        let written = self.pos - start;
        if written == 0 {
            self.pos = save;
            return None;
        }
        let kept = written.min(9);
        nanos *= 10u32.pow((9 - kept) as u32);
        Some((nanos, kept as u8))
    }

    /// `H:MM`, `HH:MM`, or either with `:SS` (minutes and seconds may be
    /// unpadded): hours, minutes, seconds.
    /// Seconds are required unless `seconds_optional`.
    pub fn clock(&mut self, seconds_optional: bool) -> Option<(u32, u32, u32)> {
        let save = self.pos;
        let parsed = (|| {
            let (hour, _) = self.digits_between(1, 2)?;
            if !self.eat(b':') {
                return None;
            }
            // Minutes and seconds are unpadded in some logs (HealthApp's
            // `22:16:0:150`).
            let minute = self.digits_between(1, 2)?.0 as u32;
            let second = if self.eat(b':') {
                self.digits_between(1, 2)?.0 as u32
            } else if seconds_optional {
                0
            } else {
                return None;
            };
            Some((hour as u32, minute, second))
        })();
        if parsed.is_none() {
            self.pos = save;
        }
        parsed
    }

    /// The bytes from `start` to `end` of the line.
    pub fn slice(&self, start: usize, end: usize) -> &'a [u8] {
        &self.bytes[start.min(self.bytes.len())..end.min(self.bytes.len())]
    }

    /// Moves `n` bytes on.
    pub fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    /// Whether the next byte ends a token: end of line, or not a letter or digit.
    pub fn at_boundary(&self) -> bool {
        !self.peek().is_some_and(|b| b.is_ascii_alphanumeric())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_abbreviated_and_full() {
        assert_eq!(Cursor::new(b"Nov 26", 0).month(), Some(11));
        let mut c = Cursor::new(b"September 3", 0);
        assert_eq!(c.month(), Some(9));
        assert_eq!(c.pos(), 9);
        assert_eq!(Cursor::new(b"Novx", 0).month(), None);
        assert!(Cursor::new(b"thursday,", 0).weekday());
        assert!(!Cursor::new(b"Thx", 0).weekday());
    }

    #[test]
    fn fractions_keep_precision() {
        assert_eq!(Cursor::new(b".5", 0).fraction(), Some((500_000_000, 1)));
        assert_eq!(Cursor::new(b",123", 0).fraction(), Some((123_000_000, 3)));
        assert_eq!(Cursor::new(b".1234567891", 0).fraction(), Some((123_456_789, 9)));
        assert_eq!(Cursor::new(b".x", 0).fraction(), None);
    }

    #[test]
    fn clocks() {
        assert_eq!(Cursor::new(b"6:03:08 PM", 0).clock(false), Some((6, 3, 8)));
        assert_eq!(Cursor::new(b"18:03", 0).clock(true), Some((18, 3, 0)));
        let mut c = Cursor::new(b"18:03 x", 0);
        assert_eq!(c.clock(false), None);
        assert_eq!(c.pos(), 0, "a failed read leaves the cursor in place");
    }

    #[test]
    fn digit_runs() {
        assert_eq!(Cursor::new(b"2026-", 0).digits(4), Some(2026));
        assert_eq!(Cursor::new(b"20x6", 0).digits(4), None);
        assert_eq!(
            Cursor::new(b"1764180188 ", 0).digits_between(10, 10),
            Some((1_764_180_188, 10))
        );
        assert_eq!(
            Cursor::new(b"17641801881", 0).digits_between(10, 10),
            None,
            "too many digits"
        );
    }
}
