//! Edits to a pair's stage record: entries (proposals, self-assessments, decisions) are appended
//! and never edited in place except for their prose; the status, the proposed and the current
//! stage are single values, and two people writing one at once is shown
//! ([`crate::conflict::stage_record`]). Who may make which edit is [`crate::edit::stage_record`].

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType};

use super::{TextField, ensure_new, push_item, put_opt, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{StageEntryKind, StageRecord, StageStatus, Timestamp, UserId};

/// The prose of the entry with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryText<'a>(pub &'a str);

impl TextField<StageRecord> for EntryText<'_> {
    fn locate(&self, doc: &Doc<StageRecord>) -> Result<ObjId, Error> {
        let entry = doc.root_item("entries", "stage record entry", self.0)?;
        doc.child_of(&entry, "text", ObjType::Text)
    }

    fn label(&self) -> String {
        format!("entries/{}", self.0)
    }
}

/// Appends an entry by `by`, stamped `at`.
#[allow(clippy::too_many_arguments)]
pub fn add_entry(
    doc: &mut Doc<StageRecord>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    kind: StageEntryKind,
    stage: Option<&str>,
    text: &str,
) -> Result<(), Error> {
    let list = doc.root_child("entries", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "stage record entry", id)?;
    let am = doc.begin(by, at, &format!("entries/{id}"));
    let item = push_item(am, &list, id)?;
    put_time(am, &item, "at", at)?;
    am.put(&item, "by", by.as_str())?;
    am.put(&item, "kind", kind.as_str())?;
    put_opt(am, &item, "stage", stage)?;
    put_text(am, &item, "text", text)?;
    Ok(())
}

pub fn splice(
    doc: &mut Doc<StageRecord>,
    by: &UserId,
    at: Timestamp,
    entry: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &EntryText(entry), pos, delete, insert)
}

/// Writes the status, even when it already holds that value. automerge makes no operation for a
/// put of the value a field already has; a mentor proposing again while a proposal is open
/// would then write nothing, and a coordinator's concurrent "more evidence" would win silently.
/// Deleting first makes the new value a write of its own, so the two show as needing agreement.
pub fn set_status(
    doc: &mut Doc<StageRecord>,
    by: &UserId,
    at: Timestamp,
    status: StageStatus,
) -> Result<(), Error> {
    let unchanged = doc.read()?.status == status;
    let am = doc.begin(by, at, "status");
    if unchanged {
        am.delete(automerge::ROOT, "status")?;
    }
    am.put(automerge::ROOT, "status", status.as_str())?;
    Ok(())
}

pub fn set_proposed(
    doc: &mut Doc<StageRecord>,
    by: &UserId,
    at: Timestamp,
    stage: Option<&str>,
) -> Result<(), Error> {
    let am = doc.begin(by, at, "proposed");
    put_opt(am, &automerge::ROOT, "proposed", stage)
}

pub fn set_current(
    doc: &mut Doc<StageRecord>,
    by: &UserId,
    at: Timestamp,
    stage: Option<&str>,
) -> Result<(), Error> {
    let am = doc.begin(by, at, "current");
    put_opt(am, &automerge::ROOT, "current", stage)
}
