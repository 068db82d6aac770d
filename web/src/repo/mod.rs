//! The documents on this device, kept in IndexedDB and synced with the relay whenever it can be
//! reached: the browser's runtime for the sans-IO sync engine (`tandem_sync::Engine`).
//!
//! - [`docs`]: the typed copy of each document the screens read and edit, kept level with the
//!   engine's copy;
//! - [`socket`]: the WebSocket, and the reconnect delays (exponential backoff with jitter).
//!
//! [`Repo`] performs what the engine asks (send a frame, load or store a chunk in IndexedDB) and
//! tells the engine what happened (frames, closed sockets, completed stores). Edits from the
//! screens collect in the typed document's open batch and are committed together: after a pause in
//! typing, at the latest a few seconds after the batch began, and when the page is hidden (the
//! last moment a phone may give). A committed batch is stored before the engine tells the relay
//! about it, and "synced" means the relay has acknowledged the device's heads, which it does only
//! once they are durable on its side.
//!
//! Each tab is its own automerge actor with its own engine and connection. Tabs tell each other
//! (a `BroadcastChannel`) when they have stored something, and the others load it from IndexedDB,
//! so two tabs stay level even with no network.

pub mod docs;
pub mod socket;

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::{Rc, Weak},
};

use gloo_timers::callback::{Interval, Timeout};
use tandem_core::{
    Doc, Timestamp, UserId,
    automerge::{ActorId, ChangeHash},
};
use tandem_sync::{Action, Config, ConnectionId, DocumentId, Engine, Event, PeerId, StorageKey};
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::spawn_local;

use self::docs::{AnyDoc, Kind};
use self::socket::{RECONNECT, Socket, SocketEvent};
use crate::store::IdbStorage;

/// How long typing must pause before a batch of edits is committed.
const IDLE_MS: u32 = 400;
/// The longest a batch waits while typing goes on without a pause.
const MAX_BATCH_MS: u32 = 3_000;
/// How often the engine's clock ticks (idle documents of other tabs' interest are evicted).
const TICK_MS: u32 = 10_000;
/// A failed IndexedDB write is retried after this long, doubling up to the maximum.
const STORE_RETRY_MS: u32 = 1_000;
const STORE_RETRY_MAX_MS: u32 = 30_000;
/// How many `tandem-pull` performance measures are kept before they are cleared.
const PULL_MEASURES_KEPT: u32 = 1_000;
/// The channel tabs of the app announce stored documents on.
const TABS_CHANNEL: &str = "tandem-documents";

/// Where a document stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStatus {
    /// Not on this device yet: asked for, waiting for storage or the relay.
    Loading,
    /// Neither this device nor the relay has it (or this person may not see it).
    Unavailable,
    /// Edits not yet in IndexedDB.
    Saving,
    /// In IndexedDB; the relay has not confirmed it has everything.
    Saved,
    /// The relay has every change this device has, since this moment.
    Synced(Timestamp),
}

#[derive(Debug)]
enum EntryState {
    Loading,
    Unavailable,
    Ready(Box<AnyDoc>),
    /// On the device but not readable by this version of the app.
    Broken(String),
}

#[derive(Debug)]
struct Entry {
    state: EntryState,
    /// The typed copy's heads the engine has been given.
    pushed: Vec<ChangeHash>,
    /// Edits in the typed copy not yet committed and handed to the engine.
    local_pending: bool,
    /// The engine's heads when the relay last confirmed them, and when.
    synced: Option<(Vec<ChangeHash>, Timestamp)>,
}

