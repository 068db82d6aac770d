//! The relay's sync runtime: the `tandem-sync` engine on its own thread, fed by WebSocket
//! connections ([`socket`]) and the storage writer.
//!
//! The engine is a single-threaded state machine, so one thread owns it. Decoding a frame is its
//! costly part (CBOR, the automerge sync message, the inflated size of its chunks), so each
//! socket task decodes its own frames ([`tandem_sync::engine::Frame::decode`], on the blocking pool
//! when a frame is large) and the engine thread gets them typed. Everything that happens
//! (a frame from a peer, a finished load or store, a tick) arrives on one channel; the thread takes
//! all that is queued as one batch (so all changes that arrived for a document are applied
//! together), runs the engine, and performs its actions:
//! - frames go to each connection's outbound queue, which its socket task writes;
//! - loads run on blocking threads and come back as [`Event::Loaded`];
//! - stores and deletes of one batch go to the storage writer as one job, in order; once it is
//!   durable, [`Event::StoreCompleted`] goes back to the engine, which only then sends anything
//!   advertising the new heads. A failed store is retried until it succeeds; when it failed for
//!   want of space, the connections syncing its documents are told so with the protocol's `error`
//!   (and closed, as the protocol has it): their devices keep the changes and send them again.
//! - on PostgreSQL, other relays' announcements ([`crate::storage::announce`]) arrive on the same
//!   channel: for a document in memory, the chunks they stored are read and given to the engine as
//!   [`Event::StoredElsewhere`], which sends them on to this relay's peers; after the listener
//!   reconnects, every document in memory is read again.

pub mod ends;
pub mod rates;
pub mod socket;
pub mod sockets;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tandem_sync::{
    Action, Backoff, ConnectionId, Engine, Error as FrameError, Event, StorageKey, StoreToken,
    bounds::Limits, codec, engine::Frame,
};
use tokio::sync::mpsc;

use crate::{
    access::AccessPolicy,
    clock::Clock,
    metrics::Metrics,
    storage::{Backend, Storage, Write, announce::Announcement},
};

/// How often the engine is told that time passed (idle documents are evicted on ticks).
const TICK_EVERY: Duration = Duration::from_secs(5);
/// Frames queued for one connection before it counts as too slow and is dropped.
const OUTBOUND_QUEUE: usize = 4096;
/// Frames up to this size are decoded on the socket's own task; larger ones on the blocking pool.
const DECODE_INLINE_BYTES: usize = 64 * 1024;
/// At most this many queued inputs make one engine batch, so one batch stays short.
const MAX_BATCH: usize = 1024;
/// Waits before retrying a failed load or store: from 100 ms, doubling up to 10 s. No jitter: the
/// relay is the only one retrying against its own disk.
const STORAGE_RETRY: Backoff = Backoff::new(100, 10_000);

/// Sockets one person may hold open: every tab of every device has its own, so generous, but far
/// from the thousands one token could open before.
pub const DEFAULT_MAX_SOCKETS_PER_PERSON: usize = 32;
/// Documents one person may create (claim, by the API or a first sync) in an hour: a busy mentor
/// starts a few observations, notes and goals a day; a script making thousands is refused.
pub const DEFAULT_MAX_NEW_DOCUMENTS_PER_HOUR: u32 = 200;

/// Settings of the sync runtime.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Frames larger than this close the connection that sent them.
    pub max_frame_bytes: usize,
    /// What a frame's automerge chunks may inflate to (in all, and per byte of frame).
    pub limits: Limits,
    /// Documents unused for this long are dropped from memory (they stay stored).
    pub idle_evict_after: Duration,
    /// How often each connection is pinged; a peer silent for two intervals is dropped.
    pub keepalive: Duration,
    /// Open `/sync` sockets one person may have at once (`--max-sockets-per-person`); one more is
    /// answered 429.
    pub max_sockets_per_person: usize,
    /// Documents one person may claim in an hour (`--max-new-documents-per-hour`): one more is
    /// answered 429 by the API, and the protocol's `error` (then a close) over sync.
    pub max_new_documents_per_hour: u32,
    /// Bytes per second one person may send over all their sockets, with a burst
    /// (`--max-sync-bytes-per-second`, `--sync-burst-bytes`); past it their sockets are read
    /// more slowly ([`rates`]).
    pub rate: rates::Rate,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            max_frame_bytes: tandem_sync::codec::DEFAULT_MAX_FRAME_BYTES,
            limits: Limits::default(),
            idle_evict_after: Duration::from_secs(300),
            keepalive: Duration::from_secs(30),
            max_sockets_per_person: DEFAULT_MAX_SOCKETS_PER_PERSON,
            max_new_documents_per_hour: DEFAULT_MAX_NEW_DOCUMENTS_PER_HOUR,
            rate: rates::Rate::default(),
        }
    }
}

