//! Genesis and loading: a document's structure is made once, and loading checks it.

use tandem_core::automerge::transaction::Transactable;
use tandem_core::automerge::{AutoCommit, ObjType, ReadDoc};
use tandem_core::history::history;
use tandem_core::model::ObservationStatus;
use tandem_core::{Doc, Error, Goals, MentorNotes, Observation, PairIndex, genesis, ops};

use super::support::*;

#[test]
fn a_new_observation_is_an_empty_draft_with_its_context() {
    let obs = observation().read().unwrap();
    assert_eq!(obs.status, ObservationStatus::Draft);
    assert_eq!(obs.schema, 1);
    assert_eq!(obs.created_by, mentor());
    assert_eq!(obs.created_at, T0);
    assert_eq!(obs.mentor, mentor());
    assert_eq!(obs.associate, associate());
    assert_eq!(obs.context.class, "7B");
    assert_eq!(obs.context.date, Some(today()));
    assert_eq!(obs.context.watch_for, "Do I talk too much?");
    assert!(obs.notes.is_empty() && obs.glows.is_empty() && obs.questions.is_empty());
    assert_eq!(obs.opening_strength, "");
    assert!(obs.acknowledgements.is_empty());
}

#[test]
fn every_kind_of_document_is_created_in_one_change_by_its_creator() {
    let d = || device("laptop");
    let by = coordinator();
    let mut program = genesis::program(d(), &by, T0, "Residency");
    let mut notes = genesis::mentor_notes(d(), &by, T0, "pair-1");
    let mut index = genesis::pair_index(d(), &by, T0, "pair-1", &mentor(), &associate());
    let mut goals = genesis::goals(d(), &by, T0, "pair-1");
    let mut obs = observation();
    for h in [history(&mut program), history(&mut notes), history(&mut index), history(&mut goals)] {
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].by, Some(by.clone()));
        assert_eq!(h[0].at, T0);
        assert_eq!(h[0].touched, vec!["created".to_owned()]);
    }
    assert_eq!(history(&mut obs).len(), 1);
    assert_eq!(program.read().unwrap().name, "Residency");
    assert_eq!(notes.read().unwrap().owner, by);
    assert_eq!(index.read().unwrap().pair, "pair-1");
    assert_eq!(goals.read().unwrap().goals, vec![]);
}

#[test]
fn a_saved_document_loads_back_with_the_same_content() {
    let mut obs = observation();
    ops::observation::add_note(&mut obs, &mentor(), at(1), "n1", "Starts on time", &[]).unwrap();
    let bytes = obs.save();
    let loaded = Doc::<Observation>::load(&bytes, device("other")).unwrap();
    assert_eq!(loaded.read().unwrap(), obs.read().unwrap());
}

#[test]
fn loading_the_wrong_kind_of_document_is_an_error_that_says_what_to_do() {
    let bytes = goals().save();
    let err = Doc::<Observation>::load(&bytes, device("x")).unwrap_err();
    assert!(matches!(err, Error::WrongKind { expected: "observation", ref found } if found == "goals"));
    assert_eq!(
        err.to_string(),
        "this is a goals document, not a observation; open it with the matching type"
    );
}

#[test]
fn bytes_that_are_not_a_document_are_an_error_not_a_panic() {
    for bytes in [&b""[..], b"hello", &[0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]] {
        let err = Doc::<Goals>::load(bytes, device("x")).unwrap_err();
        assert!(matches!(err, Error::Malformed(_) | Error::WrongKind { .. }), "{err:?}");
    }
    let mut truncated = observation().save();
    truncated.truncate(truncated.len() / 2);
    let err = Doc::<Observation>::load(&truncated, device("x")).unwrap_err();
    assert!(err.to_string().contains("fetch the document again"), "{err}");
}

#[test]
fn a_document_from_a_newer_app_is_refused_with_a_request_to_update() {
    let mut am = observation().into_automerge();
    am.put(tandem_core::automerge::ROOT, "schema", 7_u64).unwrap();
    am.commit();
    let err = Doc::<Observation>::load(&am.save(), device("x")).unwrap_err();
    assert!(matches!(err, Error::NewerSchema { found: 7, supported: 1, .. }));
    assert!(err.to_string().ends_with("update the app"));
}

