//! The HTTP side, through hyper: `GET /logs` (the ring buffer as a JSON
//! array), `GET /logs?follow=true` (new records as NDJSON while connected),
//! `GET /healthz` and `GET /metrics` (Prometheus text); `HEAD` for each.
//!
//! Bounded whatever the clients do:
//!
//! - responses are streamed from the ring ([`Hub`]) a chunk at a time, as
//!   the client makes room for them; a client that stops reading holds hyper's
//!   small write buffer and one chunk, never a copy of the buffer;
//! - at most `--max-connections` connections are served (fewer when the
//!   open-file limit is low); connections beyond them are still accepted, a
//!   few at a time (the oldest closed for a newer one), to answer `/healthz`
//!   and `/metrics`, and 503 to anything else, so health checks keep working
//!   under a flood;
//! - a connection that has not sent a complete request head within
//!   `--header-timeout` of connecting or of its previous response is closed
//!   (slow senders, idle keep-alive connections); one whose client has read
//!   nothing for `--write-timeout` is closed too. A follower waiting for new
//!   records writes nothing, and is never cut.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::stream;
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use podkit::http::respond;
use podkit::prometheus::Kind;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Sleep;
use tracing::{debug, warn};

use crate::format::Format;
use crate::hub::{Hub, Selection};
use crate::pipeline::Metrics;
use sidecar_tail::FileEvent;

type Body = BoxBody<Bytes, Infallible>;

/// Records are sent in chunks of about this many bytes, copied from the
/// ring; a record this large or larger is sent as it is, without a copy.
const CHUNK_BYTES: usize = 16 * 1024;

/// hyper's buffer per connection (request head in, response out): a client
/// that does not read holds at most this and one chunk.
const CONNECTION_BUFFER_BYTES: usize = 32 * 1024;

/// File descriptors left for everything but connections: standard streams,
/// the listener, the runtime, the files followed, the checkpoint.
const FD_HEADROOM: u64 = 64;

/// At most this many connections over the limit are open at once.
const OVER_LIMIT_SLOTS: usize = 64;

/// A connection over the limit lives at most this long (or the header
/// timeout, if shorter).
const OVER_LIMIT_LIFETIME: Duration = Duration::from_secs(5);

/// What the handlers read: the records and the counters.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// Recent and new records.
    pub hub: Arc<Hub>,
    /// The pipeline's counters.
    pub metrics: Arc<Metrics>,
    connections: Arc<Connections>,
}

impl ServerState {
    /// The state of a server publishing `hub`'s records and `metrics`.
    pub fn new(hub: Arc<Hub>, metrics: Arc<Metrics>) -> Self {
        ServerState {
            hub,
            metrics,
            connections: Arc::default(),
        }
    }
}

/// How many connections are served and how long they may stay silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once (`--max-connections`).
    pub max_connections: usize,
    /// Time a connection has to send a complete request head, from its
    /// start or from its previous response (`--header-timeout`).
    pub header_timeout: Duration,
    /// Time a client may read nothing of its response (`--write-timeout`).
    pub write_timeout: Duration,
}

/// [`Limits`] fitted to the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections over the limit open at once, for `/healthz`.
    pub over_limit_slots: usize,
}

impl Limits {
    /// The limits that keep every connection, those over the limit
    /// included, within `open_files` file descriptors (the soft limit;
    /// `None` when unlimited or unknown), less [`FD_HEADROOM`].
    pub fn fit(&self, open_files: Option<u64>) -> Fitted {
        let budget = open_files.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(FD_HEADROOM)).unwrap_or(usize::MAX)
        });
        let over_limit_slots = (budget / 8).clamp(1, OVER_LIMIT_SLOTS);
        let max_connections = self
            .max_connections
            .min(budget.saturating_sub(over_limit_slots))
            .max(1);
        Fitted {
            max_connections,
            over_limit_slots,
        }
    }
}

/// The process's soft limit of open files (`None` when unlimited).
pub fn open_files_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The server's connections, for the limit and for `/metrics`.
#[derive(Debug, Default)]
struct Connections {
    /// Connections served within the limit, open now.
    open: AtomicUsize,
    /// The limit, once fitted.
    max: AtomicUsize,
    /// Connections accepted over the limit, since the start.
    over_limit_total: AtomicU64,
    /// Connections over the limit open now, oldest first, each with the
    /// means to close it.
    over_limit: Mutex<VecDeque<(u64, oneshot::Sender<()>)>>,
    next_id: AtomicU64,
}

