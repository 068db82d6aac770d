//! Single behaviours of the engine, each in a small world.

use automerge::ReadDoc as _;
use tandem_sync::codec::{self, Message};
use tandem_sync::storage::ChunkKind;
use tandem_sync::{Action, Config, ConnectionId, DocumentId, Engine, Event, PeerId, Policy};

use crate::harness::{Node, World, client_config, doc_id};

fn connected(clients: usize) -> World {
    let mut w = World::relay_and_clients(clients);
    for c in 1..=clients {
        w.connect(c, 0);
    }
    w.run_until_quiet();
    w
}

#[test]
fn a_document_created_on_one_client_reaches_the_other_through_the_relay() {
    let mut w = connected(2);
    let d = doc_id(1);
    w.create(1, d, "title", "lesson 1");
    w.run_until_quiet();
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(w.value(2, &d, "title").as_deref(), Some("lesson 1"));
    assert_eq!(w.heads(0, &d), w.heads(1, &d));
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentReady { .. })), 1);
}

#[test]
fn the_relay_sends_nothing_that_advertises_changes_before_storage_confirms_them() {
    let mut w = connected(2);
    let d = doc_id(2);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    w.nodes[0].auto_store = false;
    let frames_before = w.nodes[0].sent.len();
    w.edit(1, d, "a", "2");
    w.run_until_quiet();
    // The relay applied the change and asked for it to be stored, but said nothing about the document.
    assert_eq!(w.nodes[0].held_stores.len(), 1);
    assert_eq!(w.nodes[0].sent.len(), frames_before, "relay spoke before its store completed");
    assert_eq!(w.value(2, &d, "a").as_deref(), Some("1"));
    assert_eq!(w.logged(1, |a| matches!(a, Action::Synced { .. })), 1, "only the creation was acknowledged");
    assert!(!w.nodes[0].engine.is_durable(&d));
    // Once durable, the relay acknowledges the sender and fans out to the other client.
    w.nodes[0].complete_stores();
    w.run_until_quiet();
    assert_eq!(w.value(2, &d, "a").as_deref(), Some("2"));
    assert_eq!(w.logged(1, |a| matches!(a, Action::Synced { .. })), 2);
}

#[test]
fn a_client_reports_synced_only_when_the_relay_holds_its_heads() {
    let mut w = connected(1);
    let d = doc_id(3);
    w.nodes[1].auto_store = false;
    w.create(1, d, "k", "v");
    w.run_until_quiet();
    // The client's own store is pending: nothing left the client yet.
    assert!(w.nodes[1].sent.iter().all(|(_, m)| m.document_id() != Some(d)));
    w.nodes[1].complete_stores();
    w.run_until_quiet();
    assert_eq!(w.logged(1, |a| matches!(a, Action::Synced { document, .. } if *document == d)), 1);
    assert_eq!(w.nodes[0].stored_doc(&d).get_heads(), w.heads(1, &d).unwrap());
}

#[test]
fn requesting_a_document_nobody_has_is_answered_with_doc_unavailable() {
    let mut w = connected(1);
    let d = doc_id(4);
    w.open(1, d);
    w.run_until_quiet();
    assert!(
        w.nodes[0]
            .sent
            .iter()
            .any(|(_, m)| matches!(m, Message::DocUnavailable { document_id, .. } if *document_id == d))
    );
    assert_eq!(w.logged(1, |a| matches!(a, Action::DocumentUnavailable { document } if *document == d)), 1);
    // Nothing was stored for a document that does not exist.
    assert!(w.nodes[0].storage.keys().is_empty());
}

#[test]
fn a_requester_told_unavailable_still_gets_the_document_once_someone_uploads_it() {
    let mut w = connected(2);
    let d = doc_id(5);
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentUnavailable { .. })), 1);
    w.create(1, d, "shared", "yes");
    w.run_until_quiet();
    assert_eq!(w.value(2, &d, "shared").as_deref(), Some("yes"));
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentReady { .. })), 1);
}

