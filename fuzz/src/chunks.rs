//! Stored bytes into automerge: chunks as the relay reads them back from its database (or a
//! device from IndexedDB), and the same bytes as the changes of a peer's sync message.
//!
//! The input is up to four chunks (a count, then a little-endian u16 length before each chunk
//! but the last). Checked:
//! - automerge's own loading never panics; a document that loads saves to bytes that load to
//!   the same heads (compaction writes exactly such a snapshot);
//! - the relay engine, loading these chunks for a document a client asks for, ends with the heads
//!   loading them one by one gives, serves them to the client (which converges on them), and
//!   loses nothing when it compacts (storage afterwards loads to the same heads);
//! - as a peer's changes, the bytes pass `bounds::check_sync_message` or are refused, and what
//!   passes is applied (or refused) by automerge without a panic.

use automerge::sync::{self, SyncDoc as _};
use automerge::{Automerge, ChangeHash};
use tandem_sync::bounds::{self, Limits};
use tandem_sync::storage::StorageKey;
use tandem_sync::{Config, ConnectionId, DocumentId, Event};

use crate::input::Input;
use crate::node::{Node, pump};

const DOC: [u8; 16] = [7; 16];

/// Splits an input into its chunks.
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut input = Input::new(data);
    let count = 1 + input.below(4);
    let mut chunks = Vec::with_capacity(count);
    for _ in 1..count {
        let len = usize::from(input.u16());
        chunks.push(input.bytes(len));
    }
    chunks.push(input.rest());
    chunks
}

/// Joins chunks into an input `split` reads back.
pub fn join(chunks: &[&[u8]]) -> Vec<u8> {
    assert!((1..=4).contains(&chunks.len()), "an input holds one to four chunks");
    let mut out = vec![(chunks.len() - 1) as u8];
    for (i, chunk) in chunks.iter().enumerate() {
        if i + 1 < chunks.len() {
            out.extend_from_slice(&u16::try_from(chunk.len()).expect("a chunk under 64 KB").to_le_bytes());
        }
        out.extend_from_slice(chunk);
    }
    out
}

/// The `chunks` target.
pub fn check(data: &[u8]) {
    let chunks = split(data);
    let expected = load_directly(&chunks);
    load_in_the_engine(&chunks, &expected);
    as_a_peers_changes(&chunks, data.len());
}

/// Loads the chunks one by one into a document, as the engine does, checking each save.
fn load_directly(chunks: &[&[u8]]) -> Vec<ChangeHash> {
    let mut doc = Automerge::new();
    for chunk in chunks {
        if let Ok(alone) = Automerge::load(chunk) {
            reloads_to_the_same_heads(&alone);
        }
        // A chunk automerge refuses leaves the document as it was.
        let before = doc.get_heads();
        if doc.load_incremental(chunk).is_err() {
            assert_eq!(doc.get_heads(), before, "a refused chunk changes nothing");
        }
    }
    reloads_to_the_same_heads(&doc);
    doc.get_heads()
}

fn reloads_to_the_same_heads(doc: &Automerge) {
    let saved = doc.save();
    let again = Automerge::load(&saved).expect("what automerge saved, it loads");
    assert_eq!(again.get_heads(), doc.get_heads(), "a saved document reloads to the same heads");
}

/// Stores the chunks under a document's keys (the first as a snapshot, the rest incremental),
/// has a client ask the relay for it, and checks what the relay serves and keeps.
fn load_in_the_engine(chunks: &[&[u8]], expected: &[ChangeHash]) {
    let document = DocumentId::from_bytes(DOC);
    let mut config = Config::relay("relay");
    // Compaction after two incrementals, so that loading a few chunks reaches it.
    config.compact_after_incrementals = 2;
    let mut relay = Node::new(config, true);
    for (i, chunk) in chunks.iter().enumerate() {
        let key = if i == 0 {
            // The snapshot's key names its heads; any distinct name does for loading.
            StorageKey::from_parts([document.to_string(), "snapshot".into(), format!("{i:064}")])
                .expect("valid key parts")
        } else {
            StorageKey::incremental(&document, chunk)
        };
        relay.storage.put_now(&key, chunk);
    }
    let mut client = Node::new(Config::client("client", "session"), true);
    let (at_relay, at_client) = (ConnectionId(1), ConnectionId(2));
    relay.handle(vec![Event::ConnectionOpened { connection: at_relay }]);
    client.handle(vec![Event::ConnectionOpened { connection: at_client }, Event::OpenDocument { document }]);
    pump(&mut client, at_client, &mut relay, at_relay, 100);
    assert!(
        !relay.closed.contains(&at_relay) && !client.closed.contains(&at_client),
        "honest peers stay connected"
    );
    let served = relay.engine.document(&document).map(|d| d.get_heads()).unwrap_or_default();
    assert_eq!(served, expected, "the relay loads stored chunks as automerge does one by one");
    let received = client.engine.document(&document).map(|d| d.get_heads()).unwrap_or_default();
    assert_eq!(received, expected, "the client converges on what the relay loaded");
    assert_eq!(relay.stored(&document).get_heads(), expected, "compaction loses nothing that was stored");
}

/// The same bytes as the changes of a sync message from a peer.
fn as_a_peers_changes(chunks: &[&[u8]], frame_len: usize) {
    let mut state = sync::State::new();
    let mut doc = Automerge::new();
    let first = doc.generate_sync_message(&mut state).expect("an empty document asks");
    let message = sync::Message {
        heads: Vec::new(),
        changes: chunks.iter().map(|c| c.to_vec()).collect::<Vec<_>>().into(),
        ..first
    };
    let limits = Limits { max_inflated_bytes: 1024 * 1024, max_inflation_ratio: 20 };
    if bounds::check_sync_message(&message, frame_len, &limits).is_ok() {
        let mut peer_state = sync::State::new();
        let _ = doc.receive_sync_message(&mut peer_state, message);
        reloads_to_the_same_heads(&doc);
    }
}
