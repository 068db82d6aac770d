//! The action loop: events go to the engine, and what it asks for is done here (send a frame,
//! load or store a chunk, show a changed document).

use tandem_core::Timestamp;
use tandem_sync::{Action, DocumentId, Event};

use super::storage::STORE_RETRY_MS;
use super::{Entry, EntryState, Repo, now_ms};

/// How many performance measures of one name are kept before they are cleared.
const MEASURES_KEPT: u32 = 1_000;

/// A `performance.measure` around some work, so a benchmark can read how long it takes in the
/// browser (`performance.getEntriesByName(name)`). Dropped without [`Measure::end`], it records
/// nothing.
pub(super) struct Measure {
    name: &'static str,
    performance: Option<web_sys::Performance>,
}

impl Measure {
    pub(super) fn start(name: &'static str) -> Measure {
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(performance) = &performance {
            let _ = performance.mark(&format!("{name}-start"));
        }
        Measure { name, performance }
    }

    pub(super) fn end(self) {
        let Some(performance) = &self.performance else { return };
        let _ = performance.measure_with_start_mark(self.name, &format!("{}-start", self.name));
        // The browser keeps every measure; a long session keeps only the latest ones.
        if performance.get_entries_by_name(self.name).length() > MEASURES_KEPT {
            performance.clear_measures_with_measure_name(self.name);
        }
    }
}

impl Drop for Measure {
    fn drop(&mut self) {
        if let Some(performance) = &self.performance {
            performance.clear_marks_with_mark_name(&format!("{}-start", self.name));
        }
    }
}

impl Repo {
    /// Hands events to the engine and performs what it asks. A batch that applied remote changes
    /// is a `tandem-pull` performance measure: the one apply of a remote change on this device.
    pub(super) fn handle(&self, events: Vec<Event>) {
        let measure = Measure::start("tandem-pull");
        let actions = self.engine.borrow_mut().handle_batch(now_ms(), events);
        let applied = actions.iter().any(|a| matches!(a, Action::DocumentChanged { .. }));
        self.perform(actions);
        if applied {
            measure.end();
        }
    }

    pub(super) fn perform(&self, actions: Vec<Action>) {
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
                        self.schedule_reconnect();
                    }
                    changed = true;
                }
                Action::PeerConnected { .. } => {
                    self.attempts.set(0);
                    changed = true;
                }
                Action::Load { document } => self.load(document),
                Action::Store { token, key, bytes } => self.store(token, key, bytes, STORE_RETRY_MS),
                Action::Delete { key } => self.delete(key),
                Action::DocumentChanged { document } | Action::DocumentReady { document } => {
                    self.document_changed(&document);
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
                    if let Some(entry) = self.entries.borrow_mut().get_mut(&document) {
                        entry.synced_at = Some(Timestamp(now_ms() as i64));
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

    /// The engine's document has new content (from the relay, storage or another tab): the
    /// record is re-read when next asked for, and a document not yet opened as its kind is now.
    pub(super) fn document_changed(&self, id: &DocumentId) {
        let typed = {
            let mut entries = self.entries.borrow_mut();
            let entry = entries.entry(*id).or_insert_with(|| Entry::new(EntryState::Loading));
            entry.view = None;
            matches!(entry.state, EntryState::Ready)
        };
        if typed {
            return;
        }
        let actor = self.actor.clone();
        let result = self.engine.borrow_mut().change(now_ms(), id, |doc| doc.open_as_kind(actor));
        let (opened, actions) = match result {
            Ok(result) => result,
            // Not loaded: a later change tells again.
            Err(_) => return,
        };
        if let Some(entry) = self.entries.borrow_mut().get_mut(id) {
            entry.state = match opened {
                Ok(()) => EntryState::Ready,
                Err(problem) => EntryState::Broken(problem),
            };
        }
        self.perform(actions);
    }

    /// Has the listener called soon (once, however often this is called before it runs).
    pub fn notify(&self) {
        if self.notify_scheduled.replace(true) {
            return;
        }
        let this = self.this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(repo) = this.upgrade() else { return };
            repo.notify_scheduled.set(false);
            let listener = repo.listener.borrow().clone();
            if let Some(listener) = listener {
                listener();
            }
        });
    }

    /// Stops syncing and every timer (signing out). Open batches are committed and stored first.
    pub fn stop(&self) {
        self.commit_all();
        self.stopped.set(true);
        let socket = self.socket.borrow_mut().take();
        if let Some((connection, _)) = socket {
            self.handle(vec![Event::ConnectionClosed { connection }]);
        }
        self.reconnect.borrow_mut().take();
        self.background.borrow_mut().clear();
        if let Some(tabs) = &self.tabs {
            tabs.close();
        }
    }
}
