//! Waking the tailer: filesystem events, poll ticks and shutdown requests.
//!
//! Every source of work ends in one [`Waker`]. A wake-up is a token in a
//! channel of capacity one plus flags saying what is wanted, so a writer that
//! appends a million lines causes at most one pending wake-up, not a million.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// What a wake-up asks of the tailer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// A directory changed (create, rename, delete): look for files again.
    pub rescan: bool,
    /// Stop: drain, flush, checkpoint, return.
    pub shutdown: bool,
}

#[derive(Debug, Default)]
struct Flags {
    rescan: AtomicBool,
    shutdown: AtomicBool,
}

/// Sends wake-ups to the tailer; cheap to clone and to call from any thread.
#[derive(Debug, Clone)]
pub struct Waker {
    token: SyncSender<()>,
    flags: Arc<Flags>,
}

/// Receives wake-ups; owned by the tailer's loop.
#[derive(Debug)]
pub struct Wakeups {
    token: Receiver<()>,
    flags: Arc<Flags>,
}

/// A pair of [`Waker`] and [`Wakeups`] joined to each other.
pub fn wake_channel() -> (Waker, Wakeups) {
    let (token, rx) = mpsc::sync_channel(1);
    let flags = Arc::new(Flags::default());
    (
        Waker {
            token,
            flags: flags.clone(),
        },
        Wakeups { token: rx, flags },
    )
}

impl Waker {
    /// Asks the tailer to read the files again.
    pub fn wake(&self) {
        // A full channel already holds a wake-up that has not been seen yet.
        let _ = self.token.try_send(());
    }

    /// Asks the tailer to look for files again, then read them.
    pub fn rescan(&self) {
        self.flags.rescan.store(true, Ordering::Release);
        self.wake();
    }

    /// Asks the tailer to drain, flush, checkpoint and return.
    pub fn shutdown(&self) {
        self.flags.shutdown.store(true, Ordering::Release);
        self.wake();
    }
}

impl Wakeups {
    /// Waits up to `timeout` for a wake-up and returns what it asks for;
    /// a timeout asks for nothing beyond the periodic work.
    pub fn wait(&self, timeout: Duration) -> Wanted {
        match self.token.recv_timeout(timeout) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            // Unreachable while the tailer holds its own Waker; treat as a tick.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
        self.take()
    }

    /// What has been asked since the last look, without waiting.
    pub fn take(&self) -> Wanted {
        Wanted {
            rescan: self.flags.rescan.swap(false, Ordering::AcqRel),
            shutdown: self.flags.shutdown.load(Ordering::Acquire),
        }
    }
}

/// Why inotify cannot be used here, so the tailer polls instead.
#[derive(Debug, thiserror::Error)]
#[error("file events unavailable ({0}); falling back to polling")]
pub struct WatchUnavailable(#[from] notify::Error);

/// Directory watches through inotify (via the notify crate).
///
/// Directories, not files, are watched: one watch sees every file in it
/// appear, grow, move and vanish, and survives the files being replaced.
pub struct DirWatcher {
    watcher: RecommendedWatcher,
    watched: HashSet<PathBuf>,
}

impl DirWatcher {
    /// Starts a watcher whose events wake `waker`.
    pub fn new(waker: Waker) -> Result<Self, WatchUnavailable> {
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            match event {
                Ok(event) if is_plain_write(&event.kind) => waker.wake(),
                // Anything else may mean a new, moved or deleted file, and an
                // error may mean lost events (queue overflow): look again.
                _ => waker.rescan(),
            }
        })?;
        Ok(DirWatcher {
            watcher,
            watched: HashSet::new(),
        })
    }

    /// Watches `dir` unless it already is. A directory that does not exist
    /// yet is left for a later call; any other failure (no inotify watches
    /// left, say) means events cannot be relied on.
    pub fn watch_dir(&mut self, dir: &Path) -> Result<(), WatchUnavailable> {
        if self.watched.contains(dir) {
            return Ok(());
        }
        match self.watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.watched.insert(dir.to_path_buf());
                Ok(())
            }
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(WatchUnavailable(e)),
        }
    }
}

fn is_plain_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Modify(ModifyKind::Data(_)) | EventKind::Access(_)
    )
}

fn is_missing(error: &notify::Error) -> bool {
    match &error.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_wakes_coalesce_and_flags_survive() {
        let (waker, wakeups) = wake_channel();
        for _ in 0..1000 {
            waker.wake();
        }
        waker.rescan();
        let wanted = wakeups.wait(Duration::from_secs(5));
        assert_eq!(
            wanted,
            Wanted {
                rescan: true,
                shutdown: false
            }
        );
        assert_eq!(wakeups.take(), Wanted::default(), "the rescan flag is consumed");
        waker.shutdown();
        assert!(wakeups.wait(Duration::from_secs(5)).shutdown);
    }
}
