//! A runtime for one engine in memory: its storage, the loads and stores it asked for and has not
//! been answered yet, and the frames it sent. Every frame it sends is checked on the way out: it
//! decodes, and a sync message advertises only heads that are in storage already (durable before
//! acknowledged).

use std::collections::{BTreeSet, VecDeque};

use automerge::{Automerge, ChangeHash, ReadDoc as _};
use tandem_sync::codec::{self, Message};
use tandem_sync::storage::{ChunkKind, StorageKey};
use tandem_sync::{Action, Config, ConnectionId, DocumentId, Engine, Event, MemoryStorage, StoreToken};

pub(crate) struct Node {
    pub(crate) engine: Engine,
    pub(crate) storage: MemoryStorage,
    /// Answered at once when true; otherwise they wait for [`Node::complete_store`].
    pub(crate) auto: bool,
    pub(crate) held_stores: VecDeque<(StoreToken, StorageKey, Vec<u8>)>,
    pub(crate) held_loads: VecDeque<DocumentId>,
    pub(crate) sent: VecDeque<(ConnectionId, Vec<u8>)>,
    /// Connections the engine closed itself.
    pub(crate) closed: BTreeSet<ConnectionId>,
    /// Connections ever opened, and those since closed (by the runtime or the engine): the
    /// engine may send only to the first and not the second.
    known: BTreeSet<ConnectionId>,
    gone: BTreeSet<ConnectionId>,
    pub(crate) now: u64,
}

impl Node {
    pub(crate) fn new(config: Config, auto: bool) -> Self {
        Node {
            engine: Engine::new(config),
            storage: MemoryStorage::new(),
            auto,
            held_stores: VecDeque::new(),
            held_loads: VecDeque::new(),
            sent: VecDeque::new(),
            closed: BTreeSet::new(),
            known: BTreeSet::new(),
            gone: BTreeSet::new(),
            now: 1,
        }
    }

    pub(crate) fn handle(&mut self, events: Vec<Event>) {
        let mut closing = Vec::new();
        for event in &events {
            match event {
                Event::ConnectionOpened { connection } => {
                    self.known.insert(*connection);
                }
                // Frames the engine queued before it heard of the close may still go out in
                // this batch's actions; none may after it.
                Event::ConnectionClosed { connection } => closing.push(*connection),
                _ => {}
            }
        }
        let actions = self.engine.handle_batch(self.now, events);
        self.perform(actions);
        self.gone.extend(closing);
    }

    pub(crate) fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { connection, bytes } => {
                    let message =
                        codec::decode(&bytes).expect("the engine sends only frames its codec reads");
                    assert!(
                        self.known.contains(&connection) && !self.gone.contains(&connection),
                        "the engine sent a {} to {connection:?}, which is not open",
                        message.type_name()
                    );
                    self.check_durable(&message);
                    self.sent.push_back((connection, bytes));
                }
                Action::Close { connection, .. } => {
                    self.closed.insert(connection);
                    self.gone.insert(connection);
                }
                Action::Load { document } => self.held_loads.push_back(document),
                Action::Store { token, key, bytes } => self.held_stores.push_back((token, key, bytes)),
                Action::Delete { key } => self.storage.delete_now(&key),
                _ => {}
            }
        }
        if self.auto {
            self.settle_storage();
        }
    }

    /// Answers the `i`-th load waiting (modulo how many wait).
    pub(crate) fn complete_load(&mut self, i: usize) {
        if self.held_loads.is_empty() {
            return;
        }
        let document = self.held_loads.remove(i % self.held_loads.len()).expect("in range");
        let chunks = self.storage.load_range_now(&StorageKey::document_prefix(&document));
        self.handle(vec![Event::Loaded { document, chunks }]);
    }

    /// Performs the `i`-th store waiting (modulo how many wait) and reports it complete.
    pub(crate) fn complete_store(&mut self, i: usize) {
        if self.held_stores.is_empty() {
            return;
        }
        let (token, key, bytes) = self.held_stores.remove(i % self.held_stores.len()).expect("in range");
        self.storage.put_now(&key, &bytes);
        self.handle(vec![Event::StoreCompleted { token }]);
    }

    /// Answers every load and store, including those their answers lead to.
    pub(crate) fn settle_storage(&mut self) {
        for _ in 0..10_000 {
            if !self.held_stores.is_empty() {
                self.complete_store(0);
            } else if !self.held_loads.is_empty() {
                self.complete_load(0);
            } else {
                return;
            }
        }
        panic!("storage answers keep causing more storage work: the engine loops");
    }

    /// The document as storage holds it, loaded as the engine loads it: snapshots first, then
    /// incremental chunks (the order matters to automerge: fuzzing found chunks that give other
    /// heads when an incremental one is loaded before the snapshot).
    pub(crate) fn stored(&self, document: &DocumentId) -> Automerge {
        let mut chunks = self.storage.load_range_now(&StorageKey::document_prefix(document));
        chunks.sort_by_key(|(key, _)| (key.chunk_kind() != Some(ChunkKind::Snapshot), key.clone()));
        let mut doc = Automerge::new();
        for (_, bytes) in chunks {
            // A chunk automerge refuses is skipped, as the engine skips it when loading.
            let _ = doc.load_incremental(&bytes);
        }
        doc
    }

    fn check_durable(&self, message: &Message) {
        let (Message::Sync { document_id, data, .. } | Message::Request { document_id, data, .. }) = message
        else {
            return;
        };
        let heads: Vec<ChangeHash> =
            automerge::sync::Message::decode(data).expect("the engine sends valid sync messages").heads;
        if heads.is_empty() {
            return;
        }
        let stored = self.stored(document_id);
        for head in heads {
            assert!(
                stored.get_change_by_hash(&head).is_some(),
                "a sync message for {document_id} advertises head {head} before it is stored"
            );
        }
    }
}

/// Two nodes joined by one connection (`a_conn` at `a`, `b_conn` at `b`): delivers every frame
/// each sends on it until neither sends any more. Frames on other connections are dropped (their
/// peers are scripted, not real). Returns how many frames were delivered; panics when the two do
/// not go quiet within `max_frames` (a sync storm).
pub(crate) fn pump(
    a: &mut Node,
    a_conn: ConnectionId,
    b: &mut Node,
    b_conn: ConnectionId,
    max_frames: usize,
) -> usize {
    let mut delivered = 0;
    loop {
        let to_b: Vec<Vec<u8>> = drain_for(a, a_conn);
        let to_a: Vec<Vec<u8>> = drain_for(b, b_conn);
        if to_a.is_empty() && to_b.is_empty() {
            return delivered;
        }
        delivered += to_a.len() + to_b.len();
        assert!(
            delivered <= max_frames,
            "two honest peers exchanged over {max_frames} frames without going quiet"
        );
        if !to_b.is_empty() && !b.closed.contains(&b_conn) {
            b.handle(
                to_b.into_iter().map(|bytes| Event::BytesReceived { connection: b_conn, bytes }).collect(),
            );
        }
        if !to_a.is_empty() && !a.closed.contains(&a_conn) {
            a.handle(
                to_a.into_iter().map(|bytes| Event::BytesReceived { connection: a_conn, bytes }).collect(),
            );
        }
    }
}

fn drain_for(node: &mut Node, conn: ConnectionId) -> Vec<Vec<u8>> {
    let (mine, others): (Vec<_>, Vec<_>) = node.sent.drain(..).partition(|(c, _)| *c == conn);
    drop(others);
    mine.into_iter().map(|(_, bytes)| bytes).collect()
}
