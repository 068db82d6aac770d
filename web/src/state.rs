//! The page's UI state as a pure reducer over [`Action`]s: no I/O, no clock, testable alone.
//! Hooks in [`crate::app`] do the work (IndexedDB, timers) and report what happened as actions.

use std::rc::Rc;

use yew::Reducible;

/// Where opening the device's note stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Opening,
    Ready,
    /// The note could not be opened; the message says why. Nothing is created in its place.
    Failed(String),
}

/// Whether the text on screen is in the device's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveStatus {
    Saved,
    /// Edits wait for a pause in typing before they are committed and written.
    Unsaved,
    Saving,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub phase: Phase,
    pub text: String,
    pub save: SaveStatus,
    /// The number of edits made in this tab; a save reports the revision it covers.
    pub revision: u64,
    /// The revision at which the text last went from saved to unsaved: the start of a batch.
    pub batch_started_at: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            phase: Phase::Opening,
            text: String::new(),
            save: SaveStatus::Saved,
            revision: 0,
            batch_started_at: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Opened {
        text: String,
    },
    OpenFailed(String),
    Edited {
        text: String,
        revision: u64,
    },
    SaveStarted,
    /// Every edit up to `revision` is stored.
    Saved {
        revision: u64,
    },
    SaveFailed(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Opened { text } => {
                next.phase = Phase::Ready;
                next.text = text;
                next.save = SaveStatus::Saved;
            }
            Action::OpenFailed(message) => next.phase = Phase::Failed(message),
            Action::Edited { text, revision } => {
                if next.save == SaveStatus::Saved {
                    next.batch_started_at = revision;
                }
                next.text = text;
                next.revision = revision;
                next.save = SaveStatus::Unsaved;
            }
            Action::SaveStarted => {
                if next.save == SaveStatus::Unsaved {
                    next.save = SaveStatus::Saving;
                }
            }
            Action::Saved { revision } => {
                // Edits made while the write was in flight keep the text unsaved.
                next.save = if revision >= next.revision { SaveStatus::Saved } else { SaveStatus::Unsaved };
            }
            Action::SaveFailed(message) => next.save = SaveStatus::Failed(message),
        }
        if next == *self { self } else { Rc::new(next) }
    }
}

impl State {
    /// Whether some edits are not yet stored (including after a failed save, which is retried).
    pub fn has_unsaved(&self) -> bool {
        !matches!(self.save, SaveStatus::Saved)
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn run(actions: impl IntoIterator<Item = Action>) -> State {
        let state = actions.into_iter().fold(Rc::new(State::default()), Reducible::reduce);
        (*state).clone()
    }

    fn edited(text: &str, revision: u64) -> Action {
        Action::Edited { text: text.into(), revision }
    }

    #[wasm_bindgen_test]
    fn the_page_opens_with_the_stored_text_saved() {
        let state = run([Action::Opened { text: "kept".into() }]);
        assert_eq!((state.phase, state.text.as_str(), state.save), (Phase::Ready, "kept", SaveStatus::Saved));
    }

    #[wasm_bindgen_test]
    fn typing_makes_the_text_unsaved_until_a_save_covers_the_last_edit() {
        let opened = Action::Opened { text: String::new() };
        let state = run([opened.clone(), edited("a", 1), Action::SaveStarted]);
        assert_eq!(state.save, SaveStatus::Saving);
        let state = run([opened.clone(), edited("a", 1), Action::SaveStarted, Action::Saved { revision: 1 }]);
        assert_eq!(state.save, SaveStatus::Saved);
        // An edit during the write: the save covers revision 1 only.
        let state = run([
            opened,
            edited("a", 1),
            Action::SaveStarted,
            edited("ab", 2),
            Action::Saved { revision: 1 },
        ]);
        assert_eq!(state.save, SaveStatus::Unsaved);
        assert!(state.has_unsaved());
    }

    #[wasm_bindgen_test]
    fn a_batch_starts_at_the_first_edit_after_a_save() {
        let state = run([
            Action::Opened { text: String::new() },
            edited("a", 1),
            edited("ab", 2),
            Action::Saved { revision: 2 },
            edited("abc", 3),
            edited("abcd", 4),
        ]);
        assert_eq!(state.batch_started_at, 3);
    }

    #[wasm_bindgen_test]
    fn a_failed_open_shows_the_reason_and_a_failed_save_stays_unsaved() {
        let state = run([Action::OpenFailed("storage is full".into())]);
        assert_eq!(state.phase, Phase::Failed("storage is full".into()));
        let state =
            run([Action::Opened { text: String::new() }, edited("a", 1), Action::SaveFailed("quota".into())]);
        assert_eq!(state.save, SaveStatus::Failed("quota".into()));
        assert!(state.has_unsaved());
    }
}
