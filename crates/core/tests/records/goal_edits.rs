//! Goals edits as data (`tandem_core::edit::goals`) applied to real goals documents, and the
//! concurrent cases they exist for: agreement on a status two people set at once
//! (`tandem_core::edit::resolve`).

use tandem_core::automerge::ActorId;
use tandem_core::conflict::{self, ClaimValue, Field};
use tandem_core::edit::goals::{GoalEdit, GoalInit, GoalText, apply};
use tandem_core::edit::{self, Agreement, Splice};
use tandem_core::model::{Date, Goal, GoalStatus};
use tandem_core::{Doc, Goals, Timestamp, UserId, genesis};

const T0: Timestamp = Timestamp(1_790_000_000_000);

fn mentor() -> UserId {
    UserId::new("u-mentor")
}

fn associate() -> UserId {
    UserId::new("u-assoc")
}

fn new_doc() -> Doc<Goals> {
    genesis::goals(ActorId::from(b"tab".as_slice()), &mentor(), T0, "pair-1")
}

fn edit(doc: &mut Doc<Goals>, by: &UserId, minutes: i64, e: GoalEdit) {
    apply(doc, by, Timestamp(T0.0 + minutes * 60_000), &e).expect("the edit applies");
}

fn goal<'a>(goals: &'a Goals, id: &str) -> &'a Goal {
    goals.goals.iter().find(|g| g.id == id).expect("the goal is there")
}

/// A doc with goal g1 titled "Wait time", committed.
fn doc_with_goal() -> Doc<Goals> {
    let mut doc = new_doc();
    edit(&mut doc, &mentor(), 1, GoalEdit::AddGoal { id: "g1".into(), goal: GoalInit::titled("Wait time") });
    doc.commit();
    doc
}

fn splice(index: usize, delete: usize, insert: &str) -> Splice {
    Splice { index, delete, insert: insert.to_owned() }
}

fn g1() -> String {
    "g1".to_owned()
}

#[test]
fn goals_apply_adds_a_goal_with_everything_it_was_given() {
    let mut doc = new_doc();
    let due = Date::new(2026, 12, 1);
    let init = GoalInit {
        title: "Wait time".into(),
        specific: "Wait 3 s after questions".into(),
        metric: "seconds waited".into(),
        baseline: "1 s".into(),
        target: "3 s".into(),
        realistic: "I ask many questions".into(),
        due,
    };
    edit(&mut doc, &mentor(), 1, GoalEdit::AddGoal { id: "g1".into(), goal: init });
    let goals = doc.read().unwrap();
    let g = goal(&goals, "g1");
    assert_eq!(
        (g.title.as_str(), g.specific.as_str(), g.measure.metric.as_str(), g.realistic.as_str()),
        ("Wait time", "Wait 3 s after questions", "seconds waited", "I ask many questions")
    );
    assert_eq!((g.measure.baseline.as_str(), g.measure.target.as_str(), g.due), ("1 s", "3 s", due));
    assert_eq!((g.status, &g.created_by), (GoalStatus::Active, &mentor()));
}

#[test]
fn goals_apply_splices_every_prose_field() {
    let mut doc = doc_with_goal();
    let by = associate();
    edit(&mut doc, &by, 2, GoalEdit::AddAction { goal: "g1".into(), id: "a1".into(), text: "Count".into() });
    let fields = [
        (GoalText::Title { goal: g1() }, 9, "!"),
        (GoalText::Specific { goal: g1() }, 0, "Pause"),
        (GoalText::Metric { goal: g1() }, 0, "seconds"),
        (GoalText::Realistic { goal: g1() }, 0, "small"),
        (GoalText::Action { goal: g1(), action: "a1".into() }, 5, " aloud"),
        (GoalText::DropReason { goal: g1() }, 0, "n/a"),
    ];
    for (field, index, insert) in fields {
        edit(&mut doc, &by, 3, GoalEdit::Splice { field, splice: splice(index, 0, insert) });
    }
    // A deletion too: "Wait time!" loses "Wait ".
    edit(
        &mut doc,
        &by,
        4,
        GoalEdit::Splice { field: GoalText::Title { goal: g1() }, splice: splice(0, 5, "") },
    );
    let goals = doc.read().unwrap();
    let g = goal(&goals, "g1");
    assert_eq!(g.title, "time!");
    assert_eq!(
        (g.specific.as_str(), g.measure.metric.as_str(), g.realistic.as_str()),
        ("Pause", "seconds", "small")
    );
    assert_eq!((g.actions[0].text.as_str(), g.drop_reason.as_str()), ("Count aloud", "n/a"));
}

