//! Edits and their batch: the screens edit the engine's document in place; the edits collect in
//! its open batch, committed after a pause in typing, at the latest a few seconds after the batch
//! began, and when the page is hidden. The engine stores and syncs a committed batch.

use std::rc::Weak;

use gloo_timers::callback::Timeout;
use tandem_core::Doc;
use tandem_sync::DocumentId;

use super::docs::Kind;
use super::{Repo, now_ms};

/// How long typing must pause before a batch of edits is committed.
const IDLE_MS: u32 = 400;
/// The longest a batch waits while typing goes on without a pause.
const MAX_BATCH_MS: u32 = 3_000;

impl Repo {
    /// Edits a document with `f` (which calls `tandem_core::ops`). The edit joins the open batch;
    /// the screens re-read the record at once.
    pub fn edit<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let result = self.edit_in_place(id, f);
        if result.is_some() {
            self.forget_view(id);
            self.notify();
        }
        result
    }

    /// Like [`Repo::edit`], for typing: the text box already shows the text, so the screens are
    /// not re-rendered on every keystroke. The record is still forgotten (re-read lazily, only if
    /// something renders): a render for another reason (a change from another tab or person, a
    /// status) must never hand a text box a value older than what was typed into it, which would
    /// put the box back and send the next keystrokes to the wrong place.
    pub fn type_text<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let was_open = self.batch_open(id);
        let result = self.edit_in_place(id, f);
        if result.is_some() {
            self.forget_view(id);
            if !was_open {
                // The status changes to "saving" with the first keystroke of a batch.
                self.notify();
            }
        }
        result
    }

    fn edit_in_place<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let (result, actions) =
            self.engine.borrow_mut().change(now_ms(), id, |doc| S::doc_mut(doc).map(f)).ok()?;
        self.perform(actions);
        let result = result?;
        self.schedule_batch();
        Some(result)
    }

    /// Runs `f` with the document (for history and conflicts, which read its changes and so
    /// commit the open batch).
    pub fn with_doc<S: Kind, R>(&self, id: &DocumentId, f: impl FnOnce(&mut Doc<S>) -> R) -> Option<R> {
        let was_open = self.batch_open(id);
        let (result, actions) =
            self.engine.borrow_mut().change(now_ms(), id, |doc| S::doc_mut(doc).map(f)).ok()?;
        if was_open && !self.batch_open(id) {
            self.forget_view(id);
        }
        self.perform(actions);
        result
    }

    /// Commits every open batch; the engine stores each, then syncs it.
    pub fn commit_all(&self) {
        self.batch_idle.borrow_mut().take();
        self.batch_max.borrow_mut().take();
        let open: Vec<DocumentId> =
            self.entries.borrow().keys().copied().filter(|id| self.batch_open(id)).collect();
        for id in open {
            let actions = self.engine.borrow_mut().commit(now_ms(), &id);
            self.forget_view(&id);
            self.perform(actions);
        }
        self.notify();
    }

    fn batch_open(&self, id: &DocumentId) -> bool {
        self.engine.borrow().document(id).is_some_and(|doc| doc.has_pending())
    }

    fn forget_view(&self, id: &DocumentId) {
        if let Some(entry) = self.entries.borrow_mut().get_mut(id) {
            entry.view = None;
        }
    }

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
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use tandem_core::{
        Observation, Timestamp, UserId, edit::observation::ObservationText, genesis, model::ContextInit, ops,
    };
    use wasm_bindgen_test::wasm_bindgen_test;

    use crate::{repo::Repo, store::IdbStorage};

    /// The bug this guards against: two tabs typing at once. A render for the other tab's note
    /// handed the text box a record read before the last keystrokes; the box went back to it and
    /// the next keystrokes landed in the middle ("Tab t another note.wo:").
    #[wasm_bindgen_test]
    async fn a_record_read_while_typing_has_every_keystroke_typed_so_far() {
        let name = format!("tandem-test-{}", crate::ids::new_item_id());
        let storage = Rc::new(IdbStorage::open(&name).await.expect("a test database"));
        let (mentor, associate) = (UserId::new("mentor".to_owned()), UserId::new("associate".to_owned()));
        let repo = Repo::start(storage, mentor.clone(), None);
        let doc = genesis::observation(
            repo.actor(),
            &mentor,
            Timestamp(1),
            "pair-1",
            &mentor,
            &associate,
            &ContextInit::default(),
        );
        let id = repo.create(doc).expect("created");
        let field = ObservationText::<&str>::OpeningStrength;
        let mut typed = String::new();
        for (at, letter) in "Calm start".chars().enumerate() {
            repo.type_text::<Observation, _>(&id, |doc| {
                ops::observation::splice(
                    doc,
                    &mentor,
                    Timestamp(2 + at as i64),
                    field,
                    at,
                    0,
                    &letter.to_string(),
                )
            })
            .expect("open")
            .expect("typed");
            typed.push(letter);
            // Read between keystrokes, as a render for some other reason does.
            assert_eq!(repo.read::<Observation>(&id).expect("readable").opening_strength, typed);
        }
        repo.stop();
    }
}
