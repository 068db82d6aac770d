//! A native sync client: the same `tandem-sync` engine the browser runs, on tokio, over a real
//! WebSocket. Tests, the load generator and `tandem sync` use it.
//!
//! One task owns the engine and everything it touches (socket, storage, waiters), so no locks are
//! needed: callers talk to it through [`Client`]'s methods, which send it commands. The client
//! reconnects with exponential backoff and jitter while it is online, and keeps working offline:
//! changes made while disconnected are synced when the connection comes back.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use automerge::Automerge;
use futures_util::{SinkExt, StreamExt};
use tandem_sync::{Action, ConnectionId, DocumentId, Engine, Event, MemoryStorage, StorageKey};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::storage::{Storage, Write};

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const TICK_EVERY: Duration = Duration::from_secs(5);

/// Where a client keeps its documents between evictions and restarts.
#[derive(Debug, Clone)]
pub enum ClientStorage {
    /// Nothing survives the process.
    Memory(Arc<MemoryStorage>),
    /// A SQLite file, as the relay keeps its own.
    Sqlite(Arc<Storage>),
}

impl ClientStorage {
    pub fn memory() -> Self {
        Self::Memory(Arc::new(MemoryStorage::new()))
    }

    fn load(&self, prefix: &StorageKey) -> anyhow::Result<Vec<(StorageKey, Vec<u8>)>> {
        Ok(match self {
            Self::Memory(memory) => memory.load_range_now(prefix),
            Self::Sqlite(sqlite) => sqlite.load_range(prefix)?,
        })
    }

    async fn write(&self, writes: Vec<Write>) -> anyhow::Result<()> {
        match self {
            Self::Memory(memory) => {
                for write in writes {
                    match write {
                        Write::Put { key, data } => memory.put_now(&key, &data),
                        Write::Delete { key } => memory.delete_now(&key),
                    }
                }
            }
            Self::Sqlite(sqlite) => sqlite.write(writes).await?,
        }
        Ok(())
    }
}

/// Counts of what a client has sent and received, for tests and the load generator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub messages_sent: u64,
    pub bytes_sent: u64,
    pub messages_received: u64,
    pub bytes_received: u64,
    pub connections: u64,
}

type ReadFn = Box<dyn FnOnce(Option<&Automerge>) + Send>;
type ChangeFn = Box<dyn FnOnce(&mut Automerge) + Send>;

enum Command {
    Create { id: DocumentId, doc: Box<Automerge>, done: oneshot::Sender<anyhow::Result<()>> },
    Open { id: DocumentId, done: oneshot::Sender<bool> },
    Change { id: DocumentId, change: ChangeFn, done: oneshot::Sender<anyhow::Result<()>> },
    Read { id: DocumentId, read: ReadFn },
    WaitSynced { id: DocumentId, done: oneshot::Sender<()> },
    SetOnline(bool),
    Traffic(oneshot::Sender<Traffic>),
}

/// A handle to a running client task. Dropping every handle stops the client.
#[derive(Debug, Clone)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl Client {
    /// Starts a client that syncs with the relay at `url` (`ws://host:port/sync`), online.
    pub fn start(url: impl Into<String>, storage: ClientStorage) -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let peer_id = format!("tandem-client-{:016x}", rand::random::<u64>());
        let session = format!("{:016x}", rand::random::<u64>());
        let task = Task {
            url: url.into(),
            engine: Engine::new(tandem_sync::Config::client(peer_id, session)),
            storage,
            online: true,
            socket: None,
            next_connection: 0,
            backoff: FIRST_BACKOFF,
            reconnect_at: Some(Instant::now()),
            open_waiters: HashMap::new(),
            synced_waiters: HashMap::new(),
            synced: HashSet::new(),
            traffic: Traffic::default(),
            started: Instant::now(),
        };
        tokio::spawn(task.run(receiver));
        Self { commands }
    }

    fn send(&self, command: Command) -> anyhow::Result<()> {
        self.commands.send(command).ok().context("the client has stopped")
    }

    /// Creates a document from `doc` (its genesis) under a new random (UUID v4) id, and syncs it.
    pub async fn create(&self, doc: Automerge) -> anyhow::Result<DocumentId> {
        let id = new_document_id();
        let (done, result) = oneshot::channel();
        self.send(Command::Create { id, doc: Box::new(doc), done })?;
        result.await.context("the client has stopped")??;
        Ok(id)
    }

    /// Opens a document: loads it from local storage or fetches it from the relay. False when
    /// neither has it.
    pub async fn open(&self, id: DocumentId) -> anyhow::Result<bool> {
        let (done, result) = oneshot::channel();
        self.send(Command::Open { id, done })?;
        result.await.context("the client has stopped")
    }

    /// Changes an open document; `change` must commit what it does.
    pub async fn change(
        &self,
        id: DocumentId,
        change: impl FnOnce(&mut Automerge) + Send + 'static,
    ) -> anyhow::Result<()> {
        let (done, result) = oneshot::channel();
        self.send(Command::Change { id, change: Box::new(change), done })?;
        result.await.context("the client has stopped")?
    }

    /// Reads an open document (`None` when it is not in memory).
    pub async fn read<R: Send + 'static>(
        &self,
        id: DocumentId,
        read: impl FnOnce(Option<&Automerge>) -> R + Send + 'static,
    ) -> anyhow::Result<R> {
        let (done, result) = oneshot::channel();
        let read: ReadFn = Box::new(move |doc| {
            let _ = done.send(read(doc));
        });
        self.send(Command::Read { id, read })?;
        result.await.context("the client has stopped")
    }

    /// Resolves once the relay has (durably) everything this client has of the document.
    pub async fn synced(&self, id: DocumentId) -> anyhow::Result<()> {
        let (done, result) = oneshot::channel();
        self.send(Command::WaitSynced { id, done })?;
        result.await.context("the client has stopped")
    }

    /// Offline: drops the connection and does not reconnect until [`Client::go_online`].
    pub fn go_offline(&self) -> anyhow::Result<()> {
        self.send(Command::SetOnline(false))
    }

    pub fn go_online(&self) -> anyhow::Result<()> {
        self.send(Command::SetOnline(true))
    }

    pub async fn traffic(&self) -> anyhow::Result<Traffic> {
        let (done, result) = oneshot::channel();
        self.send(Command::Traffic(done))?;
        result.await.context("the client has stopped")
    }
}

