//! A native sync client: the same `tandem-sync` engine the browser runs, on tokio, over a real
//! WebSocket. The relay's `tandem sync`, the end-to-end tests and the load generator use it.
//!
//! One task owns the engine and everything it touches (socket, storage, waiters), so no locks are
//! needed: callers talk to it through [`Client`]'s methods, which send it commands. The task keeps
//! the contract every runtime owes the engine ([`tandem_sync::runtime`]). It reconnects with
//! exponential backoff and jitter ([`tandem_sync::Backoff`]) while it is online, and keeps working
//! offline: changes made while disconnected are synced when the connection comes back.
//!
//! Documents live in memory ([`MemoryStorage`]) and nothing survives the process: the relay is
//! where they are durable, and [`Client::synced`] says when they are there.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use automerge::Automerge;
use futures_util::{SinkExt, StreamExt};
use tandem_sync::{
    Action, Backoff, ConnectionId, DocumentId, Engine, Event, MemoryStorage, StorageKey, runtime::optional,
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Reconnect delays: a relay that restarts is back within a second or two, so start short.
const RECONNECT: Backoff = Backoff::new(100, 10_000);
const TICK_EVERY: Duration = Duration::from_secs(5);

/// What can go wrong when talking to the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client's task has ended (its runtime shut down, or it panicked).
    #[error("the sync client has stopped; start a new one")]
    Stopped,
    /// The engine refused the request (a document that exists already, or is not open).
    #[error(transparent)]
    Sync(#[from] tandem_sync::Error),
}

/// The client's task is gone when its end of a channel is.
impl From<oneshot::error::RecvError> for Error {
    fn from(_: oneshot::error::RecvError) -> Self {
        Error::Stopped
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
    Create { id: DocumentId, doc: Box<Automerge>, done: oneshot::Sender<Result<(), Error>> },
    Open { id: DocumentId, done: oneshot::Sender<bool> },
    Change { id: DocumentId, change: ChangeFn, done: oneshot::Sender<Result<(), Error>> },
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
    /// Must run inside a tokio runtime.
    pub fn start(url: impl Into<String>) -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let peer_id = format!("tandem-client-{:016x}", rand::random::<u64>());
        let session = format!("{:016x}", rand::random::<u64>());
        let task = Task {
            url: url.into(),
            engine: Engine::new(tandem_sync::Config::client(peer_id, session)),
            storage: MemoryStorage::new(),
            online: true,
            socket: None,
            next_connection: 0,
            attempts: 0,
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

    fn send(&self, command: Command) -> Result<(), Error> {
        self.commands.send(command).map_err(|_| Error::Stopped)
    }

    /// Creates a document from `doc` (its genesis) under a new random (UUID v4) id, and syncs it.
    pub async fn create(&self, doc: Automerge) -> Result<DocumentId, Error> {
        let id = DocumentId::new_random(rand::random());
        let (done, result) = oneshot::channel();
        self.send(Command::Create { id, doc: Box::new(doc), done })?;
        result.await??;
        Ok(id)
    }

    /// Opens a document: loads it from local storage or fetches it from the relay. False when
    /// neither has it.
    pub async fn open(&self, id: DocumentId) -> Result<bool, Error> {
        let (done, result) = oneshot::channel();
        self.send(Command::Open { id, done })?;
        Ok(result.await?)
    }

    /// Changes an open document and returns what `change` returns; `change` must commit what it
    /// does (`tandem_core::raw::edit` does, for documents that are not records).
    pub async fn change<R: Send + 'static>(
        &self,
        id: DocumentId,
        change: impl FnOnce(&mut Automerge) -> R + Send + 'static,
    ) -> Result<R, Error> {
        let (done, result) = oneshot::channel();
        let (returned, value) = oneshot::channel();
        let change: ChangeFn = Box::new(move |doc| {
            let _ = returned.send(change(doc));
        });
        self.send(Command::Change { id, change, done })?;
        result.await??;
        Ok(value.await?)
    }

    /// Reads an open document (`None` when it is not in memory).
    pub async fn read<R: Send + 'static>(
        &self,
        id: DocumentId,
        read: impl FnOnce(Option<&Automerge>) -> R + Send + 'static,
    ) -> Result<R, Error> {
        let (done, result) = oneshot::channel();
        let read: ReadFn = Box::new(move |doc| {
            let _ = done.send(read(doc));
        });
        self.send(Command::Read { id, read })?;
        Ok(result.await?)
    }

    /// Resolves once the relay has (durably) everything this client has of the document.
    pub async fn synced(&self, id: DocumentId) -> Result<(), Error> {
        let (done, result) = oneshot::channel();
        self.send(Command::WaitSynced { id, done })?;
        Ok(result.await?)
    }

    /// Offline: drops the connection and does not reconnect until [`Client::go_online`].
    pub fn go_offline(&self) -> Result<(), Error> {
        self.send(Command::SetOnline(false))
    }

    pub fn go_online(&self) -> Result<(), Error> {
        self.send(Command::SetOnline(true))
    }

    pub async fn traffic(&self) -> Result<Traffic, Error> {
        let (done, result) = oneshot::channel();
        self.send(Command::Traffic(done))?;
        Ok(result.await?)
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Task {
    url: String,
    engine: Engine,
    storage: MemoryStorage,
    online: bool,
    socket: Option<(ConnectionId, Socket)>,
    next_connection: u64,
    /// Failed connections since the last completed handshake: the next [`RECONNECT`] attempt.
    attempts: u32,
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
                frame = optional(self.socket.as_mut().map(|(_, socket)| socket.next())) => {
                    self.frame(frame).await
                }
                _ = optional(reconnect_at.map(|at| tokio::time::sleep_until(at.into()))) => {
                    self.connect().await
                }
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
                        self.attempts = 0;
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
        let delay = RECONNECT.delay_ms(self.attempts, rand::random());
        self.attempts = self.attempts.saturating_add(1);
        self.reconnect_at = Some(Instant::now() + Duration::from_millis(delay.into()));
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
            // Memory cannot fail, so every answer comes at once, in the order asked.
            Action::Load { document } => {
                let chunks = self.storage.load_range_now(&StorageKey::document_prefix(&document));
                events.push(Event::Loaded { document, chunks });
            }
            Action::Store { token, key, bytes } => {
                self.storage.put_now(&key, &bytes);
                events.push(Event::StoreCompleted { token });
            }
            Action::Delete { key } => self.storage.delete_now(&key),
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
            // The handshake completed: the relay is really there, so failures count from zero again.
            Action::PeerConnected { .. } => self.attempts = 0,
            Action::Ephemeral { .. } | Action::WriteRefused { .. } => {}
        }
    }

    fn answer_open(&mut self, document: DocumentId, found: bool) {
        for waiter in self.open_waiters.remove(&document).unwrap_or_default() {
            let _ = waiter.send(found);
        }
    }
}
