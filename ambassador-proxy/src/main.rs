//! The `ambassador-proxy` binary: nutcracker's flags, configuration, one
//! listener per pool.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use ambassador_proxy::cli::Cli;
use ambassador_proxy::config::{from_env, Config};
use ambassador_proxy::listen::resolve_listen;
use ambassador_proxy::metrics;
use ambassador_proxy::proxy::Settings;
use ambassador_proxy::reload::Reloader;
use ambassador_proxy::resolve::Resolver;
use ambassador_proxy::serving::Serving;
use ambassador_proxy::stats::{self, Stats};
use sidecar_tail::cli::{exit_code, init_tracing_to, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.describe_stats {
        print!("{}", STATS_DESCRIPTION);
        return ExitCode::SUCCESS;
    }
    if cli.test_conf {
        return test_conf(&cli);
    }
    let log_file = match cli.output.as_ref().map(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening log file {}", path.display()))
    }) {
        Some(Err(e)) => {
            eprintln!("ambassador-proxy: {e:#}");
            return ExitCode::FAILURE;
        }
        Some(Ok(file)) => Some(file),
        None => None,
    };
    init_tracing_to(LogFormat::Text, cli.log_level(), log_file);
    exit_code(run(&cli))
}

/// `-t`: load the configuration, say whether it is valid.
fn test_conf(cli: &Cli) -> ExitCode {
    let source = cli.conf_file.as_ref().map_or("the environment".to_owned(), |p| {
        format!("configuration file '{}'", p.display())
    });
    match load_config(cli) {
        Ok(_) => {
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

fn run(cli: &Cli) -> anyhow::Result<()> {
    let config = load_config(cli)?;
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
    let stats_addr = format!("{}:{}", cli.stats_addr, cli.stats_port);
    let outcome = runtime.block_on(serve(config, stats_addr, cli));
    if let Some(pid_file) = &cli.pid_file {
        let _ = std::fs::remove_file(pid_file);
    }
    outcome
}

/// Binds every pool's listener, the stats port and the metrics address,
/// then serves until SIGTERM or SIGINT; then stops accepting, answers the
/// requests already read (for at most `--shutdown-timeout`), and returns.
async fn serve(config: Config, stats_addr: String, cli: &Cli) -> anyhow::Result<()> {
    let shutdown_timeout = cli.shutdown_timeout;
    let resolver = Arc::new(Resolver::new(&cli.resolver_files(), cli.dns_refresh));
    let settings = Settings {
        limits: cli.limits(),
        client_reply_buffer: cli.client_reply_buffer,
        health_interval: cli.health_interval,
        resolver: resolver.clone(),
    };
    let stats = Arc::new(Stats::new(Vec::new()));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let serving = Serving::start(&config.pools, settings, stats.clone(), stopping).await?;
    // Before the stats port opens, so that whoever waits for it (tests,
    // probes) knows that changes to the file from then on are seen.
    let _served_without_reloads = match &cli.conf_file {
        Some(path) => {
            Reloader::new(path.clone(), config, serving, stats.clone()).start();
            None
        }
        None => {
            if let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                // SIGHUP would otherwise end the process.
                tokio::spawn(async move {
                    while hangup.recv().await.is_some() {
                        tracing::warn!(
                            "SIGHUP: nothing to reload, the configuration comes from the environment"
                        );
                    }
                });
            }
            Some(serving)
        }
    };
    if let Some(addr) = cli.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("metrics on {addr}"))?;
        tokio::spawn(metrics::serve(listener, stats.clone()));
    }
    let stats_socket = resolve_listen(&stats_addr, &resolver).await?;
    let stats_listener = tokio::net::TcpListener::bind(stats_socket)
        .await
        .with_context(|| format!("stats on {stats_addr} (choose another port with -s)"))?;
    tokio::spawn(stats::serve(stats_listener, stats.clone()));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!(timeout = ?shutdown_timeout, "stopping: answering the requests in flight");
    let _ = stop.send(true);
    let open = ambassador_proxy::client::open_clients;
    let drained = tokio::time::timeout(shutdown_timeout, async {
        while open() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            clients = open(),
            "shutdown timeout reached; closing with replies outstanding"
        );
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

const STATS_DESCRIPTION: &str = "\
pool stats:
  client_eof          \"# eof on client connections\"
  client_err          \"# errors on client connections\"
  client_connections  \"# active client connections\"
  server_ejects       \"# times backend server was ejected\"
  forward_error       \"# times we encountered a forwarding error\"
  fragments           \"# fragments created from a multi-vector request\"

server stats:
  server_eof          \"# eof on server connections\"
  server_err          \"# errors on server connections\"
  server_timedout     \"# timeouts on server connections\"
  server_connections  \"# active server connections\"
  server_ejected_at   \"timestamp when server was ejected in usec since epoch\"
  requests            \"# requests\"
  request_bytes       \"total request bytes\"
  responses           \"# responses\"
  response_bytes      \"total response bytes\"
  in_queue            \"# requests in incoming queue\"
  in_queue_bytes      \"current request bytes in incoming queue\"
  out_queue           \"# requests in outgoing queue\"
  out_queue_bytes     \"current request bytes in outgoing queue\"
";
