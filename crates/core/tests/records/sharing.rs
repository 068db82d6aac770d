//! Sharing a draft observation as a history-free snapshot.

use tandem_core::automerge::{AutoCommit, ReadDoc};
use tandem_core::model::ObservationStatus;
use tandem_core::ops::observation::{self as o, ObservationText as OT};
use tandem_core::{Doc, Observation, Tag, share};

use super::support::*;

const SECRET: &str = "ZEBRA-WORRIED-ABOUT-JONAH";

/// A draft in which the mentor typed a private remark and then deleted it.
fn draft_with_deleted_remark() -> Doc<Observation> {
    let mut draft = observation();
    o::add_note(&mut draft, &mentor(), at(1), "n1", "Strong start.", &[Tag::Glow]).unwrap();
    draft.commit();
    o::splice(&mut draft, &mentor(), at(2), OT::Note("n1"), 13, 0, &format!(" {SECRET}")).unwrap();
    draft.commit();
    let len = draft.read().unwrap().notes[0].text.chars().count();
    o::splice(&mut draft, &mentor(), at(3), OT::Note("n1"), 13, len - 13, "").unwrap();
    o::splice(&mut draft, &mentor(), at(3), OT::OpeningStrength, 0, 0, "Calm room").unwrap();
    o::add_question(&mut draft, &mentor(), at(3), "q1", None, "What would you keep?").unwrap();
    draft.commit();
    // The draft itself still carries the deleted text in its history.
    assert!(contains(&draft.automerge_ref().clone().save_nocompress(), SECRET));
    draft
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn text_typed_and_deleted_in_the_draft_never_reaches_the_shared_document() {
    let draft = draft_with_deleted_remark();
    let mut shared = share::snapshot(&draft, device("mentor-tablet"), &mentor(), at(10)).unwrap();

    // Not in the saved bytes, compressed or not.
    assert!(!contains(&shared.save(), SECRET));
    let mut am = shared.automerge_ref().clone();
    assert!(!contains(&am.save_nocompress(), SECRET));
    // Not in any change, decompressed, nor in any operation of any change.
    let changes = am.get_changes(&[]);
    assert_eq!(changes.len(), 1, "the snapshot has no history of its own");
    for change in &changes {
        assert!(!contains(change.raw_bytes(), SECRET));
        let expanded = change.decode();
        let ops = format!("{:?}", expanded.operations);
        assert!(!ops.contains(SECRET) && !ops.contains("ZEBRA"));
    }
    // Not in any operation of a fresh load of the compressed bytes either.
    let mut reloaded = AutoCommit::load(&shared.save()).unwrap();
    for change in reloaded.get_changes(&[]) {
        let ops = format!("{:?}", change.decode().operations);
        assert!(!ops.contains("ZEBRA"));
    }
    let text =
        reloaded.text(reloaded.get(tandem_core::automerge::ROOT, "opening_strength").unwrap().unwrap().1);
    assert_eq!(text.unwrap(), "Calm room");
}

#[test]
fn the_shared_observation_has_the_drafts_current_content_and_status_shared() {
    let mut draft = draft_with_deleted_remark();
    // An edit not yet committed is part of what the mentor sees, so it is shared too.
    o::splice(&mut draft, &mentor(), at(4), OT::ClosingStrength, 0, 0, "Kind ending").unwrap();
    let shared = share::snapshot(&draft, device("mentor-tablet-2"), &mentor(), at(10)).unwrap();
    let (before, after) = (draft.read().unwrap(), shared.read().unwrap());
    assert_eq!(after.status, ObservationStatus::Shared);
    assert_eq!(after.created_at, at(10));
    assert_eq!(after.notes, before.notes);
    assert_eq!(after.notes[0].text, "Strong start.");
    assert_eq!(after.closing_strength, "Kind ending");
    assert_eq!(after.questions, before.questions);
    assert_eq!(after.context, before.context);
    assert_eq!((after.pair, after.mentor, after.associate), (before.pair, before.mentor, before.associate));
    assert_eq!(draft.read().unwrap().status, ObservationStatus::Draft, "the draft is untouched");
}