/// A new random document id shaped like a version 4 UUID, as automerge-repo makes them: some of
/// its versions (the reference sync server's among them) drop documents whose id is not a UUID.
fn new_document_id() -> DocumentId {
    let mut bytes = rand::random::<[u8; 16]>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    DocumentId::from_bytes(bytes)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Task {
    url: String,
    engine: Engine,
    storage: ClientStorage,
    online: bool,
    socket: Option<(ConnectionId, Socket)>,
    next_connection: u64,
    backoff: Duration,
    /// When to try connecting next; `None` while connected or offline.
    reconnect_at: Option<Instant>,
    open_waiters: HashMap<DocumentId, Vec<oneshot::Sender<bool>>>,
    synced_waiters: HashMap<DocumentId, Vec<oneshot::Sender<()>>>,
    /// Documents whose latest local state the relay has acknowledged.
    synced: HashSet<DocumentId>,
    traffic: Traffic,
    started: Instant,
}

impl Task {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut tick = tokio::time::interval(TICK_EVERY);
        loop {
            let reconnect_at = self.reconnect_at;
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                frame = next_frame(&mut self.socket) => self.frame(frame).await,
                _ = sleep_until(reconnect_at) => self.connect().await,
                _ = tick.tick() => {
                    let actions = self.engine.handle(self.now_ms(), Event::Tick);
                    self.perform(actions).await;
                }
            }
        }
    }

    async fn command(&mut self, command: Command) {
        let now = self.now_ms();
        match command {
            Command::Create { id, doc, done } => {
                let result = self.engine.create_document(now, id, *doc);
                let _ = match result {
                    Ok(actions) => {
                        self.synced.remove(&id);
                        self.perform(actions).await;
                        done.send(Ok(()))
                    }
                    Err(error) => done.send(Err(error.into())),
                };
            }
            Command::Open { id, done } => {
                if self.engine.document(&id).is_some() {
                    let _ = done.send(true);
                    return;
                }
                self.open_waiters.entry(id).or_default().push(done);
                let actions = self.engine.handle(now, Event::OpenDocument { document: id });
                self.perform(actions).await;
            }
            Command::Change { id, change, done } => match self.engine.change(now, &id, change) {
                Ok(((), actions)) => {
                    self.synced.remove(&id);
                    self.perform(actions).await;
                    let _ = done.send(Ok(()));
                }
                Err(error) => {
                    let _ = done.send(Err(error.into()));
                }
            },
            Command::Read { id, read } => read(self.engine.document(&id)),
            Command::WaitSynced { id, done } => {
                if self.synced.contains(&id) {
                    let _ = done.send(());
                } else {
                    self.synced_waiters.entry(id).or_default().push(done);
                }
            }
            Command::SetOnline(online) => {
                self.online = online;
                if online {
                    if self.socket.is_none() {
                        self.backoff = FIRST_BACKOFF;
                        self.reconnect_at = Some(Instant::now());
                    }
                } else {
                    self.reconnect_at = None;
                    self.disconnect().await;
                }
            }
            Command::Traffic(done) => {
                let _ = done.send(self.traffic);
            }
        }
    }

    async fn connect(&mut self) {
        self.reconnect_at = None;
        match tokio_tungstenite::connect_async(&self.url).await {
            Ok((socket, _)) => {
                self.next_connection += 1;
                let connection = ConnectionId(self.next_connection);
                self.socket = Some((connection, socket));
                self.backoff = FIRST_BACKOFF;
                self.traffic.connections += 1;
                let actions = self.engine.handle(self.now_ms(), Event::ConnectionOpened { connection });
                self.perform(actions).await;
            }
            Err(error) => {
                tracing::debug!(%error, url = %self.url, "cannot reach the relay; retrying");
                self.schedule_reconnect();
            }
        }
    }

    /// Exponential backoff with jitter, so a school's worth of devices coming back online at once
    /// does not reconnect in lockstep.
    fn schedule_reconnect(&mut self) {
        if !self.online {
            return;
        }
        let jitter = rand::random_range(0.5..1.0);
        self.reconnect_at = Some(Instant::now() + self.backoff.mul_f64(jitter));
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    async fn disconnect(&mut self) {
        if let Some((connection, mut socket)) = self.socket.take() {
            let _ = socket.close(None).await;
            let actions = self.engine.handle(self.now_ms(), Event::ConnectionClosed { connection });
            self.perform(actions).await;
        }
    }

    async fn frame(&mut self, frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        let Some((connection, _)) = &self.socket else { return };
        let connection = *connection;
        match frame {
            Some(Ok(Message::Binary(bytes))) => {
                self.traffic.messages_received += 1;
                self.traffic.bytes_received += bytes.len() as u64;
                let event = Event::BytesReceived { connection, bytes: bytes.into() };
                let actions = self.engine.handle(self.now_ms(), event);
                self.perform(actions).await;
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                self.socket = None;
                let actions = self.engine.handle(self.now_ms(), Event::ConnectionClosed { connection });
                self.perform(actions).await;
                self.schedule_reconnect();
            }
        }
    }

    /// Performs the engine's actions; storage answers are fed back until nothing is left.
    async fn perform(&mut self, actions: Vec<Action>) {
        let mut pending = actions;
        while !pending.is_empty() {
            let mut events = Vec::new();
            for action in std::mem::take(&mut pending) {
                self.perform_one(action, &mut events).await;
            }
            if !events.is_empty() {
                pending = self.engine.handle_batch(self.now_ms(), events);
            }
        }
    }

    async fn perform_one(&mut self, action: Action, events: &mut Vec<Event>) {
        match action {
            Action::Send { connection, bytes } => {
                if let Some((current, socket)) = &mut self.socket
                    && *current == connection
                {
                    self.traffic.messages_sent += 1;
                    self.traffic.bytes_sent += bytes.len() as u64;
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        // The read side notices the broken socket and reconnects.
                        tracing::debug!("send failed; the connection is going down");
                    }
                }
            }
            Action::Close { reason, .. } => {
                tracing::warn!(%reason, "the engine closed the connection");
                if let Some((_, mut socket)) = self.socket.take() {
                    let _ = socket.close(None).await;
                }
                self.schedule_reconnect();
            }
            Action::Load { document } => {
                let chunks = match self.storage.load(&StorageKey::document_prefix(&document)) {
                    Ok(chunks) => chunks,
                    Err(error) => {
                        tracing::error!(%error, %document, "cannot read local storage");
                        Vec::new()
                    }
                };
                events.push(Event::Loaded { document, chunks });
            }
            Action::Store { token, key, bytes } => {
                match self.storage.write(vec![Write::Put { key, data: bytes }]).await {
                    Ok(()) => events.push(Event::StoreCompleted { token }),
                    // The engine keeps the document gated; the change stays in memory and is
                    // offered again on the next sync.
                    Err(error) => tracing::error!(%error, "cannot write local storage"),
                }
            }
            Action::Delete { key } => {
                if let Err(error) = self.storage.write(vec![Write::Delete { key }]).await {
                    tracing::error!(%error, "cannot delete from local storage");
                }
            }
            Action::DocumentReady { document } => self.answer_open(document, true),
            Action::DocumentUnavailable { document } => self.answer_open(document, false),
            Action::Synced { document, .. } => {
                self.synced.insert(document);
                for waiter in self.synced_waiters.remove(&document).unwrap_or_default() {
                    let _ = waiter.send(());
                }
            }
            Action::DocumentChanged { document } => {
                self.synced.remove(&document);
            }
            Action::PeerConnected { .. } | Action::Ephemeral { .. } | Action::WriteRefused { .. } => {}
        }
    }

    fn answer_open(&mut self, document: DocumentId, found: bool) {
        for waiter in self.open_waiters.remove(&document).unwrap_or_default() {
            let _ = waiter.send(found);
        }
    }
}

async fn next_frame(
    socket: &mut Option<(ConnectionId, Socket)>,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    match socket {
        Some((_, socket)) => socket.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_document_ids_are_version_4_uuids_as_automerge_repo_expects() {
        for _ in 0..64 {
            let bytes = *new_document_id().as_bytes();
            assert_eq!(bytes[6] >> 4, 4, "version nibble");
            assert_eq!(bytes[8] >> 6, 0b10, "RFC 4122 variant");
        }
    }
}
