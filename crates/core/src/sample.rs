//! A realistic demo program, for the relay's demo mode and for trying the app.
//!
//! One coordinator, two mentoring pairs in one cohort, a competency framework, a question bank,
//! observations in several states, and goals that ended every way a goal can end: achieved,
//! reworked into a successor, dropped with a reason, and still active with check-ins. Each
//! person's edits are made from their own actor, so history and authorship read as they would in
//! real use. Observations and goals are written as lists of the edits people make in the app
//! ([`crate::edit`]); the program, the pair indexes and the mentor notes, which have no screens of
//! their own yet, through [`crate::ops`]. Every document starts with [`crate::genesis`].

use automerge::ActorId;

use crate::doc::Doc;
use crate::edit::goals::{GoalEdit as G, GoalInit, GoalText};
use crate::edit::observation::{Feedback, ObservationEdit as O, ObservationText};
use crate::edit::{self, Splice};
use crate::error::Error;
use crate::genesis;
use crate::model::{
    ContextInit, GoalStatus, Goals, MentorNotes, Observation, ObservationStatus, PairIndex, Program, Role,
    Tag, Timestamp, UserId,
};
use crate::ops::pair_index::{self as pi, Listing};
use crate::ops::program::{self as p, CompetencyInit};

const DAY: i64 = 86_400_000;

/// The demo's people: (user id, name, role). They are the relay's accounts in demo mode (the
/// program document names nobody); the documents below use these ids.
pub const PEOPLE: [(&str, &str, Role); 5] = [
    ("u-dana-reyes", "Dana Reyes", Role::Coordinator),
    ("u-grace-okafor", "Grace Okafor", Role::Mentor),
    ("u-mei-chen", "Mei Chen", Role::Associate),
    ("u-erik-lindqvist", "Erik Lindqvist", Role::Mentor),
    ("u-sami-haddad", "Sami Haddad", Role::Associate),
];

/// The demo's cohort, which both pairs belong to: (id, name).
pub const COHORT: (&str, &str) = ("cohort-autumn", "Autumn cohort");

/// The demo's competencies use the default levels' names, with words of their own.
const DEMO_LEVELS: &[(&str, &str)] = &[
    ("Beginning", "Seen now and then, with support."),
    ("Developing", "Seen in most lessons, not yet every time."),
    ("Proficient", "Seen in every lesson, without prompting."),
    ("Leading", "Seen so reliably that others learn from it."),
];
const MINUTE: i64 = 60_000;

/// The demo's documents, each with the document id the caller gave it.
#[derive(Debug)]
pub struct Demo {
    pub program: (String, Doc<Program>),
    pub pairs: Vec<DemoPair>,
}

/// One mentoring pair's documents.
#[derive(Debug)]
pub struct DemoPair {
    pub pair: String,
    pub mentor: UserId,
    pub associate: UserId,
    pub index: (String, Doc<PairIndex>),
    pub goals: (String, Doc<Goals>),
    pub observations: Vec<(String, Doc<Observation>)>,
    pub mentor_notes: (String, Doc<MentorNotes>),
}

impl Demo {
    /// Every document's id and saved bytes, for storing them (the relay's demo mode).
    pub fn save_all(&mut self) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![(self.program.0.clone(), self.program.1.save())];
        for pair in &mut self.pairs {
            out.push((pair.index.0.clone(), pair.index.1.save()));
            out.push((pair.goals.0.clone(), pair.goals.1.save()));
            out.push((pair.mentor_notes.0.clone(), pair.mentor_notes.1.save()));
            for (id, obs) in &mut pair.observations {
                out.push((id.clone(), obs.save()));
            }
        }
        out
    }
}

