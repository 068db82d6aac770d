//! Slowing down repeated failed sign-ins, per account and per client address.
//!
//! Each key (an email, an IP address) may fail a few times freely; after that every failure locks
//! the key for twice as long as the one before, up to a ceiling. While a key is locked, sign-in is
//! refused without even checking the password, so guessing costs time whether the guess is right
//! or wrong. A success clears the account's key (not the address's: one good account must not
//! reset an attacker's address). The clock is an argument, so tests need no sleeping.
//!
//! Kept in memory: a restart forgets it, which costs an attacker a restart they cannot cause.

use std::{collections::HashMap, sync::Mutex, time::Duration};

/// How forgiving sign-in is.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures per account before the first lock.
    pub free_failures_per_account: u32,
    /// Failures per client address before the first lock (a school shares one address).
    pub free_failures_per_address: u32,
    /// The first lock; each further failure doubles it.
    pub first_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            free_failures_per_account: 5,
            free_failures_per_address: 50,
            first_lock: Duration::from_secs(2),
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    failures: u32,
    locked_until_ms: i64,
    last_failure_ms: i64,
}

/// The keys a sign-in attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Account(String),
    Address(String),
}

#[derive(Debug, Default)]
pub struct Throttle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self { config, entries: Mutex::default() }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().expect("throttle mutex poisoned")
    }

    /// `Err(wait)` when any of `keys` is locked at `now_ms`.
    pub fn check(&self, keys: &[Key], now_ms: i64) -> Result<(), Duration> {
        let entries = self.entries();
        let until = keys.iter().filter_map(|k| entries.get(k)).map(|e| e.locked_until_ms).max().unwrap_or(0);
        if until > now_ms { Err(Duration::from_millis((until - now_ms) as u64)) } else { Ok(()) }
    }

    /// Counts a failed attempt under every key.
    pub fn failed(&self, keys: &[Key], now_ms: i64) {
        let mut entries = self.entries();
        let max_ms = self.config.max_lock.as_millis() as i64;
        if entries.len() > 100_000 {
            // Forget keys that have been quiet for longer than the longest lock.
            entries.retain(|_, e| now_ms - e.last_failure_ms < max_ms);
        }
        for key in keys {
            let free = match key {
                Key::Account(_) => self.config.free_failures_per_account,
                Key::Address(_) => self.config.free_failures_per_address,
            };
            let entry = entries.entry(key.clone()).or_default();
            entry.failures += 1;
            entry.last_failure_ms = now_ms;
            if entry.failures >= free {
                let doublings = (entry.failures - free).min(30);
                let lock =
                    (self.config.first_lock.as_millis() as i64).saturating_mul(1 << doublings).min(max_ms);
                entry.locked_until_ms = now_ms + lock;
            }
        }
    }

    /// Clears a key after a successful sign-in.
    pub fn succeeded(&self, key: &Key) {
        self.entries().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(ThrottleConfig {
            free_failures_per_account: 3,
            free_failures_per_address: 10,
            first_lock: Duration::from_secs(1),
            max_lock: Duration::from_secs(60),
        })
    }

    #[test]
    fn an_account_is_locked_after_its_free_failures_and_each_further_failure_doubles_the_lock() {
        let t = throttle();
        let keys = [Key::Account("a@x".into())];
        t.failed(&keys, 0);
        t.failed(&keys, 0);
        assert_eq!(t.check(&keys, 0), Ok(()));
        t.failed(&keys, 0);
        assert_eq!(t.check(&keys, 0), Err(Duration::from_secs(1)));
        assert_eq!(t.check(&keys, 1_000), Ok(()));
        t.failed(&keys, 1_000);
        assert_eq!(t.check(&keys, 1_000), Err(Duration::from_secs(2)));
        t.failed(&keys, 3_000);
        assert_eq!(t.check(&keys, 3_000), Err(Duration::from_secs(4)));
        for _ in 0..40 {
            t.failed(&keys, 10_000);
        }
        assert_eq!(t.check(&keys, 10_000), Err(Duration::from_secs(60)), "capped at the longest lock");
        t.succeeded(&keys[0]);
        assert_eq!(t.check(&keys, 10_000), Ok(()));
    }

    #[test]
    fn one_address_guessing_many_accounts_is_locked_too() {
        let t = throttle();
        let address = Key::Address("10.0.0.9".into());
        for i in 0..10 {
            t.failed(&[Key::Account(format!("user{i}@x")), address.clone()], 0);
        }
        assert!(t.check(&[Key::Account("fresh@x".into()), address.clone()], 0).is_err());
        assert_eq!(t.check(&[Key::Account("fresh@x".into()), Key::Address("10.0.0.8".into())], 0), Ok(()));
    }
}
