//! The read-only pieces of the goals screen: live hints, the SMART summary, progress, check-ins,
//! wins, how a goal ended, and a whole goal shown without inputs.

use std::{collections::BTreeMap, rc::Rc};

use tandem_core::{
    model::{CheckIn, Date, Goal, GoalStatus, Win},
    validate::{self, Problem, Severity},
};
use yew::prelude::*;

use super::{display_title, field_id, focus_by_id};
use crate::{
    screens::People,
    ui::time::{date_time, day},
};

/// A heading of the given level (2–6).
pub fn heading(level: u8, id: Option<String>, class: &'static str, content: Html) -> Html {
    let tag = format!("h{}", level.clamp(2, 6));
    html! { <@{tag} {id} {class}>{ content }</@> }
}

/// The problems `validate::goal` reports for one field (`title`, `measure.target`, ...).
pub fn problems_for(problems: &[Problem], field: &str) -> Vec<Problem> {
    problems.iter().filter(|p| p.field == field).cloned().collect()
}

#[derive(Properties, PartialEq, Debug)]
pub struct HintsProps {
    pub id: AttrValue,
    pub problems: Vec<Problem>,
}

/// The problems of one field, announced politely as they come and go. The region is always on the
/// page (empty when all is well) so that screen readers notice what appears in it.
#[function_component(Hints)]
pub fn hints(props: &HintsProps) -> Html {
    html! {
        <div class="goal-hints" id={props.id.clone()} aria-live="polite">
            { for props.problems.iter().map(|p| {
                let (class, icon, word) = match p.severity {
                    Severity::Warning => ("goal-hint goal-hint-warning", "!", "To do: "),
                    Severity::Hint => ("goal-hint goal-hint-tip", "i", "Tip: "),
                };
                html! {
                    <p {class}>
                        <span class="goal-hint-icon" aria-hidden="true">{ icon }</span>
                        <span><strong>{ word }</strong>{ p.message.clone() }</span>
                    </p>
                }
            }) }
        </div>
    }
}

