//! An active goal as the pair edits it: the SMART builder with live hints, the check-in and win
//! forms, and the controls that end the goal.

use tandem_core::{
    edit::goals::{GoalEdit, GoalText},
    model::{Date, Goal, GoalStatus},
    validate::{self, Problem},
};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{
    FocusLater, display_title, field_id,
    parts::{Hints, Progress, SmartSummary, checkin_list, due_words, problems_for, win_list},
};
use crate::{ids::new_item_id, screens::People, splice::Splice, ui::prose::ProseField};

#[derive(Properties, PartialEq, Debug)]
pub struct ActiveGoalProps {
    pub doc_id: AttrValue,
    pub goal: Goal,
    pub people: People,
    pub today: Date,
    pub on_edit: Callback<GoalEdit>,
    pub focus: FocusLater,
}

/// The splice callback of one prose field of a goal.
fn splicer(on_edit: &Callback<GoalEdit>, field: GoalText<String>) -> Callback<Splice> {
    on_edit.reform(move |splice| GoalEdit::Splice { field: field.clone(), splice })
}

#[function_component(ActiveGoal)]
pub fn active_goal(props: &ActiveGoalProps) -> Html {
    let goal = &props.goal;
    let id = |part: &str| field_id(&props.doc_id, &goal.id, part);
    let problems = validate::goal(goal, props.today);
    let hints = |field: &str, part: &str| {
        html! { <Hints id={id(&format!("{part}-hints"))} problems={problems_for(&problems, field)} /> }
    };
    let prose = |part: &str, label: &'static str, value: &str, field: GoalText<String>, multiline: bool| {
        html! {
            <ProseField id={id(part)} {label} value={AttrValue::from(value.to_owned())} {multiline} rows={if multiline { 3 } else { 1 }}
                on_splice={splicer(&props.on_edit, field)} />
        }
    };
    let heading_id = id("heading");

    html! {
        <article class="goal" id={id("article")} tabindex="-1" aria-labelledby={heading_id.clone()}>
            <header class="goal-head">
                <h3 id={heading_id} class="goal-title">{ display_title(goal) }</h3>
                <p class="goal-meta">{ format!("{} · set up by {}", due_words(goal.due), props.people.name(&goal.created_by)) }</p>
                <SmartSummary problems={problems.clone()} />
            </header>

            <div class="goal-body">
                <div class="goal-builder">
                    <h4 class="goal-section-heading">{ "The goal" }</h4>
                    { prose("title", "Goal title", &goal.title, GoalText::Title { goal: goal.id.clone() }, false) }
                    { hints("title", "title") }
                    { prose("specific", "Specific", &goal.specific, GoalText::Specific { goal: goal.id.clone() }, true) }
                    { hints("specific", "specific") }

                    <fieldset class="goal-group">
                        <legend>{ "Measurable" }</legend>
                        { prose("metric", "Metric", &goal.measure.metric, GoalText::Metric { goal: goal.id.clone() }, true) }
                        { hints("measure.metric", "metric") }
                        <div class="goal-pair">
                            <div>
                                <ScalarInput id={id("baseline")} label="Baseline" value={goal.measure.baseline.clone()}
                                    on_set={{
                                        let goal = goal.id.clone();
                                        props.on_edit.reform(move |value| GoalEdit::SetBaseline { goal: goal.clone(), value })
                                    }} />
                                { hints("measure.baseline", "baseline") }
                            </div>
                            <div>
                                <ScalarInput id={id("target")} label="Target" value={goal.measure.target.clone()}
                                    on_set={{
                                        let goal = goal.id.clone();
                                        props.on_edit.reform(move |value| GoalEdit::SetTarget { goal: goal.clone(), value })
                                    }} />
                                { hints("measure.target", "target") }
                            </div>
                        </div>
                    </fieldset>

                    <Actions doc_id={props.doc_id.clone()} goal={goal.clone()} on_edit={props.on_edit.clone()}
                        focus={props.focus.clone()} problems={problems_for(&problems, "actions")} />

                    { prose("realistic", "Realistic", &goal.realistic, GoalText::Realistic { goal: goal.id.clone() }, true) }
                    { hints("realistic", "realistic") }

                    <DueInput id={id("due")} due={goal.due}
                        on_set={{
                            let goal = goal.id.clone();
                            props.on_edit.reform(move |due| GoalEdit::SetDue { goal: goal.clone(), due })
                        }} />
                    { hints("due", "due") }
                </div>

                <div class="goal-track">
                    <section class="goal-section" aria-labelledby={id("checkins-heading")}>
                        <h4 id={id("checkins-heading")} class="goal-section-heading">{ "Check-ins" }</h4>
                        <Progress id={id("progress")} checkins={goal.checkins.clone()} />
                        <CheckInForm doc_id={props.doc_id.clone()} goal={goal.id.clone()} on_edit={props.on_edit.clone()} />
                        { checkin_list(&goal.checkins, &props.people) }
                    </section>
                    <section class="goal-section" aria-labelledby={id("wins-heading")}>
                        <h4 id={id("wins-heading")} class="goal-section-heading">
                            { "Wins" }
                            if !goal.wins.is_empty() {
                                <span class="goal-win-count">{ format!(" ({})", goal.wins.len()) }</span>
                            }
                        </h4>
                        <WinForm doc_id={props.doc_id.clone()} goal={goal.id.clone()} on_edit={props.on_edit.clone()} />
                        { win_list(&goal.wins, &props.people) }
                    </section>
                </div>
            </div>

            <EndControls doc_id={props.doc_id.clone()} goal={goal.id.clone()} title={goal.title.clone()}
                on_edit={props.on_edit.clone()} focus={props.focus.clone()} />
        </article>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct ScalarInputProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: String,
    /// The new value, once the person leaves the box (or presses Enter) and it differs.
    pub on_set: Callback<String>,
}

