//! Configuration, three ways, into one [`Config`]: twemproxy's YAML (`-c`),
//! the environment of the malexer/twemproxy image (`REDIS_SERVERS`, ...), or
//! nothing at all (port 6380 in front of 127.0.0.1:6379).
//!
//! Every key twemproxy accepts is accepted with twemproxy's default; every
//! mistake is refused with the file, the pool and the key it was found in.

mod env;
mod yaml;

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::distribution::Distribution;
use crate::hash::HashFunction;
use crate::placement::{sort_servers, ServerSpec};

pub use env::{from_env, VARIABLES};
pub use yaml::from_yaml;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct ConfigError {
    /// Where: the file, pool, key and entry, as far as known.
    pub place: String,
    /// What is wrong and, where it helps, what would be right.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(place: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            place: place.into(),
            message: message.into(),
        }
    }
}

/// Where a pool accepts clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address, `host:port`.
    Tcp(String),
    /// A unix socket path, with optional permissions (`/run/redis.sock 0666`).
    Unix(PathBuf, Option<u32>),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(addr) => f.write_str(addr),
            ListenAddr::Unix(path, _) => write!(f, "{}", path.display()),
        }
    }
}

/// One pool: a listen address and the servers its keys are spread over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The pool's name (the top-level YAML key).
    pub name: String,
    /// Where clients connect.
    pub listen: ListenAddr,
    /// How keys are hashed.
    pub hash: HashFunction,
    /// Two characters around the part of a key that is hashed (`{}`).
    pub hash_tag: Option<[u8; 2]>,
    /// How hashes map to servers.
    pub distribution: Distribution,
    /// How long a request may wait for its reply; `None` waits forever.
    pub timeout: Option<Duration>,
    /// The listen backlog.
    pub backlog: u32,
    /// Connect to every server at start.
    pub preconnect: bool,
    /// Password (or `user password`) sent with AUTH to every server, and
    /// required from clients.
    pub redis_auth: Option<String>,
    /// Database SELECTed on every server connection.
    pub redis_db: u32,
    /// Connections per server.
    pub server_connections: u32,
    /// Take failing servers out of the ring.
    pub auto_eject_hosts: bool,
    /// How long an ejected server stays out.
    pub server_retry_timeout: Duration,
    /// Consecutive failures that eject a server.
    pub server_failure_limit: u32,
    /// TCP keepalive on server connections.
    pub tcpkeepalive: bool,
    /// SO_REUSEPORT on the listener.
    pub reuseport: bool,
    /// Most client connections at once; 0 is no limit.
    pub client_connections: u32,
    /// The servers, in twemproxy's order (see [`sort_servers`]).
    pub servers: Vec<ServerSpec>,
}

impl PoolConfig {
    /// A pool with twemproxy's defaults for every key but these.
    pub fn new(name: impl Into<String>, listen: ListenAddr, servers: Vec<ServerSpec>) -> Self {
        PoolConfig {
            name: name.into(),
            listen,
            hash: HashFunction::Fnv1a64,
            hash_tag: None,
            distribution: Distribution::Ketama,
            timeout: None,
            backlog: 512,
            preconnect: false,
            redis_auth: None,
            redis_db: 0,
            server_connections: 1,
            auto_eject_hosts: false,
            server_retry_timeout: Duration::from_millis(30_000),
            server_failure_limit: 2,
            tcpkeepalive: false,
            reuseport: false,
            client_connections: 0,
            servers,
        }
    }

    /// Sorts the servers and checks what twemproxy checks.
    pub(crate) fn finish(mut self, place: &str) -> Result<Self, ConfigError> {
        let place = format!("{place}pool '{}'", self.name);
        if self.servers.is_empty() {
            return Err(ConfigError::new(place, "has no servers"));
        }
        let mut seen = HashSet::new();
        for server in &self.servers {
            if !seen.insert(server.identity()) {
                return Err(ConfigError::new(
                    format!("{place}, servers"),
                    format!(
                        "'{}' appears twice; names (or host:port) must be unique",
                        server.identity()
                    ),
                ));
            }
        }
        if self.server_connections == 0 {
            return Err(ConfigError::new(
                format!("{place}, server_connections"),
                "must be at least 1",
            ));
        }
        sort_servers(&mut self.servers);
        Ok(self)
    }
}

/// The whole configuration: one or more pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The pools, in the order they were given.
    pub pools: Vec<PoolConfig>,
}

