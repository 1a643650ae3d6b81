//! `--regex`: the user's pattern for a source's lines, whose named
//! captures become the record's fields: `timestamp` (read as any stamp
//! is, built-in shapes and `--time-format`), `level` (the severity),
//! `message` (the message), and any other name an attribute.

use std::ops::Range;

use regex::bytes::Regex;

/// A compiled `--regex`.
#[derive(Debug, Clone)]
pub struct LineRegex {
    regex: Regex,
}

/// What a line's match gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    /// Where the `timestamp` capture is in the line.
    pub timestamp: Option<Range<usize>>,
    /// The `level` capture.
    pub level: Option<&'a [u8]>,
    /// The `message` capture.
    pub message: Option<&'a [u8]>,
    /// Every other named capture that matched, in the pattern's order.
    pub attributes: Vec<(&'a str, &'a [u8])>,
}

impl LineRegex {
    /// Compiles `pattern`; it must have a named capture (`(?P<name>...)`).
    /// The error says where the pattern is wrong.
    pub fn new(pattern: &str) -> Result<LineRegex, String> {
        // ASCII classes (`\w`, `\d`, `\s`) over bytes: log lines are
        // bytes, and Unicode's tables would not fit the 5 MiB image.
        let regex = Regex::new(&format!("(?-u){pattern}"))
            .map_err(|e| format!("--regex is not a valid regular expression:\n{e}"))?;
        if regex.capture_names().flatten().next().is_none() {
            return Err(format!(
                "--regex {pattern:?} has no named capture: name what to take, e.g. (?P<timestamp>\\S+ \\S+) (?P<level>\\w+) (?P<message>.*)"
            ));
        }
        Ok(LineRegex { regex })
    }

    /// The fields of `line`, if the pattern matches it.
    pub fn apply<'a>(&'a self, line: &'a [u8]) -> Option<Fields<'a>> {
        let captures = self.regex.captures(line)?;
        let mut fields = Fields::default();
        // Group by group, in the pattern's order: no lookup by name.
        let named = self.regex.capture_names().zip(captures.iter());
        for (name, found) in named.filter_map(|(name, found)| Some((name?, found?))) {
            match name {
                "timestamp" => fields.timestamp = Some(found.range()),
                "level" => fields.level = Some(found.as_bytes()),
                "message" => fields.message = Some(found.as_bytes()),
                _ => fields.attributes.push((name, found.as_bytes())),
            }
        }
        Some(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_captures_become_fields() {
        let regex =
            LineRegex::new(r"^(?P<timestamp>\S+ \S+) (?P<level>\w+) \[(?P<thread>[^\]]+)\] (?P<message>.*)$")
                .unwrap();
        let fields = regex.apply(b"2026-11-26 18:03:08 WARN [main] disk low").unwrap();
        assert_eq!(fields.timestamp, Some(0..19));
        assert_eq!(fields.level, Some(&b"WARN"[..]));
        assert_eq!(fields.message, Some(&b"disk low"[..]));
        assert_eq!(fields.attributes, [("thread", &b"main"[..])]);
        assert!(regex.apply(b"no match").is_none());
        assert!(LineRegex::new("(unclosed")
            .unwrap_err()
            .contains("not a valid regular expression"));
        assert!(LineRegex::new(r"\d+").unwrap_err().contains("no named capture"));
    }
}
