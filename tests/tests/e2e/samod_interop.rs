//! Interop with samod, the Rust automerge-repo: our native client syncs with a samod peer through
//! a relay built on samod (an axum WebSocket server here in the test), and a samod peer syncs with
//! our native client through our relay. Same wire protocol, different implementations on every
//! side.

use std::{sync::Arc, time::Duration};

use automerge::{Automerge, ObjType, ROOT, ReadDoc, transaction::Transactable};
use futures_util::{SinkExt, StreamExt, future::BoxFuture};
use samod::{BackoffConfig, DialError, Dialer, Repo, Transport};
use tandem_client::Client;
use tandem_sync::DocumentId;
use tandem_tests::Relay;
use tokio_tungstenite::tungstenite::{self, Message};

/// How long any one wait may take before the test fails (generous: CI machines are shared).
const PATIENCE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Dials a WebSocket with our tokio-tungstenite (no TLS), so samod needs no `tungstenite` feature.
struct WebSocketDialer {
    url: samod::Url,
}

impl Dialer for WebSocketDialer {
    type Error = tungstenite::Error;

    fn url(&self) -> samod::Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Self::Error>>> {
        let url = self.url.to_string();
        Box::pin(async move {
            let (socket, _) = tokio_tungstenite::connect_async(url).await.map_err(DialError::transient)?;
            let (sink, stream) = socket.split();
            let stream = stream.filter_map(|message| async move {
                match message {
                    Ok(Message::Binary(bytes)) => Some(Ok(bytes.to_vec())),
                    Ok(_) => None,
                    Err(error) => Some(Err(error)),
                }
            });
            let sink = sink.with(|bytes: Vec<u8>| async move {
                Ok::<_, tungstenite::Error>(Message::Binary(bytes.into()))
            });
            Ok(Transport::new(Box::pin(stream), Box::pin(sink)))
        })
    }
}

async fn samod_peer(name: &str, url: &str) -> Repo {
    let repo = Repo::build_tokio().with_peer_id(name.into()).load().await;
    let dialer =
        repo.dial(BackoffConfig::default(), Arc::new(WebSocketDialer { url: url.parse().unwrap() })).unwrap();
    within("samod to connect", dialer.established()).await.expect("samod connected");
    repo
}

/// A relay made of samod: a repo with in-memory storage accepting WebSockets at `/sync` on an
/// axum router on a free loopback port. Returns the repo (to stop it) and the sync URL.
async fn samod_relay() -> (Repo, String, tokio::task::JoinHandle<()>) {
    let repo = Repo::build_tokio().with_peer_id("samod-relay".into()).load().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/sync", listener.local_addr().unwrap());
    let acceptor = repo.make_acceptor(url.parse().unwrap()).unwrap();
    let app = axum::Router::new().route(
        "/sync",
        axum::routing::get(move |upgrade: axum::extract::ws::WebSocketUpgrade| {
            let acceptor = acceptor.clone();
            async move {
                upgrade.on_upgrade(move |socket| async move {
                    acceptor.accept_axum(socket, None).expect("the samod relay runs");
                })
            }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (repo, url, server)
}

fn notes_doc(first: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let notes = tx.put_object(ROOT, "notes", ObjType::List).unwrap();
    tx.insert(&notes, 0, first).unwrap();
    tx.commit();
    doc
}

fn add_note(doc: &mut Automerge, text: &str) {
    let mut tx = doc.transaction();
    let (_, notes) = tx.get(ROOT, "notes").unwrap().expect("genesis made the notes list");
    let len = tx.length(&notes);
    tx.insert(&notes, len, text).unwrap();
    tx.commit();
}

fn notes(doc: &Automerge) -> Vec<String> {
    let Some((_, list)) = doc.get(ROOT, "notes").unwrap() else { return Vec::new() };
    (0..doc.length(&list))
        .map(|i| doc.get(&list, i).unwrap().unwrap().0.into_string().unwrap_or_default())
        .collect()
}

async fn native_notes_until(client: &Client, id: DocumentId, count: usize) -> Vec<String> {
    within("notes on the native client", async {
        loop {
            if let Some(got) = client.read(id, |doc| doc.map(notes)).await.unwrap()
                && got.len() >= count
            {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

async fn samod_notes_until(handle: &samod::DocHandle, count: usize) -> Vec<String> {
    within("notes on the samod peer", async {
        loop {
            let got = handle.with_document(|doc| notes(doc));
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

fn samod_id(id: DocumentId) -> samod::DocumentId {
    id.to_string().parse().expect("the same document id format")
}

fn native_id(handle: &samod::DocHandle) -> DocumentId {
    handle.document_id().to_string().parse().expect("the same document id format")
}

/// Both directions between our native client and a samod peer, through whichever relay.
///
/// `await_upload`: wait until the relay holds the samod peer's new document before the native
/// client asks for it. The samod relay needs that (it answers a request for a document it lacks
/// at once); ours does not, it asks the samod peer, so its test leaves the race in on purpose.
async fn exchange_both_ways(native: &Client, samod: &Repo, await_upload: bool) {
    // Native → samod, and samod's reply back.
    let id = native.create(notes_doc("native: calm start")).await.unwrap();
    within("the relay to acknowledge the native document", native.synced(id)).await.unwrap();
    let handle = within("samod to find it", samod.find(samod_id(id))).await.unwrap().expect("samod finds it");
    assert_eq!(samod_notes_until(&handle, 1).await, ["native: calm start"]);
    handle.with_document(|doc| add_note(doc, "samod: wait time?"));
    assert_eq!(native_notes_until(native, id, 2).await, ["native: calm start", "samod: wait time?"]);

    // samod → native, and the native reply back.
    let theirs = samod.create(notes_doc("samod: goal draft")).await.unwrap();
    if await_upload {
        let (connections, _) = samod.connected_peers();
        let [relay] = connections.as_slice() else { panic!("one connection, to the relay: {connections:?}") };
        within("the samod relay to hold the new document", theirs.they_have_our_changes(relay.id)).await;
    }
    let id = native_id(&theirs);
    assert!(within("the native client to open it", native.open(id)).await.unwrap());
    assert_eq!(native_notes_until(native, id, 1).await, ["samod: goal draft"]);
    native.change(id, |doc| add_note(doc, "native: make it measurable")).await.unwrap();
    assert_eq!(samod_notes_until(&theirs, 2).await, ["samod: goal draft", "native: make it measurable"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_native_client_and_a_samod_peer_sync_through_a_samod_relay() {
    let (relay, url, server) = samod_relay().await;
    let peer = samod_peer("samod-peer", &url).await;
    let native = Client::start(url);
    exchange_both_ways(&native, &peer, true).await;
    peer.stop().await;
    relay.stop().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_samod_peer_and_our_native_client_sync_through_our_relay() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = tandem_tests::test_person_token(data.path(), "samod@test.example").unwrap();
    let peer = samod_peer("samod-peer", &relay.sync_url_for(&token)).await;
    let native = Client::start(relay.sync_url_for(&token));
    exchange_both_ways(&native, &peer, false).await;
    peer.stop().await;
}
