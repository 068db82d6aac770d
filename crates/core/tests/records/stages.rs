//! Residency stages: the program's ordered stages (the defaults, and a program written before
//! stages existed gaining some on two devices at once), and a pair's readiness for a stage as a
//! pure function of its observations (`tandem_core::readiness`), as data-driven cases through one
//! `check` helper.

use tandem_core::automerge::ActorId;
use tandem_core::model::{ObservationStatus, Tag};
use tandem_core::ops::program::{self as p, CompetencyInit, RequirementInit, StageInit};
use tandem_core::readiness::{self, PairObservation};
use tandem_core::{Doc, Observation, Program, defaults, genesis, ops, share};

use super::support::{T0, associate, at, context, coordinator, device, mentor};

const OLD_PROGRAM: &[u8] = include_bytes!("../fixtures/v1/program.automerge");

/// One lesson of a case: whether it was shared, when, the mentor's ratings (competency, level
/// position) and the running notes tagged with a competency (competency, text).
struct Lesson {
    shared: bool,
    day: u8,
    ratings: &'static [(&'static str, u64)],
    tagged: &'static [(&'static str, &'static str)],
}

struct Case {
    name: &'static str,
    /// Something a coordinator did to the default program first (publish a renamed version).
    program: fn(&mut Doc<Program>),
    lessons: &'static [Lesson],
    stage: &'static str,
    /// Each requirement of the stage as `check` writes it: "title: counted/needed at level or
    /// above, met?; evidence: lesson (rating) [notes], ...".
    expect: &'static [&'static str],
    ready: bool,
}

fn default_program(_: &mut Doc<Program>) {}

/// A competency as published: id, code, title, description, (level name, what it looks like).
type Published = (String, String, String, String, Vec<(String, String)>);

/// Version 2 of the framework renames "Culture of learning" and every level of it; the ids stay.
fn renamed_framework(doc: &mut Doc<Program>) {
    let v1 = doc.read().unwrap();
    let renamed: Vec<Published> = v1
        .framework()
        .unwrap()
        .competencies
        .iter()
        .map(|c| {
            let (title, names) = if c.id == "c-culture" {
                ("Classroom community", ["Emerging", "Growing", "Secure", "Leading"])
            } else {
                (c.title.as_str(), defaults::LEVELS)
            };
            let levels =
                names.iter().zip(&c.levels).map(|(n, l)| (n.to_string(), l.description.clone())).collect();
            (c.id.clone(), c.code.clone(), title.to_owned(), c.description.clone(), levels)
        })
        .collect();
    let levels: Vec<Vec<(&str, &str)>> =
        renamed.iter().map(|(.., ls)| ls.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect()).collect();
    let competencies: Vec<CompetencyInit<'_>> = renamed
        .iter()
        .zip(&levels)
        .map(|((id, code, title, description, _), levels)| CompetencyInit {
            id,
            code,
            title,
            description,
            levels,
        })
        .collect();
    p::publish_framework(doc, &coordinator(), at(5), 2, "Teaching competencies, 2nd edition", &competencies)
        .unwrap();
}

/// Builds the case's program and lessons, computes readiness, and compares it with `expect`.
fn check(case: &Case) {
    let mut program = defaults::program(device("coordinator-laptop"), &coordinator(), T0, "North").unwrap();
    (case.program)(&mut program);
    let program = program.read().unwrap();

    let mut observations: Vec<(String, Observation)> = Vec::new();
    for (n, lesson) in case.lessons.iter().enumerate() {
        let mut ctx = context();
        ctx.date = tandem_core::Date::new(2026, 3, lesson.day);
        let mut draft = genesis::observation(
            ActorId::from(format!("tablet-{n}").as_bytes()),
            &mentor(),
            T0,
            "pair-1",
            &mentor(),
            &associate(),
            &ctx,
        );
        for (i, (competency, text)) in lesson.tagged.iter().enumerate() {
            let tags = [Tag::Competency((*competency).to_owned())];
            ops::observation::add_note(&mut draft, &mentor(), at(i as i64), &format!("n{i}"), text, &tags)
                .unwrap();
        }
        // Every lesson was rated under the first framework version, before any renaming.
        for (i, (competency, level)) in lesson.ratings.iter().enumerate() {
            ops::observation::rate(
                &mut draft,
                &mentor(),
                at(30 + i as i64),
                &format!("r{n}-{i}"),
                competency,
                1,
                *level,
            )
            .unwrap();
        }
        let doc = if lesson.shared {
            ops::observation::set_status(&mut draft, &mentor(), at(40), ObservationStatus::Shared).unwrap();
            share::snapshot(&draft, device("tablet-share"), &mentor(), at(40)).unwrap().read().unwrap()
        } else {
            draft.read().unwrap()
        };
        observations.push((format!("lesson-{n}"), doc));
    }
    let pair: Vec<PairObservation<'_>> =
        observations.iter().map(|(id, observation)| PairObservation { id, observation }).collect();

    let readiness = readiness::readiness(&program, &pair, case.stage).expect("the stage is in the program");
    let lines: Vec<String> = readiness
        .requirements
        .iter()
        .map(|progress| {
            let title =
                progress.evidence.title.clone().unwrap_or_else(|| progress.requirement.competency.clone());
            let level = progress.level_name.clone().unwrap_or_default();
            let evidence: Vec<String> = progress
                .evidence
                .evidence
                .iter()
                .map(|e| {
                    let rating = e.rating.as_ref().map_or("unrated".to_owned(), |(_, name)| name.clone());
                    let notes: Vec<&str> = e.notes.iter().map(|n| n.text.as_str()).collect();
                    format!("{} ({rating}) {notes:?}", e.observation)
                })
                .collect();
            let met = if progress.met { "met" } else { "not yet" };
            let shown = if evidence.is_empty() { "none".to_owned() } else { evidence.join(", ") };
            format!(
                "{title}: {}/{} at {level} or above, {met}; evidence: {shown}",
                progress.counted, progress.requirement.observations
            )
        })
        .collect();
    assert_eq!(lines, case.expect, "case: {}", case.name);
    assert_eq!(readiness.ready(), case.ready, "case: {} (ready)", case.name);
}

