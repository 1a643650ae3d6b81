//! The `ambassador-proxy` binary: nutcracker's flags, configuration, one
//! listener per pool.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use ambassador_proxy::cli::Cli;
use ambassador_proxy::config::{from_env, Config, VARIABLES};
use ambassador_proxy::logging::Log;
use ambassador_proxy::{server, stats};
use podkit::exit_code;

fn main() -> ExitCode {
    if let Some(code) = podkit::docs::answer(Cli::command()) {
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
    let checked = load_config(cli).and_then(|config| {
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

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    if let Some(path) = &cli.conf_file {
        return Ok(Config::from_file(path)?);
    }
    Ok(from_env(|name| std::env::var(name).ok())?.unwrap_or_else(Config::default_single))
}

fn run(cli: &Cli, log: Log) -> anyhow::Result<()> {
    let config = load_config(cli)?;
    let stats_addr = cli.stats_listen().map_err(anyhow::Error::msg)?;
    if cli.conf_file.is_some() {
        let ignored: Vec<&str> = VARIABLES
            .iter()
            .copied()
            .filter(|name| std::env::var_os(name).is_some())
            .collect();
        if !ignored.is_empty() {
            tracing::warn!(
                variables = ?ignored,
                "the configuration comes from -c; these environment variables are ignored"
            );
        }
    }
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
        catch_signals(Arc::new(log), hangup)?;
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

/// nutcracker's signals: SIGHUP reopens the log (and reloads the
/// configuration, through `hangup`), SIGTTIN and SIGTTOU raise and lower
/// the log level, SIGUSR1 and SIGUSR2 are accepted; each is logged in the
/// lines nutcracker 0.5.0 writes for it.
fn catch_signals(log: Arc<Log>, hangup: tokio::sync::mpsc::UnboundedSender<()>) -> anyhow::Result<()> {
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
        let mut signals = signal(SignalKind::from_raw(number)).with_context(|| format!("catching {name}"))?;
        let log = log.clone();
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
