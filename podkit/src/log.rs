//! Diagnostics through `tracing`: to stderr (the data stream has stdout to
//! itself) or to a file, as text or JSON, at the level `RUST_LOG` sets or
//! the binary's default. The file can be swapped (after logrotate moved it)
//! and the level changed while the process runs.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use clap::ValueEnum;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Registry};

/// Format of diagnostics (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event.
    Json,
}

/// The flag every binary takes for its diagnostics; the level is set by
/// `RUST_LOG` (ambassador-proxy: also by `-v`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Diagnostics")]
pub struct LogArgs {
    /// Format of diagnostics (on stderr, or in the -o file of
    /// ambassador-proxy): text, or one JSON object per line.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// The diagnostics filter: `RUST_LOG` (a level, or levels per target such
/// as `warn,sidecar_tail=debug`), else `default_level`.
fn filter(default_level: &str) -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| default_level.parse().unwrap_or_default())
}

/// The target of the one line a long-running binary writes at start to say
/// what it does (`tracing::info!(target: START, ...)`): shown at the
/// default level, which is otherwise `warn`.
pub const START: &str = "start";

/// Sends diagnostics to stderr in `format`, at the level `RUST_LOG` sets,
/// else `warn` and the [`START`] line (a sidecar's stderr is part of the
/// pod's log stream: it says what it does once, then only what is wrong).
/// Where a subscriber is already set (a test harness), that one stays.
pub fn init_stderr(format: LogFormat) {
    let _ = Log::init(format, "warn,start=info", None);
}

/// The running diagnostics: where they go and at what level.
pub struct Log {
    destination: Destination,
    filter: reload::Handle<Targets, Registry>,
}

impl Log {
    /// Starts diagnostics in `format` to `file`, or to stderr without one,
    /// at the level `RUST_LOG` sets, else `default_level`. Colours only on
    /// a terminal.
    pub fn init(format: LogFormat, default_level: &str, file: Option<File>) -> anyhow::Result<Log> {
        let colour = file.is_none() && std::io::stderr().is_terminal();
        let destination = Destination(Arc::new(Mutex::new(file)));
        let (filter, handle) = reload::Layer::new(filter(default_level));
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(destination.clone())
            .with_target(false);
        let registry = tracing_subscriber::registry().with(filter);
        match format {
            LogFormat::Text => registry.with(layer.with_ansi(colour)).try_init(),
            LogFormat::Json => registry.with(layer.json()).try_init(),
        }
        .context("setting up diagnostics")?;
        Ok(Log {
            destination,
            filter: handle,
        })
    }

    /// From now on, diagnostics go to `file`.
    pub fn set_file(&self, file: File) {
        *self.destination.make_writer().0 = Some(file);
    }

    /// From now on, diagnostics are filtered by `directives` (`info`,
    /// `warn,ambassador_proxy=debug`); invalid directives silence them all
    /// (`Targets`' default), so callers pass levels they know.
    pub fn set_level(&self, directives: &str) {
        let _ = self
            .filter
            .modify(|filter| *filter = directives.parse().unwrap_or_default());
    }
}

/// Where diagnostics go: a file, or stderr.
#[derive(Clone)]
struct Destination(Arc<Mutex<Option<File>>>);

/// One event's write, under the destination's lock.
struct Locked<'a>(MutexGuard<'a, Option<File>>);

impl<'a> MakeWriter<'a> for Destination {
    type Writer = Locked<'a>;

    fn make_writer(&'a self) -> Locked<'a> {
        Locked(self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl Write for Locked<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self.0.as_mut() {
            Some(file) => file.write(bytes),
            None => std::io::stderr().write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.as_mut() {
            Some(file) => file.flush(),
            None => std::io::stderr().flush(),
        }
    }
}
