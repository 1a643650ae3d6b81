//! Cutting a file's bytes into lines, and the trait that receives them.
//!
//! The splitter hands on runs of whole lines as one [`Block`] rather than line
//! by line, so that raw output can write a whole read buffer with one system
//! call; sinks that need single lines walk a block with [`Block::lines`].

use std::io;
use std::path::Path;

use memchr::{memchr, memchr_iter, memrchr, memrchr_iter};

/// A run of bytes from one file, handed to a [`LineSink`].
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// Byte offset of `bytes[0]` in the file.
    pub offset: u64,
    /// One or more lines. When `terminated`, every line ends in `\n`;
    /// otherwise `bytes` is a single line without one: a piece of a line
    /// longer than the limit, or a last line that never got its newline.
    pub bytes: &'a [u8],
    /// Whether `bytes` ends in `\n`.
    pub terminated: bool,
    /// The last bytes of the input, which never got their newline (at
    /// shutdown, or when a rotated file is done): written as they are, as
    /// tail writes them, not with a newline made up for them.
    pub unfinished: bool,
    /// The byte that ends a line: `\n`, or NUL with `-z` (where this
    /// module says newline, it means this byte).
    pub delimiter: u8,
}

impl<'a> Block<'a> {
    /// Each line of the block with its file offset, without its `\n`.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
        let bytes = self.bytes;
        let body = if self.terminated {
            &bytes[..bytes.len().saturating_sub(1)]
        } else {
            bytes
        };
        let offset = self.offset;
        let delimiter = self.delimiter;
        let mut start = 0;
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let line_start = start;
            match memchr(delimiter, &body[start..]) {
                Some(i) => {
                    start += i + 1;
                    Some((offset + line_start as u64, &body[line_start..line_start + i]))
                }
                None => {
                    done = true;
                    Some((offset + line_start as u64, &body[line_start..]))
                }
            }
        })
    }
}

/// Where the lines of followed files go: the binary's stdout writer, or
/// another program's record pipeline (adapter-fmt).
pub trait LineSink {
    /// Receives lines read from the file found at `path`.
    fn write(&mut self, path: &Path, block: Block<'_>) -> io::Result<()>;

    /// Pushes out whatever is buffered. The tailer calls it after each pass
    /// over the files and counts a line as delivered only once this succeeds.
    fn flush(&mut self) -> io::Result<()>;
}

/// Splits one file's bytes into lines, holding a partial last line back
/// until its newline arrives.
#[derive(Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
    /// File offset just past the last byte fed in.
    next_offset: u64,
    max_line_bytes: usize,
    skip_lines: u64,
    delimiter: u8,
}

impl LineSplitter {
    /// A splitter for bytes starting at file offset `offset`, which drops the
    /// first `skip_lines` lines and cuts lines longer than `max_line_bytes`
    /// into pieces of that size.
    pub fn new(offset: u64, max_line_bytes: usize, skip_lines: u64) -> Self {
        LineSplitter {
            pending: Vec::new(),
            next_offset: offset,
            max_line_bytes: max_line_bytes.max(1),
            skip_lines,
            delimiter: b'\n',
        }
    }

    /// The same splitter ending lines at `delimiter` instead of `\n`
    /// (`-z`: NUL).
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// File offset just past the last byte handed on or skipped: where a
    /// restart has to resume so that no line is lost or repeated.
    pub fn consumed_offset(&self) -> u64 {
        self.next_offset - self.pending.len() as u64
    }

    /// File offset just past the last byte fed in: where the next read starts.
    pub fn read_offset(&self) -> u64 {
        self.next_offset
    }

    /// How many bytes of an unfinished line are held back.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Starts over at `offset` (after a truncation), forgetting held bytes:
    /// call [`LineSplitter::finish`] first to keep them.
    pub fn restart_at(&mut self, offset: u64) {
        self.pending.clear();
        self.next_offset = offset;
    }

