//! twemproxy's `auto_eject_hosts`: a server that fails
//! `server_failure_limit` times in a row leaves the ring for
//! `server_retry_timeout`, then comes back and is tried again (and needs as
//! many failures in a row to leave again). While it is out, the ring is
//! rebuilt over the live servers exactly as twemproxy rebuilds it, so keys
//! move where they move under twemproxy.
//!
//! A failure is a failed connect, a lost connection or a request that timed
//! out; any reply resets the count. The ring is read on every request, so
//! it sits behind an [`ArcSwap`]: reading is a few atomic operations, and
//! the rare rebuild swaps in a new ring.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::{ArcSwap, Guard};
use tracing::warn;

use crate::placement::Placement;
use crate::stats::{PoolStats, ServerStats};

/// When servers are ejected and for how long.
#[derive(Debug, Clone, Copy)]
pub struct EjectPolicy {
    /// Failures in a row that eject a server.
    pub failure_limit: u32,
    /// How long an ejected server stays out of the ring.
    pub retry_timeout: Duration,
}

/// The ring of one pool and the failure counts of its servers.
#[derive(Debug)]
pub struct Health {
    policy: Option<EjectPolicy>,
    /// The placement over every server; rebuilt copies leave some out.
    all: Placement,
    current: ArcSwap<Placement>,
    failures: Vec<AtomicU32>,
    /// When each ejected server comes back; `None` while it is in the ring.
    retry_at: Mutex<Vec<Option<Instant>>>,
    /// The earliest comeback, in µs after `epoch`; 0 when no server is out.
    next_rebuild: AtomicU64,
    epoch: Instant,
    stats: Arc<PoolStats>,
    servers: Vec<Arc<ServerStats>>,
}

impl Health {
    /// Every server in the ring; `policy` is `None` when `auto_eject_hosts`
    /// is off; `servers` are the statistics of the placement's servers.
    pub fn new(
        placement: Placement,
        policy: Option<EjectPolicy>,
        stats: Arc<PoolStats>,
        servers: Vec<Arc<ServerStats>>,
    ) -> Health {
        let count = servers.len();
        Health {
            policy,
            current: ArcSwap::from_pointee(placement.clone()),
            all: placement,
            failures: (0..count).map(|_| AtomicU32::new(0)).collect(),
            retry_at: Mutex::new(vec![None; count]),
            next_rebuild: AtomicU64::new(0),
            epoch: Instant::now(),
            stats,
            servers,
        }
    }

    /// The placement to use now; brings back servers whose time is up.
    pub fn placement(&self) -> Guard<Arc<Placement>> {
        let next = self.next_rebuild.load(Ordering::Acquire);
        if next != 0 {
            let now = Instant::now();
            if self.micros(now) >= next {
                self.rebuild(now);
            }
        }
        self.current.load()
    }

    /// `server` answered.
    pub fn answered(&self, server: usize) {
        // A load first: the common case writes nothing and keeps the cache
        // line shared between threads.
        if self.failures[server].load(Ordering::Relaxed) != 0 {
            self.failures[server].store(0, Ordering::Relaxed);
        }
    }

    /// `server` failed once; ejects it when that makes `failure_limit` in a row.
    pub fn failed(&self, server: usize) {
        let Some(policy) = self.policy else { return };
        if self.failures[server].fetch_add(1, Ordering::AcqRel) + 1 < policy.failure_limit {
            return;
        }
        self.failures[server].store(0, Ordering::Release);
        let now = Instant::now();
        {
            let mut retry_at = lock(&self.retry_at);
            if retry_at[server].is_some() {
                return;
            }
            retry_at[server] = Some(now + policy.retry_timeout);
        }
        let stats = &self.servers[server];
        warn!(server = %stats.name, retry_in = ?policy.retry_timeout, "server ejected from the ring");
        self.stats.server_ejects.incr();
        stats.server_ejected_at.set(unix_micros());
        self.rebuild(now);
    }

    /// Whether `server` is out of the ring now (`/metrics` reads the
    /// `ejected` gauge instead).
    #[cfg(test)]
    fn is_ejected(&self, server: usize) -> bool {
        lock(&self.retry_at)[server].is_some_and(|at| at > Instant::now())
    }

    /// Rebuilds the ring over the servers that are in it at `now`.
    fn rebuild(&self, now: Instant) {
        let mut retry_at = lock(&self.retry_at);
        for at in retry_at.iter_mut() {
            if at.is_some_and(|at| at <= now) {
                *at = None;
            }
        }
        let live: Vec<bool> = retry_at.iter().map(Option::is_none).collect();
        let mut placement = self.all.clone();
        placement.set_live(&live);
        self.current.store(Arc::new(placement));
        let next = retry_at
            .iter()
            .flatten()
            .min()
            .map_or(0, |&at| self.micros(at).max(1));
        self.next_rebuild.store(next, Ordering::Release);
        for (stats, live) in self.servers.iter().zip(&live) {
            stats.ejected.set(u64::from(!live));
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_micros() as u64
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The data is a list of instants, valid whatever a panicking holder did.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Distribution;
    use crate::hash::HashFunction;
    use crate::placement::ServerSpec;

    fn health(limit: u32, retry: Duration) -> Health {
        let servers: Vec<ServerSpec> = (1..=3)
            .map(|i| ServerSpec {
                host: "127.0.0.1".into(),
                port: 6000 + i,
                weight: 1,
                name: None,
            })
            .collect();
        let placement = Placement::new(&servers, HashFunction::Fnv1a64, None, Distribution::Ketama);
        let stats = Arc::new(PoolStats::default());
        let servers = (0..3).map(|_| Arc::new(ServerStats::default())).collect();
        let policy = EjectPolicy {
            failure_limit: limit,
            retry_timeout: retry,
        };
        Health::new(placement, Some(policy), stats, servers)
    }

    fn servers_used(health: &Health) -> std::collections::BTreeSet<usize> {
        (0..300)
            .filter_map(|i| {
                health
                    .placement()
                    .server_for(format!("key:{i}").as_bytes(), |_| 0)
            })
            .collect()
    }

    #[test]
    fn a_server_leaves_after_the_limit_in_a_row_and_comes_back_after_the_retry_timeout() {
        let health = health(2, Duration::from_millis(50));
        health.failed(1);
        health.answered(1);
        health.failed(1);
        assert_eq!(
            servers_used(&health).len(),
            3,
            "a reply in between resets the count"
        );
        health.failed(1);
        assert!(health.is_ejected(1));
        assert_eq!(servers_used(&health), [0, 2].into());
        assert_eq!(health.stats.server_ejects.get(), 1);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(servers_used(&health).len(), 3);
        assert!(!health.is_ejected(1));
    }

    #[test]
    fn without_auto_eject_failures_change_nothing() {
        let mut health = health(1, Duration::from_secs(60));
        health.policy = None;
        for _ in 0..10 {
            health.failed(0);
        }
        assert_eq!(servers_used(&health).len(), 3);
    }
}
