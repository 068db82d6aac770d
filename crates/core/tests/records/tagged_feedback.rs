//! Running notes tagged Glow or Grow are part of the feedback the associate reads
//! (`tandem_core::feedback`), and the strengths-first check counts them.

use tandem_core::feedback::{self, FeedbackPoint, Source};
use tandem_core::model::Tag;
use tandem_core::ops::observation::{self as o, Feedback, ObservationText as OT};
use tandem_core::validate::{self, ProblemKind as K};

use super::support::*;

fn texts<'a>(points: &[FeedbackPoint<'a>]) -> Vec<&'a str> {
    points.iter().map(|p| p.text).collect()
}

#[test]
fn a_note_tagged_glow_is_read_among_the_glows_after_the_written_ones() {
    let mut obs = observation();
    o::add_note(&mut obs, &mentor(), at(3), "n1", "Greets every student by name", &[Tag::Glow]).unwrap();
    o::add_note(&mut obs, &mentor(), at(5), "n2", "Long pause before the task", &[]).unwrap();
    o::add_point(&mut obs, &mentor(), at(40), Feedback::Glow, "g1", "Clear learning goal").unwrap();
    let read = obs.read().unwrap();

    let glows = feedback::points(&read, Feedback::Glow);
    assert_eq!(texts(&glows), ["Clear learning goal", "Greets every student by name"]);
    assert_eq!(glows[0].source, Source::Written);
    assert_eq!(glows[1].source, Source::Note { at: at(3) });
    assert_eq!(glows[1].id, "n1");
    assert_eq!(feedback::points(&read, Feedback::Grow), vec![], "an untagged note is no grow");
}

#[test]
fn a_note_tagged_grow_is_read_among_the_grows_and_untagging_takes_it_out() {
    let mut obs = observation();
    o::add_note(&mut obs, &mentor(), at(7), "n1", "Three students off task at the back", &[]).unwrap();
    o::add_tag(&mut obs, &mentor(), at(8), "n1", &Tag::Grow).unwrap();
    assert_eq!(
        texts(&feedback::points(&obs.read().unwrap(), Feedback::Grow)),
        ["Three students off task at the back"]
    );

    o::remove_tag(&mut obs, &mentor(), at(9), "n1", &Tag::Grow).unwrap();
    assert_eq!(feedback::points(&obs.read().unwrap(), Feedback::Grow), vec![]);
}

#[test]
fn a_corrected_note_reads_corrected_in_the_feedback() {
    let mut obs = observation();
    o::add_note(&mut obs, &mentor(), at(3), "n1", "Wait tme", &[Tag::Grow]).unwrap();
    o::splice(&mut obs, &mentor(), at(30), OT::Note("n1"), 6, 0, "i").unwrap();
    assert_eq!(texts(&feedback::points(&obs.read().unwrap(), Feedback::Grow)), ["Wait time"]);
}

#[test]
fn blank_notes_and_blank_points_are_left_out_of_the_feedback() {
    let mut obs = observation();
    o::add_note(&mut obs, &mentor(), at(3), "n1", "  ", &[Tag::Glow]).unwrap();
    o::add_point(&mut obs, &mentor(), at(4), Feedback::Glow, "g1", "").unwrap();
    assert_eq!(feedback::points(&obs.read().unwrap(), Feedback::Glow), vec![]);
}

#[test]
fn tagged_notes_from_two_offline_devices_are_each_read_once_in_lesson_order() {
    let mut tablet = observation();
    let mut phone = on_phone(&mut tablet);
    // Both devices tag concurrently: one note each, and the same tag on a shared note twice.
    o::add_note(&mut tablet, &mentor(), at(1), "shared", "Calm start", &[]).unwrap();
    tablet.commit();
    sync(&mut tablet, &mut phone);
    o::add_note(&mut tablet, &mentor(), at(20), "late", "Exit ticket ready", &[Tag::Glow]).unwrap();
    o::add_tag(&mut tablet, &mentor(), at(21), "shared", &Tag::Glow).unwrap();
    o::add_note(&mut phone, &mentor(), at(10), "middle", "Praise was specific", &[Tag::Glow]).unwrap();
    o::add_tag(&mut phone, &mentor(), at(11), "shared", &Tag::Glow).unwrap();
    tablet.commit();
    phone.commit();
    sync(&mut tablet, &mut phone);

    let on_tablet = feedback::points(&tablet.read().unwrap(), Feedback::Glow)
        .iter()
        .map(|p| p.id.to_owned())
        .collect::<Vec<_>>();
    let on_phone = feedback::points(&phone.read().unwrap(), Feedback::Glow)
        .iter()
        .map(|p| p.id.to_owned())
        .collect::<Vec<_>>();
    assert_eq!(on_tablet, ["shared", "middle", "late"]);
    assert_eq!(on_phone, on_tablet);
}

#[test]
fn a_note_tagged_glow_balances_the_grows_in_the_strengths_first_check() {
    let mut obs = observation();
    o::splice(&mut obs, &mentor(), at(1), OT::OpeningStrength, 0, 0, "Warm welcome").unwrap();
    o::splice(&mut obs, &mentor(), at(1), OT::ClosingStrength, 0, 0, "Clear summary").unwrap();
    o::add_note(&mut obs, &mentor(), at(2), "n1", "Rushed the plenary", &[Tag::Grow]).unwrap();
    let kinds = |obs: &mut tandem_core::Doc<tandem_core::Observation>| -> Vec<K> {
        validate::observation_share(&obs.read().unwrap()).into_iter().map(|p| p.kind).collect()
    };
    assert_eq!(kinds(&mut obs), [K::GrowsWithoutGlows], "a tagged grow is a grow");

    o::add_note(&mut obs, &mentor(), at(3), "n2", "Every hand up for the hook", &[Tag::Glow]).unwrap();
    assert_eq!(kinds(&mut obs), [], "a tagged glow is a glow");
}
