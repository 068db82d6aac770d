//! How long a runtime waits before trying again: reconnecting to a peer, retrying a failed store.
//!
//! Exponential and capped: attempt `n` (0 for the first retry) waits up to `first_ms * 2^n`, never
//! more than `max_ms`. Reconnects add "equal jitter" ([`Backoff::delay_ms`]): half the ceiling is
//! fixed, the other half is drawn at random, so a school's worth of devices that lost the network
//! together do not all knock on the relay at the same moment when it returns, yet none retries
//! sooner than half its ceiling. The crate has no randomness of its own: the runtime draws the
//! number (`js_sys::Math::random()` in the browser, `rand` natively) and passes it in.

/// The waits of one kind of retry. Runtimes keep the attempt count; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retry waits up to this long.
    pub first_ms: u32,
    /// No retry waits longer than this.
    pub max_ms: u32,
}

impl Backoff {
    pub const fn new(first_ms: u32, max_ms: u32) -> Self {
        Backoff { first_ms, max_ms }
    }

    /// The longest wait before retry number `attempt` (0 = the first): `first_ms * 2^attempt`,
    /// capped at `max_ms`. Without jitter, for retries that only one party makes (a relay's
    /// store).
    pub fn ceiling_ms(&self, attempt: u32) -> u32 {
        let grown = u64::from(self.first_ms) << attempt.min(32);
        grown.min(u64::from(self.max_ms)) as u32
    }

    /// The wait before retry number `attempt` with equal jitter: half of [`Backoff::ceiling_ms`]
    /// fixed, plus `random` (in `[0, 1)`; clamped, and NaN counts as 0) times the other half, so
    /// a bad random source can never make a runtime retry in a tight loop.
    pub fn delay_ms(&self, attempt: u32, random: f64) -> u32 {
        let ceiling = f64::from(self.ceiling_ms(attempt));
        let random = if random.is_nan() { 0.0 } else { random.clamp(0.0, 1.0) };
        (ceiling / 2.0 + ceiling / 2.0 * random) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn reconnect_delays_grow_exponentially_with_jitter_and_a_ceiling() {
        let browser = Backoff::new(1_000, 30_000);
        assert_eq!(browser.delay_ms(0, 0.0), 500);
        assert_eq!(browser.delay_ms(0, 0.999_999), 999);
        assert_eq!(browser.delay_ms(3, 0.0), 4_000);
        assert_eq!(browser.delay_ms(30, 0.0), 15_000);
        assert_eq!(browser.delay_ms(30, 1.0), 30_000);
        let spread: Vec<u32> = [0.1, 0.5, 0.9].iter().map(|r| browser.delay_ms(4, *r)).collect();
        assert!(spread.windows(2).all(|w| w[0] < w[1]), "jitter spreads retries: {spread:?}");
    }

    #[test]
    fn the_ceiling_doubles_per_attempt_up_to_the_maximum_and_never_overflows() {
        let store = Backoff::new(100, 10_000);
        let ceilings: Vec<u32> = (0..9).map(|attempt| store.ceiling_ms(attempt)).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
        assert_eq!(store.ceiling_ms(u32::MAX), 10_000);
        assert_eq!(Backoff::new(u32::MAX, u32::MAX).delay_ms(u32::MAX, 1.0), u32::MAX);
    }

    #[test]
    fn randomness_outside_zero_to_one_is_clamped_rather_than_trusted() {
        let backoff = Backoff::new(1_000, 30_000);
        assert_eq!(backoff.delay_ms(0, -3.0), 500);
        assert_eq!(backoff.delay_ms(0, 7.0), 1_000);
        assert_eq!(backoff.delay_ms(0, f64::NAN), 500);
    }
}
