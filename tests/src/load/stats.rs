//! Latency summaries: exact nearest-rank percentiles over every sample.
//!
//! A run has at most a few million samples, so keeping them all and sorting once is cheap and
//! exact; a histogram crate would only add approximation.

use std::time::Duration;

/// The shape of a set of durations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// Summarises samples given in microseconds (any order).
    pub fn of_micros(mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        let at = |p| Duration::from_micros(percentile(&samples, p).unwrap_or(0));
        Self { count: samples.len(), p50: at(50.0), p99: at(99.0), max: at(100.0) }
    }
}

/// The nearest-rank `p`th percentile (0 < p <= 100) of `sorted`: the smallest sample with at
/// least `p` percent of all samples at or below it. `None` when there are no samples.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_pick_actual_samples() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 99.5), Some(100));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 0.1), Some(1));
    }

    #[test]
    fn a_single_slow_sample_in_a_hundred_is_the_max_but_not_the_p99() {
        let mut samples = vec![1_000; 99];
        samples.push(2_000_000);
        let summary = Summary::of_micros(samples);
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50, Duration::from_millis(1));
        assert_eq!(summary.p99, Duration::from_millis(1));
        assert_eq!(summary.max, Duration::from_secs(2));
    }

    #[test]
    fn no_samples_have_no_percentiles() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(Summary::of_micros(Vec::new()), Summary::default());
    }
}
