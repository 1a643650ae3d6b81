//! Lines in, records out: detection, multiline joining, encoding, and the
//! counters that `/metrics` reports.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sidecar_tail::{Block, FileEvent, FileEvents, LineSink};

use crate::detect::{self, Context, DetectConfig};
use crate::encode::{Encoder, OutputFormat};
use crate::evidence::EvidenceBook;
use crate::fields::LineRegex;
use crate::format::Format;
use crate::hub::Hub;
use crate::record::Record;

/// Counters of what the pipeline did, shared with the metrics endpoint.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Lines read from all sources.
    pub lines_read: AtomicU64,
    /// Records written (fewer than lines with `--multiline`).
    pub records_written: AtomicU64,
    /// Records whose line had no recognisable timestamp.
    pub without_timestamp: AtomicU64,
    /// Records per detected format, in the order of [`Format::ALL`].
    pub per_format: [AtomicU64; Format::ALL.len()],
    /// What happened to the files followed, in the order of
    /// [`FileEvent::NAMES`].
    pub file_events: [AtomicU64; FileEvent::NAMES.len()],
}

/// The tailer's events, logged as sidecar-tail logs them and counted for
/// `/metrics`.
#[derive(Debug)]
pub struct CountedEvents(pub Arc<Metrics>);

impl FileEvents for CountedEvents {
    fn event(&mut self, event: &FileEvent<'_>) {
        event.log();
        self.0.file_events[event.index()].fetch_add(event.count(), Ordering::Relaxed);
    }
}

