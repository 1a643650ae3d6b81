//! One connection to one server, shared by every client: requests are
//! written as they come (pipelined), and each reply goes to the request at
//! the head of the queue of those waiting, so replies meet their requests
//! in order.
//!
//! The connection is made on first use and after every failure: requests
//! waiting on a connection that fails get an error. After a failed connect
//! the server gets a rest that doubles with each failure in a row (from
//! 25 ms to 2 s): requests in that time fail at once instead of piling up
//! behind a server that is down; the first request after it connects again.
//! Failures and replies are reported to the pool's [`Health`], which ejects
//! servers that keep failing.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use std::sync::Arc;

use crate::eject::Health;
use crate::protocol::{encode_request, next_reply, Protocol, Reply, ReplyReader, Shape};
use crate::resolve::Resolver;
use crate::stats::ServerStats;

/// Why a request got no reply from its server.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
    /// Connecting, or the connection's AUTH/SELECT, failed. Clients get
    /// the reason in nutcracker's words (`Connection refused`, `Connection
    /// timed out`), which they match; the log gets the detail.
    #[error("{reason}")]
    Unreachable {
        /// What went wrong, as clients are told.
        reason: String,
        /// What went wrong, for the log: the address tried, the limit.
        detail: String,
    },
    /// The connection broke before the reply came.
    #[error("connection to server {0} lost before its reply")]
    Lost(String),
    /// No reply within the pool's timeout (nutcracker's words: clients
    /// match them).
    #[error("Connection timed out")]
    TimedOut,
    /// The server's reply did not fit the request, or came unasked: its
    /// reply stream is out of step with the requests, and the connection
    /// was dropped so that no reply reaches the wrong request.
    #[error("connection to server {0} dropped: its replies were out of step with the requests")]
    OutOfStep(String),
}

/// How to reach a server and set up each connection.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address, resolved at every connect.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// `AUTH` sent first: a password, or `user password`.
    pub auth: Option<String>,
    /// `SELECT`ed next, unless 0.
    pub db: u32,
    /// Turn on TCP keepalive.
    pub keepalive: bool,
    /// The protocol the connection speaks (`HELLO 3` sent after AUTH and
    /// SELECT for RESP3).
    pub protocol: Protocol,
    /// The pool's `timeout`. Requests get their timeout errors from
    /// [`Backend::send`]; when the oldest request has had no reply for
    /// twice this long, nothing behind it can be answered either (replies
    /// come in order), so the connection is taken for dead and made again,
    /// as twemproxy does (twice: the requests' own timeouts come first).
    /// It also bounds each connect attempt and the AUTH/SELECT after it
    /// ([`CONNECT_TIMEOUT`] when unset).
    pub timeout: Option<Duration>,
}

/// How long a connect attempt (and the connection's AUTH/SELECT) may take
/// when the pool sets no `timeout`. Without a bound, a connect to an
/// address that swallows packets (a deleted pod's IP) waits for the
/// kernel's SYN retries, about two minutes, while every request for the
/// server queues behind it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Target {
    fn connect_timeout(&self) -> Duration {
        self.timeout.unwrap_or(CONNECT_TIMEOUT)
    }
}

type Slot = oneshot::Sender<Result<Reply, BackendError>>;

struct Job {
    request: Bytes,
    reply: Slot,
    expect: Shape,
    counted: bool,
}

/// A request written and waiting for its reply: where the reply goes, and
/// the request's size for the queue statistics.
struct Waiting {
    slot: Slot,
    bytes: u64,
    written_at: Instant,
    /// The kinds of reply the request can have.
    expect: Shape,
    /// A client's request, counted in the server's statistics (the
    /// proxy's own health checks are not).
    counted: bool,
}

/// A handle on a server connection; cheap to clone.
#[derive(Debug, Clone)]
pub struct Backend {
    jobs: mpsc::UnboundedSender<Job>,
    reporter: Reporter,
}

