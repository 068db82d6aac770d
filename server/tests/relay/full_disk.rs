//! A full disk, for real and without root: the relay runs as its own process with
//! `TANDEM_SQLITE_MAX_PAGE_COUNT` (SQLite's `max_page_count` on every connection it opens), and
//! the test fills the database up to that size with rows of its own, through a connection of its
//! own. SQLite then refuses the relay's writes with a real SQLITE_FULL, as on a disk that filled
//! up; deleting the test's rows frees the space again.
//!
//! What must hold: a device syncing a change gets the protocol's `error` and no acknowledgement,
//! the API answers 507 with Retry-After, `/healthz` says the relay cannot write, the log says so
//! a few times rather than once per refused write, and once space is freed the relay writes again
//! by itself and stores the change it had refused (kept in memory, retried).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use automerge::{ReadDoc, transaction::Transactable};
use futures_util::{SinkExt, StreamExt};
use tandem_api::{Audience, ClaimRequest};
use tandem_server::storage::{DATABASE_FILE, MAX_PAGE_COUNT_ENV};
use tandem_sync::{DocumentId, codec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const TANDEM: &str = env!("CARGO_BIN_EXE_tandem");
/// Far longer than any answer here should take on loopback, even on a loaded machine.
const BOUND: Duration = Duration::from_secs(20);
/// Claims tried before one must have been refused: a claim adds at least a few dozen bytes to
/// the documents table's last page, so a 4 KiB page is full well before this many.
const CLAIMS_UNTIL_FULL: usize = 300;

fn admin(data: &Path, args: &[&str]) -> String {
    let output = Command::new(TANDEM).arg("admin").arg("--data").arg(data).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The test's own connection to the relay's database, unlimited, for filling and freeing it.
fn filler(data: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(data.join(DATABASE_FILE)).unwrap();
    db.busy_timeout(BOUND).unwrap();
    db.execute_batch("CREATE TABLE IF NOT EXISTS full_disk_filler (b BLOB NOT NULL)").unwrap();
    db
}

fn pages(db: &rusqlite::Connection) -> (i64, i64) {
    let count = db.query_row("PRAGMA page_count", [], |row| row.get(0)).unwrap();
    let free = db.query_row("PRAGMA freelist_count", [], |row| row.get(0)).unwrap();
    (count, free)
}

/// A relay process whose database may not grow past `max_pages`, and what it logged.
struct Relay {
    child: Child,
    addr: String,
    data: PathBuf,
    max_pages: i64,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Relay {
    fn start(dir: tempfile::TempDir, data: PathBuf, max_pages: i64) -> Self {
        let mut child = Command::new(TANDEM)
            .args(["serve", "--addr", "127.0.0.1:0", "--max-new-documents-per-hour", "10000", "--web-dir"])
            .arg(dir.path().join("web"))
            .arg("--data")
            .arg(&data)
            .env(MAX_PAGE_COUNT_ENV, max_pages.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("Tandem is running at http://")
            .unwrap_or_else(|| panic!("the relay did not start: {first:?}"))
            .trim_end_matches('/')
            .to_owned();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Self { child, addr, data, max_pages, log, _dir: dir }
    }

    /// Fills the database to its last allowed page with rows the relay knows nothing of: no
    /// free page left and the file at its limit, so any write of the relay that needs a new page
    /// is refused.
    fn fill(&self) {
        let db = filler(&self.data);
        let row = vec![7u8; 3000];
        loop {
            let (count, free) = pages(&db);
            if count >= self.max_pages && free == 0 {
                return;
            }
            db.execute("INSERT INTO full_disk_filler (b) VALUES (?1)", [&row]).unwrap();
        }
    }

    fn free(&self) {
        filler(&self.data).execute_batch("DELETE FROM full_disk_filler").unwrap();
    }

    /// `METHOD path` with a bearer token and an optional JSON body: the status and the whole
    /// answer, head and body, as the client sees it.
    async fn http(&self, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.addr).await.unwrap();
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: \
             application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(BOUND, stream.read_to_string(&mut answer)).await.unwrap().unwrap();
        let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        (status, answer)
    }

    fn log_lines(&self, containing: &str) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|line| line.contains(containing)).cloned().collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device speaking the sync protocol itself, so the test sees every message the relay sends.
struct Device {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    relay_peer: tandem_sync::PeerId,
    doc: automerge::Automerge,
    state: automerge::sync::State,
    id: DocumentId,
}

/// What the relay did with a device's change.
#[derive(Debug)]
enum Outcome {
    /// The relay's sync message carried the device's heads: stored and acknowledged.
    Acknowledged,
    /// The protocol's `error`, with its message.
    Refused(String),
}

impl Device {
    async fn connect(relay: &Relay, token: &str, doc: automerge::Automerge, id: DocumentId) -> Self {
        let url = format!("ws://{}/sync?token={token}", relay.addr);
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let join = codec::Message::Join {
            sender_id: "device".to_owned().into(),
            peer_metadata: None,
            supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
        };
        socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
        let relay_peer = loop {
            let frame = tokio::time::timeout(BOUND, socket.next()).await.unwrap().unwrap().unwrap();
            if let Message::Binary(bytes) = frame
                && let Ok(codec::Message::Peer { sender_id, .. }) = codec::decode(&bytes)
            {
                break sender_id;
            }
        };
        Self { socket, relay_peer, doc, state: automerge::sync::State::new(), id }
    }

    async fn send_sync(&mut self) {
        use automerge::sync::SyncDoc;
        let Some(message) = self.doc.generate_sync_message(&mut self.state) else { return };
        let sync = codec::Message::Sync {
            sender_id: "device".to_owned().into(),
            target_id: self.relay_peer.clone(),
            document_id: self.id,
            data: message.encode(),
        };
        self.socket.send(Message::Binary(codec::encode(&sync).into())).await.unwrap();
    }

    /// Syncs the device's document until the relay acknowledges its heads or refuses.
    async fn sync(&mut self) -> Outcome {
        use automerge::sync::SyncDoc;
        let heads = self.doc.get_heads();
        self.send_sync().await;
        loop {
            let frame = tokio::time::timeout(BOUND, self.socket.next())
                .await
                .expect("the relay neither acknowledged nor refused");
            let Some(Ok(Message::Binary(bytes))) = frame else { panic!("the socket ended: {frame:?}") };
            match codec::decode(&bytes).unwrap() {
                codec::Message::Sync { data, .. } => {
                    let message = automerge::sync::Message::decode(&data).unwrap();
                    if heads.iter().all(|head| message.heads.contains(head)) {
                        return Outcome::Acknowledged;
                    }
                    self.doc.receive_sync_message(&mut self.state, message).unwrap();
                    self.send_sync().await;
                }
                codec::Message::Error { message, .. } => return Outcome::Refused(message),
                _ => {}
            }
        }
    }
}

/// Text that does not compress, so its change needs as many bytes on disk as it has.
fn incompressible(len: usize) -> String {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

fn claim() -> String {
    let id = DocumentId::new_random(rand::random()).to_string();
    serde_json::to_string(&ClaimRequest { id, audience: Audience::Private }).unwrap()
}

#[tokio::test]
async fn a_full_disk_refuses_sync_with_an_error_answers_507_fails_healthz_logs_briefly_and_recovers_once_space_is_freed()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    admin(&data, &["create-program", "--name", "P", "--id", "p"]);
    admin(
        &data,
        &["add-person", "--email", "a@x.example", "--name", "A", "--program", "p", "--role", "mentor"],
    );
    let token = admin(&data, &["token", "--person", "a@x.example"]);
    // Room for the first change and the relay's own small writes, about 1 MiB.
    let (seeded, _) = pages(&filler(&data));
    let relay = Relay::start(dir, data, seeded + 256);

    // Before the disk fills: a document synced and acknowledged.
    let id = DocumentId::new_random(rand::random());
    let mut doc = automerge::Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        tx.put(automerge::ROOT, "first", "kept").map(|_| ())
    })
    .unwrap();
    let mut device = Device::connect(&relay, &token, doc, id).await;
    assert!(matches!(device.sync().await, Outcome::Acknowledged));
    assert_eq!(relay.http("GET", "/healthz", &token, None).await.0, 200);

    relay.fill();
    let filled = Instant::now();

    // Sync: a change that needs space is refused with the protocol's error, not acknowledged.
    let note = incompressible(512 * 1024);
    device
        .doc
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(automerge::ROOT, "second", note.as_str()).map(|_| ())
        })
        .unwrap();
    let refused = device.sync().await;
    let Outcome::Refused(message) = refused else {
        panic!("a change was acknowledged on a full disk: {refused:?}")
    };
    assert!(message.contains("disk") && message.contains("full"), "{message}");
    // As the protocol has it, the relay closes after its error, and sends nothing more.
    let closed = tokio::time::timeout(BOUND, async {
        while let Some(Ok(frame)) = device.socket.next().await {
            assert!(!matches!(frame, Message::Binary(_)), "the relay sent more after its error: {frame:?}");
        }
    })
    .await;
    assert!(closed.is_ok(), "the socket stayed open after the error");

    // /healthz: not healthy while nothing can be written, and says why.
    let (status, answer) = relay.http("GET", "/healthz", &token, None).await;
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("cannot write") && answer.contains("full"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: 5\r\n"), "{answer}");

    // The API: claims may fit in pages that still have room, but the first one that needs a new
    // page is answered 507 with Retry-After, saying what happened, and never 500.
    let mut claimed = 0;
    let (status, answer) = loop {
        let (status, answer) = relay.http("POST", "/api/documents", &token, Some(&claim())).await;
        if status != 201 || claimed == CLAIMS_UNTIL_FULL {
            break (status, answer);
        }
        claimed += 1;
    };
    println!("claims that fitted before one was refused: {claimed}; then {status}");
    assert_eq!(status, 507, "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: 60\r\n"), "{answer}");
    assert!(answer.contains("disk") && answer.contains("full"), "{answer}");

    // More of the same, and a device reconnecting to send its change again, while the writer
    // checks for space (every 5 s): the log says it once per minute, not once per refused write.
    let mut refusals = 0;
    for _ in 0..50 {
        if relay.http("POST", "/api/documents", &token, Some(&claim())).await.0 == 507 {
            refusals += 1;
        }
    }
    let mut again = Device::connect(&relay, &token, device.doc.clone(), id).await;
    assert!(matches!(again.sync().await, Outcome::Refused(_)));
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(filled.elapsed())).await;
    let errors = relay.log_lines("ERROR");
    println!(
        "over {:.1} s of a full disk: {refusals} of 50 more claims answered 507, {} ERROR lines, {} lines in all",
        filled.elapsed().as_secs_f64(),
        errors.len(),
        relay.log.lock().unwrap().len()
    );
    assert!(!errors.is_empty() && errors.len() <= 3, "{} error lines:\n{}", errors.len(), errors.join("\n"));

    // Space freed: the relay writes again by itself, without a restart.
    relay.free();
    let freed = Instant::now();
    while relay.http("GET", "/healthz", &token, None).await.0 != 200 {
        assert!(freed.elapsed() < BOUND * 2, "/healthz never recovered after space was freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("/healthz answered 200 again {:.1} s after space was freed", freed.elapsed().as_secs_f64());
    assert_eq!(relay.log_lines("the relay can write again").len(), 1);
    let (status, answer) = relay.http("POST", "/api/documents", &token, Some(&claim())).await;
    assert_eq!(status, 201, "{answer}");

    // And the change it had refused, which it kept and retried, reaches a new device.
    let client = tandem_client::Client::start(format!("ws://{}/sync?token={token}", relay.addr));
    loop {
        if client.open(id).await.unwrap() {
            let read = client
                .read(id, |doc| {
                    let doc = doc?;
                    let text = |key| {
                        doc.get(automerge::ROOT, key).ok().flatten().and_then(|(v, _)| v.into_string().ok())
                    };
                    Some((text("first"), text("second").map(|second| second.len())))
                })
                .await
                .unwrap();
            if read == Some((Some("kept".to_owned()), Some(note.len()))) {
                break;
            }
        }
        assert!(
            freed.elapsed() < BOUND * 2,
            "the refused change never reached a new device after space was freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "the refused change reached a new device {:.1} s after space was freed",
        freed.elapsed().as_secs_f64()
    );
}
