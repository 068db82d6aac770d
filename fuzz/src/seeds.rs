//! Starting inputs for each target, made from real data: every message type, scripts of a
//! whole honest sync (relay and client), saved documents and their incremental chunks, and a
//! body of every JSON type. The fuzzer mutates from these; `tandem-fuzz-seeds` writes them into
//! `corpus/<target>/` and the replay tests run them as they are.

use automerge::{ActorId, Automerge};
use tandem_sync::codec::{self, Message, PROTOCOL_VERSION, PeerMetadata, RemoteHeads};
use tandem_sync::{DocumentId, PeerId};

use crate::chunks;
use crate::engine::{self, DOCS, Op};

/// The seeds of the target named `target`.
pub fn for_target(target: &str) -> Vec<Vec<u8>> {
    match target {
        "codec" => codec(),
        "engine" => engine(),
        "chunks" => chunks(),
        "api_json" => api_json(),
        other => panic!("no fuzz target {other}"),
    }
}

fn codec() -> Vec<Vec<u8>> {
    let (s, t) = (PeerId::from("peer-a"), PeerId::from("peer-b"));
    let document_id = DocumentId::from_bytes(DOCS[0]);
    let pool = engine::sync_pool();
    let mut messages = vec![
        Message::Join {
            sender_id: s.clone(),
            peer_metadata: Some(PeerMetadata { storage_id: Some("st".into()), is_ephemeral: true }),
            supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
        },
        Message::Peer {
            sender_id: s.clone(),
            target_id: t.clone(),
            peer_metadata: None,
            selected_protocol_version: PROTOCOL_VERSION.into(),
        },
        Message::Error { sender_id: None, target_id: Some(t.clone()), message: "no".into() },
        Message::Leave { sender_id: s.clone() },
        Message::DocUnavailable { sender_id: s.clone(), target_id: t.clone(), document_id },
        Message::Ephemeral {
            sender_id: s.clone(),
            target_id: t.clone(),
            count: 3,
            session_id: "x".into(),
            document_id,
            data: vec![0xa1, 0x61, 0x61, 0x01],
        },
        Message::RemoteSubscriptionChange {
            sender_id: s.clone(),
            target_id: t.clone(),
            add: vec!["a".into()],
            remove: vec!["b".into()],
        },
        Message::RemoteHeadsChanged {
            sender_id: s.clone(),
            target_id: t.clone(),
            document_id,
            new_heads: vec![("st".into(), RemoteHeads { heads: vec!["ab".into()], timestamp: 9 })],
        },
    ];
    for data in pool.iter().take(6) {
        messages.push(Message::Request {
            sender_id: s.clone(),
            target_id: t.clone(),
            document_id,
            data: data.clone(),
        });
        messages.push(Message::Sync {
            sender_id: s.clone(),
            target_id: t.clone(),
            document_id,
            data: data.clone(),
        });
    }
    messages.iter().map(codec::encode).collect()
}

/// A script for the engine target.
struct Script(Vec<u8>);

impl Script {
    fn new(relay: bool) -> Self {
        Script(vec![if relay { 0 } else { 1 }])
    }
    fn op(mut self, op: Op, peer: u8, args: &[u8]) -> Self {
        self.0.extend([op as u8, peer]);
        self.0.extend_from_slice(args);
        self
    }
}