/// The app's documents and their sync. One per tab, shared by the screens through an `Rc`.
pub struct Repo {
    me: UserId,
    actor: ActorId,
    this: Weak<Repo>,
    engine: RefCell<Engine>,
    storage: Rc<IdbStorage>,
    entries: RefCell<HashMap<DocumentId, Entry>>,
    sync_url: Option<String>,
    socket: RefCell<Option<(ConnectionId, Socket)>>,
    next_connection: Cell<u64>,
    connected: Cell<bool>,
    attempts: Cell<u32>,
    reconnect: RefCell<Option<Timeout>>,
    inbox: RefCell<Vec<Event>>,
    batch_idle: RefCell<Option<Timeout>>,
    batch_max: RefCell<Option<Timeout>>,
    write_error: RefCell<Option<String>>,
    listener: RefCell<Option<Rc<dyn Fn()>>>,
    notify_scheduled: Cell<bool>,
    stopped: Cell<bool>,
    tabs: Option<web_sys::BroadcastChannel>,
    background: RefCell<Vec<Box<dyn std::any::Any>>>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("me", &self.me).field("documents", &self.entries.borrow().len()).finish()
    }
}

impl Repo {
    /// Starts the repo for `me`: documents come from `storage`, sync goes to `sync_url` (none:
    /// this device only, as in tests).
    pub fn start(storage: Rc<IdbStorage>, me: UserId, sync_url: Option<String>) -> Rc<Repo> {
        let peer = PeerId::from(format!("tandem-web-{}", crate::ids::new_item_id()));
        let config = Config::client(peer, crate::ids::new_item_id());
        let repo = Rc::new_cyclic(|this| Repo {
            me,
            actor: ActorId::random(),
            this: this.clone(),
            engine: RefCell::new(Engine::new(config)),
            storage,
            entries: RefCell::new(HashMap::new()),
            sync_url,
            socket: RefCell::new(None),
            next_connection: Cell::new(0),
            connected: Cell::new(false),
            attempts: Cell::new(0),
            reconnect: RefCell::new(None),
            inbox: RefCell::new(Vec::new()),
            batch_idle: RefCell::new(None),
            batch_max: RefCell::new(None),
            write_error: RefCell::new(None),
            listener: RefCell::new(None),
            notify_scheduled: Cell::new(false),
            stopped: Cell::new(false),
            tabs: web_sys::BroadcastChannel::new(TABS_CHANNEL).ok(),
            background: RefCell::new(Vec::new()),
        });
        repo.listen_to_the_page();
        repo.connect();
        repo
    }

    pub fn me(&self) -> &UserId {
        &self.me
    }

    /// This tab's automerge actor (documents made here are created as it).
    pub fn actor(&self) -> ActorId {
        self.actor.clone()
    }

    /// Called (soon after, never inside, the change) whenever a document or a status changes.
    pub fn set_listener(&self, listener: Rc<dyn Fn()>) {
        *self.listener.borrow_mut() = Some(listener);
    }

    /// Whether the relay is connected (the handshake done).
    pub fn is_connected(&self) -> bool {
        self.connected.get()
    }

    // ----- documents -----

    /// Opens a document: from IndexedDB if it is there, and from the relay when connected.
    pub fn open(&self, id: DocumentId) {
        if self.entries.borrow().contains_key(&id) {
            return;
        }
        self.entries.borrow_mut().insert(
            id,
            Entry { state: EntryState::Loading, pushed: Vec::new(), local_pending: false, synced: None },
        );
        self.handle(vec![Event::OpenDocument { document: id }]);
    }

    /// Makes a new document from one the core just created (its genesis); returns its id.
    pub fn create<S: Kind>(&self, mut doc: Doc<S>) -> Result<DocumentId, String> {
        let id = crate::ids::new_document_id();
        let engine_copy = doc.to_document().map_err(|e| e.to_string())?;
        let mut any = AnyDoc::open(&engine_copy, self.actor.clone())?;
        let pushed = any.heads();
        let actions =
            self.engine.borrow_mut().create_document(now_ms(), id, engine_copy).map_err(|e| e.to_string())?;
        self.entries.borrow_mut().insert(
            id,
            Entry { state: EntryState::Ready(Box::new(any)), pushed, local_pending: false, synced: None },
        );
        self.perform(actions);
        self.notify();
        Ok(id)
    }

