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
//!    pass every binary frame as [`Event::BytesReceived`]; when the socket ends send
//!    [`Event::ConnectionClosed`]. [`Action::Send`] writes one binary frame; [`Action::Close`] closes
//!    the socket (the engine has already forgotten the connection and sent the peer an `error`).
//! 4. Storage: [`Action::Load`] → read everything under [`StorageKey::document_prefix`] and answer
//!    [`Event::Loaded`] (an empty list when nothing is stored). [`Action::Store`] → write the chunk,
//!    commit, then answer [`Event::StoreCompleted`] with the token. [`Action::Delete`] → delete the key
//!    (no answer needed). Perform storage actions in the order given.
//! 5. Time: send [`Event::Tick`] now and then (every few seconds); idle documents are evicted then.
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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use automerge::sync::{self, ChunkList, SyncDoc};
use automerge::{Automerge, ChangeHash};

use crate::codec::{self, Message, PROTOCOL_VERSION, PeerMetadata};
use crate::storage::{ChunkKind, StorageKey};
use crate::{ConnectionId, DocumentId, Error, PeerId};

/// Which end of a connection this engine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Accepts connections: waits for `join`, answers `peer`, stores and serves every document it is
    /// asked for (subject to the [`Policy`]).
    Relay,
    /// Opens connections: sends `join`, then syncs the documents the app opened with every peer.
    Client,
}

/// Engine settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// This engine's peer id (`senderId` in everything it sends).
    pub peer_id: PeerId,
    /// Relay or client.
    pub role: Role,
    /// Our storage id, sent in `peerMetadata` (optional).
    pub storage_id: Option<String>,
    /// Tell peers we will not come back with the same storage.
    pub is_ephemeral: bool,
    /// Evict a document after this long without use (milliseconds).
    pub idle_evict_after_ms: u64,
    /// Write a snapshot and delete the incremental chunks once a document has this many.
    pub compact_after_incrementals: usize,
    /// Frames larger than this close the connection.
    pub max_frame_bytes: usize,
    /// The session id of ephemeral messages this engine originates (random per start; the caller
    /// supplies it because the engine has no randomness).
    pub ephemeral_session_id: String,
}

impl Config {
    /// Defaults for a relay.
    pub fn relay(peer_id: impl Into<PeerId>) -> Self {
        Config {
            peer_id: peer_id.into(),
            role: Role::Relay,
            storage_id: None,
            is_ephemeral: false,
            idle_evict_after_ms: 5 * 60 * 1000,
            compact_after_incrementals: 32,
            max_frame_bytes: codec::DEFAULT_MAX_FRAME_BYTES,
            ephemeral_session_id: String::new(),
        }
    }

    /// Defaults for a client; `ephemeral_session_id` should be random per start.
    pub fn client(peer_id: impl Into<PeerId>, ephemeral_session_id: impl Into<String>) -> Self {
        Config {
            role: Role::Client,
            ephemeral_session_id: ephemeral_session_id.into(),
            ..Self::relay(peer_id)
        }
    }
}

/// Access control, asked for every document a connection reads or writes.
///
/// A document a connection may not read is answered exactly like a missing one (`doc-unavailable`),
/// and nothing about it is sent to that connection (sync or ephemeral). Changes from a connection that
/// may read but not write are not applied, stored or forwarded ([`Action::WriteRefused`] reports
/// them), and the peer is told through automerge's read-only sync flag.
///
/// The runtime knows which user a connection belongs to (it authenticated the socket); an
/// implementation typically maps `connection` to that user. Answers may change over time
/// ([`Engine::policy_mut`]); they are asked again for every message.
pub trait Policy {
    /// May this connection see `doc`?
    fn may_read(&self, connection: ConnectionId, peer: &PeerId, doc: &DocumentId) -> bool;
    /// May this connection change `doc`? Only asked when it may read.
    fn may_write(&self, connection: ConnectionId, peer: &PeerId, doc: &DocumentId) -> bool;
}

/// The default policy: everyone may read and write everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl Policy for AllowAll {
    fn may_read(&self, _: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        true
    }
    fn may_write(&self, _: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        true
    }
}

