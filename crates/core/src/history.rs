//! Who wrote what: a document's history, and the author of each stretch of a text.
//!
//! Every change made through this crate carries a [`CommitInfo`] naming its user. automerge
//! identifies every operation by `(counter, actor)`, and each change covers the counters
//! `start_op..=max_op` of one actor; so an operation's author is the user named by the change
//! whose range holds its counter. That is exact even when one device (one actor) is used by
//! several people over time, which a plain actor → user table would get wrong.

use std::collections::HashMap;
use std::ops::Range;

use automerge::{ActorId, ChangeHash, ObjId as ExId, ObjType, ROOT, ReadDoc, Value};

use crate::doc::{CommitInfo, Doc, Schema};
use crate::error::Error;
use crate::model::{Observation, Timestamp, UserId};
use crate::ops::TextField;
use crate::ops::observation::Removed;

/// One change in a document's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub hash: ChangeHash,
    /// The acting user; `None` for changes made by other automerge clients.
    pub by: Option<UserId>,
    /// When, in milliseconds (from the commit message, else automerge's seconds).
    pub at: Timestamp,
    /// Which fields the change touched, e.g. `notes/n1/text`, `status`.
    pub touched: Vec<String>,
}

/// The changes of a document in causal order (every change after the ones it depends on).
/// Commits the open batch first.
pub fn history<S: Schema>(doc: &mut Doc<S>) -> Vec<HistoryEntry> {
    doc.automerge()
        .get_changes_meta(&[])
        .into_iter()
        .map(|meta| {
            let info = CommitInfo::parse(meta.message.as_deref());
            HistoryEntry {
                hash: meta.hash,
                by: info.as_ref().map(CommitInfo::user_id),
                at: info.as_ref().map_or(Timestamp(meta.timestamp.saturating_mul(1000)), |i| i.time()),
                touched: info.map(|i| i.touched).unwrap_or_default(),
            }
        })
        .collect()
}

/// An item deleted from an observation and not put back since: what it was just before the
/// deletion, where it stood, and who deleted it when.
#[derive(Debug, Clone, PartialEq)]
pub struct Deletion {
    pub item: Removed,
    /// Its position in its list just before it was deleted.
    pub index: usize,
    /// Who deleted it; `None` for another automerge client.
    pub by: Option<UserId>,
    pub at: Timestamp,
}

/// The items deleted from an observation that are not in it now, newest deletion first. automerge
/// keeps every change, so each item is read as the document stood just before the change that
/// deleted it (its dependencies). Commits the open batch first.
pub fn deleted(doc: &mut Doc<Observation>) -> Result<Vec<Deletion>, Error> {
    let now = doc.read()?;
    let mut found: Vec<Deletion> = Vec::new();
    let changes: Vec<(Option<String>, Vec<ChangeHash>)> = doc
        .automerge()
        .get_changes_meta(&[])
        .into_iter()
        .map(|meta| (meta.message.map(|m| m.into_owned()), meta.deps))
        .collect();
    for (message, deps) in changes {
        let Some(info) = CommitInfo::parse(message.as_deref()) else { continue };
        let targets: Vec<(String, String)> = info
            .touched
            .iter()
            .filter_map(|label| {
                let [list, id, "deleted"] = label.split('/').collect::<Vec<_>>()[..] else { return None };
                Some((list.to_owned(), id.to_owned()))
            })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let before = doc.automerge().fork_at(&deps).map_err(Error::malformed)?;
        for (list, id) in targets {
            if Removed::find(&now, &list, &id).is_some() {
                continue;
            }
            // Where it stood, from the document before the change; what it held, from the item
            // itself, which automerge still has: the change may also hold the last keystrokes
            // typed into it (one batch), and those belong to what is restored.
            let Ok(Some((Value::Object(ObjType::List), list_obj))) = before.get(&ROOT, list.as_str()) else {
                continue;
            };
            let Some((index, obj)) = crate::ops::find(&before, &list_obj, &id) else { continue };
            let Some(item) = Removed::hydrate(doc.automerge_ref(), &list, &obj) else { continue };
            // Deleted, restored and deleted again: the latest deletion says what it was last.
            found.retain(|d| !(d.item.list() == item.list() && d.item.id() == item.id()));
            found.push(Deletion { item, index, by: Some(info.user_id()), at: info.time() });
        }
    }
    found.sort_by_key(|d| std::cmp::Reverse(d.at));
    Ok(found)
}

