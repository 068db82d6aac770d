//! The records as plain Rust values, read from a document with autosurgeon's `Hydrate`.
//!
//! These types are snapshots for reading (the UI, the validators, the share snapshot). They are
//! never written back wholesale: every edit goes through [`crate::ops`]. Prose fields are
//! automerge `Text` in the document and plain `String`s here.

use std::collections::BTreeMap;
use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

/// A person's id as the program knows it (not a device: one user may have many actors).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub String);

impl UserId {
    pub fn new(id: impl Into<String>) -> Self {
        UserId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserId {
    fn from(s: &str) -> Self {
        UserId(s.to_owned())
    }
}

impl Hydrate for UserId {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        Ok(UserId(s.to_owned()))
    }
}

/// A moment, in milliseconds since the Unix epoch (what JavaScript's `Date.now()` gives).
///
/// Stored as an automerge timestamp scalar so JavaScript peers read it as a `Date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The calendar day (UTC) this moment falls on.
    pub fn date(self) -> Date {
        // Days since 1970-01-01, then the civil-from-days algorithm (Howard Hinnant's).
        let days = self.0.div_euclid(86_400_000);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Ok(Timestamp(t))
    }

    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        Ok(Timestamp(i))
    }
}

/// A calendar day. Stored as an ISO `YYYY-MM-DD` string, readable by every peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month).contains(&day).then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Date::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Hydrate for Date {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        Date::parse(s).ok_or_else(|| HydrateError::unexpected("a YYYY-MM-DD date", s.to_owned()))
    }
}

/// Reads a prose field: an automerge `Text` object, returned as a `String`.
pub(crate) fn prose<D: ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: Prop<'_>,
) -> Result<String, HydrateError> {
    let text = autosurgeon::Text::hydrate(doc, obj, prop)?;
    Ok(text.as_str().to_owned())
}

/// Declares a string-valued enum stored as its lowercase name.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                $name::parse(s).ok_or_else(|| HydrateError::unexpected(stringify!($name), s.to_owned()))
            }
        }
    };
}

string_enum!(
    /// Where an observation is in its life: draft → shared → debriefed → acknowledged → closed.
    ObservationStatus {
        Draft => "draft",
        Shared => "shared",
        Debriefed => "debriefed",
        Acknowledged => "acknowledged",
        Closed => "closed",
    }
);

string_enum!(
    /// How a SMART goal ends, or that it has not yet.
    GoalStatus {
        Active => "active",
        Achieved => "achieved",
        Reworked => "reworked",
        Dropped => "dropped",
    }
);

string_enum!(
    /// A person's role in the program.
    Role {
        Mentor => "mentor",
        Associate => "associate",
        Coordinator => "coordinator",
    }
);

/// A running note's tag: a glow (strength), a grow (area to develop), or a competency.
///
/// Stored as the strings `glow`, `grow` and `competency:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    Glow,
    Grow,
    Competency(String),
}

impl Tag {
    pub fn encode(&self) -> String {
        match self {
            Tag::Glow => "glow".to_owned(),
            Tag::Grow => "grow".to_owned(),
            Tag::Competency(id) => format!("competency:{id}"),
        }
    }

    pub fn decode(s: &str) -> Option<Tag> {
        match s {
            "glow" => Some(Tag::Glow),
            "grow" => Some(Tag::Grow),
            _ => s.strip_prefix("competency:").map(|id| Tag::Competency(id.to_owned())),
        }
    }
}

impl Hydrate for Tag {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        Tag::decode(s).ok_or_else(|| HydrateError::unexpected("a tag", s.to_owned()))
    }
}

/// Reads a tag list. Two people adding the same tag concurrently leave it twice in the list; a
/// reader sees it once.
fn tags<D: ReadDoc>(doc: &D, obj: &automerge::ObjId, prop: Prop<'_>) -> Result<Vec<Tag>, HydrateError> {
    let mut tags = Vec::<Tag>::hydrate(doc, obj, prop)?;
    let mut seen = std::collections::BTreeSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    Ok(tags)
}

// ---------------------------------------------------------------------------------------------
// Observation
// ---------------------------------------------------------------------------------------------

