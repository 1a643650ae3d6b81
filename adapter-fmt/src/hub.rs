//! Where records meet their HTTP readers: a bounded ring of the most recent
//! records for `GET /logs`, and a broadcast of new ones for `?follow=true`.
//!
//! Both are bounded: the ring keeps `--buffer` records, and a follower that
//! reads slower than records arrive skips what it missed (and is told so)
//! instead of holding records back or growing memory.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

/// How many new records a follower may fall behind before it skips some.
pub const FOLLOW_BACKLOG: usize = 4096;

/// One record as HTTP serves it: its JSON object, numbered in arrival order.
#[derive(Debug)]
pub struct Stored {
    /// Arrival number, from 1.
    pub seq: u64,
    /// The record's timestamp, for `?since=`.
    pub time: DateTime<Utc>,
    /// The record as a JSON object and a newline: an NDJSON line.
    pub line: Bytes,
}

/// The ring buffer and the broadcast of new records.
#[derive(Debug)]
pub struct Hub {
    ring: Mutex<VecDeque<Arc<Stored>>>,
    capacity: usize,
    next_seq: AtomicU64,
    new_records: broadcast::Sender<Arc<Stored>>,
    /// Clients following right now.
    pub followers: AtomicUsize,
    /// Records that followers skipped because they read too slowly.
    pub skipped: AtomicU64,
}

impl Hub {
    /// A hub keeping the last `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Hub {
            ring: Mutex::new(VecDeque::with_capacity(capacity.min(1 << 16))),
            capacity,
            next_seq: AtomicU64::new(1),
            new_records: broadcast::channel(FOLLOW_BACKLOG).0,
            followers: AtomicUsize::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Adds a record (its NDJSON line) to the ring and sends it to followers.
    pub fn publish(&self, time: DateTime<Utc>, line: &[u8]) {
        let stored = Arc::new(Stored {
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            time,
            line: Bytes::copy_from_slice(line),
        });
        {
            let mut ring = self.lock_ring();
            if ring.len() == self.capacity {
                ring.pop_front();
            }
            if self.capacity > 0 {
                ring.push_back(stored.clone());
            }
        }
        // No followers is not an error.
        let _ = self.new_records.send(stored);
    }

    /// How many records the ring holds.
    pub fn len(&self) -> usize {
        self.lock_ring().len()
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ring's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most recent records with a timestamp at or after `since`, at most
    /// `limit` of them, oldest first.
    pub fn recent(&self, since: Option<DateTime<Utc>>, limit: Option<usize>) -> Vec<Arc<Stored>> {
        let ring = self.lock_ring();
        let mut picked: Vec<Arc<Stored>> = ring
            .iter()
            .rev()
            .filter(|r| since.is_none_or(|since| r.time >= since))
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        picked.reverse();
        picked
    }

    /// A receiver of records published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Stored>> {
        self.new_records.subscribe()
    }

    fn lock_ring(&self) -> MutexGuard<'_, VecDeque<Arc<Stored>>> {
        // A panic while holding the lock cannot leave the ring inconsistent
        // (each operation is a single push or pop), so a poisoned lock is used as is.
        self.ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_180_000 + i64::from(second), 0).unwrap()
    }

    #[test]
    fn ring_keeps_the_newest_and_filters() {
        let hub = Hub::new(3);
        for i in 0..5 {
            hub.publish(at(i), format!("{{\"n\":{i}}}\n").as_bytes());
        }
        let all: Vec<u64> = hub.recent(None, None).iter().map(|r| r.seq).collect();
        assert_eq!(all, [3, 4, 5]);
        let last: Vec<u64> = hub.recent(None, Some(1)).iter().map(|r| r.seq).collect();
        assert_eq!(last, [5]);
        let since: Vec<u64> = hub.recent(Some(at(3)), None).iter().map(|r| r.seq).collect();
        assert_eq!(since, [4, 5]);
    }
}
