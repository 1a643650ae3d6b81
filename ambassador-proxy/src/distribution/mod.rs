//! Which server a hash goes to: ketama (a consistent-hash ring), modula
//! (hash modulo the total weight) or random, each built exactly as
//! twemproxy builds it, over the servers that are live.

mod ketama;

use std::fmt;
use std::str::FromStr;

pub use ketama::Ketama;

/// A distribution a pool can be configured with (`distribution:` in the YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distribution {
    /// Consistent hashing on a ring of MD5 points.
    Ketama,
    /// `hash % total_weight` over weight-many slots per server.
    Modula,
    /// Any live server.
    Random,
}

impl Distribution {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Ketama => "ketama",
            Distribution::Modula => "modula",
            Distribution::Random => "random",
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Distribution {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "ketama" => Ok(Distribution::Ketama),
            "modula" => Ok(Distribution::Modula),
            "random" => Ok(Distribution::Random),
            other => Err(format!(
                "unknown distribution {other:?}; one of ketama, modula, random"
            )),
        }
    }
}

/// One server as the distribution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    /// The name hashed onto the ring (the configured name, or `host:port`).
    pub name: &'a str,
    /// The configured weight, at least 1.
    pub weight: u32,
    /// Whether the server takes keys now (not ejected).
    pub live: bool,
}

/// A built distribution: answers which server index a hash goes to.
#[derive(Debug, Clone)]
pub enum Ring {
    /// See [`Ketama`].
    Ketama(Ketama),
    /// One slot per unit of weight of each live server, in server order.
    Modula(Vec<usize>),
    /// One slot per live server.
    Random(Vec<usize>),
}

impl Ring {
    /// Builds `distribution` over `members` (in the pool's server order).
    pub fn build(distribution: Distribution, members: &[Member<'_>]) -> Ring {
        let live = members.iter().enumerate().filter(|(_, m)| m.live);
        match distribution {
            Distribution::Ketama => Ring::Ketama(Ketama::build(members)),
            Distribution::Modula => Ring::Modula(
                live.flat_map(|(index, m)| std::iter::repeat_n(index, m.weight as usize))
                    .collect(),
            ),
            Distribution::Random => Ring::Random(live.map(|(index, _)| index).collect()),
        }
    }

    /// The index of the server for `hash`, or `None` when no server is live.
    /// `random` draws from `pick` instead of using the hash.
    pub fn dispatch(&self, hash: u32, pick: impl FnOnce(usize) -> usize) -> Option<usize> {
        match self {
            Ring::Ketama(ketama) => ketama.dispatch(hash),
            Ring::Modula(slots) => (!slots.is_empty()).then(|| slots[hash as usize % slots.len()]),
            Ring::Random(slots) => (!slots.is_empty()).then(|| slots[pick(slots.len()) % slots.len()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members<'a>(spec: &[(&'a str, u32, bool)]) -> Vec<Member<'a>> {
        spec.iter()
            .map(|&(name, weight, live)| Member { name, weight, live })
            .collect()
    }

    #[test]
    fn modula_gives_each_live_server_weight_slots() {
        let ring = Ring::build(
            Distribution::Modula,
            &members(&[("a", 2, true), ("b", 1, false), ("c", 1, true)]),
        );
        let picks: Vec<Option<usize>> = (0..4).map(|h| ring.dispatch(h, |_| 0)).collect();
        assert_eq!(picks, [Some(0), Some(0), Some(2), Some(0)]);
    }

    #[test]
    fn random_picks_only_live_servers_and_none_when_all_are_down() {
        let ring = Ring::build(Distribution::Random, &members(&[("a", 1, false), ("b", 1, true)]));
        assert_eq!(ring.dispatch(0, |n| n + 7), Some(1));
        let dead = Ring::build(Distribution::Random, &members(&[("a", 1, false)]));
        assert_eq!(dead.dispatch(0, |_| 0), None);
    }
}
