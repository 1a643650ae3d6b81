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

use crate::stats::Stats;

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
        .pools
        .iter()
        .filter(|pool| pool.servers.iter().all(|server| server.up.get() == 0))
        .map(|pool| pool.name.clone())
        .collect()
}

/// The counters in Prometheus text format.
pub fn prometheus(stats: &Stats) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str| {
        let _ = writeln!(
            out,
            "# HELP ambassador_{name} {help}\n# TYPE ambassador_{name} {kind}"
        );
    };
    family("client_connections", "gauge", "Open client connections.");
    family("commands_total", "counter", "Requests per command.");
    family(
        "forward_errors_total",
        "counter",
        "Requests answered with an error because a server failed them.",
    );
    family(
        "server_up",
        "gauge",
        "1 when the server was reachable at the last attempt.",
    );
    family("server_connections", "gauge", "Open server connections.");
    family("server_requests_total", "counter", "Requests sent to the server.");
    family(
        "server_responses_total",
        "counter",
        "Replies received from the server.",
    );
    family(
        "server_request_bytes_total",
        "counter",
        "Bytes of requests sent to the server.",
    );
    family(
        "server_response_bytes_total",
        "counter",
        "Bytes of replies received from the server.",
    );
    family(
        "server_errors_total",
        "counter",
        "Connection errors with the server.",
    );
    family(
        "server_timeouts_total",
        "counter",
        "Requests to the server that timed out.",
    );
    for pool in &stats.pools {
        let p = escape(&pool.name);
        let _ = writeln!(
            out,
            "ambassador_client_connections{{pool=\"{p}\"}} {}",
            pool.client_connections.get()
        );
        let _ = writeln!(
            out,
            "ambassador_forward_errors_total{{pool=\"{p}\"}} {}",
            pool.forward_error.get()
        );
        for (command, count) in pool.commands.iter().filter(|(_, count)| count.get() > 0) {
            let _ = writeln!(
                out,
                "ambassador_commands_total{{pool=\"{p}\",command=\"{}\"}} {}",
                command.to_lowercase(),
                count.get()
            );
        }
        for server in &pool.servers {
            let labels = format!("pool=\"{p}\",server=\"{}\"", escape(&server.name));
            for (name, value) in [
                ("server_up", server.up.get()),
                ("server_connections", server.server_connections.get()),
                ("server_requests_total", server.requests.get()),
                ("server_responses_total", server.responses.get()),
                ("server_request_bytes_total", server.request_bytes.get()),
                ("server_response_bytes_total", server.response_bytes.get()),
                ("server_errors_total", server.server_err.get()),
                ("server_timeouts_total", server.server_timedout.get()),
            ] {
                let _ = writeln!(out, "ambassador_{name}{{{labels}}} {value}");
            }
        }
    }
    out
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