/// Names one [`Action::Store`]; the runtime hands it back in [`Event::StoreCompleted`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreToken(pub u64);

/// Something that happened, for the engine to react to.
#[derive(Debug, Clone)]
pub enum Event {
    /// The runtime opened (client) or accepted (relay) a connection.
    ConnectionOpened {
        /// A fresh id.
        connection: ConnectionId,
    },
    /// One binary frame arrived.
    BytesReceived {
        /// From where.
        connection: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// The connection ended (either side, any reason).
    ConnectionClosed {
        /// Which one.
        connection: ConnectionId,
    },
    /// The answer to [`Action::Load`]: every chunk stored under the document's prefix (empty when
    /// none).
    Loaded {
        /// The document.
        document: DocumentId,
        /// `(key, bytes)` as stored.
        chunks: Vec<(StorageKey, Vec<u8>)>,
    },
    /// The [`Action::Store`] with this token is durable.
    StoreCompleted {
        /// The token from the action.
        token: StoreToken,
    },
    /// The app wants this document: load it and sync it with every peer. Answered with
    /// [`Action::DocumentReady`] once it has content, or [`Action::DocumentUnavailable`].
    OpenDocument {
        /// The document.
        document: DocumentId,
    },
    /// Time passes: evict idle documents.
    Tick,
}

/// Something the runtime must do (or may show), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one binary frame.
    Send {
        /// To where.
        connection: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// Close the connection (an `error` message has been sent before it). The engine has already
    /// forgotten it; a later [`Event::ConnectionClosed`] for it is ignored.
    Close {
        /// Which one.
        connection: ConnectionId,
        /// Why, for logs.
        reason: String,
    },
    /// A connection completed the handshake.
    PeerConnected {
        /// Which one.
        connection: ConnectionId,
        /// The remote's peer id.
        peer_id: PeerId,
        /// The remote's metadata.
        metadata: Option<PeerMetadata>,
    },
    /// Load every chunk under [`StorageKey::document_prefix`], then send [`Event::Loaded`].
    Load {
        /// The document.
        document: DocumentId,
    },
    /// Write this chunk durably, then send [`Event::StoreCompleted`].
    Store {
        /// Hand this back.
        token: StoreToken,
        /// Where.
        key: StorageKey,
        /// What.
        bytes: Vec<u8>,
    },
    /// Delete this chunk (its content is in a stored snapshot).
    Delete {
        /// Which.
        key: StorageKey,
    },
    /// The document's content changed because of a peer (the app should re-read it).
    DocumentChanged {
        /// The document.
        document: DocumentId,
    },
    /// A document the app opened has content now.
    DocumentReady {
        /// The document.
        document: DocumentId,
    },
    /// A document the app opened is not stored here and the peer does not have it (or may not show
    /// it). It stays open: if a peer later supplies it, [`Action::DocumentReady`] follows.
    DocumentUnavailable {
        /// The document.
        document: DocumentId,
    },
    /// Client only: the peer on this connection has (durably) everything this engine has of the
    /// document. Reported again after each change once it is acknowledged.
    Synced {
        /// The document.
        document: DocumentId,
        /// The peer's connection.
        connection: ConnectionId,
    },
    /// An ephemeral message for the app (presence, cursors).
    Ephemeral {
        /// The document.
        document: DocumentId,
        /// The original sender.
        sender: PeerId,
        /// The payload.
        data: Vec<u8>,
    },
    /// The [`Policy`] refused changes from this connection; they were dropped.
    WriteRefused {
        /// From where.
        connection: ConnectionId,
        /// The document.
        document: DocumentId,
    },
}

#[derive(Debug)]
enum Handshake {
    AwaitingJoin,
    AwaitingPeer,
    Established { peer_id: PeerId },
}

#[derive(Debug)]
struct Connection {
    handshake: Handshake,
    /// Documents this connection takes part in; mirrors `Engine::interest`.
    docs: BTreeSet<DocumentId>,
}

#[derive(Debug)]
struct Inbound {
    connection: ConnectionId,
    request: bool,
    message: sync::Message,
}

/// One peer's view of one document.
#[derive(Debug)]
struct PeerDoc {
    sync: sync::State,
    /// A sync message should be generated for this peer when the document is not gated.
    dirty: bool,
    /// The peer asked for the document and we had nothing: it awaits data or `doc-unavailable`.
    wants: bool,
    /// We told the peer the document is unavailable (and have not sent data since).
    told_unavailable: bool,
    /// The peer told us it does not have the document.
    they_unavailable: bool,
    /// Relay: we asked this peer for a document we lack on behalf of a requester, and it has not
    /// answered yet. Requesters hear `doc-unavailable` only once no asked peer is pending.
    asked: bool,
    /// Heads last reported as synced with this peer.
    synced_heads: Option<Vec<ChangeHash>>,
}

impl PeerDoc {
    fn new(dirty: bool) -> Self {
        PeerDoc {
            sync: sync::State::new(),
            dirty,
            wants: false,
            told_unavailable: false,
            they_unavailable: false,
            asked: false,
            synced_heads: None,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Loading,
    Ready,
}

#[derive(Debug)]
struct Doc {
    phase: Phase,
    doc: Automerge,
    peers: BTreeMap<ConnectionId, PeerDoc>,
    inbox: Vec<Inbound>,
    /// Stores whose completion gates every outgoing sync message for this document.
    pending_stores: BTreeSet<StoreToken>,
    /// Heads covered by the chunks emitted so far.
    saved_heads: Vec<ChangeHash>,
    /// Chunk keys (snapshots and incrementals) this document's content is stored under.
    stored_chunks: Vec<StorageKey>,
    incrementals: usize,
    compaction: Option<StoreToken>,
    last_used_ms: u64,
    app_open: bool,
    announced_ready: bool,
    announced_unavailable: bool,
}

impl Doc {
    fn new(phase: Phase, now_ms: u64) -> Self {
        Doc {
            phase,
            doc: Automerge::new(),
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
        }
    }

    fn has_data(&self) -> bool {
        !self.doc.get_heads().is_empty()
    }
}

#[derive(Debug)]
enum TokenUse {
    /// New content: gates sync for the document.
    Content(DocumentId),
    /// A compaction snapshot: on completion, delete what it covers.
    Compaction { document: DocumentId, key: StorageKey, covers: Vec<StorageKey> },
}

/// How many ephemeral message ids are remembered for de-duplication.
const EPHEMERAL_SEEN_CAPACITY: usize = 4096;

/// The sync engine. See the [module documentation](self) for how to drive it.
#[derive(Debug)]
pub struct Engine<P: Policy = AllowAll> {
    config: Config,
    policy: P,
    connections: BTreeMap<ConnectionId, Connection>,
    docs: HashMap<DocumentId, Doc>,
    /// Which connections take part in which document; kept when the document is evicted.
    interest: HashMap<DocumentId, BTreeSet<ConnectionId>>,
    tokens: HashMap<StoreToken, TokenUse>,
    next_token: u64,
    /// Documents to look at when the current batch ends.
    touched: BTreeSet<DocumentId>,
    ephemeral_seen: HashSet<(PeerId, String, u64)>,
    ephemeral_order: VecDeque<(PeerId, String, u64)>,
    ephemeral_count: u64,
    out: Vec<Action>,
}

impl Engine<AllowAll> {
    /// An engine that allows everything.
    pub fn new(config: Config) -> Self {
        Engine::with_policy(config, AllowAll)
    }
}

impl<P: Policy> Engine<P> {
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
        doc: Automerge,
    ) -> Result<Vec<Action>, Error> {
        match self.docs.get_mut(&document) {
            // A relay may have asked us for this id (someone requested it before we created it);
            // that left an empty placeholder, which the new content takes over, keeping the peers.
            Some(state) if !state.app_open && !state.has_data() => {
                state.doc = doc;
                state.app_open = true;
                state.announced_ready = true;
                state.last_used_ms = now_ms;
                state.peers.values_mut().for_each(|p| p.dirty = true);
            }
            Some(_) => return Err(Error::DocumentExists(document.to_string())),
            None => {
                let mut state = Doc::new(Phase::Ready, now_ms);
                state.doc = doc;
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

    /// Changes a loaded document: `f` gets the automerge document and must commit its transaction.
    /// The changes are stored, then synced.
    pub fn change<R>(
        &mut self,
        now_ms: u64,
        document: &DocumentId,
        f: impl FnOnce(&mut Automerge) -> R,
    ) -> Result<(R, Vec<Action>), Error> {
        let state = match self.docs.get_mut(document) {
            Some(state) if state.phase == Phase::Ready => state,
            _ => return Err(Error::DocumentNotLoaded(document.to_string())),
        };
        state.last_used_ms = now_ms;
        let before = state.doc.get_heads();
        let result = f(&mut state.doc);
        if state.doc.get_heads() != before {
            state.peers.values_mut().for_each(|p| p.dirty = true);
            self.touched.insert(*document);
        }
        self.flush();
        Ok((result, std::mem::take(&mut self.out)))
    }

    /// A loaded document, to read.
    pub fn document(&self, document: &DocumentId) -> Option<&Automerge> {
        self.docs.get(document).filter(|d| d.phase == Phase::Ready).map(|d| &d.doc)
    }

    /// Documents currently in memory (loaded or loading).
    pub fn documents_in_memory(&self) -> usize {
        self.docs.len()
    }

    /// The remote peer id of an established connection.
    pub fn peer_id_of(&self, connection: ConnectionId) -> Option<&PeerId> {
        match &self.connections.get(&connection)?.handshake {
            Handshake::Established { peer_id } => Some(peer_id),
            _ => None,
        }
    }

    /// True when no store for this document is waiting for completion.
    pub fn is_durable(&self, document: &DocumentId) -> bool {
        self.docs.get(document).is_none_or(|d| d.pending_stores.is_empty())
    }

    /// Sends an ephemeral message about `document` to every peer that takes part in it.
    pub fn broadcast_ephemeral(&mut self, now_ms: u64, document: DocumentId, data: Vec<u8>) -> Vec<Action> {
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
            Event::BytesReceived { connection, bytes } => self.on_bytes(now_ms, connection, &bytes),
            Event::ConnectionClosed { connection } => self.forget_connection(connection),
            Event::Loaded { document, chunks } => self.on_loaded(document, chunks),
            Event::StoreCompleted { token } => self.on_store_completed(token),
            Event::OpenDocument { document } => self.on_open_document(now_ms, document),
            Event::Tick => self.evict_idle(now_ms),
        }
    }

    fn on_opened(&mut self, connection: ConnectionId) {
        let handshake = match self.config.role {
            Role::Relay => Handshake::AwaitingJoin,
            Role::Client => {
                let join = Message::Join {
                    sender_id: self.config.peer_id.clone(),
                    peer_metadata: Some(self.metadata()),
                    supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
                };
                self.out.push(Action::Send { connection, bytes: codec::encode(&join) });
                Handshake::AwaitingPeer
            }
        };
        self.connections.insert(connection, Connection { handshake, docs: BTreeSet::new() });
    }

    fn metadata(&self) -> PeerMetadata {
        PeerMetadata { storage_id: self.config.storage_id.clone(), is_ephemeral: self.config.is_ephemeral }
    }

    fn on_bytes(&mut self, now_ms: u64, connection: ConnectionId, bytes: &[u8]) {
        let Some(conn) = self.connections.get(&connection) else { return };
        if bytes.len() > self.config.max_frame_bytes {
            let e = Error::FrameTooLarge { size: bytes.len(), limit: self.config.max_frame_bytes };
            return self.violation(connection, e.to_string());
        }
        let message = match codec::decode(bytes) {
            Ok(m) => m,
            // Newer protocol features must not cost old peers their connection.
            Err(Error::UnknownMessageType(_)) => return,
            Err(e) => return self.violation(connection, e.to_string()),
        };
        let peer_id = match (&conn.handshake, message) {
            (
                Handshake::AwaitingJoin,
                Message::Join { sender_id, peer_metadata, supported_protocol_versions },
            ) => {
                if !supported_protocol_versions.iter().any(|v| v == PROTOCOL_VERSION) {
                    let reason = format!(
                        "unsupported protocol versions {supported_protocol_versions:?}; this relay speaks \"{PROTOCOL_VERSION}\""
                    );
                    return self.violation(connection, reason);
                }
                let peer = Message::Peer {
                    sender_id: self.config.peer_id.clone(),
                    target_id: sender_id.clone(),
                    peer_metadata: Some(self.metadata()),
                    selected_protocol_version: PROTOCOL_VERSION.to_owned(),
                };
                self.out.push(Action::Send { connection, bytes: codec::encode(&peer) });
                return self.establish(connection, sender_id, peer_metadata);
            }
            (Handshake::AwaitingPeer, Message::Peer { sender_id, peer_metadata, .. }) => {
                return self.establish(connection, sender_id, peer_metadata);
            }
            (_, Message::Error { message, .. }) => {
                self.out
                    .push(Action::Close { connection, reason: format!("peer reported an error: {message}") });
                return self.forget_connection(connection);
            }
            (Handshake::Established { .. }, Message::Leave { .. }) => {
                self.out.push(Action::Close { connection, reason: "peer left".into() });
                return self.forget_connection(connection);
            }
            (Handshake::Established { peer_id }, message) => (peer_id.clone(), message),
            (_, other) => {
                let reason =
                    format!("unexpected `{}` message before the handshake completed", other.type_name());
                return self.violation(connection, reason);
            }
        };
        let (peer_id, message) = peer_id;
        if let Some(reason) = self.misaddressed(&peer_id, &message) {
            return self.violation(connection, reason);
        }
        match message {
            Message::Request { document_id, data, .. } => {
                self.on_sync(now_ms, connection, &peer_id, document_id, &data, true)
            }
            Message::Sync { document_id, data, .. } => {
                self.on_sync(now_ms, connection, &peer_id, document_id, &data, false)
            }
            Message::DocUnavailable { document_id, .. } => self.on_doc_unavailable(connection, document_id),
            Message::Ephemeral { sender_id, count, session_id, document_id, data, .. } => {
                if !self.policy.may_read(connection, &peer_id, &document_id) {
                    return;
                }
                if let Some(d) = self.docs.get_mut(&document_id) {
                    d.last_used_ms = now_ms;
                }
                let id = (sender_id.clone(), session_id.clone(), count);
                if self.ephemeral_seen.contains(&id) {
                    return;
                }
                self.remember_ephemeral(id);
                self.out.push(Action::Ephemeral {
                    document: document_id,
                    sender: sender_id.clone(),
                    data: data.clone(),
                });
                self.forward_ephemeral(Some(connection), sender_id, session_id, count, document_id, data);
            }
            Message::Join { .. } | Message::Peer { .. } => {
                self.violation(connection, "handshake repeated on an established connection".into())
            }
            // Remote-heads gossip is an optimisation this engine does not use.
            Message::RemoteSubscriptionChange { .. } | Message::RemoteHeadsChanged { .. } => {}
            Message::Error { .. } | Message::Leave { .. } => {}
        }
    }

    /// A message on an established connection must come from the peer that joined on it and be
    /// for us: a connection cannot speak for another peer (the relay binds each connection to a
    /// person, and other peers trust `senderId` in ephemeral messages and logs).
    ///
    /// One exception, on the client side: `ephemeral` messages keep the `senderId` of the peer that
    /// originated them when a relay forwards them, as automerge-repo does.
    fn misaddressed(&self, joined_as: &PeerId, message: &Message) -> Option<String> {
        let relayed = self.config.role == Role::Client && matches!(message, Message::Ephemeral { .. });
        if let Some(sender) = message.sender_id()
            && sender != joined_as
            && !relayed
        {
            return Some(format!(
                "a `{}` message from `{sender}` on the connection that joined as `{joined_as}`; send only as yourself",
                message.type_name()
            ));
        }
        match message.target_id() {
            Some(target) if *target != self.config.peer_id => Some(format!(
                "a `{}` message for `{target}` reached `{}`; address messages to the peer you joined",
                message.type_name(),
                self.config.peer_id
            )),
            _ => None,
        }
    }

    fn establish(&mut self, connection: ConnectionId, peer_id: PeerId, metadata: Option<PeerMetadata>) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.handshake = Handshake::Established { peer_id: peer_id.clone() };
        }
        self.out.push(Action::PeerConnected { connection, peer_id, metadata });
        if self.config.role == Role::Client {
            // A client syncs every document the app has open with every peer.
            let open: Vec<DocumentId> =
                self.docs.iter().filter(|(_, d)| d.app_open).map(|(id, _)| *id).collect();
            for document in open {
                self.register_interest(connection, document);
                if let Some(d) = self.docs.get_mut(&document)
                    && d.phase == Phase::Ready
                {
                    d.peers.entry(connection).or_insert_with(|| PeerDoc::new(true));
                    self.touched.insert(document);
                }
            }
        }
    }

    fn register_interest(&mut self, connection: ConnectionId, document: DocumentId) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.docs.insert(document);
            self.interest.entry(document).or_default().insert(connection);
        }
    }

