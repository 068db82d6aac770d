//! Editing through the operations, offline on two devices, and merging.

use tandem_core::automerge::ReadDoc;
use tandem_core::conflict::{self, Field};
use tandem_core::history::history;
use tandem_core::model::{GoalStatus, ObservationStatus, Tag};
use tandem_core::ops::goals::{GoalInit, GoalText};
use tandem_core::ops::observation::{self as o, Feedback, ObservationText as OT};
use tandem_core::ops::{self, goals as g};
use tandem_core::{Date, Error};

use super::support::*;

fn goal_init() -> GoalInit<&'static str> {
    GoalInit {
        title: "Wait time",
        specific: "Pause three seconds after each whole-class question",
        metric: "Questions followed by a 3 s pause",
        baseline: "2 of 10",
        target: "8 of 10",
        realistic: "Builds on a habit",
        due: Date::new(2026, 4, 1),
    }
}

#[test]
fn mentor_and_associate_editing_the_same_note_offline_both_survive() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Students work in pairs.", &[]).unwrap();
    tablet.commit();
    let mut phone = on_phone(&mut tablet);

    // Both offline, both editing the same sentence.
    o::splice(&mut tablet, &mentor(), at(2), OT::Note("n1"), 0, 0, "09:05 ").unwrap();
    o::splice(&mut tablet, &mentor(), at(2), OT::Note("n1"), 28, 1, ", quietly.").unwrap();
    o::splice(&mut phone, &associate(), at(3), OT::Note("n1"), 17, 0, "mixed ").unwrap();
    tablet.commit();
    phone.commit();

    tablet.merge(&mut phone).unwrap();
    phone.merge(&mut tablet).unwrap();
    let expected = "09:05 Students work in mixed pairs, quietly.";
    assert_eq!(tablet.read().unwrap().notes[0].text, expected);
    assert_eq!(phone.read().unwrap(), tablet.read().unwrap());
}

#[test]
fn notes_glows_and_questions_added_on_both_devices_are_all_kept() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Clear starter", &[Tag::Glow]).unwrap();
    o::add_point(&mut tablet, &mentor(), at(2), Feedback::Glow, "gl1", "Warm greeting").unwrap();
    o::add_question(&mut tablet, &mentor(), at(2), "q1", None, "What surprised you?").unwrap();
    o::add_note(&mut phone, &associate(), at(1), "n2", "I forgot the timer", &[Tag::Grow]).unwrap();
    o::add_point(&mut phone, &associate(), at(2), Feedback::Grow, "gr1", "Timer").unwrap();
    tablet.merge(&mut phone).unwrap();
    let obs = tablet.read().unwrap();
    let mut ids: Vec<_> = obs.notes.iter().map(|n| n.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["n1", "n2"]);
    assert_eq!(obs.glows.len(), 1);
    assert_eq!(obs.grows.len(), 1);
    assert_eq!(obs.questions[0].answer, "");
}

#[test]
fn concurrent_status_changes_are_reported_as_a_conflict_not_picked() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    o::set_status(&mut tablet, &mentor(), at(1), ObservationStatus::Closed).unwrap();
    o::set_status(&mut phone, &associate(), at(2), ObservationStatus::Acknowledged).unwrap();
    tablet.merge(&mut phone).unwrap();

    let conflicts = conflict::observation(&mut tablet);
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(c.field, Field::ObservationStatus);
    let mut claims: Vec<_> = c.claims.iter().map(|cl| (cl.text(), cl.by.clone().unwrap(), cl.at)).collect();
    claims.sort();
    assert_eq!(
        claims,
        [("acknowledged".to_owned(), associate(), Some(at(2))), ("closed".to_owned(), mentor(), Some(at(1))),]
    );
    let shown = c.to_string();
    assert!(shown.starts_with("needs agreement on status: "), "{shown}");
    assert!(shown.contains("u-mentor said closed") && shown.contains("u-associate said acknowledged"));
}