/// What a connection's socket task receives from the engine.
#[derive(Debug)]
pub enum Outbound {
    Frame(Vec<u8>),
    Close(String),
}

/// Inputs of the engine thread.
#[derive(Debug)]
enum Input {
    Opened {
        connection: ConnectionId,
        /// The person who authenticated the connection; the policy answers for them.
        person: String,
        outbound: mpsc::Sender<Outbound>,
    },
    Frame {
        connection: ConnectionId,
        /// Decoded by the connection's task.
        frame: Result<Frame, FrameError>,
        /// Its size on the wire, for metrics.
        len: usize,
        received: Instant,
    },
    Closed {
        connection: ConnectionId,
    },
    Engine(Event),
    /// A store finished; `received` is when the earliest frame of its batch arrived.
    Stored {
        tokens: Vec<StoreToken>,
        received: Option<Instant>,
    },
    /// Another relay heard from ([`crate::storage::announce`]).
    Announced(Announcement),
    /// A store of these documents was refused for want of space (and is being retried).
    StoreRefused {
        documents: Vec<tandem_sync::DocumentId>,
    },
}

/// A handle to the engine thread, cloned into every connection.
#[derive(Debug, Clone)]
pub struct SyncHub {
    inputs: mpsc::UnboundedSender<Input>,
    next_connection: Arc<AtomicU64>,
    pub config: SyncConfig,
}

impl SyncHub {
    /// Starts the engine thread and its ticker. They stop when every handle is dropped.
    ///
    /// The engine asks [`AccessPolicy`] about every document a connection reads or writes; the
    /// policy has its own database connection, on the engine's thread.
    pub fn start(
        storage: Arc<Storage>,
        metrics: Arc<Metrics>,
        config: SyncConfig,
        peer_id: String,
        clock: Clock,
    ) -> Result<Self, crate::storage::StorageError> {
        let policy = AccessPolicy::new(storage.connect()?, config.max_new_documents_per_hour);
        let purges = Purges::new(storage.connect()?)?;
        let (inputs, receiver) = mpsc::unbounded_channel();
        let mut engine_config = tandem_sync::Config::relay(peer_id);
        engine_config.max_frame_bytes = config.max_frame_bytes;
        engine_config.limits = config.limits;
        engine_config.idle_evict_after_ms = config.idle_evict_after.as_millis() as u64;
        let runtime = tokio::runtime::Handle::current();
        let worker = Worker {
            engine: Engine::with_policy(engine_config, policy),
            connections: HashMap::new(),
            storage: storage.clone(),
            metrics,
            inputs: inputs.downgrade(),
            runtime,
            started: Instant::now(),
            clock,
            purges,
        };
        std::thread::Builder::new()
            .name("tandem-sync-engine".into())
            .spawn(move || worker.run(receiver))
            .expect("cannot start the sync engine thread");
        if storage.backend() == Backend::Postgres {
            let announced = inputs.downgrade();
            let location = storage.location().clone();
            crate::storage::announce::listen(location, storage.origin().to_owned(), move |announcement| {
                announced.upgrade().is_some_and(|inputs| inputs.send(Input::Announced(announcement)).is_ok())
            })
            .map_err(|e| {
                crate::storage::StorageError::Write(format!("cannot start the listener thread: {e}"))
            })?;
        }
        let ticker = inputs.downgrade();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK_EVERY);
            loop {
                interval.tick().await;
                let Some(inputs) = ticker.upgrade() else { break };
                if inputs.send(Input::Engine(Event::Tick)).is_err() {
                    break;
                }
            }
        });
        Ok(Self { inputs, next_connection: Arc::new(AtomicU64::new(1)), config })
    }

    /// Registers a new connection of `person` (authenticated by the caller); frames for it arrive
    /// on the returned receiver.
    pub fn open(&self, person: String) -> (ConnectionId, mpsc::Receiver<Outbound>) {
        let connection = ConnectionId(self.next_connection.fetch_add(1, Ordering::Relaxed));
        let (outbound, receiver) = mpsc::channel(OUTBOUND_QUEUE);
        let _ = self.inputs.send(Input::Opened { connection, person, outbound });
        (connection, receiver)
    }

    /// Decodes one frame (on the blocking pool when it is large, so a big frame holds neither
    /// the engine's thread nor an async worker) and passes it to the engine.
    pub async fn frame(&self, connection: ConnectionId, bytes: Vec<u8>) {
        let received = Instant::now();
        let len = bytes.len();
        let (max, limits) = (self.config.max_frame_bytes, self.config.limits);
        let frame = if len <= DECODE_INLINE_BYTES {
            Frame::decode(&bytes, max, &limits)
        } else {
            match tokio::task::spawn_blocking(move || Frame::decode(&bytes, max, &limits)).await {
                Ok(frame) => frame,
                // Only a panic in the decoder (a bug) or a shutdown ends up here.
                Err(error) => {
                    tracing::error!(%connection, %error, "decoding a frame failed");
                    return;
                }
            }
        };
        let _ = self.inputs.send(Input::Frame { connection, frame, len, received });
    }

    pub fn closed(&self, connection: ConnectionId) {
        let _ = self.inputs.send(Input::Closed { connection });
    }
}

