//! An edit to a pair's stage record, as data, and [`apply`], which checks who may make it and
//! writes it through [`crate::ops::stage_record`].
//!
//! Who does what: the mentor proposes moving on, with a rationale; the associate adds a
//! self-assessment; someone outside the pair (the relay lets only the program's coordinators
//! beyond the pair write the record) confirms or asks for more evidence, and only while a
//! proposal is open. Every entry is kept with who and when; a confirmation moves `current` in the
//! same change. A proposal and a decision made at once on two devices both write `status`, and
//! the record then shows as needing agreement ([`crate::conflict::stage_record`]).

use super::Splice;
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{StageEntryKind, StageRecord, StageStatus, Timestamp, UserId};
use crate::ops::stage_record as ops;

/// One edit to a stage record. Applied by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageEdit {
    /// The mentor proposes that the associate move on to `stage` (a stage id of the program).
    Propose { id: String, stage: String, rationale: String },
    /// The associate's own view of where they are, about the stage proposed (if any).
    SelfAssess { id: String, text: String },
    /// A coordinator confirms the open proposal: the associate is in that stage from now on.
    Confirm { id: String, note: String },
    /// A coordinator asks for more evidence before the open proposal can be confirmed.
    AskForMore { id: String, note: String },
    /// One keystroke in an entry's prose, by its author.
    Text { entry: String, splice: Splice },
}

impl StageEdit {
    /// A keystroke: the host batches these rather than committing each one.
    pub fn is_typing(&self) -> bool {
        matches!(self, StageEdit::Text { .. })
    }
}

/// Applies one edit by `by` at `at` to the document's open batch (the caller commits). Refused
/// with [`Error::NotAllowed`], writing nothing, when `by` may not make it now.
pub fn apply(doc: &mut Doc<StageRecord>, by: &UserId, at: Timestamp, edit: &StageEdit) -> Result<(), Error> {
    let record = doc.read()?;
    let in_pair = by == &record.mentor || by == &record.associate;
    let open = (record.status == StageStatus::Proposed).then_some(record.proposed.as_deref()).flatten();
    match edit {
        StageEdit::Propose { id, stage, rationale } => {
            if by != &record.mentor {
                return Err(Error::NotAllowed("only the pair's mentor proposes moving on".into()));
            }
            if record.current.as_deref() == Some(stage.as_str()) {
                return Err(Error::NotAllowed(format!("the associate is in {stage} already")));
            }
            ops::add_entry(doc, by, at, id, StageEntryKind::Proposal, Some(stage), rationale)?;
            ops::set_proposed(doc, by, at, Some(stage))?;
            ops::set_status(doc, by, at, StageStatus::Proposed)
        }
        StageEdit::SelfAssess { id, text } => {
            if by != &record.associate {
                return Err(Error::NotAllowed("only the associate writes their self-assessment".into()));
            }
            let about = record.proposed.as_deref();
            ops::add_entry(doc, by, at, id, StageEntryKind::SelfAssessment, about, text)
        }
        StageEdit::Confirm { id, note } | StageEdit::AskForMore { id, note } => {
            if in_pair {
                return Err(Error::NotAllowed("a coordinator of the program decides, not the pair".into()));
            }
            let Some(stage) = open.map(str::to_owned) else {
                return Err(Error::NotAllowed("nothing is proposed to decide on".into()));
            };
            if let StageEdit::Confirm { .. } = edit {
                ops::add_entry(doc, by, at, id, StageEntryKind::Confirmed, Some(&stage), note)?;
                ops::set_current(doc, by, at, Some(&stage))?;
                ops::set_status(doc, by, at, StageStatus::Confirmed)
            } else {
                ops::add_entry(doc, by, at, id, StageEntryKind::MoreEvidence, Some(&stage), note)?;
                ops::set_status(doc, by, at, StageStatus::MoreEvidence)
            }
        }
        StageEdit::Text { entry, splice } => {
            let author = record.entries.iter().find(|e| &e.id == entry).map(|e| e.by.clone());
            match author {
                Some(author) if &author == by => {
                    ops::splice(doc, by, at, entry, splice.index, splice.delete, &splice.insert)
                }
                Some(_) => Err(Error::NotAllowed("only its author edits an entry".into())),
                None => Err(Error::NotFound { what: "stage record entry", id: entry.clone() }),
            }
        }
    }
}
