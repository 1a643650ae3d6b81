//! twemproxy's statistics, same names and JSON shape, so nutcracker
//! dashboards and exporters keep working: the stats port answers each
//! connection with one JSON document and closes it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A counter or gauge.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn incr(&self) {
        self.add(1);
    }

    /// Takes one away (gauges).
    pub fn decr(&self) {
        self.sub(1);
    }

    /// Takes `n` away (gauges).
    pub fn sub(&self, n: u64) {
        self.0.fetch_sub(n, Ordering::Relaxed);
    }

    /// Sets the value (gauges, timestamps).
    pub fn set(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// The value now.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long requests took, in buckets of Prometheus's histogram.
#[derive(Debug)]
pub struct Histogram {
    /// Requests that took at most `LATENCY_BOUNDS_MICROS[i]`, not cumulative.
    buckets: [Counter; LATENCY_BOUNDS_MICROS.len()],
    /// Requests slower than the last bound.
    over: Counter,
    sum_micros: Counter,
}

/// The upper bounds of [`Histogram`]'s buckets, µs: 100 µs to 5 s.
pub const LATENCY_BOUNDS_MICROS: [u64; 15] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000,
];

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| Counter::default()),
            over: Counter::default(),
            sum_micros: Counter::default(),
        }
    }
}

impl Histogram {
    /// Counts one request that took `took`.
    pub fn record(&self, took: std::time::Duration) {
        let micros = took.as_micros() as u64;
        self.sum_micros.add(micros);
        match LATENCY_BOUNDS_MICROS.iter().position(|&bound| micros <= bound) {
            Some(at) => self.buckets[at].incr(),
            None => self.over.incr(),
        }
    }

    /// Cumulative counts per bound (Prometheus's `le` buckets), then the
    /// total count and the sum in µs.
    pub fn snapshot(&self) -> (Vec<(u64, u64)>, u64, u64) {
        let mut seen = 0;
        let cumulative = LATENCY_BOUNDS_MICROS
            .iter()
            .zip(&self.buckets)
            .map(|(&bound, count)| {
                seen += count.get();
                (bound, seen)
            })
            .collect();
        (cumulative, seen + self.over.get(), self.sum_micros.get())
    }
}

/// One server's statistics.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// twemproxy's name for the server.
    pub name: String,
    /// EOFs on server connections.
    pub server_eof: Counter,
    /// Errors on server connections.
    pub server_err: Counter,
    /// Requests that timed out.
    pub server_timedout: Counter,
    /// Open connections.
    pub server_connections: Counter,
    /// 1 when the last attempt to reach the server (connect or health
    /// check) succeeded, else 0. Not part of twemproxy's JSON.
    pub up: Counter,
    /// 1 while `auto_eject_hosts` keeps the server out of the ring, else 0.
    /// Not part of twemproxy's JSON.
    pub ejected: Counter,
    /// When the server was last ejected, µs since the epoch (0: never).
    pub server_ejected_at: Counter,
    /// Requests sent.
    pub requests: Counter,
    /// Bytes of requests sent.
    pub request_bytes: Counter,
    /// Replies received.
    pub responses: Counter,
    /// Bytes of replies received.
    pub response_bytes: Counter,
    /// Requests waiting to be written.
    pub in_queue: Counter,
    /// Bytes of requests waiting to be written.
    pub in_queue_bytes: Counter,
    /// Requests written, waiting for their reply.
    pub out_queue: Counter,
    /// Bytes of requests written, waiting for their reply.
    pub out_queue_bytes: Counter,
}

/// One pool's statistics.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// The pool's name.
    pub name: String,
    /// Clients that closed their connection.
    pub client_eof: Counter,
    /// Client connections that failed (errors, unparsable streams).
    pub client_err: Counter,
    /// Open client connections.
    pub client_connections: Counter,
    /// Times a server was ejected.
    pub server_ejects: Counter,
    /// Requests answered with an error because a server failed them.
    pub forward_error: Counter,
    /// Sub-requests made by splitting multi-key commands.
    pub fragments: Counter,
    /// Client connections accepted since start (summed into `total_connections`).
    pub accepted: Counter,
    /// Time from a request's arrival to its reply, for requests that
    /// went to servers (`/metrics`).
    pub latency: Histogram,
    /// Requests and errors per command, for `/metrics`, by upper-case name.
    pub commands: Vec<(&'static str, CommandStats)>,
    /// Per server, in the pool's server order; replaced when a reload
    /// changes the servers (a server that stays keeps its counters).
    pub servers: arc_swap::ArcSwap<Vec<Arc<ServerStats>>>,
}

/// Requests of one command and how many got an error reply.
#[derive(Debug, Default)]
pub struct CommandStats {
    /// Requests.
    pub requests: Counter,
    /// Error replies, the proxy's or a server's.
    pub errors: Counter,
}

impl PoolStats {
    /// Counts the reply to a request of `command` (its index), and its latency when
    /// it went to servers (`started`).
    pub fn replied(&self, command: Option<usize>, reply: &[u8], started: Option<Instant>) {
        if let Some(started) = started {
            self.latency.record(started.elapsed());
        }
        if reply.first() == Some(&b'-') {
            if let Some(command) = command.and_then(|at| self.commands.get(at)) {
                command.1.errors.incr();
            }
        }
    }

    /// Where command `name` is counted in [`PoolStats::commands`].
    pub fn command_index(&self, name: &str) -> Option<usize> {
        self.commands
            .binary_search_by(|(known, _)| (*known).cmp(name))
            .ok()
    }

