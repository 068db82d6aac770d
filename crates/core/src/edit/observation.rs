//! An edit to an observation, as data, and [`apply`], which writes it through
//! [`crate::ops::observation`].

pub use crate::ops::observation::{ContextField, Feedback, ObservationText, Removed};

use super::Splice;
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Date, Observation, ObservationStatus, Tag, Timestamp, UserId};
use crate::ops::observation as ops;

/// One edit to an observation. Applied by [`apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationEdit {
    /// One keystroke (or paste, or cut) in a prose field.
    Text {
        field: ObservationText<String>,
        splice: Splice,
    },
    /// Class, period or subject (last writer wins).
    SetContext {
        field: ContextField,
        value: String,
    },
    /// The lesson's date; `None` clears it.
    SetDate(Option<Date>),
    /// Appends an empty running note stamped with the moment the edit is applied.
    AddNote {
        id: String,
    },
    DeleteNote {
        id: String,
    },
    AddTag {
        note: String,
        tag: Tag,
    },
    RemoveTag {
        note: String,
        tag: Tag,
    },
    /// Makes `competency` the note's only competency tag (`None`: no competency).
    SetCompetency {
        note: String,
        competency: Option<String>,
    },
    /// Appends an empty glow or grow.
    AddPoint {
        kind: Feedback,
        id: String,
    },
    DeletePoint {
        kind: Feedback,
        id: String,
    },
    /// Appends a question: from the program's bank (`bank_id` and its text) or the mentor's own
    /// (no `bank_id`, usually an empty prompt to write).
    AddQuestion {
        id: String,
        bank_id: Option<String>,
        prompt: String,
    },
    DeleteQuestion {
        id: String,
    },
    AddNextStep {
        id: String,
        text: String,
        goal: Option<String>,
    },
    LinkNextStep {
        id: String,
        goal: Option<String>,
    },
    DeleteNextStep {
        id: String,
    },
    /// Puts back the item `id` deleted from root list `list` ("notes", "glows", "grows",
    /// "questions", "next_steps"), whole and where it stood: Undo, or restoring from history.
    Restore {
        list: String,
        id: String,
    },
    SetStatus(ObservationStatus),
    /// The person applying it has received the feedback (receipt, not agreement).
    Acknowledge,
}

impl ObservationEdit {
    /// A keystroke in a text field: the host need not re-read the record for it (the box
    /// already shows the text) and commits such edits in batches.
    pub fn is_typing(&self) -> bool {
        matches!(self, ObservationEdit::Text { .. })
    }
}

/// Applies one edit by `by` at `at` to the document's open batch (the caller commits).
pub fn apply(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    edit: &ObservationEdit,
) -> Result<(), Error> {
    use ObservationEdit as E;
    match edit {
        E::Text { field, splice } => {
            ops::splice(doc, by, at, field.as_deref(), splice.index, splice.delete, &splice.insert)
        }
        E::SetContext { field, value } => ops::set_context(doc, by, at, *field, value),
        E::SetDate(date) => ops::set_date(doc, by, at, *date),
        E::AddNote { id } => ops::add_note(doc, by, at, id, "", &[]),
        E::DeleteNote { id } => ops::delete_note(doc, by, at, id),
        E::AddTag { note, tag } => ops::add_tag(doc, by, at, note, tag),
        E::RemoveTag { note, tag } => ops::remove_tag(doc, by, at, note, tag),
        E::SetCompetency { note, competency } => set_competency(doc, by, at, note, competency.as_deref()),
        E::AddPoint { kind, id } => ops::add_point(doc, by, at, *kind, id, ""),
        E::DeletePoint { kind, id } => ops::delete_point(doc, by, at, *kind, id),
        E::AddQuestion { id, bank_id, prompt } => {
            ops::add_question(doc, by, at, id, bank_id.as_deref(), prompt)
        }
        E::DeleteQuestion { id } => ops::delete_question(doc, by, at, id),
        E::AddNextStep { id, text, goal } => ops::add_next_step(doc, by, at, id, text, goal.as_deref()),
        E::LinkNextStep { id, goal } => ops::link_next_step(doc, by, at, id, goal.as_deref()),
        E::DeleteNextStep { id } => ops::delete_next_step(doc, by, at, id),
        E::Restore { list, id } => ops::restore_deleted(doc, by, at, list, id),
        E::SetStatus(status) => ops::set_status(doc, by, at, *status),
        E::Acknowledge => ops::acknowledge(doc, by, at),
    }
}

/// A note is evidence for at most one competency: choosing one removes any other.
fn set_competency(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    note: &str,
    competency: Option<&str>,
) -> Result<(), Error> {
    // The tags as the document holds them now (a merge may have brought in another competency),
    // so that afterwards exactly the chosen one is left.
    let tags = doc
        .read()?
        .notes
        .into_iter()
        .find(|n| n.id == note)
        .map(|n| n.tags)
        .ok_or_else(|| Error::NotFound { what: "note", id: note.to_owned() })?;
    for tag in &tags {
        if let Tag::Competency(id) = tag
            && Some(id.as_str()) != competency
        {
            ops::remove_tag(doc, by, at, note, tag)?;
        }
    }
    match competency {
        Some(id) => ops::add_tag(doc, by, at, note, &Tag::Competency(id.to_owned())),
        None => Ok(()),
    }
}
