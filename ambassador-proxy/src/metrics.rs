//! Observability over HTTP for Kubernetes: `/metrics` in Prometheus text
//! format, `/healthz` (the process answers) and `/readyz` (every pool has a
//! reachable server).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use podkit::prometheus::{escape, Exposition, Kind};
use tokio::net::TcpListener;

use crate::stats::{CommandStats, Stat, StatKind, Stats, POOL_STATS, SERVER_STATS};

/// Serves the endpoints on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>) {
    podkit::http::accept_loop(
        &listener,
        "metrics",
        || false,
        |stream| {
            let stats = stats.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let response = match *request.method() {
                        Method::GET | Method::HEAD => respond(request.uri().path(), &stats),
                        _ => podkit::http::method_not_allowed(),
                    };
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        },
    )
    .await;
}

fn respond(path: &str, stats: &Stats) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match path {
        "/metrics" => (StatusCode::OK, podkit::http::PROMETHEUS_TEXT, prometheus(stats)),
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_owned()),
        "/readyz" => match unready_pools(stats) {
            pools if pools.is_empty() => (StatusCode::OK, "text/plain", "ready\n".to_owned()),
            pools => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("no reachable server in pool(s): {}\n", pools.join(", ")),
            ),
        },
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found; try /metrics, /healthz or /readyz\n".to_owned(),
        ),
    };
    podkit::http::respond(status, content_type, Full::new(Bytes::from(body)))
}

fn unready_pools(stats: &Stats) -> Vec<String> {
    stats
        .pools()
        .iter()
        .filter(|pool| pool.servers.load().iter().all(|server| server.up.get() == 0))
        .map(|pool| pool.name.clone())
        .collect()
}

/// The counters in Prometheus text format: each family's samples together
/// under its HELP and TYPE lines, as the format requires.
pub fn prometheus(stats: &Stats) -> String {
    let mut out = Exposition::new("ambassador_");
    let all = stats.pools();
    let pools = || {
        all.iter()
            .map(|pool| (format!("pool=\"{}\"", escape(&pool.name)), pool))
    };
    for stat in POOL_STATS {
        if let Some(name) = stat.prometheus {
            out.family(
                name,
                kind(stat),
                stat.help,
                pools().map(|(labels, pool)| (labels, (stat.read)(pool).get())),
            );
        }
    }
    let per_command = |read: fn(&CommandStats) -> u64| {
        pools().flat_map(move |(labels, pool)| {
            pool.commands
                .iter()
                .filter(|(_, command)| command.requests.get() > 0)
                .map(move |(name, command)| {
                    (
                        format!("{labels},command=\"{}\"", name.to_lowercase()),
                        read(command),
                    )
                })
        })
    };
    out.family(
        "commands_total",
        Kind::Counter,
        "Requests per command.",
        per_command(|c| c.requests.get()),
    );
    out.family(
        "command_errors_total",
        Kind::Counter,
        "Error replies per command, the proxy's or a server's.",
        per_command(|c| c.errors.get()),
    );
    histogram(&mut out, stats);
    out.family(
        "config_reloads_total",
        Kind::Counter,
        "Configuration reloads, by result.",
        [
            ("result=\"ok\"".to_owned(), stats.reloads.get()),
            ("result=\"refused\"".to_owned(), stats.reload_failures.get()),
        ],
    );
    out.single(
        "config_last_reload_successful",
        Kind::Gauge,
        "1 when the last configuration reload succeeded (or none was tried), 0 when it was refused.",
        stats.last_reload_successful.get(),
    );
    out.single(
        "config_last_reload_success_timestamp_seconds",
        Kind::Gauge,
        "When the configuration was last loaded, at start or by a reload.",
        stats.last_reload_success.get(),
    );
    for stat in SERVER_STATS {
        let Some(name) = stat.prometheus else {
            continue;
        };
        let samples = pools().flat_map(|(labels, pool)| {
            pool.servers
                .load_full()
                .iter()
                .map(|server| {
                    let labels = format!("{labels},server=\"{}\"", escape(&server.name));
                    (labels, (stat.read)(server).get())
                })
                .collect::<Vec<_>>()
        });
        out.family(name, kind(stat), stat.help, samples);
    }
    out.finish()
}

/// A statistic's Prometheus type: a timestamp is a gauge.
fn kind<T>(stat: &Stat<T>) -> Kind {
    match stat.kind {
        StatKind::Counter => Kind::Counter,
        StatKind::Gauge | StatKind::Timestamp => Kind::Gauge,
    }
}

/// Request durations per pool, as a Prometheus histogram.
fn histogram(out: &mut Exposition, stats: &Stats) {
    let name = "request_duration_seconds";
    out.header(
        name,
        Kind::Histogram,
        "Time from a request's arrival to its reply, for requests that went to servers.",
    );
    for pool in stats.pools().iter() {
        let pool_label = format!("pool=\"{}\"", escape(&pool.name));
        let (buckets, count, sum_micros) = pool.latency.snapshot();
        for (bound, cumulative) in buckets {
            let le = bound as f64 / 1e6;
            out.sample(
                &format!("{name}_bucket"),
                &format!("{pool_label},le=\"{le}\""),
                cumulative,
            );
        }
        out.sample(
            &format!("{name}_bucket"),
            &format!("{pool_label},le=\"+Inf\""),
            count,
        );
        out.sample(&format!("{name}_sum"), &pool_label, sum_micros as f64 / 1e6);
        out.sample(&format!("{name}_count"), &pool_label, count);
    }
}
