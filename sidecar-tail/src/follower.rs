//! One followed file: its open descriptor, how far it was read, and what
//! happened to it (truncated, rotated away).
//!
//! A follower reads through the descriptor it opened, never through the
//! name, so a file renamed or deleted by rotation is still read to its end.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::checkpoint::Entry;
use crate::discover::Found;
use crate::events::{FileEvent, FileEvents};
use crate::identity::{FileId, Fingerprint};
use crate::lines::{Block, LastLines, LineSink, LineSplitter};

/// Where reading a newly followed file starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// At line N, counting from 1 (`tail -n +N`).
    Line(u64),
    /// So that the last N lines come first (`tail -n N`).
    LastLines(u64),
    /// At byte N, counting from 1 (`tail -c +N`).
    Byte(u64),
    /// So that the last N bytes come first (`tail -c N`).
    LastBytes(u64),
    /// Where a checkpoint says delivery stopped, if the file still starts
    /// with the bytes the checkpoint saw; from the start if it does not (the
    /// inode was reused by a new file).
    Resume {
        /// Offset past the last delivered line.
        offset: u64,
        /// The file's fingerprint when that offset was recorded.
        fingerprint: Fingerprint,
    },
}

/// How a file's bytes are cut into lines.
#[derive(Debug, Clone, Copy)]
pub struct LineEnds {
    /// Lines longer than this come in pieces of this size.
    pub max_line_bytes: usize,
    /// The byte that ends a line: `\n`, or NUL (`-z`).
    pub delimiter: u8,
}

/// A poll failed: the file could not be read, or the sink refused the lines.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Reading the followed file failed; the file is skipped, the rest go on.
    #[error("reading {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Writing lines out failed (a closed stdout, say): the run ends.
    #[error("writing output: {0}")]
    Sink(io::Error),
}

/// The state of one followed file.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    id: FileId,
    file: File,
    fingerprint: Fingerprint,
    splitter: LineSplitter,
    /// Offset past the last line the sink has flushed.
    delivered: u64,
    /// The file is no longer reachable under the user's paths (rotated away
    /// or deleted): it is read until it stays quiet, then closed.
    orphaned: bool,
    last_growth: Instant,
    /// The copy a copytruncate rotation made of this file, once its missing
    /// lines were read from it: the tailer counts it as read to its end.
    copy_read: Option<Entry>,
    /// Long lines cut since the last report; kept across reads, since a
    /// line's pieces can arrive over several.
    long_lines: LongLines,
}

impl Follower {
    /// Opens the file found by a scan and positions it as `start` says.
    ///
    /// Returns `Ok(None)` when the name now leads to another file than the
    /// scan saw: the next scan will find that one.
    pub fn open(
        found: &Found,
        start: StartAt,
        lines: LineEnds,
        events: &mut dyn FileEvents,
    ) -> io::Result<Option<Follower>> {
        let file = File::open(&found.path)?;
        let meta = file.metadata()?;
        if FileId::of(&meta) != found.id {
            return Ok(None);
        }
        let size = meta.len();
        let (offset, skip_lines) = match start {
            StartAt::Line(n) => (0, n.saturating_sub(1)),
            StartAt::LastLines(n) => (start_of_last_lines(&file, size, n, lines.delimiter)?, 0),
            StartAt::Byte(n) => (n.saturating_sub(1).min(size), 0),
            StartAt::LastBytes(n) => (size.saturating_sub(n), 0),
            StartAt::Resume { offset, fingerprint } => {
                if fingerprint.matches(&file)? && offset <= size {
                    (offset, 0)
                } else {
                    events.event(&FileEvent::CheckpointMismatch { path: &found.path });
                    (0, 0)
                }
            }
        };
        let fingerprint = Fingerprint::read(&file, size)?.unwrap_or(Fingerprint::EMPTY);
        Ok(Some(Follower {
            path: found.path.clone(),
            id: found.id,
            file,
            fingerprint,
            splitter: LineSplitter::new(offset, lines.max_line_bytes, skip_lines)
                .with_delimiter(lines.delimiter),
            delivered: offset,
            orphaned: false,
            last_growth: Instant::now(),
            copy_read: None,
            long_lines: LongLines::default(),
        }))
    }

    /// The name the file was last found under.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Device and inode of the file.
    pub fn id(&self) -> FileId {
        self.id
    }

    /// Records that a scan found the file, possibly under a new name.
    pub fn found_as(&mut self, path: &Path, events: &mut dyn FileEvents) {
        if self.path != path {
            events.event(&FileEvent::Renamed {
                from: &self.path,
                to: path,
            });
            self.path = path.to_path_buf();
        }
        self.orphaned = false;
    }

