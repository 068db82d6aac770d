//! Edits to a pair's SMART goals: wording, measure, actions, due date, how the goal ends,
//! check-ins and wins.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};

use super::{TextField, delete_item, ensure_new, push_item, put_opt, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Date, GoalStatus, Goals, Timestamp, UserId};

/// What a new goal starts with. Everything may be empty: a half-written goal is a valid goal that
/// [`crate::validate::goal`] describes.
///
/// `S` is how the wording is held: `&str` for [`add_goal`], `String` where it is kept, as in a
/// queued [`crate::edit::goals::GoalEdit`]; [`GoalInit::as_deref`] turns the second into the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoalInit<S> {
    pub title: S,
    pub specific: S,
    pub metric: S,
    pub baseline: S,
    pub target: S,
    pub realistic: S,
    pub due: Option<Date>,
}

impl GoalInit<String> {
    /// A goal with only a title.
    pub fn titled(title: impl Into<String>) -> GoalInit<String> {
        GoalInit { title: title.into(), ..GoalInit::default() }
    }
}

impl<S: AsRef<str>> GoalInit<S> {
    /// The same start, borrowing its wording.
    pub fn as_deref(&self) -> GoalInit<&str> {
        GoalInit {
            title: self.title.as_ref(),
            specific: self.specific.as_ref(),
            metric: self.metric.as_ref(),
            baseline: self.baseline.as_ref(),
            target: self.target.as_ref(),
            realistic: self.realistic.as_ref(),
            due: self.due,
        }
    }
}

/// A prose field of a goal; `Id` holds the ids as [`GoalInit`]'s `S` holds its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalText<Id> {
    Title {
        goal: Id,
    },
    Specific {
        goal: Id,
    },
    Metric {
        goal: Id,
    },
    Realistic {
        goal: Id,
    },
    /// The wording of the action with id `action`.
    Action {
        goal: Id,
        action: Id,
    },
    DropReason {
        goal: Id,
    },
}

impl<Id: AsRef<str>> GoalText<Id> {
    /// The id of the goal the field belongs to.
    pub fn goal(&self) -> &str {
        match self {
            GoalText::Title { goal }
            | GoalText::Specific { goal }
            | GoalText::Metric { goal }
            | GoalText::Realistic { goal }
            | GoalText::Action { goal, .. }
            | GoalText::DropReason { goal } => goal.as_ref(),
        }
    }

    /// The same field, borrowing its ids.
    pub fn as_deref(&self) -> GoalText<&str> {
        let goal = self.goal();
        match self {
            GoalText::Title { .. } => GoalText::Title { goal },
            GoalText::Specific { .. } => GoalText::Specific { goal },
            GoalText::Metric { .. } => GoalText::Metric { goal },
            GoalText::Realistic { .. } => GoalText::Realistic { goal },
            GoalText::Action { action, .. } => GoalText::Action { goal, action: action.as_ref() },
            GoalText::DropReason { .. } => GoalText::DropReason { goal },
        }
    }
}

// The borrowed form only, as for `ObservationText`.
impl TextField<Goals> for GoalText<&str> {
    fn locate(&self, doc: &Doc<Goals>) -> Result<ObjId, Error> {
        let goal = goal_obj(doc, self.goal())?;
        let (obj, key) = match *self {
            GoalText::Title { .. } => (goal, "title"),
            GoalText::Specific { .. } => (goal, "specific"),
            GoalText::Realistic { .. } => (goal, "realistic"),
            GoalText::DropReason { .. } => (goal, "drop_reason"),
            GoalText::Metric { .. } => (doc.child_of(&goal, "measure", ObjType::Map)?, "metric"),
            GoalText::Action { action, .. } => {
                let actions = doc.child_of(&goal, "actions", ObjType::List)?;
                let item = super::find(doc.automerge_ref(), &actions, action)
                    .ok_or_else(|| Error::NotFound { what: "action", id: action.to_owned() })?
                    .1;
                (item, "text")
            }
        };
        doc.child_of(&obj, key, ObjType::Text)
    }

    fn label(&self) -> String {
        match self {
            GoalText::Title { goal } => format!("goals/{goal}/title"),
            GoalText::Specific { goal } => format!("goals/{goal}/specific"),
            GoalText::Metric { goal } => format!("goals/{goal}/measure/metric"),
            GoalText::Realistic { goal } => format!("goals/{goal}/realistic"),
            GoalText::Action { goal, action } => format!("goals/{goal}/actions/{action}"),
            GoalText::DropReason { goal } => format!("goals/{goal}/drop_reason"),
        }
    }
}

fn goal_obj(doc: &Doc<Goals>, goal: &str) -> Result<ObjId, Error> {
    doc.root_item("goals", "goal", goal)
}

/// Splices a prose field of a goal.
pub fn splice(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    field: GoalText<&str>,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &field, pos, delete, insert)
}

