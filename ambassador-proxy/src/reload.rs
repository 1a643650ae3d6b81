//! Hot reload: on SIGHUP, and when the configuration file changes, the file
//! is read and checked again and the pools being served are changed to it
//! ([`Serving::apply`]): each changed pool gets a new runtime (new ring,
//! new server connections), swapped in without closing a client; pools
//! added or moved get listeners, pools removed stop.
//!
//! Clients pick up the new runtime at their next read; requests already
//! sent finish on the old one, whose connections close when the last of
//! them is answered. A configuration that does not load, or whose new
//! listeners cannot be bound, is refused with a logged error and the
//! running one stays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::config::{Config, ConfigError};
use crate::serving::Serving;
use crate::stats::Stats;

/// Why a new configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The file does not load.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// A new listener cannot be bound.
    #[error("{0:#}")]
    Listen(anyhow::Error),
}

/// Reloads the configuration file into the pools' slots.
pub struct Reloader {
    path: PathBuf,
    running: Config,
    serving: Serving,
    stats: Arc<Stats>,
}

impl Reloader {
    /// A reloader of the file at `path`, whose pools (`running`) are
    /// `serving`; they are served as long as the reloader runs.
    pub fn new(path: PathBuf, running: Config, serving: Serving, stats: Arc<Stats>) -> Reloader {
        Reloader {
            path,
            running,
            serving,
            stats,
        }
    }

    /// Watches the file now, then reloads on every message of `hangups`
    /// (SIGHUP, caught by the caller, which also reopens the log) and every
    /// change of the file in a task of its own, until the runtime stops.
    /// Changes made after this returns are seen.
    pub fn start(mut self, mut hangups: mpsc::UnboundedReceiver<()>) {
        let (changed, mut changes) = mpsc::unbounded_channel();
        let watcher = watch_file(&self.path, changed);
        tokio::spawn(async move {
            let _watcher = watcher;
            self.serve(&mut hangups, &mut changes).await;
            // Nothing can trigger a reload any more; the pools stay served.
            std::future::pending::<()>().await;
        });
    }

    async fn serve(
        &mut self,
        hangups: &mut mpsc::UnboundedReceiver<()>,
        changes: &mut mpsc::UnboundedReceiver<()>,
    ) {
        loop {
            let trigger = tokio::select! {
                Some(()) = hangups.recv() => "SIGHUP",
                Some(()) = changes.recv() => {
                    // One save is often several events (truncate, write,
                    // rename): let them all arrive, reload once.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    while changes.try_recv().is_ok() {}
                    "file changed"
                }
                else => return,
            };
            let outcome = self.reload().await;
            self.stats.reloaded(outcome.as_ref().ok().copied());
            match outcome {
                Ok(true) => info!(trigger, file = %self.path.display(), "configuration reloaded"),
                // Asked for by someone (SIGHUP), who wants an answer; file
                // events without a change are routine.
                Ok(false) if trigger == "SIGHUP" => {
                    info!(trigger, file = %self.path.display(), "configuration unchanged")
                }
                Ok(false) => debug!(trigger, "configuration unchanged"),
                Err(e) => error!(trigger, error = %e, "new configuration refused; the running one stays"),
            }
        }
    }

    /// Loads the file and serves its pools; returns whether anything
    /// changed.
    pub async fn reload(&mut self) -> Result<bool, ReloadError> {
        let config = Config::from_file(&self.path)?;
        if config == self.running {
            return Ok(false);
        }
        self.serving
            .apply(&config.pools)
            .await
            .map_err(ReloadError::Listen)?;
        self.running = config;
        Ok(true)
    }
}

/// Watches the directory of `path` (editors and Kubernetes ConfigMaps
/// replace the file rather than write it) and sends on `changed` when an
/// entry that may be the file changes. `None`, with a warning, when
/// inotify is not available.
fn watch_file(path: &Path, changed: mpsc::UnboundedSender<()>) -> Option<RecommendedWatcher> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|name| name.to_owned());
    let watched = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        // Reading the file ourselves makes access events: not changes.
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        // A ConfigMap volume swaps its `..data` link; anything else must be
        // the file itself.
        let relevant = event.paths.iter().any(|changed| {
            let file = changed.file_name();
            file == name.as_deref() || file.is_some_and(|f| f.to_string_lossy().starts_with(".."))
        });
        if relevant {
            let _ = changed.send(());
        }
    })
    .and_then(|mut watcher| watcher.watch(&dir, RecursiveMode::NonRecursive).map(|()| watcher));
    match watched {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            warn!(dir = %dir.display(), error = %e, "cannot watch the configuration; send SIGHUP to reload");
            None
        }
    }
}
