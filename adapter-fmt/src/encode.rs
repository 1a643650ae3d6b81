//! Writing records out: NDJSON (the default), text or logfmt.

use std::io::Write;

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};

use crate::record::Record;
use crate::zone::UserZone;

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Json,
    /// `<timestamp> <message>`.
    Text,
    /// `timestamp=… source=… format=… message="…"`.
    Logfmt,
}

/// Which fields a JSON record has (`--schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Schema {
    /// `timestamp`, `message`, `source`, `format`, `assumptions`, and
    /// `severity_text`/`severity_number` when the line has a level.
    #[default]
    Default,
    /// OpenTelemetry's log data model: `timestamp`, `observed_timestamp`,
    /// `severity_text`, `severity_number`, `body`, `attributes` (with
    /// `log.file.path`).
    Otel,
    /// Elastic Common Schema: `@timestamp`, `message`, `log.level`,
    /// `log.file.path`, `event.original`, `event.created`.
    Ecs,
}

/// How timestamps are written.
#[derive(Debug, Clone, Default)]
pub struct TimeStyle {
    /// The zone to write in; `None` is UTC written with `Z`.
    pub zone: Option<UserZone>,
    /// A strftime format (chrono's) instead of RFC 3339.
    pub format: Option<String>,
}

/// Encodes records into bytes, reusing its buffers from record to record.
#[derive(Debug)]
pub struct Encoder {
    format: OutputFormat,
    time: TimeStyle,
    keep_original: bool,
    schema: Schema,
    scratch: Vec<u8>,
}

impl Encoder {
    /// An encoder writing `format`.
    pub fn new(format: OutputFormat, time: TimeStyle, keep_original: bool) -> Self {
        Encoder {
            format,
            time,
            keep_original,
            schema: Schema::Default,
            scratch: Vec::new(),
        }
    }

    /// The same encoder writing JSON records with `schema`'s fields.
    pub fn with_schema(mut self, schema: Schema) -> Self {
        self.schema = schema;
        self
    }