/// Where a connection counts its traffic and reports its failures: the
/// server's statistics and its entry in the pool's [`Health`].
#[derive(Debug, Clone)]
pub struct Reporter {
    /// The server's statistics.
    pub stats: Arc<ServerStats>,
    /// The pool's ring and failure counts.
    pub health: Arc<Health>,
    /// The server's index in the pool.
    pub server: usize,
}

impl Reporter {
    fn failed(&self) {
        self.health.failed(self.server);
    }

    fn answered(&self) {
        self.health.answered(self.server);
    }
}

impl Backend {
    /// Starts the task that owns the connection to `target`, whose name
    /// `resolver` looks up.
    pub fn spawn(target: Target, reporter: Reporter, resolver: Arc<Resolver>) -> Backend {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(target, queue, reporter.clone(), resolver));
        Backend { jobs, reporter }
    }

    /// Sends a client's `request` (an encoded command, whose replies have
    /// the shape `expect`) now and returns the future of its reply,
    /// bounded by `timeout`.
    pub fn send(
        &self,
        request: Bytes,
        expect: Shape,
        timeout: Option<Duration>,
    ) -> impl std::future::Future<Output = Result<Reply, BackendError>> + Send + 'static {
        self.submit(request, expect, timeout, true)
    }

    /// Sends the proxy's own PING (a health check, or a connect ahead of
    /// use), which the server's request statistics do not count.
    pub fn ping(
        &self,
        timeout: Option<Duration>,
    ) -> impl std::future::Future<Output = Result<Reply, BackendError>> + Send + 'static {
        self.submit(
            Bytes::from_static(b"*1\r\n$4\r\nPING\r\n"),
            Shape::STATUS,
            timeout,
            false,
        )
    }

    fn submit(
        &self,
        request: Bytes,
        expect: Shape,
        timeout: Option<Duration>,
        counted: bool,
    ) -> impl std::future::Future<Output = Result<Reply, BackendError>> + Send + 'static {
        let (reply, waiting) = oneshot::channel();
        let bytes = request.len() as u64;
        let stats = &self.reporter.stats;
        if counted {
            stats.requests.incr();
            stats.request_bytes.add(bytes);
        }
        stats.in_queue.incr();
        stats.in_queue_bytes.add(bytes);
        let job = Job {
            request,
            reply,
            expect,
            counted,
        };
        let sent = self.jobs.send(job).is_ok();
        let reporter = self.reporter.clone();
        async move {
            let lost = || BackendError::Lost(reporter.stats.name.clone());
            if !sent {
                return Err(lost());
            }
            let outcome = match timeout {
                Some(limit) => match tokio::time::timeout(limit, waiting).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        reporter.stats.server_timedout.incr();
                        reporter.failed();
                        return Err(BackendError::TimedOut);
                    }
                },
                None => waiting.await,
            };
            outcome.unwrap_or_else(|_| Err(lost()))
        }
    }
}

/// The rest after failed connects in a row: 25 ms, doubling, at most 2 s.
fn backoff(failures_in_a_row: u32) -> Duration {
    Duration::from_millis(25 << failures_in_a_row.min(7)).min(Duration::from_secs(2))
}

