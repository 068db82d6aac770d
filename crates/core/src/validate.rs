//! Domain checks that return problems, never errors.
//!
//! A half-written SMART goal or an observation without strengths is a valid document: people write
//! them a bit at a time, on two devices. The UI shows these problems as hints beside the fields.

use crate::model::{Date, Goal, GoalStatus, Observation};
use crate::ops::observation::Feedback;

/// How much a problem matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth doing something about before going on (sharing, agreeing a goal).
    Warning,
    /// A suggestion.
    Hint,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    // SMART goals.
    NoTitle,
    NotSpecific,
    NoMetric,
    NoBaseline,
    NoTarget,
    /// The target has no number to reach.
    TargetNotMeasurable,
    NoAction,
    /// A vague verb ("improve", "try", ...) where a concrete, observable one belongs.
    VagueVerb {
        phrase: &'static str,
    },
    NotRealistic,
    NoDueDate,
    DueDatePassed,
    ReworkedWithoutSuccessor,
    DroppedWithoutReason,
    // Strengths first.
    NoOpeningStrength,
    NoClosingStrength,
    GrowsWithoutGlows,
}

/// One problem: what, where, and a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    /// The field it concerns, e.g. `measure.target`, `actions`, `opening_strength`.
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    fn warning(kind: ProblemKind, field: &'static str, message: impl Into<String>) -> Problem {
        Problem { kind, severity: Severity::Warning, field, message: message.into() }
    }

    fn hint(kind: ProblemKind, field: &'static str, message: impl Into<String>) -> Problem {
        Problem { kind, severity: Severity::Hint, field, message: message.into() }
    }
}

/// Phrases that name an intention rather than something anyone could see being done.
const VAGUE: &[&str] = &[
    "be better at",
    "get better at",
    "improve",
    "try",
    "understand",
    "work on",
    "learn about",
    "know",
    "be aware",
    "focus on",
];

/// Checks a goal against SMART: Specific, Measurable (metric, baseline, target), Action-based,
/// Realistic, Time-bound; and that a finished goal ended properly.
pub fn goal(goal: &Goal, today: Date) -> Vec<Problem> {
    use ProblemKind as K;
    let mut out = Vec::new();
    if blank(&goal.title) {
        out.push(Problem::warning(K::NoTitle, "title", "give the goal a short title"));
    }
    if blank(&goal.specific) {
        out.push(Problem::warning(
            K::NotSpecific,
            "specific",
            "say exactly what will be different in the classroom",
        ));
    }
    if blank(&goal.measure.metric) {
        out.push(Problem::warning(
            K::NoMetric,
            "measure.metric",
            "say what will be counted or observed to track progress",
        ));
    }
    if blank(&goal.measure.baseline) {
        out.push(Problem::warning(
            K::NoBaseline,
            "measure.baseline",
            "record where things stand today, so progress can be seen",
        ));
    }
    if blank(&goal.measure.target) {
        out.push(Problem::warning(K::NoTarget, "measure.target", "set a target to reach"));
    } else if !goal.measure.target.chars().any(|c| c.is_ascii_digit()) {
        out.push(Problem::warning(
            K::TargetNotMeasurable,
            "measure.target",
            "make the target a number or count (\"8 of 10 students\", \"3 times a week\")",
        ));
    }
    if goal.actions.iter().all(|a| blank(&a.text)) {
        out.push(Problem::warning(K::NoAction, "actions", "add at least one concrete action to take"));
    }
    let wording = [("title", goal.title.as_str()), ("specific", goal.specific.as_str())]
        .into_iter()
        .chain(goal.actions.iter().map(|a| ("actions", a.text.as_str())));
    for (field, text) in wording {
        if let Some(phrase) = vague_phrase(text) {
            out.push(Problem::hint(
                K::VagueVerb { phrase },
                field,
                format!("\"{phrase}\" is hard to observe; name what you will do or see instead"),
            ));
        }
    }
    if blank(&goal.realistic) {
        out.push(Problem::hint(
            K::NotRealistic,
            "realistic",
            "note why this is within reach (time, support, resources)",
        ));
    }
    match goal.due {
        None => out.push(Problem::warning(K::NoDueDate, "due", "set a date by which to reach the target")),
        Some(due) if due < today && goal.status == GoalStatus::Active => out.push(Problem::warning(
            K::DueDatePassed,
            "due",
            format!("the due date {due} has passed; mark the goal achieved, rework it or drop it"),
        )),
        Some(_) => {}
    }
    match goal.status {
        GoalStatus::Reworked if goal.reworked_into.is_none() => out.push(Problem::warning(
            K::ReworkedWithoutSuccessor,
            "reworked_into",
            "link the goal that replaces this one",
        )),
        GoalStatus::Dropped if blank(&goal.drop_reason) => {
            out.push(Problem::warning(K::DroppedWithoutReason, "drop_reason", "say why the goal was dropped"))
        }
        _ => {}
    }
    out
}

/// Strengths first: before sharing, an observation should open and close with what is working.
pub fn observation_share(obs: &Observation) -> Vec<Problem> {
    use ProblemKind as K;
    let mut out = Vec::new();
    if blank(&obs.opening_strength) {
        out.push(Problem::warning(
            K::NoOpeningStrength,
            "opening_strength",
            "open with a strength you saw before any area to grow",
        ));
    }
    if blank(&obs.closing_strength) {
        out.push(Problem::warning(
            K::NoClosingStrength,
            "closing_strength",
            "close with a strength, so the feedback ends on what is working",
        ));
    }
    // A note tagged in class counts as much as a point written afterwards: both are what the
    // associate reads.
    let has = |kind| !crate::feedback::points(obs, kind).is_empty();
    if has(Feedback::Grow) && !has(Feedback::Glow) {
        out.push(Problem::warning(
            K::GrowsWithoutGlows,
            "glows",
            "add at least one glow to balance the grows",
        ));
    }
    out
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// The first vague phrase in `text`, matched as whole words, ignoring case.
fn vague_phrase(text: &str) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    VAGUE.iter().copied().find(|phrase| {
        let needle: Vec<&str> = phrase.split(' ').collect();
        words.windows(needle.len()).any(|w| w.iter().zip(&needle).all(|(a, b)| a == b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vague_phrases_match_whole_words_only() {
        assert_eq!(vague_phrase("Improve questioning"), Some("improve"));
        assert_eq!(vague_phrase("I will be better at waiting"), Some("be better at"));
        assert_eq!(vague_phrase("Use wait time of 5 seconds"), None);
        // "entry" contains "try" but is not the verb.
        assert_eq!(vague_phrase("Greet students at entry"), None);
        assert_eq!(vague_phrase("Know their names"), Some("know"));
    }
}
