//! Persistence: loading a document's chunks, storing what is new, compaction, and eviction.

use super::state::{PeerDoc, Phase};
use super::{Action, Document, Engine, Policy, Role, StoreToken};
use crate::storage::{ChunkKind, StorageKey};
use crate::{ConnectionId, DocumentId};

#[derive(Debug)]
pub(super) enum TokenUse {
    /// New content: gates sync for the document.
    Content(DocumentId),
    /// A compaction snapshot: on completion, delete what it covers.
    Compaction { document: DocumentId, key: StorageKey, covers: Vec<StorageKey> },
}

impl<P: Policy, D: Document> Engine<P, D> {
    pub(super) fn on_loaded(&mut self, document: DocumentId, chunks: Vec<(StorageKey, Vec<u8>)>) {
        let client = self.config.role == Role::Client;
        let interested: Vec<ConnectionId> =
            self.interest.get(&document).map(|s| s.iter().copied().collect()).unwrap_or_default();
        let Some(d) = self.docs.get_mut(&document) else { return };
        if d.phase != Phase::Loading {
            return;
        }
        // Snapshots first, then incrementals; anything else under the prefix is not content.
        let mut chunks: Vec<(ChunkKind, StorageKey, Vec<u8>)> = chunks
            .into_iter()
            .filter_map(|(k, v)| match k.chunk_kind() {
                Some(kind @ (ChunkKind::Snapshot | ChunkKind::Incremental)) => Some((kind, k, v)),
                _ => None,
            })
            .collect();
        chunks.sort_by_key(|(kind, k, _)| (*kind == ChunkKind::Incremental, k.clone()));
        for (kind, key, bytes) in chunks {
            // A chunk automerge cannot read is left alone in storage (never deleted by compaction):
            // a person may still recover it.
            if d.doc.load_incremental(&bytes).is_ok() {
                if kind == ChunkKind::Incremental {
                    d.incrementals += 1;
                }
                d.stored_chunks.push(key);
            }
        }
        d.refresh_heads();
        d.saved_heads = d.heads.clone();
        d.phase = Phase::Ready;
        for c in interested {
            // Peers other than the senders in the inbox hear from us when the document changes.
            d.peers.entry(c).or_insert_with(|| PeerDoc::new(client && d.app_open));
        }
        if d.app_open && d.has_data() && !d.announced_ready {
            d.announced_ready = true;
            self.out.push(Action::DocumentReady { document });
        }
        let early = std::mem::take(&mut d.stored_elsewhere);
        self.touched.insert(document);
        if !early.is_empty() {
            self.on_stored_elsewhere(document, early);
        }
    }

