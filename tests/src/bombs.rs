//! Frames built to cost the relay far more than their size, and what one costs a running relay:
//! its memory before and after, and another person's round trip while it is handled.
//!
//! The frames: a `sync` whose one change is an automerge compressed chunk inflating to many MB of
//! zeros (a compression bomb), and a `sync` whose `data` is an 8 MB CBOR array of zeros instead of
//! a byte string. The end-to-end test `bad_frames.rs` sends them and bounds the growth;
//! `tandem-bombs` ([`measure`]) prints the figures, against any `tandem` binary (`TANDEM_BIN`), so
//! the same measurement can be made on a build from before the limits and on today's.

use std::time::{Duration, Instant};

use anyhow::Context;
use automerge::{Automerge, ROOT, transaction::Transactable};
use futures_util::{SinkExt, StreamExt};
use tandem_client::Client;
use tandem_sync::{DocumentId, PeerId, codec};
use tokio_tungstenite::tungstenite::Message;

use crate::{Relay, test_person_token};

/// A WebSocket to the relay, as a raw peer.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A frame built to cost more than its size.
#[derive(Clone, Copy, Debug)]
pub enum Bomb {
    /// A compressed automerge chunk inflating to this many MB of zeros.
    Inflating { mb: usize },
    /// An 8 MB CBOR array of zeros where the sync message's bytes belong.
    ArrayOfZeros,
}

impl Bomb {
    /// The cases measured for the hardening issue: 64 MB and 256 MB inflated, the 8 MB array.
    pub const MEASURED: [Bomb; 3] =
        [Bomb::Inflating { mb: 64 }, Bomb::Inflating { mb: 256 }, Bomb::ArrayOfZeros];

    /// The frame, addressed to `relay`, about `document`.
    pub fn frame(self, relay: &PeerId, document: DocumentId) -> Vec<u8> {
        match self {
            Bomb::Inflating { mb } => compression_bomb(relay, document, mb),
            Bomb::ArrayOfZeros => array_of_zeros(relay, document),
        }
    }

    /// A word of the error the relay answers it with (when it refuses it).
    pub fn refused_with(self) -> &'static str {
        match self {
            Bomb::Inflating { .. } => "inflate",
            Bomb::ArrayOfZeros => "items",
        }
    }
}

impl std::fmt::Display for Bomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bomb::Inflating { mb } => write!(f, "compression bomb inflating to {mb} MB"),
            Bomb::ArrayOfZeros => write!(f, "8 MB CBOR array of zeros"),
        }
    }
}

/// A sync frame whose one change is an automerge compressed-change chunk that inflates to
/// `inflated_mb` MB of zeros (a few hundred KB on the wire).
pub fn compression_bomb(relay: &PeerId, document: DocumentId, inflated_mb: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..inflated_mb {
        deflate.write_all(&zeros).expect("writing to memory");
    }
    let body = deflate.finish().expect("writing to memory");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = body.len() as u64;
    while n >= 0x80 {
        chunk.push((n as u8) | 0x80);
        n >>= 7;
    }
    chunk.push(n as u8);
    chunk.extend(body);
    // Heads announced: a document nobody claimed is claimed by its first sync with content, so
    // the bomb reaches the engine's apply as a new document of its sender's would.
    let message = automerge::sync::Message {
        heads: vec![automerge::ChangeHash([7; 32])],
        need: Vec::new(),
        have: Vec::new(),
        changes: automerge::sync::ChunkList::from(chunk),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    codec::encode(&codec::Message::Sync {
        sender_id: PeerId::from("bad-peer"),
        target_id: relay.clone(),
        document_id: document,
        data: message.encode(),
    })
}

/// A `sync` frame whose `data` is an 8 MB CBOR array of zeros instead of a byte string.
pub fn array_of_zeros(relay: &PeerId, document: DocumentId) -> Vec<u8> {
    let mut frame = codec::encode(&codec::Message::Sync {
        sender_id: PeerId::from("bad-peer"),
        target_id: relay.clone(),
        document_id: document,
        data: Vec::new(),
    });
    // The encoder writes `data` last, as an empty byte string (0x40): swap in the array.
    assert_eq!(frame.pop(), Some(0x40));
    let n: u32 = 8 * 1024 * 1024;
    frame.push(0x9a);
    frame.extend(n.to_be_bytes());
    frame.extend(std::iter::repeat_n(0u8, n as usize));
    frame
}

/// A raw socket that has completed the join/peer handshake; returns it with the relay's peer id.
pub async fn joined(url: &str) -> anyhow::Result<(Socket, PeerId)> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let join = codec::Message::Join {
        sender_id: PeerId::from("bad-peer"),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await?;
    loop {
        match socket.next().await {
            // Keep-alive pings may come at any time; they are not part of the handshake.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(bytes))) => match codec::decode(&bytes)? {
                codec::Message::Peer { sender_id, .. } => return Ok((socket, sender_id)),
                other => anyhow::bail!("expected peer, got {other:?}"),
            },
            other => anyhow::bail!("expected the relay's peer message, got {other:?}"),
        }
    }
}