const CASES: &[Case] = &[
    Case {
        name: "evidence is counted only from shared observations",
        program: default_program,
        lessons: &[
            Lesson {
                shared: false,
                day: 2,
                ratings: &[("c-culture", 3), ("c-content", 3)],
                tagged: &[("c-culture", "Draft only")],
            },
            Lesson { shared: true, day: 3, ratings: &[("c-culture", 1)], tagged: &[] },
        ],
        stage: "s-parts",
        expect: &[
            "Culture of learning: 1/2 at Developing or above, not yet; evidence: lesson-1 (Developing) []",
            "Essential content: 0/2 at Developing or above, not yet; evidence: none",
        ],
        ready: false,
    },
    Case {
        name: "ratings count towards the bar; tagged notes are evidence shown with links, not counted",
        program: default_program,
        lessons: &[
            Lesson {
                shared: true,
                day: 2,
                ratings: &[("c-culture", 2)],
                tagged: &[
                    ("c-culture", "Every student had a partner to talk to"),
                    ("c-content", "Aim on the board"),
                ],
            },
            Lesson { shared: true, day: 9, ratings: &[("c-culture", 0), ("c-content", 1)], tagged: &[] },
        ],
        stage: "s-parts",
        expect: &[
            "Culture of learning: 1/2 at Developing or above, not yet; evidence: lesson-1 (Beginning) [], lesson-0 (Proficient) [\"Every student had a partner to talk to\"]",
            "Essential content: 1/2 at Developing or above, not yet; evidence: lesson-1 (Developing) [], lesson-0 (unrated) [\"Aim on the board\"]",
        ],
        ready: false,
    },
    Case {
        name: "a competency with no evidence is named, with nothing counted",
        program: default_program,
        lessons: &[
            Lesson { shared: true, day: 2, ratings: &[("c-culture", 2), ("c-content", 2)], tagged: &[] },
            Lesson {
                shared: true,
                day: 4,
                ratings: &[("c-culture", 3), ("c-content", 2), ("c-ownership", 1)],
                tagged: &[],
            },
        ],
        stage: "s-one-class",
        expect: &[
            "Culture of learning: 2/2 at Proficient or above, met; evidence: lesson-1 (Leading) [], lesson-0 (Proficient) []",
            "Essential content: 2/2 at Proficient or above, met; evidence: lesson-1 (Proficient) [], lesson-0 (Proficient) []",
            "Academic ownership: 1/1 at Developing or above, met; evidence: lesson-1 (Developing) []",
            "Demonstration of learning: 0/1 at Developing or above, not yet; evidence: none",
        ],
        ready: false,
    },
    Case {
        name: "ratings made under a framework version that was then renamed still count, shown with the new names",
        program: renamed_framework,
        lessons: &[
            Lesson {
                shared: true,
                day: 2,
                ratings: &[("c-culture", 2), ("c-content", 1)],
                tagged: &[("c-culture", "Calm start")],
            },
            Lesson { shared: true, day: 5, ratings: &[("c-culture", 1), ("c-content", 2)], tagged: &[] },
        ],
        stage: "s-parts",
        expect: &[
            "Classroom community: 2/2 at Growing or above, met; evidence: lesson-1 (Growing) [], lesson-0 (Secure) [\"Calm start\"]",
            "Essential content: 2/2 at Developing or above, met; evidence: lesson-1 (Proficient) [], lesson-0 (Developing) []",
        ],
        ready: true,
    },
    Case {
        name: "the first stage asks for nothing, so an associate is ready for it at once",
        program: default_program,
        lessons: &[],
        stage: "s-alongside",
        expect: &[],
        ready: true,
    },
];