    /// The record of a document of kind `S`, if it is open, of that kind and readable.
    pub fn read<S: Kind>(&self, id: &DocumentId) -> Option<Rc<S>> {
        let mut entries = self.entries.borrow_mut();
        match &mut entries.get_mut(id)?.state {
            EntryState::Ready(any) => S::typed(any)?.view(),
            _ => None,
        }
    }

    /// Every open document of kind `S`, with its record.
    pub fn all<S: Kind>(&self) -> Vec<(DocumentId, Rc<S>)> {
        let mut entries = self.entries.borrow_mut();
        let mut out: Vec<(DocumentId, Rc<S>)> = entries
            .iter_mut()
            .filter_map(|(id, entry)| match &mut entry.state {
                EntryState::Ready(any) => Some((*id, S::typed(any)?.view()?)),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(id, _)| id.to_string());
        out
    }

    /// Why a document cannot be shown, if it cannot.
    pub fn problem(&self, id: &DocumentId) -> Option<String> {
        match &self.entries.borrow().get(id)?.state {
            EntryState::Broken(message) => Some(message.clone()),
            _ => None,
        }
    }

    /// Edits a document with `f` (which calls `tandem_core::ops`). The edit joins the open batch;
    /// the screens re-read the record at once.
    pub fn edit<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let result = self.edit_quietly(id, f);
        if result.is_some() {
            self.with_typed::<S, _>(id, |typed| typed.invalidate());
            self.notify();
        }
        result
    }

