//! Accepting clients on a pool's listen address, TCP or unix socket.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::client::serve_client;
use crate::config::{ListenAddr, PoolConfig};
use crate::pool::PoolSlot;
use crate::resolve::Resolver;

/// A bound listen socket.
pub enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A unix socket.
    Unix(UnixListener),
}

impl Listener {
    /// Binds the pool's listen address with its `backlog` and `reuseport`;
    /// errors say which address could not be bound.
    /// A host name in the address is looked up with `resolver`.
    pub async fn bind(pool: &PoolConfig, resolver: &Resolver) -> anyhow::Result<Listener> {
        use anyhow::Context;
        Ok(match &pool.listen {
            ListenAddr::Tcp(addr) => {
                let resolved = resolve_listen(addr, resolver)
                    .await
                    .with_context(|| format!("listening on {addr}"))?;
                Listener::Tcp(
                    bind_tcp(resolved, pool.backlog, pool.reuseport)
                        .with_context(|| format!("listening on {addr}"))?,
                )
            }
            ListenAddr::Unix(path, permissions) => {
                // A socket file left by an earlier run would make bind fail.
                let _ = std::fs::remove_file(path);
                let listener =
                    UnixListener::bind(path).with_context(|| format!("listening on {}", path.display()))?;
                if let Some(mode) = permissions {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
                        .with_context(|| format!("setting permissions of {}", path.display()))?;
                }
                Listener::Unix(listener)
            }
        })
    }

    /// Accepts clients until `stopping` turns true, each served by a task
    /// of its own. A failed accept (out of file descriptors, say) is logged
    /// and retried ([`podkit::http::accept_loop`]). Beyond
    /// `client_connections` (when not 0), a new client is closed at once,
    /// as twemproxy does. Client tasks are spawned on `tasks`, which
    /// shutdown waits for.
    pub async fn serve(self, pool: Arc<PoolSlot>, stopping: watch::Receiver<bool>, tasks: TaskTracker) {
        let full = || {
            let runtime = pool.load();
            let limit = u64::from(runtime.config.client_connections);
            limit > 0 && runtime.stats.client_connections.get() >= limit
        };
        let name = pool.load().config.name.clone();
        let accepting = podkit::http::accept_loop(
            &self,
            &name,
            || false,
            |stream| {
                if full() {
                    pool.load().stats.client_err.incr();
                    return;
                }
                match stream {
                    Accepted::Tcp(stream) => {
                        let _ = stream.set_nodelay(true);
                        if pool.load().config.tcpkeepalive {
                            // As nutcracker: keepalive on client sockets.
                            let _ = socket2::SockRef::from(&stream).set_keepalive(true);
                        }
                        let (reader, writer) = stream.into_split();
                        tasks.spawn(serve_client(reader, writer, pool.clone(), stopping.clone()));
                    }
                    Accepted::Unix(stream) => {
                        let (reader, writer) = stream.into_split();
                        tasks.spawn(serve_client(reader, writer, pool.clone(), stopping.clone()));
                    }
                }
            },
        );
        let mut stop = stopping.clone();
        tokio::select! {
            () = accepting => {}
            _ = stop.changed() => {}
        }
    }
}

impl podkit::http::Accept for Listener {
    type Stream = Accepted;

    async fn accept_one(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Tcp(listener) => listener.accept().await.map(|(s, _)| Accepted::Tcp(s)),
            Listener::Unix(listener) => listener.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }
}

/// A client connection just accepted.
pub enum Accepted {
    /// Over TCP.
    Tcp(tokio::net::TcpStream),
    /// Over a unix socket.
    Unix(tokio::net::UnixStream),
}

/// The socket address of `addr` (`host:port`, `[v6]:port`).
pub async fn resolve_listen(addr: &str, resolver: &Resolver) -> anyhow::Result<SocketAddr> {
    if let Ok(resolved) = addr.parse::<SocketAddr>() {
        return Ok(resolved);
    }
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| anyhow::anyhow!("'{addr}' is not host:port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| anyhow::anyhow!("'{port}' is not a port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = resolver
        .resolve(host, None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("'{host}' resolves to no address"))?;
    Ok(SocketAddr::new(address, port))
}

/// A TCP listener with twemproxy's `backlog` and optional SO_REUSEPORT.
fn bind_tcp(resolved: SocketAddr, backlog: u32, reuseport: bool) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(resolved),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if reuseport {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&resolved.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    TcpListener::from_std(socket.into())
}