/// Which SMART letters a goal satisfies, from its problems: a letter is ticked when no warning
/// (or, for Realistic, no problem at all) concerns its fields.
pub fn smart_letters(problems: &[Problem]) -> [(char, &'static str, bool); 5] {
    let clear = |fields: &[&str], hints_count: bool| {
        !problems
            .iter()
            .any(|p| fields.contains(&p.field) && (hints_count || p.severity == Severity::Warning))
    };
    [
        ('S', "Specific", clear(&["title", "specific"], false)),
        ('M', "Measurable", clear(&["measure.metric", "measure.baseline", "measure.target"], false)),
        ('A', "Action-based", clear(&["actions"], false)),
        ('R', "Realistic", clear(&["realistic"], true)),
        ('T', "Time-bound", clear(&["due"], false)),
    ]
}

#[derive(Properties, PartialEq, Debug)]
pub struct SmartSummaryProps {
    pub problems: Vec<Problem>,
}

/// The five SMART letters, each ticked or not (a mark and words, not colour alone).
#[function_component(SmartSummary)]
pub fn smart_summary(props: &SmartSummaryProps) -> Html {
    let letters = smart_letters(&props.problems);
    let done = letters.iter().filter(|l| l.2).count();
    html! {
        <div class="smart">
            <ul class="smart-letters" aria-label={format!("SMART check: {done} of 5")}>
                { for letters.iter().map(|&(letter, word, ok)| html! {
                    <li class={classes!("smart-letter", ok.then_some("smart-ok"))} title={word}>
                        <span aria-hidden="true" class="smart-char">{ letter }</span>
                        <span aria-hidden="true" class="smart-mark">{ if ok { "✓" } else { "–" } }</span>
                        <span class="visually-hidden">
                            { format!("{word}: {}", if ok { "done" } else { "not yet" }) }
                        </span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// The latest check-in by time (the one whose progress stands).
pub fn latest(checkins: &[CheckIn]) -> Option<&CheckIn> {
    checkins.iter().rev().max_by_key(|c| c.at)
}

#[derive(Properties, PartialEq, Debug)]
pub struct ProgressProps {
    pub id: AttrValue,
    pub checkins: Vec<CheckIn>,
}

/// A progress bar with its value in words.
#[function_component(Progress)]
pub fn progress(props: &ProgressProps) -> Html {
    let label_id = format!("{}-label", props.id);
    match latest(&props.checkins) {
        None => html! { <p class="goal-progress-none">{ "No check-ins yet." }</p> },
        Some(c) => html! {
            <div class="goal-progress">
                <progress id={props.id.clone()} max="100" value={c.progress.min(100).to_string()}
                    aria-labelledby={label_id.clone()}></progress>
                <p id={label_id}>
                    <strong>{ format!("{}%", c.progress.min(100)) }</strong>
                    { format!(" of the way, at the latest check-in ({})", date_time(c.at)) }
                </p>
            </div>
        },
    }
}

/// "Mei Chen · 11/22/2026 09:41 · 60% · note", newest first.
pub fn checkin_list(checkins: &[CheckIn], people: &People) -> Html {
    if checkins.is_empty() {
        return html! {};
    }
    let mut sorted: Vec<&CheckIn> = checkins.iter().collect();
    sorted.reverse();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.at));
    html! {
        <ol class="goal-checkins" aria-label="Check-ins, newest first">
            { for sorted.into_iter().map(|c| html! {
                <li key={c.id.clone()}>
                    <span class="who">{ people.name(&c.by) }</span>
                    { " · " }<span class="when">{ date_time(c.at) }</span>
                    { " · " }<strong>{ format!("{}%", c.progress.min(100)) }</strong>
                    if !c.note.trim().is_empty() {
                        { " · " }<span class="note">{ c.note.clone() }</span>
                    }
                </li>
            }) }
        </ol>
    }
}

/// The wins, newest first, each with a star.
pub fn win_list(wins: &[Win], people: &People) -> Html {
    if wins.is_empty() {
        return html! {};
    }
    let mut sorted: Vec<&Win> = wins.iter().collect();
    sorted.reverse();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.at));
    html! {
        <ul class="goal-wins" aria-label="Wins, newest first">
            { for sorted.into_iter().map(|w| html! {
                <li key={w.id.clone()} class="goal-win">
                    <span class="goal-win-star" aria-hidden="true">{ "★" }</span>
                    <span class="goal-win-body">
                        <span class="goal-win-text">{ w.text.clone() }</span>
                        <span class="goal-win-meta">{ format!("{} · {}", people.name(&w.by), date_time(w.at)) }</span>
                    </span>
                </li>
            }) }
        </ul>
    }
}

/// A link to another goal's card on this page: moves the focus there. The `#` address is never
/// followed: the app's router owns the address's fragment.
pub fn goal_link(doc_id: &str, goal: &str, title: &str) -> Html {
    let target = field_id(doc_id, goal, "article");
    let onclick = {
        let target = target.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            focus_by_id(&target);
        })
    };
    html! { <a href={format!("#{target}")} {onclick}>{ format!("“{title}”") }</a> }
}

/// How a finished goal ended, in a sentence with a mark (not colour alone).
pub fn ending(doc_id: &str, goal: &Goal, titles: &BTreeMap<String, String>) -> Html {
    // Focusable from script: the focus lands here when this person has just ended the goal.
    let id = field_id(doc_id, &goal.id, "ending");
    match goal.status {
        GoalStatus::Active => html! {},
        GoalStatus::Achieved => html! {
            <p class="goal-ending goal-ending-achieved" {id} tabindex="-1">
                <span class="goal-ending-icon" aria-hidden="true">{ "✓" }</span>{ "Achieved" }
            </p>
        },
        GoalStatus::Reworked => {
            let successor = goal.reworked_into.as_deref().map(|id| {
                let title = titles.get(id).cloned().unwrap_or_else(|| "a new goal".to_owned());
                goal_link(doc_id, id, &title)
            });
            html! {
                <p class="goal-ending goal-ending-reworked" {id} tabindex="-1">
                    <span class="goal-ending-icon" aria-hidden="true">{ "↻" }</span>
                    if let Some(link) = successor {
                        { "Reworked into " }{ link }
                    } else {
                        { "Reworked" }
                    }
                </p>
            }
        }
        GoalStatus::Dropped => html! {
            <p class="goal-ending goal-ending-dropped" {id} tabindex="-1">
                <span class="goal-ending-icon" aria-hidden="true">{ "✕" }</span>
                { "Dropped" }
                if !goal.drop_reason.trim().is_empty() {
                    { ": " }<span class="goal-drop-reason">{ goal.drop_reason.clone() }</span>
                }
            </p>
        },
    }
}

/// "Due 12/01/2026" (in en-US), "No due date".
pub fn due_words(due: Option<Date>) -> String {
    due.map_or_else(|| "No due date".to_owned(), |d| format!("Due {}", day(d)))
}

