//! The wire format: tolerant of what real clients send, strict about what matters.

use ciborium::Value;
use proptest::prelude::*;
use tandem_sync::codec::{self, Message, PeerMetadata, RemoteHeads};
use tandem_sync::{DocumentId, Error};

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn doc() -> DocumentId {
    DocumentId::from_bytes([9; 16])
}

fn sync_entries() -> Vec<(Value, Value)> {
    vec![
        (t("type"), t("sync")),
        (t("senderId"), t("alice")),
        (t("targetId"), t("relay")),
        (t("documentId"), t(&doc().to_string())),
        (t("data"), Value::Bytes(vec![1, 2, 3])),
    ]
}

fn expected_sync() -> Message {
    Message::Sync {
        sender_id: "alice".into(),
        target_id: "relay".into(),
        document_id: doc(),
        data: vec![1, 2, 3],
    }
}

#[test]
fn keys_may_come_in_any_order() {
    let mut entries = sync_entries();
    entries.reverse();
    assert_eq!(codec::decode(&cbor(&Value::Map(entries))).unwrap(), expected_sync());
}

#[test]
fn unknown_keys_are_ignored() {
    let mut entries = sync_entries();
    entries.insert(2, (t("futureField"), Value::Array(vec![Value::Bool(true)])));
    entries.push((Value::Integer(7.into()), t("non-text key")));
    assert_eq!(codec::decode(&cbor(&Value::Map(entries))).unwrap(), expected_sync());
}

#[test]
fn undefined_and_null_values_count_as_absent() {
    // A `remote-subscription-change` as JavaScript sends it: `remove: undefined` (CBOR 0xf7).
    let mut frame = vec![0xa5];
    for (k, v) in [("type", "remote-subscription-change"), ("senderId", "a"), ("targetId", "b")] {
        frame.extend(cbor(&t(k)));
        frame.extend(cbor(&t(v)));
    }
    frame.extend(cbor(&t("add")));
    frame.extend(cbor(&Value::Array(vec![t("storage-1")])));
    frame.extend(cbor(&t("remove")));
    frame.push(0xf7);
    assert_eq!(
        codec::decode(&frame).unwrap(),
        Message::RemoteSubscriptionChange {
            sender_id: "a".into(),
            target_id: "b".into(),
            add: vec!["storage-1".into()],
            remove: vec![]
        }
    );
    // An optional field that is undefined is simply absent.
    let mut entries = vec![(t("type"), t("join")), (t("senderId"), t("x"))];
    entries.push((t("supportedProtocolVersions"), Value::Array(vec![t("1")])));
    entries.push((t("peerMetadata"), Value::Null));
    assert!(matches!(
        codec::decode(&cbor(&Value::Map(entries))).unwrap(),
        Message::Join { peer_metadata: None, .. }
    ));
}

#[test]
fn a_required_field_that_is_undefined_is_missing() {
    let mut entries = sync_entries();
    entries[4].1 = Value::Null;
    assert_eq!(
        codec::decode(&cbor(&Value::Map(entries))),
        Err(Error::MissingField { message_type: "sync".into(), field: "data" })
    );
}

#[test]
fn non_minimal_length_headers_are_accepted() {
    // {"type": "leave", "senderId": "bob"} with every length written longer than needed:
    // map length in 1 extra byte (0xb8 02), text lengths in 1, 2 and 4 extra bytes.
    let mut frame = vec![0xb8, 0x02];
    frame.extend([0x78, 0x04]);
    frame.extend(b"type");
    frame.extend([0x79, 0x00, 0x05]);
    frame.extend(b"leave");
    frame.extend([0x7a, 0x00, 0x00, 0x00, 0x08]);
    frame.extend(b"senderId");
    frame.extend([0x78, 0x03]);
    frame.extend(b"bob");
    assert_eq!(codec::decode(&frame).unwrap(), Message::Leave { sender_id: "bob".into() });
}

#[test]
fn indefinite_length_maps_and_strings_are_accepted() {
    let mut frame = vec![0xbf];
    frame.extend(cbor(&t("type")));
    frame.extend([0x7f, 0x63]);
    frame.extend(b"lea");
    frame.extend([0x62]);
    frame.extend(b"ve");
    frame.push(0xff);
    frame.extend(cbor(&t("senderId")));
    frame.extend(cbor(&t("bob")));
    frame.push(0xff);
    assert_eq!(codec::decode(&frame).unwrap(), Message::Leave { sender_id: "bob".into() });
}

#[test]
fn a_count_sent_as_a_float_and_bytes_in_tag_64_are_accepted() {
    let entries = vec![
        (t("type"), t("ephemeral")),
        (t("senderId"), t("a")),
        (t("targetId"), t("b")),
        (t("count"), Value::Float(3.0)),
        (t("sessionId"), t("s")),
        (t("documentId"), Value::Bytes(doc().as_bytes().to_vec())),
        (t("data"), Value::Tag(64, Box::new(Value::Bytes(vec![5])))),
    ];
    assert_eq!(
        codec::decode(&cbor(&Value::Map(entries))).unwrap(),
        Message::Ephemeral {
            sender_id: "a".into(),
            target_id: "b".into(),
            count: 3,
            session_id: "s".into(),
            document_id: doc(),
            data: vec![5]
        }
    );
}

#[test]
fn trailing_bytes_after_the_map_are_rejected() {
    let mut frame = codec::encode(&expected_sync());
    frame.push(0x00);
    assert_eq!(codec::decode(&frame), Err(Error::TrailingBytes(1)));
}

