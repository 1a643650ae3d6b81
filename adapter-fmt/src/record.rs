//! A record: one log line (or several, joined by `--multiline`) with the
//! timestamp it carries and the message around it.

use chrono::{DateTime, Utc};

use crate::detect::{Assumptions, Detected};
use crate::format::Format;
use crate::severity::{severity, Severity};

/// A normalised log record, borrowing the line it came from.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// The instant, from the line or (see `assumptions`) the time of reading.
    pub time: DateTime<Utc>,
    /// How many fractional-second digits to write.
    pub precision: u8,
    /// The detected format, `None` when the line had no timestamp.
    pub format: Option<Format>,
    /// What the timestamp rests on beyond the line.
    pub assumptions: Assumptions,
    /// The line without its timestamp.
    pub message: Message<'a>,
    /// The file path, or `stdin`.
    pub source: &'a str,
    /// The line as read.
    pub raw: &'a [u8],
    /// When the line was read (OpenTelemetry's observed timestamp).
    pub observed: DateTime<Utc>,
    /// The line's level, if it has one (and was looked for:
    /// [`Record::read_severity`]).
    pub severity: Option<Severity<'a>>,
    /// Fields the user's `--regex` named, by name.
    pub attributes: Vec<(&'a str, &'a [u8])>,
}

/// The message: what stood before the timestamp and what came after it,
/// written with one space between when both are there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Text before the timestamp (a level, a host), trimmed.
    pub before: &'a [u8],
    /// Text after the timestamp and its separator.
    pub after: &'a [u8],
}

impl<'a> Message<'a> {
    /// The whole line as the message.
    pub fn whole(line: &'a [u8]) -> Self {
        Message {
            before: b"",
            after: line,
        }
    }

    /// Appends the message to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.before);
        if !self.before.is_empty() && !self.after.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(self.after);
    }
}

impl<'a> Record<'a> {
    /// The record of `line`, whose timestamp `detected` found (or not).
    pub fn new(line: &'a [u8], source: &'a str, detected: Option<Detected>, read_at: DateTime<Utc>) -> Self {
        match detected {
            Some(found) => Record {
                time: found.timestamp.instant,
                precision: found.timestamp.precision,
                format: Some(found.timestamp.format),
                assumptions: found.timestamp.assumptions,
                message: message_around(line, found.span),
                source,
                raw: line,
                observed: read_at,
                severity: None,
                attributes: Vec::new(),
            },
            None => Record {
                time: read_at,
                precision: 6,
                format: None,
                assumptions: Assumptions::READ_TIME,
                message: Message::whole(line),
                source,
                raw: line,
                observed: read_at,
                severity: None,
                attributes: Vec::new(),
            },
        }
    }
}

impl<'a> Record<'a> {
    /// Reads the line's level, unless a `level` capture gave it: only for
    /// output that writes it (JSON), since it costs a look at every line.
    pub fn read_severity(&mut self) {
        if self.severity.is_none() {
            self.severity = severity(self.raw, self.format);
        }
    }

    /// The record of `line` as the user's `--regex` took it apart: the
    /// stamp read from the `timestamp` capture, the `level` and `message`
    /// captures as they are, the other captures as attributes.
    pub fn from_fields(
        line: &'a [u8],
        source: &'a str,
        fields: crate::fields::Fields<'a>,
        detected: Option<Detected>,
        read_at: DateTime<Utc>,
    ) -> Self {
        let mut record = Record::new(line, source, detected, read_at);
        if let Some(message) = fields.message {
            record.message = Message::whole(message);
        }
        if let Some(level) = fields.level {
            record.severity = crate::severity::named(level).or(Some(Severity {
                text: level,
                number: 0,
            }));
        }
        record.attributes = fields.attributes;
        record
    }
}

/// The message of a line once the bytes `span` (the timestamp) are cut
/// out, with brackets that held only the timestamp and the separator after
/// it (`#`, `|`, `-`, `:` and spaces) removed.
pub fn message_around(line: &[u8], span: std::ops::Range<usize>) -> Message<'_> {
    if span.is_empty() {
        return Message::whole(line);
    }
    let (mut start, mut end) = (span.start, span.end);
    if start > 0 && end < line.len() {
        let closing = match line[start - 1] {
            b'[' => Some(b']'),
            b'(' => Some(b')'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if closing == Some(line[end]) {
            start -= 1;
            end += 1;
        }
    }
    // A `key=` right before the stamp (`ts=…`, `time=…`) goes with it.
    if line[..start].ends_with(b"=") {
        let key_len = line[..start - 1]
            .iter()
            .rev()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'@' | b'.' | b'-'))
            .count();
        start -= key_len + 1;
    }
    let before = trim_end(&line[..start]);
    let mut after = trim_start(&line[end..]);
    if let Some((&first, rest)) = after.split_first() {
        let separator =
            first == b'#' || (matches!(first, b'|' | b'-' | b':') && rest.first().is_none_or(|&b| b == b' '));
        if separator {
            after = trim_start(rest);
        }
    }
    Message { before, after }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    &bytes[skip..]
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let keep = bytes.len()
        - bytes
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
    &bytes[..keep]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str, stamp: &str) -> String {
        let start = line.find(stamp).unwrap();
        let m = message_around(line.as_bytes(), start..start + stamp.len());
        let mut out = Vec::new();
        m.write_to(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn separators_and_brackets_go() {
        assert_eq!(
            message(
                "Thu Nov 26 18:03:08 UTC 2026#This is log",
                "Thu Nov 26 18:03:08 UTC 2026"
            ),
            "This is log"
        );
        assert_eq!(
            message("[Sun Dec 04 04:47:44 2005] [error] x", "Sun Dec 04 04:47:44 2005"),
            "[error] x"
        );
        assert_eq!(
            message(
                "1.2.3.4 - - [26/Nov/2026:18:03:08 +0000] \"GET /\"",
                "26/Nov/2026:18:03:08 +0000"
            ),
            "1.2.3.4 - - \"GET /\""
        );
        assert_eq!(
            message("2026-11-26T18:03:08Z - msg", "2026-11-26T18:03:08Z"),
            "msg"
        );
        assert_eq!(
            message("INFO 2026-11-26 18:03:08,123 started", "2026-11-26 18:03:08,123"),
            "INFO started"
        );
        assert_eq!(
            message("2026-11-26T18:03:08Z -5 degrees", "2026-11-26T18:03:08Z"),
            "-5 degrees"
        );
        assert_eq!(
            message("level=info ts=1764180188 msg=x", "1764180188"),
            "level=info msg=x"
        );
    }
}
