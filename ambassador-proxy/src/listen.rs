//! Accepting clients on a pool's listen address, TCP or unix socket.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tracing::warn;

use crate::client::serve_client;
use crate::config::ListenAddr;
use crate::proxy::PoolRuntime;

/// A bound listen socket.
pub enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A unix socket.
    Unix(UnixListener),
}

impl Listener {
    /// Binds `addr`; errors say which address could not be bound.
    pub async fn bind(addr: &ListenAddr) -> anyhow::Result<Listener> {
        use anyhow::Context;
        Ok(match addr {
            ListenAddr::Tcp(addr) => Listener::Tcp(
                TcpListener::bind(addr)
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

    /// Accepts clients forever, each served by a task of its own. A failed
    /// accept (out of file descriptors, say) is logged and retried.
    pub async fn serve(self, pool: Arc<PoolRuntime>) {
        loop {
            let accepted = match &self {
                Listener::Tcp(listener) => listener.accept().await.map(|(stream, _)| {
                    let _ = stream.set_nodelay(true);
                    let (reader, writer) = stream.into_split();
                    tokio::spawn(serve_client(reader, writer, pool.clone()));
                }),
                Listener::Unix(listener) => listener.accept().await.map(|(stream, _)| {
                    let (reader, writer) = stream.into_split();
                    tokio::spawn(serve_client(reader, writer, pool.clone()));
                }),
            };
            if let Err(e) = accepted {
                warn!(pool = %pool.config.name, error = %e, "accepting a client failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
