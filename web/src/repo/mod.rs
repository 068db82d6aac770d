//! The documents on this device, kept in IndexedDB and synced with the relay whenever it can be
//! reached: the browser's runtime for the sans-IO sync engine (`tandem_sync::Engine`).
//!
//! One copy of each document: the engine holds it (an [`docs::AnyDoc`], a `tandem_core::Doc` once
//! it has content) and the screens read and edit that same document through [`Repo`]. Edits
//! collect in the document's open batch, which the engine neither stores nor syncs; the batch is
//! committed after a pause in typing, at the latest a few seconds after it began, and when the page
//! is hidden (the last moment a phone may give). A committed batch is stored before the engine
//! tells the relay about it, and "synced" means the relay has acknowledged the device's heads,
//! which it does only once they are durable on its side. A remote change is applied once, by the
//! engine; the record a screen shows is then re-read the next time it is asked for.
//!
//! | module | concern |
//! |---|---|
//! | [`docs`] | the document the engine and the screens share, of any kind |
//! | `status` | where a document and the device stand ([`DocStatus`]) |
//! | `runtime` | the action loop: performing what the engine asks |
//! | `storage` | IndexedDB: loads, stores (retried until they land), deletes |
//! | `connection` | the WebSocket to the relay, reconnecting with backoff |
//! | `batching` | edits, their batch, and committing it |
//! | `page` | the page's events (hidden, shown, online) and the other tabs |
//! | [`socket`] | the WebSocket itself, and the reconnect delays (backoff with jitter) |
//!
//! Each tab is its own automerge actor with its own engine and connection. Tabs tell each other
//! (a `BroadcastChannel`) when they have stored something, and the others load it from IndexedDB,
//! so two tabs stay level even with no network.

mod batching;
mod connection;
pub mod docs;
mod page;
mod runtime;
pub mod socket;
mod status;
mod storage;

use std::{
    any::Any,
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::{Rc, Weak},
};

use gloo_timers::callback::Timeout;
use tandem_core::{Timestamp, UserId, automerge::ActorId};
use tandem_sync::{AllowAll, Config, ConnectionId, DocumentId, Engine, Event, PeerId};

use self::docs::{AnyDoc, Kind};
use self::socket::Socket;
pub use self::status::DocStatus;
use crate::store::IdbStorage;

/// How a document stands in this tab (its content is in the engine).
#[derive(Debug)]
enum EntryState {
    Loading,
    Unavailable,
    Ready,
    /// On the device but not readable by this version of the app.
    Broken(String),
}

#[derive(Debug)]
struct Entry {
    state: EntryState,
    /// The record last read, or why it could not be; cleared when the document changes.
    view: Option<Result<Rc<dyn Any>, String>>,
    /// When the relay last confirmed it has every change of this document.
    synced_at: Option<Timestamp>,
}

impl Entry {
    fn new(state: EntryState) -> Self {
        Entry { state, view: None, synced_at: None }
    }
}

