//! The environment of the malexer/twemproxy image, so a pod spec written
//! for it works unchanged.
//!
//! `REDIS_SERVERS` is split on commas and whitespace: the image split on
//! commas only, so a space-separated list silently became one server.

use std::time::Duration;

use super::{parse_server, Config, ConfigError, ListenAddr, PoolConfig};

/// The variables the configuration is read from (all ignored when a file
/// is given with `-c`).
pub const VARIABLES: &[&str] = &[
    "REDIS_SERVERS",
    "LISTEN_ADDR",
    "LISTEN_PORT",
    "HASH",
    "DISTRIBUTION",
    "HASH_TAG",
    "TIMEOUT",
    "AUTO_EJECT_HOSTS",
    "SERVER_RETRY_TIMEOUT",
    "SERVER_FAILURE_LIMIT",
    "SERVER_CONNECTIONS",
    "PRECONNECT",
    "REDIS_AUTH",
    "REDIS_DB",
];

/// The configuration the environment describes, or `None` when
/// `REDIS_SERVERS` is unset. `var` reads a variable.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Config>, ConfigError> {
    let Some(list) = var("REDIS_SERVERS") else {
        return Ok(None);
    };
    let servers = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| parse_server(s, "REDIS_SERVERS"))
        .collect::<Result<Vec<_>, _>>()?;
    let port: u16 = parsed(&var, "LISTEN_PORT", "a port number from 0 to 65535")?.unwrap_or(6380);
    let address = var("LISTEN_ADDR")
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "0.0.0.0".into());
    let ip: std::net::IpAddr = address.parse().map_err(|_| {
        ConfigError::new(
            "LISTEN_ADDR",
            format!("'{address}' is not an IP address (like 127.0.0.1, or 0.0.0.0 for every interface)"),
        )
    })?;
    let listen = std::net::SocketAddr::new(ip, port).to_string();
    let mut pool = PoolConfig::new("default", ListenAddr::Tcp(listen), servers);
    // The image's own defaults: eject dead servers quickly.
    pool.auto_eject_hosts = true;
    pool.server_retry_timeout = Duration::from_millis(2000);
    pool.server_failure_limit = 1;
    if let Some(hash) = var("HASH") {
        pool.hash = hash.parse().map_err(|e| ConfigError::new("HASH", e))?;
    }
    if let Some(distribution) = var("DISTRIBUTION") {
        pool.distribution = distribution
            .parse()
            .map_err(|e| ConfigError::new("DISTRIBUTION", e))?;
    }
    if let Some(tag) = var("HASH_TAG") {
        pool.hash_tag =
            Some(<[u8; 2]>::try_from(tag.as_bytes()).map_err(|_| {
                ConfigError::new("HASH_TAG", format!("'{tag}' must be exactly two characters"))
            })?);
    }
    if let Some(ms) = parsed::<u64>(&var, "TIMEOUT", MILLISECONDS)? {
        pool.timeout = Some(Duration::from_millis(ms));
    }
    if let Some(eject) = parsed(&var, "AUTO_EJECT_HOSTS", BOOLEAN)? {
        pool.auto_eject_hosts = eject;
    }
    if let Some(ms) = parsed::<u64>(&var, "SERVER_RETRY_TIMEOUT", MILLISECONDS)? {
        pool.server_retry_timeout = Duration::from_millis(ms);
    }
    if let Some(limit) = parsed(&var, "SERVER_FAILURE_LIMIT", WHOLE)? {
        pool.server_failure_limit = limit;
    }
    if let Some(connections) = parsed(&var, "SERVER_CONNECTIONS", WHOLE)? {
        pool.server_connections = connections;
    }
    if let Some(preconnect) = parsed(&var, "PRECONNECT", BOOLEAN)? {
        pool.preconnect = preconnect;
    }
    pool.redis_auth = var("REDIS_AUTH").filter(|s| !s.is_empty());
    if let Some(db) = parsed(&var, "REDIS_DB", WHOLE)? {
        pool.redis_db = db;
    }
    Ok(Some(Config {
        pools: vec![pool.finish("environment: ")?],
    }))
}

const MILLISECONDS: &str = "a whole number of milliseconds, like 2000";
const BOOLEAN: &str = "true or false";
const WHOLE: &str = "a whole number, like 1";

/// Variable `name`, read as a `T`; `expected` says what it must be when it
/// is not.
fn parsed<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    expected: &str,
) -> Result<Option<T>, ConfigError> {
    var(name)
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| ConfigError::new(name, format!("'{v}' is not {expected}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_seeds_space_separated_list_is_three_servers() {
        let vars = [(
            "REDIS_SERVERS",
            "redis-st-0.redis-svc:6379:1 redis-st-1.redis-svc:6379:1, 10.0.0.9:6379:2",
        )];
        let config = from_env(env(&vars)).unwrap().unwrap();
        let pool = &config.pools[0];
        assert_eq!(pool.servers.len(), 3);
        assert_eq!(pool.listen, ListenAddr::Tcp("0.0.0.0:6380".into()));
        assert!(pool.auto_eject_hosts);
    }

    #[test]
    fn every_variable_and_bad_values() {
        let vars = [
            ("REDIS_SERVERS", "a:1:1"),
            ("LISTEN_PORT", "7000"),
            ("HASH", "md5"),
            ("DISTRIBUTION", "modula"),
            ("HASH_TAG", "{}"),
            ("TIMEOUT", "250"),
            ("AUTO_EJECT_HOSTS", "false"),
            ("SERVER_CONNECTIONS", "4"),
            ("REDIS_DB", "3"),
        ];
        let pool = from_env(env(&vars)).unwrap().unwrap().pools.remove(0);
        assert_eq!(pool.listen, ListenAddr::Tcp("0.0.0.0:7000".into()));
        assert_eq!(pool.timeout, Some(Duration::from_millis(250)));
        assert!(!pool.auto_eject_hosts);
        assert_eq!((pool.server_connections, pool.redis_db), (4, 3));
        assert_eq!(from_env(env(&[])).unwrap(), None);
        let bad = from_env(env(&[("REDIS_SERVERS", "a:1:1"), ("LISTEN_PORT", "x")])).unwrap_err();
        assert!(bad.to_string().starts_with("LISTEN_PORT"), "{bad}");
        assert!(bad.to_string().contains("a port number"), "{bad}");
        let bad = from_env(env(&[("REDIS_SERVERS", "a:1:1"), ("TIMEOUT", "2s")])).unwrap_err();
        assert!(
            bad.to_string()
                .contains("'2s' is not a whole number of milliseconds"),
            "{bad}"
        );
        let local = from_env(env(&[("REDIS_SERVERS", "a:1:1"), ("LISTEN_ADDR", "127.0.0.1")]))
            .unwrap()
            .unwrap();
        assert_eq!(local.pools[0].listen, ListenAddr::Tcp("127.0.0.1:6380".into()));
        let url = from_env(env(&[("REDIS_SERVERS", "redis://a:6379")])).unwrap_err();
        assert!(url.to_string().contains("a URL is not accepted"), "{url}");
        let no_weight = from_env(env(&[("REDIS_SERVERS", "a:6379")])).unwrap_err();
        assert!(
            no_weight.to_string().contains("no weight (add one: a:6379:1)"),
            "{no_weight}"
        );
    }
}
