//! Deleting is undoable: an item deleted from an observation is put back whole (Undo), and one
//! deleted long ago is found in the document's history, as it was just before it went, and can
//! be restored from there; a restore made on one device reaches the other with a sync.

use tandem_core::edit::Splice;
use tandem_core::edit::observation::{ObservationEdit as E, ObservationText as F, Removed, apply};
use tandem_core::history;
use tandem_core::model::{Observation, Tag};
use tandem_core::{Doc, Error};

use super::support::*;

fn edit(doc: &mut Doc<Observation>, minutes: i64, e: E) {
    apply(doc, &mentor(), at(minutes), &e).unwrap_or_else(|err| panic!("{e:?} failed: {err}"));
    doc.commit();
}

fn restore(list: &str, id: &str) -> E {
    E::Restore { list: list.into(), id: id.into() }
}

fn typed(field: F<String>, text: &str) -> E {
    E::Text { field, splice: Splice { index: 0, delete: 0, insert: text.to_owned() } }
}

/// Three notes (the middle one tagged Glow) and a question the associate answered.
fn with_notes() -> Doc<Observation> {
    let mut doc = observation();
    for (i, (id, text)) in
        [("n1", "Hook"), ("n2", "Every hand up"), ("n3", "Exit ticket")].into_iter().enumerate()
    {
        edit(&mut doc, i as i64, E::AddNote { id: id.into() });
        edit(&mut doc, i as i64, typed(F::Note(id.into()), text));
    }
    edit(&mut doc, 3, E::AddTag { note: "n2".into(), tag: Tag::Glow });
    edit(
        &mut doc,
        4,
        E::AddQuestion { id: "q1".into(), bank_id: Some("b-7".into()), prompt: "What surprised you?".into() },
    );
    apply(&mut doc, &associate(), at(5), &typed(F::Answer("q1".into()), "How quiet it was.")).unwrap();
    doc.commit();
    doc
}

#[test]
fn undoing_a_deleted_note_puts_it_back_where_it_was_with_its_time_author_and_tags() {
    let mut doc = with_notes();
    let before = doc.read().unwrap();
    edit(&mut doc, 10, E::DeleteNote { id: "n2".into() });
    assert_eq!(doc.read().unwrap().notes.len(), 2);

    edit(&mut doc, 11, restore("notes", "n2"));
    assert_eq!(doc.read().unwrap().notes, before.notes, "the same note, in the same place");
}

#[test]
fn a_deleted_question_comes_back_with_the_associates_answer() {
    let mut doc = with_notes();
    edit(&mut doc, 10, E::DeleteQuestion { id: "q1".into() });
    edit(&mut doc, 11, restore("questions", "q1"));
    let q = &doc.read().unwrap().questions[0];
    assert_eq!(
        (q.prompt.as_str(), q.answer.as_str(), q.bank_id.as_deref()),
        ("What surprised you?", "How quiet it was.", Some("b-7"))
    );
}

#[test]
fn history_lists_what_was_deleted_as_it_was_just_before_and_forgets_it_once_restored() {
    let mut doc = with_notes();
    // Written on after the last look, then deleted: history keeps the last words.
    edit(
        &mut doc,
        6,
        E::Text {
            field: F::Note("n1".into()),
            splice: Splice { index: 4, delete: 0, insert: " question".into() },
        },
    );
    edit(&mut doc, 10, E::DeleteNote { id: "n1".into() });
    edit(&mut doc, 20, E::DeleteQuestion { id: "q1".into() });

    let deleted = history::deleted(&mut doc).unwrap();
    let what: Vec<(&str, &str, usize)> =
        deleted.iter().map(|d| (d.item.list(), d.item.id(), d.index)).collect();
    assert_eq!(what, [("questions", "q1", 0), ("notes", "n1", 0)], "newest deletion first");
    let Removed::Note(note) = &deleted[1].item else { panic!("a note: {:?}", deleted[1].item) };
    assert_eq!(note.text, "Hook question");
    assert_eq!(note.at, at(0), "the time the mentor started it");
    assert_eq!((deleted[1].by.as_ref(), deleted[1].at), (Some(&mentor()), at(10)));

    edit(&mut doc, 30, restore("notes", "n1"));
    assert_eq!(doc.read().unwrap().notes[0].text, "Hook question");
    let left: Vec<String> =
        history::deleted(&mut doc).unwrap().iter().map(|d| d.item.id().to_owned()).collect();
    assert_eq!(left, ["q1"], "only the question is still deleted");

    // Restoring twice (a second tap, or Undo after a history restore) is refused, not doubled.
    let again = apply(&mut doc, &mentor(), at(31), &restore("notes", "n1"));
    assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
    assert_eq!(doc.read().unwrap().notes.iter().filter(|n| n.id == "n1").count(), 1);
}

#[test]
fn a_note_restored_on_the_tablet_is_back_on_the_phone_after_a_sync() {
    let mut tablet = with_notes();
    let mut phone = on_phone(&mut tablet);
    edit(&mut tablet, 10, E::DeleteNote { id: "n3".into() });
    sync(&mut tablet, &mut phone);
    assert_eq!(phone.read().unwrap().notes.len(), 2);

    edit(&mut tablet, 11, restore("notes", "n3"));
    // Meanwhile the associate answers on her phone: both survive the merge.
    apply(
        &mut phone,
        &associate(),
        at(11),
        &E::Text {
            field: F::Answer("q1".into()),
            splice: Splice { index: 0, delete: 0, insert: "So ".into() },
        },
    )
    .unwrap();
    phone.commit();
    sync(&mut tablet, &mut phone);
    for doc in [&tablet, &phone] {
        let obs = doc.read().unwrap();
        assert_eq!(
            obs.notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
            ["Hook", "Every hand up", "Exit ticket"]
        );
        assert_eq!(obs.questions[0].answer, "So How quiet it was.");
    }
}

#[test]
fn what_was_typed_into_a_note_just_before_it_was_deleted_comes_back_with_it() {
    let mut doc = with_notes();
    // One batch, as when the mentor types and taps Delete within the same moment.
    let by = mentor();
    let typing = E::Text {
        field: F::Note("n3".into()),
        splice: Splice { index: 11, delete: 0, insert: ": all done".into() },
    };
    apply(&mut doc, &by, at(10), &typing).unwrap();
    apply(&mut doc, &by, at(10), &E::DeleteNote { id: "n3".into() }).unwrap();
    edit(&mut doc, 11, restore("notes", "n3"));
    assert_eq!(doc.read().unwrap().notes[2].text, "Exit ticket: all done");
}
