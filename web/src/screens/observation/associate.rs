//! The associate's view (phone first): the feedback to read, in strengths-first order, then the
//! questions to answer, a reflection and the acknowledgement of receipt. Anyone who is neither
//! mentor nor associate gets the same page with nothing editable.

use std::rc::Rc;

use tandem_core::{
    Observation, Program, UserId,
    edit::observation::{Feedback, ObservationEdit, ObservationText},
    feedback::{self, Source},
    model::{Note, Tag},
};
use yew::prelude::*;

use super::{Ids, competency_label, heading_h1, status_label};
use crate::{
    screens::People,
    splice::Splice,
    ui::{
        prose::ProseField,
        time::{clock, date_time, day},
    },
};

#[derive(Properties, PartialEq, Debug)]
pub struct AssociateViewProps {
    pub ids: Ids,
    pub observation: Rc<Observation>,
    pub me: UserId,
    pub people: People,
    pub program: Option<Rc<Program>>,
    pub on_edit: Callback<ObservationEdit>,
    /// The associate may answer, reflect and acknowledge; anyone else only reads.
    pub can_edit: bool,
}

#[function_component(AssociateView)]
pub fn associate_view(props: &AssociateViewProps) -> Html {
    let obs = &*props.observation;
    let ids = &props.ids;
    let mentor = props.people.name(&obs.mentor);
    let associate = props.people.name(&obs.associate);
    let program = props.program.as_deref();
    let text_edit = |field: ObservationText<String>| {
        props.on_edit.reform(move |splice: Splice| ObservationEdit::Text { field: field.clone(), splice })
    };

    let section = |part: &str, title: Html, body: Html| {
        let h = ids.of(&format!("{part}-h"));
        html! {
            <section class={classes!("obs-card", format!("obs-part-{part}"))} aria-labelledby={h.clone()}>
                <h2 id={h}>{ title }</h2>
                { body }
            </section>
        }
    };

    let questions = if obs.questions.is_empty() {
        html! { <p class="obs-empty">{ "No questions this time." }</p> }
    } else {
        html! {
            <ol class="obs-qa">
                { for obs.questions.iter().enumerate().map(|(i, q)| {
                    let prompt_id = ids.of(&format!("q-{}-prompt", q.id));
                    html! {
                        <li key={q.id.clone()} class="obs-qa-item">
                            <p class="obs-prompt" id={prompt_id.clone()}>
                                <span class="visually-hidden">{ format!("Question {}: ", i + 1) }</span>
                                { prose_or(&q.prompt, "(The question is still being written.)") }
                            </p>
                            if props.can_edit {
                                <ProseField id={ids.of(&format!("q-{}-answer", q.id))}
                                    label="Your answer" value={q.answer.clone()} multiline=true rows={4}
                                    describedby={prompt_id}
                                    on_splice={text_edit(ObservationText::Answer(q.id.clone()))} />
                            } else {
                                <p class="obs-answer-label">{ "Answer" }</p>
                                <p class="obs-prose">{ prose_or(&q.answer, "No answer yet") }</p>
                            }
                        </li>
                    }
                }) }
            </ol>
        }
    };

    let reflection = if props.can_edit {
        html! {
            <ProseField id={ids.of("reflection")} label="Your reflection" multiline=true rows={5}
                hint="What went well, what you would change, what you will try next."
                value={obs.reflection.clone()} on_splice={text_edit(ObservationText::Reflection)} />
        }
    } else {
        html! { <p class="obs-prose">{ prose_or(&obs.reflection, "No reflection yet") }</p> }
    };

    let my_ack = obs.acknowledgements.get(props.me.as_str()).copied();
    let receipt = match (props.can_edit, my_ack) {
        (true, None) => {
            let hint = ids.of("ack-hint");
            let onclick = props.on_edit.reform(|_: MouseEvent| ObservationEdit::Acknowledge);
            html! {
                <>
                    <button type="button" class="obs-button obs-primary" aria-describedby={hint.clone()}
                        {onclick}>{ "Acknowledge receipt" }</button>
                    <p class="hint" id={hint}>
                        { "This confirms you received the feedback, not that you agree with it." }
                    </p>
                </>
            }
        }
        (true, Some(at)) => html! {
            <p class="obs-done" role="status">{ format!("Acknowledged on {}", date_time(at)) }</p>
        },
        (false, _) => {
            let lines = super::acknowledgements(obs, &props.people);
            if lines.is_empty() {
                html! { <p class="obs-empty">{ "Not acknowledged yet." }</p> }
            } else {
                html! { <>{ for lines.into_iter().map(|l| html! { <p class="obs-done">{ l }</p> }) }</> }
            }
        }
    };

    html! {
        <article class="obs obs--associate">
            <header class="obs-head">
                { heading_h1(obs) }
                <p class="obs-byline">
                    { byline(&mentor, &associate, props.me == obs.associate) }
                    <span class="obs-status" data-status={obs.status.as_str()}>
                        { status_label(obs.status) }
                    </span>
                </p>
            </header>
            { section("context", html! { "The lesson" }, context_list(obs)) }
            { section("opening", html! { "Opening strength" },
                html! { <p class="obs-prose">{ prose_or(&obs.opening_strength, "Not written yet") }</p> }) }
            { section("notes", html! { "Running notes" }, notes_list(&obs.notes, program)) }
            { section("glows", html! { "Glows" }, points_list(obs, Feedback::Glow, "No glows yet")) }
            { section("grows", html! { "Grows" }, points_list(obs, Feedback::Grow, "No grows yet")) }
            { section("closing", html! { "Closing strength" },
                html! { <p class="obs-prose">{ prose_or(&obs.closing_strength, "Not written yet") }</p> }) }
            if !obs.next_steps.is_empty() {
                { section("next", html! { "Next steps" }, html! {
                    <ul class="obs-points">
                        { for obs.next_steps.iter().map(|s| html! {
                            <li key={s.id.clone()}>{ prose_or(&s.text, "(empty)") }</li>
                        }) }
                    </ul>
                }) }
            }
            { section("questions", html! { { format!("Questions from {mentor}") } }, questions) }
            { section("reflection", html! { "Reflection" }, reflection) }
            { section("receipt", html! { "Receipt" }, receipt) }
        </article>
    }
}

