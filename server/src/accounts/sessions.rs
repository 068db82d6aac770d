//! Signing in, sessions, and changing passwords.
//!
//! A session is 32 random bytes the client holds (in the cookie); the database keeps only their
//! SHA-256, so a copy of the database lets nobody sign in as anyone.

use crate::storage::Db;
use sha2::{Digest, Sha256};

use super::{AccountError, Person, Result, email_key, passwords, person};
pub use crate::storage::accounts::SecretKind;
use crate::storage::accounts::{self as db_accounts, NewSecret};

/// A session or access token as the client holds it: 32 random bytes in hex.
pub(super) fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of a secret, and what identifies a session or token everywhere else
/// in the relay (a live socket records it, signing out names it).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The person whose email and password these are, or `None`. Always runs one argon2
/// verification, so answers take as long whether or not the email exists.
pub fn check_sign_in(db: &Db, email: &str, password: &str) -> Result<Option<Person>> {
    let found = db_accounts::person_and_password_by_email(db, &email_key(email))?;
    let hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let matches =
        passwords::verify_password(password, hash.as_deref().unwrap_or_else(|| passwords::decoy_hash()));
    Ok(found.filter(|_| matches && hash.is_some()).map(|(person, _)| person))
}

/// Starts a session for a person; returns the secret for the cookie (only its hash is stored).
pub fn create_session(db: &Db, person_id: &str, now_ms: i64, lifetime_ms: i64) -> Result<String> {
    let secret = new_secret();
    db_accounts::insert_secret(
        db,
        &NewSecret {
            hash: &secret_hash(&secret),
            person_id,
            kind: SecretKind::Session,
            label: None,
            created_ms: now_ms,
            expires_ms: Some(now_ms + lifetime_ms),
        },
    )?;
    Ok(secret)
}

/// A session or token that is valid now: what a request or a socket was authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The person it belongs to.
    pub person: String,
    /// Its [`secret_hash`]: names this session or token without being it.
    pub hash: String,
    pub kind: SecretKind,
    /// When it ends by itself, `None` for a token made to never expire (before tokens expired
    /// by default).
    pub expires_ms: Option<i64>,
}

impl Credential {
    /// Whether it has expired at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|end| end <= now_ms)
    }
}

/// The session or token `secret` names, if it exists and has not expired.
pub fn credential(db: &Db, secret: &str, now_ms: i64) -> Result<Option<Credential>> {
    if secret.is_empty() || secret.len() > 200 {
        return Ok(None);
    }
    credential_by_hash(db, &secret_hash(secret), now_ms)
}

/// [`credential`] by the secret's hash: a live socket checks that what it was opened with still is.
pub fn credential_by_hash(db: &Db, hash: &str, now_ms: i64) -> Result<Option<Credential>> {
    Ok(db_accounts::secret_by_hash(db, hash, now_ms)?.map(|row| Credential {
        person: row.person_id,
        hash: hash.to_owned(),
        kind: row.kind,
        expires_ms: row.expires_ms,
    }))
}

/// The person a session or token belongs to, if it exists and has not expired.
pub fn authenticate(db: &Db, secret: &str, now_ms: i64) -> Result<Option<String>> {
    Ok(credential(db, secret, now_ms)?.map(|c| c.person))
}

/// Ends the session or token a request was made with (signing out; for a token, revoking it).
/// Ending an unknown one is not an error.
pub fn end_session(db: &Db, secret: &str) -> Result<()> {
    Ok(db_accounts::delete_secret(db, &secret_hash(secret))?)
}

/// Sets a new password and ends every session of the person except `keep` (the one that asked).
/// Access tokens stay: they are managed with `tandem admin`.
pub fn set_password(db: &Db, person_id: &str, password: &str, keep: Option<&str>) -> Result<()> {
    passwords::check_password(password)?;
    person(db, person_id)?;
    db_accounts::set_password_hash(db, person_id, &passwords::hash_password(password))?;
    Ok(db_accounts::delete_sessions_except(db, person_id, keep.map(secret_hash).as_deref())?)
}

/// Checks `current` before setting `new`: a stolen session alone cannot change the password.
pub fn change_password(db: &Db, person_id: &str, current: &str, new: &str, keep: &str) -> Result<()> {
    let email = person(db, person_id)?.email;
    if check_sign_in(db, &email, current)?.is_none() {
        return Err(AccountError::Forbidden("the current password is wrong".into()));
    }
    set_password(db, person_id, new, Some(keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::add_person;

    #[test]
    fn sessions_are_stored_hashed_and_expire() {
        crate::storage::on_each_backend(|db| {
            let p = add_person(db, None, "Ann@School.example", "Ann", Some("long enough pw")).unwrap();
            assert_eq!(p.email, "ann@school.example");
            let secret = create_session(db, &p.id, 1_000, 500).unwrap();
            let stored: String =
                db.query_opt("SELECT token_hash FROM sessions", &[], |r| r.get(0)).unwrap().unwrap();
            assert_ne!(stored, secret, "the secret itself is never stored");
            assert_eq!(authenticate(db, &secret, 1_400).unwrap(), Some(p.id.clone()));
            assert_eq!(authenticate(db, &secret, 1_500).unwrap(), None, "expired");
            assert_eq!(authenticate(db, "wrong", 1_000).unwrap(), None);
        });
    }

    #[test]
    fn changing_a_password_needs_the_current_one_and_ends_other_sessions() {
        crate::storage::on_each_backend(|db| {
            let p = add_person(db, None, "a@b.example", "A", Some("first password")).unwrap();
            let mine = create_session(db, &p.id, 0, i64::MAX / 2).unwrap();
            let other = create_session(db, &p.id, 0, i64::MAX / 2).unwrap();
            let error = change_password(db, &p.id, "not it at all", "second password", &mine).unwrap_err();
            assert!(matches!(error, AccountError::Forbidden(_)), "{error}");
            change_password(db, &p.id, "first password", "second password", &mine).unwrap();
            assert!(authenticate(db, &mine, 1).unwrap().is_some());
            assert!(authenticate(db, &other, 1).unwrap().is_none());
            assert!(check_sign_in(db, "a@b.example", "second password").unwrap().is_some());
            assert!(check_sign_in(db, "a@b.example", "first password").unwrap().is_none());
        });
    }
}
