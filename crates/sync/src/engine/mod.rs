//! The sync engine: a state machine that takes [`Event`]s and returns [`Action`]s.
//!
//! # How a runtime drives it
//!
//! 1. Make one [`Engine`] per process (relay) or per tab (browser) with a [`Config`] and, on the relay,
//!    a [`Policy`].
//! 2. Feed it events with [`Engine::handle`] (or several at once with [`Engine::handle_batch`], which
//!    lets the engine apply all changes that arrived for a document in one go), always passing the
//!    current time in milliseconds. Perform every returned [`Action`] in order.
//! 3. Sockets: on a new socket pick a fresh [`ConnectionId`] and send [`Event::ConnectionOpened`];
//!    pass every binary frame as [`Event::BytesReceived`] (or decode it first with [`Frame::decode`]
//!    on another thread and pass [`Event::FrameDecoded`]: decoding is a frame's costly part); when the socket ends send
//!    [`Event::ConnectionClosed`]. [`Action::Send`] writes one binary frame; [`Action::Close`] closes
//!    the socket (the engine has already forgotten the connection and sent the peer an `error`).
//! 4. Storage: [`Action::Load`] → read everything under [`StorageKey::document_prefix`] and answer
//!    [`Event::Loaded`] (an empty list when nothing is stored). [`Action::Store`] → write the chunk,
//!    commit, then answer [`Event::StoreCompleted`] with the token. [`Action::Delete`] → delete the key
//!    (no answer needed). Perform storage actions in the order given.
//! 5. Time: send [`Event::Tick`] now and then (every few seconds); idle documents are evicted then,
//!    and requesters waiting only on peers that did not answer within [`Config::ask_timeout_ms`]
//!    hear `doc-unavailable`.
//! 6. Purges: when a document is deleted for good, send [`Event::Forget`] and delete its chunks
//!    yourself; the engine drops it from memory and stores nothing more of it.
//!
//! # Durable before acknowledged
//!
//! When changes arrive (from a peer or from the app), the engine emits an [`Action::Store`] carrying a
//! [`StoreToken`] and records the token as pending for that document. While a document has a pending
//! store the engine generates **no** sync message for it, to any peer, including the sender: every
//! sync message advertises the document's heads, and a peer must never learn of heads that a crash
//! could still lose. When the runtime reports [`Event::StoreCompleted`] for the last pending token,
//! the engine catches up with every interested peer in one go (this is the relay's fan-out).
//! A store that fails must be retried by the runtime until it succeeds (or the process stops): the
//! document stays gated meanwhile.
//!
//! # Documents in memory
//!
//! Documents are loaded on demand (the first message for them, or [`Event::OpenDocument`]) and
//! evicted on [`Event::Tick`] once nothing has used them for [`Config::idle_evict_after_ms`] and
//! nothing about them is pending. Which connections are interested in a document survives eviction,
//! so changes still fan out after a reload. Sync states are per (document, connection) and start fresh
//! for every connection.
//!
//! # One copy of each document
//!
//! The engine keeps the only copy of each document in the process, as a [`Document`]: a plain
//! `Automerge` (the relay, the native client) or a type of the app's own whose edits collect in an
//! open batch (the browser keeps `tandem_core::Doc`s this way). The app edits in place with
//! [`Engine::change`] and reads with [`Engine::document`]. While a document's batch is open the
//! engine stores and syncs nothing of it, as while a store is pending: the batch is not a change
//! yet. The runtime commits it ([`Engine::commit`]) on its own schedule; changes arriving from a
//! peer commit it first, so they are applied at once and never mixed into the batch.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | `config`, `policy`, `events` | settings, access control, the events and actions |
//! | `document` | the [`Document`] trait: what the engine needs of a document |
//! | `frame` | [`Frame`]: a frame decoded and bounded, on any thread |
//! | `connection` | the handshake, dispatching frames, violations, forgetting a connection |
//! | `state` | per-document state and phases, each peer's view, applying what arrived |
//! | `persistence` | loading chunks, storing what is new, compaction, eviction |
//! | `outbound` | asking peers for a missing document, generating sync messages |
//! | `ephemeral` | presence and cursor messages |

