//! A pool's servers in twemproxy's order, and which of them a key goes to.

use crate::distribution::{Distribution, Member, Ring};
use crate::hash::HashFunction;

/// A backend server as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Weight, at least 1.
    pub weight: u32,
    /// The optional name after the address (`host:port:weight name`).
    pub name: Option<String>,
}

impl ServerSpec {
    /// The identity hashed onto the ring: the name if given, else `host:port`.
    pub fn identity(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("{}:{}", self.host, self.port),
        }
    }
}

/// How a pool places keys.
#[derive(Debug, Clone)]
pub struct Placement {
    hash: HashFunction,
    hash_tag: Option<[u8; 2]>,
    distribution: Distribution,
    identities: Vec<String>,
    weights: Vec<u32>,
    ring: Ring,
}

impl Placement {
    /// Placement over `servers`, which must already be in [`sort_servers`] order.
    pub fn new(
        servers: &[ServerSpec],
        hash: HashFunction,
        hash_tag: Option<[u8; 2]>,
        distribution: Distribution,
    ) -> Self {
        let identities: Vec<String> = servers.iter().map(ServerSpec::identity).collect();
        let weights: Vec<u32> = servers.iter().map(|s| s.weight).collect();
        let live = vec![true; servers.len()];
        let ring = build_ring(distribution, &identities, &weights, &live);
        Placement {
            hash,
            hash_tag,
            distribution,
            identities,
            weights,
            ring,
        }
    }

    /// Rebuilds the ring over the servers for which `live` is true.
    pub fn set_live(&mut self, live: &[bool]) {
        self.ring = build_ring(self.distribution, &self.identities, &self.weights, live);
    }

    /// The part of `key` that is hashed: between the first hash-tag opening
    /// character and the first closing one after it, if that is non-empty.
    pub fn hashed_part<'k>(&self, key: &'k [u8]) -> &'k [u8] {
        let Some([open, close]) = self.hash_tag else {
            return key;
        };
        let Some(start) = key.iter().position(|&b| b == open) else {
            return key;
        };
        match key[start + 1..].iter().position(|&b| b == close) {
            Some(len) if len > 0 => &key[start + 1..start + 1 + len],
            _ => key,
        }
    }

    /// The hash of `key` as twemproxy computes it: 0 for an empty key.
    pub fn hash_of(&self, key: &[u8]) -> u32 {
        let part = self.hashed_part(key);
        if part.is_empty() {
            0
        } else {
            self.hash.hash(part)
        }
    }

    /// The index of the server `key` goes to, or `None` when none is live.
    /// A pool of one server does not hash at all.
    pub fn server_for(&self, key: &[u8], pick: impl FnOnce(usize) -> usize) -> Option<usize> {
        if self.identities.len() == 1 {
            return self.ring.dispatch(0, pick);
        }
        self.ring.dispatch(self.hash_of(key), pick)
    }
}

fn build_ring(distribution: Distribution, identities: &[String], weights: &[u32], live: &[bool]) -> Ring {
    let members: Vec<Member<'_>> = identities
        .iter()
        .zip(weights)
        .zip(live)
        .map(|((name, &weight), &live)| Member { name, weight, live })
        .collect();
    Ring::build(distribution, &members)
}

/// Sorts servers as twemproxy does: by identity, shorter first, then bytewise.
pub fn sort_servers(servers: &mut [ServerSpec]) {
    servers.sort_by(|a, b| {
        let (a, b) = (a.identity(), b.identity());
        a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(host: &str, port: u16, name: Option<&str>) -> ServerSpec {
        ServerSpec {
            host: host.into(),
            port,
            weight: 1,
            name: name.map(str::to_owned),
        }
    }

    #[test]
    fn servers_sort_shorter_name_first() {
        let mut servers = vec![
            server("127.0.0.1", 6380, None),
            server("127.0.0.1", 637, None),
            server("10.0.0.1", 6379, Some("z")),
        ];
        sort_servers(&mut servers);
        let order: Vec<String> = servers.iter().map(ServerSpec::identity).collect();
        assert_eq!(order, ["z", "127.0.0.1:637", "127.0.0.1:6380"]);
    }

    #[test]
    fn an_ejected_server_gets_no_keys_and_the_others_keep_theirs() {
        let servers = vec![server("a", 1, None), server("b", 2, None), server("c", 3, None)];
        let mut placement = Placement::new(&servers, HashFunction::Fnv1a64, None, Distribution::Ketama);
        let keys: Vec<String> = (0..2000).map(|i| format!("{i}:key")).collect();
        let before: Vec<Option<usize>> = keys
            .iter()
            .map(|k| placement.server_for(k.as_bytes(), |_| 0))
            .collect();
        placement.set_live(&[true, false, true]);
        for (key, was) in keys.iter().zip(before) {
            let now = placement.server_for(key.as_bytes(), |_| 0);
            assert_ne!(now, Some(1), "{key} went to the ejected server");
            if was != Some(1) {
                assert_eq!(now, was, "{key} moved although its server is live");
            }
        }
        placement.set_live(&[false, false, false]);
        assert_eq!(placement.server_for(b"k", |_| 0), None);
    }

    #[test]
    fn hash_tag_picks_the_tagged_part() {
        let servers = vec![server("a", 1, None), server("b", 2, None)];
        let placement = Placement::new(
            &servers,
            HashFunction::Fnv1a64,
            Some(*b"{}"),
            Distribution::Ketama,
        );
        assert_eq!(placement.hashed_part(b"user:{42}:name"), b"42");
        assert_eq!(placement.hashed_part(b"user:{}:name"), b"user:{}:name");
        assert_eq!(placement.hashed_part(b"no-tag"), b"no-tag");
        assert_eq!(placement.hashed_part(b"open{only"), b"open{only");
        assert_eq!(
            placement.server_for(b"user:{42}:name", |_| 0),
            placement.server_for(b"order:{42}", |_| 0)
        );
        assert_eq!(placement.hash_of(b""), 0);
    }
}
