//! Bounded work per frame: what one peer's frame may cost the engine in memory and time, whatever
//! it holds (compression bombs, huge CBOR arrays, sync messages whose bloom filters are traps).
//!
//! Memory is measured by a counting allocator: each test thread's own allocations, so tests
//! running in parallel do not disturb each other's figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;

use automerge::sync::{self, BloomFilter, ChunkList};
use automerge::{Automerge, ReadDoc as _, transaction::Transactable as _};
use ciborium::Value;
use tandem_sync::codec::{self, Message};
use tandem_sync::{Action, Config, ConnectionId, DocumentId, Engine, Event};

/// Counts the bytes live on each thread and the peak since the last [`peak_during`] began.
struct Meter;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(delta: i64) {
    // `try_with`: the thread's counters may already be gone while it exits.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// The one unsafe block of the tests: a global allocator is an `unsafe` trait. It only forwards to
// the system allocator and counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        count(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        q
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// Runs `f` and returns what it returned and the most bytes it had allocated at once (on this
/// thread, beyond what was live before).
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - base).max(0) as usize)
}

const MB: usize = 1024 * 1024;

fn doc() -> DocumentId {
    DocumentId::from_bytes([42; 16])
}

/// A relay engine with one joined connection.
fn joined_relay() -> (Engine, ConnectionId) {
    let mut relay = Engine::new(Config::relay("relay"));
    let c = ConnectionId(1);
    relay.handle(0, Event::ConnectionOpened { connection: c });
    let join = codec::encode(&Message::Join {
        sender_id: "mallory".into(),
        peer_metadata: None,
        supported_protocol_versions: vec!["1".into()],
    });
    relay.handle(0, Event::BytesReceived { connection: c, bytes: join });
    (relay, c)
}

fn sync_frame(data: Vec<u8>) -> Vec<u8> {
    codec::encode(&Message::Sync {
        sender_id: "mallory".into(),
        target_id: "relay".into(),
        document_id: doc(),
        data,
    })
}

/// The `error` message the relay sent before closing `c`, if it closed it.
fn error_before_close(actions: &[Action], c: ConnectionId) -> Option<String> {
    let closed = actions.iter().any(|a| matches!(a, Action::Close { connection, .. } if *connection == c));
    let error = actions.iter().find_map(|a| match a {
        Action::Send { connection, bytes } if *connection == c => match codec::decode(bytes) {
            Ok(Message::Error { message, .. }) => Some(message),
            _ => None,
        },
        _ => None,
    });
    if closed { error } else { None }
}

/// An automerge compressed-change chunk (type 2) whose DEFLATE body inflates to `inflated` zero
/// bytes: a few bytes per kilobyte on the wire, the shape of the relay's compression bomb.
fn compressed_chunk_of_zeros(inflated: usize) -> Vec<u8> {
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; MB];
    for _ in 0..inflated / MB {
        deflate.write_all(&zeros).unwrap();
    }
    let body = deflate.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    leb128(&mut chunk, body.len() as u64);
    chunk.extend(body);
    chunk
}

fn leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sync_message_with_changes(chunk: Vec<u8>) -> Vec<u8> {
    let message = sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(chunk),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    message.encode()
}

#[test]
fn a_compression_bomb_in_a_sync_frame_is_refused_before_it_is_inflated() {
    for inflated in [64 * MB, 256 * MB] {
        let chunk = compressed_chunk_of_zeros(inflated);
        let frame = sync_frame(sync_message_with_changes(chunk));
        assert!(frame.len() < 300 * 1024, "the bomb is small on the wire: {} bytes", frame.len());
        let (mut relay, c) = joined_relay();
        let (actions, peak) =
            peak_during(|| relay.handle(0, Event::BytesReceived { connection: c, bytes: frame.clone() }));
        let error = error_before_close(&actions, c).expect("the bomb's sender is told why and closed");
        assert!(error.contains("inflate"), "the error names the inflated size: {error}");
        assert!(peak < 8 * MB, "a {} KB frame cost {} MB", frame.len() / 1024, peak / MB);
        assert_eq!(relay.documents_in_memory(), 0);
    }
}