impl Connections {
    /// Registers a connection over the limit, closing the oldest one when
    /// `slots` are taken.
    fn admit_over_limit(self: &Arc<Self>, slots: usize) -> OverLimit {
        self.over_limit_total.fetch_add(1, Ordering::Relaxed);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (close, closed) = oneshot::channel();
        let mut open = self.lock_over_limit();
        while open.len() >= slots {
            let Some((_, oldest)) = open.pop_front() else {
                break;
            };
            let _ = oldest.send(());
        }
        open.push_back((id, close));
        OverLimit {
            connections: self.clone(),
            id,
            closed,
        }
    }

    /// Closes the oldest connection over the limit; false if there is none.
    fn close_oldest_over_limit(&self) -> bool {
        match self.lock_over_limit().pop_front() {
            Some((_, oldest)) => {
                let _ = oldest.send(());
                true
            }
            None => false,
        }
    }

    fn lock_over_limit(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, oneshot::Sender<()>)>> {
        self.over_limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection within the limit, counted while it lives.
struct Within(Arc<Connections>);

impl Within {
    fn new(connections: &Arc<Connections>) -> Self {
        connections.open.fetch_add(1, Ordering::Relaxed);
        Within(connections.clone())
    }
}

impl Drop for Within {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection over the limit: `closed` fires when a newer one needs its
/// slot; dropping it frees the slot.
struct OverLimit {
    connections: Arc<Connections>,
    id: u64,
    closed: oneshot::Receiver<()>,
}

impl Drop for OverLimit {
    fn drop(&mut self) {
        self.connections
            .lock_over_limit()
            .retain(|(id, _)| *id != self.id);
    }
}

/// Accepts connections until the runtime stops. A failed accept (out of
/// file descriptors, say) closes the oldest connection over the limit to
/// make room, or is logged and retried ([`podkit::http::accept_loop`]).
pub async fn serve(listener: TcpListener, state: ServerState, limits: Limits) {
    let fitted = limits.fit(open_files_limit());
    if fitted.max_connections < limits.max_connections {
        warn!(
            requested = limits.max_connections,
            serving = fitted.max_connections,
            "--max-connections lowered to fit the open-file limit (ulimit -n)"
        );
    }
    let connections = state.connections.clone();
    connections.max.store(fitted.max_connections, Ordering::Relaxed);
    let make_room = || connections.close_oldest_over_limit();
    podkit::http::accept_loop(&listener, "http", make_room, |stream| {
        let slot = if connections.open.load(Ordering::Relaxed) < fitted.max_connections {
            Slot::Within(Within::new(&connections))
        } else {
            Slot::Over(connections.admit_over_limit(fitted.over_limit_slots))
        };
        tokio::spawn(serve_connection(stream, state.clone(), limits, slot));
    })
    .await;
}

fn http1_builder(limits: &Limits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(CONNECTION_BUFFER_BYTES);
    builder
}

/// Where a connection stands against `--max-connections`.
enum Slot {
    /// Within the limit, counted while it lives.
    Within(Within),
    /// Over it: /healthz and /metrics only, one request, closed early.
    Over(OverLimit),
}

async fn serve_connection(stream: TcpStream, state: ServerState, limits: Limits, slot: Slot) {
    let over_limit = matches!(slot, Slot::Over(_));
    let service = service_fn(move |request: Request<Incoming>| {
        let response = route(&request, &state, over_limit);
        async move { Ok::<_, Infallible>(response) }
    });
    let io = TokioIo::new(Stalls::new(stream, limits.write_timeout));
    let mut builder = http1_builder(&limits);
    match slot {
        Slot::Within(_within) => {
            if let Err(e) = builder.serve_connection(io, service).await {
                debug!(error = %e, "connection ended with an error");
            }
        }
        Slot::Over(mut over) => {
            builder.keep_alive(false);
            let connection = builder.serve_connection(io, service);
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        debug!(error = %e, "connection over the limit ended with an error");
                    }
                }
                _ = &mut over.closed => debug!("closed a connection over the limit for a newer one"),
                () = tokio::time::sleep(limits.header_timeout.min(OVER_LIMIT_LIFETIME)) => {
                    debug!("closed a connection over the limit at its deadline");
                }
            }
        }
    }
}