/// Who observed whose lesson, from the reader's point of view: the associate reads about her own
/// lesson ("Grace Okafor observed your lesson"), anyone else about the associate's.
pub(super) fn byline(mentor: &str, associate: &str, reader_is_associate: bool) -> String {
    if reader_is_associate {
        format!("{mentor} observed your lesson")
    } else {
        format!("{mentor} observed {associate}'s lesson")
    }
}

/// `text`, or a muted placeholder when it is blank.
pub(super) fn prose_or(text: &str, empty: &'static str) -> Html {
    if text.trim().is_empty() {
        html! { <span class="obs-empty">{ empty }</span> }
    } else {
        html! { { text.to_owned() } }
    }
}

/// The lesson's context as a description list.
fn context_list(obs: &Observation) -> Html {
    let c = &obs.context;
    let date = c.date.map(day).unwrap_or_default();
    let rows = [
        ("Date", date.as_str()),
        ("Class", c.class.as_str()),
        ("Period", c.period.as_str()),
        ("Subject", c.subject.as_str()),
        ("Lesson focus", c.lesson_focus.as_str()),
        ("Asked to watch for", c.watch_for.as_str()),
    ];
    html! {
        <dl class="obs-facts">
            { for rows.into_iter().map(|(term, value)| html! {
                <div class="obs-fact">
                    <dt>{ term }</dt>
                    <dd>{ prose_or(value, "—") }</dd>
                </div>
            }) }
        </dl>
    }
}

/// The running notes, read-only, with their times and tags.
fn notes_list(notes: &[Note], program: Option<&Program>) -> Html {
    // A note started and never written says nothing to the reader.
    let notes: Vec<&Note> = notes.iter().filter(|n| !n.text.trim().is_empty()).collect();
    if notes.is_empty() {
        return html! { <p class="obs-empty">{ "No running notes." }</p> };
    }
    html! {
        <ol class="obs-notes obs-notes--read">
            { for notes.into_iter().map(|n| html! {
                <li key={n.id.clone()} class={note_classes(&n.tags)}>
                    <p class="obs-note-time">{ clock(n.at) }</p>
                    <p class="obs-prose">{ prose_or(&n.text, "(empty note)") }</p>
                    if !n.tags.is_empty() {
                        <ul class="obs-badges" aria-label="Tags">
                            { for n.tags.iter().map(|t| tag_badge(t, program)) }
                        </ul>
                    }
                </li>
            }) }
        </ol>
    }
}

/// A note's classes: tagged notes get a coloured edge (and their tags are also written out).
pub(super) fn note_classes(tags: &[Tag]) -> Classes {
    classes!(
        "obs-note",
        tags.contains(&Tag::Glow).then_some("is-glow"),
        tags.contains(&Tag::Grow).then_some("is-grow"),
    )
}

fn tag_badge(tag: &Tag, program: Option<&Program>) -> Html {
    let (class, text) = match tag {
        Tag::Glow => ("obs-badge is-glow", "Glow".to_owned()),
        Tag::Grow => ("obs-badge is-grow", "Grow".to_owned()),
        Tag::Competency(id) => ("obs-badge", competency_label(program, id)),
    };
    html! { <li class={class}>{ text }</li> }
}

/// The glows or grows as the associate reads them: the written points, then the notes tagged in
/// class, each of those with the moment it was taken.
fn points_list(obs: &Observation, kind: Feedback, empty: &'static str) -> Html {
    let points = feedback::points(obs, kind);
    if points.is_empty() {
        return html! { <p class="obs-empty">{ empty }</p> };
    }
    html! {
        <ul class="obs-points">
            { for points.into_iter().map(|p| html! {
                <li key={p.id.to_owned()} class="obs-prose">
                    { p.text.to_owned() }
                    if let Source::Note { at } = p.source {
                        <span class="obs-point-source">{ format!(" (noted at {})", clock(at)) }</span>
                    }
                </li>
            }) }
        </ul>
    }
}