    /// Records that a scan no longer finds the file under any user path.
    pub fn orphan(&mut self, events: &mut dyn FileEvents) {
        if !self.orphaned {
            events.event(&FileEvent::RotatedAway { path: &self.path });
            self.orphaned = true;
        }
    }

    /// Whether the file is orphaned and has not grown for `quiet`.
    pub fn is_done(&self, quiet: std::time::Duration) -> bool {
        self.orphaned && self.last_growth.elapsed() >= quiet
    }

    /// Reads what was appended since the last poll and hands its lines to
    /// `sink`, stopping early once `deadline` has passed. Returns the number
    /// of bytes read.
    pub fn poll(
        &mut self,
        sink: &mut dyn LineSink,
        buf: &mut [u8],
        deadline: Option<Instant>,
        events: &mut dyn FileEvents,
    ) -> Result<u64, PollError> {
        let file_error = |path: &Path, source| PollError::File {
            path: path.to_path_buf(),
            source,
        };
        let size = self.file.metadata().map_err(|e| file_error(&self.path, e))?.len();
        let offset = self.splitter.read_offset();
        let rewritten = size < offset
            || (size > offset
                && !self
                    .fingerprint
                    .matches(&self.file)
                    .map_err(|e| file_error(&self.path, e))?);
        if rewritten {
            // Shorter, or as long again with other first bytes (the writer
            // refilled it past our offset before this look): either way the
            // lines not read yet are in the copy, if one was made.
            self.read_rest_from_copy(sink, buf, events)?;
            events.event(&FileEvent::Truncated { path: &self.path });
            self.finish(sink)?;
            self.splitter.restart_at(0);
            self.fingerprint = Fingerprint::EMPTY;
        }

        let mut total = 0;
        let long = &mut self.long_lines;
        loop {
            let read_at = self.splitter.read_offset();
            let n = match self.file.read_at(buf, read_at) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(file_error(&self.path, e)),
            };
            total += n as u64;
            let path = &self.path;
            self.splitter
                .feed(&buf[..n], &mut |block: Block<'_>| {
                    long.count(&block);
                    sink.write(path, block)
                })
                .map_err(PollError::Sink)?;
            self.fingerprint
                .grow(&self.file, self.splitter.read_offset())
                .map_err(|e| file_error(&self.path, e))?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        if let Some((lines, pieces)) = self.long_lines.take_report() {
            events.event(&FileEvent::LongLine {
                path: &self.path,
                lines,
                pieces,
            });
        }
        if total > 0 {
            self.last_growth = Instant::now();
        }
        Ok(total)
    }

    /// After a truncation: the lines written between this file's last read
    /// and the truncation are in the copy that copytruncate made beside it
    /// (a file of the same first bytes, at least as long as what was read
    /// here): read them from there. Lines written after logrotate's copy
    /// and before its truncate are in neither file; logrotate loses them.
    fn read_rest_from_copy(
        &mut self,
        sink: &mut dyn LineSink,
        buf: &mut [u8],
        events: &mut dyn FileEvents,
    ) -> Result<(), PollError> {
        let offset = self.splitter.read_offset();
        let Some((copy, path, meta)) = self.find_copy(offset) else {
            return Ok(());
        };
        events.event(&FileEvent::ReadFromCopy {
            path: &self.path,
            copy: &path,
        });
        let size = meta.len();
        let mut at = offset;
        while at < size {
            let want = buf.len().min((size - at) as usize);
            let n = match copy.read_at(&mut buf[..want], at) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(PollError::File { path, source }),
            };
            let own = &self.path;
            self.splitter
                .feed(&buf[..n], &mut |block: Block<'_>| sink.write(own, block))
                .map_err(PollError::Sink)?;
            at += n as u64;
        }
        self.copy_read = Some(Entry {
            id: FileId::of(&meta),
            fingerprint: self.fingerprint,
            offset: size,
            path,
        });
        Ok(())
    }

    /// The newest regular file beside this one, named as logrotate names
    /// its copies (this file's name and more: `app.log.1`,
    /// `app.log-20261203`), that starts with this file's first bytes and
    /// holds at least `offset` bytes. Any other file that happens to start
    /// the same (a `tail app.log > mirror`) is not a copy: its lines are not
    /// this file's.
    fn find_copy(&self, offset: u64) -> Option<(File, PathBuf, std::fs::Metadata)> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let own_name = self.path.file_name()?.as_encoded_bytes();
        let mut best: Option<(File, PathBuf, std::fs::Metadata)> = None;
        for dirent in std::fs::read_dir(dir).ok()?.flatten() {
            let name = dirent.file_name();
            let named_as_copy = name
                .as_encoded_bytes()
                .strip_prefix(own_name)
                .is_some_and(|rest| rest.len() > 1 && matches!(rest[0], b'.' | b'-' | b'_'));
            if !named_as_copy {
                continue;
            }
            let path = dirent.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() || FileId::of(&meta) == self.id || meta.len() < offset {
                continue;
            }
            let Ok(file) = File::open(&path) else { continue };
            if !self.fingerprint.matches(&file).unwrap_or(false) {
                continue;
            }
            let newer = best
                .as_ref()
                .is_none_or(|(_, _, kept)| meta.modified().ok() > kept.modified().ok());
            if newer {
                best = Some((file, path, meta));
            }
        }
        best
    }

    /// The copy whose lines were read after a copytruncate, once.
    pub fn take_copy_read(&mut self) -> Option<Entry> {
        self.copy_read.take()
    }

    /// Hands on a held partial line, so that nothing is lost.
    pub fn finish(&mut self, sink: &mut dyn LineSink) -> Result<(), PollError> {
        let path = &self.path;
        self.splitter
            .finish(&mut |block| sink.write(path, block))
            .map_err(PollError::Sink)
    }

    /// Counts everything handed to the sink so far as delivered; call after
    /// the sink flushed successfully.
    pub fn mark_delivered(&mut self) {
        self.delivered = self.splitter.consumed_offset();
    }

    /// Whether a partial line is held back.
    pub fn has_partial_line(&self) -> bool {
        self.splitter.pending_len() > 0
    }

    /// This file's checkpoint entry: where a restart resumes.
    pub fn checkpoint_entry(&self) -> Entry {
        Entry {
            id: self.id,
            fingerprint: self.fingerprint,
            offset: self.delivered,
            path: self.path.clone(),
        }
    }
}

