//! The `sidecar-tail` binary: flags, diagnostics, signals, stdout.

use std::io::{self, BufWriter, IsTerminal};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::error;

use podkit::exit_code;
use sidecar_tail::cli::{Cli, ColorChoice};
use sidecar_tail::output::{OutputSink, Routing};
use sidecar_tail::{Tailer, Waker};

/// Output buffer size: large enough that raw output of a big file goes out
/// in few system calls.
const OUTPUT_BUFFER: usize = 32 * 1024;

fn main() -> ExitCode {
    if let Some(code) = podkit::docs::answer(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    podkit::log::init_stderr(cli.diagnostics.log_format);
    exit_code(run(&cli))
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let stdin = cli.paths.iter().any(|p| p == "-");
    if stdin && cli.paths.len() > 1 {
        anyhow::bail!("`-` (stdin) cannot be read together with files: run one sidecar-tail for stdin");
    }
    if stdin {
        cli.following.check_for_stdin()?;
    }
    let mut tailer = if stdin {
        None
    } else {
        let tailer = Tailer::new(cli.tail_config())?;
        handle_signals(tailer.waker(), cli.following.drain_timeout)?;
        if !cli.following.no_follow {
            say_what_is_followed(cli);
        }
        Some(tailer)
    };

    enlarge_stdout_pipe();
    let stdout_is_terminal = io::stdout().is_terminal();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal,
    };
    // Our own handles on fds 1 and 2, buffered by us and flushed after each
    // pass, rather than std's line-buffered stdout which writes per line.
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("duplicating stdout")?;
    let stderr = io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .context("duplicating stderr")?;
    let mut sink = OutputSink::new(
        cli.output_format(stdout_is_terminal),
        color,
        Routing::new(cli.stderr.clone()),
        BufWriter::with_capacity(OUTPUT_BUFFER, std::fs::File::from(stdout)),
        BufWriter::with_capacity(OUTPUT_BUFFER, std::fs::File::from(stderr)),
    )
    .with_headers(cli.verbose);
    match tailer.as_mut() {
        Some(tailer) => tailer.run(&mut sink)?,
        None => {
            let config = cli.tail_config();
            let name = std::path::Path::new(sidecar_tail::stdin::STDIN_NAME);
            sidecar_tail::stdin::copy(
                io::stdin().lock(),
                name,
                config.start,
                config.line_ends(),
                &mut sink,
            )
            .context("copying stdin")?;
        }
    }
    Ok(())
}

/// The first SIGTERM or SIGINT asks for a drain; if the drain cannot finish
/// (a reader that stopped reading our stdout), a watchdog ends the process
/// shortly after the drain timeout. A second signal ends it at once.
fn handle_signals(waker: Waker, drain_timeout: Duration) -> anyhow::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).context("installing signal handlers")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut signals = signals.forever();
            if signals.next().is_none() {
                return;
            }
            waker.shutdown();
            std::thread::spawn(move || {
                std::thread::sleep(drain_timeout + Duration::from_secs(1));
                error!(timeout = ?drain_timeout, "drain did not finish in time (is the reader of stdout stuck?); exiting");
                std::process::exit(1);
            });
            if signals.next().is_some() {
                error!("second signal; exiting without draining");
                std::process::exit(1);
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// The one line at start, at the default level: what is followed, how,
/// and where the lines go.
fn say_what_is_followed(cli: &Cli) {
    let paths = cli
        .paths
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let checkpoint = cli
        .following
        .checkpoint
        .as_ref()
        .map_or("no checkpoint".to_owned(), |path| {
            format!("checkpoint {}", path.display())
        });
    let stderr = if cli.stderr.is_empty() {
        String::new()
    } else {
        let globs: Vec<&str> = cli.stderr.iter().map(glob::Pattern::as_str).collect();
        format!("; lines of {} to stderr", globs.join(", "))
    };
    tracing::info!(
        target: podkit::log::START,
        "sidecar-tail {} following {paths} ({checkpoint}){stderr}",
        env!("CARGO_PKG_VERSION")
    );
}

/// A pipe holds 64 KiB by default, so a writer of large blocks and its
/// reader (kubelet's log collector, a shell pipeline) take turns instead of
/// running side by side; 1 MiB, the largest an unprivileged process may ask
/// for, lets both run and absorbs bursts while the reader is slow. Stdout
/// that is not a pipe, or a refusal, leaves things as they are.
fn enlarge_stdout_pipe() {
    let _ = rustix::pipe::fcntl_setpipe_size(io::stdout(), 1 << 20);
}
