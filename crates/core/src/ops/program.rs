//! Edits to the program: the competency framework and the question bank, what coordinators
//! author. Coordinators write it; everyone in the program reads it. People, pairs and cohorts are
//! not here: they are the relay's accounts.
//!
//! The framework is versioned: a published version is never edited, so a note tagged with a
//! competency keeps what it meant. A coordinator's change to an area ([`revise_framework`])
//! publishes the next version, the newest with that one change made; a retired area is simply
//! not in it, and stays readable through the older versions ([`Program::competency`]). A bank
//! question is retired in place (`retired_at`): observations keep the prompt they asked.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};

use super::{TextField, delete_item, ensure_new, push_item, put_text, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{Program, Timestamp, UserId};

/// One competency of a framework version being published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A competency area as the next framework version will hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Area {
    id: String,
    code: String,
    title: String,
    description: String,
    levels: Vec<(String, String)>,
}

/// One change a coordinator makes to the competency framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameworkChange<'a> {
    /// A new area, after the others (or a retired one brought back, under its old id).
    Add(CompetencyInit<'a>),
    /// The area with this id renamed, described or given other levels, in its place.
    Edit(CompetencyInit<'a>),
    /// Out of the framework from the next version on; older records still read it.
    Retire { id: &'a str },
}

/// Publishes the next version of the framework: the newest one with `change` made. Returns the
/// new version's number. The first version of a program without one is number 1.
pub fn revise_framework(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    change: &FrameworkChange<'_>,
) -> Result<u64, Error> {
    let program = doc.read()?;
    let newest = program.framework();
    let (version, title) =
        newest.map_or((1, crate::defaults::FRAMEWORK_TITLE.to_owned()), |f| (f.version + 1, f.title.clone()));
    let mut areas: Vec<Area> = newest
        .map(|f| {
            f.competencies
                .iter()
                .map(|c| Area {
                    id: c.id.clone(),
                    code: c.code.clone(),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    levels: c.levels.iter().map(|l| (l.name.clone(), l.description.clone())).collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let position = |areas: &[Area], id: &str| {
        areas
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| Error::NotFound { what: "competency", id: id.to_owned() })
    };
    let area = |c: &CompetencyInit<'_>| Area {
        id: c.id.to_owned(),
        code: c.code.to_owned(),
        title: c.title.to_owned(),
        description: c.description.to_owned(),
        levels: c.levels.iter().map(|(n, d)| ((*n).to_owned(), (*d).to_owned())).collect(),
    };
    match change {
        FrameworkChange::Add(c) => {
            if areas.iter().any(|a| a.id == c.id) {
                return Err(Error::DuplicateId { what: "competency", id: c.id.to_owned() });
            }
            areas.push(area(c));
        }
        FrameworkChange::Edit(c) => {
            let i = position(&areas, c.id)?;
            areas[i] = area(c);
        }
        FrameworkChange::Retire { id } => {
            let i = position(&areas, id)?;
            areas.remove(i);
        }
    }
    let levels: Vec<Vec<(&str, &str)>> =
        areas.iter().map(|a| a.levels.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect()).collect();
    let competencies: Vec<CompetencyInit<'_>> = areas
        .iter()
        .zip(&levels)
        .map(|(a, levels)| CompetencyInit {
            id: &a.id,
            code: &a.code,
            title: &a.title,
            description: &a.description,
            levels,
        })
        .collect();
    publish_framework(doc, by, at, version, &title, &competencies)?;
    Ok(version)
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

/// Moves a bank question to another theme (a short label: last writer wins).
pub fn set_bank_question_theme(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
    theme: &str,
) -> Result<(), Error> {
    let item = doc.root_item("question_bank", "bank question", id)?;
    doc.begin(by, at, &format!("question_bank/{id}/theme")).put(&item, "theme", theme)?;
    Ok(())
}

/// Takes a question out of the bank's offer from now on. It stays in the document, so its
/// history and the console's list of retired questions keep it; observations that asked it keep
/// their own copy of its prompt.
pub fn retire_bank_question(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
) -> Result<(), Error> {
    let item = doc.root_item("question_bank", "bank question", id)?;
    let am = doc.begin(by, at, &format!("question_bank/{id}/retired"));
    put_time(am, &item, "retired_at", at)
}

/// Offers a retired question again.
pub fn restore_bank_question(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    id: &str,
) -> Result<(), Error> {
    let item = doc.root_item("question_bank", "bank question", id)?;
    doc.begin(by, at, &format!("question_bank/{id}/restored")).put(&item, "retired_at", ScalarValue::Null)?;
    Ok(())
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

/// A requirement of a stage being added: `observations` shared observations rated at `level`
/// (by position) or above in `competency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequirementInit<'a> {
    pub id: &'a str,
    pub competency: &'a str,
    pub observations: u64,
    pub level: u64,
}

/// A stage being added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageInit<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub responsibility: &'a str,
    pub requirements: &'a [RequirementInit<'a>],
}

/// The stages list, added first to a program written before stages existed (deterministically:
/// [`crate::genesis`]).
fn stages_list(doc: &mut Doc<Program>) -> Result<ObjId, Error> {
    crate::genesis::ensure_stages(doc)?;
    doc.root_child("stages", ObjType::List)
}

/// Appends a stage: it comes after every stage there.
pub fn add_stage(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &StageInit<'_>,
) -> Result<(), Error> {
    let list = stages_list(doc)?;
    ensure_new(doc.automerge_ref(), &list, "stage", stage.id)?;
    let am = doc.begin(by, at, &format!("stages/{}", stage.id));
    let item = push_item(am, &list, stage.id)?;
    am.put(&item, "name", stage.name)?;
    put_text(am, &item, "responsibility", stage.responsibility)?;
    // Inside the new stage's item, so created once, by whoever adds the stage.
    let requirements = am.put_object(&item, "requirements", ObjType::List)?;
    for r in stage.requirements {
        write_requirement(am, &requirements, r)?;
    }
    Ok(())
}

fn write_requirement(
    am: &mut automerge::AutoCommit,
    list: &ObjId,
    r: &RequirementInit<'_>,
) -> Result<(), Error> {
    let item = push_item(am, list, r.id)?;
    am.put(&item, "competency", r.competency)?;
    am.put(&item, "observations", ScalarValue::Uint(r.observations))?;
    am.put(&item, "level", ScalarValue::Uint(r.level))?;
    Ok(())
}

fn stage_item(doc: &Doc<Program>, stage: &str) -> Result<ObjId, Error> {
    doc.root_item("stages", "stage", stage)
}

/// Renames a stage (a short name: last writer wins).
pub fn rename_stage(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &str,
    name: &str,
) -> Result<(), Error> {
    let item = stage_item(doc, stage)?;
    doc.begin(by, at, &format!("stages/{stage}/name")).put(&item, "name", name)?;
    Ok(())
}

/// The responsibility a stage brings, as prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageResponsibility<'a>(pub &'a str);

impl TextField<Program> for StageResponsibility<'_> {
    fn locate(&self, doc: &Doc<Program>) -> Result<ObjId, Error> {
        let item = stage_item(doc, self.0)?;
        doc.child_of(&item, "responsibility", ObjType::Text)
    }

    fn label(&self) -> String {
        format!("stages/{}/responsibility", self.0)
    }
}

pub fn splice_stage_responsibility(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), Error> {
    super::splice_text(doc, by, at, &StageResponsibility(stage), pos, delete, insert)
}

/// Adds a competency to evidence before a stage.
pub fn add_requirement(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &str,
    requirement: &RequirementInit<'_>,
) -> Result<(), Error> {
    let item = stage_item(doc, stage)?;
    let list = doc.child_of(&item, "requirements", ObjType::List)?;
    ensure_new(doc.automerge_ref(), &list, "requirement", requirement.id)?;
    let am = doc.begin(by, at, &format!("stages/{stage}/requirements/{}", requirement.id));
    write_requirement(am, &list, requirement)
}

/// Changes a requirement's bar: how many observations, at which level.
pub fn set_requirement_bar(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &str,
    requirement: &str,
    observations: u64,
    level: u64,
) -> Result<(), Error> {
    let item = stage_item(doc, stage)?;
    let list = doc.child_of(&item, "requirements", ObjType::List)?;
    let (_, req) = super::find(doc.automerge_ref(), &list, requirement)
        .ok_or_else(|| Error::NotFound { what: "requirement", id: requirement.to_owned() })?;
    let am = doc.begin(by, at, &format!("stages/{stage}/requirements/{requirement}"));
    am.put(&req, "observations", ScalarValue::Uint(observations))?;
    am.put(&req, "level", ScalarValue::Uint(level))?;
    Ok(())
}

pub fn delete_requirement(
    doc: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    stage: &str,
    requirement: &str,
) -> Result<(), Error> {
    let item = stage_item(doc, stage)?;
    let list = doc.child_of(&item, "requirements", ObjType::List)?;
    let am = doc.begin(by, at, &format!("stages/{stage}/requirements/{requirement}/deleted"));
    delete_item(am, &list, "requirement", requirement)
}

pub fn delete_stage(doc: &mut Doc<Program>, by: &UserId, at: Timestamp, stage: &str) -> Result<(), Error> {
    let list = stages_list(doc)?;
    stage_item(doc, stage)?;
    let am = doc.begin(by, at, &format!("stages/{stage}/deleted"));
    delete_item(am, &list, "stage", stage)
}
