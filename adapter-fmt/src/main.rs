//! The `adapter-fmt` binary: flags, input (stdin or followed files), stdout.

use std::io::{self, BufWriter};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{mpsc, Arc};

use anyhow::{bail, Context};
use clap::{CommandFactory, Parser};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::error;

use adapter_fmt::cli::Cli;
use adapter_fmt::encode::{Encoder, OutputFormat};
use adapter_fmt::hub::Hub;
use adapter_fmt::pipeline::{CountedEvents, Pipeline};
use adapter_fmt::server::{serve, Limits, ServerState};
use podkit::exit_code;
use sidecar_tail::{Tailer, Waker};

fn main() -> ExitCode {
    if let Some(code) = podkit::docs::answer(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    podkit::log::init_stderr(cli.diagnostics.log_format);
    exit_code(run(&cli))
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if !cli.reads_stdin() && cli.paths.iter().any(|p| p == "-") {
        bail!("`-` (stdin) cannot be mixed with file paths");
    }
    if cli.reads_stdin() {
        cli.following.check_for_stdin()?;
    }
    let encoder = Encoder::new(cli.output, cli.time_style(), cli.keep_original).with_schema(cli.schema);
    let stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut pipeline =
        Pipeline::new(cli.detect_config(), encoder, cli.multiline, stdout).with_regex(cli.regex.clone());
    let serving = match cli.listen {
        Some(addr) => {
            let hub = Arc::new(Hub::new(cli.buffer, cli.buffer_bytes));
            pipeline.publish_to(
                hub.clone(),
                Encoder::new(OutputFormat::Json, cli.time_style(), cli.keep_original).with_schema(cli.schema),
            );
            start_server(addr, ServerState::new(hub, pipeline.metrics()), cli.http_limits())?;
            true
        }
        None => false,
    };

    let mut tailer = if cli.reads_stdin() {
        None
    } else {
        Some(Tailer::new(cli.tail_config())?.with_events(CountedEvents(pipeline.metrics())))
    };
    let signalled = watch_signals(tailer.as_ref().map(Tailer::waker))?;
    let long_running = cli.listen.is_some() || (tailer.is_some() && !cli.following.no_follow);
    if long_running {
        say_what_is_done(cli);
    }
    match tailer.as_mut() {
        // Stdin with sidecar-tail's reader: over-long lines come in pieces
        // here too, and each chunk is flushed as it arrives.
        None => {
            let config = cli.tail_config();
            let (start, ends) = (config.start, config.line_ends());
            sidecar_tail::stdin::copy(io::stdin().lock(), Path::new("stdin"), start, ends, &mut pipeline)
                .context("reading stdin")?
        }
        Some(tailer) => tailer.run(&mut pipeline)?,
    }
    // Input ended by itself: keep answering HTTP until told to stop.
    if serving && signalled.try_recv().is_err() {
        let _ = signalled.recv();
    }
    Ok(())
}

/// The one line at start, at the default level, of a long-running
/// adapter (serving HTTP, or following files): what it reads and where
/// the records go.
fn say_what_is_done(cli: &Cli) {
    let input = if cli.reads_stdin() {
        "reading stdin".to_owned()
    } else {
        let paths: Vec<String> = cli.paths.iter().map(|p| format!("'{p}'")).collect();
        let how = if cli.following.no_follow {
            "reading"
        } else {
            "following"
        };
        format!("{how} {}", paths.join(", "))
    };
    let output =
        clap::ValueEnum::to_possible_value(&cli.output).map_or(String::new(), |v| v.get_name().to_owned());
    let serving = cli.listen.map_or(String::new(), |addr| {
        format!("; serving http://{addr}/logs, /healthz and /metrics")
    });
    tracing::info!(
        target: podkit::log::START,
        "adapter-fmt {} {input}, records as {output} to stdout{serving}",
        env!("CARGO_PKG_VERSION")
    );
}

/// Binds `addr` now, so that a taken port is an error at start, and serves
/// on a small runtime of its own while this thread reads input.
fn start_server(addr: SocketAddr, state: ServerState, limits: Limits) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    listener
        .set_nonblocking(true)
        .context("configuring the listener")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("http")
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    std::thread::Builder::new()
        .name("http-accept".into())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => serve(listener, state, limits).await,
                    Err(e) => error!(error = %e, "cannot serve HTTP"),
                }
            })
        })
        .context("starting the HTTP thread")?;
    Ok(())
}

/// On SIGTERM or SIGINT: files are drained by the tailer and the run ends;
/// reading stdin ends at once (what was read is already written). The
/// returned channel says that a signal came.
fn watch_signals(waker: Option<Waker>) -> anyhow::Result<mpsc::Receiver<()>> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).context("installing signal handlers")?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                let _ = tx.send(());
                match &waker {
                    Some(waker) => waker.shutdown(),
                    None => std::process::exit(0),
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(rx)
}
