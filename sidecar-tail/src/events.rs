//! What happens to the files followed, reported to the program running the
//! tailer (Vector's file-source does the same with its internal events), so
//! that it decides what to log and what to count. [`LogEvents`], the
//! default, writes each as one diagnostic line.

use std::io;
use std::path::Path;

use tracing::{debug, info, warn};

/// One thing that happened to a followed file, or to a path the user gave.
#[derive(Debug)]
pub enum FileEvent<'a> {
    /// A followed file was found under a new name (a rename within the
    /// paths followed).
    Renamed {
        /// Its old name.
        from: &'a Path,
        /// Its name now.
        to: &'a Path,
    },
    /// A followed file no longer has a name among the paths (rotated away
    /// or deleted): it is read to its end, then closed.
    RotatedAway {
        /// Its last name.
        path: &'a Path,
    },
    /// A rotated-away file stayed quiet for `--rotate-wait`, and is closed.
    Closed {
        /// Its last name.
        path: &'a Path,
    },
    /// A followed file became shorter or was rewritten: read again from
    /// its start.
    Truncated {
        /// The file.
        path: &'a Path,
    },
    /// copytruncate: the lines written before the cut are read from the copy.
    ReadFromCopy {
        /// The file that was cut.
        path: &'a Path,
        /// The copy.
        copy: &'a Path,
    },
    /// Lines longer than `--max-line-bytes` were delivered in pieces (one
    /// event for those of one read).
    LongLine {
        /// The file.
        path: &'a Path,
        /// How many lines.
        lines: usize,
        /// How many pieces they made.
        pieces: usize,
    },
    /// A file differs from its checkpointed self (inode reused, or
    /// truncated while the process was down): read from the start.
    CheckpointMismatch {
        /// The file.
        path: &'a Path,
    },
    /// A checkpointed file was found under a new name after a restart.
    ResumedUnderNewName {
        /// Its name in the checkpoint.
        was: &'a Path,
        /// Its name now.
        now: &'a Path,
        /// Where reading resumes.
        offset: u64,
    },
    /// A compressed file matched the paths and is skipped.
    CompressedSkipped {
        /// The file.
        path: &'a Path,
        /// gzip, zstd, xz or bzip2.
        compression: &'static str,
    },
    /// A file could not be opened (reported once per path until it opens).
    CannotOpen {
        /// The file.
        path: &'a Path,
        /// Why.
        error: &'a io::Error,
        /// Whether it is tried again (when following).
        retrying: bool,
    },
    /// A read failed; it is tried again at the next pass.
    ReadFailed {
        /// The file.
        path: &'a Path,
        /// Why.
        error: &'a io::Error,
    },
    /// A path the user gave matches no file.
    Missing {
        /// The path or glob.
        pattern: &'a str,
        /// At start (worth a warning) or later (the moment between a
        /// rename and the new file: routine).
        at_start: bool,
    },
    /// A path that matched nothing matches a file again.
    Appeared {
        /// The path or glob.
        pattern: &'a str,
    },
}

