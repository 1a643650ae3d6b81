//! A pool at run time: its placement and its server connections, and the
//! routing of a request to them (one server, several with the replies
//! merged, or refused when keys that must be together are not).

use std::collections::BTreeMap;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::future::join_all;

use crate::backend::{Backend, Reporter, Target};
use crate::command::{Command, Keys, Merge, Route};
use crate::config::PoolConfig;
use crate::eject::{EjectPolicy, Health};
use crate::fanout::{merge, Share};
use crate::placement::Placement;
use crate::protocol::{encode_request, error_reply, wrong_arity, Limits, Protocol, Reply, Shape};
use crate::resolve::Resolver;
use crate::stats::{PoolStats, ServerStats};

/// A reply that will be known once a server answers.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Bytes> + Send>>;

/// What a client gets for a request, in the request's place in line.
pub enum Pending {
    /// The reply, known now.
    Ready(Bytes),
    /// The reply, once servers answer.
    Later(ReplyFuture),
    /// The reply, after which the connection closes (QUIT).
    Close(Bytes),
}

/// What every pool's runtime is started with, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How large a request clients may send.
    pub limits: Limits,
    /// How many bytes of unread replies hold a client back.
    pub client_reply_buffer: usize,
    /// How often servers are PINGed.
    pub health_interval: Duration,
    /// Server names to addresses.
    pub resolver: Arc<Resolver>,
}

/// Who sent a request: the client and its protocol (which pick its server
/// connection) and the command's index in the pool's statistics.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// The client's id.
    pub client: u64,
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// The command's place in [`PoolStats::commands`].
    pub command: Option<usize>,
}

/// A pool's current runtime, which a reload replaces; clients load it
/// at each read.
pub type PoolSlot = arc_swap::ArcSwap<PoolRuntime>;

/// A pool with live connections.
pub struct PoolRuntime {
    /// The pool's configuration.
    pub config: PoolConfig,
    /// The ring, rebuilt as servers are ejected and come back.
    health: Arc<Health>,
    /// `server_connections` connections per server, in server order: for
    /// RESP2 clients, then for RESP3 ones (those connect when first used).
    backends: [Vec<Vec<Backend>>; 2],
    /// The statistics of each server, in server order.
    servers: Vec<Arc<ServerStats>>,
    /// The pool's statistics.
    pub stats: Arc<PoolStats>,
    /// How large a request clients may send.
    pub limits: Limits,
    /// How many bytes of unread replies hold a client back.
    pub client_reply_buffer: usize,
}

impl PoolRuntime {
    /// Starts the connection tasks of every server (they connect on first
    /// use), counting into `stats`: the pool's statistics, which outlive a
    /// reload. A server that was in the pool before keeps its counters.
    pub fn start(config: PoolConfig, stats: Arc<PoolStats>, settings: &Settings) -> PoolRuntime {
        let placement = Placement::new(&config.servers, config.hash, config.hash_tag, config.distribution);
        let before = stats.servers.load_full();
        let servers: Vec<Arc<ServerStats>> = config
            .servers
            .iter()
            .map(|server| {
                let name = server.identity();
                before
                    .iter()
                    .find(|kept| kept.name == name)
                    .cloned()
                    .unwrap_or_else(|| {
                        Arc::new(ServerStats {
                            name,
                            ..ServerStats::default()
                        })
                    })
            })
            .collect();
        stats.servers.store(Arc::new(servers.clone()));
        let policy = config.auto_eject_hosts.then_some(EjectPolicy {
            failure_limit: config.server_failure_limit,
            retry_timeout: config.server_retry_timeout,
        });
        let health = Arc::new(Health::new(placement, policy, stats.clone(), servers.clone()));
        let connections_for = |protocol: Protocol| -> Vec<Vec<Backend>> {
            config
                .servers
                .iter()
                .enumerate()
                .map(|(index, server)| {
                    let target = Target {
                        host: server.host.clone(),
                        port: server.port,
                        auth: config.redis_auth.clone(),
                        db: config.redis_db,
                        keepalive: config.tcpkeepalive,
                        timeout: config.timeout,
                        protocol,
                    };
                    let reporter = Reporter {
                        stats: servers[index].clone(),
                        health: health.clone(),
                        server: index,
                    };
                    (0..config.server_connections)
                        .map(|_| Backend::spawn(target.clone(), reporter.clone(), settings.resolver.clone()))
                        .collect()
                })
                .collect()
        };
        let backends = [connections_for(Protocol::Resp2), connections_for(Protocol::Resp3)];
        if config.preconnect {
            // A PING on every connection makes it connect now; its reply
            // (or failure, logged by the connection) is not needed.
            for backend in backends[0].iter().flatten() {
                tokio::spawn(backend.ping(None));
            }
        }
        PoolRuntime {
            config,
            health,
            backends,
            servers,
            stats,
            limits: settings.limits,
            client_reply_buffer: settings.client_reply_buffer,
        }
    }

