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

/// How a statistic moves, as twemproxy's `nc_stats.h` sorts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// A moment, in µs since the epoch.
    Timestamp,
}

/// One row of a statistics table: the one list from which the struct, the
/// stats port's JSON, `-D` and `/metrics` are all written, as twemproxy
/// writes its own from the one list in `nc_stats.h`.
#[derive(Debug)]
pub struct Stat<T> {
    /// The field's name, which is twemproxy's JSON key where it has one.
    pub name: &'static str,
    /// How it moves.
    pub kind: StatKind,
    /// What it counts (the field's documentation and the Prometheus help).
    pub help: &'static str,
    /// twemproxy's description for `-D`; `None`: not one of twemproxy's,
    /// so not in the stats port's JSON either.
    pub twemproxy: Option<&'static str>,
    /// The Prometheus family, without the `ambassador_` prefix; `None`:
    /// not exported.
    pub prometheus: Option<&'static str>,
    /// Where it is kept.
    pub read: fn(&T) -> &Counter,
}

/// A struct of counters and its table of [`Stat`] rows, from one list.
macro_rules! stats_table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident, table $table:ident {
            $( $(#[$extra_meta:meta])* pub $extra:ident: $extra_type:ty, )*
        }
        $( $field:ident: $kind:ident, $help:literal, twemproxy: $twemproxy:expr, prometheus: $prometheus:expr; )*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name {
            $( $(#[$extra_meta])* pub $extra: $extra_type, )*
            $( #[doc = $help] pub $field: Counter, )*
        }

        /// Every counter of the struct, in twemproxy's order.
        pub const $table: &[Stat<$name>] = &[
            $( Stat {
                name: stringify!($field),
                kind: StatKind::$kind,
                help: $help,
                twemproxy: $twemproxy,
                prometheus: $prometheus,
                read: |stats| &stats.$field,
            }, )*
        ];
    };
}

stats_table! {
    /// One server's statistics.
    pub struct ServerStats, table SERVER_STATS {
        /// twemproxy's name for the server.
        pub name: String,
    }
    server_eof: Counter, "Connections the server closed.",
        twemproxy: Some("# eof on server connections"), prometheus: Some("server_eof_total");
    server_err: Counter, "Connection errors with the server.",
        twemproxy: Some("# errors on server connections"), prometheus: Some("server_errors_total");
    server_timedout: Counter, "Requests to the server that timed out.",
        twemproxy: Some("# timeouts on server connections"), prometheus: Some("server_timeouts_total");
    server_connections: Gauge, "Open server connections.",
        twemproxy: Some("# active server connections"), prometheus: Some("server_connections");
    server_ejected_at: Timestamp, "When the server was last ejected, µs since the epoch (0: never).",
        twemproxy: Some("timestamp when server was ejected in usec since epoch"), prometheus: None;
    requests: Counter, "Requests sent to the server.",
        twemproxy: Some("# requests"), prometheus: Some("server_requests_total");
    request_bytes: Counter, "Bytes of requests sent to the server.",
        twemproxy: Some("total request bytes"), prometheus: Some("server_request_bytes_total");
    responses: Counter, "Replies received from the server.",
        twemproxy: Some("# responses"), prometheus: Some("server_responses_total");
    response_bytes: Counter, "Bytes of replies received from the server.",
        twemproxy: Some("total response bytes"), prometheus: Some("server_response_bytes_total");
    in_queue: Gauge, "Requests waiting to be written to the server.",
        twemproxy: Some("# requests in incoming queue"), prometheus: None;
    in_queue_bytes: Gauge, "Bytes of requests waiting to be written to the server.",
        twemproxy: Some("current request bytes in incoming queue"), prometheus: None;
    out_queue: Gauge, "Requests written to the server, waiting for their reply.",
        twemproxy: Some("# requests in outgoing queue"), prometheus: None;
    out_queue_bytes: Gauge, "Bytes of requests written to the server, waiting for their reply.",
        twemproxy: Some("current request bytes in outgoing queue"), prometheus: None;
    up: Gauge, "1 when the server was reachable at the last attempt (connect or health check).",
        twemproxy: None, prometheus: Some("server_up");
    ejected: Gauge, "1 while the server is ejected from the ring (auto_eject_hosts).",
        twemproxy: None, prometheus: Some("server_ejected");
}

stats_table! {
    /// One pool's statistics.
    pub struct PoolStats, table POOL_STATS {
        /// The pool's name.
        pub name: String,
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
    client_eof: Counter, "Clients that closed their connection.",
        twemproxy: Some("# eof on client connections"), prometheus: None;
    client_err: Counter, "Client connections that failed (errors, unparsable streams, over client_connections).",
        twemproxy: Some("# errors on client connections"), prometheus: None;
    client_connections: Gauge, "Open client connections.",
        twemproxy: Some("# active client connections"), prometheus: Some("client_connections");
    server_ejects: Counter, "Times a server was ejected from the ring (auto_eject_hosts).",
        twemproxy: Some("# times backend server was ejected"), prometheus: Some("server_ejects_total");
    forward_error: Counter, "Requests answered with an error because a server failed them.",
        twemproxy: Some("# times we encountered a forwarding error"), prometheus: Some("forward_errors_total");
    fragments: Counter, "Sub-requests made by splitting multi-key commands.",
        twemproxy: Some("# fragments created from a multi-vector request"), prometheus: None;
}

/// What `-D` prints: twemproxy's lists, line for line as `nutcracker -D`
/// prints them, then what differs here.
pub fn describe() -> String {
    fn list<T>(out: &mut String, title: &str, table: &[Stat<T>]) {
        let _ = writeln!(out, "{title}:");
        for stat in table {
            if let Some(description) = stat.twemproxy {
                let _ = writeln!(out, "  {:<20}\"{description}\"", stat.name);
            }
        }
    }
    let mut out = String::new();
    list(&mut out, "pool stats", POOL_STATS);
    out.push('\n');
    list(&mut out, "server stats", SERVER_STATS);
    out.push_str(
        "\nUnlike nutcracker's: counters are live, read at each request of the stats\n\
         port, so -i has no effect (nutcracker's are snapshots up to -i old);\n\
         fragments counts the sub-requests of multi-key commands (nutcracker 0.5.0\n\
         declares it and never counts it); health-check PINGs are not counted in a\n\
         server's requests or responses. /metrics exports more: see --metrics-addr.\n",
    );
    out
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
            let _ = write!(out, ",{}:{{", json_string(&pool.name));
            json_members(&mut out, POOL_STATS, pool);
            for server in pool.servers.load().iter() {
                let _ = write!(out, ",{}:{{", json_string(&server.name));
                json_members(&mut out, SERVER_STATS, server);
                out.push('}');
            }
            out.push('}');
        }
        out.push_str("}\n");
        out
    }
}

/// twemproxy's members of `table` as `"name":value` pairs, comma-separated.
fn json_members<T>(out: &mut String, table: &[Stat<T>], stats: &T) {
    let twemproxys = table.iter().filter(|stat| stat.twemproxy.is_some());
    for (i, stat) in twemproxys.enumerate() {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(out, "{comma}\"{}\":{}", stat.name, (stat.read)(stats).get());
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
