//! Password hashing: argon2id with a random salt, the rule for how long a password must be, and
//! [`Hasher`], which runs hashes on the blocking pool, a bounded number at a time, holding no lock.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{AccountError, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=1024).contains(&chars) {
        return Err(AccountError::Invalid(format!(
            "a password must have at least {MIN_PASSWORD_CHARS} characters (and at most 1024)"
        )));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (the PHC string keeps the parameters, so
/// stronger defaults later still verify older hashes). Slow on purpose: call it off the runtime.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes make a valid salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Checks a password against a person's stored hash, or, when there is none (an unknown email,
/// a person without a password), against a decoy that nothing matches: either way one argon2
/// verification, so nobody learns by timing which emails have accounts.
pub fn matches(password: &str, stored: Option<&str>) -> bool {
    let matched = verify_password(password, stored.unwrap_or_else(|| decoy_hash()));
    matched && stored.is_some()
}

/// A hash no password matches, verified when an email is unknown so that an unknown email takes
/// as long to refuse as a wrong password (nobody learns which emails have accounts by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&format!("{:032x}", rand::random::<u128>())))
}

/// Where the relay hashes and verifies passwords: on the blocking pool, never under the accounts
/// database's lock (so nobody else's request waits behind a sign-in), and on all cores but one at
/// most, one run per core (each argon2 run holds 19 MiB and a core for tens of milliseconds: a
/// burst of sign-ins must neither multiply the memory nor leave syncing no core to run on).
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self { permits: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))) }
    }
}

impl Hasher {
    /// [`matches`], off the async runtime.
    pub async fn matches(&self, password: String, stored: Option<String>) -> bool {
        let _permit = self.permits.acquire().await.expect("the hasher's semaphore is never closed");
        tokio::task::spawn_blocking(move || matches(&password, stored.as_deref()))
            .await
            .expect("argon2 verification does not panic")
    }

    /// [`hash_password`], off the async runtime.
    pub async fn hash(&self, password: String) -> String {
        let _permit = self.permits.acquire().await.expect("the hasher's semaphore is never closed");
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .expect("argon2 hashing does not panic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_argon2id_hash_and_nothing_else_does() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(matches("correct horse battery", Some(&hash)));
        assert!(!matches("correct horse battery", None), "no stored hash matches nothing");
    }
}
