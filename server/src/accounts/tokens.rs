//! Access tokens: for devices and scripts that cannot sign in through a page (`tandem admin
//! token`). They live beside sessions and authenticate the same way; changing a password leaves
//! them alone, signing out with one revokes it, and they expire ([`DEFAULT_TOKEN_LIFETIME`]
//! unless `tandem admin token --expires-days` says otherwise). `tandem admin tokens` lists a
//! person's tokens by id (the start of the stored hash, never the secret) and `tandem admin
//! revoke-token` ends one.

use std::time::Duration;

use crate::storage::Db;

use super::{AccountError, Result, person, sessions};
use crate::storage::accounts::{self as db_accounts, NewSecret, SecretKind};

/// How long a token lasts when its maker does not say: a school term and some.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// How many hex digits of a token's hash are its listed id: enough to be unique among a
/// relay's tokens, short enough to type.
const TOKEN_ID_DIGITS: usize = 12;

/// Creates an access token for a person, valid for `lifetime_ms`; returns the secret, which is
/// shown once and never stored. The `tandem_` prefix tells a token from a session.
pub fn create_token(
    db: &Db,
    person_id: &str,
    label: Option<&str>,
    now_ms: i64,
    lifetime_ms: i64,
) -> Result<String> {
    person(db, person_id)?;
    let secret = format!("tandem_{}", sessions::new_secret());
    db_accounts::insert_secret(
        db,
        &NewSecret {
            hash: &sessions::secret_hash(&secret),
            person_id,
            kind: SecretKind::Token,
            label,
            created_ms: now_ms,
            expires_ms: Some(now_ms.saturating_add(lifetime_ms)),
        },
    )?;
    Ok(secret)
}

/// A token as `tandem admin tokens` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// What `tandem admin revoke-token --id` takes.
    pub id: String,
    pub label: Option<String>,
    pub created_ms: i64,
    /// `None` for a token made before tokens expired by default.
    pub expires_ms: Option<i64>,
}

/// A person's tokens, expired ones included (they are still rows until revoked), oldest first.
pub fn tokens_of(db: &Db, person_id: &str) -> Result<Vec<TokenInfo>> {
    person(db, person_id)?;
    Ok(db_accounts::tokens_of(db, person_id)?
        .into_iter()
        .map(|row| TokenInfo {
            id: row.hash[..TOKEN_ID_DIGITS.min(row.hash.len())].to_owned(),
            label: row.label,
            created_ms: row.created_ms,
            expires_ms: row.expires_ms,
        })
        .collect())
}

/// Revokes the token with this listed id; returns its hash, so a running relay can close the
/// sockets it opened.
pub fn revoke_token(db: &Db, id: &str) -> Result<String> {
    revoke(db, id, None)
}

/// Revokes one of `person_id`'s own tokens (`DELETE /api/me/tokens/{id}`): another person's
/// token is answered as one that does not exist.
pub fn revoke_own_token(db: &Db, person_id: &str, id: &str) -> Result<String> {
    revoke(db, id, Some(person_id))
}

fn revoke(db: &Db, id: &str, person_id: Option<&str>) -> Result<String> {
    if id.len() < TOKEN_ID_DIGITS || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AccountError::Invalid(format!(
            "{id:?} is not a token id; `tandem admin tokens --person EMAIL` lists them"
        )));
    }
    let mut hashes = db_accounts::token_hashes_with_prefix(db, &id.to_lowercase(), person_id)?;
    match hashes.len() {
        0 => Err(AccountError::NotFound(format!("there is no token {id:?}"))),
        1 => {
            let hash = hashes.remove(0);
            db_accounts::delete_secret(db, &hash)?;
            Ok(hash)
        }
        _ => Err(AccountError::Conflict(format!("{id:?} names more than one token; give more digits"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{add_person, authenticate};

    #[test]
    fn a_token_expires_after_its_lifetime_and_is_listed_until_revoked() {
        crate::storage::on_each_backend(|db| {
            let p = add_person(db, None, "t@b.example", "T", None).unwrap();
            let token = create_token(db, &p.id, Some("tablet"), 1_000, 500).unwrap();
            assert_eq!(authenticate(db, &token, 1_499).unwrap(), Some(p.id.clone()));
            assert_eq!(authenticate(db, &token, 1_500).unwrap(), None, "expired");

            let listed = tokens_of(db, &p.id).unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].label.as_deref(), Some("tablet"));
            assert_eq!(listed[0].expires_ms, Some(1_500));
            assert!(!token.contains(&listed[0].id), "the listed id is not part of the secret");

            let other = create_token(db, &p.id, None, 2_000, 10_000).unwrap();
            assert_eq!(authenticate(db, &other, 2_001).unwrap(), Some(p.id.clone()));
            revoke_token(db, &tokens_of(db, &p.id).unwrap()[1].id).unwrap();
            assert_eq!(authenticate(db, &other, 2_001).unwrap(), None, "revoked");
            assert_eq!(tokens_of(db, &p.id).unwrap().len(), 1);
            assert!(matches!(revoke_token(db, "0123456789ab"), Err(AccountError::NotFound(_))));
            assert!(matches!(revoke_token(db, "abc"), Err(AccountError::Invalid(_))));
        });
    }

    #[test]
    fn a_person_revokes_only_their_own_tokens() {
        crate::storage::on_each_backend(|db| {
            let ann = add_person(db, None, "ann@b.example", "Ann", None).unwrap();
            let bob = add_person(db, None, "bob@b.example", "Bob", None).unwrap();
            let bobs = create_token(db, &bob.id, None, 0, 10_000).unwrap();
            let id = tokens_of(db, &bob.id).unwrap().remove(0).id;
            assert!(matches!(revoke_own_token(db, &ann.id, &id), Err(AccountError::NotFound(_))));
            assert_eq!(authenticate(db, &bobs, 1).unwrap(), Some(bob.id.clone()), "still valid");
            revoke_own_token(db, &bob.id, &id).unwrap();
            assert_eq!(authenticate(db, &bobs, 1).unwrap(), None);
        });
    }
}