/// One observed lesson: the mentor's running notes and feedback, the associate's answers.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Observation {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub pair: String,
    pub mentor: UserId,
    pub associate: UserId,
    pub context: Context,
    pub notes: Vec<Note>,
    #[autosurgeon(hydrate = "prose")]
    pub opening_strength: String,
    #[autosurgeon(hydrate = "prose")]
    pub closing_strength: String,
    pub glows: Vec<Point>,
    pub grows: Vec<Point>,
    pub questions: Vec<Question>,
    #[autosurgeon(hydrate = "prose")]
    pub reflection: String,
    pub next_steps: Vec<NextStep>,
    pub status: ObservationStatus,
    /// Who acknowledged receipt (not agreement), and when. Keys are user ids.
    pub acknowledgements: BTreeMap<String, Timestamp>,
    /// The mentor's ratings of the competencies the lesson gave evidence for, append-only (a
    /// later rating of the same competency supersedes an earlier one: [`Observation::ratings`]).
    /// Observations started before ratings existed have none, and no list to add them to.
    #[autosurgeon(missing = "Vec::new", rename = "ratings")]
    pub rating_log: Vec<Rating>,
}

/// A mentor's rating of one competency in one observed lesson: a level of the framework version
/// it was made under, counted by position so a renamed level keeps its place.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Rating {
    pub id: String,
    /// The competency's id, stable across framework versions.
    pub competency: String,
    /// The framework version the rating was made under.
    pub framework: u64,
    /// The level's position, 0 for the first ("Beginning" in the defaults).
    pub level: u64,
    pub by: UserId,
    pub at: Timestamp,
}

impl Observation {
    /// The standing rating of each competency rated: the latest by time (ties broken by id, so
    /// every device reads the same one), in the order competencies were first rated.
    pub fn ratings(&self) -> Vec<&Rating> {
        let mut standing: Vec<&Rating> = Vec::new();
        for rating in &self.rating_log {
            match standing.iter_mut().find(|r| r.competency == rating.competency) {
                Some(r) if (rating.at, &rating.id) > (r.at, &r.id) => *r = rating,
                Some(_) => {}
                None => standing.push(rating),
            }
        }
        standing
    }

    /// Whether the pair sees it: shared, or further along. A draft is the mentor's alone.
    pub fn is_shared(&self) -> bool {
        self.status != ObservationStatus::Draft
    }
}

/// The lesson the observation is about.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Context {
    pub date: Option<Date>,
    pub class: String,
    pub period: String,
    pub subject: String,
    #[autosurgeon(hydrate = "prose")]
    pub lesson_focus: String,
    /// What the associate asked the mentor to watch for.
    #[autosurgeon(hydrate = "prose")]
    pub watch_for: String,
}

/// The lesson's context as given when an observation is started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContextInit {
    pub date: Option<Date>,
    pub class: String,
    pub period: String,
    pub subject: String,
    pub lesson_focus: String,
    pub watch_for: String,
}

/// A timestamped running note taken during the lesson.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Note {
    pub id: String,
    pub at: Timestamp,
    pub by: UserId,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
    #[autosurgeon(hydrate = "tags")]
    pub tags: Vec<Tag>,
}

/// A glow or a grow: one point of feedback.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Point {
    pub id: String,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
}

/// An open-ended coaching question and the associate's answer beside it.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Question {
    pub id: String,
    /// The question bank entry it came from, if any.
    pub bank_id: Option<String>,
    #[autosurgeon(hydrate = "prose")]
    pub prompt: String,
    #[autosurgeon(hydrate = "prose")]
    pub answer: String,
}

/// An agreed next step, perhaps linked to a goal.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct NextStep {
    pub id: String,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
    pub goal: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Mentor notes
// ---------------------------------------------------------------------------------------------

/// The mentor's private notes about a pair or an observation; never synced to anyone else.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct MentorNotes {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub owner: UserId,
    /// What the notes are about: a pair id or an observation document id.
    pub about: String,
    pub entries: Vec<Entry>,
}

/// One private note.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Entry {
    pub id: String,
    pub at: Timestamp,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
}

// ---------------------------------------------------------------------------------------------
// Goals
// ---------------------------------------------------------------------------------------------

/// A pair's SMART goals.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Goals {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub pair: String,
    pub goals: Vec<Goal>,
}

/// A SMART goal: Specific, Measurable, Action-based, Realistic, Time-bound.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Goal {
    pub id: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    #[autosurgeon(hydrate = "prose")]
    pub title: String,
    #[autosurgeon(hydrate = "prose")]
    pub specific: String,
    pub measure: Measure,
    pub actions: Vec<Action>,
    /// Why the goal is within reach.
    #[autosurgeon(hydrate = "prose")]
    pub realistic: String,
    pub due: Option<Date>,
    pub status: GoalStatus,
    /// The goal that replaced this one when it was reworked.
    pub reworked_into: Option<String>,
    /// Why the goal was dropped; empty unless it was.
    #[autosurgeon(hydrate = "prose")]
    pub drop_reason: String,
    pub checkins: Vec<CheckIn>,
    pub wins: Vec<Win>,
}