/// The offset at which the last `n` lines of the file's first `size` bytes
/// begin, read backwards a chunk at a time.
fn start_of_last_lines(file: &File, size: u64, n: u64, delimiter: u8) -> io::Result<u64> {
    let mut last = LastLines::new(n, size, delimiter);
    let mut buf = vec![0u8; 64 * 1024];
    let mut end = size;
    while end > 0 {
        let len = buf.len().min(end as usize);
        let start = end - len as u64;
        file.read_exact_at(&mut buf[..len], start)?;
        if let Some(at) = last.scan(&buf[..len], start) {
            return Ok(at);
        }
        end = start;
    }
    Ok(last.scan(&[], 0).unwrap_or(0))
}

/// Lines cut into pieces, counted from the blocks: a long line is its
/// unterminated pieces and the piece that ends it, which may come in a
/// later read.
#[derive(Debug, Default)]
struct LongLines {
    /// Lines whose first piece was seen since the last report.
    lines: usize,
    /// Their pieces seen since the last report.
    pieces: usize,
    /// Whether the last block left a line unfinished.
    in_one: bool,
}

impl LongLines {
    /// The counts since the last report, if any line was cut; zeroed.
    fn take_report(&mut self) -> Option<(usize, usize)> {
        let report = (self.pieces > 0).then_some((self.lines, self.pieces));
        self.lines = 0;
        self.pieces = 0;
        report
    }

    fn count(&mut self, block: &Block<'_>) {
        if !block.terminated {
            self.lines += usize::from(!self.in_one);
            self.pieces += 1;
            self.in_one = true;
        } else if self.in_one {
            self.pieces += 1;
            self.in_one = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_offsets() {
        let mut file = tempfile::tempfile().unwrap();
        io::Write::write_all(&mut file, b"a\nbb\nccc\n").unwrap();
        assert_eq!(start_of_last_lines(&file, 9, 1, b'\n').unwrap(), 5);
        assert_eq!(start_of_last_lines(&file, 9, 2, b'\n').unwrap(), 2);
        assert_eq!(start_of_last_lines(&file, 9, 3, b'\n').unwrap(), 0);
        assert_eq!(start_of_last_lines(&file, 9, 10, b'\n').unwrap(), 0);
        assert_eq!(start_of_last_lines(&file, 9, 0, b'\n').unwrap(), 9);
        io::Write::write_all(&mut file, b"dd").unwrap();
        assert_eq!(
            start_of_last_lines(&file, 11, 1, b'\n').unwrap(),
            9,
            "an unfinished last line counts"
        );
    }
}
