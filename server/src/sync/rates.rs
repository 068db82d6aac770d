//! Bytes per second each person may send over sync (`--max-sync-bytes-per-second`, with a burst
//! of `--sync-burst-bytes`): one token bucket per person, shared by all their sockets.
//!
//! Past it the relay reads their sockets more slowly rather than closing them: a frame that puts
//! the person in debt is held (on any of their sockets) until the budget has refilled to cover
//! it, and that socket is not read meanwhile, so the device's own TCP stack holds the rest
//! (backpressure). Nothing is lost and nothing has to be sent twice, as it would after an error
//! and a reconnect, and whatever one person sends on however many sockets, the relay takes in at
//! most that much per second for them. A frame larger than the burst is taken whole (frames are
//! bounded by `--max-frame-mib`) once the debt it makes is paid.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// The default budget: far above a person typing on two devices, or a tablet syncing a
/// morning's observations back (a few MB), so only a flood is slowed.
pub const DEFAULT_BYTES_PER_SECOND: u64 = 1024 * 1024;
/// The default burst: one large first sync of a document goes through at once.
pub const DEFAULT_BURST_BYTES: u64 = 32 * 1024 * 1024;

/// How fast one person may send, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub bytes_per_second: u64,
    pub burst_bytes: u64,
}

impl Default for Rate {
    fn default() -> Self {
        Self { bytes_per_second: DEFAULT_BYTES_PER_SECOND, burst_bytes: DEFAULT_BURST_BYTES }
    }
}

/// One person's bucket: `tokens` bytes may be sent now; below zero, the person is in debt.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Every person's bucket, shared by every socket of this relay.
#[derive(Debug, Clone, Default)]
pub struct SyncRates(Arc<Mutex<HashMap<String, Bucket>>>);

impl SyncRates {
    /// Counts `bytes` just read from one of `person`'s sockets at `now`; how long to wait before
    /// reading that socket again (zero while the person is within their budget).
    pub fn take(&self, person: &str, bytes: usize, rate: Rate, now: Instant) -> Duration {
        let per_second = rate.bytes_per_second.max(1) as f64;
        let burst = rate.burst_bytes as f64;
        let mut buckets = self.0.lock().expect("sync rates mutex poisoned");
        let bucket = buckets.entry(person.to_owned()).or_insert(Bucket { tokens: burst, at: now });
        let refilled = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refilled).min(burst) - bytes as f64;
        bucket.at = now;
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate { bytes_per_second: 1_000, burst_bytes: 4_000 };

    #[test]
    fn a_person_within_the_burst_never_waits_and_past_it_waits_for_what_they_owe() {
        let rates = SyncRates::default();
        let start = Instant::now();
        for _ in 0..4 {
            assert_eq!(rates.take("ann", 1_000, RATE, start), Duration::ZERO);
        }
        assert_eq!(rates.take("ann", 2_000, RATE, start), Duration::from_secs(2), "2,000 bytes in debt");
        // Two seconds later the debt is paid, and what refills after that is hers again.
        assert_eq!(rates.take("ann", 0, RATE, start + Duration::from_secs(2)), Duration::ZERO);
        assert_eq!(rates.take("ann", 1_000, RATE, start + Duration::from_secs(3)), Duration::ZERO);
    }

    #[test]
    fn the_budget_is_per_person_and_refills_only_up_to_the_burst() {
        let rates = SyncRates::default();
        let start = Instant::now();
        assert_eq!(rates.take("ann", 5_000, RATE, start), Duration::from_secs(1));
        assert_eq!(rates.take("bob", 4_000, RATE, start), Duration::ZERO, "Bob is not counted against Ann");
        // An hour idle refills Ann's bucket to the burst, no more.
        let later = start + Duration::from_secs(3_600);
        assert_eq!(rates.take("ann", 4_000, RATE, later), Duration::ZERO);
        assert_eq!(rates.take("ann", 1_000, RATE, later), Duration::from_secs(1));
    }
}
