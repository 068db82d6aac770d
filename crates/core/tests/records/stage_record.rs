//! A pair's stage record (`tandem_core::edit::stage_record`): who may do what, and the property
//! that proposals, self-assessments and decisions made on three devices and merged in any order
//! end identical, keep every entry anyone made, and show concurrent decisions as needing
//! agreement rather than pick one.

use proptest::prelude::*;
use tandem_core::conflict::{self, Field};
use tandem_core::edit::stage_record::{StageEdit, apply};
use tandem_core::edit::{self, Agreement, Splice};
use tandem_core::model::{StageEntryKind, StageRecord, StageStatus};
use tandem_core::{Doc, Error, UserId, genesis};

use super::support::{T0, associate, at, coordinator, device, mentor};

fn record() -> Doc<StageRecord> {
    genesis::stage_record(device("mentor-tablet"), &mentor(), T0, "pair-1", &mentor(), &associate())
}

fn propose(id: &str, stage: &str) -> StageEdit {
    StageEdit::Propose { id: id.into(), stage: stage.into(), rationale: format!("Ready for {stage}") }
}

#[test]
fn a_proposal_a_self_assessment_and_a_confirmation_move_the_associate_on_and_keep_who_and_when() {
    let mut doc = record();
    apply(&mut doc, &mentor(), at(1), &propose("p1", "s-parts")).unwrap();
    apply(
        &mut doc,
        &associate(),
        at(2),
        &StageEdit::SelfAssess { id: "a1".into(), text: "I feel ready".into() },
    )
    .unwrap();
    apply(
        &mut doc,
        &coordinator(),
        at(3),
        &StageEdit::AskForMore { id: "d1".into(), note: "One more lesson".into() },
    )
    .unwrap();
    let refused =
        apply(&mut doc, &coordinator(), at(4), &StageEdit::Confirm { id: "d2".into(), note: String::new() });
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "nothing open to confirm: {refused:?}");
    apply(&mut doc, &mentor(), at(5), &propose("p2", "s-parts")).unwrap();
    apply(
        &mut doc,
        &coordinator(),
        at(6),
        &StageEdit::Confirm { id: "d3".into(), note: "Well evidenced".into() },
    )
    .unwrap();
    doc.commit();

    let record = doc.read().unwrap();
    assert_eq!((record.current.as_deref(), record.status), (Some("s-parts"), StageStatus::Confirmed));
    let log: Vec<(&str, StageEntryKind, &str, i64)> =
        record.entries.iter().map(|e| (e.id.as_str(), e.kind, e.by.as_str(), e.at.0)).collect();
    assert_eq!(
        log,
        [
            ("p1", StageEntryKind::Proposal, "u-mentor", at(1).0),
            ("a1", StageEntryKind::SelfAssessment, "u-associate", at(2).0),
            ("d1", StageEntryKind::MoreEvidence, "u-coordinator", at(3).0),
            ("p2", StageEntryKind::Proposal, "u-mentor", at(5).0),
            ("d3", StageEntryKind::Confirmed, "u-coordinator", at(6).0),
        ]
    );
    assert_eq!(
        record.entries[1].stage.as_deref(),
        Some("s-parts"),
        "the self-assessment is about the proposal"
    );
}

#[test]
fn each_person_makes_only_their_own_part_of_a_stage_record() {
    let mut doc = record();
    apply(&mut doc, &mentor(), at(1), &propose("p1", "s-parts")).unwrap();
    doc.commit();
    let before = doc.read().unwrap();
    let refused = [
        (associate(), propose("x1", "s-full")),
        (coordinator(), propose("x2", "s-full")),
        (mentor(), StageEdit::SelfAssess { id: "x3".into(), text: "Not mine".into() }),
        (mentor(), StageEdit::Confirm { id: "x4".into(), note: String::new() }),
        (associate(), StageEdit::AskForMore { id: "x5".into(), note: String::new() }),
        (
            associate(),
            StageEdit::Text {
                entry: "p1".into(),
                splice: Splice { index: 0, delete: 5, insert: String::new() },
            },
        ),
    ];
    for (who, edit) in refused {
        let result = apply(&mut doc, &who, at(2), &edit);
        assert!(matches!(result, Err(Error::NotAllowed(_))), "{who}: {edit:?} gave {result:?}");
    }
    assert!(!doc.has_pending());
    assert_eq!(doc.read().unwrap(), before);
}

#[test]
fn a_proposal_and_a_decision_made_offline_on_two_devices_need_agreement_and_a_person_settles_it() {
    let mut tablet = record();
    apply(&mut tablet, &mentor(), at(1), &propose("p1", "s-parts")).unwrap();
    tablet.commit();
    let mut laptop = tablet.fork(device("coordinator-laptop"));
    // Offline, each on their own device: the coordinator asks for more, the mentor proposes again.
    apply(
        &mut laptop,
        &coordinator(),
        at(2),
        &StageEdit::AskForMore { id: "d1".into(), note: "Not yet".into() },
    )
    .unwrap();
    apply(&mut tablet, &mentor(), at(2), &propose("p2", "s-one-class")).unwrap();
    tablet.merge(&mut laptop).unwrap();
    laptop.merge(&mut tablet).unwrap();

    let conflicts = conflict::stage_record(&mut tablet);
    assert_eq!(conflicts, conflict::stage_record(&mut laptop), "both devices show the same");
    let status = conflicts
        .iter()
        .find(|c| c.field == Field::StageStatus)
        .unwrap_or_else(|| panic!("the status needs agreement: {conflicts:?} {:?}", tablet.read().unwrap()));
    let said: Vec<(String, &str)> =
        status.claims.iter().map(|c| (c.text(), c.by.as_ref().unwrap().as_str())).collect();
    assert!(
        said.contains(&("proposed".into(), "u-mentor"))
            && said.contains(&("more-evidence".into(), "u-coordinator"))
    );
    assert_eq!(tablet.read().unwrap().entries.len(), 3, "every entry is kept");

    let choice = status.claims.iter().find(|c| c.text() == "more-evidence").unwrap().value.clone();
    assert!(
        edit::resolve(
            &mut laptop,
            &coordinator(),
            at(3),
            &Agreement { field: Field::StageStatus, value: choice }
        )
        .unwrap()
    );
    tablet.merge(&mut laptop).unwrap();
    assert!(conflict::stage_record(&mut tablet).iter().all(|c| c.field != Field::StageStatus));
    assert_eq!(tablet.read().unwrap().status, StageStatus::MoreEvidence);
}