/// Reads until the relay closes the socket; the `error` message text it sent, if any, or `Err`
/// when `patience` passed with the socket still open.
pub async fn closed_by_relay(
    socket: &mut Socket,
    patience: Duration,
) -> Result<Option<String>, tokio::time::error::Elapsed> {
    let mut error = None;
    tokio::time::timeout(patience, async {
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(Message::Binary(bytes)) => {
                    if let Ok(codec::Message::Error { message, .. }) = codec::decode(&bytes) {
                        error = Some(message);
                    }
                }
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await?;
    Ok(error)
}

/// The relay's resident memory now (`VmRSS`) and its peak so far (`VmHWM`), in MB.
pub fn memory_mb(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name}"))?;
        let kb: u64 = line.split_whitespace().nth(1).context("no value")?.parse()?;
        Ok(kb / 1024)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// What one bad frame cost a relay of its own.
#[derive(Debug)]
pub struct Figures {
    pub bomb: Bomb,
    pub frame_kb: usize,
    /// Resident memory before the frame, MB.
    pub rss_before_mb: u64,
    /// Peak resident memory once the frame was handled (and another person synced after it), MB.
    pub peak_after_mb: u64,
    /// Another person's round trip (an edit until the relay acknowledged it) before the frame:
    /// the median of a few.
    pub idle_round_trip: Duration,
    /// The same, made back to back from the moment the frame was sent until the relay answered
    /// it and one more round trip completed: how many, and the slowest.
    pub round_trips_during: usize,
    pub slowest_round_trip_during: Duration,
    /// What the relay answered the sender (its `error` message), if anything.
    pub answer: Option<String>,
    /// How long until the relay answered or closed the sender's socket.
    pub answered_after: Duration,
}

/// One edit by `client` to `id`, until the relay acknowledged it.
async fn round_trip(client: &Client, id: DocumentId, n: u64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    client
        .change(id, move |doc: &mut Automerge| {
            let mut tx = doc.transaction();
            tx.put(ROOT, "edit", n).expect("a put in a fresh transaction");
            tx.commit();
        })
        .await?;
    tokio::time::timeout(Duration::from_secs(120), client.synced(id)).await.context("never synced")??;
    Ok(started.elapsed())
}

/// Sends `bomb` to a fresh relay (the binary [`crate::tandem_binary`] names) as one person while
/// another person edits through it, and measures.
pub async fn measure(bomb: Bomb) -> anyhow::Result<Figures> {
    let data = tempfile::tempdir()?;
    let relay = Relay::start(data.path(), &[])?;
    let sender = test_person_token(data.path(), "sender@test.example")?;
    let other = test_person_token(data.path(), "other@test.example")?;
    let client = Client::start(relay.sync_url_for(&other));
    let id = client.create(Automerge::new()).await?;
    let mut idle = Vec::new();
    for n in 0..9 {
        idle.push(round_trip(&client, id, n).await?);
    }
    idle.sort();
    let (rss_before_mb, _) = memory_mb(relay.pid())?;

    let (mut socket, relay_peer) = joined(&relay.sync_url_for(&sender)).await?;
    let frame = bomb.frame(&relay_peer, DocumentId::from_bytes([7; 16]));
    let frame_kb = frame.len() / 1024;
    let sent = Instant::now();
    socket.send(Message::Binary(frame.into())).await?;
    let answered = tokio::spawn(async move {
        let answer = closed_by_relay(&mut socket, Duration::from_secs(120)).await.unwrap_or(None);
        (answer, sent.elapsed())
    });
    let mut during = Vec::new();
    let mut n = 100;
    loop {
        during.push(round_trip(&client, id, n).await?);
        n += 1;
        if answered.is_finished() {
            // One more, wholly after the relay answered the sender.
            during.push(round_trip(&client, id, n).await?);
            break;
        }
    }
    let (answer, answered_after) = answered.await?;
    let (_, peak_after_mb) = memory_mb(relay.pid())?;
    Ok(Figures {
        bomb,
        frame_kb,
        rss_before_mb,
        peak_after_mb,
        idle_round_trip: idle[idle.len() / 2],
        round_trips_during: during.len(),
        slowest_round_trip_during: during.iter().copied().max().unwrap_or_default(),
        answer,
        answered_after,
    })
}
