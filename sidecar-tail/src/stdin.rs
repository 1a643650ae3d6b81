//! `-`: standard input, read to its end as tail reads a pipe. Following
//! does not apply (a pipe is never rotated, and POSIX tail ignores `-f` on
//! one too); where to start does: `-n`, `-c` and `-z` mean what they mean
//! for a file.

use std::io::{self, Read};
use std::path::Path;

use crate::follower::{LineEnds, StartAt};
use crate::lines::{LastLines, LineSink, LineSplitter};

/// The name stdin's lines go under (in `-v` headers and prefixes), as tail
/// names it.
pub const STDIN_NAME: &str = "standard input";

/// How much is read at a time.
const CHUNK: usize = 64 * 1024;

/// Copies `input` to `sink` under the name `name`, from where `start`
/// says, flushing after each read so that a slow producer's lines come out
/// as they arrive.
pub fn copy(
    mut input: impl Read,
    name: &Path,
    start: StartAt,
    ends: LineEnds,
    sink: &mut dyn LineSink,
) -> io::Result<()> {
    match start {
        StartAt::Line(n) => stream(input, name, n.saturating_sub(1), ends, sink),
        StartAt::Byte(n) => {
            io::copy(&mut input.by_ref().take(n.saturating_sub(1)), &mut io::sink())?;
            stream(input, name, 0, ends, sink)
        }
        // Only the end is wanted: keep what may still be part of it.
        StartAt::LastLines(n) => {
            let kept = keep_end(input, |held| start_of_last_lines(held, n, ends.delimiter))?;
            stream(&kept[..], name, 0, ends, sink)
        }
        StartAt::LastBytes(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let kept = keep_end(input, |held| held.len().saturating_sub(n))?;
            stream(&kept[..], name, 0, ends, sink)
        }
        // There is no checkpoint for stdin: from the start.
        StartAt::Resume { .. } => stream(input, name, 0, ends, sink),
    }
}

fn stream(
    input: impl Read,
    name: &Path,
    skip_lines: u64,
    ends: LineEnds,
    sink: &mut dyn LineSink,
) -> io::Result<()> {
    let mut splitter = LineSplitter::new(0, ends.max_line_bytes, skip_lines).with_delimiter(ends.delimiter);
    each_chunk(input, |chunk| {
        splitter.feed(chunk, &mut |block| sink.write(name, block))?;
        sink.flush()
    })?;
    splitter.finish(&mut |block| sink.write(name, block))?;
    sink.flush()
}

/// Reads `input` to its end, keeping only the bytes from `start_of_end`
/// (the offset in what is held where the wanted end begins) on.
fn keep_end(input: impl Read, start_of_end: impl Fn(&[u8]) -> usize) -> io::Result<Vec<u8>> {
    let mut held = Vec::new();
    each_chunk(input, |chunk| {
        held.extend_from_slice(chunk);
        // Trim now and then, not on every read.
        if held.len() >= 16 * CHUNK {
            held.drain(..start_of_end(&held));
        }
        Ok(())
    })?;
    held.drain(..start_of_end(&held));
    Ok(held)
}

/// Hands each read of `input` to `take`, until the end.
fn each_chunk(mut input: impl Read, mut take: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => take(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Where the last `n` lines of `bytes` begin.
fn start_of_last_lines(bytes: &[u8], n: u64, delimiter: u8) -> usize {
    LastLines::new(n, bytes.len() as u64, delimiter)
        .scan(bytes, 0)
        .map_or(0, |at| at as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_of_a_buffer() {
        assert_eq!(start_of_last_lines(b"a\nb\nc\n", 1, b'\n'), 4);
        assert_eq!(start_of_last_lines(b"a\nb\nc\n", 2, b'\n'), 2);
        assert_eq!(start_of_last_lines(b"a\nb\nc\n", 5, b'\n'), 0);
        assert_eq!(start_of_last_lines(b"a\nb\nc", 1, b'\n'), 4);
        assert_eq!(start_of_last_lines(b"a\0b\0", 1, 0), 2);
        assert_eq!(start_of_last_lines(b"a\nb\n", 0, b'\n'), 4);
    }
}