#[test]
fn resolving_a_conflict_supersedes_both_values_on_every_replica() {
    let mut tablet = goals();
    g::add_goal(&mut tablet, &mentor(), at(1), "g1", &goal_init()).unwrap();
    let mut phone = on_phone(&mut tablet);
    g::set_status(&mut tablet, &mentor(), at(2), "g1", GoalStatus::Achieved).unwrap();
    g::add_goal(&mut phone, &associate(), at(2), "g2", &GoalInit::default()).unwrap();
    g::rework_goal(&mut phone, &associate(), at(3), "g1", "g2").unwrap();
    sync(&mut tablet, &mut phone);

    let conflicts = conflict::goals(&mut phone);
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, Field::GoalStatus { goal: "g1".into() });
    assert_eq!(conflict::goals(&mut tablet), conflicts, "both replicas report the same");

    let reworked = conflicts[0].claims.iter().find(|c| c.text() == "reworked").unwrap();
    ops::resolve(&mut phone, &associate(), at(5), &conflicts[0], reworked).unwrap();
    sync(&mut tablet, &mut phone);
    assert!(conflict::goals(&mut tablet).is_empty());
    assert!(conflict::goals(&mut phone).is_empty());
    let goal = &tablet.read().unwrap().goals[0];
    assert_eq!(goal.status, GoalStatus::Reworked);
    assert_eq!(goal.reworked_into.as_deref(), Some("g2"));
    let last = history(&mut tablet).into_iter().last().unwrap();
    assert_eq!(last.touched, ["goals/g1/status/resolved"]);
}

#[test]
fn the_same_value_set_by_both_at_once_is_agreement_not_conflict() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    o::set_status(&mut tablet, &mentor(), at(1), ObservationStatus::Debriefed).unwrap();
    o::set_status(&mut phone, &associate(), at(1), ObservationStatus::Debriefed).unwrap();
    tablet.merge(&mut phone).unwrap();
    assert!(conflict::observation(&mut tablet).is_empty());
    assert_eq!(tablet.read().unwrap().status, ObservationStatus::Debriefed);
}

#[test]
fn concurrent_due_dates_and_targets_are_reported_with_who_set_each() {
    let mut tablet = goals();
    g::add_goal(&mut tablet, &mentor(), at(1), "g1", &goal_init()).unwrap();
    let mut phone = on_phone(&mut tablet);
    g::set_due(&mut tablet, &mentor(), at(2), "g1", Date::new(2026, 5, 1)).unwrap();
    g::set_target(&mut tablet, &mentor(), at(2), "g1", "9 of 10").unwrap();
    g::set_due(&mut phone, &associate(), at(2), "g1", Date::new(2026, 6, 1)).unwrap();
    g::set_target(&mut phone, &associate(), at(2), "g1", "7 of 10").unwrap();
    g::set_baseline(&mut phone, &associate(), at(2), "g1", "3 of 10").unwrap();
    tablet.merge(&mut phone).unwrap();
    let fields: Vec<_> = conflict::goals(&mut tablet).into_iter().map(|c| c.field.to_string()).collect();
    assert_eq!(fields, ["goals/g1/due", "goals/g1/measure/target"]);
    let due = &conflict::goals(&mut tablet)[0];
    let by_mentor = due.claims.iter().find(|c| c.by == Some(mentor())).unwrap();
    assert_eq!(by_mentor.text(), "2026-05-01");
    assert_eq!(tablet.read().unwrap().goals[0].measure.baseline, "3 of 10");
}