/// A single-valued text box (baseline, target): written on `change`, not per keystroke, because
/// the value is last-writer-wins and a half-typed number is not a claim anyone made.
#[function_component(ScalarInput)]
pub fn scalar_input(props: &ScalarInputProps) -> Html {
    let onchange = {
        let (current, on_set) = (props.value.clone(), props.on_set.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            if value != current {
                on_set.emit(value);
            }
        })
    };
    html! {
        <div class="field">
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <input type="text" id={props.id.clone()} class="goal-input" value={props.value.clone()}
                autocomplete="off" {onchange} />
        </div>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct DueInputProps {
    pub id: AttrValue,
    pub due: Option<Date>,
    pub on_set: Callback<Option<Date>>,
}

/// The due date (a date picker); cleared when emptied.
#[function_component(DueInput)]
pub fn due_input(props: &DueInputProps) -> Html {
    let onchange = {
        let (current, on_set) = (props.due, props.on_set.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            let due = Date::parse(value.trim());
            // A partly typed date reads as "" in every browser; only a real change is written.
            if due != current {
                on_set.emit(due);
            }
        })
    };
    html! {
        <div class="field">
            <label for={props.id.clone()}>{ "Due date" }</label>
            <input type="date" id={props.id.clone()} class="goal-input goal-date"
                value={props.due.map(|d| d.to_string()).unwrap_or_default()} {onchange} />
        </div>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct ActionsProps {
    pub doc_id: AttrValue,
    pub goal: Goal,
    pub on_edit: Callback<GoalEdit>,
    pub focus: FocusLater,
    pub problems: Vec<Problem>,
}

/// The goal's concrete actions: "Action 1", "Action 2"..., each with "Done" and "Remove".
#[function_component(Actions)]
pub fn actions(props: &ActionsProps) -> Html {
    let goal = &props.goal;
    let add = {
        let (on_edit, focus, doc_id, goal) =
            (props.on_edit.clone(), props.focus.clone(), props.doc_id.clone(), goal.id.clone());
        Callback::from(move |_: MouseEvent| {
            let id = new_item_id();
            focus.request(field_id(&doc_id, &goal, &format!("action-{id}")));
            on_edit.emit(GoalEdit::AddAction { goal: goal.clone(), id, text: String::new() });
        })
    };
    html! {
        <fieldset class="goal-group">
            <legend>{ "Actions" }</legend>
            if !goal.actions.is_empty() {
                <ol class="goal-actions">
                    { for goal.actions.iter().enumerate().map(|(i, action)| {
                        let n = i + 1;
                        let text_id = field_id(&props.doc_id, &goal.id, &format!("action-{}", action.id));
                        let done_id = format!("{text_id}-done");
                        let on_done = {
                            let (on_edit, goal, action) = (props.on_edit.clone(), goal.id.clone(), action.id.clone());
                            Callback::from(move |e: Event| {
                                let done = e.target_unchecked_into::<HtmlInputElement>().checked();
                                on_edit.emit(GoalEdit::SetActionDone { goal: goal.clone(), action: action.clone(), done });
                            })
                        };
                        let remove = {
                            let (on_edit, goal, action) = (props.on_edit.clone(), goal.id.clone(), action.id.clone());
                            Callback::from(move |_: MouseEvent| {
                                on_edit.emit(GoalEdit::DeleteAction { goal: goal.clone(), action: action.clone() })
                            })
                        };
                        html! {
                            <li key={action.id.clone()} class={classes!("goal-action", action.done.then_some("done"))}>
                                <ProseField id={text_id} label={format!("Action {n}")}
                                    value={AttrValue::from(action.text.clone())}
                                    on_splice={splicer(&props.on_edit, GoalText::Action { goal: goal.id.clone(), action: action.id.clone() })} />
                                <div class="goal-action-tools">
                                    <span class="goal-check">
                                        <input type="checkbox" id={done_id.clone()} checked={action.done} onchange={on_done} />
                                        <label for={done_id}>{ "Done" }</label>
                                    </span>
                                    <button type="button" class="goal-btn goal-btn-quiet" onclick={remove}>
                                        { "Remove" }<span class="visually-hidden">{ format!(" action {n}") }</span>
                                    </button>
                                </div>
                            </li>
                        }
                    }) }
                </ol>
            }
            <Hints id={field_id(&props.doc_id, &goal.id, "actions-hints")} problems={props.problems.clone()} />
            <button type="button" class="goal-btn" onclick={add}>
                <span aria-hidden="true" class="goal-btn-icon">{ "+" }</span>{ "Add action" }
            </button>
        </fieldset>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct FormProps {
    pub doc_id: AttrValue,
    pub goal: String,
    pub on_edit: Callback<GoalEdit>,
}

/// What a form last told the person: a problem to fix, or that it worked (both announced).
#[derive(Debug, Clone, PartialEq)]
enum Feedback {
    Problem(&'static str),
    Done(String),
}

/// The form's announcement line; always on the page so that screen readers notice changes.
fn feedback_line(id: &str, feedback: Option<&Feedback>) -> Html {
    let class = match feedback {
        Some(Feedback::Done(_)) => "goal-form-error goal-form-done",
        _ => "goal-form-error",
    };
    html! {
        <p {class} id={id.to_owned()} aria-live="polite">
            if let Some(Feedback::Problem(message)) = feedback {
                <span class="goal-hint-icon" aria-hidden="true">{ "!" }</span>{ *message }
            }
            if let Some(Feedback::Done(message)) = feedback {
                <span class="goal-done-icon" aria-hidden="true">{ "✓" }</span>{ message.clone() }
            }
        </p>
    }
}

/// Reads a whole percentage, 0–100.
pub fn parse_progress(text: &str) -> Option<u8> {
    text.trim().trim_end_matches('%').trim().parse::<u8>().ok().filter(|p| *p <= 100)
}

/// "Progress (%)", "Check-in note", "Add check-in".
#[function_component(CheckInForm)]
pub fn check_in_form(props: &FormProps) -> Html {
    let progress = use_state(String::new);
    let note = use_state(String::new);
    let error = use_state(|| None::<Feedback>);
    let id = |part: &str| field_id(&props.doc_id, &props.goal, part);
    let (progress_id, note_id, error_id) = (id("checkin-progress"), id("checkin-note"), id("checkin-error"));

    let onsubmit = {
        let (progress, note, error, on_edit, goal) =
            (progress.clone(), note.clone(), error.clone(), props.on_edit.clone(), props.goal.clone());
        let progress_id = progress_id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_progress(&progress) {
                Some(value) => {
                    on_edit.emit(GoalEdit::CheckIn {
                        goal: goal.clone(),
                        id: new_item_id(),
                        progress: value,
                        note: note.trim().to_owned(),
                    });
                    progress.set(String::new());
                    note.set(String::new());
                    error.set(Some(Feedback::Done(format!("Check-in added: {value}%."))));
                }
                None => {
                    error.set(Some(Feedback::Problem("Enter the progress as a whole number from 0 to 100.")));
                    super::focus_by_id(&progress_id);
                }
            }
        })
    };
    let on_progress = {
        let progress = progress.clone();
        Callback::from(move |e: InputEvent| {
            progress.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_note = {
        let note = note.clone();
        Callback::from(move |e: InputEvent| note.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <form class="goal-form" {onsubmit} novalidate=true>
            <div class="goal-form-row">
                <div class="field goal-field-narrow">
                    <label for={progress_id.clone()}>{ "Progress (%)" }</label>
                    <input type="number" id={progress_id} class="goal-input" min="0" max="100" step="1"
                        inputmode="numeric" value={(*progress).clone()} oninput={on_progress}
                        aria-invalid={matches!(*error, Some(Feedback::Problem(_))).then_some("true")}
                        aria-describedby={error_id.clone()} />
                </div>
                <div class="field goal-field-wide">
                    <label for={note_id.clone()}>{ "Check-in note" }</label>
                    <input type="text" id={note_id} class="goal-input" value={(*note).clone()} oninput={on_note}
                        autocapitalize="sentences" />
                </div>
            </div>
            { feedback_line(&error_id, error.as_ref()) }
            <button type="submit" class="goal-btn">{ "Add check-in" }</button>
        </form>
    }
}

/// "Win", "Record win".
#[function_component(WinForm)]
pub fn win_form(props: &FormProps) -> Html {
    let text = use_state(String::new);
    let error = use_state(|| None::<Feedback>);
    let id = |part: &str| field_id(&props.doc_id, &props.goal, part);
    let (win_id, error_id) = (id("win"), id("win-error"));
    let onsubmit = {
        let (text, error, on_edit, goal, win_id) =
            (text.clone(), error.clone(), props.on_edit.clone(), props.goal.clone(), win_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = text.trim().to_owned();
            if value.is_empty() {
                error.set(Some(Feedback::Problem("Write what went well first.")));
                super::focus_by_id(&win_id);
                return;
            }
            on_edit.emit(GoalEdit::AddWin { goal: goal.clone(), id: new_item_id(), text: value });
            text.set(String::new());
            error.set(Some(Feedback::Done("Win recorded. Well done!".to_owned())));
        })
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <form class="goal-form" {onsubmit} novalidate=true>
            <div class="field">
                <label for={win_id.clone()}>{ "Win" }</label>
                <input type="text" id={win_id} class="goal-input" value={(*text).clone()} {oninput}
                    autocapitalize="sentences" aria-invalid={matches!(*error, Some(Feedback::Problem(_))).then_some("true")}
                    aria-describedby={error_id.clone()} />
            </div>
            { feedback_line(&error_id, error.as_ref()) }
            <button type="submit" class="goal-btn goal-btn-win">
                <span aria-hidden="true" class="goal-btn-icon">{ "★" }</span>{ "Record win" }
            </button>
        </form>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct EndControlsProps {
    pub doc_id: AttrValue,
    pub goal: String,
    pub title: String,
    pub on_edit: Callback<GoalEdit>,
    pub focus: FocusLater,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Closed,
    Rework,
    Drop,
}

/// "Mark achieved", "Rework…" (then "Successor goal title", "Rework goal"), "Drop…" (then
/// "Reason for dropping", "Drop goal").
#[function_component(EndControls)]
pub fn end_controls(props: &EndControlsProps) -> Html {
    let open = use_state(|| Ending::Closed);
    let successor_title = use_state(String::new);
    let reason = use_state(String::new);
    let error = use_state(|| None::<&'static str>);
    let id = |part: &str| field_id(&props.doc_id, &props.goal, part);
    let (panel_id, successor_id, reason_id, error_id) =
        (id("end-panel"), id("successor-title"), id("drop-reason-new"), id("end-error"));

    // Once the goal has ended its card moves to "Finished goals"; the focus follows it there.
    let ending_id = id("ending");
    let achieved = {
        let (on_edit, goal, focus, ending_id) =
            (props.on_edit.clone(), props.goal.clone(), props.focus.clone(), ending_id.clone());
        Callback::from(move |_: MouseEvent| {
            focus.request(ending_id.clone());
            on_edit.emit(GoalEdit::SetStatus { goal: goal.clone(), status: GoalStatus::Achieved })
        })
    };
    let toggle = |which: Ending, focus_id: String| {
        let (open, focus, successor_title, error, title) =
            (open.clone(), props.focus.clone(), successor_title.clone(), error.clone(), props.title.clone());
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            if *open == which {
                open.set(Ending::Closed);
            } else {
                if which == Ending::Rework && successor_title.is_empty() {
                    successor_title.set(title.clone());
                }
                open.set(which);
                focus.request(focus_id.clone());
            }
        })
    };
    let cancel = {
        let (open, error) = (open.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            open.set(Ending::Closed);
            error.set(None);
        })
    };
    // Escape closes the open form and gives the focus back to the button that opened it.
    let onkeydown = {
        let (open, error, rework_button, drop_button) =
            (open.clone(), error.clone(), id("rework-button"), id("drop-button"));
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && *open != Ending::Closed {
                e.prevent_default();
                super::focus_by_id(if *open == Ending::Rework { &rework_button } else { &drop_button });
                open.set(Ending::Closed);
                error.set(None);
            }
        })
    };
    let on_rework = {
        let (on_edit, goal, doc_id, focus) =
            (props.on_edit.clone(), props.goal.clone(), props.doc_id.clone(), props.focus.clone());
        let (successor_title, error, open, successor_id) =
            (successor_title.clone(), error.clone(), open.clone(), successor_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let title = successor_title.trim().to_owned();
            if title.is_empty() {
                error.set(Some("Give the new goal a title."));
                super::focus_by_id(&successor_id);
                return;
            }
            let successor = new_item_id();
            focus.request(field_id(&doc_id, &successor, "title"));
            on_edit.emit(GoalEdit::Rework { goal: goal.clone(), successor, title });
            open.set(Ending::Closed);
        })
    };
    let on_drop = {
        let (on_edit, goal, focus, ending_id) =
            (props.on_edit.clone(), props.goal.clone(), props.focus.clone(), ending_id.clone());
        let (reason, error, open, reason_id) =
            (reason.clone(), error.clone(), open.clone(), reason_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = reason.trim().to_owned();
            if text.is_empty() {
                error.set(Some("Say why the goal is being dropped."));
                super::focus_by_id(&reason_id);
                return;
            }
            focus.request(ending_id.clone());
            on_edit.emit(GoalEdit::Drop { goal: goal.clone(), reason: text });
            open.set(Ending::Closed);
        })
    };
    let on_successor = {
        let successor_title = successor_title.clone();
        Callback::from(move |e: InputEvent| {
            successor_title.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| {
            reason.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let expanded = |which: Ending| if *open == which { "true" } else { "false" };
    let error_line = html! {
        <p class="goal-form-error" id={error_id.clone()} aria-live="polite">
            if let Some(message) = *error {
                <span class="goal-hint-icon" aria-hidden="true">{ "!" }</span>{ message }
            }
        </p>
    };

    html! {
        <div class="goal-end">
            <h4 class="goal-section-heading">{ "Finish this goal" }</h4>
            <div class="goal-end-buttons">
                <button type="button" class="goal-btn goal-btn-achieved" onclick={achieved}>
                    <span aria-hidden="true" class="goal-btn-icon">{ "✓" }</span>{ "Mark achieved" }
                </button>
                <button type="button" class="goal-btn" id={id("rework-button")} aria-expanded={expanded(Ending::Rework)}
                    aria-controls={panel_id.clone()} onclick={toggle(Ending::Rework, successor_id.clone())}>
                    { "Rework…" }
                </button>
                <button type="button" class="goal-btn" id={id("drop-button")} aria-expanded={expanded(Ending::Drop)}
                    aria-controls={panel_id.clone()} onclick={toggle(Ending::Drop, reason_id.clone())}>
                    { "Drop…" }
                </button>
            </div>
            <div id={panel_id} {onkeydown}>
                if *open == Ending::Rework {
                    <form class="goal-form goal-end-form" onsubmit={on_rework} novalidate=true>
                        <div class="field">
                            <label for={successor_id.clone()}>{ "Successor goal title" }</label>
                            <p class="hint" id={format!("{successor_id}-hint")}>
                                { "A new goal starts with this title; this one is kept, marked reworked and linked to it." }
                            </p>
                            <input type="text" id={successor_id.clone()} class="goal-input"
                                value={(*successor_title).clone()} oninput={on_successor}
                                aria-describedby={format!("{successor_id}-hint {error_id}")} />
                        </div>
                        { error_line.clone() }
                        <div class="goal-end-buttons">
                            <button type="submit" class="goal-btn goal-btn-primary">{ "Rework goal" }</button>
                            <button type="button" class="goal-btn goal-btn-quiet" onclick={cancel.clone()}>{ "Cancel" }</button>
                        </div>
                    </form>
                }
                if *open == Ending::Drop {
                    <form class="goal-form goal-end-form" onsubmit={on_drop} novalidate=true>
                        <div class="field">
                            <label for={reason_id.clone()}>{ "Reason for dropping" }</label>
                            <textarea id={reason_id.clone()} class="goal-input" rows="3" value={(*reason).clone()}
                                oninput={on_reason} aria-describedby={error_id.clone()} />
                        </div>
                        { error_line }
                        <div class="goal-end-buttons">
                            <button type="submit" class="goal-btn goal-btn-primary">{ "Drop goal" }</button>
                            <button type="button" class="goal-btn goal-btn-quiet" onclick={cancel}>{ "Cancel" }</button>
                        </div>
                    </form>
                }
            </div>
        </div>
    }
}
