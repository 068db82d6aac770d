//! Access tokens: for devices and scripts that cannot sign in through a page (`tandem admin
//! token`). They live beside sessions and authenticate the same way, but signing out and
//! changing a password leave them alone, and they may never expire.

use rusqlite::Connection;

use super::{Result, person, sessions};
use crate::storage::accounts::{self as db_accounts, NewSecret, SecretKind};

/// Creates an access token for a person, valid for `lifetime_ms` or forever; returns the secret,
/// which is shown once and never stored. The `tandem_` prefix tells a token from a session.
pub fn create_token(
    db: &Connection,
    person_id: &str,
    label: Option<&str>,
    now_ms: i64,
    lifetime_ms: Option<i64>,
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
            expires_ms: lifetime_ms.map(|l| now_ms + l),
        },
    )?;
    Ok(secret)
}
