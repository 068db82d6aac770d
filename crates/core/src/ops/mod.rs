//! Every edit to every document, as functions of (document, acting user, time, what to do).
//!
//! Nothing else in the crate or outside it writes to a document after its genesis. Each operation
//!
//! - takes the acting user and the time as arguments (the core has no clock);
//! - takes caller-generated ids for new list items (the core has no randomness);
//! - writes with automerge's transaction API at the exact object it means: text edits are
//!   `splice_text` on a `Text` object, list items are inserted (never a list replaced), scalars
//!   are `put`. This is what makes concurrent edits merge: two splices into the same text both
//!   survive, two inserts into the same list both survive, a put supersedes exactly the values
//!   its writer had seen;
//! - does not commit: edits join the document's open batch, which the caller commits with
//!   [`crate::Doc::commit`].
//!
//! Text positions and lengths count Unicode code points.
//!
//! The submodules follow the documents: [`observation`], [`goals`], [`mentor_notes`],
//! [`pair_index`], [`program`], [`stage_record`]; [`resolve`] settles a reported [`crate::conflict::Conflict`].
//! What a person's edit in the app means in terms of these operations (one edit may be several
//! of them) is [`crate::edit`].

pub mod goals;
pub mod mentor_notes;
pub mod observation;
pub mod pair_index;
pub mod program;
pub mod stage_record;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::conflict::{Claim, Conflict};
use crate::doc::{Doc, Schema, TextCache};
use crate::error::Error;
use crate::model::{Timestamp, UserId};

