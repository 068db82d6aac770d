//! What an associate has shown, competency by competency, and how far that goes towards a stage:
//! a pure function of the program and the pair's observations, computed on every read and never
//! stored, so it always agrees with the observations it came from.
//!
//! The rules:
//!
//! - only observations the pair sees count: a draft is the mentor's alone ([`Observation::is_shared`]);
//! - an observation is evidence for a competency when the mentor rated it there, or a running
//!   note was tagged with it; the notes are linked, so a reader can see what the lesson showed;
//! - towards a stage's bar ("two shared observations at Proficient or above") only ratings count,
//!   at the bar's level or above; a tagged note without a rating is evidence shown, not counted;
//! - levels are compared by position and competencies by id, so a framework version that renames
//!   a competency or a level leaves earlier ratings counting, shown with the new names.
//!
//! The caller hands in the pair's observations as the pair has them (one document per lesson: the
//! shared copy, not the mentor's private draft it was made from).

use crate::model::{Date, Observation, Program, Requirement, Stage, Tag};

/// One of the pair's observations, with its document id (for links).
#[derive(Debug, Clone, Copy)]
pub struct PairObservation<'a> {
    pub id: &'a str,
    pub observation: &'a Observation,
}

/// One observation's evidence for one competency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The observation's document id.
    pub observation: String,
    pub date: Option<Date>,
    /// The mentor's standing rating there: the level's position and its name now.
    pub rating: Option<(u64, String)>,
    /// The running notes tagged with the competency, in lesson order.
    pub notes: Vec<NoteLink>,
}

/// A running note that shows a competency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteLink {
    pub id: String,
    pub text: String,
}

/// What the pair's shared observations show of one competency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetencyEvidence {
    pub competency: String,
    /// Its title as the newest framework version that has it says, or `None` when no version
    /// does (a requirement naming a competency the framework never had).
    pub title: Option<String>,
    /// Newest lesson first.
    pub evidence: Vec<Evidence>,
}

impl CompetencyEvidence {
    /// How many observations were rated at `level` or above.
    pub fn rated_at_least(&self, level: u64) -> u64 {
        self.evidence.iter().filter(|e| e.rating.as_ref().is_some_and(|(l, _)| *l >= level)).count() as u64
    }
}

/// One requirement of a stage, and how far the evidence goes towards it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub requirement: Requirement,
    /// The name of the bar's level now, if the competency has that many levels.
    pub level_name: Option<String>,
    /// Observations rated at the bar or above.
    pub counted: u64,
    pub met: bool,
    pub evidence: CompetencyEvidence,
}

/// How ready the associate is for `stage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub stage: Stage,
    /// The stage's position in the program's order.
    pub position: usize,
    pub requirements: Vec<Progress>,
}

impl Readiness {
    /// Every requirement met (a stage with none is ready at once).
    pub fn ready(&self) -> bool {
        self.requirements.iter().all(|p| p.met)
    }
}

/// What the pair's shared observations show of `competency`.
pub fn evidence_for(
    program: &Program,
    observations: &[PairObservation<'_>],
    competency: &str,
) -> CompetencyEvidence {
    let known = program.competency(competency);
    let tag = Tag::Competency(competency.to_owned());
    let mut evidence: Vec<Evidence> = observations
        .iter()
        .filter(|o| o.observation.is_shared())
        .filter_map(|o| {
            let obs = o.observation;
            let rating = obs.ratings().into_iter().find(|r| r.competency == competency).map(|r| {
                let name = known
                    .and_then(|c| c.levels.get(r.level as usize))
                    .map_or_else(|| format!("level {}", r.level + 1), |l| l.name.clone());
                (r.level, name)
            });
            let notes: Vec<NoteLink> = obs
                .notes
                .iter()
                .filter(|n| n.tags.contains(&tag))
                .map(|n| NoteLink { id: n.id.clone(), text: n.text.clone() })
                .collect();
            (rating.is_some() || !notes.is_empty()).then(|| Evidence {
                observation: o.id.to_owned(),
                date: obs.context.date,
                rating,
                notes,
            })
        })
        .collect();
    evidence.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.observation.cmp(&b.observation)));
    CompetencyEvidence { competency: competency.to_owned(), title: known.map(|c| c.title.clone()), evidence }
}

/// What the pair's shared observations show, for every competency of the newest framework.
pub fn evidence(program: &Program, observations: &[PairObservation<'_>]) -> Vec<CompetencyEvidence> {
    program
        .framework()
        .map(|f| f.competencies.iter().map(|c| evidence_for(program, observations, &c.id)).collect())
        .unwrap_or_default()
}

/// How ready the associate is for the stage `stage` (by id); `None` if the program has no such
/// stage.
pub fn readiness(program: &Program, observations: &[PairObservation<'_>], stage: &str) -> Option<Readiness> {
    let (position, stage) = program.stage(stage)?;
    let requirements = stage
        .requirements
        .iter()
        .map(|requirement| {
            let evidence = evidence_for(program, observations, &requirement.competency);
            let counted = evidence.rated_at_least(requirement.level);
            let level_name = program
                .competency(&requirement.competency)
                .and_then(|c| c.levels.get(requirement.level as usize))
                .map(|l| l.name.clone());
            Progress {
                requirement: requirement.clone(),
                level_name,
                counted,
                met: counted >= requirement.observations,
                evidence,
            }
        })
        .collect();
    Some(Readiness { stage: stage.clone(), position, requirements })
}

/// The stage after `current` (by id) in the program's order. An associate with no stage recorded
/// is in the first. `None` after the last stage, or when `current` is no longer in the program.
pub fn next_stage<'a>(program: &'a Program, current: Option<&str>) -> Option<&'a Stage> {
    let position = match current {
        None => 0,
        Some(id) => program.stage(id)?.0,
    };
    program.stages.get(position + 1)
}
