//! A mentor discarding a draft observation (`POST /api/documents/discard`): the rules for who
//! may, on top of [`crate::purge`], which does the removing (the one way a document leaves the
//! relay: chunks, claim, tombstone, a notice for the mentor's other devices, the access record,
//! the scrub).
//!
//! Only the draft's own mentor may discard it, and only while it is a draft: a private
//! observation of theirs still marked draft. A shared copy belongs to the pair (its audience is
//! the pair, so it is refused here), and the draft a mentor shared stays their record of what was
//! shared (marked shared, so refused too). The mentor's private notes about the draft go with it:
//! they are about a lesson record that no longer exists, and no screen would show them again.
//!
//! Discarding is idempotent: what already left the relay and whose notice names the asker (they
//! could read it when it went) counts as done, so a device that lost the answer can ask again.

use tandem_api::DiscardRequest;
use tandem_core::{
    Doc, MentorNotes, Observation, Schema as _,
    automerge::{self, ReadDoc as _},
    model::ObservationStatus,
};
use tandem_sync::{DocumentId, StorageKey};

use crate::{
    accounts::AccountError,
    error::AppError,
    purge,
    storage::{Db, Storage, purge as rows},
};

/// Discards `request` as `person` at `now_ms`; answers the ids it removed (none when all of it
/// was already gone).
pub fn discard(
    storage: &Storage,
    db: &Db,
    person: &str,
    request: &DiscardRequest,
    now_ms: i64,
) -> Result<Vec<String>, AppError> {
    let draft = parse(&request.draft)?;
    let notes = request.notes.iter().map(|id| parse(id)).collect::<Result<Vec<_>, _>>()?;
    let gone = rows::notices_for(db, person)?;
    let mut remove = Vec::new();
    for (id, expected) in std::iter::once((draft, Expected::Draft))
        .chain(notes.into_iter().map(|n| (n, Expected::NotesAbout(draft))))
    {
        if remove.contains(&id) || gone.contains(&id.to_string()) {
            continue;
        }
        let Some(row) = rows::document(db, &id.to_string())? else {
            return Err(AccountError::NotFound(format!("there is no document {id}")).into());
        };
        if row.audience != "private" || row.owner_id != person {
            return Err(AccountError::Forbidden(
                "only its mentor may discard a draft; an observation shared with the pair belongs to the pair"
                    .into(),
            )
            .into());
        }
        expected.check(storage, &id)?;
        remove.push(id);
    }
    if remove.is_empty() {
        return Ok(Vec::new());
    }
    let plan = purge::plan_documents(storage, db, &remove)?;
    // The checks and the purge run under the accounts lock (the caller's), so no claim through
    // the API changes a document's audience in between.
    purge::execute(db, &plan, person, now_ms)?;
    Ok(remove.iter().map(DocumentId::to_string).collect())
}

fn parse(id: &str) -> Result<DocumentId, AppError> {
    id.parse().map_err(|_| AccountError::Invalid(format!("{id} is not a document id")).into())
}

/// What a document named in a discard must be, as the relay stores it.
#[derive(Debug, Clone, Copy)]
enum Expected {
    /// An observation still marked draft.
    Draft,
    /// The mentor's private notes about this draft.
    NotesAbout(DocumentId),
}

impl Expected {
    /// Refuses (409) a document that reads as something else. One with nothing readable stored
    /// yet (claimed by its first sync, its chunks not in) is the mentor's own private document
    /// and may go.
    fn check(self, storage: &Storage, id: &DocumentId) -> Result<(), AppError> {
        let Some(doc) = load(storage, id)? else { return Ok(()) };
        let kind = match doc.get(automerge::ROOT, "kind") {
            Ok(Some((automerge::Value::Scalar(kind), _))) => kind.as_str().map(str::to_owned),
            _ => None,
        };
        match self {
            Expected::Draft => {
                let status = (kind.as_deref() == Some(Observation::KIND))
                    .then(|| Doc::<Observation>::from_automerge(doc).and_then(|d| d.read()).ok())
                    .flatten()
                    .map(|o| o.status);
                match status {
                    Some(ObservationStatus::Draft) => Ok(()),
                    Some(_) => Err(AccountError::Conflict(
                        "this observation was shared; only a draft can be discarded".into(),
                    )
                    .into()),
                    None => {
                        Err(AccountError::Conflict("this document is not a draft observation".into()).into())
                    }
                }
            }
            Expected::NotesAbout(draft) => {
                let about = (kind.as_deref() == Some(MentorNotes::KIND))
                    .then(|| Doc::<MentorNotes>::from_automerge(doc).and_then(|d| d.read()).ok())
                    .flatten()
                    .map(|n| n.about);
                if about == Some(draft.to_string()) {
                    Ok(())
                } else {
                    Err(AccountError::Conflict("these are not private notes about this draft".into()).into())
                }
            }
        }
    }
}

/// The stored document, if anything of it is stored.
fn load(storage: &Storage, id: &DocumentId) -> Result<Option<automerge::AutoCommit>, AppError> {
    let chunks = storage.load_range(&StorageKey::document_prefix(id))?;
    let mut doc = automerge::AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint);
    let mut any = false;
    for (key, bytes) in chunks {
        if key.chunk_kind().is_some() {
            any |= doc.load_incremental(&bytes).is_ok();
        }
    }
    Ok(any.then_some(doc))
}
