//! The relay's one clock for what it records: session expiry, sign-in throttling, claim times.
//!
//! Every part of the relay that stamps or compares such a time asks the [`Clock`] in
//! [`crate::AppState`] (or the one `tandem admin` makes), so a test can drive time by giving the
//! relay a clock of its own. The sync engine's timers are a different thing: they measure
//! intervals with a monotonic `Instant`, because a wall clock can step back.

use std::sync::Arc;

/// Milliseconds since the Unix epoch, from wherever the clock was told to read them.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Clock::from_fn(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default()
        })
    }

    /// A clock that reads `now`, for tests that drive time.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now_ms()).finish()
    }
}