    /// Like [`Repo::edit`], for typing: the text box already shows the text, so the record is
    /// re-read when the batch is committed rather than on every keystroke.
    pub fn type_text<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let was_pending = self.entries.borrow().get(id).is_some_and(|e| e.local_pending);
        let result = self.edit_quietly(id, f);
        if result.is_some() && !was_pending {
            // The status changes to "saving" with the first keystroke of a batch.
            self.notify();
        }
        result
    }

    fn edit_quietly<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let result = {
            let mut entries = self.entries.borrow_mut();
            let entry = entries.get_mut(id)?;
            let EntryState::Ready(any) = &mut entry.state else { return None };
            let result = f(&mut S::typed(any)?.doc);
            entry.local_pending = true;
            result
        };
        self.schedule_batch();
        Some(result)
    }

    /// Runs `f` with the typed document (for history and conflicts, which read its changes).
    pub fn with_doc<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        self.with_typed::<S, _>(id, |typed| f(&mut typed.doc))
    }

    fn with_typed<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut docs::Typed<S>) -> R) -> Option<R> {
        let mut entries = self.entries.borrow_mut();
        match &mut entries.get_mut(id)?.state {
            EntryState::Ready(any) => Some(f(S::typed(any)?)),
            _ => None,
        }
    }

    /// Commits every open batch and hands it to the engine (which stores it, then syncs it).
    pub fn commit_all(&self) {
        self.batch_idle.borrow_mut().take();
        self.batch_max.borrow_mut().take();
        let pending: Vec<DocumentId> =
            self.entries.borrow().iter().filter(|(_, e)| e.local_pending).map(|(id, _)| *id).collect();
        for id in pending {
            self.push_local(&id);
        }
        self.notify();
    }

    /// Where a document stands (see [`DocStatus`]).
    pub fn status(&self, id: &DocumentId) -> DocStatus {
        let entries = self.entries.borrow();
        let Some(entry) = entries.get(id) else { return DocStatus::Loading };
        match entry.state {
            EntryState::Loading => return DocStatus::Loading,
            EntryState::Unavailable => return DocStatus::Unavailable,
            EntryState::Ready(_) | EntryState::Broken(_) => {}
        }
        let engine = self.engine.borrow();
        if entry.local_pending || !engine.is_durable(id) {
            return DocStatus::Saving;
        }
        let heads = engine.document(id).map(|d| d.get_heads()).unwrap_or_default();
        match &entry.synced {
            Some((synced, at)) if *synced == heads => DocStatus::Synced(*at),
            _ => DocStatus::Saved,
        }
    }

    /// The whole device: saving if any document is, else saved if any is not synced, else synced
    /// (at the latest confirmation). `None` when there is nothing on the device yet.
    pub fn overall_status(&self) -> Option<DocStatus> {
        let ids: Vec<DocumentId> = self.entries.borrow().keys().copied().collect();
        let mut overall: Option<DocStatus> = None;
        for status in ids.iter().map(|id| self.status(id)) {
            overall = Some(match (overall, status) {
                (_, DocStatus::Loading | DocStatus::Unavailable) => continue,
                (Some(DocStatus::Saving), _) | (_, DocStatus::Saving) => DocStatus::Saving,
                (Some(DocStatus::Saved), _) | (_, DocStatus::Saved) => DocStatus::Saved,
                (Some(DocStatus::Synced(a)), DocStatus::Synced(b)) => DocStatus::Synced(a.max(b)),
                (_, synced) => synced,
            });
        }
        overall
    }

    /// A failed write to IndexedDB that is being retried, if any.
    pub fn write_error(&self) -> Option<String> {
        self.write_error.borrow().clone()
    }

    /// Stops syncing and every timer (signing out). Open batches are committed and stored first.
    pub fn stop(&self) {
        self.commit_all();
        self.stopped.set(true);
        self.socket.borrow_mut().take();
        self.reconnect.borrow_mut().take();
        self.background.borrow_mut().clear();
        self.connected.set(false);
        if let Some(tabs) = &self.tabs {
            tabs.close();
        }
    }

    // ----- the engine -----

    fn handle(&self, events: Vec<Event>) {
        let actions = self.engine.borrow_mut().handle_batch(now_ms(), events);
        self.perform(actions);
    }

    fn perform(&self, actions: Vec<Action>) {
        let mut changed = false;
        for action in actions {
            match action {
                Action::Send { connection, bytes } => {
                    if let Some((current, socket)) = &*self.socket.borrow()
                        && *current == connection
                    {
                        socket.send(&bytes);
                    }
                }
                Action::Close { connection, reason } => {
                    web_sys::console::warn_1(&format!("sync connection closed: {reason}").into());
                    let closing = self.socket.borrow().as_ref().is_some_and(|(c, _)| *c == connection);
                    if closing {
                        self.socket.borrow_mut().take();
                        self.connected.set(false);
                        self.schedule_reconnect();
                    }
                    changed = true;
                }
                Action::PeerConnected { .. } => {
                    self.connected.set(true);
                    self.attempts.set(0);
                    changed = true;
                }
                Action::Load { document } => self.load(document),
                Action::Store { token, key, bytes } => self.store(token, key, bytes, STORE_RETRY_MS),
                Action::Delete { key } => self.delete(key),
                Action::DocumentChanged { document } | Action::DocumentReady { document } => {
                    self.pull(&document);
                    changed = true;
                }
                Action::DocumentUnavailable { document } => {
                    if let Some(entry) = self.entries.borrow_mut().get_mut(&document)
                        && matches!(entry.state, EntryState::Loading)
                    {
                        entry.state = EntryState::Unavailable;
                    }
                    changed = true;
                }
                Action::Synced { document, .. } => {
                    let heads =
                        self.engine.borrow().document(&document).map(|d| d.get_heads()).unwrap_or_default();
                    if let Some(entry) = self.entries.borrow_mut().get_mut(&document) {
                        entry.synced = Some((heads, Timestamp(now_ms() as i64)));
                    }
                    changed = true;
                }
                Action::Ephemeral { .. } | Action::WriteRefused { .. } => {}
            }
        }
        if changed {
            self.notify();
        }
    }

    /// Hands a document's committed local changes to the engine.
    fn push_local(&self, id: &DocumentId) {
        let changes = {
            let mut entries = self.entries.borrow_mut();
            let Some(entry) = entries.get_mut(id) else { return };
            if !entry.local_pending {
                return;
            }
            let EntryState::Ready(any) = &mut entry.state else { return };
            let changes = any.outgoing(&entry.pushed);
            entry.pushed = any.heads();
            entry.local_pending = false;
            changes
        };
        if changes.is_empty() {
            return;
        }
        let result = self.engine.borrow_mut().change(now_ms(), id, |am| am.apply_changes(changes));
        match result {
            Ok((Ok(()), actions)) => self.perform(actions),
            Ok((Err(e), actions)) => {
                self.perform(actions);
                web_sys::console::error_1(&format!("local changes were not accepted: {e}").into());
            }
            Err(e) => web_sys::console::error_1(&format!("local changes could not be synced: {e}").into()),
        }
    }

    /// Brings the engine's copy of a document into the typed copy (opening it the first time).
    fn pull(&self, id: &DocumentId) {
        self.push_local(id);
        // Each pull is a `tandem-pull` performance measure (`performance.getEntriesByName`), so a
        // benchmark can read how long applying remote changes takes in the browser.
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(performance) = &performance {
            let _ = performance.mark("tandem-pull-start");
        }
        self.pull_into_typed_copy(id);
        if let Some(performance) = &performance {
            let _ = performance.measure_with_start_mark("tandem-pull", "tandem-pull-start");
            performance.clear_marks_with_mark_name("tandem-pull-start");
            // The browser keeps every measure; a long session keeps only the latest ones.
            if performance.get_entries_by_name("tandem-pull").length() > PULL_MEASURES_KEPT {
                performance.clear_measures_with_measure_name("tandem-pull");
            }
        }
    }

    fn pull_into_typed_copy(&self, id: &DocumentId) {
        let engine = self.engine.borrow();
        let Some(engine_copy) = engine.document(id) else { return };
        let mut entries = self.entries.borrow_mut();
        let entry = entries.entry(*id).or_insert(Entry {
            state: EntryState::Loading,
            pushed: Vec::new(),
            local_pending: false,
            synced: None,
        });
        match &mut entry.state {
            EntryState::Ready(any) => {
                let missing = engine_copy.get_changes(&any.heads());
                if !missing.is_empty()
                    && let Err(problem) = any.incoming(missing)
                {
                    entry.state = EntryState::Broken(problem);
                    return;
                }
                entry.pushed = any.heads();
            }
            _ => match AnyDoc::open(engine_copy, self.actor.clone()) {
                Ok(mut any) => {
                    entry.pushed = any.heads();
                    entry.state = EntryState::Ready(Box::new(any));
                }
                Err(problem) => entry.state = EntryState::Broken(problem),
            },
        }
    }

    // ----- storage -----

    fn load(&self, document: DocumentId) {
        let this = self.this.clone();
        let storage = self.storage.clone();
        spawn_local(async move {
            let chunks = match storage.load(&StorageKey::document_prefix(&document)).await {
                Ok(chunks) => chunks,
                Err(e) => {
                    web_sys::console::error_1(
                        &format!("could not read {document} from this device: {e}").into(),
                    );
                    Vec::new()
                }
            };
            if let Some(repo) = this.upgrade()
                && !repo.stopped.get()
            {
                repo.handle(vec![Event::Loaded { document, chunks }]);
            }
        });
    }

    fn store(&self, token: tandem_sync::engine::StoreToken, key: StorageKey, bytes: Vec<u8>, retry_ms: u32) {
        let this = self.this.clone();
        // The write starts here, synchronously (see `IdbStorage::start_put`): this runs inside the
        // `pagehide` handler when a tab is closed straight after typing.
        let started = self.storage.start_put(&key, &bytes);
        spawn_local(async move {
            let result = match started {
                Ok(write) => write.await,
                Err(e) => Err(e),
            };
            let Some(repo) = this.upgrade() else { return };
            match result {
                Ok(()) => {
                    repo.write_error.borrow_mut().take();
                    repo.handle(vec![Event::StoreCompleted { token }]);
                    if let (Some(tabs), Some(document)) = (&repo.tabs, key.parts().first()) {
                        let _ = tabs.post_message(&document.into());
                    }
                    repo.notify();
                }
                Err(e) => {
                    // The document stays "saving" (the engine holds back its sync) until it lands.
                    *repo.write_error.borrow_mut() = Some(e.to_string());
                    repo.notify();
                    let next = (retry_ms * 2).min(STORE_RETRY_MAX_MS);
                    let again = Timeout::new(retry_ms, move || {
                        if let Some(repo) = this.upgrade() {
                            repo.store(token, key, bytes, next);
                        }
                    });
                    again.forget();
                }
            }
        });
    }

    fn delete(&self, key: StorageKey) {
        let storage = self.storage.clone();
        spawn_local(async move {
            // A chunk that stays is only space: its content is also in the snapshot that replaced it.
            if let Err(e) = storage.delete(&key).await {
                web_sys::console::warn_1(&format!("could not remove a compacted chunk: {e}").into());
            }
        });
    }

    /// Another tab stored changes to `document`: load them from IndexedDB too.
    fn load_from_other_tab(&self, document: DocumentId) {
        if !self.entries.borrow().contains_key(&document) {
            return;
        }
        let this = self.this.clone();
        let storage = self.storage.clone();
        spawn_local(async move {
            let Ok(chunks) = storage.load(&StorageKey::document_prefix(&document)).await else { return };
            let Some(repo) = this.upgrade() else { return };
            let result = repo.engine.borrow_mut().change(now_ms(), &document, |am| {
                for (_, bytes) in &chunks {
                    // A damaged chunk is skipped; the others still count.
                    let _ = am.load_incremental(bytes);
                }
            });
            if let Ok(((), actions)) = result {
                repo.perform(actions);
                repo.pull(&document);
                repo.notify();
            }
        });
    }

    // ----- the connection -----

    fn connect(&self) {
        if self.stopped.get() || self.socket.borrow().is_some() {
            return;
        }
        let Some(url) = self.sync_url.clone() else { return };
        let connection = ConnectionId(self.next_connection.get());
        self.next_connection.set(connection.0 + 1);
        let this = self.this.clone();
        let on_event: Rc<dyn Fn(SocketEvent)> = Rc::new(move |event| {
            if let Some(repo) = this.upgrade() {
                repo.on_socket(connection, event);
            }
        });
        match Socket::open(&url, on_event) {
            Some(socket) => *self.socket.borrow_mut() = Some((connection, socket)),
            None => self.schedule_reconnect(),
        }
    }

    fn on_socket(&self, connection: ConnectionId, event: SocketEvent) {
        let current = self.socket.borrow().as_ref().is_some_and(|(c, _)| *c == connection);
        if !current {
            return;
        }
        match event {
            SocketEvent::Opened => self.queue(Event::ConnectionOpened { connection }),
            SocketEvent::Frame(bytes) => self.queue(Event::BytesReceived { connection, bytes }),
            SocketEvent::Closed => {
                self.socket.borrow_mut().take();
                self.connected.set(false);
                self.queue(Event::ConnectionClosed { connection });
                self.schedule_reconnect();
                self.notify();
            }
        }
    }

    /// Socket events are handed to the engine together once the browser's current task is done,
    /// so a burst of frames is applied as one batch.
    fn queue(&self, event: Event) {
        let first = {
            let mut inbox = self.inbox.borrow_mut();
            inbox.push(event);
            inbox.len() == 1
        };
        if first {
            let this = self.this.clone();
            spawn_local(async move {
                if let Some(repo) = this.upgrade() {
                    let events = std::mem::take(&mut *repo.inbox.borrow_mut());
                    repo.handle(events);
                }
            });
        }
    }

    fn schedule_reconnect(&self) {
        if self.stopped.get() {
            return;
        }
        let attempt = self.attempts.get();
        self.attempts.set(attempt.saturating_add(1));
        let this = self.this.clone();
        let delay = RECONNECT.delay_ms(attempt, js_sys::Math::random());
        *self.reconnect.borrow_mut() = Some(Timeout::new(delay, move || {
            if let Some(repo) = this.upgrade() {
                repo.reconnect.borrow_mut().take();
                repo.connect();
            }
        }));
    }

    // ----- batches, notifications, the page -----

    fn schedule_batch(&self) {
        let commit = |this: Weak<Repo>| {
            move || {
                if let Some(repo) = this.upgrade() {
                    repo.commit_all();
                }
            }
        };
        *self.batch_idle.borrow_mut() = Some(Timeout::new(IDLE_MS, commit(self.this.clone())));
        if self.batch_max.borrow().is_none() {
            *self.batch_max.borrow_mut() = Some(Timeout::new(MAX_BATCH_MS, commit(self.this.clone())));
        }
    }

    /// Has the listener called soon (once, however often this is called before it runs).
    pub fn notify(&self) {
        if self.notify_scheduled.replace(true) {
            return;
        }
        let this = self.this.clone();
        spawn_local(async move {
            let Some(repo) = this.upgrade() else { return };
            repo.notify_scheduled.set(false);
            let listener = repo.listener.borrow().clone();
            if let Some(listener) = listener {
                listener();
            }
        });
    }

    /// Commits when the page is hidden or closed, catches up with other tabs when it is shown
    /// again; reconnects at once when the network returns;
    /// ticks the engine's clock; listens to the other tabs.
    fn listen_to_the_page(&self) {
        let Some(window) = web_sys::window() else { return };
        let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();

        // The page is going away (closed, navigated, frozen): commit and store now. `pagehide`
        // comes before the closing page's `visibilitychange`, which may never get to run.
        let this = self.this.clone();
        let on_pagehide = Closure::<dyn Fn()>::new(move || {
            if let Some(repo) = this.upgrade() {
                repo.commit_all();
            }
        });
        let _ = window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        keep.push(Box::new(Listener {
            target: window.clone().into(),
            kind: "pagehide",
            closure: on_pagehide,
        }));

        let this = self.this.clone();
        let on_visibility = Closure::<dyn Fn()>::new(move || {
            let Some(repo) = this.upgrade() else { return };
            let hidden = web_sys::window().and_then(|w| w.document()).is_none_or(|d| d.hidden());
            if hidden {
                repo.commit_all();
            } else {
                // Back in this tab: pick up what other tabs stored meanwhile, in case a message
                // from them was missed (a tab being closed may not get to send it).
                let open: Vec<DocumentId> = repo.entries.borrow().keys().copied().collect();
                for document in open {
                    repo.load_from_other_tab(document);
                }
            }
        });
        if let Some(document) = window.document() {
            let _ = document
                .add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
            keep.push(Box::new(Listener {
                target: document.into(),
                kind: "visibilitychange",
                closure: on_visibility,
            }));
        }

        let this = self.this.clone();
        let on_online = Closure::<dyn Fn()>::new(move || {
            if let Some(repo) = this.upgrade() {
                repo.attempts.set(0);
                repo.reconnect.borrow_mut().take();
                repo.connect();
            }
        });
        let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        keep.push(Box::new(Listener { target: window.clone().into(), kind: "online", closure: on_online }));

        let this = self.this.clone();
        keep.push(Box::new(Interval::new(TICK_MS, move || {
            if let Some(repo) = this.upgrade() {
                repo.handle(vec![Event::Tick]);
            }
        })));

        if let Some(tabs) = &self.tabs {
            let this = self.this.clone();
            let on_message =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                    let document = event.data().as_string().and_then(|id| id.parse::<DocumentId>().ok());
                    if let (Some(repo), Some(document)) = (this.upgrade(), document) {
                        repo.load_from_other_tab(document);
                    }
                });
            tabs.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            keep.push(Box::new(on_message));
        }
        *self.background.borrow_mut() = keep;
    }
}

/// An event listener that is removed when dropped (signing out stops the repo's listeners).
struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    closure: Closure<dyn Fn()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ =
            self.target.remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}
