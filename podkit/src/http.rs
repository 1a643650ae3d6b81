//! What every listener shares: one accept loop, with one rule for failed
//! accepts, and plain HTTP responses.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use tracing::{debug, warn};

/// The content type of Prometheus' text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4";

/// A listening socket: TCP, or a binary's own choice of sockets.
pub trait Accept {
    /// A connection just accepted.
    type Stream;

    /// Waits for the next connection.
    fn accept_one(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept_one(&self) -> io::Result<Self::Stream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

/// Accepts connections on `listener` for as long as the future runs (drop
/// it, or race it against a shutdown signal, to stop), handing each to
/// `serve`, which spawns what serves it.
///
/// A failed accept is never fatal: it is almost always the open-file limit
/// (EMFILE), which passes when connections close. `make_room` may close one
/// to make room at once (it returns true if it did); otherwise the failure
/// is logged once per attempt, naming `what` is served, and tried again
/// 100 ms later rather than in a hot loop.
pub async fn accept_loop<L: Accept>(
    listener: &L,
    what: &str,
    mut make_room: impl FnMut() -> bool,
    mut serve: impl FnMut(L::Stream),
) {
    loop {
        match listener.accept_one().await {
            Ok(stream) => serve(stream),
            Err(e) if make_room() => {
                debug!(listener = what, error = %e, "accepting a connection failed; closed one to make room");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => {
                warn!(listener = what, error = %e, "accepting a connection failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A response of `status` with `body` and its content type.
pub fn respond<B>(status: StatusCode, content_type: &'static str, body: B) -> Response<B> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// 405 to a method other than GET and HEAD, saying which are served.
pub fn method_not_allowed() -> Response<Full<Bytes>> {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// A plain-text response (UTF-8).
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", Full::new(body.into()))
}
