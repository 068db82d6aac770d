//! Saved documents of every released schema version still load, read and take edits.
//!
//! The files in `tests/fixtures/v1/` were written once by a one-off generator from the demo data
//! (commit 0875bd9 has it; the next commit removed it) and are never regenerated: if a change to
//! the crate breaks these tests, the change is what must be fixed, or a migration written.

use tandem_core::conflict::{self, Field};
use tandem_core::history::history;
use tandem_core::migrate::upgrade;
use tandem_core::model::{GoalStatus, ObservationStatus};
use tandem_core::ops::observation::{self as o, ObservationText as OT};
use tandem_core::{Doc, Goals, MentorNotes, Observation, PairIndex, Program, Schema, UserId};

use super::support::*;

const PROGRAM: &[u8] = include_bytes!("../fixtures/v1/program.automerge");
const PAIR_INDEX: &[u8] = include_bytes!("../fixtures/v1/pair-index.automerge");
const GOALS: &[u8] = include_bytes!("../fixtures/v1/goals.automerge");
const GOALS_CONFLICTED: &[u8] = include_bytes!("../fixtures/v1/goals-conflicted.automerge");
const MENTOR_NOTES: &[u8] = include_bytes!("../fixtures/v1/mentor-notes.automerge");
const OBSERVATION_DONE: &[u8] = include_bytes!("../fixtures/v1/observation-acknowledged.automerge");
const OBSERVATION_DRAFT: &[u8] = include_bytes!("../fixtures/v1/observation-draft.automerge");

fn open<S: Schema>(bytes: &[u8]) -> Doc<S> {
    let mut doc = Doc::<S>::load(bytes, device("fixture-reader")).unwrap();
    assert_eq!(doc.schema().unwrap(), 1);
    assert!(!upgrade(&mut doc, &mentor(), T0).unwrap(), "a v1 document needs no migration yet");
    assert!(!doc.has_pending());
    assert!(history(&mut doc).iter().all(|h| h.by.is_some()), "every change names its user");
    doc
}

#[test]
fn the_v1_program_still_loads_with_its_people_pairs_framework_and_questions() {
    let doc = open::<Program>(PROGRAM);
    let program = doc.read().unwrap();
    assert_eq!(program.name, "Riverside Teacher Residency");
    // People and pairs moved to the relay's accounts; a v1 document keeps what it held, unread.
    use tandem_core::automerge::{ROOT, ReadDoc, ScalarValue, Value};
    let am = doc.automerge_ref();
    let map = |parent: &tandem_core::automerge::ObjId, key: &str| match am.get(parent, key).unwrap() {
        Some((Value::Object(_), id)) => id,
        other => panic!("{key} is not a map: {other:?}"),
    };
    assert_eq!(am.length(map(&ROOT, "people")), 5);
    let pair = map(&map(&ROOT, "pairs"), "pair-1");
    assert!(
        matches!(am.get(&pair, "stage").unwrap(), Some((Value::Scalar(s), _)) if *s == ScalarValue::Uint(2))
    );
    assert!(
        program.framework().unwrap().competencies.iter().all(|c| c.levels.is_empty()),
        "v1 had no levels"
    );
    assert_eq!(program.framework().unwrap().version, 1);
    assert_eq!(program.framework().unwrap().competencies.len(), 4);
    assert_eq!(program.question_bank.len(), 5);
}

#[test]
fn the_v1_pair_index_and_private_notes_still_load() {
    let index = open::<PairIndex>(PAIR_INDEX).read().unwrap();
    assert_eq!(index.pair, "pair-1");
    assert_eq!(index.observations[0].id, "fixture:pair-1/observation-1");
    assert_eq!(index.goals.len(), 1);
    let notes = open::<MentorNotes>(MENTOR_NOTES).read().unwrap();
    assert_eq!(notes.owner, UserId::new("u-grace-okafor"));
    assert_eq!(notes.entries.len(), 1);
}

#[test]
fn the_v1_goals_still_load_with_every_ending() {
    let goals = open::<Goals>(GOALS).read().unwrap();
    let status = |id: &str| goals.goals.iter().find(|g| g.id == id).unwrap();
    assert_eq!(status("g-wait").status, GoalStatus::Achieved);
    assert_eq!(status("g-wait").checkins.len(), 3);
    assert_eq!(status("g-wait").wins.len(), 1);
    assert_eq!(status("g-transitions").status, GoalStatus::Reworked);
    assert_eq!(status("g-transitions").reworked_into.as_deref(), Some("g-transitions-2"));
    assert_eq!(status("g-exit").status, GoalStatus::Dropped);
    assert!(status("g-exit").drop_reason.starts_with("The department moved"));
    assert_eq!(status("g-transitions-2").status, GoalStatus::Active);
}

#[test]
fn a_v1_conflict_saved_unresolved_is_still_reported_with_both_people() {
    let mut goals = open::<Goals>(GOALS_CONFLICTED);
    let conflicts = conflict::goals(&mut goals);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, Field::GoalStatus { goal: "g-cold-call".into() });
    let mut claims: Vec<_> =
        conflicts[0].claims.iter().map(|c| (c.text(), c.by.clone().unwrap().0)).collect();
    claims.sort();
    assert_eq!(
        claims,
        [("achieved".into(), "u-erik-lindqvist".into()), ("dropped".into(), "u-sami-haddad".into())]
    );
}

#[test]
fn v1_observations_still_load_and_take_new_edits_that_merge() {
    let done = open::<Observation>(OBSERVATION_DONE).read().unwrap();
    assert_eq!(done.status, ObservationStatus::Acknowledged);
    assert!(done.acknowledgements.contains_key("u-mei-chen"));
    assert!(done.questions.iter().all(|q| !q.answer.is_empty()));
    assert!(!done.reflection.is_empty());
    assert_eq!(done.notes.len(), 5);

    let mut draft = open::<Observation>(OBSERVATION_DRAFT);
    assert_eq!(draft.read().unwrap().status, ObservationStatus::Draft);
    let mut other = draft.fork(device("fixture-other"));
    let mentor = UserId::new("u-grace-okafor");
    o::add_note(&mut draft, &mentor, at(1), "n9", "Exit routine calm", &[]).unwrap();
    o::splice(&mut other, &mentor, at(1), OT::Note("n1"), 0, 0, "10:05 ").unwrap();
    draft.merge(&mut other).unwrap();
    let read = draft.read().unwrap();
    assert_eq!(read.notes.len(), 4);
    assert!(read.notes[0].text.starts_with("10:05 Kits"));
}

/// Written once by a one-off test in the commit that added stage records (removed before it
/// was committed): a proposal, a self-assessment and a confirmation.
const STAGE_RECORD: &[u8] = include_bytes!("../fixtures/v1/stage-record.automerge");

#[test]
fn the_v1_stage_record_still_loads_with_every_decision_and_who_made_it() {
    let mut doc = open::<tandem_core::StageRecord>(STAGE_RECORD);
    let record = doc.read().unwrap();
    assert_eq!(record.current.as_deref(), Some("s-parts"));
    assert_eq!(record.status, tandem_core::model::StageStatus::Confirmed);
    let who: Vec<&str> = record.entries.iter().map(|e| e.by.as_str()).collect();
    assert_eq!(who, ["u-mentor", "u-associate", "u-coordinator"]);
    assert_eq!(record.entries[1].text, "Ready, I think");
    assert!(conflict::stage_record(&mut doc).is_empty());
}
