//! The feedback an associate reads: the glows and grows the mentor wrote, followed by the running
//! notes the mentor tagged Glow or Grow during the lesson.
//!
//! Tagged notes are not copied into the glows and grows lists: the feedback is derived from them
//! on every read. A copy would go stale when the note is corrected afterwards, would come back
//! twice when two devices copied the same note offline, and would ask the mentor to retype what
//! they already marked in class. Untagging a note takes it out of the feedback again.

use crate::model::{Note, Observation, Tag, Timestamp};
pub use crate::ops::observation::Feedback;

/// One glow or grow as the reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackPoint<'a> {
    /// The point's id, or the note's for a point that comes from a note.
    pub id: &'a str,
    pub text: &'a str,
    pub source: Source,
}

/// Where a point of feedback comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Written in the glows or grows list.
    Written,
    /// A running note tagged Glow or Grow, taken at this moment of the lesson.
    Note { at: Timestamp },
}

impl Feedback {
    /// The running-note tag that puts a note among these points.
    pub fn tag(self) -> Tag {
        match self {
            Feedback::Glow => Tag::Glow,
            Feedback::Grow => Tag::Grow,
        }
    }
}

/// The glows (or grows) an associate reads, in order: the written points first, then the tagged
/// notes in lesson order. Blank points and blank notes say nothing to the reader and are left out.
pub fn points(obs: &Observation, kind: Feedback) -> Vec<FeedbackPoint<'_>> {
    let written = match kind {
        Feedback::Glow => &obs.glows,
        Feedback::Grow => &obs.grows,
    };
    let written = written.iter().filter(|p| !blank(&p.text)).map(|p| FeedbackPoint {
        id: &p.id,
        text: &p.text,
        source: Source::Written,
    });
    let mut notes: Vec<&Note> = tagged_notes(obs, kind).collect();
    // The list keeps the order notes were added in; a merge of two devices' notes interleaves them,
    // so order by the moment each was taken.
    notes.sort_by_key(|n| n.at);
    let notes = notes.into_iter().map(|n| FeedbackPoint {
        id: &n.id,
        text: &n.text,
        source: Source::Note { at: n.at },
    });
    written.chain(notes).collect()
}

/// The non-blank running notes tagged with `kind`'s tag, in the document's order.
pub fn tagged_notes(obs: &Observation, kind: Feedback) -> impl Iterator<Item = &Note> {
    let tag = kind.tag();
    obs.notes.iter().filter(move |n| !blank(&n.text) && n.tags.contains(&tag))
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}
