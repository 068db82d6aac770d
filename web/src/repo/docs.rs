//! The one copy of each open document: what the sync engine syncs and stores, and what the
//! screens read and edit.
//!
//! The engine holds an [`AnyDoc`] per document (`tandem_sync::Document`). A document arrives
//! untyped (loaded from IndexedDB or the relay into an empty automerge document); once it has
//! content, the repo opens it as the kind its root `kind` field names ([`AnyDoc::open_as_kind`]),
//! a `tandem_core::Doc<S>`, without copying it. From then on the screens' edits collect in that
//! `Doc`'s open batch, which the engine neither stores nor syncs until the repo commits it.

use tandem_core::automerge::sync;
use tandem_core::automerge::{self, ActorId, AutoCommit, AutomergeError, ChangeHash, ReadDoc};
use tandem_core::doc::Schema;
use tandem_core::{Doc, Goals, MentorNotes, Observation, PairIndex, Program};

/// A document of any kind, as the engine keeps it.
#[derive(Debug)]
pub enum AnyDoc {
    /// Not opened as a kind yet: being loaded or asked of the relay, or of no kind this app knows.
    Untyped(AutoCommit),
    Observation(Doc<Observation>),
    Goals(Doc<Goals>),
    PairIndex(Doc<PairIndex>),
    Program(Doc<Program>),
    MentorNotes(Doc<MentorNotes>),
}

/// The kinds of document the app knows, by their root `kind` field.
pub trait Kind: Schema + Sized + 'static {
    fn doc(any: &AnyDoc) -> Option<&Doc<Self>>;
    fn doc_mut(any: &mut AnyDoc) -> Option<&mut Doc<Self>>;
    fn wrap(doc: Doc<Self>) -> AnyDoc;
}

macro_rules! kinds {
    ($($variant:ident),+) => {
        $(impl Kind for $variant {
            fn doc(any: &AnyDoc) -> Option<&Doc<Self>> {
                match any {
                    AnyDoc::$variant(doc) => Some(doc),
                    _ => None,
                }
            }
            fn doc_mut(any: &mut AnyDoc) -> Option<&mut Doc<Self>> {
                match any {
                    AnyDoc::$variant(doc) => Some(doc),
                    _ => None,
                }
            }
            fn wrap(doc: Doc<Self>) -> AnyDoc {
                AnyDoc::$variant(doc)
            }
        })+

        impl AnyDoc {
            /// Opens an untyped document as the kind its root `kind` field names, writing as
            /// `actor`. An error (no kind, an unknown kind, a shape this app cannot read) leaves it
            /// untyped, still synced and stored; a later change may make it readable.
            pub fn open_as_kind(&mut self, actor: ActorId) -> Result<(), String> {
                let AnyDoc::Untyped(am) = self else { return Ok(()) };
                let kind = match am.get(automerge::ROOT, "kind") {
                    Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
                    _ => None,
                };
                match kind.as_deref() {
                    $(Some(k) if k == $variant::KIND => {
                        let am = std::mem::replace(am, AutoCommit::new()).with_actor(actor);
                        match Doc::<$variant>::wrap(am) {
                            Ok(doc) => {
                                *self = AnyDoc::$variant(doc);
                                Ok(())
                            }
                            Err(failed) => {
                                let (e, am) = *failed;
                                *self = AnyDoc::Untyped(am);
                                Err(e.to_string())
                            }
                        }
                    })+
                    Some(other) => Err(format!("a document of a kind this app does not know ({other})")),
                    None => Err("not a Tandem document (it has no kind)".to_owned()),
                }
            }

            /// Whether edits wait in the open batch.
            pub fn has_pending(&self) -> bool {
                match self {
                    AnyDoc::Untyped(_) => false,
                    $(AnyDoc::$variant(doc) => doc.has_pending(),)+
                }
            }
        }

        impl tandem_sync::Document for AnyDoc {
            fn empty() -> Self {
                // Positions in tandem_core count code points; documents are opened that way.
                AnyDoc::Untyped(AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint))
            }
            fn heads(&mut self) -> Vec<ChangeHash> {
                match self {
                    AnyDoc::Untyped(am) => am.get_heads(),
                    $(AnyDoc::$variant(doc) => doc.heads(),)+
                }
            }
            fn load_incremental(&mut self, data: &[u8]) -> Result<usize, AutomergeError> {
                match self {
                    AnyDoc::Untyped(am) => am.load_incremental(data),
                    $(AnyDoc::$variant(doc) => doc.load_incremental(data),)+
                }
            }
            fn save(&mut self) -> Vec<u8> {
                match self {
                    AnyDoc::Untyped(am) => am.save(),
                    $(AnyDoc::$variant(doc) => doc.save(),)+
                }
            }
            fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
                match self {
                    AnyDoc::Untyped(am) => am.save_after(heads),
                    $(AnyDoc::$variant(doc) => doc.save_after(heads),)+
                }
            }
            fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<sync::Message> {
                match self {
                    AnyDoc::Untyped(am) => tandem_sync::Document::generate_sync_message(am, state),
                    $(AnyDoc::$variant(doc) => doc.generate_sync_message(state),)+
                }
            }
            fn receive_sync_message(
                &mut self,
                state: &mut sync::State,
                message: sync::Message,
            ) -> Result<(), AutomergeError> {
                match self {
                    AnyDoc::Untyped(am) => tandem_sync::Document::receive_sync_message(am, state, message),
                    $(AnyDoc::$variant(doc) => doc.receive_sync_message(state, message),)+
                }
            }
            fn has_open_batch(&self) -> bool {
                self.has_pending()
            }
            fn commit_batch(&mut self) {
                match self {
                    AnyDoc::Untyped(_) => {}
                    $(AnyDoc::$variant(doc) => {
                        doc.commit();
                    })+
                }
            }
        }
    };
}