impl FileEvent<'_> {
    /// Every event's [`FileEvent::name`], for counters that start at zero.
    pub const NAMES: [&'static str; 13] = [
        "renamed",
        "rotated_away",
        "closed",
        "truncated",
        "read_from_copy",
        "long_line",
        "checkpoint_mismatch",
        "resumed_under_new_name",
        "compressed_skipped",
        "cannot_open",
        "read_failed",
        "missing",
        "appeared",
    ];

    /// Where the event is in [`FileEvent::NAMES`] (and in a counter array
    /// laid out as it is).
    pub fn index(&self) -> usize {
        match self {
            FileEvent::Renamed { .. } => 0,
            FileEvent::RotatedAway { .. } => 1,
            FileEvent::Closed { .. } => 2,
            FileEvent::Truncated { .. } => 3,
            FileEvent::ReadFromCopy { .. } => 4,
            FileEvent::LongLine { .. } => 5,
            FileEvent::CheckpointMismatch { .. } => 6,
            FileEvent::ResumedUnderNewName { .. } => 7,
            FileEvent::CompressedSkipped { .. } => 8,
            FileEvent::CannotOpen { .. } => 9,
            FileEvent::ReadFailed { .. } => 10,
            FileEvent::Missing { .. } => 11,
            FileEvent::Appeared { .. } => 12,
        }
    }

    /// A short name for metrics labels.
    pub fn name(&self) -> &'static str {
        Self::NAMES[self.index()]
    }

    /// How many things happened: the lines of [`FileEvent::LongLine`],
    /// one for every other event.
    pub fn count(&self) -> u64 {
        match self {
            FileEvent::LongLine { lines, .. } => *lines as u64,
            _ => 1,
        }
    }

    /// Writes the event as one diagnostic line: a warning where the user
    /// may have to act or lines were cut, info or debug where it is
    /// routine.
    pub fn log(&self) {
        match *self {
            FileEvent::Renamed { from, to } => {
                info!(from = %from.display(), to = %to.display(), "file renamed")
            }
            FileEvent::RotatedAway { path } => {
                info!(path = %path.display(), "file rotated away or deleted; reading it to its end")
            }
            FileEvent::Closed { path } => debug!(path = %path.display(), "closing rotated file"),
            FileEvent::Truncated { path } => {
                warn!(path = %path.display(), "file truncated or rewritten; reading it again from the start")
            }
            FileEvent::ReadFromCopy { path, copy } => info!(
                path = %path.display(),
                copy = %copy.display(),
                "copytruncate: reading the lines written before the cut from its copy"
            ),
            FileEvent::LongLine { path, lines, pieces } => warn!(
                path = %path.display(),
                lines,
                pieces,
                "lines longer than --max-line-bytes; emitted in pieces"
            ),
            FileEvent::CheckpointMismatch { path } => warn!(
                path = %path.display(),
                "file differs from the checkpointed one (inode reused, or truncated); reading it from the start"
            ),
            FileEvent::ResumedUnderNewName { was, now, offset } => info!(
                was = %was.display(),
                now = %now.display(),
                offset,
                "checkpointed file found under a new name; reading its rest"
            ),
            FileEvent::CompressedSkipped { path, compression } => warn!(
                path = %path.display(),
                compression,
                "compressed file skipped (a rotated log?); --exclude it, or --compressed to follow it anyway"
            ),
            FileEvent::CannotOpen {
                path,
                error,
                retrying: true,
            } => {
                warn!(path = %path.display(), error = %error, "cannot open file; will retry")
            }
            FileEvent::CannotOpen {
                path,
                error,
                retrying: false,
            } => {
                warn!(path = %path.display(), error = %error, "cannot open file")
            }
            FileEvent::ReadFailed { path, error } => {
                warn!(path = %path.display(), error = %error, "read failed; will retry")
            }
            FileEvent::Missing {
                pattern,
                at_start: true,
            } => {
                warn!(path = %pattern, "no such file yet; waiting for it to appear")
            }
            FileEvent::Missing {
                pattern,
                at_start: false,
            } => {
                info!(path = %pattern, "no file matches now; waiting")
            }
            FileEvent::Appeared { pattern } => info!(path = %pattern, "file appeared; following it"),
        }
    }
}

/// Where a [`crate::Tailer`] reports what happens to its files.
pub trait FileEvents: Send {
    /// Called as each event happens, on the tailer's thread.
    fn event(&mut self, event: &FileEvent<'_>);
}

/// The default: every event as a diagnostic line ([`FileEvent::log`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogEvents;

impl FileEvents for LogEvents {
    fn event(&mut self, event: &FileEvent<'_>) {
        event.log();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event has an index of its own, so a counter per event.
    #[test]
    fn every_event_has_an_index_of_its_own() {
        let path = Path::new("app.log");
        let error = io::Error::from(io::ErrorKind::NotFound);
        let every = [
            FileEvent::Renamed { from: path, to: path },
            FileEvent::RotatedAway { path },
            FileEvent::Closed { path },
            FileEvent::Truncated { path },
            FileEvent::ReadFromCopy { path, copy: path },
            FileEvent::LongLine {
                path,
                lines: 1,
                pieces: 2,
            },
            FileEvent::CheckpointMismatch { path },
            FileEvent::ResumedUnderNewName {
                was: path,
                now: path,
                offset: 0,
            },
            FileEvent::CompressedSkipped {
                path,
                compression: "gzip",
            },
            FileEvent::CannotOpen {
                path,
                error: &error,
                retrying: true,
            },
            FileEvent::ReadFailed { path, error: &error },
            FileEvent::Missing {
                pattern: "*.log",
                at_start: true,
            },
            FileEvent::Appeared { pattern: "*.log" },
        ];
        let indexes: Vec<usize> = every.iter().map(FileEvent::index).collect();
        assert_eq!(indexes, (0..FileEvent::NAMES.len()).collect::<Vec<_>>());
    }
}