    /// Checks every server every `interval` with a PING over its first
    /// connection, so `/readyz` and the `up` gauge know which servers are
    /// reachable before clients find out.
    pub fn check_health(self: &Arc<Self>, interval: Duration) {
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(pool) = pool.upgrade() else { return };
                let checks: Vec<_> = pool.backends[0]
                    .iter()
                    .zip(&pool.servers)
                    .map(|(connections, stats)| {
                        let reply = connections[0].ping(Some(interval));
                        let stats = stats.clone();
                        async move { stats.up.set(u64::from(reply.await.is_ok())) }
                    })
                    .collect();
                drop(pool);
                join_all(checks).await;
                tokio::time::sleep(interval).await;
            }
        });
    }

    /// Counts a request of `command` from `client` for `/metrics`;
    /// returns what its reply is counted with.
    pub fn count(&self, command: &Command, client: u64, protocol: Protocol) -> Origin {
        let index = self.stats.command_index(command.name);
        if let Some(at) = index {
            self.stats.commands[at].1.requests.incr();
        }
        Origin {
            client,
            protocol,
            command: index,
        }
    }

    /// Serves a request whose command routes to servers.
    /// `raw` is the request as the client sent it, forwarded unchanged when
    /// one server gets it whole.
    pub fn route(&self, command: &Command, args: Vec<Bytes>, raw: Option<Bytes>, origin: Origin) -> Pending {
        let pending = match command.route {
            Route::Single(at) => match self.server_for(&args[at]) {
                Some(server) => Pending::Later(self.forward(server, origin, &args, raw, command.reply)),
                None => Pending::Ready(self.no_server()),
            },
            Route::FanOut(how) => self.fan_out(how, command.reply, args, raw, origin),
            Route::Together(keys) => self.together(command, keys, args, raw, origin),
            Route::Local | Route::Unsupported(_) => Pending::Ready(error_reply("not routed to servers")),
        };
        if let Pending::Ready(reply) = &pending {
            self.stats.replied(origin.command, reply, None);
        }
        pending
    }

    /// The server `key` lives on, if any is in the ring.
    pub fn server_for(&self, key: &[u8]) -> Option<usize> {
        self.health.placement().server_for(key, random_below)
    }

    /// The error for a request when no server is in the ring.
    pub fn no_server(&self) -> Bytes {
        error_reply(&format!("no server of pool '{}' is available", self.config.name))
    }

    /// Sends `args` to `server` over the connection this client uses.
    fn forward(
        &self,
        server: usize,
        origin: Origin,
        args: &[Bytes],
        raw: Option<Bytes>,
        expect: Shape,
    ) -> ReplyFuture {
        let request = raw.unwrap_or_else(|| {
            let mut request = BytesMut::new();
            encode_request(args, &mut request);
            request.freeze()
        });
        let started = Instant::now();
        let reply = self.ask(server, origin, request, expect);
        let stats = self.stats.clone();
        Box::pin(async move {
            let reply = match reply.await {
                Ok(reply) => reply.raw,
                Err(e) => {
                    stats.forward_error.incr();
                    error_reply(&e.to_string())
                }
            };
            stats.replied(origin.command, &reply, Some(started));
            reply
        })
    }

    /// Sends a client's request (encoded) to `server` over the connection
    /// that `origin`'s client uses; the future of its reply.
    pub fn ask(
        &self,
        server: usize,
        origin: Origin,
        request: Bytes,
        expect: Shape,
    ) -> impl Future<Output = Result<Reply, crate::backend::BackendError>> + Send + 'static {
        let connections = &self.backends[origin.protocol as usize][server];
        connections[(origin.client % connections.len() as u64) as usize].send(
            request,
            expect,
            self.config.timeout,
        )
    }

    /// How many servers the pool has.
    pub fn server_count(&self) -> usize {
        self.servers.len()
    }

    /// MGET, DEL, EXISTS, ...: each server gets its keys, the replies merge.
    fn fan_out(
        &self,
        how: Merge,
        expect: Shape,
        args: Vec<Bytes>,
        raw: Option<Bytes>,
        origin: Origin,
    ) -> Pending {
        let per_key = if how == Merge::Ok { 2 } else { 1 };
        if (args.len() - 1) % per_key != 0 {
            return Pending::Ready(wrong_arity(&args[0]));
        }
        let key_count = (args.len() - 1) / per_key;
        let mut by_server: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for key in 0..key_count {
            match self.server_for(&args[1 + key * per_key]) {
                Some(server) => by_server.entry(server).or_default().push(key),
                None => return Pending::Ready(self.no_server()),
            }
        }
        if by_server.len() == 1 {
            let server = *by_server.keys().next().expect("one server");
            return Pending::Later(self.forward(server, origin, &args, raw, expect));
        }
        self.stats.fragments.add(by_server.len() as u64);
        let started = Instant::now();
        let shares: Vec<_> = by_server
            .into_iter()
            .map(|(server, keys)| {
                let mut part = vec![args[0].clone()];
                for &key in &keys {
                    part.extend_from_slice(&args[1 + key * per_key..1 + (key + 1) * per_key]);
                }
                let mut request = BytesMut::new();
                encode_request(&part, &mut request);
                let reply = self.ask(server, origin, request.freeze(), expect);
                let stats = self.stats.clone();
                async move {
                    let reply = reply.await;
                    if reply.is_err() {
                        stats.forward_error.incr();
                    }
                    Share { keys, reply }
                }
            })
            .collect();
        let stats = self.stats.clone();
        Pending::Later(Box::pin(async move {
            let reply = merge(how, key_count, join_all(shares).await);
            stats.replied(origin.command, &reply, Some(started));
            reply
        }))
    }

    /// RENAME, SUNIONSTORE, EVAL, ...: whole to one server, if all keys hash there.
    fn together(
        &self,
        command: &Command,
        keys: Keys,
        args: Vec<Bytes>,
        raw: Option<Bytes>,
        origin: Origin,
    ) -> Pending {
        let positions = match keys.positions(&args) {
            Ok(positions) => positions,
            Err(why) => {
                return Pending::Ready(error_reply(&format!(
                    "{why} for '{}' command",
                    command.name.to_lowercase()
                )))
            }
        };
        let servers: Vec<Option<usize>> = if positions.is_empty() {
            vec![self.server_for(b"")]
        } else {
            positions.iter().map(|&at| self.server_for(&args[at])).collect()
        };
        match servers[0] {
            Some(server) if servers.iter().all(|s| *s == Some(server)) => {
                Pending::Later(self.forward(server, origin, &args, raw, command.reply))
            }
            Some(_) => Pending::Ready(error_reply(&format!(
                "CROSSSLOT '{}' needs its keys on one server, and they hash to different servers; \
                 give them a common hash tag ({}) to keep them together",
                command.name,
                self.config
                    .hash_tag
                    .map_or("configure hash_tag: \"{}\"".to_owned(), |t| {
                        format!("{}...{}", t[0] as char, t[1] as char)
                    })
            ))),
            None => Pending::Ready(self.no_server()),
        }
    }
}

/// A number below `n` that differs from call to call, for `random`.
fn random_below(n: usize) -> usize {
    // RandomState gives each instance fresh keys: enough for spreading load.
    let hash = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (hash % n.max(1) as u64) as usize
}