/// The engine thread's state.
struct Worker {
    engine: Engine<AccessPolicy>,
    connections: HashMap<ConnectionId, mpsc::Sender<Outbound>>,
    storage: Arc<Storage>,
    metrics: Arc<Metrics>,
    /// Weak, so the thread ends when the last [`SyncHub`] is dropped.
    inputs: mpsc::WeakUnboundedSender<Input>,
    runtime: tokio::runtime::Handle,
    /// The engine's own time: a monotonic interval since start, for its timers.
    started: Instant,
    /// The relay's clock, for what is recorded (a document's claim time).
    clock: Clock,
    purges: Purges,
}

/// Purges made since the relay started, by this process or by `tandem admin` beside it: at each
/// tick the engine forgets what was purged, so its memory keeps nothing of it. (The policy has
/// refused the purged ids since the purge committed; this only frees what was loaded.)
///
/// On PostgreSQL purges are serialized by the purge lock, which each holds until it commits, so
/// tombstones commit in `seq` order and none is passed over by reading past the newest seen.
struct Purges {
    db: crate::storage::Db,
    /// The newest tombstone seen.
    seen: i64,
}

impl Purges {
    fn new(db: crate::storage::Db) -> Result<Self, crate::storage::StorageError> {
        // Nothing purged before the start is in memory. Read on a thread of its own: the caller
        // is on the async runtime, where a PostgreSQL statement must not block.
        let (db, newest) = std::thread::spawn(move || {
            let newest =
                crate::storage::purge::purged_after(&db, 0).map(|all| all.last().map(|(seq, _)| *seq));
            (db, newest)
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(Self { db, seen: newest?.unwrap_or(0) })
    }

    fn newly_purged(&mut self) -> Vec<tandem_sync::DocumentId> {
        match crate::storage::purge::purged_after(&self.db, self.seen) {
            Ok(purged) => {
                self.seen = purged.last().map_or(self.seen, |(seq, _)| *seq);
                purged.into_iter().filter_map(|(_, id)| id.parse().ok()).collect()
            }
            Err(error) => {
                // Asked again at the next tick; the policy refuses the ids meanwhile.
                tracing::warn!(%error, "cannot read the purged documents");
                Vec::new()
            }
        }
    }
}

impl Worker {
    fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Input>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(input) => batch.push(input),
                    Err(_) => break,
                }
            }
            self.handle(batch);
        }
        tracing::debug!("sync engine stopped");
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn handle(&mut self, batch: Vec<Input>) {
        let mut events = Vec::with_capacity(batch.len());
        let mut earliest_frame: Option<Instant> = None;
        let mut closed = Vec::new();
        for input in batch {
            match input {
                Input::Opened { connection, person, outbound } => {
                    self.engine.policy_mut().bind(connection, person);
                    self.connections.insert(connection, outbound);
                    self.metrics.connections.inc();
                    events.push(Event::ConnectionOpened { connection });
                }
                Input::Frame { connection, frame, len, received } => {
                    self.metrics.message(crate::metrics::Direction::In, len);
                    earliest_frame = Some(earliest_frame.map_or(received, |e| e.min(received)));
                    if let Ok(decoded) = &frame
                        && let Err(reason) =
                            self.engine.policy_mut().observe_frame(connection, decoded, self.clock.now_ms())
                    {
                        self.refuse(connection, reason);
                        events.push(Event::ConnectionClosed { connection });
                        closed.push(connection);
                        continue;
                    }
                    events.push(Event::FrameDecoded { connection, frame });
                }
                Input::Closed { connection } => {
                    if self.connections.remove(&connection).is_some() {
                        self.metrics.connections.dec();
                    }
                    events.push(Event::ConnectionClosed { connection });
                    closed.push(connection);
                }
                Input::Engine(Event::Tick) => {
                    events.extend(self.purges.newly_purged().into_iter().map(|document| {
                        tracing::info!(%document, "dropping a purged document from memory");
                        Event::Forget { document }
                    }));
                    events.push(Event::Tick);
                }
                Input::Engine(event) => events.push(event),
                Input::Announced(Announcement::Stored { document, since }) => {
                    self.metrics.announcements.inc();
                    // Only documents in memory: the rest read everything at their next load.
                    if self.engine.has_in_memory(&document) {
                        self.load_stored_elsewhere(document, since);
                    }
                }
                Input::Announced(Announcement::Reconnected) => {
                    let documents: Vec<_> = self.engine.in_memory().copied().collect();
                    tracing::info!(documents = documents.len(), "catching up with other relays' changes");
                    for document in documents {
                        self.load_stored_elsewhere(document, 0);
                    }
                }
                Input::Stored { tokens, received } => {
                    if let Some(received) = received {
                        self.metrics.sync_latency.observe(received.elapsed().as_secs_f64());
                    }
                    events.extend(tokens.into_iter().map(|token| Event::StoreCompleted { token }));
                }
                Input::StoreRefused { documents } => {
                    for connection in self.tell_full(&documents) {
                        events.push(Event::ConnectionClosed { connection });
                        closed.push(connection);
                    }
                }
            }
        }
        let now = self.now_ms();
        let actions = self.engine.handle_batch(now, events);
        for connection in closed {
            self.engine.policy_mut().unbind(connection);
        }
        self.perform(actions, earliest_frame);
        self.metrics.documents_loaded.set(self.engine.documents_in_memory() as i64);
    }

    /// Closes a connection whose frame the policy refused (a new document past its person's
    /// documents per hour), telling the peer why with the protocol's `error` first.
    fn refuse(&mut self, connection: ConnectionId, reason: String) {
        self.metrics.new_documents_refused.inc();
        tracing::info!(%connection, %reason, "refusing a new document");
        let error = codec::Message::Error {
            sender_id: Some(self.engine.config().peer_id.clone()),
            target_id: self.engine.peer_id_of(connection).cloned(),
            message: reason.clone(),
        };
        if let Some(outbound) = self.connections.remove(&connection) {
            self.metrics.connections.dec();
            let _ = outbound.try_send(Outbound::Frame(codec::encode(&error)));
            let _ = outbound.try_send(Outbound::Close(reason));
        }
    }

    /// Tells every connection syncing `documents` that their changes cannot be stored now, with
    /// the protocol's `error`, then closes them (the protocol's sender closes after an error) and
    /// returns them: no acknowledgement went out, so their devices keep the changes and send them
    /// again once they reconnect, by which time the relay may have space again.
    fn tell_full(&mut self, documents: &[tandem_sync::DocumentId]) -> Vec<ConnectionId> {
        let reason = "the relay cannot store changes now: the disk holding its database is full. This \
                      device keeps its changes and sends them again; nothing unacknowledged was saved";
        let mut told = std::collections::BTreeSet::new();
        for document in documents {
            told.extend(self.engine.connections_of(document));
        }
        let mut closed = Vec::new();
        for connection in told {
            let error = codec::Message::Error {
                sender_id: Some(self.engine.config().peer_id.clone()),
                target_id: self.engine.peer_id_of(connection).cloned(),
                message: reason.to_owned(),
            };
            let Some(outbound) = self.connections.remove(&connection) else { continue };
            self.metrics.connections.dec();
            let _ = outbound.try_send(Outbound::Frame(codec::encode(&error)));
            let _ = outbound.try_send(Outbound::Close(reason.to_owned()));
            closed.push(connection);
        }
        closed
    }

    fn perform(&mut self, actions: Vec<Action>, received: Option<Instant>) {
        let mut writes = Vec::new();
        let mut tokens = Vec::new();
        for action in actions {
            tracing::trace!(?action, "engine action");
            match action {
                Action::Send { connection, bytes } => {
                    self.metrics.message(crate::metrics::Direction::Out, bytes.len());
                    let Some(outbound) = self.connections.get(&connection) else { continue };
                    if let Err(mpsc::error::TrySendError::Full(_)) = outbound.try_send(Outbound::Frame(bytes))
                    {
                        // The peer reads slower than the relay writes. Rather than buffer without
                        // bound, drop its queue: its socket task closes the connection, and the
                        // device resyncs from scratch when it reconnects (nothing is lost).
                        tracing::warn!(%connection, "closing a connection that fell too far behind");
                        self.connections.remove(&connection);
                        self.metrics.connections.dec();
                    }
                }
                Action::Close { connection, reason } => {
                    self.metrics.protocol_errors.inc();
                    tracing::info!(%connection, %reason, "closing a connection that broke the protocol");
                    if let Some(outbound) = self.connections.remove(&connection) {
                        self.metrics.connections.dec();
                        let _ = outbound.try_send(Outbound::Close(reason));
                    }
                }
                Action::Load { document } => self.load(StorageKey::document_prefix(&document), document),
                Action::Store { token, key, bytes } => {
                    tokens.push(token);
                    writes.push(Write::Put { key, data: bytes });
                }
                Action::Delete { key } => writes.push(Write::Delete { key }),
                Action::PeerConnected { connection, peer_id, .. } => {
                    tracing::debug!(%connection, %peer_id, "peer joined");
                }
                Action::WriteRefused { connection, document } => {
                    tracing::info!(%connection, %document, "refused changes from a reader");
                }
                // What the app of a client shows; a relay has no app.
                Action::DocumentChanged { .. }
                | Action::DocumentReady { .. }
                | Action::DocumentUnavailable { .. }
                | Action::Synced { .. }
                | Action::Ephemeral { .. } => {}
            }
        }
        if !writes.is_empty() {
            self.store(writes, tokens, received);
        }
    }

    fn load(&self, prefix: StorageKey, document: tandem_sync::DocumentId) {
        let (storage, metrics, inputs) = (self.storage.clone(), self.metrics.clone(), self.inputs.clone());
        self.runtime.spawn_blocking(move || {
            let mut attempt = 0;
            let chunks = loop {
                match storage.load_range(&prefix) {
                    Ok(chunks) => break chunks,
                    Err(error) => {
                        metrics.storage_errors.inc();
                        let wait = retry_wait(&mut attempt);
                        tracing::error!(%document, %error, retry_in = ?wait, "cannot load a document");
                        std::thread::sleep(wait);
                    }
                }
            };
            if let Some(inputs) = inputs.upgrade() {
                let _ = inputs.send(Input::Engine(Event::Loaded { document, chunks }));
            }
        });
    }

    /// Reads what another relay stored of `document` (chunks numbered `since` or later) and gives
    /// it to the engine; retried like a load.
    fn load_stored_elsewhere(&self, document: tandem_sync::DocumentId, since: i64) {
        let (storage, metrics, inputs) = (self.storage.clone(), self.metrics.clone(), self.inputs.clone());
        self.runtime.spawn_blocking(move || {
            let mut attempt = 0;
            let chunks = loop {
                match storage.load_since(&document, since) {
                    Ok(chunks) => break chunks,
                    Err(error) => {
                        metrics.storage_errors.inc();
                        let wait = retry_wait(&mut attempt);
                        tracing::error!(%document, %error, retry_in = ?wait, "cannot read another relay's changes");
                        std::thread::sleep(wait);
                    }
                }
            };
            if let Some(inputs) = inputs.upgrade() {
                let _ = inputs.send(Input::Engine(Event::StoredElsewhere { document, chunks }));
            }
        });
    }

    /// Writes one batch durably, retrying until it succeeds, then reports its tokens.
    fn store(&self, writes: Vec<Write>, tokens: Vec<StoreToken>, received: Option<Instant>) {
        let (storage, metrics, inputs) = (self.storage.clone(), self.metrics.clone(), self.inputs.clone());
        self.runtime.spawn(async move {
            let mut attempt = 0;
            while let Err(error) = storage.write(writes.clone()).await {
                metrics.storage_errors.inc();
                let wait = retry_wait(&mut attempt);
                if error.is_full() {
                    // The writer logs a full disk once a minute; the devices waiting are told.
                    let documents = writes.iter().filter_map(Write::document).collect();
                    if let Some(inputs) = inputs.upgrade() {
                        let _ = inputs.send(Input::StoreRefused { documents });
                    }
                } else {
                    tracing::error!(%error, retry_in = ?wait, "cannot store changes; nothing was acknowledged");
                }
                tokio::time::sleep(wait).await;
            }
            if let Some(inputs) = inputs.upgrade() {
                let _ = inputs.send(Input::Stored { tokens, received });
            }
        });
    }
}

/// The wait before storage retry number `attempt`, which it then counts.
fn retry_wait(attempt: &mut u32) -> Duration {
    let wait = Duration::from_millis(STORAGE_RETRY.ceiling_ms(*attempt).into());
    *attempt = attempt.saturating_add(1);
    wait
}
