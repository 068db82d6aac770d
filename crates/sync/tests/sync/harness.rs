//! A deterministic in-memory world: engines, their memory storage, and the connections between them.
//!
//! Every node has a queue of events not yet handled (frames in flight, storage answers). The test
//! decides what happens next: deliver, drop, duplicate, reorder, cut a connection, complete a store.
//! On every frame a node sends, the harness checks the durability rule: every head a sync message
//! advertises is already in the sender's storage.

use std::collections::VecDeque;

use automerge::sync;
use automerge::transaction::Transactable as _;
use automerge::{Automerge, ChangeHash, ROOT, ReadDoc as _};
use tandem_sync::codec::{self, Message};
use tandem_sync::storage::StorageKey;
use tandem_sync::{
    Action, AllowAll, Config, ConnectionId, DocumentId, Engine, Event, MemoryStorage, Policy, StoreToken,
};

pub struct Node<P: Policy = AllowAll> {
    pub engine: Engine<P>,
    pub storage: MemoryStorage,
    pub inbox: VecDeque<Event>,
    /// Stores not yet performed (when `auto_store` is off).
    pub held_stores: Vec<(StoreToken, StorageKey, Vec<u8>)>,
    pub auto_store: bool,
    /// Everything but sends and storage, for assertions.
    pub log: Vec<Action>,
    /// Frames sent, by type.
    pub sent: Vec<(ConnectionId, Message)>,
}

impl<P: Policy> Node<P> {
    pub fn new(engine: Engine<P>) -> Self {
        Node {
            engine,
            storage: MemoryStorage::new(),
            inbox: VecDeque::new(),
            held_stores: Vec::new(),
            auto_store: true,
            log: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Heads of the document as the storage would load it.
    pub fn stored_doc(&self, doc: &DocumentId) -> Automerge {
        let mut am = Automerge::new();
        for (_, bytes) in self.storage.load_range_now(&StorageKey::document_prefix(doc)) {
            am.load_incremental(&bytes).unwrap();
        }
        am
    }

    pub fn complete_stores(&mut self) {
        for (token, key, bytes) in std::mem::take(&mut self.held_stores) {
            self.storage.put_now(&key, &bytes);
            self.inbox.push_back(Event::StoreCompleted { token });
        }
    }

    pub fn complete_one_store(&mut self, i: usize) {
        if self.held_stores.is_empty() {
            return;
        }
        let (token, key, bytes) = self.held_stores.remove(i % self.held_stores.len());
        self.storage.put_now(&key, &bytes);
        self.inbox.push_back(Event::StoreCompleted { token });
    }
}

/// A connection between two nodes: `(node, connection id at that node)` on each end.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub client: (usize, ConnectionId),
    pub relay: (usize, ConnectionId),
    pub open: bool,
}

pub struct World<P: Policy = AllowAll> {
    pub nodes: Vec<Node<P>>,
    pub links: Vec<Link>,
    pub now: u64,
    next_conn: u64,
}

pub fn doc_id(n: u8) -> DocumentId {
    DocumentId::from_bytes([n; 16])
}

pub fn client_config(name: &str) -> Config {
    Config::client(name, format!("session-{name}"))
}

impl World<AllowAll> {
    /// Node 0 is a relay, nodes 1..=clients are clients.
    pub fn relay_and_clients(clients: usize) -> Self {
        let mut nodes = vec![Node::new(Engine::new(Config::relay("relay")))];
        for i in 1..=clients {
            nodes.push(Node::new(Engine::new(client_config(&format!("client-{i}")))));
        }
        World::from_nodes(nodes)
    }
}

impl<P: Policy> World<P> {
    pub fn from_nodes(nodes: Vec<Node<P>>) -> Self {
        World { nodes, links: Vec::new(), now: 0, next_conn: 1 }
    }

    /// Opens a connection from client node `c` to relay node `r`; returns the link index.
    pub fn connect(&mut self, c: usize, r: usize) -> usize {
        let cc = ConnectionId(self.next_conn);
        let rc = ConnectionId(self.next_conn + 1);
        self.next_conn += 2;
        self.links.push(Link { client: (c, cc), relay: (r, rc), open: true });
        self.nodes[r].inbox.push_back(Event::ConnectionOpened { connection: rc });
        self.nodes[c].inbox.push_back(Event::ConnectionOpened { connection: cc });
        self.links.len() - 1
    }

    /// Cuts a connection: both ends hear it closed, frames in flight are lost.
    pub fn cut(&mut self, link: usize) {
        let l = self.links[link];
        if !l.open {
            return;
        }
        self.links[link].open = false;
        for (node, conn) in [l.client, l.relay] {
            self.nodes[node]
                .inbox
                .retain(|e| !matches!(e, Event::BytesReceived { connection, .. } if *connection == conn));
            self.nodes[node].inbox.push_back(Event::ConnectionClosed { connection: conn });
        }
    }

    pub fn cut_all(&mut self) {
        for i in 0..self.links.len() {
            self.cut(i);
        }
    }

    fn peer_end(&self, node: usize, conn: ConnectionId) -> Option<(usize, ConnectionId, usize)> {
        self.links.iter().enumerate().find_map(|(i, l)| {
            if !l.open {
                None
            } else if l.client == (node, conn) {
                Some((l.relay.0, l.relay.1, i))
            } else if l.relay == (node, conn) {
                Some((l.client.0, l.client.1, i))
            } else {
                None
            }
        })
    }

