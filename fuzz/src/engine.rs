//! The sync engine fed frames from peers in any order. The input is a script (see [`Op`]): open
//! and close connections, send a peer's handshake, requests and sync messages (real automerge
//! sync messages from a small pool, or raw and mutated bytes), complete the engine's loads and
//! stores in any order, let time pass, and (as a client) open, create and change documents.
//!
//! Checked all along (by [`crate::node::Node`]): every frame the engine sends decodes, goes to a
//! connection that is open, and advertises only heads already in storage. Checked at the end:
//! once storage has answered everything, what the engine holds in memory is what storage holds,
//! and a fresh honest peer that connects then converges with it in a bounded number of frames
//! (whatever the script did, it did not wedge the engine or lose what it stored).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use automerge::sync::{self, SyncDoc as _};
use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ActorId, Automerge, ROOT};
use tandem_sync::bounds::Limits;
use tandem_sync::codec::{self, Message, PROTOCOL_VERSION, PeerMetadata, RemoteHeads};
use tandem_sync::engine::Frame;
use tandem_sync::{Config, ConnectionId, DocumentId, Event, PeerId};

use crate::input::Input;
use crate::node::{Node, pump};

/// The documents a script talks about.
pub const DOCS: [[u8; 16]; 3] = [[1; 16], [2; 16], [3; 16]];
/// How many scripted peers (connection slots) there are.
const PEERS: usize = 3;
/// The engine under test evicts documents idle this long, so ticks reach eviction.
const EVICT_AFTER_MS: u64 = 10_000;
const ENGINE_PEER: &str = "engine-under-test";

/// One step of a script: the opcode is the low nibble of a byte; the bit above it picks
/// [`Event::FrameDecoded`] (decoded as a socket task would) over [`Event::BytesReceived`].
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Op {
    Open = 0,
    Handshake = 1,
    Request = 2,
    Sync = 3,
    DocUnavailable = 4,
    Ephemeral = 5,
    Other = 6,
    Raw = 7,
    Mutated = 8,
    Close = 9,
    CompleteStore = 10,
    CompleteLoad = 11,
    Tick = 12,
    Flush = 13,
    App = 14,
}

impl Op {
    const ALL: [Op; 15] = [
        Op::Open,
        Op::Handshake,
        Op::Request,
        Op::Sync,
        Op::DocUnavailable,
        Op::Ephemeral,
        Op::Other,
        Op::Raw,
        Op::Mutated,
        Op::Close,
        Op::CompleteStore,
        Op::CompleteLoad,
        Op::Tick,
        Op::Flush,
        Op::App,
    ];
}

/// Real automerge sync messages, both directions of a few sync sessions: a document with a few
/// changes against an empty one, a fork against its origin, a document with a large compressed
/// change. Made once, deterministically (fixed actors, time 0).
pub fn sync_pool() -> &'static [Vec<u8>] {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let a = sample_doc(1, 3, 0);
        let mut b = a.fork().with_actor(ActorId::from(&[2u8; 16][..]));
        edit(&mut b, "fork", 2);
        let big = sample_doc(3, 1, 4000);
        let mut pool = vec![sync::Message::decode(&initial_request()).expect("valid").encode()];
        for (x, y) in [(&a, Automerge::new()), (&b, a.clone()), (&big, Automerge::new()), (&a, b.clone())] {
            pool.extend(session(x.clone(), y));
        }
        pool
    })
}

/// A document by actor `actor` with `changes` changes, the last one carrying `long` characters.
pub fn sample_doc(actor: u8, changes: usize, long: usize) -> Automerge {
    let mut doc = Automerge::new().with_actor(ActorId::from(&[actor; 16][..]));
    for n in 0..changes {
        edit(&mut doc, &format!("k{n}"), n as i64);
    }
    if long > 0 {
        let text: String = "lesson notes ".chars().cycle().take(long).collect();
        doc.transact_with::<_, _, automerge::AutomergeError, _>(
            |_| CommitOptions::default().with_time(0),
            |tx| tx.put(ROOT, "long", text.as_str()).map(|_| ()),
        )
        .expect("a put on the root succeeds");
    }
    doc
}

fn edit(doc: &mut Automerge, key: &str, value: i64) {
    doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| CommitOptions::default().with_time(0),
        |tx| tx.put(ROOT, key, value).map(|_| ()),
    )
    .expect("a put on the root succeeds");
}

/// The sync message a peer with nothing sends first.
fn initial_request() -> Vec<u8> {
    let mut state = sync::State::new();
    Automerge::new().generate_sync_message(&mut state).expect("an empty document asks").encode()
}

