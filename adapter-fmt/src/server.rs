//! The HTTP side, through hyper: `GET /logs` (the ring buffer as a JSON
//! array), `GET /logs?follow=true` (new records as NDJSON while connected),
//! `GET /healthz` and `GET /metrics` (Prometheus text).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, warn};

use crate::detect::Format;
use crate::hub::{Hub, Stored};
use crate::pipeline::Metrics;

type Body = BoxBody<Bytes, Infallible>;

/// What the handlers read: the records and the counters.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// Recent and new records.
    pub hub: Arc<Hub>,
    /// The pipeline's counters.
    pub metrics: Arc<Metrics>,
}

/// Accepts connections until the runtime stops. A failed accept (out of
/// file descriptors, say) is logged and retried, never fatal.
pub async fn serve(listener: TcpListener, state: ServerState) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                warn!(error = %e, "accepting a connection failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let response = route(&request, &state);
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

fn route(request: &Request<Incoming>, state: &ServerState) -> Response<Body> {
    if request.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET is served\n");
    }
    match request.uri().path() {
        "/logs" => match LogsQuery::parse(request.uri().query()) {
            Ok(query) if query.follow => follow(state, &query),
            Ok(query) => recent(state, &query),
            Err(message) => text(StatusCode::BAD_REQUEST, &format!("{message}\n")),
        },
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/metrics" => metrics(state),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; try /logs, /logs?follow=true, /healthz or /metrics\n",
        ),
    }
}

/// The parameters `/logs` takes.
#[derive(Debug, Default, PartialEq)]
struct LogsQuery {
    limit: Option<usize>,
    since: Option<DateTime<Utc>>,
    follow: bool,
}

impl LogsQuery {
    fn parse(query: Option<&str>) -> Result<Self, String> {
        let mut parsed = LogsQuery::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "limit" => {
                    parsed.limit = Some(
                        value
                            .parse()
                            .map_err(|_| format!("limit must be a whole number, got {value:?}"))?,
                    )
                }
                "since" => {
                    // An unencoded `+` in an offset arrives as a space.
                    let text = value.replace(' ', "+");
                    let since = DateTime::parse_from_rfc3339(&text).map_err(|e| {
                        format!("since must be an RFC 3339 time like 2026-11-26T18:00:00Z: {e}")
                    })?;
                    parsed.since = Some(since.with_timezone(&Utc));
                }
                "follow" => {
                    parsed.follow = match &*value {
                        "true" | "1" | "" => true,
                        "false" | "0" => false,
                        other => return Err(format!("follow must be true or false, got {other:?}")),
                    }
                }
                other => {
                    return Err(format!(
                        "unknown parameter {other:?}; /logs takes limit, since and follow"
                    ))
                }
            }
        }
        Ok(parsed)
    }
}

/// The ring buffer's records as one JSON array.
fn recent(state: &ServerState, query: &LogsQuery) -> Response<Body> {
    let records = state.hub.recent(query.since, query.limit);
    let mut body = Vec::with_capacity(2 + records.iter().map(|r| r.line.len() + 1).sum::<usize>());
    body.push(b'[');
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(record.line.strip_suffix(b"\n").unwrap_or(&record.line));
    }
    body.extend_from_slice(b"]\n");
    respond(
        StatusCode::OK,
        "application/json",
        Full::new(Bytes::from(body)).boxed(),
    )
}

/// Counts a follower while its stream lives.
struct FollowerGuard(Arc<Hub>);

