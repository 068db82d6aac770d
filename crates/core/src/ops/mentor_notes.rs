//! Edits to a mentor's private notes.

use automerge::{ObjId, ObjType};

use super::{TextField, delete_item, ensure_new, push_item, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{MentorNotes, Timestamp, UserId};

/// The text of the private note with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryText<'a>(pub &'a str);

impl TextField<MentorNotes> for EntryText<'_> {
    fn locate(&self, doc: &Doc<MentorNotes>) -> Result<ObjId, Error> {
        let entry = doc.root_item("entries", "private note", self.0)?;
        doc.child_of(&entry, "text", ObjType::Text)
    }

    fn label(&self) -> String {
        format!("entries/{}", self.0)
    }
}

/// Appends a private note.
pub fn add_entry(
    doc: &mut Doc<MentorNotes>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    text: &str,
) -> Result<(), Error> {
    let list = doc.root_child("entries", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "private note", id)?;
    let am = doc.begin(by, at, &format!("entries/{id}"));
    let item = push_item(am, &list, id)?;
    put_time(am, &item, "at", at)?;
    put_text(am, &item, "text", text)?;
    Ok(())
}

pub fn splice(
    doc: &mut Doc<MentorNotes>,
    by: &UserId,
    at: Timestamp,
    entry: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &EntryText(entry), pos, delete, insert)
}

pub fn delete_entry(doc: &mut Doc<MentorNotes>, by: &UserId, at: Timestamp, id: &str) -> Result<(), Error> {
    let list = doc.root_child("entries", ObjType::List)?;
    doc.root_item("entries", "private note", id)?;
    let am = doc.begin(by, at, &format!("entries/{id}/deleted"));
    delete_item(am, &list, "private note", id)
}
