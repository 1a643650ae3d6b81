//! twemproxy's YAML configuration: a map of pool name to pool settings.

use std::time::Duration;

use yaml_rust2::{Yaml, YamlLoader};

use super::{parse_server, Config, ConfigError, ListenAddr, PoolConfig};

/// Parses a twemproxy configuration; `file` names it in errors.
pub fn from_yaml(text: &str, file: &str) -> Result<Config, ConfigError> {
    let documents = YamlLoader::load_from_str(text)
        .map_err(|e| ConfigError::new(file, format!("not valid YAML: {e}")))?;
    let Some(Yaml::Hash(root)) = documents.into_iter().next() else {
        return Err(ConfigError::new(
            file,
            "expected a map of pool names to pool settings",
        ));
    };
    let mut pools = Vec::new();
    for (name, settings) in root {
        let name =
            scalar_text(&name).ok_or_else(|| ConfigError::new(file, "a pool name must be a plain word"))?;
        let place = format!("{file}: pool '{name}'");
        let Yaml::Hash(settings) = settings else {
            return Err(ConfigError::new(
                place,
                "expected a map of settings (listen, servers, ...)",
            ));
        };
        pools.push(pool(&name, settings, &place)?.finish(&format!("{file}: "))?);
    }
    if pools.is_empty() {
        return Err(ConfigError::new(file, "defines no pool"));
    }
    let config = Config { pools };
    config.check_listeners(file)?;
    Ok(config)
}