#[test]
fn wrong_types_missing_fields_and_bad_ids_are_typed_errors() {
    let mut entries = sync_entries();
    entries[4].1 = t("not bytes");
    assert_eq!(
        codec::decode(&cbor(&Value::Map(entries))),
        Err(Error::WrongType { field: "data", expected: "a byte string" })
    );
    let mut entries = sync_entries();
    entries.remove(1);
    assert!(matches!(
        codec::decode(&cbor(&Value::Map(entries))),
        Err(Error::MissingField { field: "senderId", .. })
    ));
    let mut entries = sync_entries();
    entries[3].1 = t("not-a-document-id");
    assert!(matches!(codec::decode(&cbor(&Value::Map(entries))), Err(Error::InvalidDocumentId(_))));
    assert_eq!(codec::decode(&cbor(&Value::Array(vec![]))), Err(Error::NotAMap));
    assert!(matches!(codec::decode(&[0xa1, 0x64]), Err(Error::MalformedCbor(_))));
    assert!(matches!(codec::decode(&[]), Err(Error::MalformedCbor(_))));
    let entries = vec![(t("type"), t("gossip")), (t("senderId"), t("a"))];
    assert_eq!(codec::decode(&cbor(&Value::Map(entries))), Err(Error::UnknownMessageType("gossip".into())));
}

#[test]
fn a_huge_declared_length_is_an_error_not_an_allocation() {
    // A byte string claiming 2^62 bytes, and an array claiming 2^62 items.
    let bytes = [0xa1, 0x61, b'x', 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0];
    assert!(codec::decode(&bytes).is_err());
    let array = [0xa1, 0x61, b'x', 0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0];
    assert!(codec::decode(&array).is_err());
}

fn peer_id() -> impl Strategy<Value = tandem_sync::PeerId> {
    "[a-z0-9-]{0,12}".prop_map(tandem_sync::PeerId::from)
}

fn document_id() -> impl Strategy<Value = DocumentId> {
    any::<[u8; 16]>().prop_map(DocumentId::from_bytes)
}

fn metadata() -> impl Strategy<Value = Option<PeerMetadata>> {
    proptest::option::of(
        (proptest::option::of("[a-z0-9]{1,8}"), any::<bool>())
            .prop_map(|(storage_id, is_ephemeral)| PeerMetadata { storage_id, is_ephemeral }),
    )
}

fn message() -> impl Strategy<Value = Message> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..64);
    let strings = proptest::collection::vec("[a-z0-9]{0,6}", 0..3);
    prop_oneof![
        (peer_id(), metadata(), strings.clone()).prop_map(
            |(sender_id, peer_metadata, supported_protocol_versions)| {
                Message::Join { sender_id, peer_metadata, supported_protocol_versions }
            }
        ),
        (peer_id(), peer_id(), metadata(), "[0-9]{1,2}").prop_map(
            |(sender_id, target_id, peer_metadata, v)| {
                Message::Peer { sender_id, target_id, peer_metadata, selected_protocol_version: v }
            }
        ),
        (proptest::option::of(peer_id()), proptest::option::of(peer_id()), ".{0,20}")
            .prop_map(|(sender_id, target_id, message)| Message::Error { sender_id, target_id, message }),
        peer_id().prop_map(|sender_id| Message::Leave { sender_id }),
        (peer_id(), peer_id(), document_id(), bytes.clone(), any::<bool>()).prop_map(
            |(sender_id, target_id, document_id, data, request)| {
                if request {
                    Message::Request { sender_id, target_id, document_id, data }
                } else {
                    Message::Sync { sender_id, target_id, document_id, data }
                }
            }
        ),
        (peer_id(), peer_id(), document_id()).prop_map(|(sender_id, target_id, document_id)| {
            Message::DocUnavailable { sender_id, target_id, document_id }
        }),
        (peer_id(), peer_id(), any::<u64>(), "[a-z0-9]{0,8}", document_id(), bytes).prop_map(
            |(sender_id, target_id, count, session_id, document_id, data)| Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data
            }
        ),
        (peer_id(), peer_id(), strings.clone(), strings.clone()).prop_map(
            |(sender_id, target_id, add, remove)| {
                Message::RemoteSubscriptionChange { sender_id, target_id, add, remove }
            }
        ),
        (
            peer_id(),
            peer_id(),
            document_id(),
            proptest::collection::vec(("[a-z]{1,4}", strings, any::<u64>()), 0..3)
        )
            .prop_map(|(sender_id, target_id, document_id, heads)| Message::RemoteHeadsChanged {
                sender_id,
                target_id,
                document_id,
                new_heads: heads
                    .into_iter()
                    .map(|(s, heads, timestamp)| (s, RemoteHeads { heads, timestamp }))
                    .collect(),
            }),
    ]
}

proptest! {
    #[test]
    fn every_message_survives_an_encode_decode_roundtrip(m in message()) {
        prop_assert_eq!(codec::decode(&codec::encode(&m)).unwrap(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = codec::decode(&bytes);
    }

    #[test]
    fn mutated_valid_frames_never_panic_the_decoder(
        m in message(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        let mut frame = codec::encode(&m);
        for (i, b) in edits {
            let len = frame.len();
            frame[i % len] = b;
        }
        let _ = codec::decode(&frame);
        let keep = cut % (frame.len() + 1);
        let _ = codec::decode(&frame[..keep]);
    }
}
