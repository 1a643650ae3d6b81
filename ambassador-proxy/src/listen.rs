//! Accepting clients on a pool's listen address, TCP or unix socket.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tracing::warn;

use crate::client::serve_client;
use crate::config::{ListenAddr, PoolConfig};
use crate::reload::PoolSlot;

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
    pub async fn bind(pool: &PoolConfig) -> anyhow::Result<Listener> {
        use anyhow::Context;
        Ok(match &pool.listen {
            ListenAddr::Tcp(addr) => Listener::Tcp(
                bind_tcp(addr, pool.backlog, pool.reuseport)
                    .await
                    .with_context(|| format!("listening on {addr}"))?,
            ),
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
    /// and retried. Beyond `client_connections` (when not 0), a new client
    /// is closed at once, as twemproxy does.
    pub async fn serve(self, pool: Arc<PoolSlot>, stopping: watch::Receiver<bool>) {
        let full = || {
            let runtime = pool.load();
            let limit = u64::from(runtime.config.client_connections);
            limit > 0 && runtime.stats.client_connections.get() >= limit
        };
        let mut stop = stopping.clone();
        loop {
            let accept = async {
                match &self {
                    Listener::Tcp(listener) => listener.accept().await.map(|(s, _)| Accepted::Tcp(s)),
                    Listener::Unix(listener) => listener.accept().await.map(|(s, _)| Accepted::Unix(s)),
                }
            };
            let accepted = tokio::select! {
                accepted = accept => accepted,
                _ = stop.changed() => return,
            };
            let accepted = accepted.map(|stream| {
                if full() {
                    pool.load().stats.client_err.incr();
                    return;
                }
                match stream {
                    Accepted::Tcp(stream) => {
                        let _ = stream.set_nodelay(true);
                        let (reader, writer) = stream.into_split();
                        tokio::spawn(serve_client(reader, writer, pool.clone(), stopping.clone()));
                    }
                    Accepted::Unix(stream) => {
                        let (reader, writer) = stream.into_split();
                        tokio::spawn(serve_client(reader, writer, pool.clone(), stopping.clone()));
                    }
                }
            });
            if let Err(e) = accepted {
                warn!(pool = %pool.load().config.name, error = %e, "accepting a client failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A client connection just accepted.
enum Accepted {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// A TCP listener with twemproxy's `backlog` and optional SO_REUSEPORT.
async fn bind_tcp(addr: &str, backlog: u32, reuseport: bool) -> std::io::Result<TcpListener> {
    let resolved = tokio::net::lookup_host(addr).await?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the name resolves to no address")
    })?;
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
