//! The pools being served: each one's listener, the slot that holds its
//! runtime, and what stops it. Started at launch, changed by reloads:
//!
//! - a pool at an address that was already served (by the pool of the
//!   same name if there is one, else by any: a rename) keeps that listener
//!   and its clients; if anything else changed, a new runtime goes into its
//!   slot, which clients pick up at their next read;
//! - a pool at a new address gets a new listener, bound before anything
//!   else changes, so that an address that cannot be bound refuses the
//!   whole reload;
//! - a pool that is gone (or moved) stops accepting, and its clients are
//!   closed after the replies to what they already sent, as at shutdown.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{oneshot, watch};
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::config::PoolConfig;
use crate::listen::Listener;
use crate::pool::{PoolRuntime, PoolSlot, Settings};
use crate::stats::{PoolStats, Stats};

/// The pools being served.
pub struct Serving {
    pools: Vec<ServedPool>,
    settings: Settings,
    stats: Arc<Stats>,
    shutdown: watch::Receiver<bool>,
    tasks: TaskTracker,
}

struct ServedPool {
    config: PoolConfig,
    slot: Arc<PoolSlot>,
    /// Dropped when the pool goes: that stops its listener and clients.
    _served: oneshot::Sender<()>,
}

/// What a reload does with one pool of the new configuration.
enum Step {
    /// Keep the running pool at this index, and its listener.
    Keep(usize),
    /// Serve it on this new listener.
    Start(Listener),
}

impl Serving {
    /// Binds every pool's listener (the error names the address that
    /// failed) and serves the pools until `shutdown` turns true; listeners
    /// and clients are tasks of `tasks`, which shutdown waits for.
    pub async fn start(
        pools: &[PoolConfig],
        settings: Settings,
        stats: Arc<Stats>,
        shutdown: watch::Receiver<bool>,
        tasks: TaskTracker,
    ) -> anyhow::Result<Serving> {
        let mut serving = Serving {
            pools: Vec::new(),
            settings,
            stats,
            shutdown,
            tasks,
        };
        serving.apply(pools).await?;
        Ok(serving)
    }

    /// Changes the pools being served to `pools`. When a new listener
    /// cannot be bound, nothing changes and the error says why.
    pub async fn apply(&mut self, pools: &[PoolConfig]) -> anyhow::Result<()> {
        let mut claimed = vec![false; self.pools.len()];
        let mut steps = Vec::with_capacity(pools.len());
        for config in pools {
            let at_address = |i: &usize| !claimed[*i] && self.pools[*i].config.listen == config.listen;
            let kept = (0..self.pools.len())
                .filter(at_address)
                .find(|&i| self.pools[i].config.name == config.name)
                .or_else(|| (0..self.pools.len()).find(at_address));
            steps.push(match kept {
                Some(i) => {
                    claimed[i] = true;
                    Step::Keep(i)
                }
                None => Step::Start(
                    Listener::bind(config, &self.settings.resolver)
                        .await
                        .with_context(|| format!("pool '{}'", config.name))?,
                ),
            });
        }
        // Nothing fails from here on.
        let mut running: Vec<Option<ServedPool>> =
            std::mem::take(&mut self.pools).into_iter().map(Some).collect();
        for (config, step) in pools.iter().zip(steps) {
            let pool = match step {
                Step::Keep(i) => {
                    let pool = running[i].take().expect("each running pool is kept at most once");
                    self.update(pool, config)
                }
                Step::Start(listener) => self.serve(listener, config),
            };
            self.pools.push(pool);
        }
        for gone in running.into_iter().flatten() {
            info!(pool = %gone.config.name, listen = %gone.config.listen, "pool stopped: no longer in the configuration, or listening elsewhere");
        }
        self.stats.set_pools(
            self.pools
                .iter()
                .map(|pool| pool.slot.load().stats.clone())
                .collect(),
        );
        Ok(())
    }

    /// `pool` with `config`: a new runtime in its slot if the config changed.
    fn update(&self, mut pool: ServedPool, config: &PoolConfig) -> ServedPool {
        if pool.config == *config {
            return pool;
        }
        if (pool.config.backlog, pool.config.reuseport) != (config.backlog, config.reuseport) {
            warn!(pool = %config.name, "backlog and reuseport are kept for a listener that stays; restart to change them");
        }
        let stats = if pool.config.name == config.name {
            pool.slot.load().stats.clone()
        } else {
            info!(pool = %config.name, was = %pool.config.name, "pool renamed");
            Arc::new(PoolStats::new(&config.name))
        };
        pool.slot.store(self.runtime(config, stats));
        pool.config = config.clone();
        info!(pool = %config.name, servers = config.servers.len(), "pool reloaded");
        pool
    }

    /// Serves a new pool with `config` on `listener`, until it is dropped
    /// or `shutdown` turns true.
    fn serve(&self, listener: Listener, config: &PoolConfig) -> ServedPool {
        let stats = Arc::new(PoolStats::new(&config.name));
        let slot = Arc::new(PoolSlot::from(self.runtime(config, stats)));
        let (stop, stopping) = watch::channel(false);
        let (served, dropped) = oneshot::channel::<()>();
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = dropped => {}
            }
            let _ = stop.send(true);
        });
        self.tasks
            .spawn(listener.serve(slot.clone(), stopping, self.tasks.clone()));
        debug!(pool = %config.name, listen = %config.listen, servers = config.servers.len(), "serving");
        ServedPool {
            config: config.clone(),
            slot,
            _served: served,
        }
    }

    fn runtime(&self, config: &PoolConfig, stats: Arc<PoolStats>) -> Arc<PoolRuntime> {
        let runtime = Arc::new(PoolRuntime::start(config.clone(), stats, &self.settings));
        runtime.check_health(self.settings.health_interval);
        runtime
    }
}