/// Owns the connection to `target`: connects at the first job (resting
/// after failed connects), then writes and reads until the connection
/// breaks or the server moves, and connects again at the next job.
async fn run(
    target: Target,
    mut queue: mpsc::UnboundedReceiver<Job>,
    reporter: Reporter,
    resolver: Arc<Resolver>,
) {
    let stats = &reporter.stats;
    let mut failures_in_a_row = 0;
    while let Some(first) = queue.recv().await {
        let (stream, peer) = match connect(&target, &resolver).await {
            Ok(connected) => connected,
            Err(e) => {
                let rest = backoff(failures_in_a_row);
                failures_in_a_row += 1;
                let detail = match &e {
                    BackendError::Unreachable { detail, .. } => detail.as_str(),
                    _ => "",
                };
                warn!(server = %stats.name, error = %e, detail, retry_in = ?rest, "server unreachable");
                stats.server_err.incr();
                stats.up.set(0);
                reporter.failed();
                // What is queued now, and what comes during the rest, fails
                // at once; the first request after it tries again.
                let until = Instant::now() + rest;
                let mut next = Some(first);
                loop {
                    let job = match next.take() {
                        Some(job) => job,
                        None => match tokio::time::timeout_at(until, queue.recv()).await {
                            Ok(Some(job)) => job,
                            Ok(None) => return,
                            Err(_) => break,
                        },
                    };
                    stats.in_queue.decr();
                    stats.in_queue_bytes.sub(job.request.len() as u64);
                    let _ = job.reply.send(Err(e.clone()));
                }
                continue;
            }
        };
        failures_in_a_row = 0;
        debug!(server = %stats.name, address = %peer, "connected");
        stats.server_connections.incr();
        stats.up.set(1);
        let (reader, writer) = stream.into_split();
        let (waiting_tx, waiting_rx) = mpsc::unbounded_channel();
        let (writing, written) = oneshot::channel::<()>();
        let read = tokio::spawn(read_replies(
            reader,
            waiting_rx,
            written,
            target.timeout,
            reporter.clone(),
        ));
        let moved = std::pin::pin!(moved_away(&resolver, &target.host, peer.ip()));
        let writer_end = write_requests(writer, first, &mut queue, waiting_tx, writing, moved, stats).await;
        let reader_end = read.await.unwrap_or(End::Broken);
        stats.server_connections.decr();
        if writer_end == End::Broken || reader_end == End::Broken {
            reporter.failed();
        }
        debug!(server = %stats.name, "connection closed");
    }
}

/// How one side of a server connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The connection failed or the server closed it.
    Broken,
    /// Cleanly: no more requests (the pool is gone or the server moved)
    /// and every reply received.
    Done,
}

/// Resolves when `host` no longer resolves to `connected_to`: a StatefulSet
/// pod came back with a new IP while the old address still answers, or a
/// hosts entry changed. Never, for an address.
async fn moved_away(resolver: &Resolver, host: &str, connected_to: IpAddr) {
    if host.parse::<IpAddr>().is_ok() {
        return std::future::pending().await;
    }
    loop {
        tokio::time::sleep(resolver.refresh).await;
        match resolver.resolve(host, Some(resolver.refresh)).await {
            Ok(addresses) if !addresses.is_empty() && !addresses.contains(&connected_to) => {
                info!(server = host, from = %connected_to, to = ?addresses, "server moved; reconnecting");
                return;
            }
            Ok(_) => {}
            Err(e) => debug!(error = %e, "re-resolving failed; keeping the connection"),
        }
    }
}

/// Writes jobs as they come, batching whatever is queued into one write;
/// hands each reply slot to the reader before its request is written.
/// Stops when the connection fails, when the server `moved`, or when no
/// one can send jobs any more; dropping `writing` then tells the reader
/// that no more requests come.
async fn write_requests(
    mut writer: OwnedWriteHalf,
    first: Job,
    queue: &mut mpsc::UnboundedReceiver<Job>,
    waiting: mpsc::UnboundedSender<Waiting>,
    writing: oneshot::Sender<()>,
    mut moved: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    stats: &ServerStats,
) -> End {
    let _writing = writing;
    let mut batch = BytesMut::new();
    let mut next = Some(first);
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => tokio::select! {
                job = queue.recv() => match job {
                    Some(job) => job,
                    None => return End::Done,
                },
                _ = waiting.closed() => return End::Broken,
                () = &mut moved => return End::Done,
            },
        };
        // Let the other ready tasks (clients with requests for this
        // server) run first, so that one write carries all their requests:
        // without it, unpipelined clients cost one write each.
        tokio::task::yield_now().await;
        batch.clear();
        let written_at = Instant::now();
        let push = |job: Job, batch: &mut BytesMut| {
            let bytes = job.request.len() as u64;
            batch.extend_from_slice(&job.request);
            stats.in_queue.decr();
            stats.in_queue_bytes.sub(bytes);
            stats.out_queue.incr();
            stats.out_queue_bytes.add(bytes);
            waiting
                .send(Waiting {
                    slot: job.reply,
                    bytes,
                    written_at,
                    expect: job.expect,
                    counted: job.counted,
                })
                .is_ok()
        };
        let mut alive = push(job, &mut batch);
        while alive && batch.len() < 256 * 1024 {
            match queue.try_recv() {
                Ok(job) => alive = push(job, &mut batch),
                Err(_) => break,
            }
        }
        if !alive || writer.write_all(&batch).await.is_err() {
            return End::Broken;
        }
    }
}