/// Appends a new active goal. `id` is generated by the caller and must be new.
pub fn add_goal(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    init: &GoalInit<&str>,
) -> Result<(), Error> {
    let goals = doc.root_child("goals", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &goals, "goal", id)?;
    let am = doc.begin(by, at, &format!("goals/{id}"));
    let goal = push_item(am, &goals, id)?;
    am.put(&goal, "created_by", by.as_str())?;
    put_time(am, &goal, "created_at", at)?;
    put_text(am, &goal, "title", init.title)?;
    put_text(am, &goal, "specific", init.specific)?;
    let measure = am.put_object(&goal, "measure", ObjType::Map)?;
    put_text(am, &measure, "metric", init.metric)?;
    am.put(&measure, "baseline", init.baseline)?;
    am.put(&measure, "target", init.target)?;
    am.put_object(&goal, "actions", ObjType::List)?;
    put_text(am, &goal, "realistic", init.realistic)?;
    put_opt(am, &goal, "due", init.due.map(|d| d.to_string()).as_deref())?;
    am.put(&goal, "status", GoalStatus::Active.as_str())?;
    put_opt(am, &goal, "reworked_into", None)?;
    put_text(am, &goal, "drop_reason", "")?;
    am.put_object(&goal, "checkins", ObjType::List)?;
    am.put_object(&goal, "wins", ObjType::List)?;
    Ok(())
}

/// Sets the measure's baseline (a single value: last writer wins, conflicts are reported).
pub fn set_baseline(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    baseline: &str,
) -> Result<(), Error> {
    set_measure(doc, by, at, goal, "baseline", baseline)
}

/// Sets the measure's target (a single value: last writer wins, conflicts are reported).
pub fn set_target(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    target: &str,
) -> Result<(), Error> {
    set_measure(doc, by, at, goal, "target", target)
}

fn set_measure(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    key: &str,
    value: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let measure = doc.child_of(&obj, "measure", ObjType::Map)?;
    let label = format!("goals/{goal}/measure/{key}");
    doc.begin(by, at, &label).put(&measure, key, value)?;
    Ok(())
}

/// Sets or clears the due date.
pub fn set_due(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    due: Option<Date>,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/due"));
    put_opt(am, &obj, "due", due.map(|d| d.to_string()).as_deref())
}

/// Appends a concrete action.
pub fn add_action(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    id: &str,
    text: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let actions = doc.child_of(&obj, "actions", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &actions, "action", id)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/actions/{id}"));
    let item = push_item(am, &actions, id)?;
    put_text(am, &item, "text", text)?;
    am.put(&item, "done", false)?;
    Ok(())
}

pub fn set_action_done(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    action: &str,
    done: bool,
) -> Result<(), Error> {
    let item = action_obj(doc, goal, action)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/actions/{action}/done"));
    am.put(&item, "done", done)?;
    Ok(())
}

pub fn delete_action(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    action: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let actions = doc.child_of(&obj, "actions", ObjType::List)?;
    action_obj(doc, goal, action)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/actions/{action}/deleted"));
    delete_item(am, &actions, "action", action)
}

fn action_obj(doc: &Doc<Goals>, goal: &str, action: &str) -> Result<ObjId, Error> {
    let obj = goal_obj(doc, goal)?;
    let actions = doc.child_of(&obj, "actions", ObjType::List)?;
    super::find(doc.automerge_ref(), &actions, action)
        .map(|(_, item)| item)
        .ok_or_else(|| Error::NotFound { what: "action", id: action.to_owned() })
}

/// Sets the status directly (active or achieved; see [`rework_goal`] and [`drop_goal`] for the
/// endings that need more). Concurrent different statuses are reported by
/// [`crate::conflict::goals`].
pub fn set_status(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    status: GoalStatus,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/status"));
    am.put(&obj, "status", status.as_str())?;
    Ok(())
}

/// Ends a goal as reworked into `successor` (a goal in the same document, added first).
pub fn rework_goal(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    successor: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    goal_obj(doc, successor)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/status"));
    am.put(&obj, "status", GoalStatus::Reworked.as_str())?;
    am.put(&obj, "reworked_into", successor)?;
    Ok(())
}

/// Ends a goal as dropped, with the reason (editable afterwards as [`GoalText::DropReason`]).
///
/// The reason's `Text` exists from the goal's creation, so two people dropping the same goal at
/// once each splice into the same text and both reasons survive.
pub fn drop_goal(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    reason: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let text = doc.child_of(&obj, "drop_reason", ObjType::Text)?;
    let len = doc.automerge_ref().length(&text);
    let am = doc.begin(by, at, &format!("goals/{goal}/status"));
    am.put(&obj, "status", GoalStatus::Dropped.as_str())?;
    // Append rather than replace: a reason someone else already gave stays.
    let insert = if len == 0 { reason.to_owned() } else { format!("\n{reason}") };
    am.splice_text(&text, len, 0, &insert)?;
    Ok(())
}

/// Appends a progress check-in. Check-ins are never edited.
#[allow(clippy::too_many_arguments)]
pub fn check_in(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    id: &str,
    progress: u8,
    note: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let list = doc.child_of(&obj, "checkins", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "check-in", id)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/checkins/{id}"));
    let item = push_item(am, &list, id)?;
    put_time(am, &item, "at", at)?;
    am.put(&item, "by", by.as_str())?;
    am.put(&item, "progress", ScalarValue::Uint(u64::from(progress.min(100))))?;
    am.put(&item, "note", note)?;
    Ok(())
}

/// Records a win. Wins are never edited.
pub fn add_win(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    id: &str,
    text: &str,
) -> Result<(), Error> {
    let obj = goal_obj(doc, goal)?;
    let list = doc.child_of(&obj, "wins", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "win", id)?;
    let am = doc.begin(by, at, &format!("goals/{goal}/wins/{id}"));
    let item = push_item(am, &list, id)?;
    put_time(am, &item, "at", at)?;
    am.put(&item, "by", by.as_str())?;
    am.put(&item, "text", text)?;
    Ok(())
}