/// Writes the value a person chose for a conflicted field. The write has seen every conflicting
/// value, so it supersedes all of them on every replica.
pub fn resolve<S: Schema>(
    doc: &mut Doc<S>,
    by: &UserId,
    at: Timestamp,
    conflict: &Conflict,
    choice: &Claim,
) -> Result<(), Error> {
    let label = format!("{}/resolved", conflict.field);
    let am = doc.begin(by, at, &label);
    am.put(&conflict.obj, conflict.key, choice.value.0.clone())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the operations, genesis and sharing.
// ---------------------------------------------------------------------------------------------

/// The object at `obj[key]`, which must be a container of type `ty`.
pub(crate) fn child(am: &AutoCommit, obj: &ObjId, key: &str, ty: ObjType) -> Result<ObjId, ShapeError> {
    match am.get(obj, key) {
        Ok(Some((Value::Object(t), id))) if t == ty => Ok(id),
        _ => Err(ShapeError(format!("{key} is not a {ty:?}"))),
    }
}

/// A shape problem found while resolving a path; turned into [`Error::Shape`] with the kind.
#[derive(Debug)]
pub(crate) struct ShapeError(pub(crate) String);

/// Finds the list item (a map) whose `id` field is `id`: its index and object id.
///
/// A linear scan: lists here hold tens of items, and ids are strings chosen by the client.
pub(crate) fn find(am: &AutoCommit, list: &ObjId, id: &str) -> Option<(usize, ObjId)> {
    (0..am.length(list)).find_map(|i| match am.get(list, i) {
        Ok(Some((Value::Object(ObjType::Map), item))) => {
            let matches = matches!(
                am.get(&item, "id"),
                Ok(Some((Value::Scalar(s), _))) if s.as_str() == Some(id)
            );
            matches.then_some((i, item))
        }
        _ => None,
    })
}

/// Creates `obj[key]` as a `Text` holding `value`.
pub(crate) fn put_text(am: &mut AutoCommit, obj: &ObjId, key: &str, value: &str) -> Result<ObjId, Error> {
    let text = am.put_object(obj, key, ObjType::Text)?;
    if !value.is_empty() {
        am.splice_text(&text, 0, 0, value)?;
    }
    Ok(text)
}

/// Writes an optional string: the string or `null`.
pub(crate) fn put_opt(am: &mut AutoCommit, obj: &ObjId, key: &str, value: Option<&str>) -> Result<(), Error> {
    match value {
        Some(v) => am.put(obj, key, v)?,
        None => am.put(obj, key, ScalarValue::Null)?,
    }
    Ok(())
}

pub(crate) fn put_time(am: &mut AutoCommit, obj: &ObjId, key: &str, at: Timestamp) -> Result<(), Error> {
    am.put(obj, key, ScalarValue::Timestamp(at.0))?;
    Ok(())
}

/// Appends a new map to `list` with its `id` already set.
pub(crate) fn push_item(am: &mut AutoCommit, list: &ObjId, id: &str) -> Result<ObjId, Error> {
    let len = am.length(list);
    let item = am.insert_object(list, len, ObjType::Map)?;
    am.put(&item, "id", id)?;
    Ok(item)
}

/// Deletes the list item with the given id.
pub(crate) fn delete_item(
    am: &mut AutoCommit,
    list: &ObjId,
    what: &'static str,
    id: &str,
) -> Result<(), Error> {
    let (index, _) = find(am, list, id).ok_or_else(|| Error::NotFound { what, id: id.to_owned() })?;
    am.delete(list, index)?;
    Ok(())
}

/// Fails if `id` is already used in `list`.
pub(crate) fn ensure_new(am: &AutoCommit, list: &ObjId, what: &'static str, id: &str) -> Result<(), Error> {
    match find(am, list, id) {
        Some(_) => Err(Error::DuplicateId { what, id: id.to_owned() }),
        None => Ok(()),
    }
}

impl<S: Schema> Doc<S> {
    /// The root container `key`, or a shape error.
    pub(crate) fn root_child(&self, key: &str, ty: ObjType) -> Result<ObjId, Error> {
        child(self.automerge_ref(), &automerge::ROOT, key, ty).map_err(|e| self.shape(e.0))
    }

    /// The item `id` in root list `list`, or [`Error::NotFound`].
    pub(crate) fn root_item(&self, list: &str, what: &'static str, id: &str) -> Result<ObjId, Error> {
        let list = self.root_child(list, ObjType::List)?;
        find(self.automerge_ref(), &list, id)
            .map(|(_, obj)| obj)
            .ok_or_else(|| Error::NotFound { what, id: id.to_owned() })
    }

    /// `obj[key]` as a container of type `ty`, or a shape error.
    pub(crate) fn child_of(&self, obj: &ObjId, key: &str, ty: ObjType) -> Result<ObjId, Error> {
        child(self.automerge_ref(), obj, key, ty).map_err(|e| self.shape(e.0))
    }
}

/// A text field of a document of kind `S`: something [`crate::history::text_authors`] and the
/// `splice` operations can find.
pub trait TextField<S: Schema> {
    /// The `Text` object this field names in `doc`.
    fn locate(&self, doc: &Doc<S>) -> Result<ObjId, Error>;
    /// A short label for history, e.g. `notes/n1/text`; unique to the field within its document
    /// (it also keys the cache that spares a run of keystrokes re-resolving the field).
    fn label(&self) -> String;
}

/// Splices any text field: delete `delete` characters at `pos`, then insert `insert` there.
pub fn splice_text<S: Schema, F: TextField<S>>(
    doc: &mut Doc<S>,
    by: &UserId,
    at: Timestamp,
    field: &F,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    let label = field.label();
    let (text, len) = match doc.cached_text(&label) {
        Some(hit) => hit,
        None => {
            let text = field.locate(doc)?;
            let len = doc.automerge_ref().length(&text);
            (text, len)
        }
    };
    if pos.checked_add(delete).is_none_or(|end| end > len) {
        return Err(Error::OutOfRange { pos, delete, len });
    }
    let am = doc.begin(by, at, &label);
    am.splice_text(&text, pos, delete as isize, insert)?;
    let len = len - delete + insert.chars().count();
    doc.cache_text(TextCache { label, obj: text, len });
    Ok(())
}
