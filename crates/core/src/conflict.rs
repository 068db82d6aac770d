//! Concurrent writes to a single-valued field that matters, shown rather than picked.
//!
//! When two people set the same field without seeing each other's write, automerge keeps both
//! values and deterministically shows one. For most scalars that is fine (last writer wins,
//! history kept). For an observation's status and a goal's status, due date, baseline, target and
//! successor it is not: "mentor said achieved, associate said reworked" needs a person to agree.
//! These functions list such conflicts with every value and who wrote it; [`crate::ops::resolve`]
//! writes the chosen value, which supersedes all of them.

use std::fmt;

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::doc::{Doc, Schema};
use crate::history::Attribution;
use crate::model::{Goals, Observation, StageRecord, Timestamp, UserId};
use crate::ops::find;

/// Which field is in conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    ObservationStatus,
    GoalStatus {
        goal: String,
    },
    GoalDue {
        goal: String,
    },
    GoalBaseline {
        goal: String,
    },
    GoalTarget {
        goal: String,
    },
    GoalReworkedInto {
        goal: String,
    },
    /// A stage record's status (proposed, more evidence asked for, confirmed).
    StageStatus,
    /// The stage a stage record says was proposed, or that the associate is in.
    StageProposed,
    StageCurrent,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::ObservationStatus => write!(f, "status"),
            Field::GoalStatus { goal } => write!(f, "goals/{goal}/status"),
            Field::GoalDue { goal } => write!(f, "goals/{goal}/due"),
            Field::GoalBaseline { goal } => write!(f, "goals/{goal}/measure/baseline"),
            Field::GoalTarget { goal } => write!(f, "goals/{goal}/measure/target"),
            Field::GoalReworkedInto { goal } => write!(f, "goals/{goal}/reworked_into"),
            Field::StageStatus => write!(f, "status"),
            Field::StageProposed => write!(f, "proposed"),
            Field::StageCurrent => write!(f, "current"),
        }
    }
}

/// A field with two or more concurrent values.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub field: Field,
    /// Every value, in automerge's order (the last is the one readers currently see).
    pub claims: Vec<Claim>,
    pub(crate) obj: ObjId,
    pub(crate) key: &'static str,
}

/// One of the conflicting values and who wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub value: ClaimValue,
    /// `None` if the change came from a client that does not record users.
    pub by: Option<UserId>,
    pub at: Option<Timestamp>,
}

impl Claim {
    /// The value as text (`null` for a cleared field).
    pub fn text(&self) -> String {
        self.value.text()
    }
}

/// A claimed value exactly as the document holds it. Opaque, so that a screen can show a claim
/// and hand it back as a person's choice ([`crate::edit::Agreement`]) without knowing automerge's
/// types, and [`crate::ops::resolve`] writes back precisely the value that was shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimValue(pub(crate) ScalarValue);

impl ClaimValue {
    /// The value as text (`null` for a cleared field).
    pub fn text(&self) -> String {
        match &self.0 {
            ScalarValue::Str(s) => s.to_string(),
            other => other.to_string(),
        }
    }

    /// Whether the claim is that the field has no value (a due date or successor cleared).
    pub fn is_cleared(&self) -> bool {
        matches!(self.0, ScalarValue::Null)
    }
}

/// A string value, as statuses, dates, baselines and targets are stored.
impl From<&str> for ClaimValue {
    fn from(value: &str) -> ClaimValue {
        ClaimValue(ScalarValue::Str(value.into()))
    }
}

impl fmt::Display for Conflict {
    /// "needs agreement on status: u-mentor said achieved, u-assoc said reworked"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "needs agreement on {}: ", self.field)?;
        for (i, claim) in self.claims.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let who = claim.by.as_ref().map_or("someone", |u| u.as_str());
            write!(f, "{who} said {}", claim.text())?;
        }
        Ok(())
    }
}

/// Conflicts in an observation (its status). Commits the open batch first.
pub fn observation(doc: &mut Doc<Observation>) -> Vec<Conflict> {
    let attribution = Attribution::of(doc);
    let mut out = Vec::new();
    check(doc, &attribution, &automerge::ROOT, "status", Field::ObservationStatus, &mut out);
    out
}

/// Conflicts in a pair's stage record: its status (a proposal and a decision made at once), the
/// stage proposed, and the current stage. Commits the open batch first.
pub fn stage_record(doc: &mut Doc<StageRecord>) -> Vec<Conflict> {
    let attribution = Attribution::of(doc);
    let mut out = Vec::new();
    check(doc, &attribution, &automerge::ROOT, "status", Field::StageStatus, &mut out);
    check(doc, &attribution, &automerge::ROOT, "proposed", Field::StageProposed, &mut out);
    check(doc, &attribution, &automerge::ROOT, "current", Field::StageCurrent, &mut out);
    out
}

/// Conflicts in a pair's goals (status, due date, baseline, target, successor). Commits the open
/// batch first.
pub fn goals(doc: &mut Doc<Goals>) -> Vec<Conflict> {
    let attribution = Attribution::of(doc);
    let mut out = Vec::new();
    let Ok(list) = doc.root_child("goals", ObjType::List) else {
        return out;
    };
    let am = doc.automerge_ref();
    let ids: Vec<String> = (0..am.length(&list))
        .filter_map(|i| match am.get(&list, i) {
            Ok(Some((Value::Object(ObjType::Map), item))) => match am.get(&item, "id") {
                Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
                _ => None,
            },
            _ => None,
        })
        .collect();
    for id in ids {
        let Some((_, goal)) = find(doc.automerge_ref(), &list, &id) else {
            continue;
        };
        let g = || id.clone();
        check(doc, &attribution, &goal, "status", Field::GoalStatus { goal: g() }, &mut out);
        check(doc, &attribution, &goal, "due", Field::GoalDue { goal: g() }, &mut out);
        check(doc, &attribution, &goal, "reworked_into", Field::GoalReworkedInto { goal: g() }, &mut out);
        if let Ok(measure) = doc.child_of(&goal, "measure", ObjType::Map) {
            check(doc, &attribution, &measure, "baseline", Field::GoalBaseline { goal: g() }, &mut out);
            check(doc, &attribution, &measure, "target", Field::GoalTarget { goal: g() }, &mut out);
        }
    }
    out
}

fn check<S: Schema>(
    doc: &Doc<S>,
    attribution: &Attribution,
    obj: &ObjId,
    key: &'static str,
    field: Field,
    out: &mut Vec<Conflict>,
) {
    let Ok(values) = doc.automerge_ref().get_all(obj, key) else {
        return;
    };
    let claims: Vec<Claim> = values
        .into_iter()
        .filter_map(|(value, id)| match value {
            Value::Scalar(s) => Some(Claim {
                value: ClaimValue(s.into_owned()),
                by: attribution.user_of(&id).cloned(),
                at: attribution.time_of(&id),
            }),
            Value::Object(_) => None,
        })
        .collect();
    // Two people writing the same value at once agree; that is not a conflict.
    let distinct = claims.iter().skip(1).any(|c| claims.first().is_some_and(|first| first.value != c.value));
    if distinct {
        out.push(Conflict { field, claims, obj: obj.clone(), key });
    }
}