    /// Feeds the next bytes of the file.
    pub fn feed<E>(&mut self, mut data: &[u8], emit: &mut E) -> io::Result<()>
    where
        E: FnMut(Block<'_>) -> io::Result<()>,
    {
        let mut offset = self.next_offset;
        self.next_offset += data.len() as u64;

        if !self.pending.is_empty() {
            let Some(newline) = memchr(self.delimiter, data) else {
                self.pending.extend_from_slice(data);
                return self.cut_oversized_pending(emit);
            };
            let start = offset - self.pending.len() as u64;
            self.pending.extend_from_slice(&data[..=newline]);
            let line = std::mem::take(&mut self.pending);
            self.emit_line(start, &line, emit)?;
            self.pending = line;
            self.pending.clear();
            data = &data[newline + 1..];
            offset += newline as u64 + 1;
        }

        match memrchr(self.delimiter, data) {
            Some(last) => {
                self.emit_whole_lines(offset, &data[..=last], emit)?;
                self.pending.extend_from_slice(&data[last + 1..]);
            }
            None => self.pending.extend_from_slice(data),
        }
        self.cut_oversized_pending(emit)
    }

    /// Hands on a held partial line as it is (at shutdown, at EOF without
    /// follow, or before a truncated file is read again), so nothing is lost.
    pub fn finish<E>(&mut self, emit: &mut E) -> io::Result<()>
    where
        E: FnMut(Block<'_>) -> io::Result<()>,
    {
        if self.pending.is_empty() {
            return Ok(());
        }
        let offset = self.consumed_offset();
        let pending = std::mem::take(&mut self.pending);
        if self.skip_lines > 0 {
            self.skip_lines -= 1;
        } else {
            emit(Block {
                offset,
                bytes: &pending,
                terminated: false,
                unfinished: true,
                delimiter: self.delimiter,
            })?;
        }
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    /// `lines` holds whole lines, each ending in `\n`.
    fn emit_whole_lines<E>(&mut self, mut offset: u64, mut lines: &[u8], emit: &mut E) -> io::Result<()>
    where
        E: FnMut(Block<'_>) -> io::Result<()>,
    {
        while self.skip_lines > 0 && !lines.is_empty() {
            let end = memchr(self.delimiter, lines).map_or(lines.len(), |i| i + 1);
            self.skip_lines -= 1;
            lines = &lines[end..];
            offset += end as u64;
        }
        if lines.is_empty() {
            return Ok(());
        }
        // The common case: a run no longer than the limit cannot hold a line
        // over the limit, so it goes on whole without looking at each line.
        if lines.len() <= self.max_line_bytes {
            return emit(Block {
                offset,
                bytes: lines,
                terminated: true,
                unfinished: false,
                delimiter: self.delimiter,
            });
        }
        let mut start = 0;
        for newline in memchr_iter(self.delimiter, lines) {
            self.emit_line(offset + start as u64, &lines[start..=newline], emit)?;
            start = newline + 1;
        }
        Ok(())
    }

    /// `line` is one whole line ending in `\n`.
    fn emit_line<E>(&mut self, offset: u64, line: &[u8], emit: &mut E) -> io::Result<()>
    where
        E: FnMut(Block<'_>) -> io::Result<()>,
    {
        if self.skip_lines > 0 {
            self.skip_lines -= 1;
            return Ok(());
        }
        let max = self.max_line_bytes;
        let mut rest = line;
        let mut rest_offset = offset;
        // The newline itself does not count against the limit.
        while rest.len() - 1 > max {
            let piece = piece_len(rest, max);
            emit(Block {
                offset: rest_offset,
                bytes: &rest[..piece],
                terminated: false,
                unfinished: false,
                delimiter: self.delimiter,
            })?;
            rest = &rest[piece..];
            rest_offset += piece as u64;
        }
        emit(Block {
            offset: rest_offset,
            bytes: rest,
            terminated: true,
            unfinished: false,
            delimiter: self.delimiter,
        })
    }

    fn cut_oversized_pending<E>(&mut self, emit: &mut E) -> io::Result<()>
    where
        E: FnMut(Block<'_>) -> io::Result<()>,
    {
        let max = self.max_line_bytes;
        let delimiter = self.delimiter;
        if self.pending.len() <= max {
            return Ok(());
        }
        let mut offset = self.consumed_offset();
        let mut cut = 0;
        while self.pending.len() - cut > max {
            let piece = piece_len(&self.pending[cut..], max);
            if self.skip_lines == 0 {
                emit(Block {
                    offset,
                    bytes: &self.pending[cut..cut + piece],
                    terminated: false,
                    unfinished: false,
                    delimiter,
                })?;
            }
            cut += piece;
            offset += piece as u64;
        }
        self.pending.drain(..cut);
        Ok(())
    }
}

/// The length of the next piece of `bytes` (longer than `max`): `max`, or
/// less so that a UTF-8 character is not cut in two (the next piece would
/// start with a continuation byte); `max` when no boundary is within the
/// last three bytes (or, for a small `max`, after the first byte), as in
/// bytes that are not UTF-8.
fn piece_len(bytes: &[u8], max: usize) -> usize {
    let is_continuation = |at: usize| bytes[at] & 0xC0 == 0x80;
    (max.saturating_sub(3).max(1)..=max)
        .rev()
        .find(|&cut| !is_continuation(cut))
        .unwrap_or(max)
}

/// Where the last N lines of some bytes begin (`tail -n N`), found by
/// looking at them backwards, in as many chunks as it takes; a delimiter
/// at the very end ends the last line rather than starting a new one.
#[derive(Debug)]
pub struct LastLines {
    wanted: u64,
    seen: u64,
    end: u64,
    delimiter: u8,
}

impl LastLines {
    /// Looks for the last `n` lines of bytes that end at offset `end`.
    pub fn new(n: u64, end: u64, delimiter: u8) -> Self {
        LastLines {
            wanted: n,
            seen: 0,
            end,
            delimiter,
        }
    }

    /// Looks at `chunk`, the bytes at offset `start` just before the chunks
    /// looked at so far: the offset where the last lines begin, once
    /// known. When every chunk was looked at without an answer, the lines
    /// begin at the start.
    pub fn scan(&mut self, chunk: &[u8], start: u64) -> Option<u64> {
        if self.wanted == 0 {
            return Some(self.end);
        }
        for i in memrchr_iter(self.delimiter, chunk) {
            let at = start + i as u64;
            if at + 1 == self.end {
                continue;
            }
            self.seen += 1;
            if self.seen == self.wanted {
                return Some(at + 1);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pieces_do_not_cut_utf8_characters() {
        let mut pieces = Vec::new();
        let mut splitter = LineSplitter::new(0, 2, 0);
        splitter
            .feed("héllo wörld\n".as_bytes(), &mut |block: Block<'_>| {
                pieces.push(String::from_utf8(block.bytes.to_vec()).expect("whole characters"));
                Ok(())
            })
            .unwrap();
        assert_eq!(pieces.concat(), "héllo wörld\n");
        assert_eq!(pieces[..3], ["h", "é", "ll"]);
        // Not UTF-8: cut at the limit, as before.
        assert_eq!(piece_len(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80], 4), 4);
    }

    use super::*;

    /// Feeds `chunks` and returns what came out, one `(offset, bytes, terminated)` per block.
    fn run(chunks: &[&[u8]], max: usize, skip: u64, finish: bool) -> Vec<(u64, Vec<u8>, bool)> {
        let mut splitter = LineSplitter::new(0, max, skip);
        let mut out = Vec::new();
        let mut emit = |b: Block<'_>| {
            out.push((b.offset, b.bytes.to_vec(), b.terminated));
            Ok(())
        };
        for chunk in chunks {
            splitter.feed(chunk, &mut emit).unwrap();
        }
        if finish {
            splitter.finish(&mut emit).unwrap();
        }
        out
    }

    #[test]
    fn whole_lines_pass_as_one_block_and_partial_is_held() {
        let out = run(&[b"a\nbb\ncc"], 100, 0, false);
        assert_eq!(out, vec![(0, b"a\nbb\n".to_vec(), true)]);
    }

    #[test]
    fn partial_line_completes_across_feeds() {
        let out = run(&[b"a\nb", b"c", b"d\ne\n"], 100, 0, false);
        assert_eq!(
            out,
            vec![
                (0, b"a\n".to_vec(), true),
                (2, b"bcd\n".to_vec(), true),
                (6, b"e\n".to_vec(), true)
            ]
        );
    }

    #[test]
    fn finish_emits_partial_unterminated() {
        let out = run(&[b"a\nxyz"], 100, 0, true);
        assert_eq!(out, vec![(0, b"a\n".to_vec(), true), (2, b"xyz".to_vec(), false)]);
    }

    #[test]
    fn long_lines_come_in_pieces_and_nothing_is_lost() {
        let out = run(&[b"abcdefg\nhi\n"], 3, 0, false);
        let joined: Vec<u8> = out.iter().flat_map(|(_, b, _)| b.clone()).collect();
        assert_eq!(joined, b"abcdefg\nhi\n");
        assert_eq!(out[0], (0, b"abc".to_vec(), false));
        assert_eq!(out[1], (3, b"def".to_vec(), false));
        assert_eq!(out[2], (6, b"g\n".to_vec(), true));
    }

    #[test]
    fn long_pending_is_cut_before_its_newline_arrives() {
        let out = run(&[b"abcd", b"efgh", b"\n"], 3, 0, false);
        let joined: Vec<u8> = out.iter().flat_map(|(_, b, _)| b.clone()).collect();
        assert_eq!(joined, b"abcdefgh\n");
        assert!(out.iter().all(|(_, b, _)| b.len() <= 4));
    }

    #[test]
    fn skip_drops_the_first_lines() {
        let out = run(&[b"1\n2\n3", b"\n4\n"], 100, 2, false);
        assert_eq!(out, vec![(4, b"3\n".to_vec(), true), (6, b"4\n".to_vec(), true)]);
    }

    #[test]
    fn consumed_offset_excludes_pending() {
        let mut splitter = LineSplitter::new(10, 100, 0);
        splitter.feed(b"ab\ncd", &mut |_| Ok(())).unwrap();
        assert_eq!(splitter.consumed_offset(), 13);
        assert_eq!(splitter.read_offset(), 15);
    }

    #[test]
    fn block_lines_iterates_with_offsets() {
        let block = Block {
            offset: 5,
            bytes: b"a\n\nbc\n",
            terminated: true,
            unfinished: false,
            delimiter: b'\n',
        };
        let lines: Vec<_> = block.lines().collect();
        assert_eq!(lines, vec![(5, &b"a"[..]), (7, &b""[..]), (8, &b"bc"[..])]);
        let piece = Block {
            offset: 0,
            bytes: b"xy",
            terminated: false,
            unfinished: false,
            delimiter: b'\n',
        };
        assert_eq!(piece.lines().collect::<Vec<_>>(), vec![(0, &b"xy"[..])]);
    }
}