#[test]
fn goals_apply_sets_baseline_target_and_due_date_and_clears_the_date() {
    let mut doc = doc_with_goal();
    let by = associate();
    edit(&mut doc, &by, 2, GoalEdit::SetBaseline { goal: "g1".into(), value: "1 s".into() });
    edit(&mut doc, &by, 2, GoalEdit::SetTarget { goal: "g1".into(), value: "3 s".into() });
    edit(&mut doc, &by, 2, GoalEdit::SetDue { goal: "g1".into(), due: Date::new(2027, 1, 31) });
    let goals = doc.read().unwrap();
    let g = goal(&goals, "g1");
    assert_eq!((g.measure.baseline.as_str(), g.measure.target.as_str()), ("1 s", "3 s"));
    assert_eq!(g.due, Date::new(2027, 1, 31));
    edit(&mut doc, &by, 3, GoalEdit::SetDue { goal: "g1".into(), due: None });
    assert_eq!(goal(&doc.read().unwrap(), "g1").due, None);
}

#[test]
fn goals_apply_adds_ticks_and_deletes_actions() {
    let mut doc = doc_with_goal();
    let by = associate();
    edit(&mut doc, &by, 2, GoalEdit::AddAction { goal: "g1".into(), id: "a1".into(), text: "Count".into() });
    edit(&mut doc, &by, 2, GoalEdit::AddAction { goal: "g1".into(), id: "a2".into(), text: "Film".into() });
    edit(&mut doc, &by, 3, GoalEdit::SetActionDone { goal: "g1".into(), action: "a1".into(), done: true });
    edit(&mut doc, &by, 4, GoalEdit::DeleteAction { goal: "g1".into(), action: "a2".into() });
    let goals = doc.read().unwrap();
    let actions: Vec<(&str, bool)> =
        goal(&goals, "g1").actions.iter().map(|a| (a.text.as_str(), a.done)).collect();
    assert_eq!(actions, vec![("Count", true)]);
}

#[test]
fn goals_edits_are_typing_only_when_they_splice_prose() {
    let typing = GoalEdit::Splice { field: GoalText::Title { goal: g1() }, splice: splice(0, 0, "W") };
    assert!(typing.is_typing());
    assert!(!GoalEdit::SetTarget { goal: "g1".into(), value: "3".into() }.is_typing());
    assert!(!GoalEdit::AddGoal { id: "g1".into(), goal: GoalInit::default() }.is_typing());
}

#[test]
fn goals_apply_marks_a_goal_achieved() {
    let mut doc = doc_with_goal();
    edit(&mut doc, &associate(), 2, GoalEdit::SetStatus { goal: "g1".into(), status: GoalStatus::Achieved });
    assert_eq!(goal(&doc.read().unwrap(), "g1").status, GoalStatus::Achieved);
}

#[test]
fn goals_apply_rework_creates_the_successor_and_links_it() {
    let mut doc = doc_with_goal();
    let rework =
        GoalEdit::Rework { goal: "g1".into(), successor: "g2".into(), title: "Wait time, 5 s".into() };
    edit(&mut doc, &associate(), 2, rework);
    let goals = doc.read().unwrap();
    let (old, new) = (goal(&goals, "g1"), goal(&goals, "g2"));
    assert_eq!((old.status, old.reworked_into.as_deref()), (GoalStatus::Reworked, Some("g2")));
    assert_eq!(
        (new.title.as_str(), new.status, &new.created_by),
        ("Wait time, 5 s", GoalStatus::Active, &associate())
    );
    // One edit, one change.
    doc.commit();
    let history = tandem_core::history::history(&mut doc);
    assert_eq!(history.len(), 3, "genesis, the first goal, the rework: {history:?}");
    assert_eq!(history[2].by, Some(associate()));
}

#[test]
fn goals_apply_rework_of_a_missing_goal_is_an_error_and_adds_nothing() {
    let mut doc = doc_with_goal();
    let rework = GoalEdit::Rework { goal: "nope".into(), successor: "g2".into(), title: "x".into() };
    let result = apply(&mut doc, &associate(), T0, &rework);
    assert!(matches!(result, Err(tandem_core::Error::NotFound { what: "goal", .. })), "{result:?}");
    assert_eq!(doc.read().unwrap().goals.len(), 1);
}