    /// Chunks another process stored: applied to a document in memory (waiting for its load if
    /// it is loading), and the peers hear of them; a document not in memory is left to its next
    /// load, which reads them from storage.
    pub(super) fn on_stored_elsewhere(&mut self, document: DocumentId, chunks: Vec<(StorageKey, Vec<u8>)>) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        if d.phase == Phase::Loading {
            d.stored_elsewhere.extend(chunks);
            return;
        }
        if d.doc.has_open_batch() {
            // As for changes from a peer: the batch commits first, so the two never mix.
            d.doc.commit_batch();
            d.refresh_heads();
        }
        let unsaved = d.saved_heads != d.heads;
        let mut chunks: Vec<(ChunkKind, StorageKey, Vec<u8>)> = chunks
            .into_iter()
            .filter(|(k, _)| !d.stored_chunks.contains(k))
            .filter_map(|(k, v)| match k.chunk_kind() {
                Some(kind @ (ChunkKind::Snapshot | ChunkKind::Incremental)) => Some((kind, k, v)),
                _ => None,
            })
            .collect();
        chunks.sort_by_key(|(kind, k, _)| (*kind == ChunkKind::Incremental, k.clone()));
        for (kind, key, bytes) in chunks {
            if d.doc.load_incremental(&bytes).is_ok() {
                if kind == ChunkKind::Incremental {
                    d.incrementals += 1;
                }
                d.stored_chunks.push(key);
            }
        }
        if d.refresh_heads() {
            // What arrived is stored already: unless the document had something of its own still
            // to store, there is nothing new to write.
            if !unsaved {
                d.saved_heads = d.heads.clone();
            }
            d.peers.values_mut().for_each(|p| p.dirty = true);
            self.touched.insert(document);
        }
    }

    pub(super) fn on_store_completed(&mut self, token: StoreToken) {
        match self.tokens.remove(&token) {
            Some(TokenUse::Content(document)) => {
                if let Some(d) = self.docs.get_mut(&document) {
                    d.pending_stores.remove(&token);
                    self.touched.insert(document);
                }
            }
            Some(TokenUse::Compaction { document, key, covers }) => {
                for k in &covers {
                    self.out.push(Action::Delete { key: k.clone() });
                }
                if let Some(d) = self.docs.get_mut(&document) {
                    d.compaction = None;
                    d.stored_chunks.retain(|k| !covers.contains(k));
                    if !d.stored_chunks.contains(&key) {
                        d.stored_chunks.push(key);
                    }
                    d.incrementals = d
                        .stored_chunks
                        .iter()
                        .filter(|k| k.chunk_kind() == Some(ChunkKind::Incremental))
                        .count();
                }
            }
            None => {}
        }
    }

    pub(super) fn evict_idle(&mut self, now_ms: u64) {
        let idle = self.config.idle_evict_after_ms;
        self.docs.retain(|_, d| {
            let quiet = d.phase == Phase::Ready
                && d.pending_stores.is_empty()
                && d.compaction.is_none()
                && d.inbox.is_empty()
                && !d.doc.has_open_batch()
                && !d.app_open;
            !(quiet && now_ms.saturating_sub(d.last_used_ms) >= idle)
        });
    }

    /// Drops a purged document: its state, every connection's interest in it, and its store
    /// tokens (a compaction finishing later must not delete keys on its behalf, nor a content
    /// store wake it up).
    pub(super) fn forget_document(&mut self, document: DocumentId) {
        self.docs.remove(&document);
        self.touched.remove(&document);
        if let Some(connections) = self.interest.remove(&document) {
            for connection in connections {
                if let Some(conn) = self.connections.get_mut(&connection) {
                    conn.docs.remove(&document);
                }
            }
        }
        self.tokens.retain(|_, used| match used {
            TokenUse::Content(d) | TokenUse::Compaction { document: d, .. } => *d != document,
        });
    }

    pub(super) fn persist(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        let heads = d.heads.clone();
        if heads != d.saved_heads {
            let (key, bytes) = if d.stored_chunks.is_empty() {
                // Nothing stored yet: the first chunk is a whole snapshot (as automerge-repo does).
                (StorageKey::snapshot(&document, &heads), d.doc.save())
            } else {
                let bytes = d.doc.save_after(&d.saved_heads);
                d.incrementals += 1;
                (StorageKey::incremental(&document, &bytes), bytes)
            };
            let token = StoreToken(self.next_token);
            self.next_token += 1;
            self.tokens.insert(token, TokenUse::Content(document));
            d.pending_stores.insert(token);
            d.stored_chunks.push(key.clone());
            d.saved_heads = heads.clone();
            self.out.push(Action::Store { token, key, bytes });
        }
        if d.pending_stores.is_empty()
            && d.compaction.is_none()
            && d.incrementals >= self.config.compact_after_incrementals.max(1)
        {
            let key = StorageKey::snapshot(&document, &heads);
            let covers: Vec<StorageKey> = d.stored_chunks.iter().filter(|k| **k != key).cloned().collect();
            let token = StoreToken(self.next_token);
            self.next_token += 1;
            d.compaction = Some(token);
            self.tokens.insert(token, TokenUse::Compaction { document, key: key.clone(), covers });
            self.out.push(Action::Store { token, key, bytes: d.doc.save() });
        }
    }
}
