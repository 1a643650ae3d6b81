//! The proxy as a whole: every pool's listener, the stats port, `/metrics`,
//! reloads, and a graceful stop. The binary adds only what belongs to a
//! process (flags, the log, signals, the pid file); tests start the same
//! server in-process.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::config::Config;
use crate::listen::resolve_listen;
use crate::pool::Settings;
use crate::reload::Reloader;
use crate::serving::Serving;
use crate::stats::{self, Stats};

/// What the server takes besides the configuration.
pub struct ServerOptions {
    /// What every pool's runtime shares.
    pub settings: Settings,
    /// The stats port's address (`host:port`; a name is resolved).
    pub stats_addr: String,
    /// Where `/metrics`, `/healthz` and `/readyz` are served, if anywhere.
    pub metrics_addr: Option<SocketAddr>,
    /// The configuration file, reloaded when it changes and on each
    /// message of `hangups`; `None`: the configuration came from the
    /// environment, and nothing is reloaded.
    pub conf_file: Option<PathBuf>,
    /// How long the requests in flight may take to be answered at a stop.
    pub shutdown_timeout: Duration,
}

/// Binds every pool's listener, the stats port and the metrics address,
/// then serves until `shutdown` completes; then stops accepting, answers
/// the requests already read (for at most `shutdown_timeout`), and
/// returns when the last listener is closed and the last client is done.
pub async fn run(
    config: Config,
    options: ServerOptions,
    hangups: mpsc::UnboundedReceiver<()>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let resolver = options.settings.resolver.clone();
    let stats = Arc::new(Stats::new(Vec::new()));
    let (stop, stopping) = watch::channel(false);
    // Every listener and client: what a stop waits for.
    let tasks = TaskTracker::new();
    let pools = pools_line(&config);
    let serving = Serving::start(
        &config.pools,
        options.settings,
        stats.clone(),
        stopping,
        tasks.clone(),
    )
    .await?;
    // Before the stats port opens, so that whoever waits for it (tests,
    // probes) knows that changes to the file from then on are seen.
    let _served_without_reloads = match options.conf_file {
        Some(path) => {
            Reloader::new(path, config, serving, stats.clone()).start(hangups);
            None
        }
        // Nothing to reload: the configuration comes from the environment,
        // and SIGHUP only reopens the log.
        None => Some(serving),
    };
    if let Some(addr) = options.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("metrics on {addr}"))?;
        tasks.spawn(until_stopped(
            crate::metrics::serve(listener, stats.clone()),
            stop.subscribe(),
        ));
    }
    let stats_addr = &options.stats_addr;
    let stats_socket = resolve_listen(stats_addr, &resolver).await?;
    let stats_listener = tokio::net::TcpListener::bind(stats_socket)
        .await
        .with_context(|| format!("stats on {stats_addr} (choose another port with -s)"))?;
    tasks.spawn(until_stopped(
        stats::serve(stats_listener, stats.clone()),
        stop.subscribe(),
    ));
    info!(
        "ambassador-proxy {} started on pid {}; {pools}; stats on {stats_socket}{}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        options.metrics_addr.map_or(String::new(), |addr| format!(
            "; metrics on http://{addr}/metrics"
        ))
    );
    shutdown.await;
    info!(timeout = ?options.shutdown_timeout, "stopping: answering the requests in flight");
    let _ = stop.send(true);
    tasks.close();
    if tokio::time::timeout(options.shutdown_timeout, tasks.wait())
        .await
        .is_err()
    {
        warn!(
            tasks = tasks.len(),
            "shutdown timeout reached; closing with replies outstanding"
        );
    }
    Ok(())
}

/// Runs `serving` (an accept loop, which never ends by itself) until
/// `stopping` turns true; its listener closes when it is dropped.
async fn until_stopped(serving: impl Future<Output = ()>, mut stopping: watch::Receiver<bool>) {
    tokio::select! {
        () = serving => {}
        _ = stopping.changed() => {}
    }
}

/// `pool 'alpha' on 127.0.0.1:6380 over a:1, b:2; pool 'beta' ...`, for
/// the line that says the proxy started.
fn pools_line(config: &Config) -> String {
    config
        .pools
        .iter()
        .map(|pool| {
            let servers: Vec<String> = pool
                .servers
                .iter()
                .map(|s| format!("{}:{}", s.host, s.port))
                .collect();
            format!(
                "pool '{}' on {} over {}",
                pool.name,
                pool.listen,
                servers.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
