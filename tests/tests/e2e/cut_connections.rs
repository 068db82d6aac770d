//! Connections cut at any byte: a TCP proxy between two native clients and the real relay drops
//! each connection after a random number of bytes, again and again, while both clients edit the
//! same document. Once the cutting stops, both clients and the relay converge on the same
//! document with every edit in it, and then the network goes quiet (no sync storm).

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use automerge::ChangeHash;
use rand::Rng;
use tandem_client::Client;
use tandem_sync::DocumentId;
use tandem_tests::Relay;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::notes::{add_note, notes, notes_doc};

/// How long any one wait may take before the test fails (generous: CI machines are shared).
const PATIENCE: Duration = Duration::from_secs(60);
const EDITS_PER_CLIENT: usize = 60;

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// A TCP proxy that, while `cutting` is on, closes each connection (both ways) once it has carried
/// a random number of bytes, so cuts land anywhere: in the HTTP upgrade, inside a WebSocket frame
/// header, in the middle of a sync message.
#[derive(Clone)]
struct CuttingProxy {
    cutting: Arc<AtomicBool>,
    cuts: Arc<AtomicU64>,
}

impl CuttingProxy {
    async fn start(upstream: SocketAddr) -> (Self, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let proxy = Self { cutting: Arc::new(AtomicBool::new(true)), cuts: Arc::new(AtomicU64::new(0)) };
        let this = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.carry(client, upstream).await });
            }
        });
        (proxy, addr)
    }

    async fn carry(&self, client: TcpStream, upstream: SocketAddr) {
        let Ok(server) = TcpStream::connect(upstream).await else { return };
        // Between a few hundred bytes (inside the upgrade) and a few sync rounds.
        let budget = Arc::new(AtomicU64::new(rand::rng().random_range(100..6_000)));
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let up = self.pump(client_read, server_write, budget.clone());
        let down = self.pump(server_read, client_write, budget);
        // When either direction ends (a cut, or a normal close), drop both halves of both sockets.
        tokio::select! {
            () = up => {},
            () = down => {},
        }
    }

    async fn pump(
        &self,
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        budget: Arc<AtomicU64>,
    ) {
        let mut buffer = vec![0u8; 4096];
        loop {
            let n = match from.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut chunk = &buffer[..n];
            if self.cutting.load(Ordering::Relaxed) {
                let left = budget.load(Ordering::Relaxed) as usize;
                if chunk.len() >= left {
                    // Pass on the bytes up to the cut, then cut.
                    let _ = to.write_all(&chunk[..left]).await;
                    self.cuts.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                budget.fetch_sub(chunk.len() as u64, Ordering::Relaxed);
            }
            while !chunk.is_empty() {
                match to.write(chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(written) => chunk = &chunk[written..],
                }
            }
        }
    }
}

async fn state(client: &Client, id: DocumentId) -> (Vec<ChangeHash>, Vec<String>) {
    client.read(id, |doc| doc.map(|d| (d.get_heads(), notes(d))).unwrap_or_default()).await.unwrap()
}

/// The relay's `tandem_messages_total`, both directions.
async fn relay_messages(relay: &Relay) -> u64 {
    let mut stream = TcpStream::connect(relay.addr()).await.unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", relay.addr());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .lines()
        .filter(|line| line.starts_with("tandem_messages_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Waits until `count` reads the same twice, a second apart.
async fn settles<F: Future<Output = u64>>(what: &str, mut count: impl FnMut() -> F) -> u64 {
    within(what, async {
        let mut last = count().await;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = count().await;
            if now == last {
                return now;
            }
            last = now;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_editing_through_connections_cut_at_random_bytes_converge_and_then_go_quiet() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = tandem_tests::test_person_token(data.path(), "cut@test.example").unwrap();
    let (proxy, proxy_addr) = CuttingProxy::start(relay.addr()).await;
    let url = format!("ws://{proxy_addr}/sync?token={token}");
    let mentor = Client::start(url.clone());
    let associate = Client::start(url);

    let id = mentor.create(notes_doc()).await.unwrap();
    within("the relay to store the document through the cuts", mentor.synced(id)).await.unwrap();
    assert!(within("the associate to open it through the cuts", associate.open(id)).await.unwrap());

    let edit = |client: Client, who: &'static str| async move {
        for i in 0..EDITS_PER_CLIENT {
            client.change(id, move |d| add_note(d, &format!("{who} {i}"))).await.unwrap();
            // Typing pace, so edits and cuts interleave.
            let pause = rand::rng().random_range(5..40);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    };
    tokio::join!(edit(mentor.clone(), "mentor"), edit(associate.clone(), "associate"));
    proxy.cutting.store(false, Ordering::Relaxed);
    let cuts = proxy.cuts.load(Ordering::Relaxed);
    assert!(cuts >= 10, "the proxy cut only {cuts} connections");

    // Converged: both clients show every edit and the same heads, and the relay acknowledged them.
    let expected = 2 * EDITS_PER_CLIENT;
    let (heads, merged) = within("both clients to converge", async {
        loop {
            let (a, b) = (state(&mentor, id).await, state(&associate, id).await);
            if a == b && a.1.len() == expected {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    within("the relay to acknowledge the mentor", mentor.synced(id)).await.unwrap();
    within("the relay to acknowledge the associate", associate.synced(id)).await.unwrap();
    let mut want: Vec<String> =
        (0..EDITS_PER_CLIENT).flat_map(|i| [format!("mentor {i}"), format!("associate {i}")]).collect();
    let mut got = merged.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "every edit survived");
    // Each client's own edits stay in the order it made them.
    for who in ["mentor", "associate"] {
        let own: Vec<&String> = merged.iter().filter(|n| n.starts_with(who)).collect();
        let made: Vec<String> = (0..EDITS_PER_CLIENT).map(|i| format!("{who} {i}")).collect();
        assert_eq!(own, made.iter().collect::<Vec<_>>());
    }

    // Quiet: once settled, nobody sends anything more (the counts stop growing).
    let relay_total = settles("the relay's message count to stop growing", || relay_messages(&relay)).await;
    let mentor_sent = settles("the mentor's traffic to stop", || {
        let mentor = mentor.clone();
        async move { mentor.traffic().await.unwrap().messages_sent }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(relay_messages(&relay).await, relay_total, "the relay kept talking after convergence");
    assert_eq!(mentor.traffic().await.unwrap().messages_sent, mentor_sent);
    // Still the same document everywhere.
    assert_eq!(state(&mentor, id).await.0, heads);
    assert_eq!(state(&associate, id).await.0, heads);
    assert!(mentor.traffic().await.unwrap().connections > 1, "the mentor was never cut off");
    assert!(associate.traffic().await.unwrap().connections > 1, "the associate was never cut off");
}
