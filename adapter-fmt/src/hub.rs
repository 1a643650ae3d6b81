//! Where records meet their HTTP readers: a ring of the most recent records,
//! numbered in arrival order, that `GET /logs` and followers read by number.
//!
//! The ring is bounded twice: in records (`--buffer`) and in bytes
//! (`--buffer-bytes`, the size of the records' JSON). Readers never copy it:
//! each takes the next few records it has not sent yet, under the lock, as
//! its client makes room for them. A reader that is too slow finds the
//! records it wanted gone and skips them; nothing is held back for it, so
//! however many clients stall, memory is the ring's and a little per
//! connection.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::futures::Notified;
use tokio::sync::Notify;

/// While someone follows, the ring keeps at least this many records (still
/// within `--buffer-bytes`) even when `--buffer` is smaller: how far a
/// follower may fall behind before it skips records.
pub const FOLLOW_BACKLOG: usize = 4096;

/// One record as HTTP serves it: its JSON object, numbered in arrival order.
#[derive(Debug)]
pub struct Stored {
    /// Arrival number, from 1, without gaps.
    pub seq: u64,
    /// The record's timestamp, for `?since=`.
    pub time: DateTime<Utc>,
    /// The record as a JSON object and a newline: an NDJSON line.
    pub line: Bytes,
}

/// The records in memory, oldest first; their numbers are consecutive.
#[derive(Debug)]
struct Ring {
    records: VecDeque<Arc<Stored>>,
    /// Sum of the records' `line` lengths.
    bytes: usize,
    /// The number the next record gets.
    next_seq: u64,
}

impl Ring {
    /// The number of the oldest record held (`next_seq` when none is).
    fn first_seq(&self) -> u64 {
        self.records.front().map_or(self.next_seq, |r| r.seq)
    }

    fn get(&self, seq: u64) -> Option<&Arc<Stored>> {
        let index = seq.checked_sub(self.first_seq())?;
        self.records.get(usize::try_from(index).ok()?)
    }
}

/// Which records a `GET /logs` lists: numbers `start..=end` that pass `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// The first record's number.
    pub start: u64,
    /// The last record's number: the newest when the request came.
    pub end: u64,
}

/// Records taken from the ring for one chunk of a response.
#[derive(Debug, Default)]
pub struct Taken {
    /// Records that were asked for but had already left the ring.
    pub skipped: u64,
    /// The records, oldest first.
    pub records: Vec<Arc<Stored>>,
    /// The number to ask for next.
    pub next: u64,
}

/// The ring buffer and the signal that new records came.
#[derive(Debug)]
pub struct Hub {
    ring: Mutex<Ring>,
    /// `--buffer`: records `GET /logs` lists.
    capacity: usize,
    /// `--buffer-bytes`: bytes of JSON the ring holds.
    max_bytes: usize,
    /// Wakes followers waiting for new records.
    published: Notify,
    /// Whether a follower armed a wake-up since the last one.
    waiting: AtomicBool,
    /// Clients following right now.
    pub followers: AtomicUsize,
    /// Records that followers skipped because they read too slowly.
    pub skipped: AtomicU64,
    /// Records that `GET /logs` responses left out because they left the
    /// ring before their slow client made room for them.
    pub unsent: AtomicU64,
}

