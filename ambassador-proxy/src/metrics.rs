//! Observability over HTTP for Kubernetes: `/metrics` in Prometheus text
//! format, `/healthz` (the process answers) and `/readyz` (every pool has a
//! reachable server).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::stats::{CommandStats, ServerStats, Stats};

/// Serves the endpoints on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let stats = stats.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let response = respond(request.uri().path(), &stats);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(path: &str, stats: &Stats) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match path {
        "/metrics" => (StatusCode::OK, "text/plain; version=0.0.4", prometheus(stats)),
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
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
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
    let mut out = Exposition(String::new());
    let all = stats.pools();
    let pools = || {
        all.iter()
            .map(|pool| (format!("pool=\"{}\"", escape(&pool.name)), pool))
    };
    out.family(
        "client_connections",
        "gauge",
        "Open client connections.",
        pools().map(|(labels, pool)| (labels, pool.client_connections.get())),
    );
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
        "counter",
        "Requests per command.",
        per_command(|c| c.requests.get()),
    );
    out.family(
        "command_errors_total",
        "counter",
        "Error replies per command, the proxy's or a server's.",
        per_command(|c| c.errors.get()),
    );
    out.family(
        "forward_errors_total",
        "counter",
        "Requests answered with an error because a server failed them.",
        pools().map(|(labels, pool)| (labels, pool.forward_error.get())),
    );
    out.family(
        "server_ejects_total",
        "counter",
        "Times a server was ejected from the ring (auto_eject_hosts).",
        pools().map(|(labels, pool)| (labels, pool.server_ejects.get())),
    );
    out.histogram(stats);
    out.family(
        "config_reloads_total",
        "counter",
        "Configuration reloads, by result.",
        [
            ("result=\"ok\"".to_owned(), stats.reloads.get()),
            ("result=\"refused\"".to_owned(), stats.reload_failures.get()),
        ]
        .into_iter(),
    );
    out.family(
        "config_last_reload_successful",
        "gauge",
        "1 when the last configuration reload succeeded (or none was tried), 0 when it was refused.",
        std::iter::once((String::new(), stats.last_reload_successful.get())),
    );
    out.family(
        "config_last_reload_success_timestamp_seconds",
        "gauge",
        "When the configuration was last loaded, at start or by a reload.",
        std::iter::once((String::new(), stats.last_reload_success.get())),
    );
    type Read = fn(&ServerStats) -> u64;
    let per_server: [(&str, &str, &str, Read); 10] = [
        (
            "server_up",
            "gauge",
            "1 when the server was reachable at the last attempt.",
            |s| s.up.get(),
        ),
        (
            "server_ejected",
            "gauge",
            "1 while the server is ejected from the ring.",
            |s| s.ejected.get(),
        ),
        ("server_connections", "gauge", "Open server connections.", |s| {
            s.server_connections.get()
        }),
        (
            "server_requests_total",
            "counter",
            "Requests sent to the server.",
            |s| s.requests.get(),
        ),
        (
            "server_responses_total",
            "counter",
            "Replies received from the server.",
            |s| s.responses.get(),
        ),
        (
            "server_request_bytes_total",
            "counter",
            "Bytes of requests sent to the server.",
            |s| s.request_bytes.get(),
        ),
        (
            "server_response_bytes_total",
            "counter",
            "Bytes of replies received from the server.",
            |s| s.response_bytes.get(),
        ),
        (
            "server_errors_total",
            "counter",
            "Connection errors with the server.",
            |s| s.server_err.get(),
        ),
        (
            "server_eof_total",
            "counter",
            "Connections the server closed.",
            |s| s.server_eof.get(),
        ),
        (
            "server_timeouts_total",
            "counter",
            "Requests to the server that timed out.",
            |s| s.server_timedout.get(),
        ),
    ];
    for (name, kind, help, read) in per_server {
        out.family(
            name,
            kind,
            help,
            pools().flat_map(|(labels, pool)| {
                pool.servers
                    .load_full()
                    .iter()
                    .map(|server| {
                        (
                            format!("{labels},server=\"{}\"", escape(&server.name)),
                            read(server),
                        )
                    })
                    .collect::<Vec<_>>()
            }),
        );
    }
    out.0
}

struct Exposition(String);

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(
            self.0,
            "# HELP ambassador_{name} {help}\n# TYPE ambassador_{name} {kind}"
        );
    }

    fn family(&mut self, name: &str, kind: &str, help: &str, samples: impl Iterator<Item = (String, u64)>) {
        self.header(name, kind, help);
        for (labels, value) in samples {
            if labels.is_empty() {
                let _ = writeln!(self.0, "ambassador_{name} {value}");
            } else {
                let _ = writeln!(self.0, "ambassador_{name}{{{labels}}} {value}");
            }
        }
    }

    fn histogram(&mut self, stats: &Stats) {
        let name = "request_duration_seconds";
        self.header(
            name,
            "histogram",
            "Time from a request's arrival to its reply, for requests that went to servers.",
        );
        for pool in stats.pools().iter() {
            let p = escape(&pool.name);
            let (buckets, count, sum_micros) = pool.latency.snapshot();
            for (bound, cumulative) in buckets {
                let le = bound as f64 / 1e6;
                let _ = writeln!(
                    self.0,
                    "ambassador_{name}_bucket{{pool=\"{p}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                self.0,
                "ambassador_{name}_bucket{{pool=\"{p}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                self.0,
                "ambassador_{name}_sum{{pool=\"{p}\"}} {}",
                sum_micros as f64 / 1e6
            );
            let _ = writeln!(self.0, "ambassador_{name}_count{{pool=\"{p}\"}} {count}");
        }
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