#[derive(Properties, PartialEq, Debug)]
pub struct GoalViewProps {
    pub doc_id: AttrValue,
    pub goal: Goal,
    pub people: People,
    pub today: Date,
    pub titles: Rc<BTreeMap<String, String>>,
}

/// Everything about a goal, without inputs. `level` is the level of its section headings.
pub fn goal_details(doc_id: &str, goal: &Goal, people: &People, level: u8) -> Html {
    let text_or = |text: &str, missing: &'static str| {
        if text.trim().is_empty() {
            html! { <span class="goal-missing">{ missing }</span> }
        } else {
            html! { { text.to_owned() } }
        }
    };
    let progress_id = field_id(doc_id, &goal.id, "progress-view");
    html! {
        <div class="goal-details">
            <dl class="goal-facts">
                <div><dt>{ "Specific" }</dt><dd>{ text_or(&goal.specific, "Not written yet") }</dd></div>
                <div><dt>{ "Metric" }</dt><dd>{ text_or(&goal.measure.metric, "Not written yet") }</dd></div>
                <div><dt>{ "Baseline" }</dt><dd>{ text_or(&goal.measure.baseline, "Not set") }</dd></div>
                <div><dt>{ "Target" }</dt><dd>{ text_or(&goal.measure.target, "Not set") }</dd></div>
                <div><dt>{ "Realistic" }</dt><dd>{ text_or(&goal.realistic, "Not written yet") }</dd></div>
                <div><dt>{ "Due date" }</dt><dd>{ goal.due.map_or_else(|| "Not set".to_owned(), day) }</dd></div>
            </dl>
            { heading(level, None, "goal-section-heading", html! { "Actions" }) }
            if goal.actions.is_empty() {
                <p class="goal-missing">{ "No actions yet." }</p>
            } else {
                <ul class="goal-action-list">
                    { for goal.actions.iter().map(|a| html! {
                        <li key={a.id.clone()} class={classes!(a.done.then_some("done"))}>
                            <span aria-hidden="true" class="goal-action-mark">{ if a.done { "✓" } else { "○" } }</span>
                            <span class="visually-hidden">{ if a.done { "Done: " } else { "To do: " } }</span>
                            { text_or(&a.text, "Untitled action") }
                        </li>
                    }) }
                </ul>
            }
            { heading(level, None, "goal-section-heading", html! { "Check-ins" }) }
            <Progress id={progress_id} checkins={goal.checkins.clone()} />
            { checkin_list(&goal.checkins, people) }
            { heading(level, None, "goal-section-heading", html! { "Wins" }) }
            if goal.wins.is_empty() {
                <p class="goal-missing">{ "No wins recorded yet." }</p>
            }
            { win_list(&goal.wins, people) }
        </div>
    }
}

/// An active goal shown without inputs (the screen's `readonly` mode).
#[function_component(ReadonlyGoal)]
pub fn readonly_goal(props: &GoalViewProps) -> Html {
    let goal = &props.goal;
    let problems = validate::goal(goal, props.today);
    let heading_id = field_id(&props.doc_id, &goal.id, "heading");
    html! {
        <article class="goal" id={field_id(&props.doc_id, &goal.id, "article")} tabindex="-1"
            aria-labelledby={heading_id.clone()}>
            <header class="goal-head">
                { heading(3, Some(heading_id), "goal-title", html! { { display_title(goal) } }) }
                <p class="goal-meta">{ format!("{} · set up by {}", due_words(goal.due), props.people.name(&goal.created_by)) }</p>
                <SmartSummary problems={problems} />
            </header>
            { goal_details(&props.doc_id, goal, &props.people, 4) }
        </article>
    }
}

/// A finished goal: its title and how it ended; the rest folded away.
#[function_component(FinishedGoal)]
pub fn finished_goal(props: &GoalViewProps) -> Html {
    let goal = &props.goal;
    let heading_id = field_id(&props.doc_id, &goal.id, "heading");
    html! {
        <article class="goal goal-finished" id={field_id(&props.doc_id, &goal.id, "article")} tabindex="-1"
            aria-labelledby={heading_id.clone()}>
            { heading(4, Some(heading_id), "goal-title", html! { { display_title(goal) } }) }
            { ending(&props.doc_id, goal, &props.titles) }
            <details class="goal-more">
                <summary>{ "Show the whole goal" }</summary>
                { goal_details(&props.doc_id, goal, &props.people, 5) }
            </details>
        </article>
    }
}
