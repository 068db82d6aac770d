//! A goals edit as data, and [`apply`], which turns it into calls of `tandem_core::ops::goals`.
//!
//! Every id an edit creates (goal, action, check-in, win) is chosen by the screen when it emits
//! the edit, so applying the same edit on a replica is deterministic and the screen knows the new
//! goal's id (to focus its title) before the host has applied anything.

use tandem_core::{
    Doc, Goals, Timestamp, UserId,
    model::{Date, GoalStatus},
    ops::goals::{self as ops, GoalInit, GoalText},
};

use crate::splice::Splice;

/// A prose field of a goal (automerge `Text`), owned: what [`GoalEdit::Splice`] edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalTextField {
    Title,
    Specific,
    Metric,
    Realistic,
    /// The wording of the action with this id.
    Action(String),
    DropReason,
}

impl GoalTextField {
    fn on<'a>(&'a self, goal: &'a str) -> GoalText<'a> {
        match self {
            GoalTextField::Title => GoalText::Title { goal },
            GoalTextField::Specific => GoalText::Specific { goal },
            GoalTextField::Metric => GoalText::Metric { goal },
            GoalTextField::Realistic => GoalText::Realistic { goal },
            GoalTextField::Action(action) => GoalText::Action { goal, action },
            GoalTextField::DropReason => GoalText::DropReason { goal },
        }
    }
}

/// What a new goal starts with (the owned form of [`GoalInit`]). Everything may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewGoal {
    pub title: String,
    pub specific: String,
    pub metric: String,
    pub baseline: String,
    pub target: String,
    pub realistic: String,
    pub due: Option<Date>,
}

impl NewGoal {
    /// A goal with only a title.
    pub fn titled(title: impl Into<String>) -> NewGoal {
        NewGoal { title: title.into(), ..NewGoal::default() }
    }

    fn init(&self) -> GoalInit<'_> {
        GoalInit {
            title: &self.title,
            specific: &self.specific,
            metric: &self.metric,
            baseline: &self.baseline,
            target: &self.target,
            realistic: &self.realistic,
            due: self.due,
        }
    }
}

/// One edit to a pair's goals document. `goal` is always the id of the goal edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalEdit {
    /// Appends a new active goal with id `id`.
    AddGoal {
        id: String,
        goal: NewGoal,
    },
    /// One keystroke (or paste, or cut) in a prose field: merged character by character.
    Splice {
        goal: String,
        field: GoalTextField,
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
            GoalEdit::Splice { goal, .. }
            | GoalEdit::SetBaseline { goal, .. }
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

/// Applies one edit by `by` at `at` to the document's open batch (the host commits).
pub fn apply(
    doc: &mut Doc<Goals>,
    by: &UserId,
    at: Timestamp,
    edit: &GoalEdit,
) -> Result<(), tandem_core::Error> {
    match edit {
        GoalEdit::AddGoal { id, goal } => ops::add_goal(doc, by, at, id, &goal.init()),
        GoalEdit::Splice { goal, field, splice } => {
            ops::splice(doc, by, at, field.on(goal), splice.index, splice.delete, &splice.insert)
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
        GoalEdit::Rework { goal, successor, title } => {
            // Checked first so that a rework of a goal that is gone leaves no stray successor in
            // the open batch.
            if !doc.read()?.goals.iter().any(|g| g.id == *goal) {
                return Err(tandem_core::Error::NotFound { what: "goal", id: goal.clone() });
            }
            ops::add_goal(doc, by, at, successor, &GoalInit { title, ..GoalInit::default() })?;
            ops::rework_goal(doc, by, at, goal, successor)
        }
        GoalEdit::Drop { goal, reason } => ops::drop_goal(doc, by, at, goal, reason),
        GoalEdit::CheckIn { goal, id, progress, note } => {
            ops::check_in(doc, by, at, goal, id, *progress, note)
        }
        GoalEdit::AddWin { goal, id, text } => ops::add_win(doc, by, at, goal, id, text),
    }
}
