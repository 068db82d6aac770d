//! A mentor's private notes edited as data (`tandem_core::edit::mentor_notes`): the mentor's edits
//! on two devices both survive, and nobody else's edit is written.

use tandem_core::edit::Splice;
use tandem_core::edit::mentor_notes::{NotesEdit, apply};
use tandem_core::{Error, genesis};

use super::support::{T0, associate, at, coordinator, device, mentor};

#[test]
fn a_mentors_private_notes_written_on_two_devices_keep_both_sides() {
    let mut tablet = genesis::mentor_notes(device("mentor-tablet"), &mentor(), T0, "pair-1");
    let add = NotesEdit::Add { id: "e1".into(), text: "Ask about the seating plan".into() };
    apply(&mut tablet, &mentor(), at(1), &add).unwrap();
    tablet.commit();
    let mut laptop = tablet.fork(device("mentor-laptop"));

    let splice = |index: usize, insert: &str| NotesEdit::Splice {
        entry: "e1".into(),
        splice: Splice { index, delete: 0, insert: insert.into() },
    };
    assert!(splice(0, "x").is_typing() && !add.is_typing());
    apply(&mut tablet, &mentor(), at(2), &splice(0, "First: ")).unwrap();
    apply(&mut laptop, &mentor(), at(2), &splice(26, " before Friday")).unwrap();
    apply(
        &mut laptop,
        &mentor(),
        at(3),
        &NotesEdit::Add { id: "e2".into(), text: "Praise the exit tickets".into() },
    )
    .unwrap();
    tablet.merge(&mut laptop).unwrap();

    let notes = tablet.read().unwrap();
    let texts: Vec<&str> = notes.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["First: Ask about the seating plan before Friday", "Praise the exit tickets"]);
    assert_eq!(notes.entries[1].at, at(3), "a note is stamped when it is added");

    apply(&mut tablet, &mentor(), at(4), &NotesEdit::Delete { id: "e2".into() }).unwrap();
    assert_eq!(tablet.read().unwrap().entries.len(), 1);
}

#[test]
fn nobody_but_the_owner_writes_a_mentors_private_notes() {
    let mut notes = genesis::mentor_notes(device("mentor-tablet"), &mentor(), T0, "pair-1");
    apply(&mut notes, &mentor(), at(1), &NotesEdit::Add { id: "e1".into(), text: "Mine".into() }).unwrap();
    notes.commit();
    let before = notes.read().unwrap();
    for someone in [associate(), coordinator()] {
        for edit in [
            NotesEdit::Add { id: "e9".into(), text: "Theirs".into() },
            NotesEdit::Splice {
                entry: "e1".into(),
                splice: Splice { index: 0, delete: 4, insert: String::new() },
            },
            NotesEdit::Delete { id: "e1".into() },
        ] {
            let refused = apply(&mut notes, &someone, at(2), &edit);
            assert!(matches!(refused, Err(Error::NotAllowed(_))), "{someone}: {edit:?} gave {refused:?}");
        }
    }
    assert!(!notes.has_pending(), "nothing of a refused edit is in the batch");
    assert_eq!(notes.read().unwrap(), before);
}