#[test]
fn changes_fan_out_to_a_third_peer() {
    let mut w = connected(3);
    let d = doc_id(6);
    w.create(1, d, "n", "0");
    w.open(2, d);
    w.open(3, d);
    w.run_until_quiet();
    w.edit(2, d, "from-2", "hello");
    w.run_until_quiet();
    assert_eq!(w.value(3, &d, "from-2").as_deref(), Some("hello"));
    assert_eq!(w.value(1, &d, "from-2").as_deref(), Some("hello"));
    assert_eq!(w.logged(3, |a| matches!(a, Action::DocumentChanged { .. })), 2);
}

#[test]
fn message_counts_stop_growing_once_peers_are_in_sync() {
    let mut w = connected(2);
    let d = doc_id(7);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    w.edit(1, d, "b", "2");
    w.edit(2, d, "c", "3");
    w.run_until_quiet();
    let sent = w.frames_sent();
    for n in 0..3 {
        w.tick(n);
    }
    w.now += 1_000;
    w.run_until_quiet();
    assert_eq!(w.frames_sent(), sent);
    // One more edit costs a handful of frames, not a storm.
    w.edit(1, d, "d", "4");
    w.run_until_quiet();
    let per_edit = w.frames_sent() - sent;
    assert!(per_edit <= 8, "one edit took {per_edit} frames");
}

#[test]
fn idle_documents_are_evicted_and_reloaded_from_storage() {
    let mut w = connected(2);
    let d = doc_id(8);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(w.nodes[0].engine.documents_in_memory(), 1);
    w.now += 10 * 60 * 1000;
    w.tick(0);
    w.run_until_quiet();
    assert_eq!(w.nodes[0].engine.documents_in_memory(), 0, "relay memory follows active documents");
    // The next change loads it again and still reaches the other client, whose interest survived.
    w.edit(1, d, "a", "2");
    w.run_until_quiet();
    assert_eq!(w.nodes[0].engine.documents_in_memory(), 1);
    assert_eq!(w.value(0, &d, "a").as_deref(), Some("2"));
    assert_eq!(w.value(2, &d, "a").as_deref(), Some("2"));
}

#[test]
fn many_incremental_chunks_are_compacted_into_one_snapshot() {
    let mut relay = Config::relay("relay");
    relay.compact_after_incrementals = 4;
    let mut w =
        World::from_nodes(vec![Node::new(Engine::new(relay)), Node::new(Engine::new(client_config("c")))]);
    w.connect(1, 0);
    let d = doc_id(9);
    w.create(1, d, "v", "0");
    w.run_until_quiet();
    for i in 1..=6 {
        w.edit(1, d, "v", &i.to_string());
        w.run_until_quiet();
    }
    let kinds: Vec<_> = w.nodes[0].storage.keys().iter().map(|k| k.chunk_kind().unwrap()).collect();
    let snapshots = kinds.iter().filter(|k| **k == ChunkKind::Snapshot).count();
    let incrementals = kinds.iter().filter(|k| **k == ChunkKind::Incremental).count();
    assert_eq!(snapshots, 1, "{kinds:?}");
    assert!(incrementals < 4, "{kinds:?}");
    assert_eq!(w.nodes[0].stored_doc(&d).get_heads(), w.heads(1, &d).unwrap());
}

#[test]
fn incrementals_are_deleted_only_after_the_snapshot_is_stored() {
    let mut relay = Config::relay("relay");
    relay.compact_after_incrementals = 2;
    let mut w =
        World::from_nodes(vec![Node::new(Engine::new(relay)), Node::new(Engine::new(client_config("c")))]);
    w.connect(1, 0);
    let d = doc_id(10);
    w.create(1, d, "v", "0");
    w.run_until_quiet();
    w.edit(1, d, "v", "1");
    w.run_until_quiet();
    w.nodes[0].auto_store = false;
    w.edit(1, d, "v", "2");
    w.run_until_quiet();
    // The incremental for edit 2 is held: no compaction yet.
    assert_eq!(w.nodes[0].held_stores.len(), 1);
    w.nodes[0].complete_one_store(0);
    w.run_until_quiet();
    // Now the snapshot is asked for, and nothing has been deleted while it is not stored.
    assert_eq!(w.nodes[0].held_stores.len(), 1);
    assert_eq!(w.nodes[0].held_stores[0].1.chunk_kind(), Some(ChunkKind::Snapshot));
    let before = w.nodes[0].storage.keys().len();
    assert_eq!(before, 3);
    w.nodes[0].complete_stores();
    w.run_until_quiet();
    assert_eq!(w.nodes[0].storage.keys().len(), 1);
    assert_eq!(w.nodes[0].stored_doc(&d).get_heads(), w.heads(1, &d).unwrap());
}