impl Config {
    /// Reads twemproxy's YAML from the file at `path`.
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        let place = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(place.clone(), format!("cannot be read: {e}")))?;
        from_yaml(&text, &place)
    }

    /// Two pools cannot listen at one address (the second could not bind).
    pub(crate) fn check_listeners(&self, place: &str) -> Result<(), ConfigError> {
        let mut seen: Vec<(&ListenAddr, &str)> = Vec::new();
        for pool in &self.pools {
            if let Some((_, first)) = seen.iter().find(|(listen, _)| **listen == pool.listen) {
                return Err(ConfigError::new(
                    format!("{place}: pool '{}', key 'listen'", pool.name),
                    format!(
                        "'{}' is also pool '{first}''s address; each pool needs its own",
                        pool.listen
                    ),
                ));
            }
            seen.push((&pool.listen, &pool.name));
        }
        Ok(())
    }

    /// What a twemproxy user must know when moving this configuration from
    /// nutcracker 0.5.0: settings that nutcracker ignores or applies
    /// differently, so that data or limits are not where they expect.
    pub fn migration_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for pool in &self.pools {
            let name = &pool.name;
            if pool.redis_auth.is_some() && pool.redis_db != 0 {
                notes.push(format!(
                    "pool '{name}': redis_db {db} is selected on every server connection; nutcracker 0.5.0 \
                     never sends SELECT when redis_auth is set, so data written through it is in db 0, \
                     not db {db}",
                    db = pool.redis_db
                ));
            }
            if pool.client_connections != 0 {
                notes.push(format!(
                    "pool '{name}': client_connections {} is enforced (nutcracker 0.5.0 never enforces it): \
                     clients over it are refused",
                    pool.client_connections
                ));
            }
            if pool.tcpkeepalive {
                notes.push(format!(
                    "pool '{name}': tcpkeepalive is set on client sockets, as nutcracker does, and on \
                     server connections too"
                ));
            }
        }
        notes
    }

    /// Listen on port 6380 in front of one server, 127.0.0.1:6379.
    pub fn default_single() -> Config {
        let server = ServerSpec {
            host: "127.0.0.1".into(),
            port: 6379,
            weight: 1,
            name: None,
        };
        let pool = PoolConfig::new("default", ListenAddr::Tcp("0.0.0.0:6380".into()), vec![server]);
        Config { pools: vec![pool] }
    }
}

/// Parses `host:port:weight [name]` (twemproxy's server line).
pub fn parse_server(text: &str, place: &str) -> Result<ServerSpec, ConfigError> {
    let fail = |why: &str| {
        ConfigError::new(
            format!("{place} ('{text}')"),
            format!("{why}; expected host:port:weight [name], like 127.0.0.1:6379:1 redis-1"),
        )
    };
    let mut words = text.split_whitespace();
    let address = words.next().ok_or_else(|| fail("empty server"))?;
    let name = words.next().map(str::to_owned);
    if words.next().is_some() {
        return Err(fail("too many words"));
    }
    if address.contains("://") {
        return Err(ConfigError::new(
            format!("{place} ('{text}')"),
            "a URL is not accepted here; write host:port:weight, like redis-0.redis:6379:1 \
             (a password goes in redis_auth, a database in redis_db)",
        ));
    }
    let (rest, weight) = address
        .rsplit_once(':')
        .ok_or_else(|| fail("no port and no weight"))?;
    let Some((host, port)) = rest.rsplit_once(':') else {
        return Err(fail(&format!("no weight (add one: {address}:1)")));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(fail("no host"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| fail("the port is not a number from 1 to 65535"))?;
    let weight: u32 = weight
        .parse()
        .map_err(|_| fail("the weight is not a whole number"))?;
    if port == 0 {
        return Err(fail("port 0"));
    }
    if weight == 0 {
        return Err(fail("weight 0: a server must have weight 1 or more"));
    }
    Ok(ServerSpec {
        host: host.to_owned(),
        port,
        weight,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_lines() {
        let s = parse_server("redis-st-0.redis-svc:6379:2 shard-0", "servers").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.weight, s.name.as_deref()),
            ("redis-st-0.redis-svc", 6379, 2, Some("shard-0"))
        );
        let v6 = parse_server("[::1]:6379:1", "servers").unwrap();
        assert_eq!(v6.host, "::1");
        for bad in [
            "127.0.0.1:6379",
            "127.0.0.1:6379:0",
            "127.0.0.1:x:1",
            ":6379:1",
            "a:1:1 b c",
        ] {
            let err = parse_server(bad, "pool 'p', servers").unwrap_err();
            assert!(err.to_string().contains("host:port:weight"), "{bad}: {err}");
        }
    }

    #[test]
    fn duplicates_are_refused() {
        let a = parse_server("127.0.0.1:6379:1", "s").unwrap();
        let pool = PoolConfig::new("p", ListenAddr::Tcp("127.0.0.1:1".into()), vec![a.clone(), a]);
        let err = pool.finish("").unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
    }
}