    /// The format this encoder writes.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Appends `record`, and a newline, to `out`.
    pub fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        match self.format {
            OutputFormat::Json => match self.schema {
                Schema::Default => self.json(record, out),
                Schema::Otel => self.otel(record, out),
                Schema::Ecs => self.ecs(record, out),
            },
            OutputFormat::Text => {
                self.write_time(record, out);
                out.push(b' ');
                record.message.write_to(out);
            }
            OutputFormat::Logfmt => self.logfmt(record, out),
        }
        out.push(b'\n');
    }

    fn json(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"timestamp\":\"");
        self.write_time(record, out);
        out.extend_from_slice(b"\",\"message\":");
        self.scratch.clear();
        record.message.write_to(&mut self.scratch);
        json_string(&self.scratch, out);
        out.extend_from_slice(b",\"source\":");
        json_string(record.source.as_bytes(), out);
        out.extend_from_slice(b",\"format\":");
        match record.format {
            Some(format) => {
                out.push(b'"');
                out.extend_from_slice(format.name().as_bytes());
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"assumptions\":");
        assumption_array(record, out);
        severity_members(record, out);
        if !record.attributes.is_empty() {
            out.extend_from_slice(b",\"attributes\":{");
            attribute_members(record, b"", out);
            out.push(b'}');
        }
        if self.keep_original {
            out.extend_from_slice(b",\"original\":");
            json_string(record.raw, out);
        }
        out.push(b'}');
    }

    /// The message, or the whole line when `--keep-original` asks to keep
    /// it intact (access logs, RFC 5424 lines, for parsers downstream).
    fn body(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        if self.keep_original {
            json_string(record.raw, out);
        } else {
            self.scratch.clear();
            record.message.write_to(&mut self.scratch);
            json_string(&self.scratch, out);
        }
    }

    /// OpenTelemetry's log data model, in its JSON field names.
    fn otel(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"timestamp\":\"");
        self.write_time(record, out);
        out.extend_from_slice(b"\",\"observed_timestamp\":\"");
        write_rfc3339(record.observed, 6, None, out);
        out.push(b'"');
        severity_members(record, out);
        out.extend_from_slice(b",\"body\":");
        self.body(record, out);
        out.extend_from_slice(b",\"attributes\":{\"log.file.path\":");
        json_string(record.source.as_bytes(), out);
        if let Some(format) = record.format {
            let _ = write!(out, ",\"log.timestamp.format\":\"{}\"", format.name());
        }
        self.assumption_list(record, b",\"log.timestamp.assumptions\":", out);
        if !record.attributes.is_empty() {
            out.push(b',');
            attribute_members(record, b"", out);
        }
        out.extend_from_slice(b"}}");
    }

    /// Elastic Common Schema, dotted field names as ecs-logging writes them.
    fn ecs(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"@timestamp\":\"");
        self.write_time(record, out);
        out.extend_from_slice(b"\",\"message\":");
        self.body(record, out);
        if let Some(severity) = record.severity {
            out.extend_from_slice(b",\"log.level\":");
            self.scratch.clear();
            self.scratch
                .extend(severity.text.iter().map(u8::to_ascii_lowercase));
            json_string(&self.scratch, out);
        }
        out.extend_from_slice(b",\"log.file.path\":");
        json_string(record.source.as_bytes(), out);
        out.extend_from_slice(b",\"event.original\":");
        json_string(record.raw, out);
        out.extend_from_slice(b",\"event.created\":\"");
        write_rfc3339(record.observed, 6, None, out);
        out.push(b'"');
        self.assumption_list(record, b",\"labels.timestamp_assumptions\":", out);
        if !record.attributes.is_empty() {
            out.push(b',');
            attribute_members(record, b"labels.", out);
        }
        out.extend_from_slice(b",\"ecs.version\":\"8.11.0\"}");
    }

    /// `key[...]` with the record's assumptions, when it has any.
    fn assumption_list(&self, record: &Record<'_>, key: &[u8], out: &mut Vec<u8>) {
        if record.assumptions.is_empty() {
            return;
        }
        out.extend_from_slice(key);
        assumption_array(record, out);
    }

    fn logfmt(&mut self, record: &Record<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"timestamp=");
        self.write_time(record, out);
        out.extend_from_slice(b" source=");
        logfmt_value(record.source.as_bytes(), out);
        out.extend_from_slice(b" format=");
        out.extend_from_slice(record.format.map_or("none", |f| f.name()).as_bytes());
        if !record.assumptions.is_empty() {
            out.extend_from_slice(b" assumptions=");
            for (i, name) in record.assumptions.names().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(name.as_bytes());
            }
        }
        out.extend_from_slice(b" message=");
        self.scratch.clear();
        record.message.write_to(&mut self.scratch);
        logfmt_value(&self.scratch, out);
        if self.keep_original {
            out.extend_from_slice(b" original=");
            logfmt_value(record.raw, out);
        }
    }

    /// Writes the record's time as configured.
    pub fn write_time(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let offset = self.time.zone.map(|zone| zone.offset_at(record.time));
        match &self.time.format {
            Some(format) => {
                let local = record.time.with_timezone(&offset.unwrap_or(utc()));
                // A bad format was refused at start (see `check_time_format`).
                let _ = write!(out, "{}", local.format(format));
            }
            None => write_rfc3339(record.time, record.precision, offset, out),
        }
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("0 is a valid offset")
}

/// Checks a `--time-format` once, so that writing it can never fail later.
pub fn check_time_format(format: &str) -> Result<(), String> {
    let items = chrono::format::StrftimeItems::new(format);
    let invalid = || format!("invalid --output-time-format {format:?}: see chrono's strftime specifiers");
    if items
        .clone()
        .any(|item| matches!(item, chrono::format::Item::Error))
    {
        return Err(invalid());
    }
    // Some specifiers parse but cannot be written (`%#z` is for parsing
    // only): writing one fails, which would panic at the first record.
    let sample = DateTime::from_timestamp(1_764_180_188, 123_456_789).unwrap_or_default();
    let mut written = String::new();
    std::fmt::Write::write_fmt(
        &mut written,
        format_args!("{}", sample.with_timezone(&utc()).format(format)),
    )
    .map_err(|_| format!("{}: it cannot be written (only parsed)", invalid()))
}

/// The record's assumptions as a JSON array of names.
fn assumption_array(record: &Record<'_>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, name) in record.assumptions.names().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.push(b'"');
    }
    out.push(b']');
}