#[derive(Debug, Clone)]
enum Step {
    Propose { replica: usize, stage: usize },
    SelfAssess { replica: usize },
    Decide { replica: usize, confirm: bool },
    Type { replica: usize, which: f64, insert_len: usize },
    Commit { replica: usize },
    Merge { from: usize, to: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let r = 0..3usize;
    prop_oneof![
        2 => (r.clone(), 0..3usize).prop_map(|(replica, stage)| Step::Propose { replica, stage }),
        2 => r.clone().prop_map(|replica| Step::SelfAssess { replica }),
        2 => (r.clone(), any::<bool>()).prop_map(|(replica, confirm)| Step::Decide { replica, confirm }),
        3 => (r.clone(), 0.0..1.0f64, 1..4usize).prop_map(|(replica, which, insert_len)| Step::Type { replica, which, insert_len }),
        2 => r.clone().prop_map(|replica| Step::Commit { replica }),
        3 => (r.clone(), r).prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

const STAGES: [&str; 3] = ["s-parts", "s-one-class", "s-full"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Three devices (the mentor's, the associate's, the coordinator's), each making its person's
    /// edits where they are allowed, merged in a random order.
    #[test]
    fn stage_record_edits_merged_in_any_order_end_identical_and_keep_every_entry(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let users = [mentor(), associate(), coordinator()];
        let mut first = record();
        let mut replicas: Vec<Doc<StageRecord>> = vec![
            first.fork(device("mentor-tablet-2")),
            first.fork(device("associate-phone")),
            first.fork(device("coordinator-laptop")),
        ];
        let mut made: Vec<String> = Vec::new();
        for (n, step) in steps.iter().enumerate() {
            let t = at(n as i64);
            let id = format!("e{n}");
            let attempt = |doc: &mut Doc<StageRecord>, who: &UserId, edit: StageEdit| apply(doc, who, t, &edit).is_ok();
            match *step {
                Step::Propose { replica, stage } => {
                    let edit = StageEdit::Propose { id: id.clone(), stage: STAGES[stage].into(), rationale: "why".into() };
                    if attempt(&mut replicas[replica], &users[replica], edit) { made.push(id); }
                }
                Step::SelfAssess { replica } => {
                    let edit = StageEdit::SelfAssess { id: id.clone(), text: "how".into() };
                    if attempt(&mut replicas[replica], &users[replica], edit) { made.push(id); }
                }
                Step::Decide { replica, confirm } => {
                    let note = "ok".to_owned();
                    let edit = if confirm { StageEdit::Confirm { id: id.clone(), note } } else { StageEdit::AskForMore { id: id.clone(), note } };
                    if attempt(&mut replicas[replica], &users[replica], edit) { made.push(id); }
                }
                Step::Type { replica, which, insert_len } => {
                    let record = replicas[replica].read().unwrap();
                    let mine: Vec<_> = record.entries.iter().filter(|e| e.by == users[replica]).collect();
                    if !mine.is_empty() {
                        let entry = mine[((which * mine.len() as f64) as usize).min(mine.len() - 1)];
                        let index = entry.text.chars().count();
                        let splice = Splice { index, delete: 0, insert: "x".repeat(insert_len) };
                        let edit = StageEdit::Text { entry: entry.id.clone(), splice };
                        prop_assert!(attempt(&mut replicas[replica], &users[replica], edit));
                    }
                }
                Step::Commit { replica } => { replicas[replica].commit(); }
                Step::Merge { from, to } if from != to => {
                    let mut other = replicas[from].fork(device("transit"));
                    replicas[to].merge(&mut other).unwrap();
                }
                Step::Merge { .. } => {}
            }
        }
        for _ in 0..2 {
            for i in 0..3 {
                for j in 0..3 {
                    if i != j {
                        let mut other = replicas[j].fork(device("transit"));
                        replicas[i].merge(&mut other).unwrap();
                    }
                }
            }
        }
        let reads: Vec<StageRecord> = replicas.iter().map(|r| r.read().unwrap()).collect();
        prop_assert_eq!(&reads[0], &reads[1]);
        prop_assert_eq!(&reads[1], &reads[2]);
        let conflicts: Vec<_> = replicas.iter_mut().map(conflict::stage_record).collect();
        prop_assert_eq!(&conflicts[0], &conflicts[1]);
        prop_assert_eq!(&conflicts[1], &conflicts[2]);
        let mut kept: Vec<&str> = reads[0].entries.iter().map(|e| e.id.as_str()).collect();
        kept.sort();
        made.sort();
        prop_assert_eq!(kept, made.iter().map(String::as_str).collect::<Vec<_>>(), "every entry anyone made is kept, once");
    }
}
