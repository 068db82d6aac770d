//! Creating documents: each document's initial structure, written once by its creator.
//!
//! Why once: automerge identifies an object by the operation that created it. If two peers each
//! ran `notes = []` in their own first change, the document would hold two different lists under
//! `notes`; after a merge one wins the key, and everything the other peer put in its list
//! silently disappears. So every container a document will ever need at its root (and in its
//! list items) is created in the creator's first change, before the document is shown to anyone;
//! later edits only insert into, splice or put at objects that already exist. Every function
//! here produces exactly one change, attributed to the creator.
//!
//! Creation takes the creator's actor id (one per device and tab), user id and the time: the
//! core has no randomness or clock of its own.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType};

use crate::doc::Doc;
use crate::error::Error;
use crate::model::{
    ContextInit, Goals, MentorNotes, Observation, ObservationStatus, PairIndex, Program, StageRecord,
    StageStatus, Timestamp, UserId,
};
use crate::ops::{put_opt, put_text};

/// Starts a draft observation for a pair.
#[allow(clippy::too_many_arguments)]
pub fn observation(
    actor: ActorId,
    by: &UserId,
    at: Timestamp,
    pair: &str,
    mentor: &UserId,
    associate: &UserId,
    context: &ContextInit,
) -> Doc<Observation> {
    created(Doc::genesis(actor, by, at, |am| {
        observation_layout(am, pair, mentor, associate, context, ObservationStatus::Draft)
    }))
}

/// Writes an observation's whole structure with empty content. Shared with
/// [`crate::share::snapshot`], which then fills it in the same change.
pub(crate) fn observation_layout(
    am: &mut AutoCommit,
    pair: &str,
    mentor: &UserId,
    associate: &UserId,
    context: &ContextInit,
    status: ObservationStatus,
) -> Result<(), Error> {
    let root = automerge::ROOT;
    am.put(&root, "pair", pair)?;
    am.put(&root, "mentor", mentor.as_str())?;
    am.put(&root, "associate", associate.as_str())?;
    let ctx = am.put_object(&root, "context", ObjType::Map)?;
    put_opt(am, &ctx, "date", context.date.map(|d| d.to_string()).as_deref())?;
    am.put(&ctx, "class", context.class.as_str())?;
    am.put(&ctx, "period", context.period.as_str())?;
    am.put(&ctx, "subject", context.subject.as_str())?;
    put_text(am, &ctx, "lesson_focus", &context.lesson_focus)?;
    put_text(am, &ctx, "watch_for", &context.watch_for)?;
    am.put_object(&root, "notes", ObjType::List)?;
    put_text(am, &root, "opening_strength", "")?;
    put_text(am, &root, "closing_strength", "")?;
    am.put_object(&root, "glows", ObjType::List)?;
    am.put_object(&root, "grows", ObjType::List)?;
    am.put_object(&root, "questions", ObjType::List)?;
    put_text(am, &root, "reflection", "")?;
    am.put_object(&root, "next_steps", ObjType::List)?;
    am.put(&root, "status", status.as_str())?;
    am.put_object(&root, "acknowledgements", ObjType::Map)?;
    am.put_object(&root, "ratings", ObjType::List)?;
    Ok(())
}

/// Starts a mentor's private notes about a pair or an observation; the creator owns them.
pub fn mentor_notes(actor: ActorId, by: &UserId, at: Timestamp, about: &str) -> Doc<MentorNotes> {
    created(Doc::genesis(actor, by, at, |am| {
        am.put(automerge::ROOT, "owner", by.as_str())?;
        am.put(automerge::ROOT, "about", about)?;
        am.put_object(automerge::ROOT, "entries", ObjType::List)?;
        Ok(())
    }))
}

/// Starts a pair's (empty) goals document.
pub fn goals(actor: ActorId, by: &UserId, at: Timestamp, pair: &str) -> Doc<Goals> {
    created(Doc::genesis(actor, by, at, |am| {
        am.put(automerge::ROOT, "pair", pair)?;
        am.put_object(automerge::ROOT, "goals", ObjType::List)?;
        Ok(())
    }))
}

/// Starts a pair's index of documents.
pub fn pair_index(
    actor: ActorId,
    by: &UserId,
    at: Timestamp,
    pair: &str,
    mentor: &UserId,
    associate: &UserId,
) -> Doc<PairIndex> {
    created(Doc::genesis(actor, by, at, |am| {
        am.put(automerge::ROOT, "pair", pair)?;
        am.put(automerge::ROOT, "mentor", mentor.as_str())?;
        am.put(automerge::ROOT, "associate", associate.as_str())?;
        am.put_object(automerge::ROOT, "observations", ObjType::List)?;
        am.put_object(automerge::ROOT, "goals", ObjType::List)?;
        Ok(())
    }))
}

/// Starts a pair's stage record: the associate in the first stage, nothing proposed.
pub fn stage_record(
    actor: ActorId,
    by: &UserId,
    at: Timestamp,
    pair: &str,
    mentor: &UserId,
    associate: &UserId,
) -> Doc<StageRecord> {
    created(Doc::genesis(actor, by, at, |am| {
        let root = automerge::ROOT;
        am.put(&root, "pair", pair)?;
        am.put(&root, "mentor", mentor.as_str())?;
        am.put(&root, "associate", associate.as_str())?;
        put_opt(am, &root, "current", None)?;
        put_opt(am, &root, "proposed", None)?;
        am.put(&root, "status", StageStatus::Settled.as_str())?;
        am.put_object(&root, "entries", ObjType::List)?;
        Ok(())
    }))
}

/// Starts a program (done by its first coordinator).
pub fn program(actor: ActorId, by: &UserId, at: Timestamp, name: &str) -> Doc<Program> {
    // No `stages` here: every program gets that list from the one deterministic change in
    // `ensure_stages`, when its first stage is added, however the program began.
    created(Doc::genesis(actor, by, at, |am| {
        am.put(automerge::ROOT, "name", name)?;
        am.put_object(automerge::ROOT, "frameworks", ObjType::List)?;
        am.put_object(automerge::ROOT, "question_bank", ObjType::List)?;
        Ok(())
    }))
}

/// The actor of the one change that creates a program's `stages` list.
const STAGES_ACTOR: &[u8] = b"tandem:program:stages";

/// Gives a program its `stages` list if it has none, with a deterministic change: a fixed actor,
/// no dependencies, time 0, no message, the same single operation. Programs written before
/// stages existed lack the list, and any coordinator's device may be the first to add a stage,
/// offline; every device that adds the list makes byte-identical bytes, so automerge keeps one
/// change and one list, and no device's stages vanish in a merge (see [`crate::migrate`]).
/// New programs get it the same way (with their first stage), so there is one list however a
/// program began.
pub(crate) fn ensure_stages(doc: &mut Doc<Program>) -> Result<bool, Error> {
    if doc.root_child("stages", ObjType::List).is_ok() {
        return Ok(false);
    }
    let mut am = AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint)
        .with_actor(ActorId::from(STAGES_ACTOR));
    am.put_object(automerge::ROOT, "stages", ObjType::List)?;
    am.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
    let change = am.get_last_local_change().expect("the change just committed");
    doc.automerge().apply_changes([change])?;
    Ok(true)
}

/// Writing to a fresh, empty document only fails if this crate has a bug.
fn created<S>(doc: Result<Doc<S>, Error>) -> Doc<S> {
    doc.expect("writing the initial structure of a fresh document cannot fail")
}
