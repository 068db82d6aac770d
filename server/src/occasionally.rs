//! Log lines for conditions that repeat many times a second (a full disk, connections refused at
//! the cap): the first occurrence is logged, then at most one line per interval saying how many
//! more there were, so a log stays readable and its disk is not filled by the log itself.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// One condition's log line, at most once per `every`.
#[derive(Debug)]
pub struct Occasionally {
    every: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    last: Option<Instant>,
    /// Occurrences since the last line that was logged.
    unlogged: u64,
}

impl Occasionally {
    pub const fn new(every: Duration) -> Self {
        Self { every, state: Mutex::new(State { last: None, unlogged: 0 }) }
    }

    /// Counts one occurrence at `now`. `Some(n)` means: log a line now; `n` more occurrences went
    /// unlogged since the previous line.
    pub fn at(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().expect("log limiter poisoned");
        match state.last {
            Some(last) if now.duration_since(last) < self.every => {
                state.unlogged += 1;
                None
            }
            _ => {
                state.last = Some(now);
                Some(std::mem::take(&mut state.unlogged))
            }
        }
    }

    /// [`Occasionally::at`] now.
    pub fn now(&self) -> Option<u64> {
        self.at(Instant::now())
    }

    /// Forgets the last line, so the condition's next occurrence is logged at once (it ended,
    /// and when it comes back that is news).
    pub fn reset(&self) {
        *self.state.lock().expect("log limiter poisoned") = State::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_repeating_all_the_time_is_logged_once_per_interval_with_the_count_in_between() {
        let log = Occasionally::new(Duration::from_secs(10));
        let start = Instant::now();
        let lines: Vec<(u64, u64)> = (0..3_000)
            .filter_map(|ms| log.at(start + Duration::from_millis(ms * 10)).map(|n| (ms * 10, n)))
            .collect();
        // 30 s of an occurrence every 10 ms: lines at 0, 10 and 20 s, each after 999 unlogged.
        assert_eq!(lines, [(0, 0), (10_000, 999), (20_000, 999)]);
        log.reset();
        assert_eq!(log.at(start + Duration::from_millis(30_001)), Some(0));
    }
}
