//! Whether the relay can write: a disk that filled up makes every write fail at once, for every
//! device, until someone frees space. The writer thread records it here; `/healthz` reports it
//! (so a monitor sees it), the API answers 507 and sync devices are told, and the log says so
//! once a minute rather than once per refused write.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::occasionally::Occasionally;

/// The writer's view of the disk.
#[derive(Debug)]
pub struct WriteHealth {
    /// When writes began failing for want of space; `None` while they succeed.
    full_since: Mutex<Option<Instant>>,
    log: Occasionally,
}

impl Default for WriteHealth {
    fn default() -> Self {
        Self { full_since: Mutex::new(None), log: Occasionally::new(Duration::from_secs(60)) }
    }
}

impl WriteHealth {
    /// A write failed for want of space.
    pub fn refused(&self) {
        let since = *self.full_since.lock().expect("write health poisoned").get_or_insert_with(Instant::now);
        if let Some(unlogged) = self.log.now() {
            tracing::error!(
                full_for_secs = since.elapsed().as_secs(),
                refused_since_last_line = unlogged,
                "the disk holding the database is full: changes are refused and devices keep them until \
                 they can be stored; free some space, and the relay writes again by itself"
            );
        }
    }

    /// A write succeeded.
    pub fn wrote(&self) {
        if let Some(since) = self.full_since.lock().expect("write health poisoned").take() {
            self.log.reset();
            tracing::info!(after_secs = since.elapsed().as_secs(), "the relay can write again");
        }
    }

    pub fn is_full(&self) -> bool {
        self.full_since.lock().expect("write health poisoned").is_some()
    }

    /// How long writes have been failing for want of space, if they are.
    pub fn full_for(&self) -> Option<Duration> {
        self.full_since.lock().expect("write health poisoned").map(|since| since.elapsed())
    }
}
