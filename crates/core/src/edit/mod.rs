//! What a person's edit means, as data: one enum per document kind, and the function that turns
//! one edit into calls of [`crate::ops`].
//!
//! The web app's screens turn events into these edits (a keystroke into a [`Splice`] of a
//! field, a tap into a tag added) and emit them; the host stamps each with the signed-in person
//! and the time and applies it to the document's open batch. Keeping the meaning here, beside
//! native tests, means the rules a person relies on (a note has at most one competency, a
//! reworked goal is linked to its successor in the same change, a conflict is settled only with
//! a value someone claimed) hold the same in every runtime and are tested without a browser.
//!
//! | module | what it holds |
//! |---|---|
//! | [`observation`] | [`ObservationEdit`](observation::ObservationEdit) and its [`apply`](observation::apply) |
//! | [`goals`] | [`GoalEdit`](goals::GoalEdit) and its [`apply`](goals::apply) |
//! | [`stage_record`] | [`StageEdit`](stage_record::StageEdit) and its [`apply`](stage_record::apply): who proposes, self-assesses and decides |
//! | [`mentor_notes`] | [`NotesEdit`](mentor_notes::NotesEdit) and its [`apply`](mentor_notes::apply): the owner's edits only |
//! | [`program`] | [`ProgramEdit`](program::ProgramEdit) and its [`apply`](program::apply): a coordinator's framework and question bank |
//! | this module | [`Splice`], one text edit; [`Agreement`] and [`resolve`], a person's choice of a conflicted value |
//!
//! Every id an edit creates (note, goal, action, check-in) is chosen when the edit is made, not
//! when it is applied, so applying an edit is deterministic and its maker knows the new item's
//! id at once (to focus it). Edits own their data (they are queued and cloned); the field types
//! are the operations' own ([`crate::ops::observation::ObservationText`],
//! [`crate::ops::goals::GoalText`], [`crate::ops::goals::GoalInit`]) holding `String`s.
//!
//! `apply` writes only through [`crate::ops`] and reads only through [`Doc::read`], so it
//! follows the document wherever the operations do.

pub mod goals;
pub mod mentor_notes;
pub mod observation;
pub mod program;
pub mod stage_record;

use crate::conflict::{self, ClaimValue, Conflict, Field};
use crate::doc::{Doc, Schema};
use crate::error::Error;
use crate::model::{Goals, Observation, StageRecord, Timestamp, UserId};

/// One edit to a text: delete `delete` characters at `index`, then insert `insert` there.
/// Positions count Unicode code points, as everywhere in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub index: usize,
    pub delete: usize,
    pub insert: String,
}

/// A person chose `value` for a field that needs agreement: one of the values two people set at
/// the same time (see [`crate::conflict`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub field: Field,
    pub value: ClaimValue,
}

/// A kind of document with fields that can need agreement.
pub trait Agreeable: Schema {
    /// The document's conflicts as they are now (commits the open batch first).
    fn conflicts(doc: &mut Doc<Self>) -> Vec<Conflict>;
}

impl Agreeable for Observation {
    fn conflicts(doc: &mut Doc<Self>) -> Vec<Conflict> {
        conflict::observation(doc)
    }
}

impl Agreeable for StageRecord {
    fn conflicts(doc: &mut Doc<Self>) -> Vec<Conflict> {
        conflict::stage_record(doc)
    }
}

impl Agreeable for Goals {
    fn conflicts(doc: &mut Doc<Self>) -> Vec<Conflict> {
        conflict::goals(doc)
    }
}

/// Writes a person's choice, as `by` at `at`, through [`crate::ops::resolve`]: the write has
/// seen every claim, so it supersedes all of them on every device.
///
/// The conflict is looked up in the document as it is now. `Ok(false)`, and nothing written,
/// when that conflict is gone (someone resolved it meanwhile) or `value` is none of its claims:
/// a person can only agree on something somebody said.
pub fn resolve<S: Agreeable>(
    doc: &mut Doc<S>,
    by: &UserId,
    at: Timestamp,
    agreement: &Agreement,
) -> Result<bool, Error> {
    let conflicts = S::conflicts(doc);
    let Some(conflict) = conflicts.iter().find(|c| c.field == agreement.field) else {
        return Ok(false);
    };
    let Some(claim) = conflict.claims.iter().find(|c| c.value == agreement.value) else {
        return Ok(false);
    };
    crate::ops::resolve(doc, by, at, conflict, claim)?;
    Ok(true)
}