#[test]
fn edits_join_one_batch_and_the_commit_names_the_user() {
    let mut obs = observation();
    o::add_note(&mut obs, &mentor(), at(1), "n1", "", &[]).unwrap();
    for (i, ch) in "Good pace".chars().enumerate() {
        o::splice(&mut obs, &mentor(), at(1), OT::Note("n1"), i, 0, &ch.to_string()).unwrap();
    }
    o::splice(&mut obs, &mentor(), at(2), OT::OpeningStrength, 0, 0, "Calm start").unwrap();
    assert!(obs.has_pending());
    let hash = obs.commit().unwrap();
    assert!(!obs.has_pending());
    assert_eq!(obs.commit(), None, "nothing left to commit");

    let h = history(&mut obs);
    assert_eq!(h.len(), 2, "genesis and one batch, not one change per keystroke");
    assert_eq!(h[1].hash, hash);
    assert_eq!(h[1].by, Some(mentor()));
    assert_eq!(h[1].at, at(2));
    assert_eq!(h[1].touched, ["notes/n1", "notes/n1/text", "opening_strength"]);
}

#[test]
fn an_edit_by_another_user_first_commits_the_open_batch_under_the_first_users_name() {
    let mut obs = observation();
    o::splice(&mut obs, &mentor(), at(1), OT::OpeningStrength, 0, 0, "Mentor").unwrap();
    o::splice(&mut obs, &associate(), at(2), OT::Reflection, 0, 0, "Associate").unwrap();
    obs.commit();
    let users: Vec<_> = history(&mut obs).into_iter().map(|h| h.by.unwrap()).collect();
    assert_eq!(users, [mentor(), mentor(), associate()]);
}

#[test]
fn handing_the_document_to_sync_commits_the_open_batch_first() {
    let mut obs = observation();
    o::splice(&mut obs, &mentor(), at(1), OT::OpeningStrength, 0, 0, "Calm").unwrap();
    let heads = obs.heads();
    assert!(!obs.has_pending());
    let change = obs.automerge_ref().get_change_by_hash(&heads[0]).unwrap();
    let info = tandem_core::CommitInfo::parse(change.message()).unwrap();
    assert_eq!(info.user, "u-mentor");
    assert_eq!(change.timestamp(), at(1).0 / 1000, "automerge's own time is in seconds");
}

#[test]
fn an_edit_to_an_item_someone_deleted_is_an_error_that_names_it() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "typo", &[]).unwrap();
    o::delete_note(&mut tablet, &mentor(), at(2), "n1").unwrap();
    let err = o::splice(&mut tablet, &mentor(), at(3), OT::Note("n1"), 0, 0, "x").unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "note", ref id } if id == "n1"));
    assert_eq!(err.to_string(), "there is no note with id \"n1\"; refresh and try again");
    let dup = o::add_note(&mut tablet, &mentor(), at(3), "n2", "", &[])
        .and_then(|_| o::add_note(&mut tablet, &mentor(), at(3), "n2", "", &[]));
    assert!(matches!(dup, Err(Error::DuplicateId { what: "note", .. })));
}

#[test]
fn a_splice_past_the_end_is_refused_and_changes_nothing() {
    let mut obs = observation();
    obs.commit();
    let err = o::splice(&mut obs, &mentor(), at(1), OT::Reflection, 1, 0, "x").unwrap_err();
    assert!(matches!(err, Error::OutOfRange { pos: 1, delete: 0, len: 0 }));
    assert!(!obs.has_pending());
    let err = o::splice(&mut obs, &mentor(), at(1), OT::LessonFocus, 0, 100, "").unwrap_err();
    assert!(err.to_string().contains("re-read the text"));
}

#[test]
fn acknowledgements_are_append_only_and_both_people_can_acknowledge_at_once() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    o::acknowledge(&mut phone, &associate(), at(1)).unwrap();
    o::acknowledge(&mut phone, &associate(), at(9)).unwrap();
    o::acknowledge(&mut tablet, &mentor(), at(2)).unwrap();
    tablet.merge(&mut phone).unwrap();
    let acks = tablet.read().unwrap().acknowledgements;
    assert_eq!(acks.get("u-associate"), Some(&at(1)), "the first acknowledgement stands");
    assert_eq!(acks.get("u-mentor"), Some(&at(2)));
}

