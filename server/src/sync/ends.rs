//! Sessions and tokens that end while a socket they opened is live.
//!
//! Every `/sync` connection records the [`Credential`] it was opened with. What ends one in this
//! process (signing out, a password change, a coordinator removing someone from a program) is
//! announced on [`SessionEnds`], and each socket closes at once when the announcement is about
//! it. What this process does not see (a `tandem admin` command run beside it, the end of a
//! lifetime) each socket finds on its own: it checks its expiry at every frame and asks the
//! database again at every keep-alive tick.

use tokio::sync::broadcast;

use crate::accounts::{Credential, SecretKind};

/// Announcements queued for a slow socket before it misses some; a socket that missed any
/// asks the database instead.
const BACKLOG: usize = 256;

/// What ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The session or token with this hash (signed out, revoked).
    Secret(String),
    /// Every session of a person but the one with the hash `except` (the password changed);
    /// their tokens stay.
    SessionsOf { person: String, except: Option<String> },
    /// A person's access changed (removed from a program): their sockets close so their
    /// devices reconnect and sync only what they may still see.
    AccessOf { person: String },
}

impl Ended {
    /// Why a socket opened with `credential` closes, if this is about it.
    pub fn closes(&self, credential: &Credential) -> Option<&'static str> {
        match self {
            Ended::Secret(hash) if *hash == credential.hash => Some(match credential.kind {
                SecretKind::Session => "signed out",
                SecretKind::Token => "the access token was revoked",
            }),
            Ended::SessionsOf { person, except }
                if *person == credential.person
                    && credential.kind == SecretKind::Session
                    && except.as_deref() != Some(credential.hash.as_str()) =>
            {
                Some("the password changed; sign in again")
            }
            Ended::AccessOf { person } if *person == credential.person => {
                Some("your access changed; reconnect")
            }
            _ => None,
        }
    }
}

/// The relay's announcements of ended sessions, one per process, in `AppState`.
#[derive(Debug, Clone)]
pub struct SessionEnds(broadcast::Sender<Ended>);

impl Default for SessionEnds {
    fn default() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }
}

impl SessionEnds {
    /// Tells every live socket; nobody listening is fine.
    pub fn announce(&self, ended: Ended) {
        let _ = self.0.send(ended);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Ended> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(person: &str, hash: &str, kind: SecretKind) -> Credential {
        Credential { person: person.into(), hash: hash.into(), kind, expires_ms: None }
    }

    #[test]
    fn a_password_change_closes_the_persons_other_sessions_but_not_their_tokens() {
        let ended = Ended::SessionsOf { person: "ann".into(), except: Some("kept".into()) };
        assert!(ended.closes(&credential("ann", "other", SecretKind::Session)).is_some());
        assert!(ended.closes(&credential("ann", "kept", SecretKind::Session)).is_none());
        assert!(ended.closes(&credential("ann", "tok", SecretKind::Token)).is_none());
        assert!(ended.closes(&credential("bob", "other", SecretKind::Session)).is_none());
    }

    #[test]
    fn signing_out_closes_only_the_sockets_of_that_session() {
        let ended = Ended::Secret("mine".into());
        assert_eq!(ended.closes(&credential("ann", "mine", SecretKind::Session)), Some("signed out"));
        assert!(ended.closes(&credential("ann", "theirs", SecretKind::Session)).is_none());
    }
}
