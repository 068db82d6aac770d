//! Per-document state: phases (loading, ready), each peer's view of a document, what arrived
//! from peers, and applying it.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use automerge::sync::{self, ChunkList};

use super::connection::{Connection, Handshake};
use super::{Action, Document, Engine, Policy, Role, StoreToken};
use crate::storage::StorageKey;
use crate::{ConnectionId, DocumentId, PeerId};

#[derive(Debug)]
pub(super) struct Inbound {
    pub(super) connection: ConnectionId,
    pub(super) request: bool,
    pub(super) message: sync::Message,
}

/// One peer's view of one document.
#[derive(Debug)]
pub(super) struct PeerDoc {
    pub(super) sync: sync::State,
    /// A sync message should be generated for this peer when the document is not gated.
    pub(super) dirty: bool,
    /// The peer asked for the document and we had nothing: it awaits data or `doc-unavailable`.
    pub(super) wants: bool,
    /// We told the peer the document is unavailable (and have not sent data since).
    pub(super) told_unavailable: bool,
    /// The peer told us it does not have the document.
    pub(super) they_unavailable: bool,
    /// Relay: when (engine time) we asked this peer for a document we lack on behalf of a
    /// requester, while it has not answered. Requesters hear `doc-unavailable` once no asked peer
    /// is pending, and an ask older than [`Config::ask_timeout_ms`](super::Config) no longer is.
    pub(super) asked: Option<u64>,
    /// Heads last reported as synced with this peer.
    pub(super) synced_heads: Option<Vec<ChangeHash>>,
}