    /// Zeroed statistics of the pool `name`, with no servers yet.
    pub fn new(name: &str) -> PoolStats {
        PoolStats {
            name: name.to_owned(),
            commands: crate::command::names()
                .into_iter()
                .map(|name| (name, CommandStats::default()))
                .collect(),
            ..PoolStats::default()
        }
    }
}

/// Everything the stats port reports.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    /// Per pool; a reload that adds or removes pools replaces the list.
    pools: ArcSwap<Vec<Arc<PoolStats>>>,
    /// Configuration reloads that changed something (`/metrics`).
    pub reloads: Counter,
    /// Configuration reloads refused (`/metrics`).
    pub reload_failures: Counter,
    /// 1 when the last reload succeeded, or none was tried (`/metrics`).
    pub last_reload_successful: Counter,
    /// When the configuration was last loaded, at start or by a reload, in
    /// seconds since the epoch (`/metrics`).
    pub last_reload_success: Counter,
}

impl Stats {
    /// Statistics for `pools`.
    pub fn new(pools: Vec<Arc<PoolStats>>) -> Self {
        let stats = Stats {
            started: Instant::now(),
            reloads: Counter::default(),
            reload_failures: Counter::default(),
            last_reload_successful: Counter::default(),
            last_reload_success: Counter::default(),
            pools: ArcSwap::from_pointee(pools),
        };
        stats.reloaded(Some(false));
        stats
    }

    /// Records a reload's outcome: `Some(changed)` when the file was
    /// loaded (a load at start counts as one), `None` when it was refused.
    pub fn reloaded(&self, outcome: Option<bool>) {
        self.last_reload_successful.set(u64::from(outcome.is_some()));
        match outcome {
            Some(changed) => {
                if changed {
                    self.reloads.incr();
                }
                self.last_reload_success.set(unix_seconds());
            }
            None => self.reload_failures.incr(),
        }
    }

    /// The running pools' statistics.
    pub fn pools(&self) -> Arc<Vec<Arc<PoolStats>>> {
        self.pools.load_full()
    }

    /// Replaces the list of pools (after a reload).
    pub fn set_pools(&self, pools: Vec<Arc<PoolStats>>) {
        self.pools.store(Arc::new(pools));
    }

    /// The JSON document, in twemproxy's shape.
    pub fn to_json(&self) -> String {
        let now = unix_seconds();
        let pools = self.pools();
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"service\":\"ambassador-proxy\",\"source\":{},\"version\":\"{}\",\"uptime\":{},\"timestamp\":{now},\"total_connections\":{},\"curr_connections\":{}",
            json_string(&hostname()),
            env!("CARGO_PKG_VERSION"),
            self.started.elapsed().as_secs(),
            pools.iter().map(|p| p.accepted.get()).sum::<u64>(),
            pools.iter().map(|p| p.client_connections.get()).sum::<u64>()
        );
        for pool in pools.iter() {
            let _ = write!(
                out,
                ",{}:{{\"client_eof\":{},\"client_err\":{},\"client_connections\":{},\"server_ejects\":{},\"forward_error\":{},\"fragments\":{}",
                json_string(&pool.name),
                pool.client_eof.get(),
                pool.client_err.get(),
                pool.client_connections.get(),
                pool.server_ejects.get(),
                pool.forward_error.get(),
                pool.fragments.get()
            );
            for server in pool.servers.load().iter() {
                let s = server.as_ref();
                let _ = write!(
                    out,
                    ",{}:{{\"server_eof\":{},\"server_err\":{},\"server_timedout\":{},\"server_connections\":{},\"server_ejected_at\":{},\"requests\":{},\"request_bytes\":{},\"responses\":{},\"response_bytes\":{},\"in_queue\":{},\"in_queue_bytes\":{},\"out_queue\":{},\"out_queue_bytes\":{}}}",
                    json_string(&s.name),
                    s.server_eof.get(),
                    s.server_err.get(),
                    s.server_timedout.get(),
                    s.server_connections.get(),
                    s.server_ejected_at.get(),
                    s.requests.get(),
                    s.request_bytes.get(),
                    s.responses.get(),
                    s.response_bytes.get(),
                    s.in_queue.get(),
                    s.in_queue_bytes.get(),
                    s.out_queue.get(),
                    s.out_queue_bytes.get()
                );
            }
            out.push('}');
        }
        out.push_str("}\n");
        out
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "localhost".to_owned(), |h| h.trim().to_owned())
}

/// Answers every connection on `listener` with the JSON document.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>) {
    podkit::http::accept_loop(
        &listener,
        "stats",
        || false,
        |mut stream| {
            let document = stats.to_json();
            tokio::spawn(async move {
                let _ = stream.write_all(document.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        },
    )
    .await;
}

/// Now, in seconds since the Unix epoch.
fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_twemproxys_shape() {
        let server = Arc::new(ServerStats {
            name: "127.0.0.1:6379".into(),
            ..ServerStats::default()
        });
        server.requests.add(3);
        let pool = Arc::new(PoolStats {
            name: "alpha".into(),
            servers: arc_swap::ArcSwap::from_pointee(vec![server]),
            ..PoolStats::default()
        });
        pool.client_connections.incr();
        let json = Stats::new(vec![pool]).to_json();
        for field in [
            "\"service\":",
            "\"uptime\":",
            "\"alpha\":{\"client_eof\":0",
            "\"client_connections\":1",
            "\"127.0.0.1:6379\":{\"server_eof\":0",
            "\"requests\":3",
        ] {
            assert!(json.contains(field), "{field} missing from {json}");
        }
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
