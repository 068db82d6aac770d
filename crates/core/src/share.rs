//! Sharing a draft observation as a snapshot.
//!
//! The shared observation is a new document built from the draft's current values, not a copy of
//! the draft: automerge keeps every operation ever made, so a copy would carry every word the
//! mentor typed and deleted in the classroom to the associate's phone. The snapshot has one
//! change, by the sharer, and nothing else.

use automerge::ActorId;
use automerge::transaction::Transactable;

use crate::doc::Doc;
use crate::error::Error;
use crate::genesis::observation_layout;
use crate::model::{ContextInit, Observation, ObservationStatus, Timestamp, UserId};
use crate::ops::{child, push_item, put_opt, put_text, put_time};

/// Builds the shared observation (status `shared`) from `draft`'s current state, including edits
/// not yet committed. The draft itself is left as it is; the caller decides what to do with it.
pub fn snapshot(
    draft: &Doc<Observation>,
    actor: ActorId,
    by: &UserId,
    at: Timestamp,
) -> Result<Doc<Observation>, Error> {
    let obs = draft.read()?;
    let context = ContextInit {
        date: obs.context.date,
        class: obs.context.class.clone(),
        period: obs.context.period.clone(),
        subject: obs.context.subject.clone(),
        lesson_focus: obs.context.lesson_focus.clone(),
        watch_for: obs.context.watch_for.clone(),
    };
    Doc::genesis(actor, by, at, |am| {
        observation_layout(am, &obs.pair, &obs.mentor, &obs.associate, &context, ObservationStatus::Shared)?;
        let root = automerge::ROOT;
        let list = |am: &automerge::AutoCommit, key: &str| {
            child(am, &root, key, automerge::ObjType::List)
                .map_err(|e| Error::Shape { kind: "observation", detail: e.0 })
        };
        let notes = list(am, "notes")?;
        for note in &obs.notes {
            let item = push_item(am, &notes, &note.id)?;
            put_time(am, &item, "at", note.at)?;
            am.put(&item, "by", note.by.as_str())?;
            put_text(am, &item, "text", &note.text)?;
            let tags = am.put_object(&item, "tags", automerge::ObjType::List)?;
            for (i, tag) in note.tags.iter().enumerate() {
                am.insert(&tags, i, tag.encode())?;
            }
        }
        let opening = child(am, &root, "opening_strength", automerge::ObjType::Text)
            .map_err(|e| Error::Shape { kind: "observation", detail: e.0 })?;
        am.splice_text(&opening, 0, 0, &obs.opening_strength)?;
        let closing = child(am, &root, "closing_strength", automerge::ObjType::Text)
            .map_err(|e| Error::Shape { kind: "observation", detail: e.0 })?;
        am.splice_text(&closing, 0, 0, &obs.closing_strength)?;
        for (key, points) in [("glows", &obs.glows), ("grows", &obs.grows)] {
            let list = list(am, key)?;
            for point in points {
                let item = push_item(am, &list, &point.id)?;
                put_text(am, &item, "text", &point.text)?;
            }
        }
        let questions = list(am, "questions")?;
        for q in &obs.questions {
            let item = push_item(am, &questions, &q.id)?;
            put_opt(am, &item, "bank_id", q.bank_id.as_deref())?;
            put_text(am, &item, "prompt", &q.prompt)?;
            put_text(am, &item, "answer", &q.answer)?;
        }
        let reflection = child(am, &root, "reflection", automerge::ObjType::Text)
            .map_err(|e| Error::Shape { kind: "observation", detail: e.0 })?;
        am.splice_text(&reflection, 0, 0, &obs.reflection)?;
        // The ratings the mentor gave while sharing: the evidence a stage's readiness counts.
        let ratings = list(am, "ratings")?;
        for r in &obs.rating_log {
            let item = push_item(am, &ratings, &r.id)?;
            am.put(&item, "competency", r.competency.as_str())?;
            am.put(&item, "framework", automerge::ScalarValue::Uint(r.framework))?;
            am.put(&item, "level", automerge::ScalarValue::Uint(r.level))?;
            am.put(&item, "by", r.by.as_str())?;
            put_time(am, &item, "at", r.at)?;
        }
        let steps = list(am, "next_steps")?;
        for step in &obs.next_steps {
            let item = push_item(am, &steps, &step.id)?;
            put_text(am, &item, "text", &step.text)?;
            put_opt(am, &item, "goal", step.goal.as_deref())?;
        }
        Ok(())
    })
}
