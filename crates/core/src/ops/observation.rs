//! Edits to an observation: context, running notes and tags, strengths, glows and grows,
//! questions and answers, reflection, next steps, status, acknowledgements.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};

use super::{TextField, delete_item, ensure_new, push_item, put_opt, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{
    Date, NextStep, Note, Observation, ObservationStatus, Point, Question, Tag, Timestamp, UserId,
};

/// A prose field of an observation, naming list items by their ids.
///
/// `Id` is how the ids are held: `&str` where a field is named for one call (what the operations
/// take), `String` where it is kept, as in a queued [`crate::edit::observation::ObservationEdit`];
/// [`ObservationText::as_deref`] turns the second into the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationText<Id> {
    LessonFocus,
    /// What the associate asked the mentor to watch for.
    WatchFor,
    /// The text of the running note with this id.
    Note(Id),
    OpeningStrength,
    ClosingStrength,
    Glow(Id),
    Grow(Id),
    QuestionPrompt(Id),
    /// The associate's answer to the question with this id.
    Answer(Id),
    Reflection,
    NextStep(Id),
}

impl<Id: AsRef<str>> ObservationText<Id> {
    /// The same field, borrowing its id.
    pub fn as_deref(&self) -> ObservationText<&str> {
        match self {
            ObservationText::LessonFocus => ObservationText::LessonFocus,
            ObservationText::WatchFor => ObservationText::WatchFor,
            ObservationText::Note(id) => ObservationText::Note(id.as_ref()),
            ObservationText::OpeningStrength => ObservationText::OpeningStrength,
            ObservationText::ClosingStrength => ObservationText::ClosingStrength,
            ObservationText::Glow(id) => ObservationText::Glow(id.as_ref()),
            ObservationText::Grow(id) => ObservationText::Grow(id.as_ref()),
            ObservationText::QuestionPrompt(id) => ObservationText::QuestionPrompt(id.as_ref()),
            ObservationText::Answer(id) => ObservationText::Answer(id.as_ref()),
            ObservationText::Reflection => ObservationText::Reflection,
            ObservationText::NextStep(id) => ObservationText::NextStep(id.as_ref()),
        }
    }
}

// Implemented for the borrowed form only, so that `ObservationText::Reflection` needs no type
// annotation where any text field is accepted (`history::text_authors`).
impl TextField<Observation> for ObservationText<&str> {
    fn locate(&self, doc: &Doc<Observation>) -> Result<ObjId, Error> {
        let (obj, key) = match *self {
            ObservationText::LessonFocus => (doc.root_child("context", ObjType::Map)?, "lesson_focus"),
            ObservationText::WatchFor => (doc.root_child("context", ObjType::Map)?, "watch_for"),
            ObservationText::Note(id) => (doc.root_item("notes", "note", id)?, "text"),
            ObservationText::OpeningStrength => (automerge::ROOT, "opening_strength"),
            ObservationText::ClosingStrength => (automerge::ROOT, "closing_strength"),
            ObservationText::Glow(id) => (doc.root_item("glows", "glow", id)?, "text"),
            ObservationText::Grow(id) => (doc.root_item("grows", "grow", id)?, "text"),
            ObservationText::QuestionPrompt(id) => (doc.root_item("questions", "question", id)?, "prompt"),
            ObservationText::Answer(id) => (doc.root_item("questions", "question", id)?, "answer"),
            ObservationText::Reflection => (automerge::ROOT, "reflection"),
            ObservationText::NextStep(id) => (doc.root_item("next_steps", "next step", id)?, "text"),
        };
        doc.child_of(&obj, key, ObjType::Text)
    }

    fn label(&self) -> String {
        match self {
            ObservationText::LessonFocus => "context/lesson_focus".to_owned(),
            ObservationText::WatchFor => "context/watch_for".to_owned(),
            ObservationText::Note(id) => format!("notes/{id}/text"),
            ObservationText::OpeningStrength => "opening_strength".to_owned(),
            ObservationText::ClosingStrength => "closing_strength".to_owned(),
            ObservationText::Glow(id) => format!("glows/{id}"),
            ObservationText::Grow(id) => format!("grows/{id}"),
            ObservationText::QuestionPrompt(id) => format!("questions/{id}/prompt"),
            ObservationText::Answer(id) => format!("questions/{id}/answer"),
            ObservationText::Reflection => "reflection".to_owned(),
            ObservationText::NextStep(id) => format!("next_steps/{id}"),
        }
    }
}