/// `,"severity_text":…,"severity_number":…` when the record has a level.
fn severity_members(record: &Record<'_>, out: &mut Vec<u8>) {
    if let Some(severity) = record.severity {
        out.extend_from_slice(b",\"severity_text\":");
        json_string(severity.text, out);
        let _ = write!(out, ",\"severity_number\":{}", severity.number);
    }
}

/// `"<prefix><name>":"<value>"` for each of the record's `--regex`
/// attributes, comma-separated.
fn attribute_members(record: &Record<'_>, prefix: &[u8], out: &mut Vec<u8>) {
    for (i, (name, value)) in record.attributes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // A capture group's name holds no character JSON escapes.
        out.push(b'"');
        out.extend_from_slice(prefix);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        json_string(value, out);
    }
}

/// RFC 3339 with `precision` fractional digits, in UTC with `Z` or at `offset`.
pub fn write_rfc3339(time: DateTime<Utc>, precision: u8, offset: Option<FixedOffset>, out: &mut Vec<u8>) {
    let local = time.naive_utc() + offset.unwrap_or(utc());
    let year = local.year();
    if (0..=9999).contains(&year) {
        push_digits(out, year as u32, 4);
    } else {
        let _ = write!(out, "{year:+05}");
    }
    out.push(b'-');
    push_digits(out, local.month(), 2);
    out.push(b'-');
    push_digits(out, local.day(), 2);
    out.push(b'T');
    push_digits(out, local.hour(), 2);
    out.push(b':');
    push_digits(out, local.minute(), 2);
    out.push(b':');
    // chrono keeps a leap second as second 59 with nanoseconds past 1e9.
    let nanos = local.nanosecond();
    push_digits(out, local.second() + nanos / 1_000_000_000, 2);
    if precision > 0 {
        out.push(b'.');
        let precision = u32::from(precision.min(9));
        push_digits(
            out,
            (nanos % 1_000_000_000) / 10u32.pow(9 - precision),
            precision as usize,
        );
    }
    match offset {
        None => out.push(b'Z'),
        Some(offset) => {
            let seconds = offset.local_minus_utc();
            out.push(if seconds < 0 { b'-' } else { b'+' });
            let seconds = seconds.unsigned_abs();
            push_digits(out, seconds / 3600, 2);
            out.push(b':');
            push_digits(out, seconds % 3600 / 60, 2);
        }
    }
}

fn push_digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// A JSON string of `bytes`. Invalid UTF-8 cannot be carried by JSON, so
/// each invalid byte is written as the text `\xNN`: visible, and nothing is
/// silently replaced.
pub fn json_string(bytes: &[u8], out: &mut Vec<u8>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::to_writer(out, text).expect("writing to a Vec cannot fail"),
        Err(_) => serde_json::to_writer(out, &escape_invalid(bytes)).expect("writing to a Vec cannot fail"),
    }
}

fn escape_invalid(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

fn logfmt_value(bytes: &[u8], out: &mut Vec<u8>) {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b > b' ' && b != b'"' && b != b'=' && b != b'\\' && b < 0x7f);
    if plain {
        out.extend_from_slice(bytes);
    } else {
        json_string(bytes, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3339(text: &str, precision: u8, offset: Option<i32>) -> String {
        let time = DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let mut out = Vec::new();
        write_rfc3339(
            time,
            precision,
            offset.map(|s| FixedOffset::east_opt(s).unwrap()),
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc3339_keeps_precision_and_zone() {
        assert_eq!(
            rfc3339("2026-11-26T18:03:08.123456789Z", 3, None),
            "2026-11-26T18:03:08.123Z"
        );
        assert_eq!(rfc3339("2026-11-26T18:03:08Z", 0, None), "2026-11-26T18:03:08Z");
        assert_eq!(
            rfc3339("2026-11-26T18:03:08.5Z", 1, Some(-9000)),
            "2026-11-26T15:33:08.5-02:30"
        );
        assert_eq!(
            rfc3339("2026-11-26T18:03:08.000001Z", 6, None),
            "2026-11-26T18:03:08.000001Z"
        );
    }

    #[test]
    fn invalid_utf8_is_escaped_visibly() {
        let mut out = Vec::new();
        json_string(b"ok \xff\"", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r#""ok \\xff\"""#);
    }

    #[test]
    fn logfmt_quotes_when_needed() {
        let mut out = Vec::new();
        logfmt_value(b"plain", &mut out);
        out.push(b' ');
        logfmt_value(b"two words", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "plain \"two words\"");
    }
}