impl Drop for FollowerGuard {
    fn drop(&mut self) {
        self.0.followers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// New records as NDJSON, preceded by the buffered ones that `limit` or
/// `since` ask for; each record once.
fn follow(state: &ServerState, query: &LogsQuery) -> Response<Body> {
    let hub = state.hub.clone();
    // Subscribe before looking at the ring, then skip what the ring gave:
    // a record published in between is sent once, not lost or repeated.
    let receiver = hub.subscribe();
    let backlog = if query.limit.is_some() || query.since.is_some() {
        hub.recent(query.since, query.limit)
    } else {
        Vec::new()
    };
    let last_sent = backlog.last().map_or(0, |r| r.seq);
    hub.followers.fetch_add(1, Ordering::Relaxed);
    let guard = FollowerGuard(hub.clone());
    let start = (backlog.into_iter(), receiver, last_sent, guard);
    let lines = stream::unfold(
        start,
        |(mut backlog, mut receiver, last_sent, guard)| async move {
            if let Some(record) = backlog.next() {
                return Some((frame(&record), (backlog, receiver, last_sent, guard)));
            }
            loop {
                match receiver.recv().await {
                    Ok(record) if record.seq <= last_sent => continue,
                    Ok(record) => return Some((frame(&record), (backlog, receiver, last_sent, guard))),
                    Err(RecvError::Lagged(skipped)) => {
                        guard.0.skipped.fetch_add(skipped, Ordering::Relaxed);
                        let notice = format!(
                            "{{\"notice\":\"this client read too slowly; {skipped} records skipped\"}}\n"
                        );
                        return Some((
                            Ok(Frame::data(Bytes::from(notice))),
                            (backlog, receiver, last_sent, guard),
                        ));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    respond(
        StatusCode::OK,
        "application/x-ndjson",
        StreamBody::new(lines).boxed(),
    )
}

fn frame(record: &Stored) -> Result<Frame<Bytes>, Infallible> {
    Ok(Frame::data(record.line.clone()))
}

fn metrics(state: &ServerState) -> Response<Body> {
    let m = &state.metrics;
    let hub = &state.hub;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    metric(
        "adapter_fmt_lines_read_total",
        "counter",
        "Lines read from all sources.",
        m.lines_read.load(Ordering::Relaxed),
    );
    metric(
        "adapter_fmt_records_written_total",
        "counter",
        "Records written.",
        m.records_written.load(Ordering::Relaxed),
    );
    metric(
        "adapter_fmt_lines_without_timestamp_total",
        "counter",
        "Records whose line had no recognisable timestamp.",
        m.without_timestamp.load(Ordering::Relaxed),
    );
    metric(
        "adapter_fmt_buffer_records",
        "gauge",
        "Records in the ring buffer.",
        hub.len() as u64,
    );
    metric(
        "adapter_fmt_buffer_capacity",
        "gauge",
        "Capacity of the ring buffer.",
        hub.capacity() as u64,
    );
    metric(
        "adapter_fmt_followers",
        "gauge",
        "Clients following /logs right now.",
        hub.followers.load(Ordering::Relaxed) as u64,
    );
    metric(
        "adapter_fmt_follow_skipped_records_total",
        "counter",
        "Records skipped for followers that read too slowly.",
        hub.skipped.load(Ordering::Relaxed),
    );
    let name = "adapter_fmt_records_by_format_total";
    let _ = writeln!(
        out,
        "# HELP {name} Records per detected timestamp format.\n# TYPE {name} counter"
    );
    for (format, count) in Format::ALL.iter().zip(&m.per_format) {
        let _ = writeln!(
            out,
            "{name}{{format=\"{}\"}} {}",
            format.name(),
            count.load(Ordering::Relaxed)
        );
    }
    respond(
        StatusCode::OK,
        "text/plain; version=0.0.4",
        Full::new(Bytes::from(out)).boxed(),
    )
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    respond(
        status,
        "text/plain; charset=utf-8",
        Full::new(Bytes::copy_from_slice(body.as_bytes())).boxed(),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        assert_eq!(LogsQuery::parse(None), Ok(LogsQuery::default()));
        let q = LogsQuery::parse(Some("limit=5&since=2026-11-26T18:00:00+01:00&follow=true")).unwrap();
        assert_eq!(q.limit, Some(5));
        assert_eq!(q.since.unwrap().to_rfc3339(), "2026-11-26T17:00:00+00:00");
        assert!(q.follow);
        assert!(LogsQuery::parse(Some("limit=-1")).unwrap_err().contains("limit"));
        assert!(LogsQuery::parse(Some("since=yesterday"))
            .unwrap_err()
            .contains("RFC 3339"));
        assert!(LogsQuery::parse(Some("colour=red"))
            .unwrap_err()
            .contains("unknown parameter"));
    }
}
