//! SMART and strengths-first checks: problems as data.

use tandem_core::Date;
use tandem_core::model::{Action, Goal, GoalStatus, Measure};
use tandem_core::ops::goals::{self as g, GoalInit};
use tandem_core::ops::observation::{self as o, Feedback, ObservationText as OT};
use tandem_core::validate::{self, ProblemKind as K, Severity};

use super::support::*;

fn smart_goal() -> Goal {
    Goal {
        id: "g1".into(),
        created_by: mentor(),
        created_at: T0,
        title: "Question, pause, name".into(),
        specific: "Ask the question, pause three seconds, then name a student".into(),
        measure: Measure {
            metric: "Cold calls in that order in a 15-minute tally".into(),
            baseline: "1 of 10".into(),
            target: "8 of 10".into(),
        },
        actions: vec![Action {
            id: "a1".into(),
            text: "Stick a reminder note by the board".into(),
            done: false,
        }],
        realistic: "One habit, two weeks, tallied by the mentor".into(),
        due: Date::new(2026, 4, 1),
        status: GoalStatus::Active,
        reworked_into: None,
        drop_reason: String::new(),
        checkins: vec![],
        wins: vec![],
    }
}

fn kinds(goal: &Goal) -> Vec<K> {
    validate::goal(goal, today()).into_iter().map(|p| p.kind).collect()
}

#[test]
fn a_complete_smart_goal_has_no_problems() {
    assert_eq!(validate::goal(&smart_goal(), today()), vec![]);
}

#[test]
fn a_half_written_goal_is_a_valid_document_and_lists_what_is_missing() {
    let mut doc = goals();
    g::add_goal(&mut doc, &mentor(), at(1), "g1", &GoalInit { title: "Pace", ..Default::default() }).unwrap();
    let goal = &doc.read().unwrap().goals[0];
    assert_eq!(
        kinds(goal),
        [K::NotSpecific, K::NoMetric, K::NoBaseline, K::NoTarget, K::NoAction, K::NotRealistic, K::NoDueDate]
    );
    let problems = validate::goal(goal, today());
    assert!(problems.iter().all(|p| !p.message.is_empty() && !p.field.is_empty()));
    assert_eq!(problems.iter().find(|p| p.kind == K::NotRealistic).unwrap().severity, Severity::Hint);
}

#[test]
fn vague_verbs_in_the_wording_are_pointed_out() {
    let mut goal = smart_goal();
    goal.title = "Improve questioning".into();
    goal.specific = "Be better at waiting".into();
    goal.actions[0].text = "Try to remember".into();
    assert_eq!(
        kinds(&goal),
        [
            K::VagueVerb { phrase: "improve" },
            K::VagueVerb { phrase: "be better at" },
            K::VagueVerb { phrase: "try" },
        ]
    );
    goal.title = "Understand the students".into();
    assert!(kinds(&goal).contains(&K::VagueVerb { phrase: "understand" }));
}

#[test]
fn a_target_without_a_number_is_not_measurable() {
    let mut goal = smart_goal();
    goal.measure.target = "more of them".into();
    assert_eq!(kinds(&goal), [K::TargetNotMeasurable]);
}

#[test]
fn an_action_list_of_empty_actions_has_no_concrete_action() {
    let mut goal = smart_goal();
    goal.actions[0].text = "  ".into();
    assert_eq!(kinds(&goal), [K::NoAction]);
}

#[test]
fn a_past_due_date_matters_only_while_the_goal_is_active() {
    let mut goal = smart_goal();
    goal.due = Date::new(2026, 1, 10);
    assert_eq!(kinds(&goal), [K::DueDatePassed]);
    goal.status = GoalStatus::Achieved;
    assert_eq!(kinds(&goal), []);
    goal.due = Some(today());
    goal.status = GoalStatus::Active;
    assert_eq!(kinds(&goal), [], "due today is not late");
}

#[test]
fn an_ended_goal_says_why_it_ended() {
    let mut goal = smart_goal();
    goal.status = GoalStatus::Reworked;
    assert_eq!(kinds(&goal), [K::ReworkedWithoutSuccessor]);
    goal.reworked_into = Some("g2".into());
    assert_eq!(kinds(&goal), []);
    goal.status = GoalStatus::Dropped;
    assert_eq!(kinds(&goal), [K::DroppedWithoutReason]);
    goal.drop_reason = "Changed schools".into();
    assert_eq!(kinds(&goal), []);
}

#[test]
fn an_observation_without_opening_or_closing_strength_warns_before_sharing() {
    let mut obs = observation();
    let read = obs.read().unwrap();
    let found: Vec<_> = validate::observation_share(&read).into_iter().map(|p| p.kind).collect();
    assert_eq!(found, [K::NoOpeningStrength, K::NoClosingStrength]);
    assert!(validate::observation_share(&read).iter().all(|p| p.severity == Severity::Warning));

    o::splice(&mut obs, &mentor(), at(1), OT::OpeningStrength, 0, 0, "Warm welcome").unwrap();
    o::splice(&mut obs, &mentor(), at(1), OT::ClosingStrength, 0, 0, "Clear summary").unwrap();
    assert_eq!(validate::observation_share(&obs.read().unwrap()), vec![]);
}

#[test]
fn grows_without_any_glow_are_flagged() {
    let mut obs = observation();
    o::splice(&mut obs, &mentor(), at(1), OT::OpeningStrength, 0, 0, "Warm welcome").unwrap();
    o::splice(&mut obs, &mentor(), at(1), OT::ClosingStrength, 0, 0, "Clear summary").unwrap();
    o::add_point(&mut obs, &mentor(), at(1), Feedback::Grow, "gr1", "Pace").unwrap();
    let kinds: Vec<_> =
        validate::observation_share(&obs.read().unwrap()).into_iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [K::GrowsWithoutGlows]);
}