/// Builds the demo program.
///
/// - `actor_for` gives the actor id of a person's device (the same person may get the same actor
///   in every document);
/// - `doc_id` turns a demo name such as `"pair-1/goals"` into a document id (for automerge-repo,
///   a bs58check of 16 random bytes);
/// - `now` is "today": the demo's history lies in the weeks before it, due dates after it.
pub fn demo(
    actor_for: impl Fn(&UserId) -> ActorId,
    mut doc_id: impl FnMut(&str) -> String,
    now: Timestamp,
) -> Result<Demo, Error> {
    let at = |days: i64, minutes: i64| Timestamp(now.0 + days * DAY + minutes * MINUTE);
    let [coord, okafor, chen, lindqvist, haddad] = PEOPLE.map(|(id, _, _)| UserId::new(id));

    // The program.
    let t = at(-40, 0);
    let mut program = genesis::program(actor_for(&coord), &coord, t, "Riverside Teacher Residency");
    let competency =
        |id, code, title, description| CompetencyInit { id, code, title, description, levels: DEMO_LEVELS };
    p::publish_framework(
        &mut program,
        &coord,
        t,
        1,
        "Residency competencies",
        &[
            competency(
                "c-plan",
                "1.1",
                "Plans for learning",
                "Lessons start from what students should learn and how that will be seen.",
            ),
            competency(
                "c-climate",
                "2.1",
                "Builds a working climate",
                "Routines and relationships let every student take part.",
            ),
            competency(
                "c-questioning",
                "3.2",
                "Questions to deepen thinking",
                "Questions invite reasoning, and answers are given time.",
            ),
            competency(
                "c-checking",
                "4.1",
                "Checks for understanding",
                "Evidence of learning is gathered during the lesson and acted on.",
            ),
        ],
    )?;
    for (id, text, theme) in [
        ("q-proud", "Which moment of the lesson are you proudest of, and why?", "reflection"),
        (
            "q-again",
            "If you taught this lesson again tomorrow, what would you keep exactly the same?",
            "reflection",
        ),
        ("q-notice", "What did you notice about the students who did not speak today?", "inclusion"),
        ("q-next", "What is one thing you can do now to move this forward?", "action"),
        ("q-evidence", "How did you know the students had understood?", "assessment"),
    ] {
        p::add_bank_question(&mut program, &coord, t, id, text, theme)?;
    }
    program.commit();
    let program = (doc_id("program"), program);

    let pair_1 = pair_one(&actor_for, &mut doc_id, &at, &okafor, &chen)?;
    let pair_2 = pair_two(&actor_for, &mut doc_id, &at, &lindqvist, &haddad)?;
    Ok(Demo { program, pairs: vec![pair_1, pair_2] })
}

/// Edits to one document, each by a person at a moment, in the order they were made.
type Edits<'a, E> = Vec<(&'a UserId, Timestamp, E)>;

fn play_observation(doc: &mut Doc<Observation>, edits: Edits<'_, O>) -> Result<(), Error> {
    edits.into_iter().try_for_each(|(by, at, e)| edit::observation::apply(doc, by, at, &e))
}

fn play_goals(doc: &mut Doc<Goals>, edits: Edits<'_, G>) -> Result<(), Error> {
    edits.into_iter().try_for_each(|(by, at, e)| edit::goals::apply(doc, by, at, &e))
}

/// Typing `text` into an empty prose field.
fn typed(field: ObservationText<String>, text: &str) -> O {
    O::Text { field, splice: Splice { index: 0, delete: 0, insert: text.to_owned() } }
}

/// A running note as the mentor takes one: started, typed, then tagged.
fn note<'a>(by: &'a UserId, at: Timestamp, id: &str, text: &str, tags: &[Tag]) -> Edits<'a, O> {
    let mut edits = vec![O::AddNote { id: id.into() }, typed(ObservationText::Note(id.into()), text)];
    for tag in tags {
        edits.push(match tag {
            Tag::Competency(c) => O::SetCompetency { note: id.into(), competency: Some(c.clone()) },
            _ => O::AddTag { note: id.into(), tag: tag.clone() },
        });
    }
    edits.into_iter().map(|e| (by, at, e)).collect()
}

