//! Sessions and tokens that end while a socket they opened is live.
//!
//! Every `/sync` connection records the [`Credential`] it was opened with. What ends one
//! (signing out, a password change, a revoked token, removal from a program) is recorded in the
//! database's `session_ends` ([`record`]) and announced on [`SessionEnds`]; each socket closes at
//! once when an announcement is about it. What this process does not do itself (`tandem admin`
//! run beside it, another relay on the same database) it reads from `session_ends` every second
//! ([`SessionEnds::follow`]) and announces too. The end of a lifetime or of an idle period each
//! socket finds on its own: it checks expiry at every frame and asks the database at every
//! keep-alive tick.

use std::{sync::Arc, time::Duration};

use tokio::sync::broadcast;

use crate::{
    accounts::{Credential, SecretKind},
    clock::Clock,
    storage::{Db, DbResult, Storage, accounts as db_accounts},
};

/// How often [`SessionEnds::follow`] reads what others ended.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How long a recorded end is kept: far longer than any relay takes to read it.
const KEEP_ENDS_MS: i64 = 3600 * 1000;

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

impl Ended {
    fn from_row(row: db_accounts::EndRow) -> Option<Self> {
        Some(match row.kind.as_str() {
            "secret" => Ended::Secret(row.subject),
            "sessions_of" => Ended::SessionsOf { person: row.subject, except: row.except_hash },
            "access_of" => Ended::AccessOf { person: row.subject },
            _ => return None,
        })
    }
}

/// Records what ended at `now_ms`, for every relay on this database (this one included: its
/// own announcement comes first, the recorded one finds the socket closed).
pub fn record(db: &Db, ended: &Ended, now_ms: i64) -> DbResult<()> {
    let (kind, subject, except) = match ended {
        Ended::Secret(hash) => ("secret", hash, None),
        Ended::SessionsOf { person, except } => ("sessions_of", person, except.as_deref()),
        Ended::AccessOf { person } => ("access_of", person, None),
    };
    db_accounts::insert_session_end(db, kind, subject, except, now_ms)
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
    /// Tells every live socket of this process; nobody listening is fine. What ended must also be
    /// [`record`]ed, for relays beside this one.
    pub fn announce(&self, ended: Ended) {
        let _ = self.0.send(ended);
    }

    /// Reads what others recorded in `session_ends` (from now on) every [`FOLLOW_EVERY`] and
    /// announces it here; stops when every handle of this `SessionEnds` is dropped. Must run
    /// inside a tokio runtime.
    pub fn follow(&self, storage: &Storage, clock: Clock) -> Result<(), crate::storage::StorageError> {
        // On a thread of its own: this runs on the relay's runtime, where PostgreSQL's blocking
        // client may not block (as `Storage::open`).
        let (db, mut seen) = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<_, crate::storage::StorageError> {
                    let db = storage.connect()?;
                    let seen = db_accounts::last_session_end(&db)?;
                    Ok((db, seen))
                })
                .join()
        })
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let db = Arc::new(std::sync::Mutex::new(db));
        let sender = self.0.downgrade();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(FOLLOW_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for round in 0u64.. {
                every.tick().await;
                let Some(sender) = sender.upgrade() else { break };
                let (db, now) = (db.clone(), clock.now_ms());
                let read = tokio::task::spawn_blocking(move || {
                    let db = db.lock().expect("ends mutex poisoned");
                    if round % 60 == 0 {
                        db_accounts::forget_session_ends_before(&db, now - KEEP_ENDS_MS)?;
                    }
                    db_accounts::session_ends_after(&db, seen)
                })
                .await;
                match read {
                    Ok(Ok(rows)) => {
                        for row in rows {
                            seen = row.seq;
                            if let Some(ended) = Ended::from_row(row) {
                                let _ = sender.send(ended);
                            }
                        }
                    }
                    Ok(Err(error)) => tracing::warn!(%error, "cannot read ended sessions; trying again"),
                    Err(error) => tracing::warn!(%error, "reading ended sessions failed; trying again"),
                }
            }
        });
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Ended> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(person: &str, hash: &str, kind: SecretKind) -> Credential {
        Credential { person: person.into(), hash: hash.into(), kind, expires_ms: None, last_used_ms: None }
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
    fn recorded_ends_are_read_back_in_order_after_a_seq_and_forgotten_when_old() {
        crate::storage::on_each_backend(|db| {
            assert_eq!(db_accounts::last_session_end(db).unwrap(), 0, "none yet");
            let ends = [
                Ended::Secret("h1".into()),
                Ended::SessionsOf { person: "ann".into(), except: Some("kept".into()) },
                Ended::AccessOf { person: "bob".into() },
            ];
            for (i, ended) in ends.iter().enumerate() {
                record(db, ended, 1_000 * i as i64).unwrap();
            }
            let rows = db_accounts::session_ends_after(db, 0).unwrap();
            let read: Vec<_> = rows.iter().cloned().filter_map(Ended::from_row).collect();
            assert_eq!(read, ends);
            assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq), "in order");
            let last = db_accounts::last_session_end(db).unwrap();
            assert_eq!(last, rows[2].seq);
            assert_eq!(db_accounts::session_ends_after(db, rows[0].seq).unwrap(), rows[1..]);
            assert_eq!(db_accounts::forget_session_ends_before(db, 1_000).unwrap(), 2);
            record(db, &Ended::Secret("h2".into()), 5_000).unwrap();
            let after = db_accounts::session_ends_after(db, last).unwrap();
            assert_eq!(after.len(), 1);
            assert!(after[0].seq > last, "a seq is never given again");
        });
    }

    #[test]
    fn signing_out_closes_only_the_sockets_of_that_session() {
        let ended = Ended::Secret("mine".into());
        assert_eq!(ended.closes(&credential("ann", "mine", SecretKind::Session)), Some("signed out"));
        assert!(ended.closes(&credential("ann", "theirs", SecretKind::Session)).is_none());
    }
}