impl PeerDoc {
    pub(super) fn new(dirty: bool) -> Self {
        PeerDoc {
            sync: sync::State::new(),
            dirty,
            wants: false,
            told_unavailable: false,
            they_unavailable: false,
            asked: None,
            synced_heads: None,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Loading,
    Ready,
}

/// One document in memory: its content and everything the engine tracks about it.
#[derive(Debug)]
pub(super) struct DocState<D> {
    pub(super) phase: Phase,
    pub(super) doc: D,
    /// `doc`'s committed heads, as of the last time the engine looked (they change only through
    /// the engine: its own applies, and the app's edits in [`Engine::change`]).
    pub(super) heads: Vec<ChangeHash>,
    /// Client: the heads a peer last acknowledged having (durably), kept when it disconnects.
    pub(super) acknowledged_heads: Option<Vec<ChangeHash>>,
    pub(super) peers: BTreeMap<ConnectionId, PeerDoc>,
    pub(super) inbox: Vec<Inbound>,
    /// Stores whose completion gates every outgoing sync message for this document.
    pub(super) pending_stores: BTreeSet<StoreToken>,
    /// Heads covered by the chunks emitted so far.
    pub(super) saved_heads: Vec<ChangeHash>,
    /// Chunk keys (snapshots and incrementals) this document's content is stored under.
    pub(super) stored_chunks: Vec<StorageKey>,
    pub(super) incrementals: usize,
    pub(super) compaction: Option<StoreToken>,
    pub(super) last_used_ms: u64,
    pub(super) app_open: bool,
    pub(super) announced_ready: bool,
    pub(super) announced_unavailable: bool,
    /// Chunks stored elsewhere that arrived while the document was loading; applied once loaded.
    pub(super) stored_elsewhere: Vec<(StorageKey, Vec<u8>)>,
}

impl<D: Document> DocState<D> {
    pub(super) fn new(phase: Phase, now_ms: u64) -> Self {
        DocState {
            phase,
            doc: D::empty(),
            heads: Vec::new(),
            acknowledged_heads: None,
            peers: BTreeMap::new(),
            inbox: Vec::new(),
            pending_stores: BTreeSet::new(),
            saved_heads: Vec::new(),
            stored_chunks: Vec::new(),
            incrementals: 0,
            compaction: None,
            last_used_ms: now_ms,
            app_open: false,
            announced_ready: false,
            announced_unavailable: false,
            stored_elsewhere: Vec::new(),
        }
    }

    pub(super) fn has_data(&self) -> bool {
        !self.heads.is_empty()
    }

    /// Replaces the content (a document the app created).
    pub(super) fn set_doc(&mut self, doc: D) {
        self.doc = doc;
        self.refresh_heads();
    }

    /// Reads the document's heads again unless a batch is open (its heads cannot have changed
    /// then, and reading them would commit it); true when they changed.
    pub(super) fn refresh_heads(&mut self) -> bool {
        if self.doc.has_open_batch() {
            return false;
        }
        let heads = self.doc.heads();
        if heads == self.heads {
            return false;
        }
        self.heads = heads;
        true
    }
}

impl<P: Policy, D: Document> Engine<P, D> {
    pub(super) fn on_sync(
        &mut self,
        now_ms: u64,
        connection: ConnectionId,
        peer_id: &PeerId,
        document: DocumentId,
        message: sync::Message,
        request: bool,
    ) {
        let readable = self.policy.may_read(connection, peer_id, &document);
        self.register_interest(connection, document);
        let state = self.docs.entry(document).or_insert_with(|| {
            self.out.push(Action::Load { document });
            DocState::new(Phase::Loading, now_ms)
        });
        state.last_used_ms = now_ms;
        if readable {
            state.inbox.push(Inbound { connection, request, message });
        } else {
            // Exactly what a missing document gets, by the same steps: loaded if it is not in
            // memory, then answered `doc-unavailable` by `generate` once no asked peer is
            // pending, as a requester of a document nobody has is. Answering at once would tell
            // "someone's" (fast) from "nobody's" (after a load) by the time it takes. Nothing of
            // the message is applied, and nothing about the document is ever sent to it.
            let peer = state.peers.entry(connection).or_insert_with(|| PeerDoc::new(false));
            peer.wants = true;
        }
        self.touched.insert(document);
    }

    pub(super) fn on_doc_unavailable(&mut self, connection: ConnectionId, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        if let Some(p) = d.peers.get_mut(&connection) {
            p.they_unavailable = true;
            p.asked = None;
        }
        // Its answer may be the last one requesters were waiting for.
        self.touched.insert(document);
        if d.phase == Phase::Ready && !d.has_data() && d.app_open && !d.announced_unavailable {
            d.announced_unavailable = true;
            self.out.push(Action::DocumentUnavailable { document });
        }
    }

    pub(super) fn on_open_document(&mut self, now_ms: u64, document: DocumentId) {
        let state = self.docs.entry(document).or_insert_with(|| {
            self.out.push(Action::Load { document });
            DocState::new(Phase::Loading, now_ms)
        });
        state.last_used_ms = now_ms;
        state.app_open = true;
        if state.phase == Phase::Ready {
            if state.has_data() {
                state.announced_ready = true;
                self.out.push(Action::DocumentReady { document });
            } else {
                // A relay asked us for it earlier and we said we lacked it; now the app wants it
                // too, so ask back rather than wait on a peer that waits on us.
                for p in state.peers.values_mut() {
                    p.wants = false;
                    p.told_unavailable = false;
                    p.dirty = true;
                }
            }
            self.attach_client_peers(document);
            self.touched.insert(document);
        } else if self.config.role == Role::Client {
            let conns: Vec<ConnectionId> = self.established().collect();
            for c in conns {
                self.register_interest(c, document);
            }
        }
    }

    pub(super) fn established(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.connections
            .iter()
            .filter(|(_, c)| matches!(c.handshake, Handshake::Established { .. }))
            .map(|(id, _)| *id)
    }

    /// Client: every established connection takes part in a document the app has open.
    pub(super) fn attach_client_peers(&mut self, document: DocumentId) {
        if self.config.role != Role::Client {
            return;
        }
        let conns: Vec<ConnectionId> = self.established().collect();
        for c in conns {
            self.register_interest(c, document);
            if let Some(d) = self.docs.get_mut(&document) {
                d.peers.entry(c).or_insert_with(|| PeerDoc::new(true));
            }
        }
    }

    pub(super) fn apply_inbox(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        let inbox = std::mem::take(&mut d.inbox);
        if inbox.is_empty() {
            return;
        }
        let mut refused = Vec::new();
        let mut violations = Vec::new();
        let mut chunks: Vec<(ConnectionId, Vec<u8>)> = Vec::new();
        // (connection, message without its changes)
        let mut receipts: Vec<(ConnectionId, sync::Message)> = Vec::new();
        for Inbound { connection, request, mut message } in inbox {
            let Some(Connection { handshake: Handshake::Established { peer_id }, .. }) =
                self.connections.get(&connection)
            else {
                continue;
            };
            let writable = self.policy.may_write(connection, peer_id, &document);
            let peer = d.peers.entry(connection).or_insert_with(|| PeerDoc::new(true));
            peer.dirty = true;
            peer.they_unavailable = false;
            peer.asked = None;
            peer.wants = request && message.heads.is_empty();
            peer.sync.set_read_only(!writable);
            if !message.changes.is_empty() {
                if writable {
                    let mut bytes = Vec::new();
                    message.changes.iter().for_each(|c| bytes.extend_from_slice(c));
                    chunks.push((connection, bytes));
                } else {
                    refused.push(connection);
                }
                message.changes = ChunkList::empty();
            }
            receipts.push((connection, message));
        }

        // One automerge apply for everything that arrived in this batch; if it fails, find out
        // whose changes are broken by applying them one connection at a time.
        if !chunks.is_empty() {
            let all: Vec<u8> = chunks.iter().flat_map(|(_, b)| b.iter().copied()).collect();
            if d.doc.load_incremental(&all).is_err() {
                for (connection, bytes) in &chunks {
                    if let Err(e) = d.doc.load_incremental(bytes) {
                        violations.push((*connection, format!("invalid automerge changes: {e}")));
                    }
                }
            }
        }
        for (connection, message) in receipts {
            if violations.iter().any(|(c, _)| *c == connection) {
                continue;
            }
            let Some(peer) = d.peers.get_mut(&connection) else { continue };
            // automerge treats "no changes, same heads as ours" as if we had already told the peer
            // our heads. We may not have: the changes of this batch were applied above, and while
            // they are being stored we send nothing, so the peer has not heard that we have them.
            // Keep what we really last sent, so every peer gets its acknowledgement once the
            // changes are durable (at most one extra message when it was already in sync).
            let last_sent = peer.sync.last_sent_heads.clone();
            if let Err(e) = d.doc.receive_sync_message(&mut peer.sync, message) {
                violations.push((connection, format!("invalid automerge sync message: {e}")));
            }
            peer.sync.last_sent_heads = last_sent;
        }
        if d.refresh_heads() {
            d.peers.values_mut().for_each(|p| p.dirty = true);
            self.out.push(Action::DocumentChanged { document });
            if d.app_open && !d.announced_ready {
                d.announced_ready = true;
                self.out.push(Action::DocumentReady { document });
            }
        }
        for connection in refused {
            self.out.push(Action::WriteRefused { connection, document });
        }
        for (connection, reason) in violations {
            self.violation(connection, reason);
        }
    }
}
