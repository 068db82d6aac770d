//! What a new program starts with: a small competency framework, four residency stages and a bank
//! of open-ended coaching questions, so that a program set up with `tandem admin create-program` is ready to use on the
//! first day. Coordinators change both in the app afterwards (a new framework version, questions
//! added, reworded or removed).
//!
//! The wording is ours. It follows the practice the product encodes: four areas a novice teacher
//! grows in, each described in a sentence with what it looks like at four levels; and coaching
//! questions that ask the associate to find the answer ("What do you think would have the greatest
//! impact?"), never ones that can be answered yes or no.

use automerge::ActorId;

use crate::doc::Doc;
use crate::error::Error;
use crate::genesis;
use crate::model::{Program, Timestamp, UserId};
use crate::ops::program::{self as p, CompetencyInit, RequirementInit, StageInit};

/// The title of the first framework version.
pub const FRAMEWORK_TITLE: &str = "Teaching competencies";

/// The levels of every default competency, first to last.
pub const LEVELS: [&str; 4] = ["Beginning", "Developing", "Proficient", "Leading"];

/// The four default competency areas: (id, code, title, description, what each level looks like).
pub const COMPETENCIES: [(&str, &str, &str, &str, [&str; 4]); 4] = [
    (
        "c-culture",
        "1",
        "Culture of learning",
        "The room is a place where every student expects to think hard, make mistakes and be heard.",
        [
            "Routines are being set up; some students hang back or take over.",
            "Routines mostly hold; the teacher invites quieter students in.",
            "Students follow routines on their own and listen to one another.",
            "Students hold each other to high expectations and ask for challenge.",
        ],
    ),
    (
        "c-content",
        "2",
        "Essential content",
        "Lessons aim at what matters most in the subject and build on what students already know.",
        [
            "The lesson follows the materials; its aim is not yet clear to students.",
            "The aim is stated; tasks mostly serve it.",
            "Every task serves a clear aim that students can say in their own words.",
            "Content is connected across lessons and to students' lives, and misconceptions are planned for.",
        ],
    ),
    (
        "c-ownership",
        "3",
        "Academic ownership",
        "Students do the thinking: they reason, explain and take charge of their own progress.",
        [
            "The teacher does most of the talking and the thinking.",
            "Students answer questions; a few explain their reasoning.",
            "Most students explain, question and build on each other's ideas.",
            "Students set their own next steps and support each other's learning.",
        ],
    ),
    (
        "c-demonstration",
        "4",
        "Demonstration of learning",
        "Students show what they have learned, and the teacher uses that evidence during and after the lesson.",
        [
            "Learning is checked at the end, if at all.",
            "Checks happen during the lesson; the plan rarely changes because of them.",
            "Evidence from every student shapes what happens next in the lesson.",
            "Students judge their own work against clear criteria and act on it.",
        ],
    ),
];

/// The default question bank: (id, theme, question). Every question is open-ended.
pub const QUESTIONS: [(&str, &str, &str); 30] = [
    ("q-strength-proud", "Strengths", "Which moment of the lesson are you proudest of, and why?"),
    (
        "q-strength-keep",
        "Strengths",
        "What would you keep exactly the same if you taught this lesson again tomorrow?",
    ),
    ("q-strength-worked", "Strengths", "What did you do that helped the lesson go the way it did?"),
    ("q-strength-grown", "Strengths", "How has your teaching changed since the start of the term?"),
    ("q-strength-colleague", "Strengths", "What from today would you want a colleague to see?"),
    ("q-plan-aim", "Planning", "What did you want students to know or be able to do by the end?"),
    ("q-plan-choice", "Planning", "How did you decide on the order of the activities?"),
    (
        "q-plan-misconception",
        "Planning",
        "Which misunderstandings did you expect, and how did you plan for them?",
    ),
    ("q-plan-change", "Planning", "Where would you change the plan, knowing what you know now?"),
    ("q-plan-success", "Planning", "What would success have looked like for the students who struggle most?"),
    (
        "q-culture-voice",
        "Classroom culture",
        "What did you notice about the students who did not speak today?",
    ),
    (
        "q-culture-safe",
        "Classroom culture",
        "How do your students know it is safe to make a mistake in your room?",
    ),
    (
        "q-culture-routine",
        "Classroom culture",
        "Which routine saves you the most time, and how did you build it?",
    ),
    (
        "q-culture-relationship",
        "Classroom culture",
        "What do you know about the student you found hardest to reach today?",
    ),
    (
        "q-culture-expect",
        "Classroom culture",
        "How did you show students that you expect them to think hard?",
    ),
    (
        "q-thinking-who",
        "Student thinking",
        "Who did most of the thinking in the lesson, and how could you tell?",
    ),
    ("q-thinking-question", "Student thinking", "Which of your questions got the most interesting answers?"),
    ("q-thinking-wait", "Student thinking", "What happens in your room after you ask a question?"),
    ("q-thinking-explain", "Student thinking", "How did students explain their reasoning to each other?"),
    ("q-thinking-stretch", "Student thinking", "Where could students have taken on more of the work?"),
    ("q-evidence-know", "Evidence of learning", "How did you know the students had understood?"),
    (
        "q-evidence-surprise",
        "Evidence of learning",
        "What did the students' work tell you that surprised you?",
    ),
    (
        "q-evidence-adjust",
        "Evidence of learning",
        "When did you change course during the lesson, and what made you do it?",
    ),
    (
        "q-evidence-next",
        "Evidence of learning",
        "What will you do tomorrow with what you learned from their work today?",
    ),
    (
        "q-evidence-self",
        "Evidence of learning",
        "How could students check their own work against what good looks like?",
    ),
    (
        "q-next-impact",
        "Next steps",
        "What do you think would have the greatest impact on your students' learning?",
    ),
    ("q-next-one", "Next steps", "What is one thing you can do now to move this forward?"),
    ("q-next-support", "Next steps", "What support would help you try that this week?"),
    ("q-next-measure", "Next steps", "How will you know whether the change made a difference?"),
    ("q-next-obstacle", "Next steps", "What might get in the way, and how will you plan around it?"),
];