#[test]
fn a_document_missing_part_of_its_structure_is_refused() {
    let mut am = observation().into_automerge();
    am.delete(tandem_core::automerge::ROOT, "notes").unwrap();
    am.commit();
    let err = Doc::<Observation>::load(&am.save(), device("x")).unwrap_err();
    assert!(matches!(err, Error::Shape { kind: "observation", .. }), "{err:?}");
}

#[test]
fn prose_stored_as_a_plain_string_is_refused_because_it_could_not_merge() {
    let mut am = observation().into_automerge();
    am.put(tandem_core::automerge::ROOT, "reflection", "plain").unwrap();
    am.commit();
    assert!(matches!(Doc::<Observation>::load(&am.save(), device("x")), Err(Error::Shape { .. })));
}

/// Why genesis happens once: the failure it prevents, shown with raw automerge.
#[test]
fn two_devices_each_creating_the_notes_list_lose_one_sides_notes_which_genesis_once_prevents() {
    let mut tablet = AutoCommit::new().with_actor(device("tablet"));
    let mut phone = AutoCommit::new().with_actor(device("phone"));
    for (doc, text) in [(&mut tablet, "from tablet"), (&mut phone, "from phone")] {
        let notes = doc.put_object(tandem_core::automerge::ROOT, "notes", ObjType::List).unwrap();
        doc.insert(&notes, 0, text).unwrap();
        doc.commit();
    }
    tablet.merge(&mut phone).unwrap();
    let (_, notes) = tablet.get(tandem_core::automerge::ROOT, "notes").unwrap().unwrap();
    assert_eq!(tablet.length(&notes), 1, "one side's list, and its note, is gone");

    // With the structure made once by the creator, both sides' notes survive.
    let mut on_tablet = observation();
    let mut on_phone = on_phone(&mut on_tablet);
    ops::observation::add_note(&mut on_tablet, &mentor(), at(1), "n1", "from tablet", &[]).unwrap();
    ops::observation::add_note(&mut on_phone, &associate(), at(1), "n2", "from phone", &[]).unwrap();
    on_tablet.merge(&mut on_phone).unwrap();
    assert_eq!(on_tablet.read().unwrap().notes.len(), 2);
}