/// How progress is measured: what is counted, where it started, where it should get to.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Measure {
    #[autosurgeon(hydrate = "prose")]
    pub metric: String,
    pub baseline: String,
    pub target: String,
}

/// A concrete action towards a goal.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Action {
    pub id: String,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
    pub done: bool,
}

/// A progress check-in; append-only.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct CheckIn {
    pub id: String,
    pub at: Timestamp,
    pub by: UserId,
    /// How far towards the target, in percent (0–100).
    pub progress: u8,
    pub note: String,
}

/// A win worth celebrating; append-only.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Win {
    pub id: String,
    pub at: Timestamp,
    pub by: UserId,
    pub text: String,
}

// ---------------------------------------------------------------------------------------------
// Pair index
// ---------------------------------------------------------------------------------------------

/// Which documents belong to a pair, so a new device knows what to fetch.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct PairIndex {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub pair: String,
    pub mentor: UserId,
    pub associate: UserId,
    #[autosurgeon(hydrate = "unique_refs")]
    pub observations: Vec<DocRef>,
    #[autosurgeon(hydrate = "unique_refs")]
    pub goals: Vec<DocRef>,
}

/// Reads a list of references. Two devices listing the same document at once leave it twice in
/// the list; a reader sees it once.
fn unique_refs<D: ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: Prop<'_>,
) -> Result<Vec<DocRef>, HydrateError> {
    let mut refs = Vec::<DocRef>::hydrate(doc, obj, prop)?;
    let mut seen = std::collections::BTreeSet::new();
    refs.retain(|r| seen.insert(r.id.clone()));
    Ok(refs)
}

/// A reference to another document by its id (an automerge-repo document id).
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct DocRef {
    pub id: String,
    /// A short label for lists shown before the document itself arrives.
    pub label: String,
    pub added_at: Timestamp,
}

// ---------------------------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------------------------

/// The program, written by coordinators: what they author, the competency framework and the
/// question bank. People, roles, pairs and cohorts are the relay's accounts (`/api/me` names the
/// people a device works with), the one source of truth for names; documents written before
/// that may still hold `people`, `pairs` and `cohorts` maps, which are kept but no longer read.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Program {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub name: String,
    /// Every published version of the competency framework, oldest first; notes tagged with a
    /// competency keep meaning what they meant when they were written.
    pub frameworks: Vec<Framework>,
    pub question_bank: Vec<BankQuestion>,
    /// The residency's stages, in order: what an associate takes on at each, and what they show
    /// first. Programs written before stages existed have none until a coordinator adds one.
    #[autosurgeon(missing = "Vec::new")]
    pub stages: Vec<Stage>,
}

/// One stage of the residency.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate)]
pub struct Stage {
    pub id: String,
    pub name: String,
    /// The responsibility the stage brings ("teaches one class on their own").
    #[autosurgeon(hydrate = "prose")]
    pub responsibility: String,
    /// What an associate shows before they start the stage.
    pub requirements: Vec<Requirement>,
}

/// A competency to evidence and the bar: `observations` shared observations rated at `level` or
/// above.
#[derive(Debug, Clone, PartialEq, Eq, Hydrate)]
pub struct Requirement {
    pub id: String,
    /// The competency's id, stable across framework versions.
    pub competency: String,
    /// How many shared observations must show it.
    pub observations: u64,
    /// The lowest level that counts, by position (0 for the first).
    pub level: u64,
}

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Framework {
    pub version: u64,
    pub title: String,
    pub published_at: Timestamp,
    pub competencies: Vec<Competency>,
}

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Competency {
    pub id: String,
    pub code: String,
    pub title: String,
    pub description: String,
    /// What the competency looks like at each level, first to last. Frameworks published before
    /// levels existed have none; a version is never edited, so they stay without.
    #[autosurgeon(missing = "Vec::new")]
    pub levels: Vec<Level>,
}

/// One level of a competency: its name ("Beginning") and what it looks like in a classroom.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Level {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct BankQuestion {
    pub id: String,
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
    pub theme: String,
    /// When a coordinator took it out of the bank's offer; observations that asked it keep
    /// their own copy of the prompt.
    #[autosurgeon(missing = "Option::default")]
    pub retired_at: Option<Timestamp>,
}