    /// Answers a protocol violation: tell the peer why, close, forget. Only this connection suffers.
    fn violation(&mut self, connection: ConnectionId, reason: String) {
        if !self.connections.contains_key(&connection) {
            return;
        }
        let error = Message::Error {
            sender_id: Some(self.config.peer_id.clone()),
            target_id: self.peer_id_of(connection).cloned(),
            message: reason.clone(),
        };
        self.out.push(Action::Send { connection, bytes: codec::encode(&error) });
        self.out.push(Action::Close { connection, reason });
        self.forget_connection(connection);
    }

    fn forget_connection(&mut self, connection: ConnectionId) {
        let Some(conn) = self.connections.remove(&connection) else { return };
        for document in conn.docs {
            if let Some(set) = self.interest.get_mut(&document) {
                set.remove(&connection);
                if set.is_empty() {
                    self.interest.remove(&document);
                }
            }
            if let Some(d) = self.docs.get_mut(&document) {
                d.peers.remove(&connection);
                d.inbox.retain(|i| i.connection != connection);
                // A peer we asked for a missing document can no longer answer: requesters may be
                // owed their `doc-unavailable` now.
                if !d.has_data() {
                    self.touched.insert(document);
                }
            }
        }
    }

    fn on_sync(
        &mut self,
        now_ms: u64,
        connection: ConnectionId,
        peer_id: &PeerId,
        document: DocumentId,
        data: &[u8],
        request: bool,
    ) {
        let message = match sync::Message::decode(data) {
            Ok(m) => m,
            Err(e) => return self.violation(connection, format!("invalid automerge sync message: {e}")),
        };
        if !self.policy.may_read(connection, peer_id, &document) {
            // Exactly what a missing document gets.
            return self.send_unavailable(connection, document);
        }
        self.register_interest(connection, document);
        let state = self.docs.entry(document).or_insert_with(|| {
            self.out.push(Action::Load { document });
            Doc::new(Phase::Loading, now_ms)
        });
        state.last_used_ms = now_ms;
        state.inbox.push(Inbound { connection, request, message });
        self.touched.insert(document);
    }