mod config;
mod connection;
mod document;
mod ephemeral;
mod events;
mod frame;
mod outbound;
mod persistence;
mod policy;
mod state;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use automerge::Automerge;

pub use self::config::{Config, Role};
pub use self::document::Document;
pub use self::events::{Action, Event, StoreToken};
pub use self::frame::Frame;
pub use self::policy::{AllowAll, Policy};

use self::connection::{Connection, Handshake};
use self::persistence::TokenUse;
use self::state::{DocState, Phase};
use crate::{ConnectionId, DocumentId, Error, PeerId};

/// The sync engine. See the [module documentation](self) for how to drive it.
#[derive(Debug)]
pub struct Engine<P: Policy = AllowAll, D: Document = Automerge> {
    config: Config,
    policy: P,
    connections: BTreeMap<ConnectionId, Connection>,
    docs: HashMap<DocumentId, DocState<D>>,
    /// Which connections take part in which document; kept when the document is evicted.
    interest: HashMap<DocumentId, BTreeSet<ConnectionId>>,
    tokens: HashMap<StoreToken, TokenUse>,
    next_token: u64,
    /// Documents to look at when the current batch ends.
    touched: BTreeSet<DocumentId>,
    ephemeral_seen: HashSet<(PeerId, String, u64)>,
    ephemeral_order: VecDeque<(PeerId, String, u64)>,
    ephemeral_count: u64,
    /// The time of the event being handled (what the caller passed), for the engine's timers.
    now_ms: u64,
    out: Vec<Action>,
}

impl Engine<AllowAll> {
    /// An engine that allows everything.
    pub fn new(config: Config) -> Self {
        Engine::with_policy(config, AllowAll)
    }
}