/// Every message of a sync session between `x` and `y`, in the order sent.
fn session(mut x: Automerge, mut y: Automerge) -> Vec<Vec<u8>> {
    let (mut sx, mut sy) = (sync::State::new(), sync::State::new());
    let mut out = Vec::new();
    for _ in 0..10 {
        let mx = x.generate_sync_message(&mut sx);
        let my = y.generate_sync_message(&mut sy);
        if mx.is_none() && my.is_none() {
            break;
        }
        if let Some(m) = mx {
            out.push(m.clone().encode());
            y.receive_sync_message(&mut sy, m).expect("honest messages apply");
        }
        if let Some(m) = my {
            out.push(m.clone().encode());
            x.receive_sync_message(&mut sx, m).expect("honest messages apply");
        }
    }
    out
}

fn peer_id(k: usize) -> PeerId {
    PeerId::from(format!("peer-{k}"))
}

/// The `engine` target. The first byte picks the role: even, a relay; odd, a client.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let relay = input.byte().is_multiple_of(2);
    let mut config =
        if relay { Config::relay(ENGINE_PEER) } else { Config::client(ENGINE_PEER, "session-under-test") };
    config.idle_evict_after_ms = EVICT_AFTER_MS;
    config.compact_after_incrementals = 3;
    let mut script = Script {
        node: Node::new(config, false),
        relay,
        conns: [None; PEERS],
        next_conn: 1,
        batch: Vec::new(),
        app_docs: BTreeSet::new(),
        edits: 0,
    };
    let mut steps = 0;
    while !input.is_empty() && steps < 256 {
        script.step(&mut input);
        steps += 1;
    }
    script.finish();
}

struct Script {
    node: Node,
    relay: bool,
    /// Each peer slot's current connection, if open.
    conns: [Option<ConnectionId>; PEERS],
    next_conn: u64,
    batch: Vec<Event>,
    /// Client: documents the app opened or created.
    app_docs: BTreeSet<DocumentId>,
    edits: i64,
}

impl Script {
    fn step(&mut self, input: &mut Input<'_>) {
        let byte = input.byte();
        let op = Op::ALL[usize::from(byte & 0x0f) % Op::ALL.len()];
        let decoded = byte & 0x10 != 0;
        let k = input.below(PEERS);
        match op {
            Op::Open => {
                if let Some(old) = self.conns[k].take() {
                    self.batch.push(Event::ConnectionClosed { connection: old });
                }
                let connection = ConnectionId(self.next_conn);
                self.next_conn += 1;
                self.conns[k] = Some(connection);
                self.batch.push(Event::ConnectionOpened { connection });
            }
            Op::Close => {
                if let Some(connection) = self.conns[k].take() {
                    self.batch.push(Event::ConnectionClosed { connection });
                }
            }
            Op::CompleteStore => {
                self.flush();
                self.node.complete_store(input.below(256));
            }
            Op::CompleteLoad => {
                self.flush();
                self.node.complete_load(input.below(256));
            }
            Op::Tick => {
                self.flush();
                self.node.now += u64::from(input.byte()) * 1000;
                self.node.handle(vec![Event::Tick]);
            }
            Op::Flush => self.flush(),
            Op::App if !self.relay => self.app(input),
            _ => {
                let Some(bytes) = self.frame(op, k, input) else { return };
                let Some(connection) = self.conns[k] else { return };
                self.batch.push(if decoded {
                    let frame = Frame::decode(&bytes, codec::DEFAULT_MAX_FRAME_BYTES, &Limits::default());
                    Event::FrameDecoded { connection, frame }
                } else {
                    Event::BytesReceived { connection, bytes }
                });
                if self.batch.len() >= 8 {
                    self.flush();
                }
            }
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let events = std::mem::take(&mut self.batch);
            self.node.handle(events);
        }
    }

