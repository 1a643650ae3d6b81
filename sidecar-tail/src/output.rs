//! Writing lines out: raw, prefixed with their file, or as JSON objects, to
//! stdout or (for files the user names) to stderr.

use std::io::{self, Write};
use std::path::Path;

use crate::lines::{Block, LineSink};

/// How each line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The line as the file holds it, bytes untouched.
    Raw,
    /// `FILE: line`.
    Prefixed,
    /// `{"path":…,"offset":…,"line":…}`, one object per line.
    Json,
}

/// Where a file's lines go.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    stderr_patterns: Vec<glob::Pattern>,
}

impl Routing {
    /// Files matching any of `patterns` (by full path or by file name) go to
    /// stderr; all others to stdout.
    pub fn new(stderr_patterns: Vec<glob::Pattern>) -> Self {
        Routing { stderr_patterns }
    }

    /// Whether lines of `path` go to stderr.
    pub fn to_stderr(&self, path: &Path) -> bool {
        self.stderr_patterns.iter().any(|p| {
            p.matches_path(path)
                || path
                    .file_name()
                    .is_some_and(|name| p.matches_path(Path::new(name)))
        })
    }
}

/// A [`LineSink`] writing to two byte streams, normally stdout and stderr.
pub struct OutputSink<O: Write, E: Write> {
    format: OutputFormat,
    color: bool,
    routing: Routing,
    stdout: O,
    stderr: E,
    /// Prefixed and JSON lines are rendered here first, so that a block goes
    /// out in one write rather than several small ones per line.
    scratch: Vec<u8>,
    /// Write `==> path <==` before the lines of each file, as `tail -v`
    /// does; the path of the last block written, for when it changes.
    headers: bool,
    last_path: Option<std::path::PathBuf>,
}

const PATH_COLOR: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";

impl<O: Write, E: Write> OutputSink<O, E> {
    /// The same sink writing `==> path <==` headers as `tail -v` does: before
    /// the first lines, and whenever the file changes (after a blank line).
    pub fn with_headers(mut self, headers: bool) -> Self {
        self.headers = headers;
        self
    }

    /// A sink writing `format`, colouring prefixes when `color`.
    pub fn new(format: OutputFormat, color: bool, routing: Routing, stdout: O, stderr: E) -> Self {
        OutputSink {
            format,
            color,
            routing,
            stdout,
            stderr,
            scratch: Vec::new(),
            headers: false,
            last_path: None,
        }
    }
}

impl<O: Write, E: Write> LineSink for OutputSink<O, E> {
    fn write(&mut self, path: &Path, block: Block<'_>) -> io::Result<()> {
        let out: &mut dyn Write = if self.routing.to_stderr(path) {
            &mut self.stderr
        } else {
            &mut self.stdout
        };
        if self.headers && self.last_path.as_deref() != Some(path) {
            if self.last_path.is_some() {
                out.write_all(b"\n")?;
            }
            writeln!(out, "==> {} <==", path.display())?;
            self.last_path = Some(path.to_path_buf());
        }
        let rendered = &mut self.scratch;
        rendered.clear();
        match self.format {
            OutputFormat::Raw => {
                out.write_all(block.bytes)?;
                // Pieces of a long line are separated; an unfinished last
                // line is written as it is.
                if !block.terminated && !block.unfinished {
                    out.write_all(&[block.delimiter])?;
                }
                return Ok(());
            }
            OutputFormat::Prefixed => {
                let prefix = if self.color {
                    format!("{PATH_COLOR}{}{RESET}: ", path.display())
                } else {
                    format!("{}: ", path.display())
                };
                for (_, line) in block.lines() {
                    rendered.extend_from_slice(prefix.as_bytes());
                    rendered.extend_from_slice(line);
                    rendered.push(block.delimiter);
                }
            }
            OutputFormat::Json => {
                // The path is escaped once per block, each line once.
                let mut head = b"{\"path\":".to_vec();
                serde_json::to_writer(&mut head, &path.to_string_lossy())?;
                head.extend_from_slice(b",\"offset\":");
                for (offset, line) in block.lines() {
                    rendered.extend_from_slice(&head);
                    write!(rendered, "{offset}")?;
                    rendered.extend_from_slice(b",\"line\":");
                    serde_json::to_writer(&mut *rendered, &String::from_utf8_lossy(line))?;
                    if !block.terminated {
                        rendered.extend_from_slice(b",\"partial\":true");
                    }
                    rendered.extend_from_slice(b"}\n");
                }
            }
        }
        out.write_all(rendered)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stdout.flush()?;
        self.stderr.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: OutputFormat, routing: Routing, block: Block<'_>) -> (String, String) {
        let mut sink = OutputSink::new(format, false, routing, Vec::new(), Vec::new());
        sink.write(Path::new("/logs/error.log"), block).unwrap();
        (
            String::from_utf8(sink.stdout).unwrap(),
            String::from_utf8(sink.stderr).unwrap(),
        )
    }

    const BLOCK: Block<'static> = Block {
        offset: 10,
        bytes: b"a \"q\"\nb\n",
        terminated: true,
        unfinished: false,
        delimiter: b'\n',
    };

    #[test]
    fn raw_passes_bytes_and_terminates_pieces() {
        let (out, _) = render(OutputFormat::Raw, Routing::default(), BLOCK);
        assert_eq!(out, "a \"q\"\nb\n");
        let piece = Block {
            offset: 0,
            bytes: b"xy",
            terminated: false,
            unfinished: false,
            delimiter: b'\n',
        };
        assert_eq!(render(OutputFormat::Raw, Routing::default(), piece).0, "xy\n");
    }

    #[test]
    fn prefixed_and_json() {
        let (out, _) = render(OutputFormat::Prefixed, Routing::default(), BLOCK);
        assert_eq!(out, "/logs/error.log: a \"q\"\n/logs/error.log: b\n");
        let (out, _) = render(OutputFormat::Json, Routing::default(), BLOCK);
        assert_eq!(
            out,
            "{\"path\":\"/logs/error.log\",\"offset\":10,\"line\":\"a \\\"q\\\"\"}\n\
             {\"path\":\"/logs/error.log\",\"offset\":16,\"line\":\"b\"}\n"
        );
    }

    #[test]
    fn routing_matches_full_path_or_name() {
        let by_name = Routing::new(vec![glob::Pattern::new("error.log").unwrap()]);
        assert_eq!(
            render(OutputFormat::Raw, by_name, BLOCK),
            (String::new(), "a \"q\"\nb\n".into())
        );
        let by_path = Routing::new(vec![glob::Pattern::new("/logs/*").unwrap()]);
        assert!(by_path.to_stderr(Path::new("/logs/access.log")));
        assert!(!by_path.to_stderr(Path::new("/other/access.log")));
    }
}