#[test]
fn a_tag_added_on_both_devices_is_shown_once_and_removing_it_removes_both() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Cold calling", &[]).unwrap();
    let mut phone = on_phone(&mut tablet);
    let tag = Tag::Competency("c-questioning".into());
    o::add_tag(&mut tablet, &mentor(), at(2), "n1", &tag).unwrap();
    o::add_tag(&mut phone, &associate(), at(2), "n1", &tag).unwrap();
    o::add_tag(&mut phone, &associate(), at(2), "n1", &Tag::Grow).unwrap();
    tablet.merge(&mut phone).unwrap();
    assert_eq!(tablet.read().unwrap().notes[0].tags, [tag.clone(), Tag::Grow]);
    o::remove_tag(&mut tablet, &mentor(), at(3), "n1", &tag).unwrap();
    assert_eq!(tablet.read().unwrap().notes[0].tags, [Tag::Grow]);
}

#[test]
fn answers_reflection_and_next_steps_are_written_by_the_associate() {
    let mut obs = observation();
    o::add_question(&mut obs, &mentor(), at(1), "q1", Some("bank-3"), "What would you keep?").unwrap();
    o::add_next_step(&mut obs, &mentor(), at(1), "s1", "Agree a goal", None).unwrap();
    let mut phone = on_phone(&mut obs);
    o::splice(&mut phone, &associate(), at(5), OT::Answer("q1"), 0, 0, "The starter").unwrap();
    o::splice(&mut phone, &associate(), at(5), OT::Reflection, 0, 0, "I talked less").unwrap();
    o::link_next_step(&mut phone, &associate(), at(6), "s1", Some("g-wait")).unwrap();
    o::set_context(&mut obs, &mentor(), at(6), o::ContextField::Period, "3").unwrap();
    obs.merge(&mut phone).unwrap();
    let read = obs.read().unwrap();
    assert_eq!(read.questions[0].answer, "The starter");
    assert_eq!(read.questions[0].bank_id.as_deref(), Some("bank-3"));
    assert_eq!(read.reflection, "I talked less");
    assert_eq!(read.next_steps[0].goal.as_deref(), Some("g-wait"));
    assert_eq!(read.context.period, "3");
}

#[test]
fn a_goal_dropped_by_both_at_once_keeps_both_reasons() {
    let mut tablet = goals();
    g::add_goal(&mut tablet, &mentor(), at(1), "g1", &goal_init()).unwrap();
    let mut phone = on_phone(&mut tablet);
    g::drop_goal(&mut tablet, &mentor(), at(2), "g1", "Timetable changed").unwrap();
    g::drop_goal(&mut phone, &associate(), at(2), "g1", "Moving classes").unwrap();
    tablet.merge(&mut phone).unwrap();
    let goal = &tablet.read().unwrap().goals[0];
    assert_eq!(goal.status, GoalStatus::Dropped);
    assert!(goal.drop_reason.contains("Timetable changed"));
    assert!(goal.drop_reason.contains("Moving classes"));
}

#[test]
fn check_ins_and_wins_from_both_people_accumulate() {
    let mut tablet = goals();
    g::add_goal(&mut tablet, &mentor(), at(1), "g1", &goal_init()).unwrap();
    g::add_action(&mut tablet, &mentor(), at(1), "g1", "a1", "Count to three").unwrap();
    let mut phone = on_phone(&mut tablet);
    g::check_in(&mut phone, &associate(), at(10), "g1", "c1", 40, "4 of 10").unwrap();
    g::add_win(&mut phone, &associate(), at(10), "g1", "w1", "Quiet student answered").unwrap();
    g::set_action_done(&mut phone, &associate(), at(10), "g1", "a1", true).unwrap();
    g::check_in(&mut tablet, &mentor(), at(11), "g1", "c2", 250, "Observed 6 of 10").unwrap();
    g::splice(&mut tablet, &mentor(), at(11), GoalText::Action { goal: "g1", action: "a1" }, 0, 5, "Say")
        .unwrap();
    tablet.merge(&mut phone).unwrap();
    let goal = &tablet.read().unwrap().goals[0];
    assert_eq!(goal.checkins.len(), 2);
    assert!(goal.checkins.iter().any(|c| c.by == associate() && c.progress == 40));
    assert!(goal.checkins.iter().any(|c| c.by == mentor() && c.progress == 100), "clamped to 100");
    assert_eq!(goal.wins[0].text, "Quiet student answered");
    assert_eq!(goal.actions[0].text, "Say to three");
    assert!(goal.actions[0].done);
}

