//! People, programs, cohorts, mentoring pairs and roles; passwords, sessions and access tokens.
//!
//! Everything here is plain functions over a [`crate::storage::Db`] (either backend), so the HTTP API
//! ([`crate::api`]), `tandem admin` and the demo loader share one set of rules. The rules live
//! here; the statements live in [`crate::storage::accounts`]. Secrets are never stored: passwords
//! as argon2id hashes, session and access tokens as their SHA-256.
//!
//! - [`people`]: adding and finding people;
//! - [`programs`]: programs, who is what in them ([`Role`]), and their cohorts;
//! - [`pairs`]: a mentor and an associate ([`Pair`]); either seat may be empty (someone left);
//! - [`sessions`]: signing in, sessions, changing passwords; [`tokens`]: access tokens from
//!   `tandem admin token`, for devices and scripts that cannot sign in through a page. Both share
//!   one table: a session comes from signing in, a token from `tandem admin`; both expire, and
//!   signing out with either ends it;
//! - [`invitations`]: one-time sign-up links, the only way to enrol someone who exists;
//! - [`passwords`]: argon2id hashing, on the blocking pool and never under the database's lock;
//! - [`throttle`]: slowing down password guessing, counted in the database.
//!
//! The records themselves ([`Person`], [`Membership`], [`Cohort`], [`Pair`], [`Role`]) are the
//! API's types from `tandem-api`, so what the relay stores is what it answers.

pub mod invitations;
pub mod pairs;
pub mod passwords;
pub mod people;
pub mod programs;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use pairs::{Seat, add_pair, pair, pairs_of_person, pairs_of_program, set_pair_seat};
pub use passwords::{Hasher, check_password, hash_password, verify_password};
pub use people::{add_person, add_person_with_hash, find_person_by_email, person, person_by_id_or_email};
pub use programs::{
    add_cohort, cohorts_of, colleagues_of, create_program, members_of, memberships_of, program_exists,
    program_name, remove_membership, role_in, set_membership,
};
pub use sessions::{
    Credential, SecretKind, authenticate, create_session, credential, credential_by_hash, end_session,
    password_of_email, password_of_person, secret_hash, set_password, set_password_hash, touch,
};
pub use tandem_api::{Cohort, Colleague, Membership, Pair, Person, Role};
pub use tokens::{
    DEFAULT_TOKEN_LIFETIME, TokenInfo, create_token, revoke_own_token, revoke_token, tokens_of,
};

use rand::Rng;

/// Why an account operation did not happen. Each maps to one HTTP status in the API.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The request names something that does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what exists (409).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed or breaks a rule (400).
    #[error("{0}")]
    Invalid(String),
    /// The person may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// What the request names is gone or never was (410): a purged document, an invitation
    /// link the relay does not know.
    #[error("{0}")]
    Gone(String),
    /// The person did this too often lately (429, with when to try again): new documents.
    #[error("{message}")]
    TooMany { message: String, retry_after: std::time::Duration },
    /// An invitation link that can no longer be taken, and why (410, the reason in the body).
    #[error("{}", invitation_closed(*.0))]
    InvitationClosed(tandem_api::InvitationClosed),
    #[error("database error: {0}")]
    Database(#[from] crate::storage::DbError),
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// What the holder of an invitation link that can no longer be taken is told.
fn invitation_closed(why: tandem_api::InvitationClosed) -> &'static str {
    match why {
        tandem_api::InvitationClosed::Used => {
            "this invitation was already used; if it was you who joined, sign in with your email and password"
        }
        tandem_api::InvitationClosed::Expired => {
            "this invitation has expired; ask your coordinator for a new one"
        }
        tandem_api::InvitationClosed::Withdrawn => {
            "this invitation was withdrawn by your coordinator; ask them for a new one"
        }
    }
}

/// A fresh id such as `u-3f9a0c1e2b7d`, for records whose creator did not name them.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:012x}", rand::rng().random::<u64>() & 0xffff_ffff_ffff)
}

/// Ids appear in URLs, document audiences and `tandem-core`'s `UserId`s: kept short and plain.
fn check_id(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "{what} id {id:?} is not valid; use up to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(AccountError::Invalid("a name must have 1 to 200 characters".into()));
    }
    Ok(())
}

/// Emails are stored and compared trimmed and in lowercase.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}