impl Hub {
    /// A hub keeping the last `capacity` records, at most `max_bytes` of
    /// them (a single record larger than that is kept alone).
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Hub {
            ring: Mutex::new(Ring {
                records: VecDeque::new(),
                bytes: 0,
                next_seq: 1,
            }),
            capacity,
            max_bytes,
            published: Notify::new(),
            waiting: AtomicBool::new(false),
            followers: AtomicUsize::new(0),
            skipped: AtomicU64::new(0),
            unsent: AtomicU64::new(0),
        }
    }

    /// Adds a record (its NDJSON line) to the ring and wakes followers.
    pub fn publish(&self, time: DateTime<Utc>, line: &[u8]) {
        let line = Bytes::copy_from_slice(line);
        {
            let mut ring = self.lock_ring();
            // Read under the lock: a follower counts itself before it first
            // looks at the ring, so every record after its look is kept.
            let keep = if self.followers.load(Ordering::Relaxed) > 0 {
                self.capacity.max(FOLLOW_BACKLOG)
            } else {
                self.capacity
            };
            let seq = ring.next_seq;
            ring.next_seq += 1;
            if keep > 0 {
                ring.bytes += line.len();
                ring.records.push_back(Arc::new(Stored { seq, time, line }));
            }
            while ring.records.len() > keep || (ring.bytes > self.max_bytes && ring.records.len() > 1) {
                let Some(old) = ring.records.pop_front() else {
                    break;
                };
                ring.bytes -= old.line.len();
            }
        }
        // A follower arms its wake-up before it looks at the ring: one that
        // looked before this record was added is seen here and woken.
        if self.waiting.swap(false, Ordering::SeqCst) {
            self.published.notify_waiters();
        }
    }

    /// How many records `GET /logs` would list.
    pub fn len(&self) -> usize {
        self.lock_ring().records.len().min(self.capacity)
    }

    /// Whether `GET /logs` would list nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of JSON the ring holds (followers' backlog included).
    pub fn bytes(&self) -> usize {
        self.lock_ring().bytes
    }

    /// `--buffer`.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// `--buffer-bytes`.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The number of the newest record published (0 before the first).
    pub fn newest(&self) -> u64 {
        self.lock_ring().next_seq - 1
    }

    /// The records `GET /logs` lists now: among the newest `--buffer`, the
    /// last `limit` with a timestamp at or after `since`. Nothing is copied:
    /// the response takes them from the ring as it goes (see [`Hub::take`]).
    pub fn select(&self, since: Option<DateTime<Utc>>, limit: Option<usize>) -> Selection {
        let ring = self.lock_ring();
        let end = ring.next_seq - 1;
        let visible = ring.records.len().min(self.capacity);
        let mut start = end + 1;
        let mut picked = 0;
        for record in ring.records.iter().rev().take(visible) {
            if limit.is_some_and(|limit| picked >= limit) {
                break;
            }
            if since.is_none_or(|since| record.time >= since) {
                start = record.seq;
                picked += 1;
            }
        }
        Selection { start, end }
    }

    /// Up to about `budget` bytes of records numbered `from..=to` that pass
    /// `wanted` (at least one record when any is there), oldest first.
    /// Records that left the ring are counted in `skipped`.
    pub fn take(&self, from: u64, to: u64, budget: usize, wanted: impl Fn(&Stored) -> bool) -> Taken {
        let ring = self.lock_ring();
        let first = ring.first_seq();
        let mut taken = Taken::default();
        let mut seq = from;
        if first > seq {
            taken.skipped = first.min(to.saturating_add(1)) - seq;
            seq = first;
        }
        let mut bytes = 0;
        while seq <= to && bytes < budget {
            let Some(record) = ring.get(seq) else { break };
            seq += 1;
            if wanted(record) {
                bytes += record.line.len();
                taken.records.push(record.clone());
            }
        }
        taken.next = seq;
        taken
    }

    /// A future that completes when a record is published after this call;
    /// call it before looking at the ring, await it if nothing was there.
    pub fn arm(&self) -> Pin<Box<Notified<'_>>> {
        let mut published = Box::pin(self.published.notified());
        published.as_mut().enable();
        self.waiting.store(true, Ordering::SeqCst);
        published
    }

    fn lock_ring(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding the lock cannot leave the ring inconsistent
        // (each operation is a push, a pop or a read), so a poisoned lock is
        // used as is.
        self.ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_180_000 + i64::from(second), 0).unwrap()
    }

    fn listed(hub: &Hub, since: Option<DateTime<Utc>>, limit: Option<usize>) -> Vec<u64> {
        let selection = hub.select(since, limit);
        let taken = hub.take(selection.start, selection.end, usize::MAX, |r| {
            since.is_none_or(|since| r.time >= since)
        });
        taken.records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn ring_keeps_the_newest_and_filters() {
        let hub = Hub::new(3, usize::MAX);
        for i in 0..5 {
            hub.publish(at(i), format!("{{\"n\":{i}}}\n").as_bytes());
        }
        assert_eq!(listed(&hub, None, None), [3, 4, 5]);
        assert_eq!(listed(&hub, None, Some(1)), [5]);
        assert_eq!(listed(&hub, Some(at(3)), None), [4, 5]);
        assert_eq!(listed(&hub, Some(at(9)), None), Vec::<u64>::new());
        assert_eq!(hub.len(), 3);
        assert_eq!(hub.newest(), 5);
    }

    #[test]
    fn ring_is_bounded_in_bytes() {
        let hub = Hub::new(1000, 100);
        for i in 0..20 {
            hub.publish(at(i), &[b'x'; 30]);
        }
        // Three records of 30 bytes fit in 100, a fourth does not.
        assert_eq!(listed(&hub, None, None), [18, 19, 20]);
        assert_eq!(hub.bytes(), 90);
        // A record larger than the bound is kept alone.
        hub.publish(at(21), &[b'y'; 500]);
        assert_eq!(listed(&hub, None, None), [21]);
        assert_eq!(hub.bytes(), 500);
    }

    #[test]
    fn take_skips_what_left_the_ring_and_respects_the_budget() {
        let hub = Hub::new(4, usize::MAX);
        for i in 0..10 {
            hub.publish(at(i), &[b'x'; 10]);
        }
        // Records 1 to 6 are gone.
        let taken = hub.take(2, 8, 15, |_| true);
        assert_eq!(taken.skipped, 5);
        assert_eq!(taken.records.iter().map(|r| r.seq).collect::<Vec<_>>(), [7, 8]);
        assert_eq!(taken.next, 9);
        let taken = hub.take(1, 3, 15, |_| true);
        assert_eq!((taken.skipped, taken.records.len(), taken.next), (3, 0, 7));
        // Nothing published yet past the newest.
        let taken = hub.take(11, u64::MAX, 15, |_| true);
        assert_eq!((taken.skipped, taken.records.len(), taken.next), (0, 0, 11));
    }

    #[test]
    fn followers_keep_a_backlog_beyond_a_small_buffer() {
        let hub = Hub::new(2, usize::MAX);
        hub.followers.fetch_add(1, Ordering::Relaxed);
        for i in 0..10 {
            hub.publish(at(i), b"{}\n");
        }
        assert_eq!(hub.take(1, u64::MAX, usize::MAX, |_| true).records.len(), 10);
        // GET /logs still lists only --buffer records.
        assert_eq!(listed(&hub, None, None), [9, 10]);
        assert_eq!(hub.len(), 2);
        hub.followers.fetch_sub(1, Ordering::Relaxed);
        hub.publish(at(10), b"{}\n");
        assert_eq!(hub.take(1, u64::MAX, usize::MAX, |_| true).records.len(), 2);
    }
}
