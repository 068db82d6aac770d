//! Bad frames on the sync endpoint: whatever one peer sends, only its own connection closes, with
//! a clear reason where the protocol allows one, and nothing stored is damaged. Other devices keep
//! syncing through the same relay process.

use std::time::Duration;

use automerge::{Automerge, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use tandem_client::Client;
use tandem_sync::{DocumentId, PeerId, codec};
use tandem_tests::bombs::{self, memory_mb};
use tandem_tests::{Relay, test_person_token};
use tokio_tungstenite::tungstenite::Message;

use crate::notes::{add_note, notes_doc};

const PATIENCE: Duration = Duration::from_secs(30);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn note_count(doc: Option<&Automerge>) -> usize {
    doc.and_then(|d| d.get(ROOT, "notes").unwrap().map(|(_, list)| d.length(&list))).unwrap_or(0)
}

/// A raw socket that has completed the join/peer handshake; returns it with the relay's peer id.
async fn joined(url: &str) -> (Socket, PeerId) {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let join = codec::Message::Join {
        sender_id: PeerId::from("bad-peer"),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    loop {
        match socket.next().await {
            // Keep-alive pings may come at any time; they are not part of the handshake.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(bytes))) => match codec::decode(&bytes).unwrap() {
                codec::Message::Peer { sender_id, .. } => return (socket, sender_id),
                other => panic!("expected peer, got {other:?}"),
            },
            other => panic!("expected the relay's peer message, got {other:?}"),
        }
    }
}

/// Reads until the relay closes the socket; returns the `error` message text it sent, if any.
async fn closed_by_relay(socket: &mut Socket) -> Option<String> {
    bombs::closed_by_relay(socket, PATIENCE).await.expect("the relay kept the bad connection open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_close_only_the_sending_connection_and_damage_nothing() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &["--max-frame-mib", "16"]).unwrap();
    let token = test_person_token(data.path(), "mentor@test.example").unwrap();
    let url = relay.sync_url_for(&token);
    let good = Client::start(url.clone());
    let id = good.create(notes_doc()).await.unwrap();
    good.change(id, |d| add_note(d, "before the bad peers")).await.unwrap();
    tokio::time::timeout(PATIENCE, good.synced(id)).await.unwrap().unwrap();

    // Not CBOR at all, before the handshake.
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    socket.send(Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into())).await.unwrap();
    let reason = closed_by_relay(&mut socket).await;
    assert!(reason.is_some(), "garbage gets an error message before the close");

    // A CBOR map whose fields have the wrong types, after the handshake.
    let (mut socket, _) = joined(&url).await;
    let wrong_types = [
        0xa2, 0x64, b't', b'y', b'p', b'e', 0x05, 0x68, b's', b'e', b'n', b'd', b'e', b'r', b'I', b'd', 0xf5,
    ];
    socket.send(Message::Binary(wrong_types.to_vec().into())).await.unwrap();
    assert!(closed_by_relay(&mut socket).await.is_some(), "wrong types get an error message");

    // A sync message whose automerge payload is not a sync message.
    let (mut socket, relay_peer) = joined(&url).await;
    let bogus = codec::Message::Sync {
        sender_id: PeerId::from("bad-peer"),
        target_id: relay_peer,
        document_id: id,
        data: vec![0x42, 1, 2, 3],
    };
    socket.send(Message::Binary(codec::encode(&bogus).into())).await.unwrap();
    let reason = closed_by_relay(&mut socket).await;
    assert!(reason.is_some_and(|r| r.contains("invalid")), "invalid automerge data is named");

    // Text frames are not part of the protocol.
    let (mut socket, _) = joined(&url).await;
    socket.send(Message::Text("hello".into())).await.unwrap();
    closed_by_relay(&mut socket).await;

    // A frame over the configured limit (16 MiB).
    let (mut socket, _) = joined(&url).await;
    let _ = socket.send(Message::Binary(vec![0u8; 17 * 1024 * 1024].into())).await;
    closed_by_relay(&mut socket).await;

    // The good device never noticed: it keeps syncing, and a new device gets everything.
    good.change(id, |d| add_note(d, "after the bad peers")).await.unwrap();
    tokio::time::timeout(PATIENCE, good.synced(id)).await.unwrap().unwrap();
    let fresh = Client::start(url);
    assert!(tokio::time::timeout(PATIENCE, fresh.open(id)).await.unwrap().unwrap());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while fresh.read(id, note_count).await.unwrap() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the new device never got both notes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let unknown = DocumentId::from_bytes([9; 16]);
    assert!(!tokio::time::timeout(PATIENCE, fresh.open(unknown)).await.unwrap().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_bombs_and_an_8_mb_array_of_zeros_leave_the_relay_s_memory_flat() {
    // Each frame on a relay of its own, so each peak is its own. `None`: the 8 MB array.
    let cases = [
        ("64 KB bomb", Some(64), "inflate"),
        ("256 KB bomb", Some(256), "inflate"),
        ("8 MB array of zeros", None, "items"),
    ];
    for (what, bomb_mb, says) in cases {
        let data = tempfile::tempdir().unwrap();
        let relay = Relay::start(data.path(), &[]).unwrap();
        let token = test_person_token(data.path(), "mentor@test.example").unwrap();
        let url = relay.sync_url_for(&token);
        let good = Client::start(url.clone());
        let id = good.create(notes_doc()).await.unwrap();
        good.change(id, |d| add_note(d, "before the bad frame")).await.unwrap();
        tokio::time::timeout(PATIENCE, good.synced(id)).await.unwrap().unwrap();
        let (_, before) = memory_mb(relay.pid()).unwrap();

        let (mut socket, relay_peer) = joined(&url).await;
        let frame = match bomb_mb {
            Some(mb) => bombs::compression_bomb(&relay_peer, DocumentId::from_bytes([7; 16]), mb),
            None => bombs::array_of_zeros(&relay_peer, DocumentId::from_bytes([8; 16])),
        };
        socket.send(Message::Binary(frame.clone().into())).await.unwrap();
        let error = closed_by_relay(&mut socket).await;
        let started = std::time::Instant::now();
        good.change(id, |d| add_note(d, "after the bad frame")).await.unwrap();
        tokio::time::timeout(PATIENCE, good.synced(id)).await.unwrap().unwrap();
        let (_, peak) = memory_mb(relay.pid()).unwrap();
        eprintln!(
            "{what} ({} KB frame): relay peak RSS {before} MB -> {peak} MB; another device's round trip after it {:?}",
            frame.len() / 1024,
            started.elapsed()
        );
        assert!(error.as_deref().is_some_and(|e| e.contains(says)), "{what}: {error:?}");
        // About the frame's own size (the WebSocket buffer, the decoded byte strings), not what
        // it inflates or decodes to.
        assert!(peak < before + 48, "{what}: relay peak RSS grew from {before} MB to {peak} MB");
    }
}