/// A glow or grow as the mentor writes one: added, then typed.
fn point<'a>(by: &'a UserId, at: Timestamp, kind: Feedback, id: &str, text: &str) -> Edits<'a, O> {
    let field = match kind {
        Feedback::Glow => ObservationText::Glow(id.into()),
        Feedback::Grow => ObservationText::Grow(id.into()),
    };
    vec![(by, at, O::AddPoint { kind, id: id.into() }), (by, at, typed(field, text))]
}

fn question(id: &str, bank_id: &str, prompt: &str) -> O {
    O::AddQuestion { id: id.into(), bank_id: Some(bank_id.into()), prompt: prompt.into() }
}

/// A new goal's start, owned as an edit holds it.
fn goal(init: GoalInit<&str>) -> GoalInit<String> {
    GoalInit {
        title: init.title.into(),
        specific: init.specific.into(),
        metric: init.metric.into(),
        baseline: init.baseline.into(),
        target: init.target.into(),
        realistic: init.realistic.into(),
        due: init.due,
    }
}

fn action(goal: &str, id: &str, text: &str) -> G {
    G::AddAction { goal: goal.into(), id: id.into(), text: text.into() }
}

fn check_in(goal: &str, id: &str, progress: u8, note: &str) -> G {
    G::CheckIn { goal: goal.into(), id: id.into(), progress, note: note.into() }
}