kinds!(Observation, Goals, PairIndex, Program, MentorNotes);

#[cfg(test)]
mod tests {
    use tandem_core::{Timestamp, UserId, genesis, model::ContextInit, ops};
    use tandem_sync::Document;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn observation() -> Doc<Observation> {
        let mentor = UserId::new("u-m");
        genesis::observation(
            ActorId::from(b"creator".as_slice()),
            &mentor,
            Timestamp(1),
            "pair-1",
            &mentor,
            &UserId::new("u-a"),
            &ContextInit::default(),
        )
    }

    #[wasm_bindgen_test]
    fn a_loaded_document_opens_as_its_kind_in_place_and_its_batch_is_committed_as_one_change() {
        let mut created = observation();
        let mut any = AnyDoc::empty();
        any.load_incremental(&created.save()).unwrap();
        any.open_as_kind(ActorId::from(b"tab".as_slice())).unwrap();
        let before = any.heads();
        assert_eq!(before, created.heads(), "opening it as its kind changes nothing");

        let mentor = UserId::new("u-m");
        let doc = Observation::doc_mut(&mut any).expect("an observation opens as one");
        ops::observation::add_note(doc, &mentor, Timestamp(2), "n1", "calm start", &[]).unwrap();
        ops::observation::splice(
            doc,
            &mentor,
            Timestamp(3),
            ops::observation::ObservationText::Note("n1"),
            0,
            0,
            "09:02 ",
        )
        .unwrap();
        assert!(any.has_open_batch(), "edits wait in the batch");
        any.commit_batch();
        assert!(!any.has_open_batch());
        let after = any.heads();
        assert_eq!(after.len(), 1);
        assert_ne!(after, before);

        // What the engine stores and sends is the one change, and another replica reads it.
        created.load_incremental(&any.save_after(&before)).unwrap();
        assert_eq!(created.read().unwrap().notes[0].text, "09:02 calm start");
        assert_eq!(created.heads(), after);
    }

    #[wasm_bindgen_test]
    fn a_document_without_a_known_kind_stays_untyped_with_a_problem_to_show() {
        let mut any = AnyDoc::empty();
        assert!(any.open_as_kind(ActorId::random()).is_err());
        assert!(matches!(any, AnyDoc::Untyped(_)));
    }

    #[wasm_bindgen_test]
    fn a_document_whose_shape_this_app_cannot_read_keeps_its_content() {
        let mut am = observation().into_automerge();
        tandem_core::automerge::transaction::Transactable::delete(&mut am, automerge::ROOT, "notes").unwrap();
        am.commit();
        let heads = am.get_heads();
        let mut any = AnyDoc::empty();
        any.load_incremental(&am.save()).unwrap();
        assert!(any.open_as_kind(ActorId::random()).is_err());
        assert_eq!(any.heads(), heads, "nothing is lost: it is still synced and stored");
    }
}