/// Splices a prose field of an observation.
pub fn splice(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    field: ObservationText<&str>,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &field, pos, delete, insert)
}

/// A short, single-valued context field (last writer wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextField {
    Class,
    Period,
    Subject,
}

impl ContextField {
    fn key(self) -> &'static str {
        match self {
            ContextField::Class => "class",
            ContextField::Period => "period",
            ContextField::Subject => "subject",
        }
    }
}

pub fn set_context(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    field: ContextField,
    value: &str,
) -> Result<(), Error> {
    let context = doc.root_child("context", ObjType::Map)?;
    let label = format!("context/{}", field.key());
    doc.begin(by, at, &label).put(&context, field.key(), value)?;
    Ok(())
}

pub fn set_date(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    date: Option<Date>,
) -> Result<(), Error> {
    let context = doc.root_child("context", ObjType::Map)?;
    let am = doc.begin(by, at, "context/date");
    put_opt(am, &context, "date", date.map(|d| d.to_string()).as_deref())
}

/// Appends a running note. `id` is generated by the caller and must be new.
pub fn add_note(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    text: &str,
    tags: &[Tag],
) -> Result<(), Error> {
    let notes = doc.root_child("notes", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &notes, "note", id)?;
    let am = doc.begin(by, at, &format!("notes/{id}"));
    let note = push_item(am, &notes, id)?;
    put_time(am, &note, "at", at)?;
    am.put(&note, "by", by.as_str())?;
    put_text(am, &note, "text", text)?;
    let list = am.put_object(&note, "tags", ObjType::List)?;
    for (i, tag) in tags.iter().enumerate() {
        am.insert(&list, i, tag.encode())?;
    }
    Ok(())
}

pub fn delete_note(doc: &mut Doc<Observation>, by: &UserId, at: Timestamp, id: &str) -> Result<(), Error> {
    delete_from(doc, by, at, "notes", "note", id)
}

/// Tags a note. Tagging twice is harmless: readers see each tag once.
pub fn add_tag(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    note: &str,
    tag: &Tag,
) -> Result<(), Error> {
    let item = doc.root_item("notes", "note", note)?;
    let tags = doc.child_of(&item, "tags", ObjType::List)?;
    let encoded = tag.encode();
    let present = doc.automerge_ref().values(&tags).any(|(v, _)| v.as_str() == Some(encoded.as_str()));
    if present {
        return Ok(());
    }
    let am = doc.begin(by, at, &format!("notes/{note}/tags"));
    let len = am.length(&tags);
    am.insert(&tags, len, encoded)?;
    Ok(())
}

/// Removes a tag from a note (every copy of it, if two people added it at once).
pub fn remove_tag(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    note: &str,
    tag: &Tag,
) -> Result<(), Error> {
    let item = doc.root_item("notes", "note", note)?;
    let tags = doc.child_of(&item, "tags", ObjType::List)?;
    let encoded = tag.encode();
    let positions: Vec<usize> = doc
        .automerge_ref()
        .values(&tags)
        .enumerate()
        .filter(|(_, (v, _))| v.as_str() == Some(encoded.as_str()))
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() {
        return Ok(());
    }
    let am = doc.begin(by, at, &format!("notes/{note}/tags"));
    for i in positions.into_iter().rev() {
        am.delete(&tags, i)?;
    }
    Ok(())
}

/// Which feedback list a point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    Glow,
    Grow,
}

impl Feedback {
    fn list(self) -> &'static str {
        match self {
            Feedback::Glow => "glows",
            Feedback::Grow => "grows",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Feedback::Glow => "glow",
            Feedback::Grow => "grow",
        }
    }
}

/// Appends a glow or a grow.
pub fn add_point(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    kind: Feedback,
    id: &str,
    text: &str,
) -> Result<(), Error> {
    let list = doc.root_child(kind.list(), ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, kind.what(), id)?;
    let am = doc.begin(by, at, &format!("{}/{id}", kind.list()));
    let item = push_item(am, &list, id)?;
    put_text(am, &item, "text", text)?;
    Ok(())
}

pub fn delete_point(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    kind: Feedback,
    id: &str,
) -> Result<(), Error> {
    delete_from(doc, by, at, kind.list(), kind.what(), id)
}

/// Appends an open-ended question, perhaps taken from the program's question bank.
pub fn add_question(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    bank_id: Option<&str>,
    prompt: &str,
) -> Result<(), Error> {
    let list = doc.root_child("questions", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "question", id)?;
    let am = doc.begin(by, at, &format!("questions/{id}"));
    let item = push_item(am, &list, id)?;
    put_opt(am, &item, "bank_id", bank_id)?;
    put_text(am, &item, "prompt", prompt)?;
    put_text(am, &item, "answer", "")?;
    Ok(())
}