    /// Performs a node's actions.
    pub fn perform(&mut self, node: usize, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { connection, bytes } => {
                    let message = codec::decode(&bytes).expect("engines send valid frames");
                    self.check_durable(node, &message);
                    self.nodes[node].sent.push((connection, message));
                    if let Some((peer, peer_conn, _)) = self.peer_end(node, connection) {
                        self.nodes[peer]
                            .inbox
                            .push_back(Event::BytesReceived { connection: peer_conn, bytes });
                    }
                }
                Action::Close { connection, .. } => {
                    if let Some((_, _, link)) = self.peer_end(node, connection) {
                        self.cut(link);
                    }
                    self.nodes[node].log.push(action_close(connection));
                }
                Action::Load { document } => {
                    let chunks =
                        self.nodes[node].storage.load_range_now(&StorageKey::document_prefix(&document));
                    self.nodes[node].inbox.push_back(Event::Loaded { document, chunks });
                }
                Action::Store { token, key, bytes } => {
                    let n = &mut self.nodes[node];
                    if n.auto_store {
                        n.storage.put_now(&key, &bytes);
                        n.inbox.push_back(Event::StoreCompleted { token });
                    } else {
                        n.held_stores.push((token, key, bytes));
                    }
                }
                Action::Delete { key } => self.nodes[node].storage.delete_now(&key),
                other => self.nodes[node].log.push(other),
            }
        }
    }

    /// The durability rule, checked on the wire: advertised heads are in the sender's storage.
    fn check_durable(&self, node: usize, message: &Message) {
        if let Message::Sync { document_id, data, .. } | Message::Request { document_id, data, .. } = message
        {
            let heads = sync::Message::decode(data).unwrap().heads;
            if heads.is_empty() {
                return;
            }
            let stored = self.nodes[node].stored_doc(document_id);
            for h in &heads {
                assert!(
                    stored.get_change_by_hash(h).is_some(),
                    "node {node} advertised head {h} of {document_id} before storing it"
                );
            }
        }
    }

    /// Handles everything queued at `node` as one batch. Returns false if nothing was queued.
    pub fn deliver_batch(&mut self, node: usize) -> bool {
        let events: Vec<Event> = self.nodes[node].inbox.drain(..).collect();
        if events.is_empty() {
            return false;
        }
        let actions = self.nodes[node].engine.handle_batch(self.now, events);
        self.perform(node, actions);
        true
    }

    /// Handles the next queued event at `node`.
    pub fn deliver_one(&mut self, node: usize) -> bool {
        let Some(event) = self.nodes[node].inbox.pop_front() else { return false };
        let actions = self.nodes[node].engine.handle(self.now, event);
        self.perform(node, actions);
        true
    }

    /// Delivers until nothing is in flight; panics if that takes more than `limit` rounds (a storm).
    pub fn run_until_quiet(&mut self) {
        for _ in 0..2_000 {
            let mut any = false;
            for n in 0..self.nodes.len() {
                any |= self.deliver_batch(n);
            }
            if !any {
                return;
            }
        }
        panic!("the network never went quiet: a sync storm");
    }

    pub fn frames_sent(&self) -> usize {
        self.nodes.iter().map(|n| n.sent.len()).sum()
    }

    pub fn create(&mut self, node: usize, doc: DocumentId, key: &str, value: &str) {
        let mut am = Automerge::new();
        am.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, key, value)?;
            Ok(())
        })
        .unwrap();
        let actions = self.nodes[node].engine.create_document(self.now, doc, am).unwrap();
        self.perform(node, actions);
    }

    pub fn open(&mut self, node: usize, doc: DocumentId) {
        self.nodes[node].inbox.push_back(Event::OpenDocument { document: doc });
    }

    /// Puts `key = value` in a loaded document; false if the document is not loaded.
    pub fn edit(&mut self, node: usize, doc: DocumentId, key: &str, value: &str) -> bool {
        let result = self.nodes[node].engine.change(self.now, &doc, |am| {
            am.transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(ROOT, key, value)?;
                Ok(())
            })
            .unwrap();
        });
        match result {
            Ok(((), actions)) => {
                self.perform(node, actions);
                true
            }
            Err(_) => false,
        }
    }

    pub fn heads(&self, node: usize, doc: &DocumentId) -> Option<Vec<ChangeHash>> {
        self.nodes[node].engine.document(doc).map(|d| d.get_heads())
    }

    pub fn value(&self, node: usize, doc: &DocumentId, key: &str) -> Option<String> {
        let am = self.nodes[node].engine.document(doc)?;
        am.get(ROOT, key).unwrap().map(|(v, _)| v.into_string().unwrap_or_default())
    }

    pub fn tick(&mut self, node: usize) {
        self.nodes[node].inbox.push_back(Event::Tick);
    }

    /// Logged actions of one kind at a node.
    pub fn logged(&self, node: usize, pred: impl Fn(&Action) -> bool) -> usize {
        self.nodes[node].log.iter().filter(|a| pred(a)).count()
    }
}

fn action_close(connection: ConnectionId) -> Action {
    Action::Close { connection, reason: String::new() }
}
