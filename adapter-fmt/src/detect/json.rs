//! JSON log lines: the timestamp is the value of a time field, a string in
//! any recognised format or a number of epoch seconds, milliseconds,
//! microseconds or nanoseconds. The line is the message, unchanged.

use serde_json::Value;

use super::{detect, epoch, resolve, Context, Detected, Format};

/// Field names tried, in order.
pub(super) const TIME_FIELDS: [&str; 10] = [
    "time",
    "timestamp",
    "ts",
    "@timestamp",
    "datetime",
    "date",
    "t",
    "eventTime",
    "asctime",
    "@t",
];

/// The timestamp of the object starting at `start`, if it is valid JSON with a time field.
pub(super) fn detect_object(line: &[u8], start: usize, ctx: &mut Context<'_>) -> Option<Detected> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&line[start..]) else {
        return None;
    };
    let mut value = TIME_FIELDS.iter().find_map(|field| object.get(*field))?;
    // MongoDB writes `"t":{"$date":"…"}`.
    if let Some(date) = value.as_object().and_then(|o| o.get("$date")) {
        value = date;
    }
    let mut timestamp = match value {
        Value::String(text) => detect(text.as_bytes(), ctx)?.timestamp,
        Value::Number(number) => {
            let (parts, _, _) = epoch_number(number)?;
            resolve(parts, Format::Json, ctx)?
        }
        _ => return None,
    };
    timestamp.format = Format::Json;
    Some(Detected {
        timestamp,
        span: start..start,
    })
}

/// A JSON number as an epoch stamp. Read from its text, so `1764180188.123`
/// keeps its three digits; its unit told by its digit count (see [`epoch`]),
/// or for other sizes by its magnitude: below 1e11 seconds, below 1e14
/// milliseconds, below 1e17 microseconds, else nanoseconds.
fn epoch_number(number: &serde_json::Number) -> Option<super::Read> {
    let text = number.to_string();
    if let Some(read) = epoch::parse(text.as_bytes(), 0).filter(|(_, _, span)| span.end == text.len()) {
        return Some(read);
    }
    let integer = i128::from(number.as_i64()?);
    let (nanos, precision) = match integer.abs() {
        n if n < 100_000_000_000 => (integer * 1_000_000_000, 0),
        n if n < 100_000_000_000_000 => (integer * 1_000_000, 3),
        n if n < 100_000_000_000_000_000 => (integer * 1_000, 6),
        _ => (integer, 9),
    };
    Some((epoch::parts_of(nanos, precision)?, Format::Json, 0..text.len()))
}