    /// The bytes of a peer's frame for `op` (a relay's frames when the engine is a client).
    fn frame(&mut self, op: Op, k: usize, input: &mut Input<'_>) -> Option<Vec<u8>> {
        let sender_id = peer_id(k);
        let target_id = PeerId::from(ENGINE_PEER);
        let document_id = DocumentId::from_bytes(DOCS[input.below(DOCS.len())]);
        let pool = sync_pool();
        let message = match op {
            Op::Handshake if self.relay => Message::Join {
                sender_id,
                peer_metadata: Some(PeerMetadata {
                    storage_id: Some(format!("storage-{k}")),
                    is_ephemeral: false,
                }),
                supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
            },
            Op::Handshake => Message::Peer {
                sender_id,
                target_id,
                peer_metadata: None,
                selected_protocol_version: PROTOCOL_VERSION.to_owned(),
            },
            Op::Request => Message::Request {
                sender_id,
                target_id,
                document_id,
                data: pool[input.below(pool.len())].clone(),
            },
            Op::Sync | Op::Mutated => Message::Sync {
                sender_id,
                target_id,
                document_id,
                data: pool[input.below(pool.len())].clone(),
            },
            Op::DocUnavailable => Message::DocUnavailable { sender_id, target_id, document_id },
            Op::Ephemeral => Message::Ephemeral {
                sender_id,
                target_id,
                count: u64::from(input.byte()),
                session_id: format!("s{}", input.below(2)),
                document_id,
                data: vec![0xa0],
            },
            Op::Other => match input.below(4) {
                0 => Message::Leave { sender_id },
                1 => Message::RemoteSubscriptionChange {
                    sender_id,
                    target_id,
                    add: vec!["storage-x".into()],
                    remove: vec![],
                },
                2 => Message::RemoteHeadsChanged {
                    sender_id,
                    target_id,
                    document_id,
                    new_heads: vec![("storage-x".into(), RemoteHeads { heads: vec![], timestamp: 1 })],
                },
                _ => Message::Error { sender_id: Some(sender_id), target_id: None, message: "bye".into() },
            },
            Op::Raw => {
                let len = usize::from(input.byte());
                return Some(input.bytes(len).to_vec());
            }
            _ => return None,
        };
        let mut bytes = codec::encode(&message);
        if matches!(op, Op::Mutated) {
            for _ in 0..=input.below(4) {
                let at = usize::from(input.u16()) % bytes.len();
                bytes[at] ^= input.byte().max(1);
            }
        }
        Some(bytes)
    }

    /// The app's side of a client: open, create or change one of the script's documents.
    fn app(&mut self, input: &mut Input<'_>) {
        self.flush();
        let document = DocumentId::from_bytes(DOCS[input.below(DOCS.len())]);
        let now = self.node.now;
        match input.below(3) {
            0 => {
                self.app_docs.insert(document);
                self.node.handle(vec![Event::OpenDocument { document }]);
            }
            1 => {
                let doc = sample_doc(9, 1, 0);
                if let Ok(actions) = self.node.engine.create_document(now, document, doc) {
                    self.app_docs.insert(document);
                    self.node.perform(actions);
                }
            }
            _ => {
                self.edits += 1;
                let n = self.edits;
                let result = self.node.engine.change(now, &document, |doc| edit(doc, "app", n));
                if let Ok(((), actions)) = result {
                    self.node.perform(actions);
                }
            }
        }
    }

    /// Lets storage answer everything, then checks memory against storage and syncs a fresh
    /// honest peer with the engine.
    fn finish(mut self) {
        self.flush();
        self.node.auto = true;
        self.node.settle_storage();
        let docs: Vec<DocumentId> = DOCS.iter().map(|d| DocumentId::from_bytes(*d)).collect();
        for document in &docs {
            if let Some(doc) = self.node.engine.document(document) {
                assert_eq!(
                    doc.get_heads(),
                    self.node.stored(document).get_heads(),
                    "once storage has answered everything, {document} in memory is what is stored"
                );
            }
        }
        let here = ConnectionId(1_000_000);
        let there = ConnectionId(1);
        if self.relay {
            let mut fresh = Node::new(Config::client("fresh-peer", "fresh-session"), true);
            self.node.handle(vec![Event::ConnectionOpened { connection: here }]);
            let mut events = vec![Event::ConnectionOpened { connection: there }];
            events.extend(docs.iter().map(|&document| Event::OpenDocument { document }));
            fresh.handle(events);
            pump(&mut fresh, there, &mut self.node, here, 400);
            assert!(!self.node.closed.contains(&here), "the relay refused an honest client");
            for document in &docs {
                let stored = self.node.stored(document).get_heads();
                let theirs = fresh.engine.document(document).map(|d| d.get_heads()).unwrap_or_default();
                assert_eq!(theirs, stored, "a fresh client converges with the relay on {document}");
            }
        } else {
            let mut fresh = Node::new(Config::relay("fresh-relay"), true);
            fresh.handle(vec![Event::ConnectionOpened { connection: there }]);
            self.node.handle(vec![Event::ConnectionOpened { connection: here }]);
            pump(&mut self.node, here, &mut fresh, there, 400);
            assert!(!self.node.closed.contains(&here), "the client refused an honest relay");
            for document in &self.app_docs {
                let Some(ours) = self.node.engine.document(document).map(|d| d.get_heads()) else { continue };
                let theirs = fresh.stored(document).get_heads();
                assert_eq!(theirs, ours, "a fresh relay stores everything the client has of {document}");
            }
        }
    }
}
