//! Password hashing: argon2id with a random salt, and the rule for how long a password must be.

use super::{AccountError, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub(super) fn check_password(password: &str) -> Result<()> {
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

/// A hash no password matches, verified when an email is unknown so that an unknown email takes
/// as long to refuse as a wrong password (nobody learns which emails have accounts by timing).
pub(super) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&format!("{:032x}", rand::random::<u128>())))
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
    }
}