#[test]
fn a_malformed_frame_closes_only_that_connection() {
    let mut w = connected(2);
    let d = doc_id(11);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    let (_, relay_conn_of_1) = w.links[0].relay;
    w.nodes[0]
        .inbox
        .push_back(Event::BytesReceived { connection: relay_conn_of_1, bytes: vec![0xa1, 0x64, 0xff] });
    w.run_until_quiet();
    // The relay told client 1 why and closed that connection only.
    assert!(w.nodes[0].sent.iter().any(|(c, m)| *c == relay_conn_of_1 && matches!(m, Message::Error { .. })));
    assert!(
        w.nodes[0]
            .log
            .iter()
            .any(|a| matches!(a, Action::Close { connection, .. } if *connection == relay_conn_of_1))
    );
    assert!(!w.links[0].open);
    assert!(w.links[1].open);
    w.edit(2, d, "a", "2");
    w.run_until_quiet();
    assert_eq!(w.value(0, &d, "a").as_deref(), Some("2"));
}

#[test]
fn a_sync_message_with_garbage_automerge_data_closes_that_connection() {
    let mut w = connected(1);
    let (_, rc) = w.links[0].relay;
    let frame = codec::encode(&Message::Sync {
        sender_id: "client-1".into(),
        target_id: "relay".into(),
        document_id: doc_id(12),
        data: vec![0x42, 0xff, 0xff, 0xff],
    });
    w.nodes[0].inbox.push_back(Event::BytesReceived { connection: rc, bytes: frame });
    w.run_until_quiet();
    assert!(!w.links[0].open);
    assert_eq!(w.nodes[0].engine.documents_in_memory(), 0);
}

#[test]
fn a_relay_refuses_sync_before_join_and_unsupported_versions() {
    let mut relay = Engine::new(Config::relay("relay"));
    let c = ConnectionId(1);
    relay.handle(0, Event::ConnectionOpened { connection: c });
    let sync = codec::encode(&Message::Leave { sender_id: "x".into() });
    let actions = relay.handle(0, Event::BytesReceived { connection: c, bytes: sync });
    assert!(matches!(actions.last(), Some(Action::Close { .. })));

    let c2 = ConnectionId(2);
    relay.handle(0, Event::ConnectionOpened { connection: c2 });
    let join = codec::encode(&Message::Join {
        sender_id: "x".into(),
        peer_metadata: None,
        supported_protocol_versions: vec!["2".into()],
    });
    let actions = relay.handle(0, Event::BytesReceived { connection: c2, bytes: join });
    assert!(matches!(actions.last(), Some(Action::Close { .. })));
}

#[test]
fn a_relay_answers_join_with_peer() {
    let mut relay = Engine::new(Config::relay("relay"));
    let c = ConnectionId(1);
    relay.handle(0, Event::ConnectionOpened { connection: c });
    let join = codec::encode(&Message::Join {
        sender_id: "browser".into(),
        peer_metadata: None,
        supported_protocol_versions: vec!["1".into()],
    });
    let actions = relay.handle(0, Event::BytesReceived { connection: c, bytes: join });
    let Action::Send { bytes, .. } = &actions[0] else { panic!("{actions:?}") };
    let Message::Peer { sender_id, target_id, selected_protocol_version, .. } = codec::decode(bytes).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (sender_id.as_str(), target_id.as_str(), selected_protocol_version.as_str()),
        ("relay", "browser", "1")
    );
    assert!(matches!(&actions[1], Action::PeerConnected { peer_id, .. } if peer_id.as_str() == "browser"));
}