#[test]
fn goals_apply_drops_a_goal_with_its_reason() {
    let mut doc = doc_with_goal();
    edit(&mut doc, &associate(), 2, GoalEdit::Drop { goal: "g1".into(), reason: "Changed classes".into() });
    let goals = doc.read().unwrap();
    let g = goal(&goals, "g1");
    assert_eq!((g.status, g.drop_reason.as_str()), (GoalStatus::Dropped, "Changed classes"));
}

#[test]
fn goals_apply_records_check_ins_and_wins_with_who_and_when() {
    let mut doc = doc_with_goal();
    let by = associate();
    edit(
        &mut doc,
        &by,
        5,
        GoalEdit::CheckIn { goal: "g1".into(), id: "c1".into(), progress: 60, note: "Better".into() },
    );
    edit(
        &mut doc,
        &by,
        6,
        GoalEdit::AddWin { goal: "g1".into(), id: "w1".into(), text: "Silent 4 s!".into() },
    );
    let goals = doc.read().unwrap();
    let g = goal(&goals, "g1");
    let c = &g.checkins[0];
    assert_eq!((c.id.as_str(), c.progress, c.note.as_str(), &c.by), ("c1", 60, "Better", &by));
    assert_eq!(c.at, Timestamp(T0.0 + 5 * 60_000));
    let w = &g.wins[0];
    assert_eq!((w.text.as_str(), &w.by, w.at), ("Silent 4 s!", &by, Timestamp(T0.0 + 6 * 60_000)));
}

#[test]
fn goals_apply_concurrent_check_ins_on_two_devices_both_survive_the_merge() {
    let mut tablet = doc_with_goal();
    let mut phone = tablet.fork(ActorId::from(b"phone".as_slice()));
    edit(
        &mut tablet,
        &mentor(),
        5,
        GoalEdit::CheckIn { goal: "g1".into(), id: "c-m".into(), progress: 40, note: "".into() },
    );
    edit(
        &mut phone,
        &associate(),
        5,
        GoalEdit::CheckIn { goal: "g1".into(), id: "c-a".into(), progress: 50, note: "".into() },
    );
    tablet.merge(&mut phone).unwrap();
    phone.merge(&mut tablet).unwrap();
    for doc in [&tablet, &phone] {
        let goals = doc.read().unwrap();
        let mut ids: Vec<&str> = goal(&goals, "g1").checkins.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec!["c-a", "c-m"]);
    }
}

#[test]
fn goals_concurrent_status_changes_need_agreement_until_a_person_resolves_them() {
    let mut tablet = doc_with_goal();
    let mut phone = tablet.fork(ActorId::from(b"phone".as_slice()));
    edit(&mut tablet, &mentor(), 5, GoalEdit::SetStatus { goal: "g1".into(), status: GoalStatus::Achieved });
    edit(
        &mut phone,
        &associate(),
        6,
        GoalEdit::Rework { goal: "g1".into(), successor: "g2".into(), title: "More".into() },
    );
    tablet.merge(&mut phone).unwrap();

    let conflicts = conflict::goals(&mut tablet);
    let field = Field::GoalStatus { goal: "g1".into() };
    let status = conflicts.iter().find(|c| c.field == field).expect("the status needs agreement");
    let mut said: Vec<(Option<UserId>, String)> =
        status.claims.iter().map(|c| (c.by.clone(), c.text())).collect();
    said.sort();
    assert_eq!(said, vec![(Some(associate()), "reworked".into()), (Some(mentor()), "achieved".into())]);

    // A value nobody claimed, or a field with no conflict, writes nothing.
    let other = Agreement { field: field.clone(), value: ClaimValue::from("dropped") };
    assert!(!edit::resolve(&mut tablet, &mentor(), T0, &other).unwrap());
    let calm = Agreement { field: Field::GoalDue { goal: "g1".into() }, value: ClaimValue::from("achieved") };
    assert!(!edit::resolve(&mut tablet, &mentor(), T0, &calm).unwrap());

    let achieved = Agreement { field: field.clone(), value: ClaimValue::from("achieved") };
    assert!(edit::resolve(&mut tablet, &mentor(), Timestamp(T0.0 + 600_000), &achieved).unwrap());
    tablet.commit();
    assert!(conflict::goals(&mut tablet).iter().all(|c| c.field != field), "the status conflict is gone");
    assert_eq!(goal(&tablet.read().unwrap(), "g1").status, GoalStatus::Achieved);

    // The other device takes the resolution and agrees.
    phone.merge(&mut tablet).unwrap();
    assert!(conflict::goals(&mut phone).iter().all(|c| c.field != field));
    assert_eq!(goal(&phone.read().unwrap(), "g1").status, GoalStatus::Achieved);
}
