//! A document whose edits collect in an open batch (an `AutoCommit`'s transaction here; the
//! browser's `tandem_core::Doc` works the same way): the engine keeps that one copy, and holds it
//! back, neither stored nor synced, while the batch is open.

use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, Automerge, ROOT, ReadDoc as _};
use tandem_sync::{Action, AllowAll, Config, ConnectionId, Document, DocumentId, Engine, Event};

use crate::harness::{client_config, doc_id};

const LINK: ConnectionId = ConnectionId(1);

/// A relay and one client whose documents are `AutoCommit`s, wired directly; stores complete at
/// once and are counted.
struct Pair {
    relay: Engine,
    client: Engine<AllowAll, AutoCommit>,
    client_stores: usize,
}

impl Pair {
    fn connected() -> Pair {
        let mut pair = Pair {
            relay: Engine::new(Config::relay("relay")),
            client: Engine::with_policy(client_config("tablet"), AllowAll),
            client_stores: 0,
        };
        let to_client = pair.relay.handle(0, Event::ConnectionOpened { connection: LINK });
        let to_relay = pair.client.handle(0, Event::ConnectionOpened { connection: LINK });
        pair.run(to_relay, to_client);
        assert!(pair.client.is_connected());
        pair
    }

    /// Delivers frames and answers storage until both ends are quiet.
    fn run(&mut self, mut from_client: Vec<Action>, mut from_relay: Vec<Action>) {
        while !(from_client.is_empty() && from_relay.is_empty()) {
            let mut to_relay = Vec::new();
            let mut to_client = Vec::new();
            for action in from_client.drain(..) {
                match action {
                    Action::Send { bytes, .. } => {
                        to_relay.push(Event::BytesReceived { connection: LINK, bytes })
                    }
                    Action::Store { token, .. } => {
                        self.client_stores += 1;
                        to_client.push(Event::StoreCompleted { token });
                    }
                    Action::Load { document } => {
                        to_client.push(Event::Loaded { document, chunks: Vec::new() })
                    }
                    _ => {}
                }
            }
            for action in from_relay.drain(..) {
                match action {
                    Action::Send { bytes, .. } => {
                        to_client.push(Event::BytesReceived { connection: LINK, bytes })
                    }
                    Action::Store { token, .. } => to_relay.push(Event::StoreCompleted { token }),
                    Action::Load { document } => {
                        to_relay.push(Event::Loaded { document, chunks: Vec::new() })
                    }
                    _ => {}
                }
            }
            from_relay = self.relay.handle_batch(0, to_relay);
            from_client = self.client.handle_batch(0, to_client);
        }
    }

    fn created(&mut self, doc: DocumentId) {
        let mut am = AutoCommit::new();
        am.put(ROOT, "title", "first").unwrap();
        am.commit();
        let actions = self.client.create_document(0, doc, am).unwrap();
        self.run(actions, Vec::new());
        assert_eq!(relay_value(&self.relay, &doc, "title").as_deref(), Some("first"));
    }
}

fn relay_value(relay: &Engine, doc: &DocumentId, key: &str) -> Option<String> {
    let am: &Automerge = relay.document(doc)?;
    am.get(ROOT, key).ok()??.0.into_string().ok()
}

#[test]
fn an_open_batch_is_neither_stored_nor_synced_until_it_is_committed() {
    let mut pair = Pair::connected();
    let doc = doc_id(1);
    pair.created(doc);
    let stores = pair.client_stores;

    let ((), actions) = pair.client.change(0, &doc, |am| am.put(ROOT, "title", "second").unwrap()).unwrap();
    assert!(actions.is_empty(), "nothing to store or send while the batch is open: {actions:?}");
    assert!(pair.client.document(&doc).unwrap().has_open_batch());
    assert!(!pair.client.is_synced(&doc));

    let actions = pair.client.commit(0, &doc);
    pair.run(actions, Vec::new());
    assert_eq!(pair.client_stores, stores + 1, "the committed batch is stored once");
    assert_eq!(relay_value(&pair.relay, &doc, "title").as_deref(), Some("second"));
    assert!(pair.client.is_synced(&doc), "the relay acknowledged it");
}

#[test]
fn a_peers_change_commits_the_open_batch_first_and_both_are_kept() {
    let mut pair = Pair::connected();
    let doc = doc_id(2);
    pair.created(doc);
    pair.client.change(0, &doc, |am| am.put(ROOT, "draft", "typed here").unwrap()).unwrap();

    let ((), from_relay) = pair
        .relay
        .change(0, &doc, |am| {
            am.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "other", "from elsewhere"))
                .unwrap();
        })
        .unwrap();
    pair.run(Vec::new(), from_relay);

    let mut client_doc = pair.client.document(&doc).unwrap().clone();
    assert!(!client_doc.has_open_batch(), "the peer's change committed the batch");
    assert_eq!(client_doc.get(ROOT, "other").unwrap().unwrap().0.into_string().unwrap(), "from elsewhere");
    assert_eq!(relay_value(&pair.relay, &doc, "draft").as_deref(), Some("typed here"));
    assert_eq!(client_doc.get_changes(&[]).len(), 3, "genesis, the batch, the peer's change: none merged");
}
