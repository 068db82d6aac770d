//! Observation edits as data (`tandem_core::edit::observation`) applied to real documents: every
//! edit lands, the rules a person relies on hold, and two devices editing at once both keep what
//! they wrote after a merge.

use tandem_core::automerge::ActorId;
use tandem_core::edit::Splice;
use tandem_core::edit::observation::{
    ContextField, Feedback, ObservationEdit as E, ObservationText as F, apply,
};
use tandem_core::model::{ContextInit, Date, ObservationStatus, Tag};
use tandem_core::{Doc, Observation, Timestamp, UserId, genesis};

const T0: Timestamp = Timestamp(1_795_340_000_000);

fn mentor() -> UserId {
    UserId::new("u-mentor")
}

fn associate() -> UserId {
    UserId::new("u-assoc")
}

fn draft() -> Doc<Observation> {
    genesis::observation(
        ActorId::from(b"tab".as_slice()),
        &mentor(),
        T0,
        "pair-1",
        &mentor(),
        &associate(),
        &ContextInit::default(),
    )
}

/// Applies edits as `by`, one second apart, and reads the record back.
#[track_caller]
fn run(doc: &mut Doc<Observation>, by: &UserId, edits: &[E]) -> Observation {
    for (i, edit) in edits.iter().enumerate() {
        let at = Timestamp(T0.0 + 1000 * (i as i64 + 1));
        if let Err(e) = apply(doc, by, at, edit) {
            panic!("{edit:?} failed: {e}");
        }
    }
    doc.read().unwrap()
}

fn type_into(field: F<String>, text: &str) -> E {
    E::Text { field, splice: Splice { index: 0, delete: 0, insert: text.to_owned() } }
}

fn id(s: &str) -> String {
    s.to_owned()
}

#[test]
fn context_fields_and_the_date_land_in_the_document() {
    let mut doc = draft();
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            E::SetDate(Date::new(2026, 11, 22)),
            E::SetContext { field: ContextField::Class, value: "7B".into() },
            E::SetContext { field: ContextField::Period, value: "3".into() },
            E::SetContext { field: ContextField::Subject, value: "Science".into() },
            type_into(F::LessonFocus, "Density"),
            type_into(F::WatchFor, "Wait time"),
        ],
    );
    let c = &obs.context;
    assert_eq!(c.date, Date::new(2026, 11, 22));
    assert_eq!((c.class.as_str(), c.period.as_str(), c.subject.as_str()), ("7B", "3", "Science"));
    assert_eq!((c.lesson_focus.as_str(), c.watch_for.as_str()), ("Density", "Wait time"));

    let obs = run(&mut doc, &mentor(), &[E::SetDate(None)]);
    assert_eq!(obs.context.date, None);
}

#[test]
fn a_note_is_stamped_with_the_moment_it_is_added_and_takes_splices() {
    let mut doc = draft();
    apply(&mut doc, &mentor(), Timestamp(T0.0 + 60_000), &E::AddNote { id: id("n1") }).unwrap();
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            type_into(F::Note(id("n1")), "Clear goal on the board"),
            E::Text {
                field: F::Note(id("n1")),
                splice: Splice { index: 6, delete: 4, insert: "learning goal".into() },
            },
        ],
    );
    let note = &obs.notes[0];
    assert_eq!(note.at, Timestamp(T0.0 + 60_000));
    assert_eq!(note.by, mentor());
    assert_eq!(note.text, "Clear learning goal on the board");
}

#[test]
fn tags_toggle_and_a_note_keeps_one_competency() {
    let mut doc = draft();
    let n = || id("n1");
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            E::AddNote { id: n() },
            E::AddTag { note: n(), tag: Tag::Glow },
            E::AddTag { note: n(), tag: Tag::Grow },
            E::RemoveTag { note: n(), tag: Tag::Grow },
            E::SetCompetency { note: n(), competency: Some(id("c-1")) },
            E::SetCompetency { note: n(), competency: Some(id("c-2")) },
        ],
    );
    assert_eq!(obs.notes[0].tags, vec![Tag::Glow, Tag::Competency(id("c-2"))]);

    let obs = run(&mut doc, &mentor(), &[E::SetCompetency { note: n(), competency: None }]);
    assert_eq!(obs.notes[0].tags, vec![Tag::Glow]);
}