fn engine() -> Vec<Vec<u8>> {
    let pool = engine::sync_pool().len() as u8;
    // A relay: a peer joins, asks for a document (the relay loads it), then sends every
    // message of the pool, with storage answering along the way.
    let mut relay = Script::new(true)
        .op(Op::Open, 0, &[])
        .op(Op::Handshake, 0, &[0])
        .op(Op::Request, 0, &[0, 0])
        .op(Op::Flush, 0, &[])
        .op(Op::CompleteLoad, 0, &[0]);
    for i in 1..pool {
        relay = relay.op(Op::Sync, 0, &[i % 3, i]).op(Op::Flush, 0, &[]).op(Op::CompleteStore, 0, &[0]);
    }
    let relay = relay
        .op(Op::Open, 1, &[])
        .op(Op::Handshake, 1, &[0])
        .op(Op::Request, 1, &[1, 0])
        .op(Op::Ephemeral, 1, &[1, 4, 0])
        .op(Op::Tick, 0, &[20])
        .op(Op::CompleteLoad, 0, &[0])
        .op(Op::Close, 1, &[]);
    // A client: the app opens and creates documents, the relay's handshake and sync arrive.
    let mut client = Script::new(false)
        .op(Op::App, 0, &[0, 0])
        .op(Op::App, 0, &[1, 1])
        .op(Op::App, 0, &[1, 2])
        .op(Op::CompleteLoad, 0, &[0])
        .op(Op::CompleteStore, 0, &[0])
        .op(Op::Open, 0, &[])
        .op(Op::Handshake, 0, &[0]);
    for i in 0..pool {
        client = client.op(Op::Sync, 0, &[0, i]).op(Op::CompleteStore, 0, &[0]);
    }
    let client = client.op(Op::DocUnavailable, 0, &[1]).op(Op::Other, 0, &[0, 2]).op(Op::Tick, 0, &[50]);
    // Raw and mutated frames before and after the handshake.
    let rough = Script::new(true)
        .op(Op::Open, 2, &[])
        .op(Op::Raw, 2, &[0, 3, 0xa1, 0x61, 0x61])
        .op(Op::Handshake, 2, &[0])
        .op(Op::Mutated, 2, &[0, 1, 0, 5, 0, 0xff]);
    vec![relay.0, client.0, rough.0]
}

fn chunks() -> Vec<Vec<u8>> {
    let a = engine::sample_doc(1, 3, 0);
    let whole = a.save();
    let heads = a.get_heads();
    let mut b = a.fork().with_actor(ActorId::from(&[2u8; 16][..]));
    b.merge(&mut engine::sample_doc(4, 2, 0)).expect("merges");
    let after = b.save_after(&heads);
    let big = engine::sample_doc(3, 1, 3000).save();
    let changes: Vec<Vec<u8>> = b.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
    let empty = Automerge::new();
    vec![
        chunks::join(&[&whole]),
        chunks::join(&[&whole, &after]),
        chunks::join(&[&after, &whole]),
        chunks::join(&[&big]),
        chunks::join(&[&changes[0], &changes[changes.len() - 1], &empty.save()]),
        chunks::join(&[&a.save_after(&[])]),
    ]
}

fn api_json() -> Vec<Vec<u8>> {
    [
        r#"{"email":"a@school.test","password":"correct horse"}"#,
        r#"{"current":"old","new":"new password"}"#,
        r#"{"id":"2Xd4","audience":{"kind":"pair","pair_id":"p-1"}}"#,
        r#"{"id":"2Xd4","audience":{"kind":"private"}}"#,
        r#"{"email":"b@school.test","name":"Bea","role":"mentor","password":null}"#,
        r#"{"role":"associate"}"#,
        r#"{"email":"c@school.test","name":"Cy","role":"coordinator","expires_in_days":7}"#,
        r#"{"password":"pw"}"#,
        r#"{"id":"c-1","name":"Cohort"}"#,
        r#"{"mentor_id":"u-1","associate_id":"u-2","cohort_id":"c-1"}"#,
        r#"{"mentor_id":null}"#,
        r#"{"id":"u-1","email":"a@b","name":"A","memberships":[{"program_id":"p","person_id":"u-1","role":"mentor"}],"pairs":[{"id":"p1","program_id":"p","cohort_id":null,"mentor_id":"u-1","associate_id":null}],"people":[{"id":"u-2","name":"B","program_id":"p","role":"associate"}],"cohorts":[]}"#,
        r#"[{"id":"d","audience":{"kind":"program","program_id":"p"},"owner_id":"u","access":"read"}]"#,
        r#"{"id":"d","audience":{"kind":"private"},"owner_id":"u","provisional":true}"#,
        r#"{"id":"p","name":"P","people":[{"id":"u","email":"e","name":"n","role":"mentor"}],"cohorts":[],"pairs":[]}"#,
        r#"[{"id":"t","label":"laptop","created_ms":1,"expires_ms":null}]"#,
        r#"{"token":"abc","expires_ms":-5}"#,
        r#"{"program_name":"P","email":"e","name":"n","role":"associate","expires_ms":1e3}"#,
        r#"{"error":"Sign in again.\u00e9"}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}
