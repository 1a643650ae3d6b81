//! One client connection: requests read and routed as they arrive, replies
//! written strictly in request order, the connection kept open through any
//! bad command, and closed only by QUIT or a byte stream that cannot be
//! parsed any further.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tracing::debug;

use crate::pool::{Pending, PoolRuntime, PoolSlot, ReplyFuture};
use crate::protocol::{error_reply, Request, RequestReader};
use crate::session::Session;

/// The most replies a client may have outstanding, however small.
const MAX_PENDING_REPLIES: usize = 256;

/// How many requests a client may have outstanding: as many as its replies
/// fit in its reply buffer, judged by the sizes of its recent replies. A
/// client that sends without reading is held back here (its requests stay
/// unread in the socket), so that its unread replies cost at most about
/// the buffer, while the server connections it shares flow on.
#[derive(Debug)]
struct Window {
    buffer: usize,
    /// A recent reply's size: rises at once with a large reply, falls
    /// slowly (an eighth of the way per reply) with small ones.
    estimate: usize,
}

impl Window {
    /// Until replies are seen, 8 requests at a time.
    fn new(buffer: usize) -> Window {
        Window {
            buffer,
            estimate: (buffer / 8).max(1),
        }
    }

    fn replied(&mut self, size: usize) {
        self.estimate = size.max((self.estimate * 7 + size) / 8).max(1);
    }

    /// How many requests may be outstanding now.
    fn size(&self) -> usize {
        (self.buffer / self.estimate).clamp(1, MAX_PENDING_REPLIES)
    }
}

static NEXT_CLIENT_ID: AtomicU64 = AtomicU64::new(1);

/// Serves one client, whose connection is split into `reader` and
/// `writer` (TCP or unix socket), until it quits or disconnects, or until
/// `stopping` turns true: then the requests already read are answered and
/// the connection closes.
///
/// One task does both directions: it reads requests while replies are
/// outstanding, and writes each reply once it and all before it are known,
/// every known reply in one write.
pub async fn serve_client<R, W>(
    mut reader: R,
    mut writer: W,
    pool: Arc<PoolSlot>,
    mut stopping: watch::Receiver<bool>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // The statistics outlive reloads; the runtime is looked up at each read.
    let stats = pool.load().stats.clone();
    stats.accepted.incr();
    stats.client_connections.incr();
    let mut session = Session::new(
        NEXT_CLIENT_ID.fetch_add(1, Ordering::Relaxed),
        pool.load().config.redis_auth.is_some(),
    );
    let mut requests = RequestReader::new(pool.load().limits);
    let mut window = Window::new(pool.load().client_reply_buffer);
    let mut in_flight: FuturesOrdered<ReplyFuture> = FuturesOrdered::new();
    // Set by QUIT or an unparsable stream: answer what was taken, drop the
    // rest, close.
    let mut quit = false;
    // Set by EOF or a stop: read no more, but answer every complete
    // request already read (some may wait in `buf` for the window), then
    // close.
    let mut reading_done = *stopping.borrow();
    // Small to start with, grown (doubling) by busy clients only: ten
    // thousand idle clients must cost little.
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = Vec::new();
    loop {
        // Requests already read wait in `buf` while the window is full.
        if !quit && in_flight.len() < window.size() && !buf.is_empty() {
            quit = take_requests(
                &mut session,
                &mut requests,
                &mut buf,
                &pool.load(),
                &mut in_flight,
                window.size(),
            );
        }
        // With nothing in flight the take above found no complete request.
        if (quit || reading_done) && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            Some(reply) = in_flight.next(), if !in_flight.is_empty() => {
                window.replied(reply.len());
                out.extend_from_slice(&reply);
                while let Some(Some(reply)) = in_flight.next().now_or_never() {
                    window.replied(reply.len());
                    out.extend_from_slice(&reply);
                }
                if writer.write_all(&out).await.is_err() {
                    stats.client_err.incr();
                    break;
                }
                out.clear();
                if out.capacity() > 64 * 1024 {
                    out = Vec::new();
                }
            }
            _ = stopping.changed(), if !reading_done => reading_done = true,
            read = reader.read_buf(&mut buf), if !quit && !reading_done && in_flight.len() < window.size() => {
                match read {
                    Ok(0) => {
                        stats.client_eof.incr();
                        reading_done = true;
                    }
                    Err(_) => {
                        stats.client_err.incr();
                        break;
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    let _ = writer.shutdown().await;
    stats.client_connections.decr();
    debug!(client = session.id(), "client gone");
}

/// Routes the complete requests in `buf` until `window` replies are
/// outstanding, queueing their replies. Returns true when the connection
/// is to close after the replies (QUIT, or a stream that cannot be parsed
/// any further).
fn take_requests(
    session: &mut Session,
    requests: &mut RequestReader,
    buf: &mut BytesMut,
    pool: &PoolRuntime,
    in_flight: &mut FuturesOrdered<ReplyFuture>,
    window: usize,
) -> bool {
    while in_flight.len() < window {
        let pending = match requests.next(buf) {
            Ok(Some(Request { args, raw })) => session.handle(args, raw, pool),
            Ok(None) => return false,
            Err(e) => {
                pool.stats.client_err.incr();
                debug!(client = session.id(), error = %e, "closing the client");
                Pending::Close(error_reply(&e.to_string()))
            }
        };
        match pending {
            Pending::Ready(reply) => in_flight.push_back(Box::pin(std::future::ready(reply))),
            Pending::Later(future) => in_flight.push_back(future),
            Pending::Close(reply) => {
                in_flight.push_back(Box::pin(std::future::ready(reply)));
                return true;
            }
        }
    }
    false
}
