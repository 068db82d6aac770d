//! The open note on this device: the [`Note`] and the [`Store`] it is saved in, and the rules for
//! saving (one save at a time, each batch of edits committed as one change).
//!
//! The UI talks to this, never to automerge or IndexedDB directly, so the components stay a view
//! of state plus hooks that call in here.

use std::cell::{Cell, RefCell};

use crate::{
    note::{DocumentId, Note, NoteError},
    splice,
    store::{Store, StoreError},
};

/// The database the app keeps its documents in.
pub const DATABASE: &str = "tandem";
/// The setting naming the document the app opens.
const OPEN_NOTE: &str = "open-note";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// What a call to [`Session::flush`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    /// Every edit up to this revision is in storage.
    UpTo(u64),
    /// Another flush was already writing; it goes on until the edits made meanwhile are saved too.
    AlreadyRunning,
}

#[derive(Debug)]
pub struct Session {
    store: Store,
    note: RefCell<Note>,
    /// The textarea's value as of the last edit applied: the "old" side of the next splice.
    shown: RefCell<String>,
    /// Counts the edits applied; the UI's state carries the same number.
    revision: Cell<u64>,
    flushing: Cell<bool>,
}

impl Session {
    /// Opens the note this device works on, creating it (its genesis) only if the device has none.
    pub async fn open(database: &str) -> Result<Self, SessionError> {
        let store = Store::open(database).await?;
        let note = match store.setting(OPEN_NOTE).await? {
            Some(id) => {
                let id = DocumentId::parse(&id)?;
                let chunks = store.load_chunks(&id).await?;
                // A named note with no chunks is an error to show, not a reason to make a new one.
                Note::load(id, chunks)?
            }
            None => {
                let (note, genesis) = Note::create(DocumentId::random(), now_seconds());
                store.write_with_setting(&genesis, Some((OPEN_NOTE, note.id().as_str()))).await?;
                note
            }
        };
        let shown = RefCell::new(note.text());
        Ok(Self {
            store,
            note: RefCell::new(note),
            shown,
            revision: Cell::new(0),
            flushing: Cell::new(false),
        })
    }

    pub fn text(&self) -> String {
        self.shown.borrow().clone()
    }

    pub fn document_id(&self) -> DocumentId {
        self.note.borrow().id().clone()
    }

    /// Applies the textarea's new value as a splice; returns the new revision.
    pub fn edit(&self, value: &str, caret: Option<u32>) -> Result<u64, SessionError> {
        let mut shown = self.shown.borrow_mut();
        if let Some(splice) = splice::between(&shown, value, caret) {
            self.note.borrow_mut().apply(&splice)?;
            value.clone_into(&mut shown);
            self.revision.set(self.revision.get() + 1);
        }
        Ok(self.revision.get())
    }

    /// Commits the edits made so far and writes them, repeating until nothing is left unsaved
    /// (edits may arrive while a write is in flight). Only one flush runs at a time.
    pub async fn flush(&self) -> Result<Flushed, SessionError> {
        if self.flushing.replace(true) {
            return Ok(Flushed::AlreadyRunning);
        }
        let result = self.flush_until_saved().await;
        self.flushing.set(false);
        result
    }

    async fn flush_until_saved(&self) -> Result<Flushed, SessionError> {
        loop {
            let revision = self.revision.get();
            // The borrow ends before the await: edits go on while the write is in flight.
            let write = self.note.borrow_mut().save(now_seconds());
            let Some(write) = write else { return Ok(Flushed::UpTo(revision)) };
            if let Err(e) = self.store.write(&write).await {
                self.note.borrow_mut().write_failed();
                return Err(e.into());
            }
        }
    }

    /// Whether there are edits not yet in storage.
    pub fn has_unsaved(&self) -> bool {
        self.note.borrow_mut().has_unsaved()
    }
}

/// Seconds since the epoch, for change timestamps (advisory in automerge, shown in history later).
fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use std::{
        future::Future,
        task::{Context, Waker},
    };

    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn database() -> String {
        format!("tandem-test-{}", DocumentId::random())
    }

    #[wasm_bindgen_test]
    async fn the_first_open_creates_a_note_and_later_opens_load_the_same_one() {
        let db = database();
        let first = Session::open(&db).await.unwrap();
        let id = first.document_id();
        assert_eq!(first.text(), "");
        first.edit("Glow: calm, clear start.", Some(24)).unwrap();
        first.edit("Glow: calm, clear start. Grow: wait time.", Some(41)).unwrap();
        assert!(first.has_unsaved());
        assert_eq!(first.flush().await.unwrap(), Flushed::UpTo(2));
        assert!(!first.has_unsaved());
        first.store.close();

        let second = Session::open(&db).await.unwrap();
        assert_eq!(second.document_id(), id, "the stored note is opened, not a new one");
        assert_eq!(second.text(), "Glow: calm, clear start. Grow: wait time.");
        second.store.close();
    }

    #[wasm_bindgen_test]
    async fn edits_made_while_a_write_is_in_flight_are_saved_by_the_running_flush() {
        let db = database();
        let session = Session::open(&db).await.unwrap();
        session.edit("one", Some(3)).unwrap();

        // Run the first flush up to its IndexedDB write, and leave it there.
        let mut first = Box::pin(session.flush());
        let mut context = Context::from_waker(Waker::noop());
        assert!(first.as_mut().poll(&mut context).is_pending());

        session.edit("one two", Some(7)).unwrap();
        assert_eq!(session.flush().await.unwrap(), Flushed::AlreadyRunning);
        assert_eq!(first.await.unwrap(), Flushed::UpTo(2), "the running flush saved the later edit too");
        assert!(!session.has_unsaved());
        session.store.close();

        let reopened = Session::open(&db).await.unwrap();
        assert_eq!(reopened.text(), "one two");
        reopened.store.close();
    }
}
