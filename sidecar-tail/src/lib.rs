//! sidecar-tail follows log files and streams their lines, losing and
//! duplicating nothing across rotation, truncation and restarts.
//!
//! The map, in the order data flows:
//!
//! - [`discover`]: expands the user's paths and globs into files, each named
//!   by its [`identity::FileId`] (device and inode), not by its path.
//! - [`watch`]: inotify directory watches and wake-ups for the loop.
//! - [`follower`]: one file's state: its open descriptor, offset, fingerprint,
//!   and whether it was truncated or rotated away.
//! - [`lines`]: cuts bytes into whole lines ([`lines::LineSplitter`]) and
//!   defines where they go ([`lines::LineSink`]).
//! - [`output`]: the binary's sink: raw, prefixed or JSON, stdout or stderr.
//! - [`checkpoint`]: delivered offsets per file, written atomically.
//! - [`events`]: what happens to the files (rotation, truncation, long
//!   lines, files gone), reported to the program through a trait.
//! - [`tailer`]: the loop tying these together.
//! - [`cli`]: the binary's flags.
//!
//! Another program (adapter-fmt) follows files by implementing
//! [`LineSink`] and running a [`Tailer`]:
//!
//! ```no_run
//! use sidecar_tail::{Block, LineSink, TailConfig, Tailer};
//! use std::path::Path;
//!
//! struct Count(usize);
//! impl LineSink for Count {
//!     fn write(&mut self, _path: &Path, block: Block<'_>) -> std::io::Result<()> {
//!         self.0 += block.lines().count();
//!         Ok(())
//!     }
//!     fn flush(&mut self) -> std::io::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! let config = TailConfig {
//!     paths: vec!["/var/log/*.log".into()],
//!     follow: false,
//!     ..TailConfig::default()
//! };
//! let mut count = Count(0);
//! Tailer::new(config)?.run(&mut count)?;
//! # Ok::<(), sidecar_tail::TailError>(())
//! ```

pub mod checkpoint;
pub mod cli;
pub mod discover;
pub mod events;
pub mod follower;
pub mod identity;
pub mod lines;
pub mod output;
pub mod stdin;
pub mod tailer;
pub mod watch;

pub use events::{FileEvent, FileEvents, LogEvents};
pub use follower::{LineEnds, StartAt};
pub use lines::{Block, LineSink};
pub use tailer::{TailConfig, TailError, Tailer, WatchMode};
pub use watch::Waker;
