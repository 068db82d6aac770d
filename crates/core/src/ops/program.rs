//! Edits to the program: the competency framework and the question bank, what coordinators
//! author. Coordinators write it; everyone in the program reads it. People, pairs and cohorts are
//! not here: they are the relay's accounts.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};

use super::{TextField, delete_item, ensure_new, push_item, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Program, Timestamp, UserId};

/// One competency of a framework version being published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetencyInit<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// (name, what it looks like), first level to last.
    pub levels: &'a [(&'a str, &'a str)],
}

/// Publishes a new version of the competency framework. Published versions are never edited, so
/// tags that name a competency keep their meaning; `version` must be higher than every published
/// one.
pub fn publish_framework(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    version: u64,
    title: &str,
    competencies: &[CompetencyInit<'_>],
) -> Result<(), Error> {
    let list = doc.root_child("frameworks", ObjType::List)?;
    let newest = doc.read()?.framework().map(|f| f.version);
    if newest.is_some_and(|v| v >= version) {
        return Err(Error::DuplicateId { what: "framework version", id: version.to_string() });
    }
    let am = doc.begin(by, at, &format!("frameworks/{version}"));
    let len = am.length(&list);
    let framework = am.insert_object(&list, len, ObjType::Map)?;
    am.put(&framework, "version", ScalarValue::Uint(version))?;
    am.put(&framework, "title", title)?;
    put_time(am, &framework, "published_at", at)?;
    let items = am.put_object(&framework, "competencies", ObjType::List)?;
    for c in competencies {
        let item = push_item(am, &items, c.id)?;
        am.put(&item, "code", c.code)?;
        am.put(&item, "title", c.title)?;
        am.put(&item, "description", c.description)?;
        // Inside the new version's item, so created once, by its publisher.
        let levels = am.put_object(&item, "levels", ObjType::List)?;
        for (i, (name, description)) in c.levels.iter().enumerate() {
            let level = am.insert_object(&levels, i, ObjType::Map)?;
            am.put(&level, "name", *name)?;
            am.put(&level, "description", *description)?;
        }
    }
    Ok(())
}

/// The wording of a question in the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankText<'a>(pub &'a str);

impl TextField<Program> for BankText<'_> {
    fn locate(&self, doc: &Doc<Program>) -> Result<ObjId, Error> {
        let item = doc.root_item("question_bank", "bank question", self.0)?;
        doc.child_of(&item, "text", ObjType::Text)
    }

    fn label(&self) -> String {
        format!("question_bank/{}", self.0)
    }
}

/// Adds an open-ended coaching question to the bank.
pub fn add_bank_question(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    text: &str,
    theme: &str,
) -> Result<(), Error> {
    let list = doc.root_child("question_bank", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "bank question", id)?;
    let am = doc.begin(by, at, &format!("question_bank/{id}"));
    let item = push_item(am, &list, id)?;
    put_text(am, &item, "text", text)?;
    am.put(&item, "theme", theme)?;
    Ok(())
}

pub fn splice_bank_question(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &BankText(id), pos, delete, insert)
}

pub fn delete_bank_question(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
) -> Result<(), Error> {
    let list = doc.root_child("question_bank", ObjType::List)?;
    doc.root_item("question_bank", "bank question", id)?;
    let am = doc.begin(by, at, &format!("question_bank/{id}/deleted"));
    delete_item(am, &list, "bank question", id)
}
