//! Relays side by side on one PostgreSQL tell each other what they stored, with PostgreSQL's
//! LISTEN/NOTIFY: no broker, cluster or gossip of ours.
//!
//! - The writer ([`super::chunks`]) sends one notification per document in each commit, inside
//!   the transaction, so it is delivered only if, and once, the chunks are committed. Its payload
//!   is small: `<origin> <document> <seq>`, the writing relay, the document and the smallest
//!   chunk sequence number of that commit for it. Never the change itself.
//! - Each relay listens on its own connection ([`listen`]) and hears [`Announcement`]s. A relay
//!   ignores its own (by origin). While its listener is reconnecting it hears nothing, so after a
//!   reconnect it is told [`Announcement::Reconnected`] and catches up from the database: every
//!   document it has in memory is read again (chunks it already has are skipped by the engine).
//!
//! SQLite has no second relay, so none of this runs there.

use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use tandem_sync::{Backoff, DocumentId, StorageKey};

use super::{Location, Storage, StorageError, db::Db};

/// The one channel every relay of a database listens on.
pub const CHANNEL: &str = "tandem_changes";

/// How long the listener waits for a notification before checking that its connection is alive.
const IDLE_CHECK: Duration = Duration::from_secs(5);
/// Reconnect delays: from 100 ms up to 5 s, with jitter so a restarted database is not stormed.
const RECONNECT: Backoff = Backoff::new(100, 5_000);

/// What a relay hears from the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// Another relay committed chunks of `document`, each with a sequence number `>= since`.
    Stored { document: DocumentId, since: i64 },
    /// The listener's connection was lost and is back: announcements may have been missed.
    Reconnected,
}

/// The payload of one notification.
pub(super) fn payload(origin: &str, document: &str, seq: i64) -> String {
    format!("{origin} {document} {seq}")
}

/// Reads a payload; `None` for one of `origin`'s own or one this relay cannot read.
fn parse(origin: &str, payload: &str) -> Option<Announcement> {
    let mut parts = payload.split(' ');
    let (from, document, since) = (parts.next()?, parts.next()?, parts.next()?);
    if from == origin || parts.next().is_some() {
        return None;
    }
    Some(Announcement::Stored { document: document.parse().ok()?, since: since.parse().ok()? })
}

impl Storage {
    /// This relay's name in what it announces: random per process.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The chunks of `document` written with a sequence number of at least `since` (on SQLite,
    /// which numbers nothing: all of them).
    pub fn load_since(
        &self,
        document: &DocumentId,
        since: i64,
    ) -> Result<Vec<(StorageKey, Vec<u8>)>, StorageError> {
        let prefix = StorageKey::document_prefix(document);
        if self.backend() == super::Backend::Sqlite {
            return self.load_range(&prefix);
        }
        let prefix = prefix.to_string();
        let rows = self.reader().query(
            "SELECT key, data FROM chunks WHERE key >= ?1 AND key < ?2 AND seq >= ?3 ORDER BY key",
            &[&format!("{prefix}/"), &format!("{prefix}0"), &since],
            |row| Ok((row.get::<String>(0)?, row.get::<Vec<u8>>(1)?)),
        )?;
        rows.into_iter()
            .map(|(key, data)| {
                let key = StorageKey::from_parts(key.split('/'))
                    .map_err(|e| StorageError::Corrupt(format!("stored key {key:?}: {e}")))?;
                Ok((key, data))
            })
            .collect()
    }
}

/// Listens for other relays' announcements on a thread of its own, reconnecting (and saying so)
/// whenever its connection is lost, until `hear` returns `false`. Only for PostgreSQL.
pub fn listen(
    location: Location,
    origin: String,
    mut hear: impl FnMut(Announcement) -> bool + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new().name("tandem-announcements".into()).spawn(move || {
        let mut attempt = 0u32;
        let mut connected_before = false;
        loop {
            let db = match super::connect(&location).and_then(|db| {
                db.batch(&format!("LISTEN {CHANNEL}"))?;
                Ok(db)
            }) {
                Ok(db) => db,
                Err(error) => {
                    let wait = RECONNECT.delay_ms(attempt, rand::random());
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(%error, retry_in_ms = wait, "cannot listen for other relays' changes");
                    std::thread::sleep(Duration::from_millis(wait.into()));
                    continue;
                }
            };
            attempt = 0;
            // Listening again: whatever was announced meanwhile is read from the database.
            if connected_before && !hear(Announcement::Reconnected) {
                return;
            }
            connected_before = true;
            tracing::debug!("listening for other relays' changes");
            match receive(&db, &origin, &mut hear) {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "lost the connection that hears other relays; reconnecting")
                }
            }
        }
    })?;
    Ok(())
}

/// Passes announcements to `hear` until it returns `false` (`Ok`) or the connection fails.
fn receive(db: &Db, origin: &str, hear: &mut impl FnMut(Announcement) -> bool) -> Result<(), StorageError> {
    let mut last_check = Instant::now();
    loop {
        let next = db
            .with_postgres(|client| client.notifications().timeout_iter(IDLE_CHECK).next())
            .expect("announcements are PostgreSQL's");
        if let Some(notification) = next?
            && let Some(announcement) = parse(origin, notification.payload())
            && !hear(announcement)
        {
            return Ok(());
        }
        if last_check.elapsed() >= IDLE_CHECK {
            // A connection that died quietly (the server restarted, a cable) shows itself here.
            db.batch("SELECT 1")?;
            last_check = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_document_and_sequence_and_a_relay_ignores_its_own() {
        let document = DocumentId::from_bytes([7; 16]);
        let sent = payload("relay-a", &document.to_string(), 42);
        assert!(sent.len() < 100, "small: {sent}");
        assert_eq!(parse("relay-b", &sent), Some(Announcement::Stored { document, since: 42 }));
        assert_eq!(parse("relay-a", &sent), None);
        assert_eq!(parse("relay-b", "relay-a not-an-id 1"), None);
        assert_eq!(parse("relay-b", "relay-a"), None);
    }
}