#[test]
fn a_program_keeps_versioned_frameworks_with_levels_and_a_question_bank_and_no_people() {
    let by = coordinator();
    let mut program = genesis::program(device("laptop"), &by, T0, "Residency");
    use ops::program::*;
    let levels: &[(&str, &str)] = &[("Beginning", "with support"), ("Proficient", "on their own")];
    let c = |id, code| CompetencyInit { id, code, title: "t", description: "d", levels };
    publish_framework(&mut program, &by, at(4), 1, "v1", &[c("c-a", "1.1")]).unwrap();
    publish_framework(&mut program, &by, at(5), 2, "v2", &[c("c-a", "1.1"), c("c-b", "1.2")]).unwrap();
    let err = publish_framework(&mut program, &by, at(6), 2, "again", &[]).unwrap_err();
    assert!(matches!(err, Error::DuplicateId { what: "framework version", .. }));
    add_bank_question(&mut program, &by, at(7), "q1", "What went well?", "reflection").unwrap();
    splice_bank_question(&mut program, &by, at(8), "q1", 14, 0, " really").unwrap();
    program.commit();

    let p = program.read().unwrap();
    assert_eq!(p.frameworks.len(), 2, "old framework versions are kept");
    assert_eq!(p.framework().unwrap().competencies.len(), 2);
    let first = &p.framework().unwrap().competencies[0];
    assert_eq!(first.levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Beginning", "Proficient"]);
    assert_eq!(first.levels[1].description, "on their own");
    assert_eq!(p.question_bank[0].text, "What went well really?");
    // People, pairs and cohorts are the relay's accounts: the document has no place for them.
    use tandem_core::automerge::ReadDoc;
    for key in ["people", "pairs", "cohorts"] {
        assert!(program.automerge_ref().get(tandem_core::automerge::ROOT, key).unwrap().is_none(), "{key}");
    }
}

#[test]
fn a_new_program_starts_with_four_competency_areas_with_levels_and_thirty_open_questions_by_theme() {
    let by = coordinator();
    let program = tandem_core::defaults::program(device("relay"), &by, T0, "North residency").unwrap();
    let p = program.read().unwrap();
    assert_eq!(p.name, "North residency");
    let framework = p.framework().unwrap();
    let titles: Vec<&str> = framework.competencies.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Culture of learning", "Essential content", "Academic ownership", "Demonstration of learning"]
    );
    for c in &framework.competencies {
        assert!(!c.description.is_empty(), "{} has a description", c.title);
        assert_eq!(c.levels.len(), 4, "{} has four levels", c.title);
        assert!(c.levels.iter().all(|l| !l.description.is_empty()));
    }
    assert!(p.question_bank.len() >= 25, "{} questions", p.question_bank.len());
    assert!(p.themes().len() >= 5, "grouped by theme: {:?}", p.themes());
    // Open-ended: a coaching question asks the associate to find the answer, so it starts with
    // a question word, never with one that invites "yes" or "no".
    let yes_no = [
        "do ", "did ", "does ", "is ", "are ", "was ", "were ", "can ", "could ", "would ", "will ",
        "should ", "have ", "has ",
    ];
    let open = ["what ", "which ", "how ", "where ", "when ", "who ", "why "];
    for q in &p.question_bank {
        let lower = q.text.to_lowercase();
        assert!(open.iter().any(|w| lower.starts_with(w)), "not open-ended: {}", q.text);
        assert!(!yes_no.iter().any(|w| lower.starts_with(w)), "a yes/no question: {}", q.text);
        assert!(q.text.ends_with('?'), "{}", q.text);
    }
    let mut ids: Vec<&str> = p.question_bank.iter().map(|q| q.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), p.question_bank.len(), "question ids are unique");
}

#[test]
fn private_notes_and_the_pair_index_are_edited_through_their_operations() {
    let mut notes: Doc<MentorNotes> = genesis::mentor_notes(device("t"), &mentor(), T0, "pair-1");
    ops::mentor_notes::add_entry(&mut notes, &mentor(), at(1), "e1", "Tired today").unwrap();
    ops::mentor_notes::splice(&mut notes, &mentor(), at(2), "e1", 5, 0, " (Monday)").unwrap();
    ops::mentor_notes::add_entry(&mut notes, &mentor(), at(3), "e2", "scratch").unwrap();
    ops::mentor_notes::delete_entry(&mut notes, &mentor(), at(4), "e2").unwrap();
    let read = notes.read().unwrap();
    assert_eq!(read.entries.len(), 1);
    assert_eq!(read.entries[0].text, "Tired (Monday) today");

    use ops::pair_index::{Listing, add, remove};
    let mut index: Doc<PairIndex> =
        genesis::pair_index(device("t"), &mentor(), T0, "pair-1", &mentor(), &associate());
    let mut phone = on_phone(&mut index);
    add(&mut index, &mentor(), at(1), Listing::Observations, "doc-a", "7B English").unwrap();
    add(&mut index, &mentor(), at(1), Listing::Observations, "doc-a", "7B English").unwrap();
    add(&mut phone, &associate(), at(1), Listing::Observations, "doc-a", "7B English").unwrap();
    add(&mut phone, &associate(), at(1), Listing::Goals, "doc-g", "Goals").unwrap();
    index.merge(&mut phone).unwrap();
    let read = index.read().unwrap();
    assert_eq!(read.observations.len(), 1, "listed by both at once, seen once");
    assert_eq!(read.goals.len(), 1);
    remove(&mut index, &mentor(), at(2), Listing::Observations, "doc-a").unwrap();
    assert!(index.read().unwrap().observations.is_empty());
}
