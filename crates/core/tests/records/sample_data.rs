//! The demo program the relay serves in demo mode.

use tandem_core::automerge::ActorId;
use tandem_core::model::{GoalStatus, ObservationStatus};
use tandem_core::sample::{Demo, demo};
use tandem_core::{Doc, Goals, MentorNotes, Observation, PairIndex, Program, UserId, validate};

use super::support::*;

fn build() -> Demo {
    demo(|user: &UserId| ActorId::from(user.as_str().as_bytes()), |name| format!("demo:{name}"), T0).unwrap()
}

#[test]
fn the_demo_has_two_pairs_and_goals_that_ended_every_way_a_goal_can() {
    let demo = build();
    let program = demo.program.1.read().unwrap();
    assert_eq!(demo.pairs.len(), 2);
    assert_eq!(tandem_core::sample::PEOPLE.len(), 5);
    assert!(program.question_bank.len() >= 3);
    assert!(!program.framework().unwrap().competencies.is_empty());

    let statuses: Vec<GoalStatus> =
        demo.pairs.iter().flat_map(|p| p.goals.1.read().unwrap().goals).map(|g| g.status).collect();
    for s in GoalStatus::ALL {
        assert!(statuses.contains(s), "no {s} goal in the demo");
    }
    let goals = demo.pairs[0].goals.1.read().unwrap().goals;
    let reworked = goals.iter().find(|g| g.status == GoalStatus::Reworked).unwrap();
    assert!(goals.iter().any(|g| Some(&g.id) == reworked.reworked_into.as_ref()));
    let dropped = goals.iter().find(|g| g.status == GoalStatus::Dropped).unwrap();
    assert!(!dropped.drop_reason.is_empty());
    let achieved = goals.iter().find(|g| g.status == GoalStatus::Achieved).unwrap();
    assert!(achieved.checkins.len() >= 2 && !achieved.wins.is_empty());
    let active = goals.iter().find(|g| g.status == GoalStatus::Active).unwrap();
    assert!(!active.checkins.is_empty());
    // The reworked goal is the demo's example of a goal that was not SMART; its successor is.
    assert!(!validate::goal(reworked, today()).is_empty());
    let successor = goals.iter().find(|g| g.id == "g-transitions-2").unwrap();
    assert_eq!(validate::goal(successor, today()), vec![]);

    let statuses: Vec<ObservationStatus> = demo
        .pairs
        .iter()
        .flat_map(|p| p.observations.iter().map(|(_, o)| o.read().unwrap().status))
        .collect();
    assert!(statuses.contains(&ObservationStatus::Draft));
    assert!(statuses.contains(&ObservationStatus::Shared));
    assert!(statuses.contains(&ObservationStatus::Acknowledged));
}

#[test]
fn every_demo_document_saves_and_loads_as_its_kind_with_the_ids_it_was_given() {
    let mut demo = build();
    let d = || device("reader");
    Doc::<Program>::load(&demo.program.1.save(), d()).unwrap();
    for pair in &mut demo.pairs {
        let index = Doc::<PairIndex>::load(&pair.index.1.save(), d()).unwrap().read().unwrap();
        assert!(index.goals.iter().any(|r| r.id == pair.goals.0));
        assert!(index.observations.iter().all(|r| pair.observations.iter().any(|(id, _)| *id == r.id)));
        Doc::<Goals>::load(&pair.goals.1.save(), d()).unwrap();
        Doc::<MentorNotes>::load(&pair.mentor_notes.1.save(), d()).unwrap();
        for (_, obs) in &mut pair.observations {
            Doc::<Observation>::load(&obs.save(), d()).unwrap();
        }
    }
    let saved = demo.save_all();
    assert_eq!(saved.len(), 10);
    assert!(saved.iter().all(|(id, bytes)| id.starts_with("demo:") && !bytes.is_empty()));
}

#[test]
fn the_demo_is_the_same_every_time_for_the_same_actors_and_time() {
    let (mut a, mut b) = (build(), build());
    assert_eq!(a.program.1.heads(), b.program.1.heads());
    assert_eq!(a.pairs[0].goals.1.heads(), b.pairs[0].goals.1.heads());
}