#[test]
fn ephemeral_messages_reach_other_peers_once() {
    let mut w = connected(3);
    let d = doc_id(13);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.open(3, d);
    w.run_until_quiet();
    let actions = w.nodes[1].engine.broadcast_ephemeral(w.now, d, b"cursor".to_vec());
    // Deliver the same frame twice: the relay forwards it once.
    let Action::Send { bytes, .. } = actions[0].clone() else { panic!() };
    w.perform(1, actions);
    let (_, rc) = w.links[0].relay;
    w.nodes[0].inbox.push_back(Event::BytesReceived { connection: rc, bytes });
    w.run_until_quiet();
    for n in [2, 3] {
        assert_eq!(w.logged(n, |a| matches!(a, Action::Ephemeral { data, .. } if data == b"cursor")), 1);
    }
    assert_eq!(w.logged(1, |a| matches!(a, Action::Ephemeral { .. })), 0);
}

/// Client 2 may read document `d` but not write it; client 3 may not see it at all.
struct ReadOnlyFor {
    reader: ConnectionId,
    hidden: ConnectionId,
}

impl Policy for ReadOnlyFor {
    fn may_read(&self, connection: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        connection != self.hidden
    }
    fn may_write(&self, connection: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        connection != self.reader
    }
    fn may_ask(&self, _: ConnectionId, _: ConnectionId) -> bool {
        true
    }
}

fn policy_world() -> World<ReadOnlyFor> {
    // Links are made in order, so the relay's connection ids are known: 2, 4, 6.
    let policy = ReadOnlyFor { reader: ConnectionId(4), hidden: ConnectionId(6) };
    let mut nodes = vec![Node::new(Engine::with_policy(Config::relay("relay"), policy))];
    for i in 1..=3 {
        nodes.push(Node::new(Engine::with_policy(
            client_config(&format!("c{i}")),
            ReadOnlyFor { reader: ConnectionId(u64::MAX), hidden: ConnectionId(u64::MAX) },
        )));
    }
    let mut w = World::from_nodes(nodes);
    for c in 1..=3 {
        w.connect(c, 0);
    }
    assert_eq!(w.links[1].relay.1, ConnectionId(4));
    w.run_until_quiet();
    w
}

#[test]
fn a_document_a_connection_may_not_read_looks_exactly_like_a_missing_one() {
    let mut w = policy_world();
    let d = doc_id(14);
    w.create(1, d, "secret", "notes");
    w.run_until_quiet();
    w.open(3, d);
    w.run_until_quiet();
    assert_eq!(w.value(3, &d, "secret"), None);
    assert_eq!(w.logged(3, |a| matches!(a, Action::DocumentUnavailable { .. })), 1);
    let to_hidden: Vec<&str> =
        w.nodes[0].sent.iter().filter(|(c, _)| *c == ConnectionId(6)).map(|(_, m)| m.type_name()).collect();
    assert_eq!(to_hidden, ["peer", "doc-unavailable"]);
    // Ephemeral messages about it do not reach the hidden peer either.
    let actions = w.nodes[1].engine.broadcast_ephemeral(w.now, d, b"x".to_vec());
    w.perform(1, actions);
    w.run_until_quiet();
    assert_eq!(w.logged(3, |a| matches!(a, Action::Ephemeral { .. })), 0);
}

#[test]
fn changes_from_a_read_only_connection_are_not_applied_stored_or_forwarded() {
    let mut w = policy_world();
    let d = doc_id(15);
    w.create(1, d, "goal", "read more");
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(w.value(2, &d, "goal").as_deref(), Some("read more"));
    let stored = w.nodes[0].storage.keys();
    w.edit(2, d, "goal", "vandalised");
    w.run_until_quiet();
    assert_eq!(w.value(0, &d, "goal").as_deref(), Some("read more"));
    assert_eq!(w.value(1, &d, "goal").as_deref(), Some("read more"));
    assert_eq!(w.nodes[0].storage.keys(), stored);
    // The relay's read-only flag told client 2 not to even send its change.
    assert_eq!(w.logged(0, |a| matches!(a, Action::WriteRefused { .. })), 0);
    // The reader still receives the writer's changes.
    w.edit(1, d, "goal", "read two books");
    w.run_until_quiet();
    assert_eq!(w.value(0, &d, "goal").as_deref(), Some("read two books"));
    let on_reader = w.value(2, &d, "goal").unwrap();
    assert!(on_reader == "read two books" || on_reader == "vandalised", "{on_reader}");
    assert!(
        w.nodes[2].engine.document(&d).unwrap().get_change_by_hash(&w.heads(1, &d).unwrap()[0]).is_some()
    );
}

