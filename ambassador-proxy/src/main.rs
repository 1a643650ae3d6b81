//! The `ambassador-proxy` binary: nutcracker's flags, configuration, one
//! listener per pool.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use ambassador_proxy::cli::Cli;
use ambassador_proxy::logging::Log;
use ambassador_proxy::{server, stats};
use podkit::exit_code;

fn main() -> ExitCode {
    if let Some(code) = podkit::docs::answer(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    if cli.describe_stats {
        print!("{}", stats::describe());
        return ExitCode::SUCCESS;
    }
    if cli.test_conf {
        return test_conf(&cli);
    }
    let log = match Log::init(cli.diagnostics.log_format, cli.verbosity, cli.output.as_deref()) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("ambassador-proxy: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    exit_code(run(&cli, log))
}

/// `-t`: load the configuration and check the flags start would fail on;
/// say whether all is valid, and what a nutcracker user must know.
fn test_conf(cli: &Cli) -> ExitCode {
    let source = cli.conf_file.as_ref().map_or("the environment".to_owned(), |p| {
        format!("configuration file '{}'", p.display())
    });
    let checked = cli.load_config().and_then(|config| {
        cli.stats_listen().map_err(anyhow::Error::msg)?;
        Ok(config)
    });
    match checked {
        Ok(config) => {
            for note in config.migration_notes() {
                eprintln!("ambassador-proxy: note: {note}");
            }
            println!("ambassador-proxy: {source} syntax is ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ambassador-proxy: {source} has an error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli, log: Log) -> anyhow::Result<()> {
    let config = cli.load_config()?;
    let stats_addr = cli.stats_listen().map_err(anyhow::Error::msg)?;
    for note in config.migration_notes() {
        tracing::warn!("{note}");
    }
    if cli.daemonize {
        return daemonize();
    }
    if let Some(pid_file) = &cli.pid_file {
        std::fs::write(pid_file, format!("{}\n", std::process::id()))
            .with_context(|| format!("writing pid file {}", pid_file.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.worker_threads())
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let outcome = runtime.block_on(async {
        let (hangup, hangups) = tokio::sync::mpsc::unbounded_channel();
        Arc::new(log).catch_signals(hangup)?;
        let options = cli.server_options(stats_addr);
        server::run(config, options, hangups, terminated()?).await
    });
    if let Some(pid_file) = &cli.pid_file {
        let _ = std::fs::remove_file(pid_file);
    }
    outcome
}

/// Completes at the first SIGTERM or SIGINT.
fn terminated() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("catching SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("catching SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// `-d`: start again in a process group of its own, detached from the
/// terminal, and let this process exit.
fn daemonize() -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "-d" && a != "--daemonize")
        .collect();
    std::process::Command::new(std::env::current_exe().context("finding this program")?)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting in the background")?;
    Ok(())
}