#[test]
fn a_pairs_readiness_for_a_stage_follows_from_its_shared_observations() {
    for case in CASES {
        check(case);
    }
}

#[test]
fn a_later_rating_of_the_same_competency_supersedes_the_earlier_one_and_a_draft_rating_travels_with_the_share()
 {
    let mut draft =
        genesis::observation(device("tablet"), &mentor(), T0, "pair-1", &mentor(), &associate(), &context());
    ops::observation::rate(&mut draft, &mentor(), at(1), "r1", "c-culture", 1, 3).unwrap();
    ops::observation::rate(&mut draft, &mentor(), at(2), "r2", "c-culture", 1, 1).unwrap();
    ops::observation::rate(&mut draft, &mentor(), at(2), "r3", "c-content", 1, 2).unwrap();
    let shared = share::snapshot(&draft, device("tablet-share"), &mentor(), at(3)).unwrap().read().unwrap();
    let standing: Vec<(&str, u64)> =
        shared.ratings().iter().map(|r| (r.competency.as_str(), r.level)).collect();
    assert_eq!(standing, [("c-culture", 1), ("c-content", 2)]);
    assert_eq!(shared.rating_log.len(), 3, "every rating is kept");
}

#[test]
fn a_new_program_has_four_ordered_stages_whose_bars_name_its_competencies_and_levels() {
    let program = defaults::program(device("laptop"), &coordinator(), T0, "North").unwrap().read().unwrap();
    let names: Vec<&str> = program.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Alongside", "Leading parts of lessons", "Teaching one class", "Full responsibility"]);
    let framework = program.framework().unwrap();
    for stage in &program.stages {
        assert!(!stage.responsibility.is_empty(), "{} says what it brings", stage.name);
        for r in &stage.requirements {
            let competency =
                framework.competencies.iter().find(|c| c.id == r.competency).expect("a framework competency");
            assert!(
                (r.level as usize) < competency.levels.len() && r.observations > 0,
                "{}: {r:?}",
                stage.name
            );
        }
    }
    assert!(program.stages[0].requirements.is_empty(), "an associate starts in the first stage");
    assert_eq!(readiness::next_stage(&program, None).map(|s| s.id.as_str()), Some("s-parts"));
    assert_eq!(readiness::next_stage(&program, Some("s-one-class")).map(|s| s.id.as_str()), Some("s-full"));
    assert_eq!(readiness::next_stage(&program, Some("s-full")), None);
}

#[test]
fn a_program_written_before_stages_gains_stages_on_two_devices_at_once_and_keeps_both() {
    let mut laptop = Doc::<Program>::load(OLD_PROGRAM, device("coordinator-laptop")).unwrap();
    assert!(laptop.read().unwrap().stages.is_empty(), "an old program reads with no stages");
    let mut tablet = Doc::<Program>::load(OLD_PROGRAM, device("coordinator-tablet")).unwrap();
    let stage = |id, name| StageInit { id, name, responsibility: "More teaching", requirements: &[] };
    p::add_stage(&mut laptop, &coordinator(), at(1), &stage("s-a", "Alongside")).unwrap();
    p::add_stage(&mut tablet, &coordinator(), at(1), &stage("s-b", "On their own")).unwrap();
    let requirement = RequirementInit { id: "r1", competency: "c-1", observations: 2, level: 1 };
    p::add_requirement(&mut tablet, &coordinator(), at(2), "s-b", &requirement).unwrap();
    laptop.merge(&mut tablet).unwrap();
    tablet.merge(&mut laptop).unwrap();
    for doc in [&laptop, &tablet] {
        let stages = doc.read().unwrap().stages;
        let mut ids: Vec<&str> = stages.iter().map(|s| s.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["s-a", "s-b"], "both devices' stages survive the merge");
        assert_eq!(stages.iter().find(|s| s.id == "s-b").unwrap().requirements.len(), 1);
    }
    // And the stage's own fields are edited in place.
    p::rename_stage(&mut laptop, &coordinator(), at(3), "s-a", "Side by side").unwrap();
    p::splice_stage_responsibility(&mut laptop, &coordinator(), at(3), "s-a", 0, 4, "Much").unwrap();
    p::set_requirement_bar(&mut laptop, &coordinator(), at(3), "s-b", "r1", 3, 2).unwrap();
    let program = laptop.read().unwrap();
    let (_, a) = program.stage("s-a").unwrap();
    assert_eq!((a.name.as_str(), a.responsibility.as_str()), ("Side by side", "Much teaching"));
    let bar = &program.stage("s-b").unwrap().1.requirements[0];
    assert_eq!((bar.observations, bar.level), (3, 2));
    p::delete_requirement(&mut laptop, &coordinator(), at(4), "s-b", "r1").unwrap();
    p::delete_stage(&mut laptop, &coordinator(), at(4), "s-a").unwrap();
    let stages = laptop.read().unwrap().stages;
    assert_eq!((stages.len(), stages[0].requirements.len()), (1, 0));
}
