//! The typed copy of each open document that the screens read and edit, and how it is kept level
//! with the sync engine's copy.
//!
//! The engine holds a plain `automerge::Automerge` per document (what it syncs and stores). The
//! screens edit a `tandem_core::Doc<S>` (an `AutoCommit` with batched, attributed commits). Two
//! copies, kept level by exchanging changes: a committed batch goes Doc → engine
//! (`changes_since(pushed)`), a remote change goes engine → Doc (`get_changes(doc heads)`). Local
//! changes are always pushed before remote ones are pulled, so every head of the Doc is known to the
//! engine when it is asked for what the Doc lacks.

use std::rc::Rc;

use tandem_core::automerge::{self, ActorId, ChangeHash, ReadDoc};
use tandem_core::doc::Schema;
use tandem_core::{Doc, Goals, MentorNotes, Observation, PairIndex, Program};

/// An open document of any kind, with the record last read from it.
#[derive(Debug)]
pub enum AnyDoc {
    Observation(Typed<Observation>),
    Goals(Typed<Goals>),
    PairIndex(Typed<PairIndex>),
    Program(Typed<Program>),
    MentorNotes(Typed<MentorNotes>),
}

/// One kind's document and its cached record (cleared whenever the document changes).
#[derive(Debug)]
pub struct Typed<S> {
    pub doc: Doc<S>,
    view: Option<Rc<S>>,
}

impl<S: Schema> Typed<S> {
    fn new(doc: Doc<S>) -> Self {
        Typed { doc, view: None }
    }

    /// The record, read once per change.
    pub fn view(&mut self) -> Option<Rc<S>> {
        if self.view.is_none() {
            self.view = self.doc.read().ok().map(Rc::new);
        }
        self.view.clone()
    }

    pub fn invalidate(&mut self) {
        self.view = None;
    }
}

/// The kinds of document the app knows, by their root `kind` field.
pub trait Kind: Schema + Sized {
    fn typed(any: &mut AnyDoc) -> Option<&mut Typed<Self>>;
}

macro_rules! kinds {
    ($($variant:ident),+) => {
        $(impl Kind for $variant {
            fn typed(any: &mut AnyDoc) -> Option<&mut Typed<Self>> {
                match any {
                    AnyDoc::$variant(typed) => Some(typed),
                    _ => None,
                }
            }
        })+

        impl AnyDoc {
            /// Opens the engine's copy as the kind its root `kind` field names, writing as `actor`.
            pub fn open(engine_doc: &automerge::Automerge, actor: ActorId) -> Result<AnyDoc, String> {
                let kind = match engine_doc.get(automerge::ROOT, "kind") {
                    Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
                    _ => None,
                };
                match kind.as_deref() {
                    $(Some(k) if k == $variant::KIND => Doc::<$variant>::from_document(engine_doc, actor)
                        .map(|doc| AnyDoc::$variant(Typed::new(doc)))
                        .map_err(|e| e.to_string()),)+
                    Some(other) => Err(format!("a document of a kind this app does not know ({other})")),
                    None => Err("not a Tandem document (it has no kind)".to_owned()),
                }
            }

            fn with<R>(&mut self, f: impl FnOnce(&mut dyn Level) -> R) -> R {
                match self {
                    $(AnyDoc::$variant(typed) => f(typed),)+
                }
            }
        }
    };
}

kinds!(Observation, Goals, PairIndex, Program, MentorNotes);

/// What keeping the two copies level needs, whatever the kind.
trait Level {
    fn commit_and_changes_since(&mut self, pushed: &[ChangeHash]) -> Vec<automerge::Change>;
    fn heads(&mut self) -> Vec<ChangeHash>;
    fn apply(&mut self, changes: Vec<automerge::Change>) -> Result<(), String>;
    fn has_pending(&self) -> bool;
}

impl<S: Schema> Level for Typed<S> {
    fn commit_and_changes_since(&mut self, pushed: &[ChangeHash]) -> Vec<automerge::Change> {
        if self.doc.has_pending() {
            self.invalidate();
        }
        self.doc.changes_since(pushed)
    }

    fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.heads()
    }

    fn apply(&mut self, changes: Vec<automerge::Change>) -> Result<(), String> {
        self.invalidate();
        self.doc.automerge().apply_changes(changes).map_err(|e| e.to_string())?;
        // Reading the record is both the shape check (a peer running other code may have broken
        // it) and the view the screens show next, so it is done once, here.
        let record = self.doc.read().map_err(|e| e.to_string())?;
        self.view = Some(Rc::new(record));
        Ok(())
    }

    fn has_pending(&self) -> bool {
        self.doc.has_pending()
    }
}

impl AnyDoc {
    /// Commits the open batch and returns the changes the engine has not seen (since `pushed`).
    pub fn outgoing(&mut self, pushed: &[ChangeHash]) -> Vec<automerge::Change> {
        self.with(|d| d.commit_and_changes_since(pushed))
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.with(|d| d.heads())
    }

    /// Applies changes from the engine's copy; an error means the document no longer has the shape
    /// this app reads (a peer running other code broke it).
    pub fn incoming(&mut self, changes: Vec<automerge::Change>) -> Result<(), String> {
        self.with(|d| d.apply(changes))
    }

    pub fn has_pending(&mut self) -> bool {
        self.with(|d| d.has_pending())
    }
}

#[cfg(test)]
mod tests {
    use tandem_core::{Timestamp, UserId, genesis, model::ContextInit, ops};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn a_document_opens_as_its_kind_and_its_edits_reach_the_engine_copy_and_back() {
        let mentor = UserId::new("u-m");
        let mut created = genesis::observation(
            ActorId::from(b"creator".as_slice()),
            &mentor,
            Timestamp(1),
            "pair-1",
            &mentor,
            &UserId::new("u-a"),
            &ContextInit::default(),
        );
        let mut engine_copy = created.to_document().unwrap();
        let mut any = AnyDoc::open(&engine_copy, ActorId::from(b"tab".as_slice())).unwrap();
        let pushed = any.heads();
        let AnyDoc::Observation(typed) = &mut any else { panic!("an observation opens as one") };
        ops::observation::add_note(&mut typed.doc, &mentor, Timestamp(2), "n1", "calm start", &[]).unwrap();
        assert!(any.has_pending());

        let out = any.outgoing(&pushed);
        assert_eq!(out.len(), 1, "one batch, one change");
        engine_copy.apply_changes(out).unwrap();
        assert_eq!(engine_copy.get_heads(), any.heads());

        // Another device's change, arriving in the engine's copy.
        let mut other =
            Doc::<Observation>::from_document(&engine_copy, ActorId::from(b"other".as_slice())).unwrap();
        ops::observation::splice(
            &mut other,
            &UserId::new("u-a"),
            Timestamp(3),
            ops::observation::ObservationText::Reflection,
            0,
            0,
            "I will wait longer.",
        )
        .unwrap();
        engine_copy.apply_changes(other.changes_since(&engine_copy.get_heads())).unwrap();
        let missing = engine_copy.get_changes(&any.heads());
        any.incoming(missing).unwrap();
        let AnyDoc::Observation(typed) = &mut any else { unreachable!() };
        let view = typed.view().unwrap();
        assert_eq!(view.reflection, "I will wait longer.");
        assert_eq!(view.notes[0].text, "calm start");
    }

    #[wasm_bindgen_test]
    fn a_document_without_a_known_kind_is_an_error_to_show() {
        let plain = automerge::Automerge::new();
        assert!(AnyDoc::open(&plain, ActorId::random()).is_err());
    }
}
