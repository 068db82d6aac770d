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

/// The person with this email and their password hash (`None` without a password), to check a
/// sign-in against with [`passwords::matches`] once the throttle has counted the attempt, off
/// this connection's lock.
pub fn password_of_email(db: &Db, email: &str) -> Result<Option<(Person, Option<String>)>> {
    Ok(db_accounts::person_and_password_by_email(db, &email_key(email))?)
}

/// A person's email and password hash, for checking their current password.
pub fn password_of_person(db: &Db, person_id: &str) -> Result<(Person, Option<String>)> {
    let email = person(db, person_id)?.email;
    password_of_email(db, &email)?
        .ok_or_else(|| AccountError::NotFound(format!("there is no person {person_id:?}")))
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
    /// When it was last used, to within [`TOUCH_EVERY_MS`].
    pub last_used_ms: Option<i64>,
}

/// A session's last use is written at most this often, so a busy device does not write on
/// every request.
pub const TOUCH_EVERY_MS: i64 = 60_000;

impl Credential {
    /// Whether it has expired at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|end| end <= now_ms)
    }

    /// Whether a session has gone unused for `idle_ms` at `now_ms` (it then ends). Tokens do not
    /// idle out: they belong to devices and scripts that sync now and then, and expire instead.
    pub fn idle(&self, now_ms: i64, idle_ms: i64) -> bool {
        self.kind == SecretKind::Session
            && self.last_used_ms.is_some_and(|used| used.saturating_add(idle_ms) <= now_ms)
    }

    /// Whether its last use is old enough to be written again ([`touch`]).
    pub fn due_for_touch(&self, now_ms: i64) -> bool {
        self.last_used_ms.is_none_or(|used| now_ms - used >= TOUCH_EVERY_MS)
    }
}

/// Records that the session or token with `hash` was used at `now_ms`.
pub fn touch(db: &Db, hash: &str, now_ms: i64) -> Result<()> {
    Ok(db_accounts::touch_secret(db, hash, now_ms)?)
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
        last_used_ms: row.last_used_ms,
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
/// Access tokens stay: they are managed with `tandem admin`. Hashes here: for `tandem admin`; the
/// relay hashes on its [`passwords::Hasher`] and calls [`set_password_hash`].
pub fn set_password(db: &Db, person_id: &str, password: &str, keep: Option<&str>) -> Result<()> {
    passwords::check_password(password)?;
    person(db, person_id)?;
    set_password_hash(db, person_id, &passwords::hash_password(password), keep)
}

/// [`set_password`] with the new password already checked and hashed. `keep` is the secret of
/// the session to keep, if any.
pub fn set_password_hash(db: &Db, person_id: &str, hash: &str, keep: Option<&str>) -> Result<()> {
    person(db, person_id)?;
    db_accounts::set_password_hash(db, person_id, hash)?;
    Ok(db_accounts::delete_sessions_except(db, person_id, keep.map(secret_hash).as_deref())?)
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
    fn a_sessions_last_use_is_recorded_and_an_unused_one_idles_out() {
        crate::storage::on_each_backend(|db| {
            let p = add_person(db, None, "a@b.example", "A", None).unwrap();
            let secret = create_session(db, &p.id, 1_000, i64::MAX / 2).unwrap();
            let used = credential(db, &secret, 1_000).unwrap().unwrap();
            assert_eq!(used.last_used_ms, Some(1_000), "created counts as used");
            assert!(!used.due_for_touch(1_000 + TOUCH_EVERY_MS - 1));
            assert!(used.due_for_touch(1_000 + TOUCH_EVERY_MS));
            assert!(used.idle(11_000, 10_000) && !used.idle(10_999, 10_000));
            touch(db, &used.hash, 50_000).unwrap();
            let touched = credential(db, &secret, 50_000).unwrap().unwrap();
            assert_eq!(touched.last_used_ms, Some(50_000));
            assert!(!touched.idle(55_000, 10_000));
        });
    }

    #[test]
    fn setting_a_password_ends_the_persons_other_sessions_and_only_the_new_one_matches() {
        crate::storage::on_each_backend(|db| {
            let p = add_person(db, None, "a@b.example", "A", Some("first password")).unwrap();
            let mine = create_session(db, &p.id, 0, i64::MAX / 2).unwrap();
            let other = create_session(db, &p.id, 0, i64::MAX / 2).unwrap();
            set_password(db, &p.id, "second password", Some(&mine)).unwrap();
            assert!(authenticate(db, &mine, 1).unwrap().is_some());
            assert!(authenticate(db, &other, 1).unwrap().is_none());
            let stored = password_of_email(db, "A@b.example").unwrap().unwrap().1;
            assert!(passwords::matches("second password", stored.as_deref()));
            assert!(!passwords::matches("first password", stored.as_deref()));
        });
    }
}
