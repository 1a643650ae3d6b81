//! The `adapter-fmt` binary: flags, input (stdin or followed files), stdout.

use std::io::{self, BufWriter, Read};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::error;

use adapter_fmt::cli::Cli;
use adapter_fmt::encode::Encoder;
use adapter_fmt::pipeline::Pipeline;
use sidecar_tail::cli::init_tracing;
use sidecar_tail::lines::LineSplitter;
use sidecar_tail::{TailError, Tailer};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_closed_output(&e) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if !cli.reads_stdin() && cli.paths.iter().any(|p| p == "-") {
        bail!("`-` (stdin) cannot be mixed with file paths");
    }
    let encoder = Encoder::new(cli.output, cli.time_style(), cli.keep_original);
    let stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut pipeline = Pipeline::new(cli.detect_config(), encoder, cli.multiline, stdout);
    if cli.reads_stdin() {
        return read_stdin(&mut pipeline, cli.max_line_bytes).context("reading stdin");
    }
    let mut tailer = Tailer::new(cli.tail_config())?;
    let waker = tailer.waker();
    let mut signals = Signals::new([SIGTERM, SIGINT]).context("installing signal handlers")?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            waker.shutdown();
        }
    });
    tailer.run(&mut pipeline)?;
    Ok(())
}

/// Reads stdin to EOF in chunks, cut into lines by sidecar-tail's splitter
/// (so over-long lines come in pieces here too), flushing after each chunk.
fn read_stdin<W: io::Write>(pipeline: &mut Pipeline<W>, max_line_bytes: usize) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut splitter = LineSplitter::new(0, max_line_bytes, 0);
    let mut buf = vec![0u8; 64 * 1024];
    let feed_lines = |pipeline: &mut Pipeline<W>, block: sidecar_tail::Block<'_>| {
        block
            .lines()
            .try_for_each(|(_, line)| pipeline.line("stdin", line))
    };
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        splitter.feed(&buf[..n], &mut |block| feed_lines(pipeline, block))?;
        pipeline.flush()?;
    }
    splitter.finish(&mut |block| feed_lines(pipeline, block))?;
    pipeline.flush()
}

fn is_closed_output(error: &anyhow::Error) -> bool {
    let io_error = error
        .downcast_ref::<TailError>()
        .and_then(|e| match e {
            TailError::Output(io) => Some(io),
            _ => None,
        })
        .or_else(|| error.chain().find_map(|cause| cause.downcast_ref::<io::Error>()));
    io_error.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