fn pool(name: &str, settings: yaml_rust2::yaml::Hash, place: &str) -> Result<PoolConfig, ConfigError> {
    let mut listen = None;
    let mut servers = None;
    let mut redis = false;
    let mut pool = PoolConfig::new(name, ListenAddr::Tcp(String::new()), Vec::new());
    for (key, value) in settings {
        let key = scalar_text(&key).unwrap_or_default();
        let at = format!("{place}, key '{key}'");
        match key.as_str() {
            "listen" => listen = Some(listen_addr(&value, &at)?),
            "hash" => pool.hash = text(&value, &at)?.parse().map_err(|e| ConfigError::new(&at, e))?,
            "hash_tag" => {
                let tag = text(&value, &at)?;
                pool.hash_tag = Some(
                    <[u8; 2]>::try_from(tag.as_bytes())
                        .map_err(|_| ConfigError::new(&at, format!("'{tag}' must be exactly two characters, like \"{{}}\"")))?,
                );
            }
            "distribution" => pool.distribution = text(&value, &at)?.parse().map_err(|e| ConfigError::new(&at, e))?,
            "timeout" => pool.timeout = Some(Duration::from_millis(number(&value, &at)?.into())),
            "backlog" => pool.backlog = number(&value, &at)?,
            "preconnect" => pool.preconnect = boolean(&value, &at)?,
            "redis" => redis = boolean(&value, &at)?,
            "redis_auth" => pool.redis_auth = Some(text(&value, &at)?),
            "redis_db" => pool.redis_db = number(&value, &at)?,
            "server_connections" => pool.server_connections = number(&value, &at)?,
            "auto_eject_hosts" => pool.auto_eject_hosts = boolean(&value, &at)?,
            "server_retry_timeout" => pool.server_retry_timeout = Duration::from_millis(number(&value, &at)?.into()),
            "server_failure_limit" => pool.server_failure_limit = number(&value, &at)?,
            "tcpkeepalive" => pool.tcpkeepalive = boolean(&value, &at)?,
            "reuseport" => pool.reuseport = boolean(&value, &at)?,
            "client_connections" => pool.client_connections = number(&value, &at)?,
            "servers" => {
                let Yaml::Array(entries) = value else {
                    return Err(ConfigError::new(at, "expected a list of host:port:weight [name]"));
                };
                servers = Some(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(i, entry)| {
                            let entry_at = format!("{at}, entry {}", i + 1);
                            parse_server(&text(entry, &entry_at)?, &entry_at)
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            other => {
                return Err(ConfigError::new(
                    place,
                    format!("unknown key '{other}' (twemproxy's keys: listen, hash, hash_tag, distribution, timeout, backlog, preconnect, redis, redis_auth, redis_db, server_connections, auto_eject_hosts, server_retry_timeout, server_failure_limit, tcpkeepalive, reuseport, client_connections, servers)"),
                ))
            }
        }
    }
    if !redis {
        return Err(ConfigError::new(
            place,
            "is a memcache pool (redis: false is twemproxy's default); ambassador-proxy speaks Redis only: add `redis: true`",
        ));
    }
    pool.listen = listen.ok_or_else(|| ConfigError::new(place, "has no listen address"))?;
    pool.servers = servers.ok_or_else(|| ConfigError::new(place, "has no servers"))?;
    Ok(pool)
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(value: &Yaml, at: &str) -> Result<String, ConfigError> {
    scalar_text(value).ok_or_else(|| ConfigError::new(at, "expected a value, not a list or map"))
}

fn number(value: &Yaml, at: &str) -> Result<u32, ConfigError> {
    match value {
        Yaml::Integer(i) => {
            u32::try_from(*i).map_err(|_| ConfigError::new(at, format!("{i} is out of range")))
        }
        other => Err(ConfigError::new(
            at,
            format!("expected a whole number, got {}", describe(other)),
        )),
    }
}

fn boolean(value: &Yaml, at: &str) -> Result<bool, ConfigError> {
    match value {
        Yaml::Boolean(b) => Ok(*b),
        other => Err(ConfigError::new(
            at,
            format!("expected true or false, got {}", describe(other)),
        )),
    }
}

fn describe(value: &Yaml) -> String {
    scalar_text(value).map_or_else(|| "a list or map".to_owned(), |s| format!("'{s}'"))
}

/// `host:port`, or a unix socket path with optional octal permissions.
fn listen_addr(value: &Yaml, at: &str) -> Result<ListenAddr, ConfigError> {
    let listen = text(value, at)?;
    let mut words = listen.split_whitespace();
    let first = words.next().unwrap_or_default();
    if first.starts_with('/') {
        let permissions = words
            .next()
            .map(|p| {
                u32::from_str_radix(p, 8)
                    .map_err(|_| ConfigError::new(at, format!("'{p}' is not octal permissions like 0666")))
            })
            .transpose()?;
        return Ok(ListenAddr::Unix(first.into(), permissions));
    }
    match first.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(ListenAddr::Tcp(first.to_owned()))
        }
        _ => Err(ConfigError::new(
            at,
            format!("'{listen}' is not host:port or a /path to a unix socket"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Distribution;
    use crate::hash::HashFunction;

    const TWO_POOLS: &str = "
alpha:
  listen: 127.0.0.1:22121
  hash: murmur
  hash_tag: \"{}\"
  distribution: modula
  timeout: 400
  redis: true
  redis_db: 2
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:6380:1 b
   - 127.0.0.1:6379:2 a
beta:
  listen: /tmp/beta.sock 0666
  redis: true
  servers:
   - 10.0.0.1:6379:1
";

    #[test]
    fn every_key_and_several_pools() {
        let config = from_yaml(TWO_POOLS, "nutcracker.yml").unwrap();
        let alpha = &config.pools[0];
        assert_eq!(alpha.hash, HashFunction::Murmur);
        assert_eq!(alpha.hash_tag, Some(*b"{}"));
        assert_eq!(alpha.distribution, Distribution::Modula);
        assert_eq!(alpha.timeout, Some(Duration::from_millis(400)));
        assert_eq!(alpha.redis_db, 2);
        assert!(alpha.auto_eject_hosts);
        let names: Vec<String> = alpha.servers.iter().map(|s| s.identity()).collect();
        assert_eq!(names, ["a", "b"], "servers are sorted by name");
        let beta = &config.pools[1];
        assert_eq!(
            beta.listen,
            ListenAddr::Unix("/tmp/beta.sock".into(), Some(0o666))
        );
        assert_eq!(beta.hash, HashFunction::Fnv1a64);
        assert_eq!(beta.server_failure_limit, 2);
    }

    #[test]
    fn mistakes_name_their_place() {
        let cases = [
            ("a: [", "not valid YAML"),
            (
                "p:\n  listen: 1.2.3.4:1\n  redis: true\n  colour: red\n  servers: [\"1.2.3.4:1:1\"]",
                "unknown key 'colour'",
            ),
            (
                "p:\n  listen: 1.2.3.4:1\n  redis: true\n  hash: sha1\n  servers: [\"1.2.3.4:1:1\"]",
                "unknown hash",
            ),
            (
                "p:\n  listen: 1.2.3.4:1\n  redis: true\n  servers: [\"1.2.3.4:1:0\"]",
                "entry 1",
            ),
            (
                "p:\n  listen: 1.2.3.4:1\n  servers: [\"1.2.3.4:1:1\"]",
                "memcache",
            ),
            (
                "p:\n  listen: 1.2.3.4:1\n  redis: true\n  servers: [\"a:1:1 x\", \"b:1:1 x\"]",
                "appears twice",
            ),
            (
                "p:\n  listen: nowhere\n  redis: true\n  servers: [\"a:1:1\"]",
                "not host:port",
            ),
            (
                "p:\n  listen: 1.2.3.4:1\n  redis: yes\n  servers: [\"a:1:1\"]",
                "true or false",
            ),
        ];
        for (yaml, says) in cases {
            let err = from_yaml(yaml, "conf.yml").unwrap_err().to_string();
            assert!(err.starts_with("conf.yml"), "{err}");
            assert!(err.contains(says), "{yaml:?}: {err}");
        }
    }
}
