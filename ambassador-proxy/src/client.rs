//! One client connection: requests read and routed as they arrive, replies
//! written strictly in request order, the connection kept open through any
//! bad command, and closed only by QUIT or a byte stream that cannot be
//! parsed any further.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tracing::debug;

use crate::command::{lookup, Command, Route};
use crate::protocol::{bulk_reply, error_reply, ok_reply, wrong_arity, Request, RequestReader};
use crate::proxy::{Pending, PoolRuntime, ReplyFuture};
use crate::serving::PoolSlot;

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

/// Clients being served, in every pool: what shutdown waits for. (Each
/// pool counts its own too, but a reload that renames or removes a pool
/// replaces its statistics while its clients finish.)
static OPEN_CLIENTS: AtomicU64 = AtomicU64::new(0);

/// How many clients are being served, in all pools.
pub fn open_clients() -> u64 {
    OPEN_CLIENTS.load(Ordering::Relaxed)
}

/// What the proxy remembers about one client.
struct Session {
    id: u64,
    authenticated: bool,
    name: Option<Bytes>,
    requests: RequestReader,
}

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
    OPEN_CLIENTS.fetch_add(1, Ordering::Relaxed);
    let mut session = Session {
        id: NEXT_CLIENT_ID.fetch_add(1, Ordering::Relaxed),
        authenticated: pool.load().config.redis_auth.is_none(),
        name: None,
        requests: RequestReader::new(pool.load().limits),
    };
    let mut window = Window::new(pool.load().client_reply_buffer);
    let mut in_flight: FuturesOrdered<ReplyFuture> = FuturesOrdered::new();
    // Set by QUIT, an unparsable stream or EOF: read no more, answer what
    // was asked, then close.
    let mut closing = *stopping.borrow();
    // Small to start with, grown (doubling) by busy clients only: ten
    // thousand idle clients must cost little.
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = Vec::new();
    loop {
        // Requests already read wait in `buf` while the window is full.
        if !closing && in_flight.len() < window.size() && !buf.is_empty() {
            closing = session.take_requests(&mut buf, &pool.load(), &mut in_flight, window.size());
        }
        if closing && in_flight.is_empty() {
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
            _ = stopping.changed(), if !closing => closing = true,
            read = reader.read_buf(&mut buf), if !closing && in_flight.len() < window.size() => {
                match read {
                    Ok(0) => {
                        stats.client_eof.incr();
                        closing = true;
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
    OPEN_CLIENTS.fetch_sub(1, Ordering::Relaxed);
    debug!(client = session.id, "client gone");
}

impl Session {
    /// Routes the complete requests in `buf` until `window` replies are
    /// outstanding, queueing their replies. Returns true when the
    /// connection is to close after the replies (QUIT, or a stream that
    /// cannot be parsed any further).
    fn take_requests(
        &mut self,
        buf: &mut BytesMut,
        pool: &PoolRuntime,
        in_flight: &mut FuturesOrdered<ReplyFuture>,
        window: usize,
    ) -> bool {
        while in_flight.len() < window {
            let pending = match self.requests.next(buf) {
                Ok(Some(Request { args, raw })) => self.handle(args, raw, pool),
                Ok(None) => return false,
                Err(e) => {
                    pool.stats.client_err.incr();
                    debug!(client = self.id, error = %e, "closing the client");
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

    fn handle(&mut self, args: Vec<Bytes>, raw: Option<Bytes>, pool: &PoolRuntime) -> Pending {
        let Some(command) = lookup(&args[0]) else {
            return Pending::Ready(error_reply(&format!(
                "unknown or unsupported command '{}'",
                String::from_utf8_lossy(&args[0])
            )));
        };
        let origin = pool.count(command, self.id);
        let pending = if args.len() < command.min_args {
            Pending::Ready(wrong_arity(&args[0]))
        } else if !self.authenticated && !matches!(command.name, "AUTH" | "QUIT" | "HELLO") {
            Pending::Ready(error_reply("NOAUTH Authentication required."))
        } else {
            match command.route {
                Route::Local => self.local(command, &args, pool),
                Route::Unsupported(why) => Pending::Ready(error_reply(&format!(
                    "'{}' is not supported by ambassador-proxy: {why}",
                    command.name
                ))),
                // Counts its replies itself, when they come.
                _ => return pool.route(command, args, raw, origin),
            }
        };
        if let Pending::Ready(reply) | Pending::Close(reply) = &pending {
            pool.stats.replied(origin, reply, None);
        }
        pending
    }

    /// Commands the proxy answers itself.
    fn local(&mut self, command: &Command, args: &[Bytes], pool: &PoolRuntime) -> Pending {
        let arg = |i: usize| args.get(i).map(|a| String::from_utf8_lossy(a).to_uppercase());
        Pending::Ready(match command.name {
            "PING" => match args.get(1) {
                Some(message) => bulk_reply(message),
                None => Bytes::from_static(b"+PONG\r\n"),
            },
            "ECHO" => bulk_reply(&args[1]),
            "QUIT" => return Pending::Close(ok_reply()),
            "SELECT" => match std::str::from_utf8(&args[1])
                .ok()
                .and_then(|db| db.parse::<u32>().ok())
            {
                Some(db) if db == pool.config.redis_db => ok_reply(),
                _ => error_reply(&format!(
                    "only database {} is served by this proxy (redis_db)",
                    pool.config.redis_db
                )),
            },
            "AUTH" => self.auth(&args[1..], pool),
            "CLIENT" => match arg(1).as_deref() {
                Some("SETNAME") if args.len() == 3 => {
                    self.name = Some(args[2].clone());
                    ok_reply()
                }
                Some("GETNAME") => self
                    .name
                    .as_deref()
                    .map_or(Bytes::from_static(b"$-1\r\n"), bulk_reply),
                Some("SETINFO") => ok_reply(),
                Some("ID") => Bytes::from(format!(":{}\r\n", self.id)),
                _ => error_reply("ERR CLIENT supports SETNAME, GETNAME, SETINFO and ID through this proxy"),
            },
            "HELLO" => match arg(1).as_deref() {
                None | Some("2") => self.hello(args, pool),
                Some(_) => error_reply("NOPROTO ambassador-proxy speaks RESP2 only; use HELLO 2 or no HELLO"),
            },
            "COMMAND" => Bytes::from_static(b"*0\r\n"),
            _ => error_reply("not a local command"),
        })
    }

    fn auth(&mut self, credentials: &[Bytes], pool: &PoolRuntime) -> Bytes {
        let Some(expected) = &pool.config.redis_auth else {
            return error_reply("Client sent AUTH, but no password is set");
        };
        let given: Vec<String> = credentials
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let expected: Vec<&str> = expected.split_whitespace().collect();
        // `AUTH password` also matches an ACL `user password` setting by its password.
        let matches = given.iter().map(String::as_str).eq(expected.iter().copied())
            || (given.len() == 1 && expected.last() == Some(&given[0].as_str()));
        self.authenticated = matches;
        if matches {
            ok_reply()
        } else {
            error_reply("WRONGPASS invalid username-password pair or user is disabled.")
        }
    }

    /// HELLO 2 [AUTH user pass] [SETNAME name]: RESP2, with the server map as an array.
    fn hello(&mut self, args: &[Bytes], pool: &PoolRuntime) -> Bytes {
        let mut i = 2;
        while i < args.len() {
            match String::from_utf8_lossy(&args[i]).to_uppercase().as_str() {
                "AUTH" if i + 2 < args.len() => {
                    let reply = self.auth(&args[i + 1..i + 3], pool);
                    if reply.first() == Some(&b'-') {
                        return reply;
                    }
                    i += 3;
                }
                "SETNAME" if i + 1 < args.len() => {
                    self.name = Some(args[i + 1].clone());
                    i += 2;
                }
                _ => return error_reply("syntax error in HELLO"),
            }
        }
        if !self.authenticated {
            return error_reply(
                "NOAUTH HELLO must be called with the client already authenticated, or with AUTH",
            );
        }
        let fields: [(&str, Bytes); 7] = [
            ("server", bulk_reply(b"ambassador-proxy")),
            ("version", bulk_reply(env!("CARGO_PKG_VERSION").as_bytes())),
            ("proto", Bytes::from_static(b":2\r\n")),
            ("id", Bytes::from(format!(":{}\r\n", self.id))),
            ("mode", bulk_reply(b"proxy")),
            ("role", bulk_reply(b"master")),
            ("modules", Bytes::from_static(b"*0\r\n")),
        ];
        let mut out = BytesMut::new();
        out.extend_from_slice(format!("*{}\r\n", fields.len() * 2).as_bytes());
        for (name, value) in fields {
            out.extend_from_slice(&bulk_reply(name.as_bytes()));
            out.extend_from_slice(&value);
        }
        out.freeze()
    }
}
