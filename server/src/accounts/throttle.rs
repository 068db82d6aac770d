//! Slowing down password guessing: every password check (signing in, the current password of a
//! password change, an existing account's password when taking an invitation) is throttled here.
//!
//! An attempt is counted *before* its password is checked, in one transaction with the decision
//! to let it through: of 40 parallel guesses, only those within the free attempts are checked and
//! the rest are answered "try again in N seconds" (429 with `Retry-After`) without any argon2
//! work. A successful check gives its attempt back.
//!
//! Attempts are counted under three keys ([`keys`]), each with its own [`Rule`]:
//! - the account *from this address*: a few free attempts, then delays that double up to a
//!   quarter of an hour. Someone guessing at an account slows down only themselves: the account's
//!   owner, from another address, is not locked out;
//! - the address, across accounts: generous (a school's devices may share one address), then the
//!   same doubling delays; this stops one address trying one password on every account;
//! - the account, across addresses: the guard against guesses spread over many addresses, with a
//!   short ceiling, so the worst it does to the owner is a wait of a minute (a soft delay, never a
//!   lock).
//!
//! While any key's delay runs, an attempt is refused and not counted. A key quiet for
//! [`ThrottleConfig::forget_after`] starts over. Counts are rows in the database
//! ([`crate::storage::accounts`]), so restarting the relay does not reset them, and relays side by
//! side on one database share them. Keys are stored as SHA-256 digests: what people type into the
//! email field (a password, sometimes) is never stored.
//!
//! The clock is an argument, so tests need no sleeping.

use std::{net::IpAddr, time::Duration};

use sha2::{Digest, Sha256};

use crate::storage::{Db, DbError, DbResult, accounts as db_accounts};

/// How many free attempts a key has and how long it waits after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Attempts before the first delay.
    pub free: u32,
    /// The delay after the last free attempt; each further attempt doubles it.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Rule {
    /// How long a key waits after its `attempts`-th attempt.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        if attempts < self.free {
            return Duration::ZERO;
        }
        let doublings = (attempts - self.free).min(30);
        self.first_delay.saturating_mul(1 << doublings).min(self.max_delay)
    }
}

/// How forgiving password checks are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// One account from one address.
    pub per_source: Rule,
    /// One address, across accounts (a school shares one address).
    pub per_address: Rule,
    /// One account, across addresses: a short ceiling, so its owner is only ever delayed.
    pub per_account: Rule,
    /// A key with no attempt for this long starts over.
    pub forget_after: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self {
            per_source: Rule { free: 5, first_delay: Duration::from_secs(2), max_delay: minutes(15) },
            per_address: Rule { free: 50, first_delay: Duration::from_secs(2), max_delay: minutes(15) },
            per_account: Rule { free: 20, first_delay: Duration::from_secs(1), max_delay: minutes(1) },
            forget_after: minutes(24 * 60),
        }
    }
}

/// One counter an attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// An account (its normalised email) from an address.
    Source {
        account: String,
        address: String,
    },
    Address(String),
    Account(String),
}

impl Key {
    fn rule(&self, config: &ThrottleConfig) -> Rule {
        match self {
            Key::Source { .. } => config.per_source,
            Key::Address(_) => config.per_address,
            Key::Account(_) => config.per_account,
        }
    }

