//! The loop that ties it together: find files, read them, deliver their
//! lines, remember how far, sleep until something changes.
//!
//! One thread does all the reading, in the order the files appeared, so the
//! rest of a rotated file is always delivered before the first line of the
//! file that replaced it.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::checkpoint::{CheckpointError, Checkpointer, Entry};
use crate::discover::{Discovery, Found, PatternError};
use crate::events::{FileEvent, FileEvents, LogEvents};
use crate::follower::{Follower, LineEnds, PollError, StartAt};
use crate::identity::FileId;
use crate::lines::LineSink;
use crate::watch::{wake_channel, DirWatcher, Waker, Wakeups};

/// Bytes read from a file per system call.
pub const READ_CHUNK: usize = 64 * 1024;

/// How often files are polled when inotify turns out to be unusable.
pub const FALLBACK_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How the tailer learns that files changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// inotify events, falling back to polling by itself when unavailable.
    Events,
    /// Look at every file at this interval (NFS, some overlay volumes).
    Poll(Duration),
}

/// Everything the tailer needs to know; see the CLI for what each means.
#[derive(Debug, Clone)]
pub struct TailConfig {
    /// Files and globs to follow.
    pub paths: Vec<String>,
    /// Where files present at start begin (ignored for files a checkpoint knows).
    pub start: StartAt,
    /// Keep following after EOF (`false`: read to EOF and return).
    pub follow: bool,
    /// How changes are noticed.
    pub watch: WatchMode,
    /// How often globs are evaluated again even without directory events.
    pub glob_interval: Duration,
    /// Lines longer than this are delivered in pieces.
    pub max_line_bytes: usize,
    /// The byte that ends a line: `\n`, or NUL (`-z`).
    pub delimiter: u8,
    /// Where delivery offsets are kept across restarts.
    pub checkpoint: Option<PathBuf>,
    /// How often the checkpoint is written while running.
    pub checkpoint_interval: Duration,
    /// How long the final drain at shutdown may take.
    pub drain_timeout: Duration,
    /// How long a rotated-away or deleted file is kept open after it last grew.
    pub rotate_wait: Duration,
    /// Files never followed: globs matched against the full path or the
    /// file name (`--exclude`).
    pub exclude: Vec<glob::Pattern>,
    /// How often files are looked at when polling without an interval of
    /// its own (inotify unavailable).
    pub poll_interval: Duration,
    /// Stop, after reading every file to its end, once this process is
    /// gone (`--pid`).
    pub until_process_dies: Option<i32>,
    /// Follow compressed files too (their first bytes say gzip, zstd, xz or
    /// bzip2); by default they are skipped with a warning.
    pub compressed: bool,
}

impl Default for TailConfig {
    fn default() -> Self {
        TailConfig {
            paths: Vec::new(),
            start: StartAt::Line(1),
            follow: true,
            watch: WatchMode::Events,
            glob_interval: Duration::from_secs(1),
            max_line_bytes: 1024 * 1024,
            delimiter: b'\n',
            checkpoint: None,
            checkpoint_interval: Duration::from_millis(250),
            drain_timeout: Duration::from_secs(5),
            rotate_wait: Duration::from_secs(5),
            exclude: Vec::new(),
            compressed: false,
            poll_interval: FALLBACK_POLL_INTERVAL,
            until_process_dies: None,
        }
    }
}

impl TailConfig {
    /// How the files' bytes are cut into lines.
    pub fn line_ends(&self) -> LineEnds {
        LineEnds {
            max_line_bytes: self.max_line_bytes,
            delimiter: self.delimiter,
        }
    }
}