#[test]
fn the_app_cannot_change_a_document_that_is_not_loaded() {
    let mut client = Engine::new(client_config("c"));
    let result = client.change(0, &doc_id(16), |_| ());
    assert!(matches!(result, Err(tandem_sync::Error::DocumentNotLoaded(_))));
}

#[test]
fn changes_pushed_by_a_peer_that_ignores_the_read_only_flag_are_refused() {
    let mut w = policy_world();
    let d = doc_id(17);
    w.create(1, d, "goal", "read more");
    w.open(2, d);
    w.run_until_quiet();
    // Client 2's connection is read-only at the relay. Push a change to the relay by hand, as an
    // old automerge that does not know the flag would.
    let mut am = w.nodes[2].engine.document(&d).unwrap().clone();
    am.transact::<_, _, automerge::AutomergeError>(|tx| {
        automerge::transaction::Transactable::put(tx, automerge::ROOT, "goal", "vandalised")?;
        Ok(())
    })
    .unwrap();
    let change = am.get_last_local_change().unwrap().raw_bytes().to_vec();
    let message = automerge::sync::Message {
        heads: am.get_heads(),
        need: vec![],
        have: vec![],
        changes: vec![change].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    let (_, rc) = w.links[1].relay;
    let frame = codec::encode(&Message::Sync {
        sender_id: "c2".into(),
        target_id: "relay".into(),
        document_id: d,
        data: message.encode(),
    });
    let stored = w.nodes[0].storage.keys();
    w.nodes[0].inbox.push_back(Event::BytesReceived { connection: rc, bytes: frame });
    w.run_until_quiet();
    assert_eq!(w.logged(0, |a| matches!(a, Action::WriteRefused { connection, .. } if *connection == rc)), 1);
    assert_eq!(w.value(0, &d, "goal").as_deref(), Some("read more"));
    assert_eq!(w.value(1, &d, "goal").as_deref(), Some("read more"));
    assert_eq!(w.nodes[0].storage.keys(), stored);
    assert!(w.links[1].open, "a refused write is not a protocol violation");
}

/// Delivers everything except what is queued at `held`, until nothing else moves.
fn run_until_quiet_except(w: &mut World<impl Policy>, held: usize) {
    for _ in 0..1_000 {
        let mut any = false;
        for n in (0..w.nodes.len()).filter(|n| *n != held) {
            any |= w.deliver_batch(n);
        }
        if !any {
            return;
        }
    }
    panic!("the network never went quiet");
}

fn sent_to(
    w: &World<impl Policy>,
    node: usize,
    connection: ConnectionId,
    d: DocumentId,
) -> Vec<&'static str> {
    w.nodes[node]
        .sent
        .iter()
        .filter(|(c, m)| *c == connection && m.document_id() == Some(d))
        .map(|(_, m)| m.type_name())
        .collect()
}

#[test]
fn a_request_that_reaches_the_relay_before_the_creators_first_sync_is_answered_by_the_creator() {
    let mut w = connected(2);
    let d = doc_id(18);
    // The creator's own store is slow, so its first sync has not left when the other device asks.
    w.nodes[1].auto_store = false;
    w.create(1, d, "title", "lesson 2");
    w.open(2, d);
    w.run_until_quiet();
    // The relay asked the creator rather than tell the requester the document does not exist.
    assert_eq!(sent_to(&w, 0, w.links[0].relay.1, d), ["request"]);
    assert_eq!(sent_to(&w, 0, w.links[1].relay.1, d), Vec::<&str>::new(), "the requester waits");
    w.nodes[1].complete_stores();
    w.run_until_quiet();
    assert_eq!(w.value(2, &d, "title").as_deref(), Some("lesson 2"));
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentUnavailable { .. })), 0);
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentReady { .. })), 1);
    // Stored at the relay before it reached the requester (the harness checks the order on the wire).
    assert_eq!(w.nodes[0].stored_doc(&d).get_heads(), w.heads(1, &d).unwrap());
}