#[test]
fn deleting_a_note_removes_only_that_note() {
    let mut doc = draft();
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            E::AddNote { id: id("n1") },
            E::AddNote { id: id("n2") },
            E::AddNote { id: id("n3") },
            E::DeleteNote { id: id("n2") },
        ],
    );
    let ids: Vec<&str> = obs.notes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1", "n3"]);
}

#[test]
fn strengths_glows_and_grows_land_and_satisfy_strengths_first() {
    let mut doc = draft();
    let obs = run(
        &mut doc,
        &mentor(),
        &[E::AddPoint { kind: Feedback::Grow, id: id("w1") }, type_into(F::Grow(id("w1")), "Wait time")],
    );
    let kinds: Vec<_> = tandem_core::validate::observation_share(&obs).into_iter().map(|p| p.kind).collect();
    assert_eq!(kinds.len(), 3, "no strengths and a grow without a glow: {kinds:?}");

    let obs = run(
        &mut doc,
        &mentor(),
        &[
            type_into(F::OpeningStrength, "Warm welcome at the door"),
            type_into(F::ClosingStrength, "Calm, clear exit ticket"),
            E::AddPoint { kind: Feedback::Glow, id: id("g1") },
            type_into(F::Glow(id("g1")), "Names every student"),
            E::AddPoint { kind: Feedback::Glow, id: id("g2") },
            E::DeletePoint { kind: Feedback::Glow, id: id("g2") },
        ],
    );
    assert_eq!(obs.opening_strength, "Warm welcome at the door");
    assert_eq!(obs.closing_strength, "Calm, clear exit ticket");
    assert_eq!(obs.glows.len(), 1);
    assert_eq!(obs.glows[0].text, "Names every student");
    assert_eq!(obs.grows[0].text, "Wait time");
    assert!(tandem_core::validate::observation_share(&obs).is_empty());
}

#[test]
fn questions_from_the_bank_and_the_mentors_own_land_with_answers() {
    let mut doc = draft();
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            E::AddQuestion {
                id: id("q1"),
                bank_id: Some(id("b-7")),
                prompt: "What is one thing you can do now?".into(),
            },
            E::AddQuestion { id: id("q2"), bank_id: None, prompt: String::new() },
            type_into(F::QuestionPrompt(id("q2")), "How did the group work feel?"),
            E::AddQuestion { id: id("q3"), bank_id: None, prompt: String::new() },
            E::DeleteQuestion { id: id("q3") },
        ],
    );
    assert_eq!(obs.questions.len(), 2);
    assert_eq!(obs.questions[0].bank_id.as_deref(), Some("b-7"));
    assert_eq!(obs.questions[1].bank_id, None);
    assert_eq!(obs.questions[1].prompt, "How did the group work feel?");

    let obs = run(
        &mut doc,
        &associate(),
        &[type_into(F::Answer(id("q1")), "Post the agenda"), type_into(F::Reflection, "It went fast")],
    );
    assert_eq!(obs.questions[0].answer, "Post the agenda");
    assert_eq!(obs.reflection, "It went fast");
}

#[test]
fn next_steps_are_added_linked_and_deleted() {
    let mut doc = draft();
    let obs = run(
        &mut doc,
        &mentor(),
        &[
            E::AddNextStep { id: id("s1"), text: "Try think-pair-share".into(), goal: None },
            type_into(F::NextStep(id("s1")), "Monday: "),
            E::LinkNextStep { id: id("s1"), goal: Some(id("goal-1")) },
            E::AddNextStep { id: id("s2"), text: String::new(), goal: None },
            E::DeleteNextStep { id: id("s2") },
        ],
    );
    assert_eq!(obs.next_steps.len(), 1);
    assert_eq!(obs.next_steps[0].text, "Monday: Try think-pair-share");
    assert_eq!(obs.next_steps[0].goal.as_deref(), Some("goal-1"));
}

