//! Who wrote what: history and per-character authorship.

use tandem_core::automerge::transaction::Transactable;
use tandem_core::automerge::{ObjType, ReadDoc};
use tandem_core::history::{Authored, history, text_authors};
use tandem_core::ops::observation::{self as o, ObservationText as OT};
use tandem_core::{Doc, Observation, UserId};

use super::support::*;

#[test]
fn history_lists_who_changed_what_and_when_in_causal_order() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(5), "n1", "Good hook", &[]).unwrap();
    tablet.commit();
    let mut phone = on_phone(&mut tablet);
    o::splice(&mut phone, &associate(), at(60), OT::Reflection, 0, 0, "Thanks").unwrap();
    o::acknowledge(&mut phone, &associate(), at(61)).unwrap();
    phone.commit();
    tablet.merge(&mut phone).unwrap();

    let h: Vec<_> = history(&mut tablet).into_iter().map(|e| (e.by.unwrap(), e.at, e.touched)).collect();
    assert_eq!(
        h,
        [
            (mentor(), T0, vec!["created".to_owned()]),
            (mentor(), at(5), vec!["notes/n1".to_owned()]),
            (associate(), at(61), vec!["reflection".to_owned(), "acknowledgements".to_owned()]),
        ]
    );
}

#[test]
fn who_wrote_which_part_of_a_note_is_told_per_character_range() {
    let mut tablet = observation();
    o::add_note(&mut tablet, &mentor(), at(1), "n1", "Students discuss.", &[]).unwrap();
    tablet.commit();
    let mut phone = on_phone(&mut tablet);
    o::splice(&mut phone, &associate(), at(2), OT::Note("n1"), 16, 0, " in pairs").unwrap();
    phone.commit();
    tablet.merge(&mut phone).unwrap();
    o::splice(&mut tablet, &mentor(), at(3), OT::Note("n1"), 0, 8, "Everyone").unwrap();

    let runs = text_authors(&mut tablet, &OT::Note("n1")).unwrap();
    let run = |range: std::ops::Range<usize>, text: &str, by: UserId| Authored {
        range,
        text: text.to_owned(),
        by: Some(by),
    };
    assert_eq!(
        runs,
        [
            run(0..16, "Everyone discuss", mentor()),
            run(16..25, " in pairs", associate()),
            run(25..26, ".", mentor()),
        ]
    );
}

#[test]
fn one_device_used_by_two_people_attributes_each_change_to_the_right_person() {
    let mut shared_tablet = observation();
    o::add_note(&mut shared_tablet, &mentor(), at(1), "n1", "AB", &[]).unwrap();
    o::splice(&mut shared_tablet, &associate(), at(2), OT::Note("n1"), 1, 0, "x").unwrap();
    o::splice(&mut shared_tablet, &mentor(), at(3), OT::Note("n1"), 3, 0, "y").unwrap();
    let runs = text_authors(&mut shared_tablet, &OT::Note("n1")).unwrap();
    let who: Vec<_> = runs.iter().map(|r| (r.text.as_str(), r.by.clone().unwrap())).collect();
    assert_eq!(who, [("A", mentor()), ("x", associate()), ("By", mentor())]);
}

#[test]
fn changes_from_clients_that_record_no_user_read_as_unknown() {
    let mut am = observation().into_automerge();
    let (_, reflection) = am.get(tandem_core::automerge::ROOT, "reflection").unwrap().unwrap();
    assert_eq!(am.object_type(&reflection).unwrap(), ObjType::Text);
    am.splice_text(&reflection, 0, 0, "js").unwrap();
    am.commit();
    let mut obs = Doc::<Observation>::from_automerge(am).unwrap();
    let last = history(&mut obs).pop().unwrap();
    assert_eq!(last.by, None);
    assert!(last.touched.is_empty());
    let runs = text_authors(&mut obs, &OT::Reflection).unwrap();
    assert_eq!(runs[0].by, None);
    assert_eq!(runs[0].text, "js");
}
