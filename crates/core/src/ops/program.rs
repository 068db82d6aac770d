//! Edits to the program: people, cohorts, pairs, the competency framework, the question bank.
//! Coordinators write it; everyone in the program reads it.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};

use super::{TextField, delete_item, ensure_new, push_item, put_opt, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Program, Role, Timestamp, UserId};

/// Adds a person. People are keyed by id in a map, so two coordinators adding different people
/// at once both succeed.
pub fn add_person(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &UserId,
    name: &str,
    role: Role,
) -> Result<(), Error> {
    let people = new_entry(doc, "people", "person", id.as_str())?;
    let am = doc.begin(by, at, &format!("people/{id}"));
    let person = am.put_object(&people, id.as_str(), ObjType::Map)?;
    am.put(&person, "name", name)?;
    am.put(&person, "role", role.as_str())?;
    Ok(())
}

pub fn rename_person(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &UserId,
    name: &str,
) -> Result<(), Error> {
    let person = entry(doc, "people", "person", id.as_str())?;
    doc.begin(by, at, &format!("people/{id}/name")).put(&person, "name", name)?;
    Ok(())
}

pub fn add_cohort(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    name: &str,
) -> Result<(), Error> {
    let cohorts = new_entry(doc, "cohorts", "cohort", id)?;
    let am = doc.begin(by, at, &format!("cohorts/{id}"));
    let cohort = am.put_object(&cohorts, id, ObjType::Map)?;
    am.put(&cohort, "name", name)?;
    Ok(())
}

/// Adds a mentoring pair, at residency stage 1.
#[allow(clippy::too_many_arguments)]
pub fn add_pair(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    mentor: &UserId,
    associate: &UserId,
    cohort: Option<&str>,
) -> Result<(), Error> {
    let pairs = new_entry(doc, "pairs", "pair", id)?;
    let am = doc.begin(by, at, &format!("pairs/{id}"));
    let pair = am.put_object(&pairs, id, ObjType::Map)?;
    am.put(&pair, "mentor", mentor.as_str())?;
    am.put(&pair, "associate", associate.as_str())?;
    put_opt(am, &pair, "cohort", cohort)?;
    am.put(&pair, "stage", ScalarValue::Uint(1))?;
    Ok(())
}

pub fn set_pair_cohort(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    cohort: Option<&str>,
) -> Result<(), Error> {
    let pair = entry(doc, "pairs", "pair", id)?;
    let am = doc.begin(by, at, &format!("pairs/{id}/cohort"));
    put_opt(am, &pair, "cohort", cohort)
}

/// Moves a pair's associate to a residency stage (they showed competence at the previous one).
pub fn set_pair_stage(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    stage: u64,
) -> Result<(), Error> {
    let pair = entry(doc, "pairs", "pair", id)?;
    doc.begin(by, at, &format!("pairs/{id}/stage")).put(&pair, "stage", ScalarValue::Uint(stage))?;
    Ok(())
}

/// One competency of a framework version being published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetencyInit<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub description: &'a str,
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

/// The root map `map`, checking `id` is not in it yet.
fn new_entry(doc: &Doc<Program>, map: &str, what: &'static str, id: &str) -> Result<ObjId, Error> {
    let obj = doc.root_child(map, ObjType::Map)?;
    if doc.automerge_ref().get(&obj, id)?.is_some() {
        return Err(Error::DuplicateId { what, id: id.to_owned() });
    }
    Ok(obj)
}

/// The entry `id` of root map `map`.
fn entry(doc: &Doc<Program>, map: &str, what: &'static str, id: &str) -> Result<ObjId, Error> {
    let obj = doc.root_child(map, ObjType::Map)?;
    doc.child_of(&obj, id, ObjType::Map).map_err(|_| Error::NotFound { what, id: id.to_owned() })
}