/// Whether process `pid` still exists (signal 0 reaches it, or it is
/// someone else's).
fn process_alive(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// The compression a file's first bytes announce, if any.
fn compression_of(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = [0u8; 6];
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    let head = &head[..len];
    [
        (&b"\x1f\x8b"[..], "gzip"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"BZh", "bzip2"),
    ]
    .into_iter()
    .find(|(magic, _)| head.starts_with(magic))
    .map(|(_, kind)| kind)
}

/// Why the tailer stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// A path pattern is not a valid glob.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// The checkpoint could not be read, or not written at shutdown.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Without follow, some paths named no file (the others were printed).
    #[error("no such file: {0}")]
    NoSuchFile(String),
    /// Without follow, some files could not be read (the others were printed).
    #[error("cannot read {0}")]
    Unreadable(String),
    /// A path names something that is not a regular file.
    #[error("{path} is {kind}, not a file: {advice}")]
    NotAFile {
        /// The path.
        path: String,
        /// What it is: `a directory`, `a FIFO (named pipe)`, `a device`, ...
        kind: &'static str,
        /// What to give instead.
        advice: String,
    },
    /// The sink refused lines (for the binary: stdout was closed).
    #[error("writing output: {0}")]
    Output(#[source] io::Error),
}

/// Follows files and hands their lines to a [`LineSink`].
pub struct Tailer {
    config: TailConfig,
    discovery: Discovery,
    /// In the order the files were first found.
    followers: Vec<Follower>,
    checkpointer: Option<Checkpointer>,
    /// Checkpoint entries not yet matched to a file found by a scan.
    resume: HashMap<FileId, Entry>,
    waker: Waker,
    wakeups: Wakeups,
    watcher: Option<DirWatcher>,
    poll_interval: Option<Duration>,
    buf: Vec<u8>,
    /// Patterns already reported as matching nothing.
    reported_missing: Vec<bool>,
    /// Paths that could not be opened, reported once.
    reported_unreadable: HashSet<PathBuf>,
    /// Compressed files found by the paths, skipped (and reported) once.
    compressed: HashSet<FileId>,
    /// Where what happens to the files is reported.
    events: Box<dyn FileEvents>,
}

impl Tailer {
    /// Checks the configuration; nothing is opened until [`Tailer::run`].
    pub fn new(config: TailConfig) -> Result<Self, TailError> {
        let mut discovery = Discovery::new(&config.paths)?;
        discovery.exclude_globs(config.exclude.clone());
        let checkpointer = config.checkpoint.as_ref().map(Checkpointer::new);
        if let Some(checkpointer) = &checkpointer {
            discovery.exclude(checkpointer.path());
            discovery.exclude(&checkpointer.temp_path());
        }
        let (waker, wakeups) = wake_channel();
        Ok(Tailer {
            checkpointer,
            poll_interval: match config.watch {
                WatchMode::Poll(interval) => Some(interval),
                WatchMode::Events => None,
            },
            reported_missing: vec![false; config.paths.len()],
            config,
            discovery,
            followers: Vec::new(),
            resume: HashMap::new(),
            waker,
            wakeups,
            watcher: None,
            buf: vec![0; READ_CHUNK],
            reported_unreadable: HashSet::new(),
            compressed: HashSet::new(),
            events: Box::new(LogEvents),
        })
    }

    /// Reports what happens to the files to `events` instead of logging it
    /// ([`LogEvents`]).
    pub fn with_events(mut self, events: impl FileEvents + 'static) -> Self {
        self.events = Box::new(events);
        self
    }

    /// A handle that other threads (a signal handler) use to stop the run.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Follows the files until EOF (without follow) or until shut down.
    pub fn run(&mut self, sink: &mut dyn LineSink) -> Result<(), TailError> {
        if let Some((path, kind)) = self.discovery.not_files().into_iter().next() {
            let advice = if kind == "a directory" {
                format!("follow the files in it with '{}/*.log' (quoted)", path.display())
            } else {
                "sidecar-tail follows regular files".to_owned()
            };
            return Err(TailError::NotAFile {
                path: path.display().to_string(),
                kind,
                advice,
            });
        }
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.check_writable()?;
        }
        let resuming = self.load_checkpoint()?;
        if self.config.follow && self.poll_interval.is_none() {
            self.start_watching();
        }
        self.rescan(if resuming { None } else { Some(self.config.start) });
        self.recover_moved_files();
        for entry in self.resume.values() {
            warn!(
                path = %entry.path.display(),
                offset = entry.offset,
                "checkpointed file is gone (deleted, or compressed into a new file); its lines after this offset are lost"
            );
        }
        self.resume.clear();

        let mut next_rescan = Instant::now() + self.config.glob_interval;
        let mut next_checkpoint = Instant::now() + self.config.checkpoint_interval;
        loop {
            self.poll_all(sink, None)?;
            if !self.config.follow {
                self.finish_run(sink, None)?;
                return self.check_all_matched();
            }
            let now = Instant::now();
            if self.checkpointer.is_some() && now >= next_checkpoint {
                self.save_checkpoint_or_warn();
                next_checkpoint = now + self.config.checkpoint_interval;
            }

            let mut deadline = next_rescan;
            if self.checkpointer.is_some() {
                deadline = deadline.min(next_checkpoint);
            }
            if let Some(interval) = self.poll_interval {
                deadline = deadline.min(now + interval);
            }
            if self.config.until_process_dies.is_some() {
                deadline = deadline.min(now + self.config.poll_interval.max(Duration::from_millis(100)));
            }
            let wanted = self.wakeups.wait(deadline.saturating_duration_since(now));
            let process_gone = self
                .config
                .until_process_dies
                .is_some_and(|pid| !process_alive(pid));
            if wanted.shutdown || process_gone {
                let drain_deadline = Instant::now() + self.config.drain_timeout;
                self.rescan(None);
                self.poll_all(sink, Some(drain_deadline))?;
                return self.finish_run(sink, Some(drain_deadline));
            }
            // Without events, a rename or a new file shows only by looking at
            // the names: polling looks at them on every tick.
            let polling = self.poll_interval.is_some();
            if wanted.rescan || polling || Instant::now() >= next_rescan {
                self.rescan(None);
                next_rescan = Instant::now() + self.config.glob_interval;
            }
        }
    }

    /// Without follow, a path that named no file is an error, as for `tail`.
    fn check_all_matched(&self) -> Result<(), TailError> {
        if !self.reported_unreadable.is_empty() {
            let mut paths: Vec<String> = self
                .reported_unreadable
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            paths.sort();
            return Err(TailError::Unreadable(paths.join(", ")));
        }
        let missing: Vec<String> = self
            .discovery
            .pattern_texts()
            .zip(&self.reported_missing)
            .filter(|(_, &reported)| reported)
            .map(|(pattern, _)| pattern)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(TailError::NoSuchFile(missing.join(", ")))
        }
    }

    /// Checkpointed files that left their names while nothing ran (a
    /// rename rotation keeps the inode): found by device and inode in the
    /// directories the paths name and the one each was checkpointed in,
    /// their first bytes matching the checkpoint's fingerprint (a reused
    /// inode is another file). Each is read from its checkpointed offset to
    /// its end, before every other file: its rest is older than its
    /// successor's lines.
    fn recover_moved_files(&mut self) {
        if self.resume.is_empty() {
            return;
        }
        let mut dirs: Vec<PathBuf> = self.discovery.base_dirs().collect();
        dirs.extend(
            self.resume
                .values()
                .filter_map(|e| e.path.parent().map(Path::to_path_buf)),
        );
        dirs.sort();
        dirs.dedup();
        let mut recovered = Vec::new();
        for dir in dirs {
            let Ok(listing) = std::fs::read_dir(&dir) else {
                continue;
            };
            for dirent in listing.flatten() {
                let path = dirent.path();
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let id = FileId::of(&meta);
                if !meta.is_file() || !self.resume.contains_key(&id) {
                    continue;
                }
                let same_file = std::fs::File::open(&path)
                    .and_then(|file| self.resume[&id].fingerprint.matches(&file))
                    .unwrap_or(false);
                if !same_file {
                    continue;
                }
                let Some(entry) = self.resume.remove(&id) else {
                    continue;
                };
                let found = Found { path, id, meta };
                let begin = StartAt::Resume {
                    offset: entry.offset,
                    fingerprint: entry.fingerprint,
                };
                match Follower::open(&found, begin, self.config.line_ends(), self.events.as_mut()) {
                    Ok(Some(mut follower)) => {
                        self.events.event(&FileEvent::ResumedUnderNewName {
                            was: &entry.path,
                            now: &found.path,
                            offset: entry.offset,
                        });
                        follower.orphan(self.events.as_mut());
                        recovered.push(follower);
                    }
                    Ok(None) => {}
                    Err(error) => self.events.event(&FileEvent::CannotOpen {
                        path: &found.path,
                        error: &error,
                        retrying: false,
                    }),
                }
            }
        }
        recovered.append(&mut self.followers);
        self.followers = recovered;
    }

    /// Reads the checkpoint, if one is configured and present.
    fn load_checkpoint(&mut self) -> Result<bool, TailError> {
        let Some(checkpointer) = self.checkpointer.as_mut() else {
            return Ok(false);
        };
        let Some(entries) = checkpointer.load()? else {
            return Ok(false);
        };
        info!(path = %checkpointer.path().display(), files = entries.len(), "resuming from checkpoint");
        self.resume = entries.into_iter().map(|e| (e.id, e)).collect();
        Ok(true)
    }

    fn start_watching(&mut self) {
        match DirWatcher::new(self.waker.clone()) {
            Ok(watcher) => self.watcher = Some(watcher),
            Err(e) => self.fall_back_to_polling(e),
        }
    }

    fn fall_back_to_polling(&mut self, reason: impl std::fmt::Display) {
        warn!(interval = ?self.config.poll_interval, "{reason}");
        self.watcher = None;
        self.poll_interval = Some(self.config.poll_interval);
    }

    /// Looks for files again: follows new ones, notes renamed and vanished
    /// ones. `start` is where files found now begin; `None` means from
    /// their first byte (unless a checkpoint knows them).
    fn rescan(&mut self, start: Option<StartAt>) {
        let scan = self.discovery.scan();
        self.report_missing(&scan.matched, start.is_some());

        let mut by_id: HashMap<FileId, &Found> = scan.found.iter().map(|f| (f.id, f)).collect();
        for follower in &mut self.followers {
            match by_id.remove(&follower.id()) {
                Some(found) => follower.found_as(&found.path, self.events.as_mut()),
                None => follower.orphan(self.events.as_mut()),
            }
        }
        let first_scan = start.is_some();
        let mut new_files: Vec<&Found> = scan.found.iter().filter(|f| by_id.contains_key(&f.id)).collect();
        // At start the user's order stands; later arrivals go oldest first.
        // Files a checkpoint knows go before all others: they were being
        // read before the restart, so their rest is older than any file
        // that appeared since (timestamps can tie; this cannot).
        if !first_scan {
            new_files.sort_by_key(|f| (!self.resume.contains_key(&f.id), f.age_key()));
        }
        for found in new_files {
            if self.compressed.contains(&found.id) {
                continue;
            }
            if !self.config.compressed {
                if let Some(kind) = compression_of(&found.path) {
                    self.events.event(&FileEvent::CompressedSkipped {
                        path: &found.path,
                        compression: kind,
                    });
                    self.compressed.insert(found.id);
                    continue;
                }
                // `gzip -k` creates its file empty: wait for its first bytes.
                let compressed_name = found
                    .path
                    .extension()
                    .is_some_and(|e| ["gz", "zst", "xz", "bz2"].iter().any(|c| e == *c));
                if compressed_name && found.meta.len() < 6 {
                    continue;
                }
            }
            let begin = match self.resume.remove(&found.id) {
                Some(entry) => StartAt::Resume {
                    offset: entry.offset,
                    fingerprint: entry.fingerprint,
                },
                None => start.unwrap_or(StartAt::Line(1)),
            };
            match Follower::open(found, begin, self.config.line_ends(), self.events.as_mut()) {
                Ok(Some(follower)) => {
                    debug!(path = %found.path.display(), "following");
                    self.reported_unreadable.remove(&found.path);
                    self.watch_dirs_of(&found.path);
                    self.followers.push(follower);
                }
                Ok(None) => {}
                Err(error) => {
                    if self.reported_unreadable.insert(found.path.clone()) {
                        self.events.event(&FileEvent::CannotOpen {
                            path: &found.path,
                            error: &error,
                            retrying: self.config.follow,
                        });
                    }
                }
            }
        }
        let base_dirs: Vec<PathBuf> = self.discovery.base_dirs().collect();
        for dir in base_dirs {
            self.watch_dir(&dir);
        }
    }

    /// Says once at start which patterns match nothing; later gaps (the
    /// moment between a rename and the new file) are routine and only logged
    /// at info level.
    fn report_missing(&mut self, matched: &[bool], at_start: bool) {
        for ((pattern, &matched), reported) in self
            .discovery
            .pattern_texts()
            .zip(matched)
            .zip(&mut self.reported_missing)
        {
            if !matched && !*reported {
                // Without following, a missing path is the run's error.
                if !at_start || self.config.follow {
                    self.events.event(&FileEvent::Missing {
                        pattern: &pattern,
                        at_start,
                    });
                }
                *reported = true;
            } else if matched && *reported {
                self.events.event(&FileEvent::Appeared { pattern: &pattern });
                *reported = false;
            }
        }
    }

    /// Watches the directory of `path` and, for a symlink, of its target,
    /// where the writes actually happen.
    fn watch_dirs_of(&mut self, path: &Path) {
        if self.watcher.is_none() {
            return;
        }
        let mut dirs = vec![path.parent().map(Path::to_path_buf)];
        if let Ok(target) = path.canonicalize() {
            dirs.push(target.parent().map(Path::to_path_buf));
        }
        for dir in dirs.into_iter().flatten() {
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            self.watch_dir(&dir);
        }
    }

    fn watch_dir(&mut self, dir: &Path) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        if let Err(e) = watcher.watch_dir(dir) {
            self.fall_back_to_polling(e);
        }
    }

    /// Reads every file once to its current end (or until `deadline`),
    /// closes files that were rotated away and stayed quiet, and flushes.
    fn poll_all(&mut self, sink: &mut dyn LineSink, deadline: Option<Instant>) -> Result<(), TailError> {
        let quiet = self.config.rotate_wait;
        for follower in &mut self.followers {
            match follower.poll(sink, &mut self.buf, deadline, self.events.as_mut()) {
                Ok(_) => {}
                Err(PollError::File { path, source }) => {
                    self.events.event(&FileEvent::ReadFailed {
                        path: &path,
                        error: &source,
                    });
                }
                Err(PollError::Sink(e)) => return Err(self.output_failed(e)),
            }
            if follower.is_done(quiet) {
                if let Err(PollError::Sink(e)) = follower.finish(sink) {
                    return Err(self.output_failed(e));
                }
            }
        }
        self.flush(sink)?;
        // A copytruncate copy whose missing lines were read is, in effect,
        // read: if the paths match it, it is not read again.
        for follower in &mut self.followers {
            if let Some(copy) = follower.take_copy_read() {
                self.resume.insert(copy.id, copy);
            }
        }
        let events = &mut self.events;
        self.followers.retain(|f| {
            let done = f.is_done(quiet);
            if done {
                events.event(&FileEvent::Closed { path: f.path() });
            }
            !done
        });
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn LineSink) -> Result<(), TailError> {
        if let Err(e) = sink.flush() {
            return Err(self.output_failed(e));
        }
        for follower in &mut self.followers {
            follower.mark_delivered();
        }
        Ok(())
    }

    /// Delivers held partial lines (unless a checkpoint will resume them
    /// whole), flushes, and writes the final checkpoint.
    fn finish_run(&mut self, sink: &mut dyn LineSink, deadline: Option<Instant>) -> Result<(), TailError> {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            warn!(timeout = ?self.config.drain_timeout, "drain timeout reached; stopping before every file was read to its end");
        }
        if self.checkpointer.is_none() {
            for follower in &mut self.followers {
                if let Err(PollError::Sink(e)) = follower.finish(sink) {
                    return Err(self.output_failed(e));
                }
            }
            self.flush(sink)?;
        } else if self.followers.iter().any(Follower::has_partial_line) {
            debug!("partial lines are left for the next run, which the checkpoint resumes");
        }
        let entries = self.checkpoint_entries();
        if let Some(checkpointer) = self.checkpointer.as_mut() {
            checkpointer.save(entries)?;
        }
        Ok(())
    }

    /// The output is gone: keep what was delivered in the checkpoint so a
    /// restart neither repeats nor loses lines, then give up.
    fn output_failed(&mut self, error: io::Error) -> TailError {
        if self.checkpointer.is_some() {
            self.save_checkpoint_or_warn();
        }
        TailError::Output(error)
    }

    fn checkpoint_entries(&self) -> Vec<Entry> {
        self.followers.iter().map(Follower::checkpoint_entry).collect()
    }

    fn save_checkpoint_or_warn(&mut self) {
        let entries = self.checkpoint_entries();
        if let Some(checkpointer) = self.checkpointer.as_mut() {
            if let Err(e) = checkpointer.save(entries) {
                warn!(error = %e, "cannot write checkpoint; will retry");
            }
        }
    }
}
