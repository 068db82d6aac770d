//! Our relay's own view of a run, from its Prometheus `/metrics`: how long it took from receiving
//! changes to having stored them and answered (`tandem_sync_latency_seconds`), set beside the
//! clients' edit-to-arrival latency, tells the relay's share from the clients' and the machine's;
//! on PostgreSQL, how many of other relays' announcements it heard (`tandem_announcements`).

use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A histogram's cumulative buckets: (upper bound in seconds, count at or below it).
pub type Buckets = Vec<(f64, u64)>;

/// What one relay's `/metrics` (or several relays' summed) said at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub latency: Buckets,
    pub announcements: u64,
}

impl Snapshot {
    pub fn of(text: &str) -> Self {
        Self {
            latency: buckets(text, "tandem_sync_latency_seconds"),
            announcements: counter(text, "tandem_announcements_total").unwrap_or(0),
        }
    }

    /// Two relays' snapshots as one: counts added, bucket by bucket.
    pub fn plus(&self, other: &Self) -> Self {
        let latency = self
            .latency
            .iter()
            .map(|&(bound, count)| {
                let theirs = other.latency.iter().find(|(b, _)| *b == bound).map_or(0, |(_, c)| *c);
                (bound, count + theirs)
            })
            .collect();
        Self { latency, announcements: self.announcements + other.announcements }
    }
}

/// The value of counter `name` (with its `_total` suffix) in a Prometheus text exposition.
pub fn counter(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        value.trim().parse::<f64>().ok().map(|value| value as u64)
    })
}

/// Fetches `/metrics` from the relay at `address` (`host:port`) with a bare HTTP/1.0 request.
pub async fn fetch(address: &str) -> anyhow::Result<String> {
    let mut stream =
        tokio::net::TcpStream::connect(address).await.context("cannot reach the relay's /metrics")?;
    stream.write_all(format!("GET /metrics HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body).context("no HTTP body")?;
    Ok(body.to_owned())
}

/// The cumulative buckets of histogram `name` in a Prometheus text exposition.
pub fn buckets(text: &str, name: &str) -> Buckets {
    let prefix = format!("{name}_bucket{{le=\"");
    let mut buckets: Buckets = text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (bound, count) = rest.split_once("\"}")?;
            let bound = if bound == "+Inf" { f64::INFINITY } else { bound.parse().ok()? };
            Some((bound, count.trim().parse().ok()?))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets
}

/// The upper bound of the bucket holding the `p`th percentile (None when empty, or when it lies
/// in the unbounded bucket).
pub fn percentile_bound(buckets: &Buckets, p: f64) -> Option<Duration> {
    let total = buckets.last()?.1;
    if total == 0 {
        return None;
    }
    let rank = (p / 100.0 * total as f64).ceil() as u64;
    let (bound, _) = buckets.iter().find(|(_, count)| *count >= rank)?;
    bound.is_finite().then(|| Duration::from_secs_f64(*bound))
}

/// Subtracts an earlier snapshot of the same histogram, leaving what happened in between.
pub fn since(after: &Buckets, before: &Buckets) -> Buckets {
    after
        .iter()
        .map(|&(bound, count)| {
            let earlier = before.iter().find(|(b, _)| *b == bound).map_or(0, |(_, c)| *c);
            (bound, count.saturating_sub(earlier))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE tandem_sync_latency_seconds histogram
tandem_sync_latency_seconds_sum 12.29
tandem_sync_latency_seconds_count 100
tandem_sync_latency_seconds_bucket{le=\"0.001\"} 60
tandem_sync_latency_seconds_bucket{le=\"0.002\"} 90
tandem_sync_latency_seconds_bucket{le=\"0.004\"} 99
tandem_sync_latency_seconds_bucket{le=\"+Inf\"} 100
tandem_messages_total{direction=\"in\"} 11504
tandem_announcements_total 42
";

    #[test]
    fn counters_are_read_by_their_whole_name() {
        assert_eq!(counter(TEXT, "tandem_announcements_total"), Some(42));
        assert_eq!(counter(TEXT, "tandem_announcements"), None, "a prefix of a name is not the name");
        assert_eq!(counter(TEXT, "tandem_messages_total"), None, "a labelled series is not the counter");
    }

    #[test]
    fn two_relays_snapshots_add_up_bucket_by_bucket() {
        let one = Snapshot::of(TEXT);
        assert_eq!(one.announcements, 42);
        let both = one.plus(&one);
        assert_eq!(both.announcements, 84);
        assert_eq!(both.latency, vec![(0.001, 120), (0.002, 180), (0.004, 198), (f64::INFINITY, 200)]);
    }

    #[test]
    fn percentiles_are_the_bounds_of_the_buckets_that_hold_them() {
        let buckets = buckets(TEXT, "tandem_sync_latency_seconds");
        assert_eq!(buckets.len(), 4);
        assert_eq!(percentile_bound(&buckets, 50.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile_bound(&buckets, 90.0), Some(Duration::from_millis(2)));
        assert_eq!(percentile_bound(&buckets, 99.0), Some(Duration::from_millis(4)));
        assert_eq!(percentile_bound(&buckets, 100.0), None, "the last sample is beyond every bound");
    }

    #[test]
    fn a_snapshot_taken_before_the_load_is_subtracted() {
        let after = buckets(TEXT, "tandem_sync_latency_seconds");
        let before = vec![(0.001, 60), (0.002, 60), (0.004, 60), (f64::INFINITY, 60)];
        let during = since(&after, &before);
        assert_eq!(during, vec![(0.001, 0), (0.002, 30), (0.004, 39), (f64::INFINITY, 40)]);
        assert_eq!(percentile_bound(&during, 50.0), Some(Duration::from_millis(2)));
        assert_eq!(percentile_bound(&[].to_vec(), 50.0), None);
    }
}