/// The app's documents and their sync. One per tab, shared by the screens through an `Rc`.
pub struct Repo {
    me: UserId,
    actor: ActorId,
    this: Weak<Repo>,
    engine: RefCell<Engine<AllowAll, AnyDoc>>,
    storage: Rc<IdbStorage>,
    entries: RefCell<HashMap<DocumentId, Entry>>,
    sync_url: Option<String>,
    socket: RefCell<Option<(ConnectionId, Socket)>>,
    next_connection: Cell<u64>,
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
    background: RefCell<Vec<Box<dyn Any>>>,
    /// Documents purged in this tab: a store of one still being retried is dropped, not redone.
    purged: RefCell<std::collections::HashSet<DocumentId>>,
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
            engine: RefCell::new(Engine::with_policy(config, AllowAll)),
            storage,
            entries: RefCell::new(HashMap::new()),
            sync_url,
            socket: RefCell::new(None),
            next_connection: Cell::new(0),
            attempts: Cell::new(0),
            reconnect: RefCell::new(None),
            inbox: RefCell::new(Vec::new()),
            batch_idle: RefCell::new(None),
            batch_max: RefCell::new(None),
            write_error: RefCell::new(None),
            listener: RefCell::new(None),
            notify_scheduled: Cell::new(false),
            stopped: Cell::new(false),
            tabs: web_sys::BroadcastChannel::new(page::TABS_CHANNEL).ok(),
            background: RefCell::new(Vec::new()),
            purged: RefCell::new(std::collections::HashSet::new()),
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
        self.engine.borrow().is_connected()
    }

    // ----- documents -----

    /// Opens a document: from IndexedDB if it is there, and from the relay when connected.
    pub fn open(&self, id: DocumentId) {
        if self.entries.borrow().contains_key(&id) {
            return;
        }
        self.entries.borrow_mut().insert(id, Entry::new(EntryState::Loading));
        self.handle(vec![Event::OpenDocument { document: id }]);
    }

    /// Makes a new document from one the core just created (its genesis); returns its id. The
    /// document itself becomes the engine's: nothing is copied.
    pub fn create<S: Kind>(&self, doc: tandem_core::Doc<S>) -> Result<DocumentId, String> {
        let id = crate::ids::new_document_id();
        let actions = self
            .engine
            .borrow_mut()
            .create_document(now_ms(), id, S::wrap(doc))
            .map_err(|e| e.to_string())?;
        self.entries.borrow_mut().insert(id, Entry::new(EntryState::Ready));
        self.perform(actions);
        self.notify();
        Ok(id)
    }

    /// The record of a document of kind `S`, if it is open, of that kind and readable. Read once
    /// per change.
    pub fn read<S: Kind>(&self, id: &DocumentId) -> Option<Rc<S>> {
        let mut entries = self.entries.borrow_mut();
        let entry = entries.get_mut(id)?;
        self.view(id, entry)
    }

    /// Every open document of kind `S`, with its record.
    pub fn all<S: Kind>(&self) -> Vec<(DocumentId, Rc<S>)> {
        let mut entries = self.entries.borrow_mut();
        let mut out: Vec<(DocumentId, Rc<S>)> =
            entries.iter_mut().filter_map(|(id, entry)| Some((*id, self.view(id, entry)?))).collect();
        out.sort_by_key(|(id, _)| id.to_string());
        out
    }

    fn view<S: Kind>(&self, id: &DocumentId, entry: &mut Entry) -> Option<Rc<S>> {
        if !matches!(entry.state, EntryState::Ready) {
            return None;
        }
        if entry.view.is_none() {
            let engine = self.engine.borrow();
            // Another kind: nothing to cache (a page may ask for several kinds in turn).
            let doc = S::doc(engine.document(id)?)?;
            // Each re-read after a change is a `tandem-view` performance measure, the other half of
            // applying a remote change (`tandem-pull`): see tests/browser/measure-typing.mjs.
            let measure = runtime::Measure::start("tandem-view");
            entry.view =
                Some(doc.read().map(|record| Rc::new(record) as Rc<dyn Any>).map_err(|e| e.to_string()));
            measure.end();
        }
        match entry.view.as_ref()? {
            Ok(record) => record.clone().downcast::<S>().ok(),
            Err(_) => None,
        }
    }

    /// Deletes a purged document from this device: the engine forgets it (nothing more of it is
    /// stored or sent), the screens stop showing it, and its chunks leave IndexedDB. Resolves
    /// once the deletion is committed.
    pub async fn purge(&self, id: DocumentId) -> Result<(), crate::store::StoreError> {
        self.purged.borrow_mut().insert(id);
        self.entries.borrow_mut().remove(&id);
        self.handle(vec![Event::Forget { document: id }]);
        self.notify();
        self.storage.delete_document(&id).await
    }

    /// Why a document cannot be shown, if it cannot.
    pub fn problem(&self, id: &DocumentId) -> Option<String> {
        let entries = self.entries.borrow();
        let entry = entries.get(id)?;
        match (&entry.state, &entry.view) {
            (EntryState::Broken(message), _) | (_, Some(Err(message))) => Some(message.clone()),
            _ => None,
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}