fn route(request: &Request<Incoming>, state: &ServerState, over_limit: bool) -> Response<Body> {
    let head = match *request.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return podkit::http::method_not_allowed().map(BodyExt::boxed),
    };
    match request.uri().path() {
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/metrics" => metrics(state),
        _ if over_limit => {
            let mut response = text(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many connections; try again later (/healthz and /metrics still answer)\n",
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        "/logs" => match LogsQuery::parse(request.uri().query()) {
            // HEAD: the headers of GET, without starting a stream.
            Ok(query) if head => respond(
                StatusCode::OK,
                if query.follow { NDJSON } else { JSON },
                Empty::new().boxed(),
            ),
            Ok(query) if query.follow => follow(state, &query),
            Ok(query) => recent(state, &query),
            Err(message) => text(StatusCode::BAD_REQUEST, &format!("{message}\n")),
        },
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; try /logs, /logs?follow=true, /healthz or /metrics\n",
        ),
    }
}

const JSON: &str = "application/json";
const NDJSON: &str = "application/x-ndjson";

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

/// Response bytes ready to send: small records copied together into
/// chunks, large ones as they are.
#[derive(Debug, Default)]
struct Chunks {
    ready: VecDeque<Bytes>,
    current: BytesMut,
}

impl Chunks {
    fn text(&mut self, text: &[u8]) {
        self.current.extend_from_slice(text);
    }

    fn record(&mut self, json: Bytes) {
        if json.len() >= CHUNK_BYTES {
            self.end_chunk();
            self.ready.push_back(json);
        } else {
            self.current.extend_from_slice(&json);
        }
    }

    fn end_chunk(&mut self) {
        if !self.current.is_empty() {
            self.ready.push_back(self.current.split().freeze());
        }
    }

    fn next(&mut self) -> Option<Bytes> {
        self.ready.pop_front()
    }
}

/// The body of `GET /logs`: a JSON array of the selected records, taken
/// from the ring a chunk at a time as hyper asks for more. A record that
/// leaves the ring before its turn is left out.
#[derive(Debug)]
struct ArrayBody {
    hub: Arc<Hub>,
    next: u64,
    end: u64,
    since: Option<DateTime<Utc>>,
    opened: bool,
    listed_any: bool,
    closed: bool,
    chunks: Chunks,
}

impl ArrayBody {
    fn new(hub: Arc<Hub>, selection: Selection, since: Option<DateTime<Utc>>) -> Self {
        ArrayBody {
            hub,
            next: selection.start,
            end: selection.end,
            since,
            opened: false,
            listed_any: false,
            closed: false,
            chunks: Chunks::default(),
        }
    }

    fn fill(&mut self) {
        if !self.opened {
            self.chunks.text(b"[");
            self.opened = true;
        }
        if self.next <= self.end {
            let since = self.since;
            let taken = self.hub.take(self.next, self.end, CHUNK_BYTES, |r| {
                since.is_none_or(|since| r.time >= since)
            });
            if taken.skipped > 0 {
                self.hub.unsent.fetch_add(taken.skipped, Ordering::Relaxed);
            }
            // Never stall on a ring that cannot give more.
            self.next = if taken.next > self.next {
                taken.next
            } else {
                self.end + 1
            };
            for record in taken.records {
                if self.listed_any {
                    self.chunks.text(b",");
                }
                self.listed_any = true;
                let line = &record.line;
                self.chunks
                    .record(line.slice(..line.len() - usize::from(line.ends_with(b"\n"))));
            }
        }
        if self.next > self.end {
            self.chunks.text(b"]\n");
            self.closed = true;
        }
        self.chunks.end_chunk();
    }
}

impl Iterator for ArrayBody {
    type Item = Result<Frame<Bytes>, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(chunk) = self.chunks.next() {
                return Some(Ok(Frame::data(chunk)));
            }
            if self.closed {
                return None;
            }
            self.fill();
        }
    }
}

/// The ring buffer's records as one JSON array, streamed.
fn recent(state: &ServerState, query: &LogsQuery) -> Response<Body> {
    let selection = state.hub.select(query.since, query.limit);
    let body = ArrayBody::new(state.hub.clone(), selection, query.since);
    respond(StatusCode::OK, JSON, StreamBody::new(stream::iter(body)).boxed())
}

/// Counts a follower while its stream lives.
#[derive(Debug)]
struct FollowerGuard(Arc<Hub>);

