//! Key placement against the real twemproxy: the Debian `nutcracker` binary
//! stores thousands of keys (ASCII and not) on real redis-servers, and every
//! key must sit where our placement says, for every kind of configuration.

use std::collections::HashMap;

use ambassador_proxy::config::from_yaml;
use ambassador_proxy::distribution::Distribution;
use ambassador_proxy::hash::HashFunction;
use ambassador_proxy::placement::{Placement, ServerSpec};
mod common;
use common::{connection, set_all_through, Nutcracker, RedisServer};

/// One configuration to compare.
struct Variant {
    what: &'static str,
    servers: usize,
    hash: HashFunction,
    distribution: Distribution,
    hash_tag: Option<&'static str>,
    /// Weight and optional name of server i.
    spec: fn(usize) -> (u32, Option<String>),
}

fn equal(_: usize) -> (u32, Option<String>) {
    (1, None)
}

fn named_unequal(i: usize) -> (u32, Option<String>) {
    (1 + (i as u32 * 7) % 5, Some(format!("redis-st-{i}")))
}

fn keys() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = (0..3000)
        .map(|i| format!("key:{i}:{}", i * 7919 % 1000).into_bytes())
        .collect();
    // Non-ASCII: UTF-8 text and raw high bytes, where signed-char hashing shows.
    keys.extend((0..500).map(|i| format!("ключ-{i}-üñí").into_bytes()));
    keys.extend((0..500u32).map(|i| {
        let mut key = vec![0x80 | (i % 128) as u8, 0xff, b'k'];
        key.extend_from_slice(&i.to_le_bytes());
        key
    }));
    // Hash tags, for the pool that has one.
    keys.extend((0..500).map(|i| format!("user:{{{}}}:field{i}", i % 37).into_bytes()));
    keys
}

/// nutcracker's configuration for `variant` over `servers`, listening on `port`.
fn yaml(variant: &Variant, servers: &[ServerSpec], port: u16) -> String {
    let mut yaml = format!(
        "pool:\n  listen: 127.0.0.1:{port}\n  hash: {}\n  distribution: {}\n  redis: true\n  auto_eject_hosts: false\n",
        variant.hash, variant.distribution
    );
    if let Some(tag) = variant.hash_tag {
        yaml.push_str(&format!("  hash_tag: \"{tag}\"\n"));
    }
    yaml.push_str("  servers:\n");
    for server in servers {
        let name = server
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        yaml.push_str(&format!(
            "   - {}:{}:{}{name}\n",
            server.host, server.port, server.weight
        ));
    }
    yaml
}

#[test]
fn every_key_lands_where_nutcracker_puts_it() {
    let variants = [
        Variant {
            what: "default: ketama, fnv1a_64, no names",
            servers: 3,
            hash: HashFunction::Fnv1a64,
            distribution: Distribution::Ketama,
            hash_tag: None,
            spec: equal,
        },
        Variant {
            what: "named servers, unequal weights",
            servers: 5,
            hash: HashFunction::Fnv1a64,
            distribution: Distribution::Ketama,
            hash_tag: None,
            spec: named_unequal,
        },
        Variant {
            what: "25 equal servers (156 points each)",
            servers: 25,
            hash: HashFunction::Fnv1a64,
            distribution: Distribution::Ketama,
            hash_tag: None,
            spec: equal,
        },
        Variant {
            what: "modula, unequal weights",
            servers: 4,
            hash: HashFunction::Fnv1a64,
            distribution: Distribution::Modula,
            hash_tag: None,
            spec: named_unequal,
        },
        Variant {
            what: "hash_tag {}",
            servers: 4,
            hash: HashFunction::Murmur,
            distribution: Distribution::Ketama,
            hash_tag: Some("{}"),
            spec: equal,
        },
    ];
    let hash_variants: Vec<Variant> = HashFunction::ALL
        .into_iter()
        .map(|hash| Variant {
            what: "each hash function, modula",
            servers: 4,
            hash,
            distribution: Distribution::Modula,
            hash_tag: None,
            spec: equal,
        })
        .collect();

    let backends: Vec<RedisServer> = (0..25).map(|_| RedisServer::start()).collect();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys();
    let mut failures = Vec::new();
    for variant in variants.iter().chain(&hash_variants) {
        let servers: Vec<ServerSpec> = backends[..variant.servers]
            .iter()
            .enumerate()
            .map(|(i, backend)| {
                let (weight, name) = (variant.spec)(i);
                ServerSpec {
                    host: "127.0.0.1".into(),
                    port: backend.port,
                    weight,
                    name,
                }
            })
            .collect();
        for backend in &backends[..variant.servers] {
            redis::cmd("FLUSHALL")
                .exec(&mut connection(backend.port))
                .unwrap();
        }
        let nutcracker = Nutcracker::start(dir.path(), |port| yaml(variant, &servers, port));
        set_all_through(nutcracker.port, &keys);

        let mut actual: HashMap<Vec<u8>, u16> = HashMap::new();
        for backend in &backends[..variant.servers] {
            let stored: Vec<Vec<u8>> = redis::cmd("KEYS")
                .arg("*")
                .query(&mut connection(backend.port))
                .unwrap();
            actual.extend(stored.into_iter().map(|k| (k, backend.port)));
        }
        assert_eq!(actual.len(), keys.len(), "{}: nutcracker lost keys", variant.what);

        // The same file, read by our configuration parser.
        let pool = from_yaml(&nutcracker.yaml, "nutcracker.yml")
            .unwrap()
            .pools
            .remove(0);
        let placement = Placement::new(&pool.servers, pool.hash, pool.hash_tag, pool.distribution);
        let wrong = keys
            .iter()
            .filter(|key| {
                placement.server_for(key, |_| 0).map(|i| pool.servers[i].port) != Some(actual[*key])
            })
            .count();
        if wrong > 0 {
            failures.push(format!(
                "{} ({}): {wrong} of {} keys placed differently",
                variant.what,
                variant.hash,
                keys.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "placement differs from nutcracker's:\n{}",
        failures.join("\n")
    );
}
