//! A coordinator's edit to the program document, as data, and [`apply`], which writes it through
//! [`crate::ops::program`]: the competency framework (each change a new version) and the
//! question bank.

use super::Splice;
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Program, Timestamp, UserId};
use crate::ops::program::{self as ops, CompetencyInit, FrameworkChange};

/// A competency area as a coordinator wrote it: its levels first to last (name, what it looks
/// like).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub id: String,
    pub code: String,
    pub title: String,
    pub description: String,
    pub levels: Vec<(String, String)>,
}

/// One edit to the program document. Applied by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramEdit {
    /// A new competency area, after the others (or a retired one brought back under its id).
    AddArea(Area),
    /// The area with the same id renamed, described or given other levels, in its place.
    EditArea(Area),
    /// Out of the framework from the next version; notes tagged with it still read its name.
    RetireArea {
        id: String,
    },
    /// A new open-ended question in the bank, under `theme`.
    AddQuestion {
        id: String,
        theme: String,
        text: String,
    },
    /// One keystroke in a bank question's wording: merged character by character.
    QuestionText {
        id: String,
        splice: Splice,
    },
    SetTheme {
        id: String,
        theme: String,
    },
    RetireQuestion {
        id: String,
    },
    RestoreQuestion {
        id: String,
    },
}

impl ProgramEdit {
    /// A keystroke: the host batches these (commits on idle) rather than committing each one.
    pub fn is_typing(&self) -> bool {
        matches!(self, ProgramEdit::QuestionText { .. })
    }
}

/// Applies one edit by `by` at `at` to the document's open batch (the caller commits). Who may
/// write the program (its coordinators) is the relay's rule: it refuses anyone else's changes.
pub fn apply(doc: &mut Doc<Program>, by: &UserId, at: Timestamp, edit: &ProgramEdit) -> Result<(), Error> {
    match edit {
        ProgramEdit::AddArea(area) => revise(doc, by, at, area, true),
        ProgramEdit::EditArea(area) => revise(doc, by, at, area, false),
        ProgramEdit::RetireArea { id } => {
            ops::revise_framework(doc, by, at, &FrameworkChange::Retire { id }).map(drop)
        }
        ProgramEdit::AddQuestion { id, theme, text } => ops::add_bank_question(doc, by, at, id, text, theme),
        ProgramEdit::QuestionText { id, splice } => {
            ops::splice_bank_question(doc, by, at, id, splice.index, splice.delete, &splice.insert)
        }
        ProgramEdit::SetTheme { id, theme } => ops::set_bank_question_theme(doc, by, at, id, theme),
        ProgramEdit::RetireQuestion { id } => ops::retire_bank_question(doc, by, at, id),
        ProgramEdit::RestoreQuestion { id } => ops::restore_bank_question(doc, by, at, id),
    }
}

/// Publishes the next framework version with `area` added (`adding`) or edited in its place.
fn revise(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    area: &Area,
    adding: bool,
) -> Result<(), Error> {
    let levels: Vec<(&str, &str)> = area.levels.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    let init = CompetencyInit {
        id: &area.id,
        code: &area.code,
        title: &area.title,
        description: &area.description,
        levels: &levels,
    };
    let change = if adding { FrameworkChange::Add(init) } else { FrameworkChange::Edit(init) };
    ops::revise_framework(doc, by, at, &change).map(drop)
}
