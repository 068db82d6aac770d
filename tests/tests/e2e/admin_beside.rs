//! `tandem admin` run beside a running relay (its own process, the same database): what it ends
//! closes the sockets concerned within a second or two, not at the next keep-alive check (30 s).
//! The real relay process, real WebSockets.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tandem_sync::{PeerId, codec};
use tandem_tests::{Relay, admin, test_person_token};
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

/// Far shorter than the relay's keep-alive interval (30 s): a close within it came from what
/// `tandem admin` recorded, not from the periodic check.
const BOUND: Duration = Duration::from_secs(5);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket opened with `token`, past the protocol's join.
async fn joined(relay: &Relay, token: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(relay.sync_url_for(token)).await.unwrap();
    let join = codec::Message::Join {
        sender_id: PeerId::from("tablet"),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    match tokio::time::timeout(BOUND, socket.next()).await.expect("the relay answers a join") {
        Some(Ok(Message::Binary(bytes))) => {
            assert!(matches!(codec::decode(&bytes).unwrap(), codec::Message::Peer { .. }));
        }
        other => panic!("expected the relay's peer message, got {other:?}"),
    }
    socket
}

/// The reason of the close the relay sends within [`BOUND`].
async fn closed_within_bound(socket: &mut Socket) -> String {
    loop {
        match tokio::time::timeout(BOUND, socket.next()).await.expect("closed within seconds") {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Policy, "{frame:?}");
                return frame.reason.to_string();
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_someone_from_the_program_with_the_cli_closes_their_open_socket_within_seconds() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = test_person_token(relay.data_dir(), "mia@school.test").unwrap();
    let stays = test_person_token(relay.data_dir(), "noor@school.test").unwrap();
    let mut socket = joined(&relay, &token).await;
    let mut other = joined(&relay, &stays).await;
    admin(
        relay.data_dir(),
        &["remove-from-program", "--person", "mia@school.test", "--program", "test"],
        None,
    )
    .unwrap();
    assert_eq!(closed_within_bound(&mut socket).await, "your access changed; reconnect");
    other.send(Message::Ping(b"there?".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(BOUND, other.next()).await.unwrap();
    assert!(matches!(pong, Some(Ok(Message::Pong(_)))), "someone else's socket stays: {pong:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_with_the_cli_closes_its_socket_within_seconds() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = test_person_token(relay.data_dir(), "mia@school.test").unwrap();
    let mut socket = joined(&relay, &token).await;
    let listed = admin(relay.data_dir(), &["tokens", "--person", "mia@school.test"], None).unwrap();
    let id = listed.split('\t').next().unwrap();
    admin(relay.data_dir(), &["revoke-token", "--id", id], None).unwrap();
    assert_eq!(closed_within_bound(&mut socket).await, "the access token was revoked");
}