impl Drop for FollowerGuard {
    fn drop(&mut self) {
        self.0.followers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A follower's place in the ring.
#[derive(Debug)]
struct Follower {
    guard: FollowerGuard,
    /// The next record's number.
    next: u64,
    /// Records up to this one are the backlog `limit` and `since` chose;
    /// `since` filters them, not the new ones.
    backlog_end: u64,
    since: Option<DateTime<Utc>>,
    chunks: Chunks,
}

impl Follower {
    /// The next bytes to send: records, or a notice that some were skipped;
    /// waits for new records when there are none.
    async fn next_chunk(&mut self) -> Bytes {
        let hub = self.guard.0.clone();
        loop {
            if let Some(chunk) = self.chunks.next() {
                return chunk;
            }
            // Enabled before looking, so that a record published after the
            // look wakes us.
            let published = hub.arm();
            let (backlog_end, since) = (self.backlog_end, self.since);
            let taken = hub.take(self.next, u64::MAX, CHUNK_BYTES, |r| {
                r.seq > backlog_end || since.is_none_or(|since| r.time >= since)
            });
            self.next = taken.next;
            if taken.skipped > 0 {
                hub.skipped.fetch_add(taken.skipped, Ordering::Relaxed);
                self.chunks.text(
                    format!(
                        "{{\"notice\":\"this client read too slowly; {} records skipped\"}}\n",
                        taken.skipped
                    )
                    .as_bytes(),
                );
            }
            for record in taken.records {
                self.chunks.record(record.line.clone());
            }
            self.chunks.end_chunk();
            if self.chunks.ready.is_empty() {
                published.await;
            }
        }
    }
}

/// New records as NDJSON, preceded by the buffered ones that `limit` or
/// `since` ask for; each record once.
fn follow(state: &ServerState, query: &LogsQuery) -> Response<Body> {
    let hub = state.hub.clone();
    // Counted first: from now on the ring keeps a follower's backlog.
    hub.followers.fetch_add(1, Ordering::Relaxed);
    let guard = FollowerGuard(hub.clone());
    let selection = if query.limit.is_some() || query.since.is_some() {
        hub.select(query.since, query.limit)
    } else {
        let newest = hub.newest();
        Selection {
            start: newest + 1,
            end: newest,
        }
    };
    let follower = Follower {
        guard,
        next: selection.start,
        backlog_end: selection.end,
        since: query.since,
        chunks: Chunks::default(),
    };
    let lines = stream::unfold(follower, |mut follower| async move {
        let chunk = follower.next_chunk().await;
        Some((Ok(Frame::data(chunk)), follower))
    });
    respond(StatusCode::OK, NDJSON, StreamBody::new(lines).boxed())
}

fn metrics(state: &ServerState) -> Response<Body> {
    use podkit::prometheus::Kind::{Counter, Gauge};
    let m = &state.metrics;
    let hub = &state.hub;
    let connections = &state.connections;
    let mut out = podkit::prometheus::Exposition::new("adapter_fmt_");
    let single: [(&str, Kind, &str, u64); 13] = [
        ("lines_read_total", Counter, "Lines read from all sources.", m.lines_read.load(Ordering::Relaxed)),
        ("records_written_total", Counter, "Records written.", m.records_written.load(Ordering::Relaxed)),
        ("lines_without_timestamp_total", Counter, "Records whose line had no recognisable timestamp.", m.without_timestamp.load(Ordering::Relaxed)),
        ("buffer_records", Gauge, "Records in the ring buffer.", hub.len() as u64),
        ("buffer_capacity", Gauge, "Capacity of the ring buffer in records (--buffer).", hub.capacity() as u64),
        ("buffer_bytes", Gauge, "Bytes of records (their JSON) in the ring buffer.", hub.bytes() as u64),
        ("buffer_capacity_bytes", Gauge, "Capacity of the ring buffer in bytes (--buffer-bytes).", hub.max_bytes() as u64),
        ("followers", Gauge, "Clients following /logs right now.", hub.followers.load(Ordering::Relaxed) as u64),
        ("follow_skipped_records_total", Counter, "Records skipped for followers that read too slowly.", hub.skipped.load(Ordering::Relaxed)),
        ("logs_unsent_records_total", Counter, "Records left out of GET /logs responses: they left the buffer before their slow client read them.", hub.unsent.load(Ordering::Relaxed)),
        ("http_connections", Gauge, "HTTP connections served within --max-connections, open now.", connections.open.load(Ordering::Relaxed) as u64),
        ("http_connections_max", Gauge, "--max-connections, as fitted to the open-file limit.", connections.max.load(Ordering::Relaxed) as u64),
        ("http_over_limit_connections_total", Counter, "HTTP connections accepted over --max-connections (answered /healthz and /metrics only).", connections.over_limit_total.load(Ordering::Relaxed)),
    ];
    for (name, kind, help, value) in single {
        out.single(name, kind, help, value);
    }
    out.family(
        "records_by_format_total",
        Counter,
        "Records per detected timestamp format.",
        Format::ALL.iter().zip(&m.per_format).map(|(format, count)| {
            (
                format!("format=\"{}\"", format.name()),
                count.load(Ordering::Relaxed),
            )
        }),
    );
    out.family(
        "file_events_total",
        Counter,
        "What happened to the files followed: rotations, truncations, long lines cut, files closed or missing.",
        FileEvent::NAMES
            .iter()
            .zip(&m.file_events)
            .map(|(name, count)| (format!("event=\"{name}\""), count.load(Ordering::Relaxed))),
    );
    respond(
        StatusCode::OK,
        podkit::http::PROMETHEUS_TEXT,
        Full::new(Bytes::from(out.finish())).boxed(),
    )
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    podkit::http::text(status, Bytes::copy_from_slice(body.as_bytes())).map(BodyExt::boxed)
}

/// A connection whose writes fail once they have made no progress for
/// `timeout`: a client that reads nothing is let go. Reads pass through.
struct Stalls<T> {
    io: T,
    timeout: Duration,
    /// Running while writes wait for the client.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> Stalls<T> {
    fn new(io: T, timeout: Duration) -> Self {
        Stalls {
            io,
            timeout,
            stalled: None,
        }
    }

    fn watch(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for --write-timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Stalls<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Stalls<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
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

    fn limits(max_connections: usize) -> Limits {
        Limits {
            max_connections,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn connections_fit_the_open_file_limit() {
        let fit = |max, open_files| {
            let f = limits(max).fit(open_files);
            (f.max_connections, f.over_limit_slots)
        };
        assert_eq!(fit(512, None), (512, OVER_LIMIT_SLOTS));
        assert_eq!(fit(512, Some(1_048_576)), (512, OVER_LIMIT_SLOTS));
        // ulimit -n 1024: 960 descriptors for connections, 64 over the limit.
        assert_eq!(fit(2000, Some(1024)), (896, 64));
        assert_eq!(fit(512, Some(1024)), (512, 64));
        assert_eq!(fit(512, Some(256)), (168, 24));
        // Never nothing.
        assert_eq!(fit(512, Some(10)), (1, 1));
    }

    fn array(hub: &Arc<Hub>, since: Option<DateTime<Utc>>, limit: Option<usize>) -> String {
        let body = ArrayBody::new(hub.clone(), hub.select(since, limit), since);
        let bytes: Vec<u8> = body
            .flat_map(|frame| frame.unwrap().into_data().unwrap().to_vec())
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_array_is_streamed_from_the_ring() {
        let hub = Arc::new(Hub::new(100, usize::MAX));
        assert_eq!(array(&hub, None, None), "[]\n");
        let t = DateTime::from_timestamp(1_764_180_000, 0).unwrap();
        for i in 0..50 {
            hub.publish(
                t,
                format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(1000)).as_bytes(),
            );
        }
        // A large record goes as it is.
        hub.publish(
            t,
            format!("{{\"n\":50,\"pad\":\"{}\"}}\n", "y".repeat(40_000)).as_bytes(),
        );
        let text = array(&hub, None, None);
        assert_eq!(numbers(&text), (0..=50).collect::<Vec<_>>());
        assert!(text.ends_with("}]\n"));
        assert_eq!(array(&hub, None, Some(0)), "[]\n");
    }

    /// The `n` of each record of a JSON array.
    fn numbers(text: &str) -> Vec<u64> {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["n"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn records_evicted_before_their_turn_are_left_out() {
        let hub = Arc::new(Hub::new(10, usize::MAX));
        let t = DateTime::from_timestamp(1_764_180_000, 0).unwrap();
        let line = |i: usize| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(6000));
        for i in 1..=10 {
            hub.publish(t, line(i).as_bytes());
        }
        let mut body = ArrayBody::new(hub.clone(), hub.select(None, None), None);
        // The first chunk: `[` and records 1 to 3 (16 KiB).
        let first = body.next().unwrap().unwrap().into_data().unwrap();
        // Eight more arrive: records 1 to 8 leave the ring.
        for i in 11..=18 {
            hub.publish(t, line(i).as_bytes());
        }
        let rest: Vec<u8> = body
            .flat_map(|frame| frame.unwrap().into_data().unwrap().to_vec())
            .collect();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&rest)
        );
        // The array ends with the newest record when the request came.
        assert_eq!(numbers(&text), [1, 2, 3, 9, 10]);
        assert_eq!(hub.unsent.load(Ordering::Relaxed), 5);
    }
}