/// Grace Okafor (science) mentoring Mei Chen: a finished cycle, and a draft from this morning.
fn pair_one(
    actor_for: &impl Fn(&UserId) -> ActorId,
    doc_id: &mut impl FnMut(&str) -> String,
    at: &impl Fn(i64, i64) -> Timestamp,
    mentor: &UserId,
    associate: &UserId,
) -> Result<DemoPair, Error> {
    let pair = "pair-1";
    let t = at(-30, 0);

    // Goals, set together after the first observation.
    let mut goals = genesis::goals(actor_for(mentor), mentor, t, pair);
    play_goals(
        &mut goals,
        vec![
            (
                mentor,
                t,
                G::AddGoal {
                    id: "g-wait".into(),
                    goal: goal(GoalInit {
                        title: "Wait after asking",
                        specific: "After a whole-class question, wait at least three seconds before taking an answer.",
                        metric: "Questions followed by a pause of three seconds or more, in a 20-minute sample",
                        baseline: "2 of 12",
                        target: "9 of 12",
                        realistic: "Mei already pauses when she asks about practicals; this extends a habit.",
                        due: Some(at(-2, 0).date()),
                    }),
                },
            ),
            (
                mentor,
                t,
                action(
                    "g-wait",
                    "a-count",
                    "Count three silently on the fingers of the hand holding the pen",
                ),
            ),
            (mentor, t, action("g-wait", "a-cards", "Use think-pair-share for the lesson's key question")),
            (
                associate,
                t,
                G::AddGoal {
                    id: "g-transitions".into(),
                    goal: goal(GoalInit {
                        title: "Smoother transitions",
                        specific: "Get better at transitions between activities.",
                        metric: "Minutes lost between activities",
                        baseline: "about 6",
                        target: "fewer",
                        realistic: "",
                        due: Some(at(-10, 0).date()),
                    }),
                },
            ),
            (
                mentor,
                t,
                G::AddGoal {
                    id: "g-exit".into(),
                    goal: goal(GoalInit {
                        title: "Exit tickets every lesson",
                        specific: "End each lesson with a two-question exit ticket.",
                        metric: "Lessons ending with an exit ticket",
                        baseline: "0 of 5 a week",
                        target: "5 of 5 a week",
                        realistic: "Ticket templates are shared in the department drive.",
                        due: Some(at(14, 0).date()),
                    }),
                },
            ),
        ],
    )?;
    goals.commit();

    // Mei's phone: check-ins, a win, the first goal achieved, and the vague goal reworked into a
    // SMART successor, written as she would write it after choosing "Rework…".
    let mut goals_assoc = goals.fork(actor_for(associate));
    let successor = || "g-transitions-2".to_owned();
    let (t, a) = (at(-12, 0), associate);
    let write = |field: GoalText<String>, text: &str| G::Splice {
        field,
        splice: Splice { index: 0, delete: 0, insert: text.to_owned() },
    };
    play_goals(
        &mut goals_assoc,
        vec![
            (a, at(-20, 0), check_in("g-wait", "ci-1", 30, "Counting works when I remember; I forget in the last ten minutes.")),
            (
                a,
                t,
                G::Rework {
                    goal: "g-transitions".into(),
                    successor: successor(),
                    title: "Transitions in under a minute".into(),
                },
            ),
            (
                a,
                t,
                write(
                    GoalText::Specific { goal: successor() },
                    "Move from starter to main task with materials already on desks and a countdown on the board.",
                ),
            ),
            (
                a,
                t,
                write(
                    GoalText::Metric { goal: successor() },
                    "Seconds from 'pens down' to everyone working on the main task",
                ),
            ),
            (a, t, G::SetBaseline { goal: successor(), value: "about 360".into() }),
            (a, t, G::SetTarget { goal: successor(), value: "60 or less in 4 of 5 lessons".into() }),
            (a, t, write(GoalText::Realistic { goal: successor() }, "The technician can lay out kits before period 3.")),
            (a, t, G::SetDue { goal: successor(), due: Some(at(10, 0).date()) }),
            (a, t, action("g-transitions-2", "a-kits", "Ask for kits on desks before period 3")),
            (a, t, action("g-transitions-2", "a-timer", "Show a 60-second countdown on the board")),
            (a, at(-9, 0), check_in("g-wait", "ci-2", 80, "8 of 12 in Tuesday's sample, recorded on my phone.")),
            (a, at(-9, 0), G::SetActionDone { goal: "g-wait".into(), action: "a-count".into(), done: true }),
            (a, at(-4, 0), check_in("g-transitions-2", "ci-4", 50, "Under a minute twice this week, 2 minutes on Friday.")),
            (a, at(-3, 0), check_in("g-wait", "ci-3", 100, "10 of 12. Quieter students answered first twice.")),
            (
                a,
                at(-3, 0),
                G::AddWin {
                    goal: "g-wait".into(),
                    id: "w-1".into(),
                    text: "Aisha explained osmosis to the class after the pause - first time she has volunteered.".into(),
                },
            ),
            (a, at(-3, 0), G::SetStatus { goal: "g-wait".into(), status: GoalStatus::Achieved }),
        ],
    )?;
    goals_assoc.commit();
    goals.merge(&mut goals_assoc)?;
    play_goals(
        &mut goals,
        vec![(
            mentor,
            at(-6, 0),
            G::Drop {
                goal: "g-exit".into(),
                reason:
                    "The department moved to weekly quizzes, which give the same evidence; we agreed to stop."
                        .into(),
            },
        )],
    )?;
    goals.commit();

    // The finished observation: shared, answered, debriefed, acknowledged.
    let context = ContextInit {
        date: Some(at(-31, 0).date()),
        class: "8C".into(),
        period: "3".into(),
        subject: "Science".into(),
        lesson_focus: "Diffusion and osmosis with potato cylinders".into(),
        watch_for: "Whether everyone gets a chance to answer, not just the front row.".into(),
    };
    let t = at(-31, 0);
    let mut draft = genesis::observation(actor_for(mentor), mentor, t, pair, mentor, associate, &context);
    let notes: [(&str, i64, &str, &[Tag]); 5] = [
        (
            "n1",
            0,
            "Learning goal on the board and read aloud; students copy it without prompting.",
            &[Tag::Glow, Tag::Competency("c-plan".into())],
        ),
        (
            "n2",
            4,
            "Starter question: 'why do plants wilt?' Answer taken after about one second, from the front row.",
            &[Tag::Grow, Tag::Competency("c-questioning".into())],
        ),
        (
            "n3",
            12,
            "Kits handed out one by one; six minutes before the practical starts.",
            &[Tag::Grow, Tag::Competency("c-climate".into())],
        ),
        (
            "n4",
            25,
            "Circulates during the practical and asks groups to predict before measuring.",
            &[Tag::Glow, Tag::Competency("c-checking".into())],
        ),
        (
            "n5",
            41,
            "Plenary: mini whiteboards, everyone shows an answer.",
            &[Tag::Glow, Tag::Competency("c-checking".into())],
        ),
    ];
    let mut edits: Edits<'_, O> = notes
        .into_iter()
        .flat_map(|(id, minute, text, tags)| note(mentor, at(-31, minute), id, text, tags))
        .collect();
    let t = at(-31, 60);
    edits.push((
        mentor,
        t,
        typed(
            ObservationText::OpeningStrength,
            "The lesson had a clear purpose that students could say back to you.",
        ),
    ));
    edits.push((
        mentor,
        t,
        typed(
            ObservationText::ClosingStrength,
            "Your whiteboard plenary showed you every student's thinking in under two minutes.",
        ),
    ));
    edits.extend(point(
        mentor,
        t,
        Feedback::Glow,
        "gl-1",
        "Predictions before measuring made the practical about thinking, not just following steps.",
    ));
    edits.extend(point(
        mentor,
        t,
        Feedback::Grow,
        "gr-1",
        "Give whole-class questions time: answers came within a second, always from the same few.",
    ));
    edits.extend(point(
        mentor,
        t,
        Feedback::Grow,
        "gr-2",
        "Handing out kits took six minutes of the lesson.",
    ));
    edits.push((
        mentor,
        t,
        question("q1", "q-proud", "Which moment of the lesson are you proudest of, and why?"),
    ));
    edits.push((
        mentor,
        t,
        question("q2", "q-notice", "What did you notice about the students who did not speak today?"),
    ));
    edits.push((
        mentor,
        t,
        O::AddNextStep {
            id: "s1".into(),
            text: "Agree a goal on wait time.".into(),
            goal: Some("g-wait".into()),
        },
    ));
    play_observation(&mut draft, edits)?;
    draft.commit();
    let mut shared = crate::share::snapshot(&draft, actor_for(mentor), mentor, at(-30, 0))?;
    let mut on_phone = shared.fork(actor_for(associate));
    let t = at(-29, 0);
    play_observation(
        &mut on_phone,
        vec![
            (
                associate,
                t,
                typed(
                    ObservationText::Answer("q1".into()),
                    "The predictions - two groups argued about which cylinder would shrink most.",
                ),
            ),
            (
                associate,
                t,
                typed(
                    ObservationText::Answer("q2".into()),
                    "They were mostly at the back and by the window. I think I look at the front when I ask.",
                ),
            ),
            (
                associate,
                t,
                typed(
                    ObservationText::Reflection,
                    "I rush questions because silence feels like losing the class. Counting in my head might help.",
                ),
            ),
            (associate, t, O::Acknowledge),
        ],
    )?;
    on_phone.commit();
    shared.merge(&mut on_phone)?;
    play_observation(
        &mut shared,
        vec![
            (mentor, at(-28, 0), O::SetStatus(ObservationStatus::Debriefed)),
            (associate, at(-28, 30), O::SetStatus(ObservationStatus::Acknowledged)),
        ],
    )?;
    shared.commit();

    // This morning's observation, still a draft on the mentor's tablet.
    let context = ContextInit {
        date: Some(at(0, 0).date()),
        class: "8C".into(),
        period: "2".into(),
        subject: "Science".into(),
        lesson_focus: "Rates of reaction: marble chips and acid".into(),
        watch_for: "Transitions between the demo and the practical.".into(),
    };
    let mut today =
        genesis::observation(actor_for(mentor), mentor, at(0, -90), pair, mentor, associate, &context);
    let mut edits = note(
        mentor,
        at(0, -85),
        "n1",
        "Kits already on desks; countdown on the board. Practical under way in 50 seconds.",
        &[Tag::Glow, Tag::Competency("c-climate".into())],
    );
    edits.extend(note(
        mentor,
        at(0, -80),
        "n2",
        "Waited before taking answers to 'what makes a reaction faster?' - five hands up.",
        &[Tag::Glow, Tag::Competency("c-questioning".into())],
    ));
    edits.extend(note(
        mentor,
        at(0, -70),
        "n3",
        "Two groups unsure how to time the fizzing; instructions only spoken.",
        &[Tag::Grow],
    ));
    play_observation(&mut today, edits)?;
    today.commit();

    let mut notes = genesis::mentor_notes(actor_for(mentor), mentor, at(-30, 0), pair);
    crate::ops::mentor_notes::add_entry(
        &mut notes,
        mentor,
        at(-30, 0),
        "e1",
        "Mei is hard on herself after lessons; start debriefs with her own sense of what worked.",
    )?;
    notes.commit();

    let mut index = genesis::pair_index(actor_for(mentor), mentor, at(-31, 0), pair, mentor, associate);
    let goals_id = doc_id("pair-1/goals");
    let shared_id = doc_id("pair-1/observation-1");
    let today_id = doc_id("pair-1/observation-2");
    pi::add(&mut index, mentor, at(-30, 0), Listing::Goals, &goals_id, "Goals")?;
    pi::add(
        &mut index,
        mentor,
        at(-30, 0),
        Listing::Observations,
        &shared_id,
        "8C Science: diffusion and osmosis",
    )?;
    index.commit();
    // The draft stays out of the pair's index: the associate's devices must not fetch it.

    Ok(DemoPair {
        pair: pair.to_owned(),
        mentor: mentor.clone(),
        associate: associate.clone(),
        index: (doc_id("pair-1/index"), index),
        goals: (goals_id, goals),
        observations: vec![(shared_id, shared), (today_id, today)],
        mentor_notes: (doc_id("pair-1/mentor-notes"), notes),
    })
}