    fn send_unavailable(&mut self, connection: ConnectionId, document: DocumentId) {
        let Some(target_id) = self.peer_id_of(connection).cloned() else { return };
        let message = Message::DocUnavailable {
            sender_id: self.config.peer_id.clone(),
            target_id,
            document_id: document,
        };
        self.out.push(Action::Send { connection, bytes: codec::encode(&message) });
    }

    fn on_doc_unavailable(&mut self, connection: ConnectionId, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        if let Some(p) = d.peers.get_mut(&connection) {
            p.they_unavailable = true;
            p.asked = false;
        }
        // Its answer may be the last one requesters were waiting for.
        self.touched.insert(document);
        if d.phase == Phase::Ready && !d.has_data() && d.app_open && !d.announced_unavailable {
            d.announced_unavailable = true;
            self.out.push(Action::DocumentUnavailable { document });
        }
    }

    fn on_open_document(&mut self, now_ms: u64, document: DocumentId) {
        let state = self.docs.entry(document).or_insert_with(|| {
            self.out.push(Action::Load { document });
            Doc::new(Phase::Loading, now_ms)
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

    fn established(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.connections
            .iter()
            .filter(|(_, c)| matches!(c.handshake, Handshake::Established { .. }))
            .map(|(id, _)| *id)
    }

    /// Client: every established connection takes part in a document the app has open.
    fn attach_client_peers(&mut self, document: DocumentId) {
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

    fn on_loaded(&mut self, document: DocumentId, chunks: Vec<(StorageKey, Vec<u8>)>) {
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
        d.saved_heads = d.doc.get_heads();
        d.phase = Phase::Ready;
        for c in interested {
            // Peers other than the senders in the inbox hear from us when the document changes.
            d.peers.entry(c).or_insert_with(|| PeerDoc::new(client && d.app_open));
        }
        if d.app_open && d.has_data() && !d.announced_ready {
            d.announced_ready = true;
            self.out.push(Action::DocumentReady { document });
        }
        self.touched.insert(document);
    }

    fn on_store_completed(&mut self, token: StoreToken) {
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

    fn evict_idle(&mut self, now_ms: u64) {
        let idle = self.config.idle_evict_after_ms;
        self.docs.retain(|_, d| {
            let quiet = d.phase == Phase::Ready
                && d.pending_stores.is_empty()
                && d.compaction.is_none()
                && d.inbox.is_empty()
                && !d.app_open;
            !(quiet && now_ms.saturating_sub(d.last_used_ms) >= idle)
        });
    }

    fn remember_ephemeral(&mut self, id: (PeerId, String, u64)) {
        if self.ephemeral_seen.insert(id.clone()) {
            self.ephemeral_order.push_back(id);
            if self.ephemeral_order.len() > EPHEMERAL_SEEN_CAPACITY
                && let Some(old) = self.ephemeral_order.pop_front()
            {
                self.ephemeral_seen.remove(&old);
            }
        }
    }

    fn forward_ephemeral(
        &mut self,
        from: Option<ConnectionId>,
        sender_id: PeerId,
        session_id: String,
        count: u64,
        document: DocumentId,
        data: Vec<u8>,
    ) {
        let targets: Vec<ConnectionId> =
            self.interest.get(&document).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for c in targets {
            if Some(c) == from {
                continue;
            }
            let Some(target_id) = self.peer_id_of(c).cloned() else { continue };
            if !self.policy.may_read(c, &target_id, &document) {
                continue;
            }
            let message = Message::Ephemeral {
                sender_id: sender_id.clone(),
                target_id,
                count,
                session_id: session_id.clone(),
                document_id: document,
                data: data.clone(),
            };
            self.out.push(Action::Send { connection: c, bytes: codec::encode(&message) });
        }
    }

    // ----- the end of a batch -----

    fn flush(&mut self) {
        while let Some(document) = self.touched.pop_first() {
            self.settle(document);
        }
    }

    /// Brings one document up to date: apply what arrived, store what is new, compact, and (unless
    /// a store is pending) tell peers.
    fn settle(&mut self, document: DocumentId) {
        if !self.docs.get(&document).is_some_and(|d| d.phase == Phase::Ready) {
            return;
        }
        self.apply_inbox(document);
        self.persist(document);
        self.ask_peers(document);
        self.generate(document);
    }

    fn apply_inbox(&mut self, document: DocumentId) {
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
            peer.asked = false;
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
        let before = d.doc.get_heads();
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
        if d.doc.get_heads() != before {
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

    fn persist(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        let heads = d.doc.get_heads();
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

    /// Relay: a peer asked for a document we have no data for (nothing stored, nothing in memory).
    /// Like automerge-repo's own sync server, ask every other established peer that may read it
    /// (a `request`), because the document may exist on a device whose first sync has not reached
    /// us yet: its creator, typically, when another device opens a link right after creation. The
    /// requester hears `doc-unavailable` only once every asked peer said so or went away (see
    /// [`Self::generate`]); if one supplies it, it is stored and synced as any change is.
    fn ask_peers(&mut self, document: DocumentId) {
        if self.config.role != Role::Relay {
            return;
        }
        let Some(d) = self.docs.get(&document) else { return };
        if d.has_data() || !d.peers.values().any(|p| p.wants && !p.told_unavailable) {
            return;
        }
        let candidates: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter_map(|(&c, conn)| match &conn.handshake {
                Handshake::Established { peer_id } => Some((c, peer_id)),
                _ => None,
            })
            .filter(|(c, _)| d.peers.get(c).is_none_or(|p| !p.wants && !p.they_unavailable && !p.asked))
            .filter(|(c, peer_id)| self.policy.may_read(*c, peer_id, &document))
            .map(|(c, _)| c)
            .collect();
        for c in candidates {
            self.register_interest(c, document);
            if let Some(d) = self.docs.get_mut(&document) {
                // A fresh sync state, so automerge certainly generates the request.
                let mut peer = PeerDoc::new(true);
                peer.asked = true;
                d.peers.insert(c, peer);
            }
        }
    }

    fn generate(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        // Durable before acknowledged: nothing that advertises heads leaves while a store is pending.
        if !d.pending_stores.is_empty() {
            return;
        }
        let has_data = d.has_data();
        let heads = d.doc.get_heads();
        let mut unavailable = Vec::new();
        // Relay: while a peer we asked for the missing document may still supply it, requesters wait.
        let awaiting_answers = !has_data && d.peers.values().any(|p| p.asked);
        for (&connection, peer) in d.peers.iter_mut() {
            let Some(Connection { handshake: Handshake::Established { peer_id }, .. }) =
                self.connections.get(&connection)
            else {
                continue;
            };
            if self.config.role == Role::Client
                && has_data
                && peer
                    .sync
                    .their_heads
                    .as_ref()
                    .is_some_and(|theirs| heads.iter().all(|h| theirs.contains(h)))
                && peer.synced_heads.as_ref() != Some(&heads)
            {
                peer.synced_heads = Some(heads.clone());
                self.out.push(Action::Synced { document, connection });
            }
            // Checked on every pass, not only when dirty: the last asked peer's answer (or its
            // disconnection) is what releases a waiting requester.
            if !has_data
                && peer.wants
                && !peer.told_unavailable
                && !awaiting_answers
                && self.policy.may_read(connection, peer_id, &document)
            {
                peer.told_unavailable = true;
                unavailable.push((connection, peer_id.clone()));
            }
            if !peer.dirty {
                continue;
            }
            peer.dirty = false;
            if !self.policy.may_read(connection, peer_id, &document) {
                continue;
            }
            if !has_data && (peer.wants || peer.they_unavailable) {
                continue;
            }
            // A peer that asks again for a change we already sent lost it (a frame lost on a broken
            // connection, or a duplicate that reset its state): send it again rather than let
            // automerge's de-duplication stall the exchange in an endless need/have ping-pong.
            if let Some(need) = &peer.sync.their_need {
                for hash in need {
                    peer.sync.sent_hashes.remove(hash);
                }
            }
            let Some(message) = d.doc.generate_sync_message(&mut peer.sync) else { continue };
            peer.told_unavailable = false;
            let data = message.encode();
            let (sender_id, target_id) = (self.config.peer_id.clone(), peer_id.clone());
            // `request` means "I have nothing, do you?": only when neither side has shown data.
            let asking = !has_data && peer.sync.their_heads.as_ref().is_none_or(|h| h.is_empty());
            let wire = if !asking {
                Message::Sync { sender_id, target_id, document_id: document, data }
            } else {
                Message::Request { sender_id, target_id, document_id: document, data }
            };
            self.out.push(Action::Send { connection, bytes: codec::encode(&wire) });
        }
        for (connection, target_id) in unavailable {
            let message = Message::DocUnavailable {
                sender_id: self.config.peer_id.clone(),
                target_id,
                document_id: document,
            };
            self.out.push(Action::Send { connection, bytes: codec::encode(&message) });
        }
    }
}