    /// What the database keeps: a digest, never the email or address itself.
    fn stored(&self) -> String {
        let text = match self {
            Key::Source { account, address } => format!("source\n{account}\n{address}"),
            Key::Address(address) => format!("address\n{address}"),
            Key::Account(account) => format!("account\n{account}"),
        };
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// The keys of a password check for the account `email` from `address` (as
/// [`crate::client_addr::ClientAddr`] gives it). IPv6 addresses count by their /64: one device
/// usually holds a whole /64, so counting single addresses would give it billions of budgets.
pub fn keys(email: &str, address: &str) -> [Key; 3] {
    let account = email.trim().to_lowercase();
    let address = match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_owned(),
    };
    [
        Key::Source { account: account.clone(), address: address.clone() },
        Key::Address(address),
        Key::Account(account),
    ]
}

/// A counted attempt whose password may now be checked. Dropping it keeps it counted (a wrong
/// password); [`Attempt::succeeded`] gives it back.
#[derive(Debug)]
#[must_use = "an attempt is counted as failed unless told it succeeded"]
pub struct Attempt {
    keys: [Key; 3],
}

/// Counts an attempt under `keys` at `now_ms`, or, while any of them waits, refuses it (not
/// counted) with how long is left. One transaction: attempts counted concurrently (in this relay
/// or another on the same database) each see the ones before.
pub fn attempt(
    db: &Db,
    config: &ThrottleConfig,
    keys: [Key; 3],
    now_ms: i64,
) -> DbResult<Result<Attempt, Duration>> {
    let forget_before = now_ms.saturating_sub(config.forget_after.as_millis() as i64);
    db.atomically(|db| {
        for key in &keys {
            let stored = key.stored();
            match db_accounts::count_attempt(db, &stored, now_ms, forget_before)? {
                Some(attempts) => {
                    let delay = key.rule(config).delay_after(attempts);
                    if !delay.is_zero() {
                        db_accounts::delay_attempts(db, &stored, now_ms + delay.as_millis() as i64)?;
                    }
                }
                None => {
                    let until = db_accounts::attempts_delayed_until(db, &stored)?.unwrap_or(now_ms);
                    let wait = Duration::from_millis(until.saturating_sub(now_ms).max(1) as u64);
                    // Rolls back what the keys before this one counted.
                    return Err(Refused(wait));
                }
            }
        }
        Ok(())
    })
    .map(|()| Ok(Attempt { keys }))
    .or_else(|error| match error {
        Refused(wait) => Ok(Err(wait)),
        Database(error) => Err(error),
    })
}

/// Why [`attempt`]'s transaction ended early.
enum AttemptError {
    Refused(Duration),
    Database(DbError),
}
use AttemptError::{Database, Refused};

impl From<DbError> for AttemptError {
    fn from(error: DbError) -> Self {
        Database(error)
    }
}

impl Attempt {
    /// The password was right: the account from this address starts over, and the address and
    /// the account get this attempt back (a success elsewhere must not reset what an attacker
    /// has spent on them).
    pub fn succeeded(self, db: &Db, config: &ThrottleConfig) -> DbResult<()> {
        let [source, address, account] = &self.keys;
        db_accounts::forget_attempts(db, &source.stored())?;
        for key in [address, account] {
            db_accounts::give_back_attempt(db, &key.stored(), key.rule(config).free)?;
        }
        Ok(())
    }
}

/// Drops keys with no attempt since `forget_after` before `now_ms`, so guessed emails do not
/// pile up.
pub fn forget_quiet(db: &Db, config: &ThrottleConfig, now_ms: i64) -> DbResult<usize> {
    db_accounts::forget_attempts_before(db, now_ms.saturating_sub(config.forget_after.as_millis() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        let s = Duration::from_secs;
        ThrottleConfig {
            per_source: Rule { free: 3, first_delay: s(1), max_delay: s(60) },
            per_address: Rule { free: 10, first_delay: s(1), max_delay: s(60) },
            per_account: Rule { free: 6, first_delay: s(1), max_delay: s(5) },
            forget_after: s(3600),
        }
    }

    /// Counts a failed attempt; `Err(wait)` when refused.
    fn fail(db: &Db, email: &str, address: &str, now: i64) -> Result<(), Duration> {
        attempt(db, &config(), keys(email, address), now).unwrap().map(drop)
    }

    #[test]
    fn a_source_waits_after_its_free_attempts_and_each_further_attempt_doubles_the_wait() {
        crate::storage::on_each_backend(|db| {
            for _ in 0..3 {
                assert_eq!(fail(db, "a@x", "10.0.0.1", 0), Ok(()));
            }
            assert_eq!(fail(db, "a@x", "10.0.0.1", 0), Err(Duration::from_secs(1)), "refused, not counted");
            assert_eq!(fail(db, "a@x", "10.0.0.1", 999), Err(Duration::from_millis(1)));
            assert_eq!(fail(db, "a@x", "10.0.0.1", 1_000), Ok(()));
            assert_eq!(fail(db, "a@x", "10.0.0.1", 1_000), Err(Duration::from_secs(2)));
            assert_eq!(fail(db, "a@x", "10.0.0.1", 3_000), Ok(()));
            assert_eq!(fail(db, "a@x", "10.0.0.1", 3_000), Err(Duration::from_secs(4)));
            assert_eq!(
                Rule { free: 1, first_delay: Duration::from_secs(1), max_delay: Duration::from_secs(60) }
                    .delay_after(40),
                Duration::from_secs(60),
                "capped"
            );
        });
    }

    #[test]
    fn the_owner_from_another_address_is_not_locked_out_by_a_guesser() {
        crate::storage::on_each_backend(|db| {
            for _ in 0..3 {
                fail(db, "a@x", "10.0.0.1", 0).unwrap();
            }
            assert!(fail(db, "a@x", "10.0.0.1", 0).is_err());
            let owner = attempt(db, &config(), keys("a@x", "10.0.0.2"), 0).unwrap().expect("not delayed");
            owner.succeeded(db, &config()).unwrap();
            assert!(fail(db, "a@x", "10.0.0.1", 0).is_err(), "the guesser's wait is not reset by the owner");
        });
    }

    #[test]
    fn guesses_spread_over_many_addresses_delay_the_account_only_briefly() {
        crate::storage::on_each_backend(|db| {
            for i in 0..6 {
                fail(db, "a@x", &format!("10.0.1.{i}"), 0).unwrap();
            }
            let wait = fail(db, "a@x", "10.0.2.1", 0).unwrap_err();
            assert_eq!(wait, Duration::from_secs(1));
            for t in 1..20 {
                let _ = fail(db, "a@x", &format!("10.0.3.{t}"), t * 10_000);
            }
            let wait = fail(db, "a@x", "10.0.4.1", 190_000).unwrap_err();
            assert!(wait <= Duration::from_secs(5), "at most the account's short ceiling: {wait:?}");
            assert_eq!(fail(db, "b@x", "10.0.2.1", 0), Ok(()), "other accounts are not delayed");
        });
    }

    #[test]
    fn one_address_guessing_many_accounts_waits_too() {
        crate::storage::on_each_backend(|db| {
            for i in 0..10 {
                fail(db, &format!("user{i}@x"), "10.0.0.9", 0).unwrap();
            }
            assert!(fail(db, "fresh@x", "10.0.0.9", 0).is_err());
            assert_eq!(fail(db, "fresh@x", "10.0.0.8", 0), Ok(()));
        });
    }

    #[test]
    fn a_refused_attempt_counts_under_no_key() {
        crate::storage::on_each_backend(|db| {
            for i in 0..10 {
                fail(db, &format!("user{i}@x"), "10.0.0.9", 0).unwrap();
            }
            for _ in 0..20 {
                assert!(fail(db, "victim@x", "10.0.0.9", 0).is_err());
            }
            for _ in 0..3 {
                assert_eq!(fail(db, "victim@x", "10.0.0.1", 0), Ok(()), "the refused ones counted nothing");
            }
        });
    }

    #[test]
    fn a_success_gives_its_attempt_back_and_quiet_keys_are_forgotten() {
        crate::storage::on_each_backend(|db| {
            for _ in 0..2 {
                fail(db, "a@x", "10.0.0.1", 0).unwrap();
            }
            for _ in 0..10 {
                attempt(db, &config(), keys("a@x", "10.0.0.1"), 0)
                    .unwrap()
                    .unwrap()
                    .succeeded(db, &config())
                    .unwrap();
            }
            for _ in 0..3 {
                assert_eq!(fail(db, "a@x", "10.0.0.1", 0), Ok(()));
            }
            assert!(fail(db, "a@x", "10.0.0.1", 0).is_err());
            assert_eq!(fail(db, "a@x", "10.0.0.1", 3_600_000), Ok(()), "an hour's quiet starts over");
            assert_eq!(forget_quiet(db, &config(), 3_600_000 * 3).unwrap(), 3);
        });
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        assert_eq!(keys("a@x", "2001:db8:1:2:3:4:5:6")[1], Key::Address("2001:db8:1:2::/64".into()));
        assert_eq!(keys("A@X ", "192.0.2.1")[2], Key::Account("a@x".into()));
    }
}