#[test]
fn a_requester_hears_unavailable_only_once_every_asked_peer_said_so() {
    let mut w = connected(3);
    let d = doc_id(19);
    w.open(1, d);
    run_until_quiet_except(&mut w, 3);
    // Client 2 answered, client 3 has not yet: client 1 is still waiting.
    assert_eq!(sent_to(&w, 0, w.links[1].relay.1, d), ["request"]);
    assert_eq!(sent_to(&w, 0, w.links[2].relay.1, d), ["request"]);
    assert_eq!(sent_to(&w, 2, w.links[1].client.1, d), ["doc-unavailable"]);
    assert_eq!(sent_to(&w, 0, w.links[0].relay.1, d), Vec::<&str>::new());
    w.run_until_quiet();
    assert_eq!(sent_to(&w, 0, w.links[0].relay.1, d), ["doc-unavailable"]);
    assert_eq!(w.logged(1, |a| matches!(a, Action::DocumentUnavailable { document } if *document == d)), 1);
    assert!(w.nodes[0].storage.keys().is_empty(), "nothing is stored for a document nobody has");
}

#[test]
fn an_asked_peer_that_disconnects_before_answering_counts_as_unavailable() {
    let mut w = connected(2);
    let d = doc_id(20);
    w.open(1, d);
    run_until_quiet_except(&mut w, 2);
    assert_eq!(sent_to(&w, 0, w.links[1].relay.1, d), ["request"]);
    assert_eq!(w.logged(1, |a| matches!(a, Action::DocumentUnavailable { .. })), 0);
    w.cut(1);
    w.run_until_quiet();
    assert_eq!(w.logged(1, |a| matches!(a, Action::DocumentUnavailable { document } if *document == d)), 1);
}

#[test]
fn peers_that_may_not_read_a_missing_document_are_not_asked_for_it() {
    let mut w = policy_world();
    let d = doc_id(21);
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(sent_to(&w, 0, ConnectionId(2), d), ["request"]);
    assert_eq!(sent_to(&w, 0, ConnectionId(6), d), Vec::<&str>::new());
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentUnavailable { .. })), 1);
}

#[test]
fn a_device_that_said_it_lacks_a_document_can_still_open_it_later() {
    let mut w = connected(3);
    let d = doc_id(22);
    // Client 1 asks; the relay asks clients 2 and 3, who say they do not have it.
    w.open(1, d);
    w.run_until_quiet();
    // Now client 2's app opens it: client 2 must ask the relay (and get an answer), not wait for
    // the relay that once asked it.
    w.open(2, d);
    w.run_until_quiet();
    assert_eq!(w.logged(2, |a| matches!(a, Action::DocumentUnavailable { document } if *document == d)), 1);
    // Once a device that has it (as one that got it elsewhere would) syncs, both requesters get it.
    w.create(3, d, "k", "v");
    w.run_until_quiet();
    for n in [1, 2] {
        assert_eq!(w.value(n, &d, "k").as_deref(), Some("v"), "client {n}");
        assert_eq!(w.logged(n, |a| matches!(a, Action::DocumentReady { .. })), 1, "client {n}");
    }
}

/// A frame the relay receives on client 1's connection, as if client 1 had sent it.
fn inject_at_relay(w: &mut World, link: usize, message: &Message) {
    let (_, rc) = w.links[link].relay;
    w.nodes[0].inbox.push_back(Event::BytesReceived { connection: rc, bytes: codec::encode(message) });
}