/// A stretch of text written by one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authored {
    /// Character (code point) positions in the current text.
    pub range: Range<usize>,
    pub text: String,
    /// `None` for text inserted by other automerge clients.
    pub by: Option<UserId>,
}

/// Who wrote each character of a text field that is still there, as runs of consecutive
/// characters by the same user. Commits the open batch first.
pub fn text_authors<S: Schema, F: TextField<S>>(doc: &mut Doc<S>, field: &F) -> Result<Vec<Authored>, Error> {
    let text = field.locate(doc)?;
    let attribution = Attribution::of(doc);
    let am = doc.automerge_ref();
    let mut runs: Vec<Authored> = Vec::new();
    for item in am.list_range(&text, ..) {
        let by = attribution.user_of(&item.id());
        let ch = match &item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => s.as_ref(),
            _ => "",
        };
        match runs.last_mut() {
            Some(run) if run.by.as_ref() == by && run.range.end == item.index => {
                run.range.end += 1;
                run.text.push_str(ch);
            }
            _ => runs.push(Authored {
                range: item.index..item.index + 1,
                text: ch.to_owned(),
                by: by.cloned(),
            }),
        }
    }
    Ok(runs)
}

/// Maps operation ids to the users whose changes hold them.
#[derive(Debug, Default)]
pub(crate) struct Attribution {
    /// Per actor, its changes sorted by `start_op`.
    by_actor: HashMap<ActorId, Vec<ChangeSpan>>,
}

/// The operation counters one change covers, and who made it when.
#[derive(Debug)]
struct ChangeSpan {
    start_op: u64,
    max_op: u64,
    user: Option<UserId>,
    at: Timestamp,
}

impl Attribution {
    /// Indexes every change of `doc`, committing its open batch first.
    pub(crate) fn of<S: Schema>(doc: &mut Doc<S>) -> Attribution {
        let mut by_actor: HashMap<ActorId, Vec<_>> = HashMap::new();
        for meta in doc.automerge().get_changes_meta(&[]) {
            let info = CommitInfo::parse(meta.message.as_deref());
            let at = info.as_ref().map_or(Timestamp(meta.timestamp.saturating_mul(1000)), |i| i.time());
            by_actor.entry(meta.actor.into_owned()).or_default().push(ChangeSpan {
                start_op: meta.start_op,
                max_op: meta.max_op,
                user: info.map(|i| i.user_id()),
                at,
            });
        }
        for changes in by_actor.values_mut() {
            changes.sort_by_key(|c| c.start_op);
        }
        Attribution { by_actor }
    }

    fn change_of(&self, id: &ExId) -> Option<&ChangeSpan> {
        let ExId::Id(counter, actor, _) = id else {
            return None;
        };
        let changes = self.by_actor.get(actor)?;
        let i = changes.partition_point(|c| c.start_op <= *counter).checked_sub(1)?;
        let change = &changes[i];
        (*counter <= change.max_op).then_some(change)
    }

    /// The user whose change made operation `id`.
    pub(crate) fn user_of(&self, id: &ExId) -> Option<&UserId> {
        self.change_of(id).and_then(|c| c.user.as_ref())
    }

    /// When the change that made operation `id` was made.
    pub(crate) fn time_of(&self, id: &ExId) -> Option<Timestamp> {
        self.change_of(id).map(|c| c.at)
    }
}