/// Reads replies and gives each to the oldest waiting request, until the
/// connection fails, the oldest request goes unanswered for twice
/// `timeout` (the connection is stuck), or the writer is done (`written`) and every
/// reply is in. Returning drops the queue of reply slots, failing every
/// request still waiting.
async fn read_replies(
    mut reader: OwnedReadHalf,
    mut waiting: mpsc::UnboundedReceiver<Waiting>,
    mut written: oneshot::Receiver<()>,
    timeout: Option<Duration>,
    reporter: Reporter,
) -> End {
    let stats = &reporter.stats;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut replies = ReplyReader::default();
    let mut writer_done = false;
    // The oldest request written and not answered, taken off the queue so
    // that its age can be watched.
    let mut oldest: Option<Waiting> = None;
    let mut last_read = Instant::now();
    let end = 'reading: loop {
        if oldest.is_none() {
            oldest = waiting.try_recv().ok();
        }
        if writer_done && oldest.is_none() {
            break End::Done;
        }
        let stuck_at = oldest
            .as_ref()
            .zip(timeout)
            .map(|(request, timeout)| request.written_at.max(last_read) + 2 * timeout);
        tokio::select! {
            read = reader.read_buf(&mut buf) => match read {
                Ok(0) => {
                    stats.server_eof.incr();
                    break End::Broken;
                }
                Err(_) => {
                    stats.server_err.incr();
                    break End::Broken;
                }
                Ok(_) => last_read = Instant::now(),
            },
            request = waiting.recv(), if oldest.is_none() && !writer_done => {
                // None: the writer is gone, and with it every sender.
                writer_done = request.is_none();
                oldest = request;
                continue;
            }
            _ = &mut written, if !writer_done => {
                writer_done = true;
                continue;
            }
            () = sleep_until_or_never(stuck_at) => {
                warn!(server = %stats.name, "no reply within the timeout; reconnecting");
                stats.server_err.incr();
                break End::Broken;
            }
        }
        let mut answered = false;
        loop {
            let reply = match replies.next(&mut buf) {
                Ok(Some(reply)) => reply,
                Ok(None) => break,
                Err(e) => {
                    warn!(server = %stats.name, error = %e, "unparsable reply; dropping the connection");
                    stats.server_err.incr();
                    break 'reading End::Broken;
                }
            };
            if reply.kind() == b'>' {
                // A RESP3 push is not a reply (no command the proxy
                // forwards asks for one).
                debug!(server = %stats.name, "push message ignored");
                continue;
            }
            // The reader learns of each request before it is written, so a
            // reply with no request waiting was never asked for.
            let Some(request) = oldest.take().or_else(|| waiting.try_recv().ok()) else {
                warn!(server = %stats.name, "a reply that no request asked for; dropping the connection");
                stats.server_err.incr();
                break 'reading End::Broken;
            };
            stats.out_queue.decr();
            stats.out_queue_bytes.sub(request.bytes);
            if !request.expect.fits(&reply) {
                warn!(
                    server = %stats.name,
                    reply = %String::from_utf8_lossy(&reply.raw[..reply.raw.len().min(40)]).escape_debug(),
                    "a reply of a kind its request cannot have: the replies are out of step; dropping the connection"
                );
                stats.server_err.incr();
                let _ = request
                    .slot
                    .send(Err(BackendError::OutOfStep(stats.name.clone())));
                break 'reading End::Broken;
            }
            answered = true;
            if request.counted {
                stats.responses.incr();
                stats.response_bytes.add(reply.raw.len() as u64);
            }
            let _ = request.slot.send(Ok(reply));
        }
        if answered {
            reporter.answered();
        }
    };
    waiting.close();
    let lost = |request: Waiting| {
        stats.out_queue.decr();
        stats.out_queue_bytes.sub(request.bytes);
        let _ = request.slot.send(Err(BackendError::Lost(stats.name.clone())));
    };
    oldest.into_iter().for_each(lost);
    while let Ok(request) = waiting.try_recv() {
        lost(request);
    }
    end
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Resolves the server's name, connects to the first address that
/// answers, and runs AUTH and SELECT.
async fn connect(target: &Target, resolver: &Resolver) -> Result<(TcpStream, SocketAddr), BackendError> {
    let unreachable = |reason: String, detail: String| BackendError::Unreachable { reason, detail };
    let limit = target.connect_timeout();
    let addresses = resolver.resolve(&target.host, Some(limit)).await.map_err(|e| {
        let reason = format!("cannot resolve server {}:{}: {e}", target.host, target.port);
        unreachable(reason, String::new())
    })?;
    let mut failure = (format!("'{}' resolves to no address", target.host), String::new());
    let mut connected = None;
    for address in addresses {
        let peer = SocketAddr::new(address, target.port);
        match tokio::time::timeout(limit, TcpStream::connect(peer)).await {
            Ok(Ok(stream)) => {
                connected = Some((stream, peer));
                break;
            }
            Ok(Err(e)) => failure = (system_words(&e), format!("at {peer}")),
            Err(_) => {
                failure = (
                    "Connection timed out".into(),
                    format!("at {peer}: no answer to connect within {limit:?}"),
                )
            }
        }
    }
    let (mut stream, peer) = connected.ok_or_else(|| unreachable(failure.0, failure.1))?;
    let _ = stream.set_nodelay(true);
    if target.keepalive {
        let _ = socket2::SockRef::from(&stream).set_keepalive(true);
    }
    match tokio::time::timeout(limit, set_up(&mut stream, target)).await {
        Ok(Ok(())) => Ok((stream, peer)),
        Ok(Err(reason)) => Err(unreachable(reason, format!("at {peer}"))),
        Err(_) => Err(unreachable(
            "Connection timed out".into(),
            format!("at {peer}: no reply to AUTH/SELECT within {limit:?}"),
        )),
    }
}

