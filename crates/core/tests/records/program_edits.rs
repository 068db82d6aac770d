//! The coordinator's edits to the framework and the question bank: each framework change is a new
//! version (never an edit of a published one), retired areas and questions stay readable where
//! they were used, and two coordinators' bank edits made apart both survive.

use tandem_core::defaults;
use tandem_core::model::Tag;
use tandem_core::ops::observation::add_question;
use tandem_core::ops::program::*;
use tandem_core::{Doc, Program};

use crate::records::support::*;

fn program() -> Doc<Program> {
    defaults::program(device("laptop"), &coordinator(), T0, "North residency").unwrap()
}

fn titles(doc: &Doc<Program>) -> Vec<String> {
    doc.read().unwrap().framework().unwrap().competencies.iter().map(|c| c.title.clone()).collect()
}

#[test]
fn each_change_to_an_area_publishes_the_next_framework_version_and_leaves_the_published_ones_as_they_were() {
    let (by, mut doc) = (coordinator(), program());
    let levels: &[(&str, &str)] = &[("Emerging", "with a mentor beside them"), ("Secure", "on their own")];
    let added = CompetencyInit {
        id: "c-family",
        code: "5",
        title: "Families as partners",
        description: "Families hear what their child is learning.",
        levels,
    };
    assert_eq!(revise_framework(&mut doc, &by, at(1), &FrameworkChange::Add(added)).unwrap(), 2);
    let culture = doc.read().unwrap().competency("c-culture").unwrap().clone();
    let culture_levels: Vec<(&str, &str)> =
        culture.levels.iter().map(|l| (l.name.as_str(), l.description.as_str())).collect();
    let rename = CompetencyInit {
        id: "c-culture",
        code: "1",
        title: "A culture of learning",
        description: &culture.description,
        levels: &culture_levels,
    };
    assert_eq!(revise_framework(&mut doc, &by, at(2), &FrameworkChange::Edit(rename)).unwrap(), 3);
    let one_level: &[(&str, &str)] = &[("Shown", "seen in the lesson")];
    let describe = CompetencyInit { description: "Families know and help.", levels: one_level, ..added };
    assert_eq!(revise_framework(&mut doc, &by, at(3), &FrameworkChange::Edit(describe)).unwrap(), 4);
    doc.commit();

    let p = doc.read().unwrap();
    assert_eq!(p.frameworks.len(), 4, "every version kept");
    let first = &p.frameworks.iter().find(|f| f.version == 1).unwrap().competencies;
    assert_eq!(first.len(), 4, "version 1 as published");
    assert_eq!(first[0].title, "Culture of learning", "version 1 as published");
    let newest = p.framework().unwrap();
    assert_eq!(newest.title, defaults::FRAMEWORK_TITLE);
    assert_eq!(
        titles(&doc),
        [
            "A culture of learning",
            "Essential content",
            "Academic ownership",
            "Demonstration of learning",
            "Families as partners"
        ]
    );
    let family = p.competency("c-family").unwrap();
    assert_eq!((family.code.as_str(), family.description.as_str()), ("5", "Families know and help."));
    assert_eq!(family.levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Shown"]);
    assert_eq!(newest.competencies[0].levels.len(), 4, "other areas keep their levels");
}

#[test]
fn a_retired_area_leaves_the_picker_but_an_old_note_tagged_with_it_still_reads_its_name() {
    let (by, mut doc) = (coordinator(), program());
    let mut note = observation();
    tandem_core::ops::observation::add_note(
        &mut note,
        &mentor(),
        at(1),
        "n1",
        "Quiet start",
        &[Tag::Competency("c-content".into())],
    )
    .unwrap();
    revise_framework(&mut doc, &by, at(2), &FrameworkChange::Retire { id: "c-content" }).unwrap();
    doc.commit();

    let p = doc.read().unwrap();
    assert!(!p.framework().unwrap().competencies.iter().any(|c| c.id == "c-content"), "not offered");
    let tag = &note.read().unwrap().notes[0].tags[0];
    let Tag::Competency(id) = tag else { panic!("{tag:?}") };
    assert_eq!(p.competency(id).unwrap().title, "Essential content", "the old note still names it");
    assert_eq!(p.retired_competencies().iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c-content"]);
    let again =
        revise_framework(&mut doc, &by, at(3), &FrameworkChange::Retire { id: "c-content" }).unwrap_err();
    assert!(matches!(again, tandem_core::Error::NotFound { what: "competency", .. }), "{again}");
    let twice = CompetencyInit { id: "c-culture", code: "1", title: "x", description: "", levels: &[] };
    let twice = revise_framework(&mut doc, &by, at(3), &FrameworkChange::Add(twice)).unwrap_err();
    assert!(matches!(twice, tandem_core::Error::DuplicateId { what: "competency", .. }), "{twice}");
}

#[test]
fn a_retired_question_is_no_longer_offered_and_an_observation_that_asked_it_keeps_its_words() {
    let (by, mut doc) = (coordinator(), program());
    let asked = doc.read().unwrap().question_bank[0].clone();
    let mut seen = observation();
    add_question(&mut seen, &mentor(), at(1), "q1", Some(&asked.id), &asked.text).unwrap();
    retire_bank_question(&mut doc, &by, at(2), &asked.id).unwrap();
    doc.commit();

    let p = doc.read().unwrap();
    let retired = p.question_bank.iter().find(|q| q.id == asked.id).unwrap();
    assert!(!retired.offered());
    assert_eq!(retired.retired_at, Some(at(2)));
    assert_eq!(p.question_bank.iter().filter(|q| q.offered()).count(), p.question_bank.len() - 1);
    assert_eq!(seen.read().unwrap().questions[0].prompt, asked.text, "the observation keeps its words");

    restore_bank_question(&mut doc, &by, at(3), &asked.id).unwrap();
    doc.commit();
    assert!(doc.read().unwrap().question_bank.iter().all(|q| q.offered()), "offered again");
}

#[test]
fn two_coordinators_adding_and_rewording_questions_apart_keep_both_edits() {
    let by = coordinator();
    let mut laptop = program();
    laptop.commit();
    let mut other = laptop.fork(device("office"));
    add_bank_question(&mut laptop, &by, at(1), "q-new-1", "What would a colleague notice first?", "Planning")
        .unwrap();
    add_bank_question(&mut other, &by, at(1), "q-new-2", "Where did the energy drop?", "Reflection").unwrap();
    let first = laptop.read().unwrap().question_bank[0].clone();
    splice_bank_question(&mut laptop, &by, at(2), &first.id, 0, 0, "Looking back: ").unwrap();
    set_bank_question_theme(&mut other, &by, at(2), &first.id, "Looking back").unwrap();
    laptop.commit();
    other.commit();
    sync(&mut laptop, &mut other);

    for doc in [&laptop, &other] {
        let p = doc.read().unwrap();
        let ids: Vec<&str> = p.question_bank.iter().map(|q| q.id.as_str()).collect();
        assert!(ids.contains(&"q-new-1") && ids.contains(&"q-new-2"), "{ids:?}");
        let q = p.question_bank.iter().find(|q| q.id == first.id).unwrap();
        assert_eq!(q.text, format!("Looking back: {}", first.text));
        assert_eq!(q.theme, "Looking back");
    }
}

#[test]
fn the_consoles_edits_as_data_add_an_area_and_a_question_the_mentors_device_then_offers() {
    use tandem_core::edit::{
        Splice,
        program::{Area, ProgramEdit, apply},
    };
    let (by, mut laptop) = (coordinator(), program());
    laptop.commit();
    let mut tablet = laptop.fork(device("mentor-tablet"));
    let edits = [
        ProgramEdit::AddArea(Area {
            id: "c-family".into(),
            code: "5".into(),
            title: "Families as partners".into(),
            description: "Families hear what their child is learning.".into(),
            levels: vec![("Emerging".into(), "with support".into())],
        }),
        ProgramEdit::AddQuestion {
            id: "q-new".into(),
            theme: "Planning".into(),
            text: "What will you".into(),
        },
        ProgramEdit::QuestionText {
            id: "q-new".into(),
            splice: Splice { index: 13, delete: 0, insert: " try first?".into() },
        },
        ProgramEdit::RetireArea { id: "c-content".into() },
    ];
    for (i, edit) in edits.iter().enumerate() {
        apply(&mut laptop, &by, at(i as i64 + 1), edit).unwrap();
    }
    assert!(edits[2].is_typing() && !edits[1].is_typing());
    laptop.commit();
    sync(&mut laptop, &mut tablet);

    let p = tablet.read().unwrap();
    let offered: Vec<&str> = p.framework().unwrap().competencies.iter().map(|c| c.title.as_str()).collect();
    assert!(
        offered.contains(&"Families as partners") && !offered.contains(&"Essential content"),
        "{offered:?}"
    );
    let q = p.question_bank.iter().find(|q| q.id == "q-new").unwrap();
    assert_eq!(
        (q.text.as_str(), q.theme.as_str(), q.offered()),
        ("What will you try first?", "Planning", true)
    );
    let nowhere = Area {
        id: "c-none".into(),
        code: "9".into(),
        title: "x".into(),
        description: "".into(),
        levels: vec![],
    };
    let unknown = apply(&mut laptop, &by, at(9), &ProgramEdit::EditArea(nowhere));
    assert!(matches!(unknown, Err(tandem_core::Error::NotFound { .. })), "{unknown:?}");
}