#[test]
fn status_changes_and_acknowledgement_keeps_the_first_time() {
    let mut doc = draft();
    let obs = run(&mut doc, &mentor(), &[E::SetStatus(ObservationStatus::Shared)]);
    assert_eq!(obs.status, ObservationStatus::Shared);

    apply(&mut doc, &associate(), Timestamp(T0.0 + 5_000), &E::Acknowledge).unwrap();
    apply(&mut doc, &associate(), Timestamp(T0.0 + 9_000), &E::Acknowledge).unwrap();
    let obs = run(&mut doc, &mentor(), &[E::SetStatus(ObservationStatus::Debriefed)]);
    assert_eq!(obs.acknowledgements.get("u-assoc"), Some(&Timestamp(T0.0 + 5_000)));
    assert_eq!(obs.status, ObservationStatus::Debriefed);
}

#[test]
fn an_edit_to_an_item_someone_deleted_is_an_error_not_a_panic() {
    let mut doc = draft();
    let err = apply(&mut doc, &mentor(), T0, &type_into(F::Note(id("gone")), "x")).unwrap_err();
    assert!(matches!(err, tandem_core::Error::NotFound { .. }), "{err}");
    let err =
        apply(&mut doc, &mentor(), T0, &E::SetCompetency { note: id("gone"), competency: None }).unwrap_err();
    assert!(matches!(err, tandem_core::Error::NotFound { .. }), "{err}");
}

#[test]
fn notes_taken_on_two_devices_at_once_both_survive_a_merge() {
    let mut tablet = draft();
    run(&mut tablet, &mentor(), &[E::AddNote { id: id("n1") }, type_into(F::Note(id("n1")), "Starter")]);
    let mut laptop = tablet.fork(ActorId::from(b"laptop".as_slice()));

    run(&mut tablet, &mentor(), &[E::AddNote { id: id("t1") }, type_into(F::Note(id("t1")), "Tablet note")]);
    run(
        &mut laptop,
        &mentor(),
        &[
            E::AddNote { id: id("l1") },
            type_into(F::Note(id("l1")), "Laptop note"),
            E::Text {
                field: F::Note(id("n1")),
                splice: Splice { index: 7, delete: 0, insert: " task".into() },
            },
        ],
    );
    tablet.merge(&mut laptop).unwrap();
    let obs = tablet.read().unwrap();
    let mut texts: Vec<&str> = obs.notes.iter().map(|n| n.text.as_str()).collect();
    texts.sort_unstable();
    assert_eq!(texts, ["Laptop note", "Starter task", "Tablet note"]);
}

#[test]
fn the_mentors_notes_and_the_associates_answers_written_at_once_both_survive() {
    let mut tablet = draft();
    run(
        &mut tablet,
        &mentor(),
        &[
            E::AddQuestion { id: id("q1"), bank_id: None, prompt: "What worked?".into() },
            E::SetStatus(ObservationStatus::Shared),
        ],
    );
    let mut phone = tablet.fork(ActorId::from(b"phone".as_slice()));

    run(
        &mut tablet,
        &mentor(),
        &[
            E::AddNote { id: id("n9") },
            type_into(F::Note(id("n9")), "Later thought"),
            E::Text {
                field: F::QuestionPrompt(id("q1")),
                splice: Splice { index: 12, delete: 0, insert: " Why?".into() },
            },
        ],
    );
    run(
        &mut phone,
        &associate(),
        &[
            type_into(F::Answer(id("q1")), "The timer"),
            type_into(F::Reflection, "Calmer than last week"),
            E::Acknowledge,
        ],
    );

    phone.merge(&mut tablet).unwrap();
    tablet.merge(&mut phone).unwrap();
    for obs in [tablet.read().unwrap(), phone.read().unwrap()] {
        assert_eq!(obs.notes[0].text, "Later thought");
        assert_eq!(obs.questions[0].prompt, "What worked? Why?");
        assert_eq!(obs.questions[0].answer, "The timer");
        assert_eq!(obs.reflection, "Calmer than last week");
        assert!(obs.acknowledgements.contains_key("u-assoc"));
    }
}