impl BankQuestion {
    /// Whether the bank still offers it.
    pub fn offered(&self) -> bool {
        self.retired_at.is_none()
    }
}

impl Program {
    /// The newest published framework version.
    pub fn framework(&self) -> Option<&Framework> {
        self.frameworks.iter().max_by_key(|f| f.version)
    }

    /// The competency with this id as the newest framework version that has it describes it:
    /// a renamed competency reads with its new name everywhere, old ratings included, and a
    /// retired one (in no newer version) still reads as it last was.
    pub fn competency(&self, id: &str) -> Option<&Competency> {
        let mut versions: Vec<&Framework> = self.frameworks.iter().collect();
        versions.sort_by_key(|f| std::cmp::Reverse(f.version));
        versions.into_iter().find_map(|f| f.competencies.iter().find(|c| c.id == id))
    }

    /// The areas of older framework versions that the newest no longer has, as each last read.
    pub fn retired_competencies(&self) -> Vec<&Competency> {
        let current = self.framework();
        let mut retired: Vec<&Competency> = Vec::new();
        for framework in self.frameworks.iter() {
            for c in &framework.competencies {
                let in_current = current.is_some_and(|f| f.competencies.iter().any(|n| n.id == c.id));
                if !in_current && !retired.iter().any(|r| r.id == c.id) {
                    retired.extend(self.competency(&c.id));
                }
            }
        }
        retired
    }

    /// The stage with this id, and its position.
    pub fn stage(&self, id: &str) -> Option<(usize, &Stage)> {
        self.stages.iter().enumerate().find(|(_, s)| s.id == id)
    }

    /// The themes of the question bank, in the order their first question appears.
    pub fn themes(&self) -> Vec<&str> {
        let mut themes: Vec<&str> = Vec::new();
        for q in &self.question_bank {
            if !themes.contains(&q.theme.as_str()) {
                themes.push(&q.theme);
            }
        }
        themes
    }
}

// ---------------------------------------------------------------------------------------------
// Stage record
// ---------------------------------------------------------------------------------------------

string_enum!(
    /// Where the question of moving on stands: nothing asked, a move proposed, more evidence asked
    /// for, or the move confirmed. Two people setting it at once is shown as needing agreement.
    StageStatus {
        Settled => "settled",
        Proposed => "proposed",
        MoreEvidence => "more-evidence",
        Confirmed => "confirmed",
    }
);

string_enum!(
    /// What a stage record's entry is.
    StageEntryKind {
        Proposal => "proposal",
        SelfAssessment => "self-assessment",
        Confirmed => "confirmed",
        MoreEvidence => "more-evidence",
    }
);

/// A pair's place in the residency: the stage the associate is in, and every proposal to move
/// on, self-assessment and decision, each with who and when. Seen by the pair and the program's
/// coordinators.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct StageRecord {
    pub schema: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub pair: String,
    pub mentor: UserId,
    pub associate: UserId,
    /// The stage the associate is in (a stage id of the program); `None`: the first stage.
    pub current: Option<String>,
    /// The stage last proposed, while a proposal is open or was answered.
    pub proposed: Option<String>,
    pub status: StageStatus,
    /// Append-only, oldest first.
    pub entries: Vec<StageEntry>,
}

/// One proposal, self-assessment or decision.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct StageEntry {
    pub id: String,
    pub at: Timestamp,
    pub by: UserId,
    pub kind: StageEntryKind,
    /// The stage it is about.
    pub stage: Option<String>,
    /// The rationale, the self-assessment, or what the decision says.
    #[autosurgeon(hydrate = "prose")]
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_fall_on_the_right_calendar_day() {
        assert_eq!(Timestamp(0).date(), Date::new(1970, 1, 1).unwrap());
        // 2026-03-01T12:00:00Z
        assert_eq!(Timestamp(1_772_366_400_000).date(), Date::new(2026, 3, 1).unwrap());
        assert_eq!(Timestamp(-1).date(), Date::new(1969, 12, 31).unwrap());
    }

    #[test]
    fn dates_round_trip_through_iso_strings_and_reject_nonsense() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("soon"), None);
    }

    #[test]
    fn tags_round_trip() {
        for tag in [Tag::Glow, Tag::Grow, Tag::Competency("c-2.1".into())] {
            assert_eq!(Tag::decode(&tag.encode()), Some(tag));
        }
    }
}