#[test]
fn an_8_mb_cbor_array_of_zeros_is_decoded_with_bounded_allocation() {
    // 8 MB of zeros (CBOR `0`) in an array of definite length 8,388,608 (header 0x9a + u32).
    let n = 8 * MB;
    let zeros = || {
        let mut a = vec![0x9a];
        a.extend((n as u32).to_be_bytes());
        a.extend(std::iter::repeat_n(0u8, n));
        a
    };
    let text = |s: &str| {
        let mut out = Vec::new();
        ciborium::ser::into_writer(&Value::Text(s.into()), &mut out).unwrap();
        out
    };
    let map = |entries: Vec<(&str, Vec<u8>)>| {
        let mut frame = vec![0xa0 | entries.len() as u8];
        for (k, v) in entries {
            frame.extend(text(k));
            frame.extend(v);
        }
        frame
    };
    let base = || {
        vec![
            ("type", text("sync")),
            ("senderId", text("mallory")),
            ("targetId", text("relay")),
            ("documentId", text(&doc().to_string())),
        ]
    };
    // As an unknown field (skipped), as the `data` field (the wrong type) and as a list field.
    let mut unknown = base();
    unknown.push(("data", vec![0x43, 1, 2, 3]));
    unknown.push(("padding", zeros()));
    let mut as_data = base();
    as_data.push(("data", zeros()));
    let as_versions =
        vec![("type", text("join")), ("senderId", text("m")), ("supportedProtocolVersions", zeros())];
    for (what, frame) in [("unknown", map(unknown)), ("data", map(as_data)), ("versions", map(as_versions))] {
        let (decoded, peak) = peak_during(|| codec::decode(&frame));
        assert!(peak < MB, "decoding an 8 MB array as `{what}` allocated {} MB", peak / MB);
        match what {
            "unknown" => assert!(matches!(decoded, Ok(Message::Sync { .. })), "{decoded:?}"),
            _ => assert!(decoded.is_err(), "{what}: {decoded:?}"),
        }
    }
}

/// A relay engine that holds a document with a few changes (loaded for another peer, so that the
/// first sync message on mallory's connection is the one under test), and mallory's connection.
fn relay_with_a_document() -> (Engine, ConnectionId) {
    let (mut relay, c) = joined_relay();
    let helper = ConnectionId(2);
    relay.handle(0, Event::ConnectionOpened { connection: helper });
    let join = codec::encode(&Message::Join {
        sender_id: "helper".into(),
        peer_metadata: None,
        supported_protocol_versions: vec!["1".into()],
    });
    relay.handle(0, Event::BytesReceived { connection: helper, bytes: join });
    let mut am = Automerge::new();
    let mut tx = am.transaction();
    for i in 0..5 {
        tx.put(automerge::ROOT, format!("k{i}"), i as i64).unwrap();
    }
    tx.commit();
    assert_eq!(am.keys(automerge::ROOT).count(), 5);
    let request = codec::encode(&Message::Request {
        sender_id: "helper".into(),
        target_id: "relay".into(),
        document_id: doc(),
        data: request_with_nothing(),
    });
    let actions = relay.handle(0, Event::BytesReceived { connection: helper, bytes: request });
    assert!(actions.iter().any(|a| matches!(a, Action::Load { .. })));
    relay.handle(
        0,
        Event::Loaded {
            document: doc(),
            chunks: vec![(tandem_sync::StorageKey::snapshot(&doc(), &am.get_heads()), am.save())],
        },
    );
    (relay, c)
}

fn request_with_nothing() -> Vec<u8> {
    let mut state = sync::State::new();
    sync::SyncDoc::generate_sync_message(&Automerge::new(), &mut state).unwrap().encode()
}

fn message_with_bloom(bloom: &[u8]) -> Vec<u8> {
    sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: vec![sync::Have { last_sync: Vec::new(), bloom: BloomFilter::try_from(bloom).unwrap() }],
        changes: ChunkList::empty(),
        flags: None,
        version: sync::MessageVersion::V1,
    }
    .encode()
}

#[test]
fn a_bloom_filter_with_no_bits_is_refused_and_the_engine_keeps_running() {
    // One entry of zero bits: automerge would take every probe modulo zero bits (a panic that
    // would stop the relay's engine thread for everyone).
    let (mut relay, c) = relay_with_a_document();
    let actions = relay
        .handle(1, Event::BytesReceived { connection: c, bytes: sync_frame(message_with_bloom(&[1, 0, 1])) });
    let error = error_before_close(&actions, c).expect("the sender is told why and closed");
    assert!(error.contains("bloom"), "{error}");
}

#[test]
fn a_bloom_filter_asking_for_billions_of_probes_is_refused_before_any_is_computed() {
    // automerge reserves a vector of `num_probes` entries for each hash it tests and computes them
    // all: 2^26 probes is 256 MB and 67 million steps per change (a peer may ask for 2^32 - 1).
    let (mut relay, c) = relay_with_a_document();
    let mut bloom = vec![1, 10];
    leb128(&mut bloom, 1 << 26);
    bloom.extend([0; 2]);
    let (actions, peak) = peak_during(|| {
        relay.handle(1, Event::BytesReceived { connection: c, bytes: sync_frame(message_with_bloom(&bloom)) })
    });
    let error = error_before_close(&actions, c).expect("the sender is told why and closed");
    assert!(error.contains("bloom"), "{error}");
    assert!(peak < MB, "{} MB", peak / MB);
}