/// Erik Lindqvist (maths) mentoring Sami Haddad: an observation waiting for Sami, an active goal.
fn pair_two(
    actor_for: &impl Fn(&UserId) -> ActorId,
    doc_id: &mut impl FnMut(&str) -> String,
    at: &impl Fn(i64, i64) -> Timestamp,
    mentor: &UserId,
    associate: &UserId,
) -> Result<DemoPair, Error> {
    let pair = "pair-2";
    let context = ContextInit {
        date: Some(at(-2, 0).date()),
        class: "10B".into(),
        period: "5".into(),
        subject: "Mathematics".into(),
        lesson_focus: "Solving simultaneous equations by elimination".into(),
        watch_for: "How I use cold calling - is it too much?".into(),
    };
    let mut draft =
        genesis::observation(actor_for(mentor), mentor, at(-2, 0), pair, mentor, associate, &context);
    let mut edits = note(
        mentor,
        at(-2, 3),
        "n1",
        "Do-now on the board as students arrive; all working within a minute.",
        &[Tag::Glow],
    );
    edits.extend(note(
        mentor,
        at(-2, 15),
        "n2",
        "Cold calls names first, then the question; students stop listening once they hear someone else's name.",
        &[Tag::Grow, Tag::Competency("c-questioning".into())],
    ));
    edits.extend(note(
        mentor,
        at(-2, 30),
        "n3",
        "Worked example with a deliberate mistake; class finds it quickly.",
        &[Tag::Glow, Tag::Competency("c-checking".into())],
    ));
    let t = at(-2, 60);
    edits.push((
        mentor,
        t,
        typed(
            ObservationText::OpeningStrength,
            "Your do-now routine gave you a calm, working room from the first minute.",
        ),
    ));
    edits.push((
        mentor,
        t,
        typed(
            ObservationText::ClosingStrength,
            "Spotting the mistake in the worked example had the whole class checking its reasoning.",
        ),
    ));
    edits.extend(point(
        mentor,
        t,
        Feedback::Glow,
        "gl-1",
        "The deliberate mistake was a great check for understanding.",
    ));
    edits.extend(point(
        mentor,
        t,
        Feedback::Grow,
        "gr-1",
        "Ask the question first, pause, then say the name, so everyone thinks.",
    ));
    edits.push((
        mentor,
        t,
        question("q1", "q-next", "What is one thing you can do now to move this forward?"),
    ));
    play_observation(&mut draft, edits)?;
    draft.commit();
    let shared = crate::share::snapshot(&draft, actor_for(mentor), mentor, at(-1, 0))?;

    let mut goals = genesis::goals(actor_for(mentor), mentor, at(-20, 0), pair);
    play_goals(
        &mut goals,
        vec![
            (
                mentor,
                at(-20, 0),
                G::AddGoal {
                    id: "g-cold-call".into(),
                    goal: goal(GoalInit {
                        title: "Question, pause, name",
                        specific: "When cold calling, ask the question, pause, then name the student.",
                        metric: "Cold calls in the order question-pause-name, in a 15-minute tally",
                        baseline: "1 of 10",
                        target: "8 of 10",
                        realistic: "A sticky note on the desk as a reminder; Erik tallies in two observations.",
                        due: Some(at(21, 0).date()),
                    }),
                },
            ),
            (
                mentor,
                at(-20, 0),
                action("g-cold-call", "a-sticky", "Put 'Q - pause - name' on a sticky note by the board"),
            ),
        ],
    )?;
    goals.commit();
    let mut goals_assoc = goals.fork(actor_for(associate));
    play_goals(
        &mut goals_assoc,
        vec![
            (
                associate,
                at(-8, 0),
                check_in("g-cold-call", "ci-1", 40, "Tallied myself from a recording: 5 of 10."),
            ),
            (
                associate,
                at(-8, 0),
                G::Splice {
                    field: GoalText::Realistic { goal: "g-cold-call".into() },
                    splice: Splice { index: 0, delete: 0, insert: "Doable: ".into() },
                },
            ),
        ],
    )?;
    goals_assoc.commit();
    goals.merge(&mut goals_assoc)?;

    let mut notes = genesis::mentor_notes(actor_for(mentor), mentor, at(-20, 0), pair);
    crate::ops::mentor_notes::add_entry(
        &mut notes,
        mentor,
        at(-2, 70),
        "e1",
        "Sami asked for blunt feedback; still lead with the strengths.",
    )?;
    notes.commit();

    let goals_id = doc_id("pair-2/goals");
    let shared_id = doc_id("pair-2/observation-1");
    let mut index = genesis::pair_index(actor_for(mentor), mentor, at(-20, 0), pair, mentor, associate);
    pi::add(&mut index, mentor, at(-20, 0), Listing::Goals, &goals_id, "Goals")?;
    pi::add(
        &mut index,
        mentor,
        at(-1, 0),
        Listing::Observations,
        &shared_id,
        "10B Maths: simultaneous equations",
    )?;
    index.commit();

    Ok(DemoPair {
        pair: pair.to_owned(),
        mentor: mentor.clone(),
        associate: associate.clone(),
        index: (doc_id("pair-2/index"), index),
        goals: (goals_id, goals),
        observations: vec![(shared_id, shared)],
        mentor_notes: (doc_id("pair-2/mentor-notes"), notes),
    })
}
