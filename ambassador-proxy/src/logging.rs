//! The proxy's log, run as nutcracker's is: to stderr or the `-o` file,
//! which SIGHUP reopens (logrotate's `postrotate kill -HUP`), at
//! nutcracker's `-v` levels, which SIGTTIN raises and SIGTTOU lowers; text
//! or JSON. A fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGABRT) writes one
//! line naming it to the log before the process dies of it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};
use std::sync::Arc;

use anyhow::Context;
use podkit::log::LogFormat;

/// The tracing filter for nutcracker's `-v` level (0 to 11): 4 warnings,
/// 5 and 6 notices and information (nutcracker's default, 5, says what it
/// starts), 7 debug, 8 and up everything.
pub fn level_filter(verbosity: u8) -> &'static str {
    match verbosity {
        0..=3 => "error",
        4 => "warn",
        5..=6 => "info",
        7 => "debug",
        _ => "trace",
    }
}

/// The running log: reopened and re-levelled by signals.
pub struct Log {
    path: Option<PathBuf>,
    log: podkit::log::Log,
    verbosity: AtomicU8,
}

/// The file descriptor a fatal signal's line is written to.
static FATAL_FD: AtomicI32 = AtomicI32::new(2);

fn open(path: &Path) -> anyhow::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log file {}", path.display()))
}

impl Log {
    /// Starts logging in `format` to `path` (stderr without one) at
    /// `verbosity`; `RUST_LOG`, when set, chooses the level instead.
    pub fn init(format: LogFormat, verbosity: u8, path: Option<&Path>) -> anyhow::Result<Log> {
        let file = path.map(open).transpose()?;
        FATAL_FD.store(file.as_ref().map_or(2, AsRawFd::as_raw_fd), Ordering::Relaxed);
        let log = podkit::log::Log::init(format, level_filter(verbosity), file)?;
        install_fatal_signal_handlers();
        Ok(Log {
            path: path.map(Path::to_path_buf),
            log,
            verbosity: AtomicU8::new(verbosity),
        })
    }

    /// Reopens the `-o` file at its path (after logrotate moved it); with
    /// no file, nothing to do.
    pub fn reopen(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = open(path)?;
        FATAL_FD.store(file.as_raw_fd(), Ordering::Relaxed);
        self.log.set_file(file);
        Ok(())
    }

    /// One `-v` level more (`up`) or less, within 0 to 11; returns the new level.
    pub fn change_level(&self, up: bool) -> u8 {
        let old = self.verbosity.load(Ordering::Relaxed);
        let new = if up {
            old.saturating_add(1).min(11)
        } else {
            old.saturating_sub(1)
        };
        self.verbosity.store(new, Ordering::Relaxed);
        self.log.set_level(level_filter(new));
        new
    }

    /// Catches nutcracker's signals, from within a tokio runtime: SIGHUP
    /// reopens the log (and asks for a reload of the configuration, through
    /// `hangup`), SIGTTIN and SIGTTOU raise and lower the log level, SIGUSR1
    /// and SIGUSR2 are accepted; each is logged in the lines nutcracker
    /// 0.5.0 writes for it.
    pub fn catch_signals(
        self: Arc<Self>,
        hangup: tokio::sync::mpsc::UnboundedSender<()>,
    ) -> anyhow::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        #[derive(Clone, Copy)]
        enum Action {
            Reopen,
            Level { up: bool },
            Accept,
        }
        let kinds = [
            (libc::SIGHUP, "SIGHUP", Action::Reopen),
            (libc::SIGUSR1, "SIGUSR1", Action::Accept),
            (libc::SIGUSR2, "SIGUSR2", Action::Accept),
            (libc::SIGTTIN, "SIGTTIN", Action::Level { up: true }),
            (libc::SIGTTOU, "SIGTTOU", Action::Level { up: false }),
        ];
        for (number, name, action) in kinds {
            let mut signals =
                signal(SignalKind::from_raw(number)).with_context(|| format!("catching {name}"))?;
            let log = self.clone();
            let hangup = hangup.clone();
            tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    match action {
                        Action::Reopen => {
                            let reopened = log.reopen();
                            tracing::info!("signal {number} ({name}) received, reopening log file");
                            if let Err(e) = reopened {
                                tracing::error!("{e:#}");
                            }
                            let _ = hangup.send(());
                        }
                        Action::Level { up } => {
                            let direction = if up { "up" } else { "down" };
                            tracing::warn!("signal {number} ({name}) received, {direction} logging level");
                            let level = log.change_level(up);
                            tracing::warn!("{direction} log level to {level}");
                        }
                        Action::Accept => tracing::info!("signal {number} ({name}) received"),
                    }
                }
            });
        }
        Ok(())
    }
}

/// The fatal signals named in the log before the process dies of them.
const FATAL: [(libc::c_int, &str); 4] = [
    (libc::SIGSEGV, "signal 11 (SIGSEGV) received, core dumping\n"),
    (libc::SIGBUS, "signal 7 (SIGBUS) received, core dumping\n"),
    (libc::SIGILL, "signal 4 (SIGILL) received, core dumping\n"),
    (libc::SIGABRT, "signal 6 (SIGABRT) received, core dumping\n"),
];

/// The handlers that were there before ours (Rust's own SIGSEGV handler
/// reports stack overflows), called after our line.
static mut PREVIOUS: [Option<libc::sigaction>; 4] = [None; 4];

fn install_fatal_signal_handlers() {
    for (index, (signal, _)) in FATAL.iter().enumerate() {
        // SAFETY: sigaction with a handler that only calls async-signal-safe
        // functions (write, sigaction, raise); PREVIOUS is written here,
        // once, before any of these signals can be handled.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fatal_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(*signal, &action, &mut previous) == 0 {
                PREVIOUS[index] = Some(previous);
            }
        }
    }
}

extern "C" fn on_fatal_signal(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let Some(index) = FATAL.iter().position(|(s, _)| *s == signal) else {
        return;
    };
    let line = FATAL[index].1;
    // SAFETY: only async-signal-safe calls: write(2) of a static string,
    // then the previous handler, or the default action by sigaction and
    // raise.
    unsafe {
        libc::write(FATAL_FD.load(Ordering::Relaxed), line.as_ptr().cast(), line.len());
        let previous = PREVIOUS[index];
        match previous {
            Some(previous)
                if previous.sa_sigaction != libc::SIG_DFL
                    && previous.sa_sigaction != libc::SIG_IGN
                    && previous.sa_flags & libc::SA_SIGINFO != 0 =>
            {
                // Rust's stack-overflow reporter, which aborts on an
                // overflow and otherwise returns.
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(previous.sa_sigaction);
                handler(signal, info, context);
            }
            _ => {}
        }
        // Die of the signal even when it was sent (kill), not raised by a
        // fault that would happen again on return.
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &default, std::ptr::null_mut());
        libc::raise(signal);
    }
}