pub fn delete_question(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
) -> Result<(), Error> {
    delete_from(doc, by, at, "questions", "question", id)
}

/// Appends a next step, optionally linked to a goal id.
pub fn add_next_step(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    text: &str,
    goal: Option<&str>,
) -> Result<(), Error> {
    let list = doc.root_child("next_steps", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "next step", id)?;
    let am = doc.begin(by, at, &format!("next_steps/{id}"));
    let item = push_item(am, &list, id)?;
    put_text(am, &item, "text", text)?;
    put_opt(am, &item, "goal", goal)?;
    Ok(())
}

/// Links a next step to a goal, or unlinks it.
pub fn link_next_step(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    goal: Option<&str>,
) -> Result<(), Error> {
    let item = doc.root_item("next_steps", "next step", id)?;
    let am = doc.begin(by, at, &format!("next_steps/{id}/goal"));
    put_opt(am, &item, "goal", goal)
}

pub fn delete_next_step(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
) -> Result<(), Error> {
    delete_from(doc, by, at, "next_steps", "next step", id)
}

/// An item taken out of one of an observation's lists, whole, as it was: what Undo and the
/// history put back.
#[derive(Debug, Clone, PartialEq)]
pub enum Removed {
    Note(Note),
    Glow(Point),
    Grow(Point),
    Question(Question),
    NextStep(NextStep),
}

impl Removed {
    /// The item's id (unchanged by restoring it).
    pub fn id(&self) -> &str {
        match self {
            Removed::Note(n) => &n.id,
            Removed::Glow(p) | Removed::Grow(p) => &p.id,
            Removed::Question(q) => &q.id,
            Removed::NextStep(s) => &s.id,
        }
    }

    /// The root list it belongs in.
    pub fn list(&self) -> &'static str {
        match self {
            Removed::Note(_) => "notes",
            Removed::Glow(_) => "glows",
            Removed::Grow(_) => "grows",
            Removed::Question(_) => "questions",
            Removed::NextStep(_) => "next_steps",
        }
    }

    /// What it is, in a word, for people and errors.
    pub fn what(&self) -> &'static str {
        match self {
            Removed::Note(_) => "note",
            Removed::Glow(_) => "glow",
            Removed::Grow(_) => "grow",
            Removed::Question(_) => "question",
            Removed::NextStep(_) => "next step",
        }
    }

    /// The item at `obj`, an element of root list `list`, read from the document (also after it
    /// was deleted from the list: automerge keeps the object).
    pub(crate) fn hydrate(am: &automerge::AutoCommit, list: &str, obj: &ObjId) -> Option<Removed> {
        use autosurgeon::Hydrate;
        Some(match list {
            "notes" => Removed::Note(Note::hydrate_map(am, obj).ok()?),
            "glows" => Removed::Glow(Point::hydrate_map(am, obj).ok()?),
            "grows" => Removed::Grow(Point::hydrate_map(am, obj).ok()?),
            "questions" => Removed::Question(Question::hydrate_map(am, obj).ok()?),
            "next_steps" => Removed::NextStep(NextStep::hydrate_map(am, obj).ok()?),
            _ => return None,
        })
    }

    /// The item `id` of root list `list` in a record, and its position there.
    pub fn find(obs: &Observation, list: &str, id: &str) -> Option<(Removed, usize)> {
        fn pick<T: Clone>(items: &[T], id: &str, key: impl Fn(&T) -> &str) -> Option<(T, usize)> {
            items.iter().position(|i| key(i) == id).map(|at| (items[at].clone(), at))
        }
        match list {
            "notes" => pick(&obs.notes, id, |n| &n.id).map(|(n, i)| (Removed::Note(n), i)),
            "glows" => pick(&obs.glows, id, |p| &p.id).map(|(p, i)| (Removed::Glow(p), i)),
            "grows" => pick(&obs.grows, id, |p| &p.id).map(|(p, i)| (Removed::Grow(p), i)),
            "questions" => pick(&obs.questions, id, |q| &q.id).map(|(q, i)| (Removed::Question(q), i)),
            "next_steps" => pick(&obs.next_steps, id, |s| &s.id).map(|(s, i)| (Removed::NextStep(s), i)),
            _ => None,
        }
    }
}