#[test]
fn edits_travel_through_the_automerge_sync_protocol() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Lively discussion", &[]).unwrap();
    o::splice(&mut phone, &associate(), at(2), OT::Reflection, 0, 0, "Went well").unwrap();
    sync(&mut tablet, &mut phone);
    assert_eq!(tablet.read().unwrap(), phone.read().unwrap());
    assert_eq!(tablet.heads(), phone.heads());
    tablet.check_shape().unwrap();
}

#[test]
fn typing_into_a_note_someone_else_deleted_is_refused_after_their_change_arrives() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Pace", &[]).unwrap();
    let mut phone = on_phone(&mut tablet);
    // A run of keystrokes on the tablet...
    o::splice(&mut tablet, &mentor(), at(2), OT::Note("n1"), 4, 0, " ok").unwrap();
    // ...while the note is deleted on the phone, and that arrives by sync.
    o::delete_note(&mut phone, &associate(), at(2), "n1").unwrap();
    sync(&mut tablet, &mut phone);
    let err = o::splice(&mut tablet, &mentor(), at(3), OT::Note("n1"), 0, 0, "x").unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "note", .. }));
    assert!(tablet.read().unwrap().notes.is_empty());
}

#[test]
fn a_long_run_of_keystrokes_lands_exactly_where_typed() {
    let mut obs = observation();
    let typed = "Students 😀 respond to cold calls quickly";
    for (i, ch) in typed.chars().enumerate() {
        o::splice(&mut obs, &mentor(), at(1), OT::Reflection, i, 0, &ch.to_string()).unwrap();
    }
    o::splice(&mut obs, &mentor(), at(1), OT::Reflection, 9, 2, "").unwrap();
    let len = typed.chars().count() - 2;
    assert!(matches!(
        o::splice(&mut obs, &mentor(), at(1), OT::Reflection, len, 1, ""),
        Err(Error::OutOfRange { .. })
    ));
    o::splice(&mut obs, &mentor(), at(1), OT::Reflection, len, 0, "!").unwrap();
    assert_eq!(obs.read().unwrap().reflection, "Students respond to cold calls quickly!");
}

#[test]
fn a_doc_and_a_plain_automerge_replica_in_the_same_process_exchange_changes() {
    // As a native client does: its sync engine keeps plain `Automerge`s.
    let mut app = observation();
    let mut engine = app.to_document().unwrap();
    let seen = app.heads();
    o::add_note(&mut app, &mentor(), at(1), "n1", "Settled quickly", &[]).unwrap();
    engine.apply_changes(app.changes_since(&seen)).unwrap();

    // A remote edit reaches the engine first, then the app.
    let mut remote =
        tandem_core::Doc::<tandem_core::Observation>::from_document(&engine, device("phone")).unwrap();
    let before = remote.heads();
    o::splice(&mut remote, &associate(), at(2), OT::Reflection, 0, 0, "Thanks").unwrap();
    let changes = remote.changes_since(&before);
    engine.apply_changes(changes.clone()).unwrap();
    app.apply_changes(changes).unwrap();

    let from_engine =
        tandem_core::Doc::<tandem_core::Observation>::from_document(&engine, device("x")).unwrap();
    assert_eq!(from_engine.read().unwrap(), app.read().unwrap());
    assert_eq!(app.read().unwrap().reflection, "Thanks");
}