/// Level positions in [`LEVELS`], for the stages' bars.
const DEVELOPING: u64 = 1;
const PROFICIENT: u64 = 2;

/// A stage's bar: (competency id, shared observations needed, lowest level that counts).
type Bar = (&'static str, u64, u64);

/// The four default stages, in order: (id, name, the responsibility it brings, the bar to start it).
/// An associate starts in the first, so it asks for nothing; each later one asks for more of the
/// four areas, at a higher level, before the associate takes more of the teaching on.
pub const STAGES: [(&str, &str, &str, &[Bar]); 4] = [
    (
        "s-alongside",
        "Alongside",
        "Plans with the mentor, teaches small groups and leads routines such as the lesson's opening, while the mentor leads the class.",
        &[],
    ),
    (
        "s-parts",
        "Leading parts of lessons",
        "Plans and teaches whole sections of the mentor's lessons, with the mentor in the room and stepping in when asked.",
        &[("c-culture", 2, DEVELOPING), ("c-content", 2, DEVELOPING)],
    ),
    (
        "s-one-class",
        "Teaching one class",
        "Plans and teaches one class on their own for a unit of work, and meets the mentor each week to look at students' work.",
        &[
            ("c-culture", 2, PROFICIENT),
            ("c-content", 2, PROFICIENT),
            ("c-ownership", 1, DEVELOPING),
            ("c-demonstration", 1, DEVELOPING),
        ],
    ),
    (
        "s-full",
        "Full responsibility",
        "Plans and teaches the mentor's whole timetable for several weeks; the mentor steps back to observe and coach.",
        &[
            ("c-culture", 2, PROFICIENT),
            ("c-content", 2, PROFICIENT),
            ("c-ownership", 2, PROFICIENT),
            ("c-demonstration", 2, PROFICIENT),
        ],
    ),
];

/// Adds the default stages after any the program has.
pub fn add_default_stages(program: &mut Doc<Program>, by: &UserId, at: Timestamp) -> Result<(), Error> {
    for (id, name, responsibility, bars) in STAGES {
        let ids: Vec<String> = bars.iter().map(|(competency, _, _)| format!("{id}/{competency}")).collect();
        let requirements: Vec<RequirementInit<'_>> = bars
            .iter()
            .zip(&ids)
            .map(|((competency, observations, level), id)| RequirementInit {
                id,
                competency,
                observations: *observations,
                level: *level,
            })
            .collect();
        p::add_stage(program, by, at, &StageInit { id, name, responsibility, requirements: &requirements })?;
    }
    Ok(())
}

/// A new program's document: its name, the default framework (version 1), stages and question bank,
/// written by `by` (the relay's setup, or the program's first coordinator) at `at`.
pub fn program(actor: ActorId, by: &UserId, at: Timestamp, name: &str) -> Result<Doc<Program>, Error> {
    let mut program = genesis::program(actor, by, at, name);
    publish_default_framework(&mut program, by, at, 1)?;
    add_default_stages(&mut program, by, at)?;
    for (id, theme, text) in QUESTIONS {
        p::add_bank_question(&mut program, by, at, id, text, theme)?;
    }
    program.commit();
    Ok(program)
}

/// Publishes the default framework as `version`.
pub fn publish_default_framework(
    program: &mut Doc<Program>,
    by: &UserId,
    at: Timestamp,
    version: u64,
) -> Result<(), Error> {
    let levels: Vec<Vec<(&str, &str)>> = COMPETENCIES
        .iter()
        .map(|(_, _, _, _, described)| LEVELS.iter().copied().zip(described.iter().copied()).collect())
        .collect();
    let competencies: Vec<CompetencyInit<'_>> = COMPETENCIES
        .iter()
        .zip(&levels)
        .map(|((id, code, title, description, _), levels)| CompetencyInit {
            id,
            code,
            title,
            description,
            levels,
        })
        .collect();
    p::publish_framework(program, by, at, version, FRAMEWORK_TITLE, &competencies)
}