/// Puts a removed item back at `index` of its list (or at the end, if the list is shorter now),
/// whole: a note keeps its time, author and tags, a question its answer. It is a new list item
/// with the old id, its prose new `Text` holding the old words; the old one stays in history.
/// Fails with [`Error::DuplicateId`] if the item is there (already restored).
pub fn restore(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    item: &Removed,
    index: usize,
) -> Result<(), Error> {
    let list = doc.root_child(item.list(), ObjType::List)?;
    let id = item.id();
    ensure_new(doc.automerge_ref(), &list, item.what(), id)?;
    let am = doc.begin(by, at, &format!("{}/{id}/restored", item.list()));
    let obj = am.insert_object(&list, index.min(am.length(&list)), ObjType::Map)?;
    am.put(&obj, "id", id)?;
    match item {
        Removed::Note(note) => {
            put_time(am, &obj, "at", note.at)?;
            am.put(&obj, "by", note.by.as_str())?;
            put_text(am, &obj, "text", &note.text)?;
            let tags = am.put_object(&obj, "tags", ObjType::List)?;
            for (i, tag) in note.tags.iter().enumerate() {
                am.insert(&tags, i, tag.encode())?;
            }
        }
        Removed::Glow(point) | Removed::Grow(point) => {
            put_text(am, &obj, "text", &point.text)?;
        }
        Removed::Question(q) => {
            put_opt(am, &obj, "bank_id", q.bank_id.as_deref())?;
            put_text(am, &obj, "prompt", &q.prompt)?;
            put_text(am, &obj, "answer", &q.answer)?;
        }
        Removed::NextStep(step) => {
            put_text(am, &obj, "text", &step.text)?;
            put_opt(am, &obj, "goal", step.goal.as_deref())?;
        }
    }
    Ok(())
}

/// Puts back the item `id` most recently deleted from root list `list`, as it was when it was
/// deleted and where it stood (see [`crate::history::deleted`]): Undo, and restoring from history.
pub fn restore_deleted(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    list: &str,
    id: &str,
) -> Result<(), Error> {
    let deletion = crate::history::deleted(doc)?
        .into_iter()
        .find(|d| d.item.list() == list && d.item.id() == id)
        .ok_or_else(|| Error::NotFound { what: "deleted item", id: id.to_owned() })?;
    restore(doc, by, at, &deletion.item, deletion.index)
}

/// Sets the status. Concurrent different statuses are reported by
/// [`crate::conflict::observation`] and settled with [`super::resolve`] (or by setting it again).
pub fn set_status(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    status: ObservationStatus,
) -> Result<(), Error> {
    doc.begin(by, at, "status").put(automerge::ROOT, "status", status.as_str())?;
    Ok(())
}

/// Records that `by` has received (not necessarily agreed with) the feedback. Append-only: a
/// second acknowledgement by the same user keeps the first time.
pub fn acknowledge(doc: &mut Doc<Observation>, by: &UserId, at: Timestamp) -> Result<(), Error> {
    let acks = doc.root_child("acknowledgements", ObjType::Map)?;
    if doc.automerge_ref().get(&acks, by.as_str())?.is_some() {
        return Ok(());
    }
    let am = doc.begin(by, at, "acknowledgements");
    put_time(am, &acks, by.as_str(), at)
}

fn delete_from(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    list: &str,
    what: &'static str,
    id: &str,
) -> Result<(), Error> {
    let obj = doc.root_child(list, ObjType::List)?;
    // Look first, so a failed delete leaves no empty batch behind.
    doc.root_item(list, what, id)?;
    let am = doc.begin(by, at, &format!("{list}/{id}/deleted"));
    delete_item(am, &obj, what, id)
}

/// Rates a competency the lesson gave evidence for, at a level of framework version `framework`
/// (by position, 0 for the first). Ratings are appended, never edited: a new rating of the same
/// competency supersedes the earlier one for readers ([`Observation::ratings`]), and both stay.
/// Observations started before ratings existed have no list for them and are refused.
#[allow(clippy::too_many_arguments)]
pub fn rate(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    competency: &str,
    framework: u64,
    level: u64,
) -> Result<(), Error> {
    let list = doc.root_child("ratings", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "rating", id)?;
    let am = doc.begin(by, at, &format!("ratings/{competency}"));
    let item = push_item(am, &list, id)?;
    am.put(&item, "competency", competency)?;
    am.put(&item, "framework", ScalarValue::Uint(framework))?;
    am.put(&item, "level", ScalarValue::Uint(level))?;
    am.put(&item, "by", by.as_str())?;
    put_time(am, &item, "at", at)?;
    Ok(())
}