impl Metrics {
    fn count(&self, format: Option<Format>) {
        self.records_written.fetch_add(1, Ordering::Relaxed);
        match format {
            Some(format) => {
                let index = Format::ALL
                    .iter()
                    .position(|f| *f == format)
                    .expect("ALL lists every format");
                self.per_format[index].fetch_add(1, Ordering::Relaxed);
            }
            None => {
                self.without_timestamp.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A line held back while `--multiline` waits to see whether the next
/// lines continue it.
#[derive(Debug, Default)]
struct Held {
    source: String,
    /// The first line, then each continuation after a `\n`.
    bytes: Vec<u8>,
    first_line_len: usize,
    read_at: Option<DateTime<Utc>>,
}

/// Hands records to the HTTP side as JSON, whatever stdout's format.
struct Publisher {
    hub: Arc<Hub>,
    /// A JSON encoder when stdout is not JSON.
    json: Option<Encoder>,
    scratch: Vec<u8>,
}

/// Turns lines into encoded records and writes them to `out`.
pub struct Pipeline<W: Write> {
    detect: DetectConfig,
    regex: Option<LineRegex>,
    evidence: EvidenceBook,
    encoder: Encoder,
    multiline: bool,
    held: Held,
    encoded: Vec<u8>,
    out: W,
    metrics: Arc<Metrics>,
    publisher: Option<Publisher>,
}

impl<W: Write> Pipeline<W> {
    /// A pipeline writing records encoded by `encoder` to `out`.
    pub fn new(detect: DetectConfig, encoder: Encoder, multiline: bool, out: W) -> Self {
        Pipeline {
            detect,
            regex: None,
            evidence: EvidenceBook::default(),
            encoder,
            multiline,
            held: Held::default(),
            encoded: Vec::with_capacity(64 * 1024),
            out,
            metrics: Arc::new(Metrics::default()),
            publisher: None,
        }
    }

    /// Takes lines apart with the user's `--regex` first.
    pub fn with_regex(mut self, regex: Option<LineRegex>) -> Self {
        self.regex = regex;
        self
    }

    /// Also publishes every record to `hub`, as JSON encoded by `json` (used
    /// only when the stdout encoder does not already write JSON).
    pub fn publish_to(&mut self, hub: Arc<Hub>, json: Encoder) {
        let json = (self.encoder.format() != OutputFormat::Json).then_some(json);
        self.publisher = Some(Publisher {
            hub,
            json,
            scratch: Vec::new(),
        });
    }

    /// The pipeline's counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Takes one line (without its newline) from `source`.
    pub fn line(&mut self, source: &str, line: &[u8]) -> io::Result<()> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.metrics.lines_read.fetch_add(1, Ordering::Relaxed);
        let now = Utc::now();
        if !self.multiline {
            self.emit(source, line, line.len(), now);
            return self.write_if_full();
        }
        let joins = !self.held.bytes.is_empty()
            && self.held.source == source
            && self.held.bytes.len() + line.len() < MAX_JOINED_BYTES
            && is_continuation(line);
        if joins {
            self.held.bytes.push(b'\n');
            self.held.bytes.extend_from_slice(line);
            return Ok(());
        }
        self.release_held();
        self.held.source.clear();
        self.held.source.push_str(source);
        self.held.bytes.extend_from_slice(line);
        self.held.first_line_len = line.len();
        self.held.read_at = Some(now);
        self.write_if_full()
    }

    /// Writes out everything taken so far, including a held multiline record.
    pub fn flush(&mut self) -> io::Result<()> {
        self.release_held();
        self.out.write_all(&self.encoded)?;
        self.encoded.clear();
        self.out.flush()
    }

    fn write_if_full(&mut self) -> io::Result<()> {
        if self.encoded.len() >= 60 * 1024 {
            self.out.write_all(&self.encoded)?;
            self.encoded.clear();
        }
        Ok(())
    }

    fn release_held(&mut self) {
        if self.held.bytes.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.held);
        let read_at = held.read_at.unwrap_or_else(Utc::now);
        self.emit(&held.source, &held.bytes, held.first_line_len, read_at);
        // Keep the buffers' capacity for the next record.
        self.held = Held {
            bytes: held.bytes,
            source: held.source,
            ..Held::default()
        };
        self.held.bytes.clear();
    }

    /// Detects the timestamp in the first `first_line_len` bytes of `text`
    /// and encodes the record.
    fn emit(&mut self, source: &str, text: &[u8], first_line_len: usize, read_at: DateTime<Utc>) {
        let mut ctx = Context {
            config: &self.detect,
            evidence: self.evidence.of(source),
            now: read_at,
        };
        let line = &text[..first_line_len];
        let fields = self.regex.as_ref().and_then(|regex| regex.apply(line));
        let mut record = match fields {
            Some(fields) => {
                // The stamp is looked for in the `timestamp` capture only.
                let detected = fields.timestamp.clone().and_then(|span| {
                    let mut found = detect::detect(&line[span.clone()], &mut ctx)?;
                    found.span = found.span.start + span.start..found.span.end + span.start;
                    Some(found)
                });
                Record::from_fields(text, source, fields, detected, read_at)
            }
            None => Record::new(text, source, detect::detect(line, &mut ctx), read_at),
        };
        // Only JSON (stdout's, or the HTTP side's) writes the level.
        if self.encoder.format() == OutputFormat::Json || self.publisher.is_some() {
            record.read_severity();
        }
        self.metrics.count(record.format);
        let start = self.encoded.len();
        self.encoder.encode(&record, &mut self.encoded);
        if let Some(publisher) = &mut self.publisher {
            let json = match &mut publisher.json {
                None => &self.encoded[start..],
                Some(encoder) => {
                    publisher.scratch.clear();
                    encoder.encode(&record, &mut publisher.scratch);
                    &publisher.scratch
                }
            };
            publisher.hub.publish(record.time, json);
        }
    }
}

/// A record joined by `--multiline` is cut here, so that a stream of
/// indented lines cannot grow one record without bound.
const MAX_JOINED_BYTES: usize = 1024 * 1024;

/// Whether a line continues the record before it: indented (stack frames,
/// wrapped text), a Java `at …`, `Caused by: …` or `... N more`, a Python
/// `Traceback (most recent call last):`, or an exception's own line
/// (`java.lang.IllegalStateException: bad`, `ValueError: bad`).
fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
        || line.starts_with(b"Caused by:")
        || line.starts_with(b"at ")
        || line.starts_with(b"Traceback (most recent call last):")
        || (line.starts_with(b"... ") && line.ends_with(b" more"))
        || names_an_exception(line)
}

/// `Name: text` or a lone `Name`, where Name is a (dotted) identifier ending
/// in `Exception` or `Error`.
fn names_an_exception(line: &[u8]) -> bool {
    let name_end = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    let name = &line[..name_end];
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'))
        && (name.ends_with(b"Exception") || name.ends_with(b"Error"))
}

impl<W: Write> LineSink for Pipeline<W> {
    fn write(&mut self, path: &Path, block: Block<'_>) -> io::Result<()> {
        let source = path.to_string_lossy();
        for (_, line) in block.lines() {
            self.line(&source, line)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Pipeline::flush(self)
    }
}