/// What the system says of an I/O error (`Connection refused`), without
/// Rust's `(os error 111)`: the words nutcracker's errors have.
fn system_words(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Sends the connection's AUTH, SELECT and HELLO and checks their
/// replies; the error says what went wrong.
async fn set_up(stream: &mut TcpStream, target: &Target) -> Result<(), String> {
    let mut setup: Vec<Vec<&[u8]>> = Vec::new();
    if let Some(auth) = &target.auth {
        let mut command: Vec<&[u8]> = vec![b"AUTH"];
        command.extend(auth.split_whitespace().map(str::as_bytes));
        setup.push(command);
    }
    let db = target.db.to_string();
    if target.db != 0 {
        setup.push(vec![b"SELECT", db.as_bytes()]);
    }
    if target.protocol == Protocol::Resp3 {
        setup.push(vec![b"HELLO", b"3"]);
    }
    let mut buf = BytesMut::new();
    for command in &setup {
        let mut request = BytesMut::new();
        encode_request(command, &mut request);
        stream.write_all(&request).await.map_err(|e| e.to_string())?;
        let reply = loop {
            if let Some(reply) = next_reply(&mut buf).map_err(|e| e.to_string())? {
                break reply;
            }
            if stream.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                return Err("closed during AUTH/SELECT".into());
            }
        };
        if reply.raw.first() == Some(&b'-') {
            let said = String::from_utf8_lossy(&reply.raw).trim().to_owned();
            return Err(format!("{} refused: {said}", String::from_utf8_lossy(command[0])));
        }
    }
    Ok(())
}