/// A sync message carrying one new change to `d` (made on a copy of client `node`'s document).
fn sync_with_a_change(w: &World, node: usize, d: DocumentId, key: &str, value: &str) -> Vec<u8> {
    let mut am = w.nodes[node].engine.document(&d).unwrap().clone();
    am.transact::<_, _, automerge::AutomergeError>(|tx| {
        automerge::transaction::Transactable::put(tx, automerge::ROOT, key, value)?;
        Ok(())
    })
    .unwrap();
    let change = am.get_last_local_change().unwrap().raw_bytes().to_vec();
    automerge::sync::Message {
        heads: am.get_heads(),
        need: vec![],
        have: vec![],
        changes: vec![change].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

fn assert_refused_and_closed(w: &World, link: usize, about: &str) {
    let (_, rc) = w.links[link].relay;
    let errors: Vec<&String> = w.nodes[0]
        .sent
        .iter()
        .filter_map(|(c, m)| match m {
            Message::Error { message, .. } if *c == rc => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(about), "{}", errors[0]);
    assert!(!w.links[link].open, "the offending connection is closed");
    assert!(w.links.iter().enumerate().all(|(i, l)| i == link || l.open), "only that connection is closed");
}

#[test]
fn a_message_with_a_forged_sender_id_is_refused_and_closes_only_that_connection() {
    let mut w = connected(2);
    let d = doc_id(23);
    w.create(1, d, "goal", "read more");
    w.open(2, d);
    w.run_until_quiet();
    let stored = w.nodes[0].storage.keys();
    // Client 1 speaks as client 2.
    let data = sync_with_a_change(&w, 1, d, "goal", "forged");
    inject_at_relay(
        &mut w,
        0,
        &Message::Sync { sender_id: "client-2".into(), target_id: "relay".into(), document_id: d, data },
    );
    w.run_until_quiet();
    assert_refused_and_closed(&w, 0, "joined as `client-1`");
    assert_eq!(w.value(0, &d, "goal").as_deref(), Some("read more"), "nothing of it was applied");
    assert_eq!(w.nodes[0].storage.keys(), stored, "nothing of it was stored");
    // The other connection works as before.
    w.edit(2, d, "goal", "read two books");
    w.run_until_quiet();
    assert_eq!(w.value(0, &d, "goal").as_deref(), Some("read two books"));
}

#[test]
fn an_ephemeral_message_with_a_forged_sender_id_is_refused_and_not_forwarded() {
    let mut w = connected(2);
    let d = doc_id(24);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    let forged = Message::Ephemeral {
        sender_id: "client-2".into(),
        target_id: "relay".into(),
        count: 1,
        session_id: "s".into(),
        document_id: d,
        data: b"cursor".to_vec(),
    };
    inject_at_relay(&mut w, 0, &forged);
    w.run_until_quiet();
    assert_refused_and_closed(&w, 0, "from `client-2`");
    assert_eq!(w.logged(2, |a| matches!(a, Action::Ephemeral { .. })), 0);
}

#[test]
fn a_message_addressed_to_another_peer_is_refused() {
    let mut w = connected(2);
    let d = doc_id(25);
    w.create(1, d, "a", "1");
    w.run_until_quiet();
    let data = sync_with_a_change(&w, 1, d, "a", "2");
    inject_at_relay(
        &mut w,
        0,
        &Message::Sync { sender_id: "client-1".into(), target_id: "client-2".into(), document_id: d, data },
    );
    w.run_until_quiet();
    assert_refused_and_closed(&w, 0, "for `client-2`");
    assert_eq!(w.value(0, &d, "a").as_deref(), Some("1"));
}

#[test]
fn a_client_accepts_ephemeral_messages_the_relay_forwards_from_other_peers_but_nothing_else_in_their_name() {
    let mut w = connected(2);
    let d = doc_id(26);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    // Relayed presence keeps its originator's id (checked in `ephemeral_messages_reach_other_peers_once`);
    // a sync message in another peer's name, from the relay's connection, is refused by the client.
    let (_, cc) = w.links[1].client;
    let data = sync_with_a_change(&w, 1, d, "a", "2");
    let forged =
        Message::Sync { sender_id: "client-1".into(), target_id: "client-2".into(), document_id: d, data };
    w.nodes[2].inbox.push_back(Event::BytesReceived { connection: cc, bytes: codec::encode(&forged) });
    w.run_until_quiet();
    assert!(w.nodes[2].sent.iter().any(|(c, m)| *c == cc && matches!(m, Message::Error { .. })));
    assert!(!w.links[1].open);
    assert_eq!(w.value(2, &d, "a").as_deref(), Some("1"));
}

#[test]
fn a_purged_document_leaves_memory_and_its_late_store_completions_delete_nothing() {
    let mut w = connected(2);
    let d = doc_id(30);
    w.create(1, d, "a", "1");
    w.open(2, d);
    w.run_until_quiet();
    // A store (and the compaction it may start) is in flight at the relay when the purge comes.
    w.nodes[0].auto_store = false;
    w.edit(1, d, "a", "2");
    w.run_until_quiet();
    assert_eq!(w.nodes[0].held_stores.len(), 1);
    let sent_before = w.nodes[0].sent.len();
    w.nodes[0].inbox.push_back(Event::Forget { document: d });
    w.run_until_quiet();
    assert_eq!(w.nodes[0].engine.documents_in_memory(), 0, "nothing of it stays in memory");
    assert!(w.nodes[0].engine.document(&d).is_none());
    let keys_before = w.nodes[0].storage.keys();
    w.nodes[0].complete_stores();
    w.run_until_quiet();
    assert_eq!(w.nodes[0].sent.len(), sent_before, "a store finishing after the purge tells no one");
    assert!(
        keys_before.iter().all(|k| w.nodes[0].storage.keys().contains(k)),
        "and deletes nothing on the forgotten document's behalf"
    );
    // The other client kept its copy (telling devices is the runtime's job, not the protocol's).
    assert_eq!(w.value(2, &d, "a").as_deref(), Some("1"));
}

/// Two relays on one database: relay 0 (node 0) serves client 2, relay 1 (node 1) serves client 3.
/// The test plays the database: what relay 0 stored is copied into relay 1's storage.
fn two_relays() -> World {
    use crate::harness::Node;
    let nodes = vec![
        Node::new(Engine::new(Config::relay("relay-a"))),
        Node::new(Engine::new(Config::relay("relay-b"))),
        Node::new(Engine::new(client_config("mentor"))),
        Node::new(Engine::new(client_config("associate"))),
    ];
    let mut w = World::from_nodes(nodes);
    w.connect(2, 0);
    w.connect(3, 1);
    w.run_until_quiet();
    w
}

/// Copies relay 0's chunks of `d` into relay 1's storage; returns them, as relay 1 would read them.
fn share_storage(w: &mut World, d: &DocumentId) -> Vec<(tandem_sync::StorageKey, Vec<u8>)> {
    let chunks = w.nodes[0].storage.load_range_now(&tandem_sync::StorageKey::document_prefix(d));
    for (key, bytes) in &chunks {
        w.nodes[1].storage.put_now(key, bytes);
    }
    chunks
}

#[test]
fn chunks_stored_by_another_relay_reach_this_relays_peers_without_being_stored_again() {
    let mut w = two_relays();
    let d = doc_id(40);
    w.create(2, d, "a", "1");
    w.run_until_quiet();
    share_storage(&mut w, &d);
    w.open(3, d);
    w.run_until_quiet();
    assert_eq!(w.value(3, &d, "a").as_deref(), Some("1"));

    w.nodes[1].auto_store = false;
    w.edit(2, d, "a", "2");
    w.run_until_quiet();
    let chunks = share_storage(&mut w, &d);
    w.nodes[1].inbox.push_back(Event::StoredElsewhere { document: d, chunks: chunks.clone() });
    w.run_until_quiet();
    assert_eq!(w.value(3, &d, "a").as_deref(), Some("2"), "fanned out as if a peer had sent it");
    assert_eq!(w.heads(1, &d), w.heads(0, &d));
    assert!(w.nodes[1].held_stores.is_empty(), "what another relay stored is not stored again");

    // The same announcement again (a catch-up after a reconnect) changes nothing and sends nothing.
    let sent = w.nodes[1].sent.len();
    w.nodes[1].inbox.push_back(Event::StoredElsewhere { document: d, chunks });
    w.run_until_quiet();
    assert_eq!(w.nodes[1].sent.len(), sent);
}

#[test]
fn chunks_stored_elsewhere_for_a_document_not_in_memory_are_left_to_its_next_load() {
    let mut w = two_relays();
    let d = doc_id(41);
    w.create(2, d, "a", "1");
    w.run_until_quiet();
    let chunks = share_storage(&mut w, &d);
    w.nodes[1].inbox.push_back(Event::StoredElsewhere { document: d, chunks });
    w.run_until_quiet();
    assert!(!w.nodes[1].engine.has_in_memory(&d), "nothing is loaded for it");
    w.open(3, d);
    w.run_until_quiet();
    assert_eq!(w.value(3, &d, "a").as_deref(), Some("1"), "its next load reads it from storage");
}