impl<P: Policy, D: Document> Engine<P, D> {
    /// An engine that asks `policy` about every document access.
    pub fn with_policy(config: Config, policy: P) -> Self {
        Engine {
            config,
            policy,
            connections: BTreeMap::new(),
            docs: HashMap::new(),
            interest: HashMap::new(),
            tokens: HashMap::new(),
            next_token: 0,
            touched: BTreeSet::new(),
            ephemeral_seen: HashSet::new(),
            ephemeral_order: VecDeque::new(),
            ephemeral_count: 0,
            now_ms: 0,
            out: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The policy, to change its answers (they are asked again for every message).
    pub fn policy_mut(&mut self) -> &mut P {
        &mut self.policy
    }

    /// Handles one event.
    pub fn handle(&mut self, now_ms: u64, event: Event) -> Vec<Action> {
        self.handle_batch(now_ms, [event])
    }

    /// Handles several events as one batch: all sync messages that arrive for a document in the batch
    /// are applied together, and each peer gets at most one sync message per document per batch.
    pub fn handle_batch(&mut self, now_ms: u64, events: impl IntoIterator<Item = Event>) -> Vec<Action> {
        self.now_ms = now_ms;
        for event in events {
            self.dispatch(now_ms, event);
        }
        self.flush();
        std::mem::take(&mut self.out)
    }

    /// Creates a document from content the app made (its genesis): stores it, then syncs it with
    /// every peer. The caller draws the id's bytes.
    pub fn create_document(
        &mut self,
        now_ms: u64,
        document: DocumentId,
        mut doc: D,
    ) -> Result<Vec<Action>, Error> {
        self.now_ms = now_ms;
        // Genesis is a committed change, not an open batch.
        doc.commit_batch();
        match self.docs.get_mut(&document) {
            // A relay may have asked us for this id (someone requested it before we created it);
            // that left an empty placeholder, which the new content takes over, keeping the peers.
            Some(state) if !state.app_open && !state.has_data() => {
                state.set_doc(doc);
                state.app_open = true;
                state.announced_ready = true;
                state.last_used_ms = now_ms;
                state.peers.values_mut().for_each(|p| p.dirty = true);
            }
            Some(_) => return Err(Error::DocumentExists(document.to_string())),
            None => {
                let mut state = DocState::new(Phase::Ready, now_ms);
                state.set_doc(doc);
                state.app_open = true;
                state.announced_ready = true;
                self.docs.insert(document, state);
            }
        }
        self.attach_client_peers(document);
        self.touched.insert(document);
        self.flush();
        Ok(std::mem::take(&mut self.out))
    }

    /// Changes a loaded document in place. With a plain `Automerge`, `f` must commit its
    /// transaction; the changes are then stored, then synced. A document whose edits collect in an
    /// open batch ([`Document::has_open_batch`]) is held back (neither stored nor synced) until
    /// the batch is committed with [`Engine::commit`].
    pub fn change<R>(
        &mut self,
        now_ms: u64,
        document: &DocumentId,
        f: impl FnOnce(&mut D) -> R,
    ) -> Result<(R, Vec<Action>), Error> {
        self.now_ms = now_ms;
        let state = match self.docs.get_mut(document) {
            Some(state) if state.phase == Phase::Ready => state,
            _ => return Err(Error::DocumentNotLoaded(document.to_string())),
        };
        state.last_used_ms = now_ms;
        let result = f(&mut state.doc);
        // New heads once no batch is open (a batch `f` commits shows in them; one it leaves open
        // is looked at when it is committed).
        if state.refresh_heads() {
            state.peers.values_mut().for_each(|p| p.dirty = true);
            self.touched.insert(*document);
        }
        self.flush();
        Ok((result, std::mem::take(&mut self.out)))
    }

    /// Commits a document's open batch (the runtime's batching rule decides when: after a pause,
    /// at the latest after a few seconds, when the page is hidden); it is then stored and synced.
    /// Nothing happens when no batch is open.
    pub fn commit(&mut self, now_ms: u64, document: &DocumentId) -> Vec<Action> {
        self.now_ms = now_ms;
        let Some(state) =
            self.docs.get_mut(document).filter(|d| d.phase == Phase::Ready && d.doc.has_open_batch())
        else {
            return Vec::new();
        };
        state.last_used_ms = now_ms;
        state.doc.commit_batch();
        if state.refresh_heads() {
            state.peers.values_mut().for_each(|p| p.dirty = true);
        }
        // Looked at even when the batch held no operation: what arrived meanwhile waits for it.
        self.touched.insert(*document);
        self.flush();
        std::mem::take(&mut self.out)
    }

    /// A loaded document, to read.
    pub fn document(&self, document: &DocumentId) -> Option<&D> {
        self.docs.get(document).filter(|d| d.phase == Phase::Ready).map(|d| &d.doc)
    }

    /// Client: true when a peer (the relay) has acknowledged every committed change of this
    /// document, and nothing newer is waiting (no open batch, no store in flight). It stays true
    /// when the peer disconnects: the relay still has what it acknowledged.
    pub fn is_synced(&self, document: &DocumentId) -> bool {
        self.docs.get(document).is_some_and(|d| {
            d.phase == Phase::Ready
                && d.has_data()
                && d.pending_stores.is_empty()
                && !d.doc.has_open_batch()
                && d.acknowledged_heads.as_ref() == Some(&d.heads)
        })
    }

    /// True when some connection has completed its handshake.
    pub fn is_connected(&self) -> bool {
        self.established().next().is_some()
    }

    /// Documents currently in memory (loaded or loading).
    pub fn documents_in_memory(&self) -> usize {
        self.docs.len()
    }

    /// Whether `document` is in memory (loaded or loading): the ones for which
    /// [`Event::StoredElsewhere`] means anything.
    pub fn has_in_memory(&self, document: &DocumentId) -> bool {
        self.docs.contains_key(document)
    }

    /// The documents in memory (loaded or loading).
    pub fn in_memory(&self) -> impl Iterator<Item = &DocumentId> {
        self.docs.keys()
    }

    /// The remote peer id of an established connection.
    pub fn peer_id_of(&self, connection: ConnectionId) -> Option<&PeerId> {
        match &self.connections.get(&connection)?.handshake {
            Handshake::Established { peer_id } => Some(peer_id),
            _ => None,
        }
    }

    /// The connections syncing `document`. On a relay, while a store of it is pending, these are
    /// the peers whose answers (acknowledgements included) wait for that store.
    pub fn connections_of(&self, document: &DocumentId) -> Vec<ConnectionId> {
        self.docs.get(document).map(|d| d.peers.keys().copied().collect()).unwrap_or_default()
    }

    /// True when no store for this document is waiting for completion.
    pub fn is_durable(&self, document: &DocumentId) -> bool {
        self.docs.get(document).is_none_or(|d| d.pending_stores.is_empty())
    }

    /// Sends an ephemeral message about `document` to every peer that takes part in it.
    pub fn broadcast_ephemeral(&mut self, now_ms: u64, document: DocumentId, data: Vec<u8>) -> Vec<Action> {
        self.now_ms = now_ms;
        self.ephemeral_count += 1;
        let count = self.ephemeral_count;
        let session_id = self.config.ephemeral_session_id.clone();
        let sender = self.config.peer_id.clone();
        self.remember_ephemeral((sender.clone(), session_id.clone(), count));
        if let Some(d) = self.docs.get_mut(&document) {
            d.last_used_ms = now_ms;
        }
        self.forward_ephemeral(None, sender, session_id, count, document, data);
        std::mem::take(&mut self.out)
    }

    // ----- events -----

    fn dispatch(&mut self, now_ms: u64, event: Event) {
        match event {
            Event::ConnectionOpened { connection } => self.on_opened(connection),
            Event::BytesReceived { connection, bytes } => {
                let frame = Frame::decode(&bytes, self.config.max_frame_bytes, &self.config.limits);
                self.on_frame(now_ms, connection, frame)
            }
            Event::FrameDecoded { connection, frame } => self.on_frame(now_ms, connection, frame),
            Event::ConnectionClosed { connection } => self.forget_connection(connection),
            Event::Loaded { document, chunks } => self.on_loaded(document, chunks),
            Event::StoredElsewhere { document, chunks } => self.on_stored_elsewhere(document, chunks),
            Event::StoreCompleted { token } => self.on_store_completed(token),
            Event::OpenDocument { document } => self.on_open_document(now_ms, document),
            Event::Tick => {
                self.evict_idle(now_ms);
                self.release_expired_asks();
            }
            Event::Forget { document } => self.forget_document(document),
        }
    }

    // ----- the end of a batch -----

    fn flush(&mut self) {
        while let Some(document) = self.touched.pop_first() {
            self.settle(document);
        }
    }

    /// Brings one document up to date: apply what arrived, store what is new, compact, and (unless
    /// a store is pending or the app's batch is open) tell peers.
    fn settle(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document).filter(|d| d.phase == Phase::Ready) else { return };
        if d.doc.has_open_batch() {
            // The app's batch is not a change yet: nothing of this document is stored or synced
            // while it is open (what arrived waits in the inbox). Changes from a peer cannot wait,
            // since the person should see them, so they commit the batch first: applied on their
            // own, they never mix into it.
            if !d.inbox.iter().any(|i| !i.message.changes.is_empty()) {
                return;
            }
            d.doc.commit_batch();
            if d.refresh_heads() {
                d.peers.values_mut().for_each(|p| p.dirty = true);
            }
        }
        self.apply_inbox(document);
        self.persist(document);
        self.ask_peers(document);
        self.generate(document);
    }
}
