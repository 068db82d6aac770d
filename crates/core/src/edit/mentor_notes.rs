//! An edit to a mentor's private notes, as data, and [`apply`], which writes it through
//! [`crate::ops::mentor_notes`].

use super::Splice;
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{MentorNotes, Timestamp, UserId};
use crate::ops::mentor_notes as ops;

/// One edit to a mentor's private notes. Applied by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotesEdit {
    /// Appends a private note with id `id`, stamped with the moment the edit is applied.
    Add {
        id: String,
        text: String,
    },
    /// One keystroke (or paste, or cut) in a note: merged character by character, so the mentor
    /// writing on the tablet and on a laptop at once keeps both.
    Splice {
        entry: String,
        splice: Splice,
    },
    Delete {
        id: String,
    },
}

impl NotesEdit {
    /// A keystroke: the host batches these (commits on idle) rather than committing each one.
    pub fn is_typing(&self) -> bool {
        matches!(self, NotesEdit::Splice { .. })
    }
}

/// Applies one edit by `by` at `at` to the document's open batch (the caller commits).
///
/// Only the notes' owner writes them: the relay already refuses anyone else's changes to a
/// private document, and this says so again wherever the document is edited, so a device that
/// holds someone else's notes (it never should) cannot add to them either.
pub fn apply(doc: &mut Doc<MentorNotes>, by: &UserId, at: Timestamp, edit: &NotesEdit) -> Result<(), Error> {
    let owner = doc.read()?.owner;
    if &owner != by {
        return Err(Error::NotAllowed(format!("only {owner} writes these private notes")));
    }
    match edit {
        NotesEdit::Add { id, text } => ops::add_entry(doc, by, at, id, text),
        NotesEdit::Splice { entry, splice } => {
            ops::splice(doc, by, at, entry, splice.index, splice.delete, &splice.insert)
        }
        NotesEdit::Delete { id } => ops::delete_entry(doc, by, at, id),
    }
}
