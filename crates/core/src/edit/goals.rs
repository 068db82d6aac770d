//! An edit to a pair's goals, as data, and [`apply`], which writes it through
//! [`crate::ops::goals`].

pub use crate::ops::goals::{GoalInit, GoalText};

use super::Splice;
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Date, GoalStatus, Goals, Timestamp, UserId};
use crate::ops::goals as ops;

/// One edit to a pair's goals document. Applied by [`apply`]; [`GoalEdit::goal`] names the goal
/// it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalEdit {
    /// Appends a new active goal with id `id`.
    AddGoal {
        id: String,
        goal: GoalInit<String>,
    },
    /// One keystroke (or paste, or cut) in a prose field: merged character by character.
    Splice {
        field: GoalText<String>,
        splice: Splice,
    },
    /// Baseline and target are single values (last writer wins, conflicts shown).
    SetBaseline {
        goal: String,
        value: String,
    },
    SetTarget {
        goal: String,
        value: String,
    },
    SetDue {
        goal: String,
        due: Option<Date>,
    },
    AddAction {
        goal: String,
        id: String,
        text: String,
    },
    SetActionDone {
        goal: String,
        action: String,
        done: bool,
    },
    DeleteAction {
        goal: String,
        action: String,
    },
    /// Active or achieved; the other endings are [`GoalEdit::Rework`] and [`GoalEdit::Drop`].
    SetStatus {
        goal: String,
        status: GoalStatus,
    },
    /// Creates the successor goal (`successor`, titled `title`) and marks `goal` reworked into it,
    /// in one batch.
    Rework {
        goal: String,
        successor: String,
        title: String,
    },
    Drop {
        goal: String,
        reason: String,
    },
    /// Progress in percent, 0–100 (larger values are stored as 100).
    CheckIn {
        goal: String,
        id: String,
        progress: u8,
        note: String,
    },
    AddWin {
        goal: String,
        id: String,
        text: String,
    },
}

impl GoalEdit {
    /// A keystroke in a prose field: the host batches these (commits on idle) rather than
    /// committing each one.
    pub fn is_typing(&self) -> bool {
        matches!(self, GoalEdit::Splice { .. })
    }

    /// The goal the edit is about (for a new goal, its own id).
    pub fn goal(&self) -> &str {
        match self {
            GoalEdit::AddGoal { id, .. } => id,
            GoalEdit::Splice { field, .. } => field.goal(),
            GoalEdit::SetBaseline { goal, .. }
            | GoalEdit::SetTarget { goal, .. }
            | GoalEdit::SetDue { goal, .. }
            | GoalEdit::AddAction { goal, .. }
            | GoalEdit::SetActionDone { goal, .. }
            | GoalEdit::DeleteAction { goal, .. }
            | GoalEdit::SetStatus { goal, .. }
            | GoalEdit::Rework { goal, .. }
            | GoalEdit::Drop { goal, .. }
            | GoalEdit::CheckIn { goal, .. }
            | GoalEdit::AddWin { goal, .. } => goal,
        }
    }
}

/// Applies one edit by `by` at `at` to the document's open batch (the caller commits).
pub fn apply(doc: &mut Doc<Goals>, by: &UserId, at: Timestamp, edit: &GoalEdit) -> Result<(), Error> {
    match edit {
        GoalEdit::AddGoal { id, goal } => ops::add_goal(doc, by, at, id, &goal.as_deref()),
        GoalEdit::Splice { field, splice } => {
            ops::splice(doc, by, at, field.as_deref(), splice.index, splice.delete, &splice.insert)
        }
        GoalEdit::SetBaseline { goal, value } => ops::set_baseline(doc, by, at, goal, value),
        GoalEdit::SetTarget { goal, value } => ops::set_target(doc, by, at, goal, value),
        GoalEdit::SetDue { goal, due } => ops::set_due(doc, by, at, goal, *due),
        GoalEdit::AddAction { goal, id, text } => ops::add_action(doc, by, at, goal, id, text),
        GoalEdit::SetActionDone { goal, action, done } => {
            ops::set_action_done(doc, by, at, goal, action, *done)
        }
        GoalEdit::DeleteAction { goal, action } => ops::delete_action(doc, by, at, goal, action),
        GoalEdit::SetStatus { goal, status } => ops::set_status(doc, by, at, goal, *status),
        GoalEdit::Rework { goal, successor, title } => rework(doc, by, at, goal, successor, title),
        GoalEdit::Drop { goal, reason } => ops::drop_goal(doc, by, at, goal, reason),
        GoalEdit::CheckIn { goal, id, progress, note } => {
            ops::check_in(doc, by, at, goal, id, *progress, note)
        }
        GoalEdit::AddWin { goal, id, text } => ops::add_win(doc, by, at, goal, id, text),
    }
}

/// A goal reworked ends linked to the new goal that takes its place: both in one change, so no
/// device ever sees a reworked goal without its successor.
fn rework(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    goal: &str,
    successor: &str,
    title: &str,
) -> Result<(), Error> {
    // Checked first so that a rework of a goal that is gone leaves no stray successor in the
    // open batch.
    if !doc.read()?.goals.iter().any(|g| g.id == goal) {
        return Err(Error::NotFound { what: "goal", id: goal.to_owned() });
    }
    ops::add_goal(doc, by, at, successor, &GoalInit { title, ..GoalInit::default() })?;
    ops::rework_goal(doc, by, at, goal, successor)
}
