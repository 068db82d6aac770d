//! The mentor's editor (tablet, landscape first; one column on a phone).
//!
//! Running notes are the main column: "Add note" (or Enter in a note) starts a note stamped with
//! the moment it starts, and each note has one-tap Glow / Grow toggles and a competency picker.
//! The side column holds what the associate will read first and last (strengths first: opening
//! strength, glows, grows, closing strength), the questions, next steps and the associate's
//! reflection. Sharing a draft asks for confirmation and lists any strengths-first problems.

use std::rc::Rc;

use tandem_core::{
    Observation, Program, UserId,
    edit::observation::{ContextField, Feedback, ObservationEdit, ObservationText},
    feedback,
    model::{ObservationStatus, Point, Tag},
    validate,
};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{
    Ids, PendingFocus, associate::note_classes, associate::prose_or, heading_h1, status_label,
    use_pending_focus,
};
use crate::{
    ids::new_item_id,
    screens::People,
    splice::Splice,
    ui::{prose::ProseField, time::clock, undo::UndoToast},
};

#[derive(Properties, PartialEq, Debug)]
pub struct MentorEditorProps {
    pub ids: Ids,
    pub observation: Rc<Observation>,
    pub me: UserId,
    pub people: People,
    pub program: Option<Rc<Program>>,
    pub on_edit: Callback<ObservationEdit>,
    pub on_share: Callback<()>,
}

/// What every part of the editor needs.
struct Ctx<'a> {
    ids: &'a Ids,
    obs: &'a Observation,
    program: Option<&'a Program>,
    associate: String,
    on_edit: &'a Callback<ObservationEdit>,
    focus: &'a PendingFocus,
    /// The last thing deleted, while Undo is offered.
    deleted: &'a UseStateHandle<Option<LastDelete>>,
    /// The question whose deletion waits for a confirmation (it has the associate's answer).
    confirming: &'a UseStateHandle<Option<String>>,
}

/// What the Undo toast puts back: the item `id` of root list `list`.
#[derive(Debug, Clone, PartialEq)]
struct LastDelete {
    list: &'static str,
    id: String,
    message: &'static str,
    /// Counts deletes, so each one restarts the toast's time.
    serial: u32,
    /// Where the focus goes once it is back: the item's own field.
    field: String,
}

impl Ctx<'_> {
    fn splice_into(&self, field: ObservationText<String>) -> Callback<Splice> {
        self.on_edit.reform(move |splice: Splice| ObservationEdit::Text { field: field.clone(), splice })
    }

    /// A click handler that emits an edit and then focuses the element with id `focus` once it
    /// is on screen.
    fn add_then_focus(&self, make: impl Fn() -> (ObservationEdit, String) + 'static) -> Callback<MouseEvent> {
        let (on_edit, focus) = (self.on_edit.clone(), self.focus.clone());
        Callback::from(move |_: MouseEvent| {
            let (edit, id) = make();
            *focus.borrow_mut() = Some(id);
            on_edit.emit(edit);
        })
    }

    /// A click handler that deletes something, offers Undo, and moves focus to `then` (the
    /// button that adds more of the same), so keyboard focus is not lost with the deleted item.
    fn delete_then_focus(&self, edit: ObservationEdit, then: String) -> Callback<MouseEvent> {
        let delete = self.delete_now(edit, then);
        Callback::from(move |_: MouseEvent| delete.emit(()))
    }

    fn delete_now(&self, edit: ObservationEdit, then: String) -> Callback<()> {
        let (on_edit, focus, deleted) = (self.on_edit.clone(), self.focus.clone(), self.deleted.clone());
        let undo = undo_of(self.ids, &edit);
        Callback::from(move |()| {
            *focus.borrow_mut() = Some(then.clone());
            on_edit.emit(edit.clone());
            if let Some((list, id, message, field)) = undo.clone() {
                let serial = deleted.as_ref().map_or(0, |d| d.serial + 1);
                deleted.set(Some(LastDelete { list, id, message, serial, field }));
            }
        })
    }

    fn note_field_id(&self, note: &str) -> String {
        self.ids.of(&format!("note-{note}"))
    }

    /// Appends a note and focuses it.
    fn new_note(&self) -> impl Fn() -> (ObservationEdit, String) + 'static {
        let ids = self.ids.clone();
        move || {
            let id = new_item_id();
            let field = ids.of(&format!("note-{id}"));
            (ObservationEdit::AddNote { id }, field)
        }
    }
}

/// What Undo needs to know about a delete: the list, the item, what to say, and the field to
/// focus once the item is back.
fn undo_of(ids: &Ids, edit: &ObservationEdit) -> Option<(&'static str, String, &'static str, String)> {
    Some(match edit {
        ObservationEdit::DeleteNote { id } => {
            ("notes", id.clone(), "Note deleted.", ids.of(&format!("note-{id}")))
        }
        ObservationEdit::DeletePoint { kind: Feedback::Glow, id } => {
            ("glows", id.clone(), "Glow deleted.", ids.of(&format!("glow-{id}")))
        }
        ObservationEdit::DeletePoint { kind: Feedback::Grow, id } => {
            ("grows", id.clone(), "Grow deleted.", ids.of(&format!("grow-{id}")))
        }
        ObservationEdit::DeleteQuestion { id } => {
            ("questions", id.clone(), "Question deleted.", ids.of(&format!("q-{id}-prompt")))
        }
        ObservationEdit::DeleteNextStep { id } => {
            ("next_steps", id.clone(), "Next step deleted.", ids.of(&format!("next-{id}")))
        }
        _ => return None,
    })
}

#[function_component(MentorEditor)]
pub fn mentor_editor(props: &MentorEditorProps) -> Html {
    let focus = use_pending_focus();
    let picker_open = use_state(|| false);
    let share_open = use_state(|| false);
    let deleted = use_state(|| None::<LastDelete>);
    let confirming = use_state(|| None::<String>);
    let obs = &*props.observation;
    let ctx = Ctx {
        ids: &props.ids,
        obs,
        program: props.program.as_deref(),
        associate: props.people.name(&obs.associate),
        on_edit: &props.on_edit,
        focus: &focus,
        deleted: &deleted,
        confirming: &confirming,
    };
    let toast = deleted.as_ref().map(|last| {
        let undo = {
            let (on_edit, focus, deleted, last) =
                (props.on_edit.clone(), focus.clone(), deleted.clone(), last.clone());
            Callback::from(move |()| {
                *focus.borrow_mut() = Some(last.field.clone());
                on_edit.emit(ObservationEdit::Restore { list: last.list.to_owned(), id: last.id.clone() });
                deleted.set(None);
            })
        };
        let close = {
            let deleted = deleted.clone();
            Callback::from(move |()| deleted.set(None))
        };
        html! { <UndoToast message={last.message} serial={last.serial} on_undo={undo} on_close={close} /> }
    });

    html! {
        <article class="obs obs--mentor">
            <header class="obs-head">
                { heading_h1(obs) }
                <p class="obs-byline">
                    { format!("Observing {}", ctx.associate) }
                    <span class="obs-status" data-status={obs.status.as_str()}>{ status_label(obs.status) }</span>
                </p>
            </header>
            { context_editor(&ctx) }
            <div class="obs-columns">
                <div class="obs-main">{ notes_editor(&ctx) }</div>
                <div class="obs-side">
                    { feedback_editor(&ctx) }
                    { questions_editor(&ctx, &picker_open) }
                    { next_steps_editor(&ctx) }
                    { reflection(&ctx) }
                </div>
            </div>
            { share_and_status(&ctx, &props.people, &share_open, &props.on_share) }
            { for toast }
        </article>
    }
}

fn section_heading(ctx: &Ctx<'_>, part: &str) -> String {
    ctx.ids.of(&format!("{part}-h"))
}

/// Date, class, period, subject, lesson focus, what the associate asked to be watched for.
fn context_editor(ctx: &Ctx<'_>) -> Html {
    let c = &ctx.obs.context;
    let h = section_heading(ctx, "context");
    let text_input = |field: ContextField, label: &'static str, part: &str, value: &str| {
        let id = ctx.ids.of(part);
        let oninput = ctx.on_edit.reform(move |e: InputEvent| ObservationEdit::SetContext {
            field,
            value: e.target_unchecked_into::<HtmlInputElement>().value(),
        });
        html! {
            <div class="field obs-field-short">
                <label for={id.clone()}>{ label }</label>
                <input type="text" id={id} value={value.to_owned()} autocomplete="off" {oninput} />
            </div>
        }
    };
    let date_id = ctx.ids.of("date");
    let on_date = ctx.on_edit.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        ObservationEdit::SetDate(tandem_core::Date::parse(&value))
    });
    html! {
        <section class="obs-card obs-context" aria-labelledby={h.clone()}>
            <h2 id={h}>{ "The lesson" }</h2>
            <div class="obs-context-grid">
                <div class="field obs-field-short">
                    <label for={date_id.clone()}>{ "Date" }</label>
                    <input type="date" id={date_id} onchange={on_date}
                        value={c.date.map(|d| d.to_string()).unwrap_or_default()} />
                </div>
                { text_input(ContextField::Class, "Class", "class", &c.class) }
                { text_input(ContextField::Period, "Period", "period", &c.period) }
                { text_input(ContextField::Subject, "Subject", "subject", &c.subject) }
                <ProseField id={ctx.ids.of("focus")} label="Lesson focus" value={c.lesson_focus.clone()}
                    class="obs-field-wide" multiline=true rows={2} on_splice={ctx.splice_into(ObservationText::LessonFocus)} />
                <ProseField id={ctx.ids.of("watch")} label="Asked to watch for" value={c.watch_for.clone()}
                    class="obs-field-wide" multiline=true rows={2} on_splice={ctx.splice_into(ObservationText::WatchFor)} />
            </div>
        </section>
    }
}

/// The running notes, newest last, and the one "Add note" button.
fn notes_editor(ctx: &Ctx<'_>) -> Html {
    let h = section_heading(ctx, "notes");
    let hint = ctx.ids.of("notes-hint");
    let add = ctx.add_then_focus(ctx.new_note());
    html! {
        <section class="obs-card obs-notes-section" aria-labelledby={h.clone()}>
            <h2 id={h}>{ "Running notes" }</h2>
            <p class="hint" id={hint.clone()}>
                { "Each note is stamped with the time you start it. Enter starts the next note; \
                   Shift+Enter starts a new line." }
            </p>
            if ctx.obs.notes.is_empty() {
                <p class="obs-empty">{ "No notes yet. Add the first when the lesson starts." }</p>
            } else {
                <ol class="obs-notes">
                    { for ctx.obs.notes.iter().map(|note| note_editor(ctx, note)) }
                </ol>
            }
            <div class="obs-add-note">
                <button type="button" class="obs-button obs-primary" id={ctx.ids.of("add-note")}
                    aria-describedby={hint} onclick={add}>
                    <span aria-hidden="true" class="obs-plus">{ "+" }</span>{ "Add note" }
                </button>
            </div>
        </section>
    }
}

fn note_editor(ctx: &Ctx<'_>, note: &tandem_core::model::Note) -> Html {
    let time = clock(note.at);
    let field_id = ctx.note_field_id(&note.id);
    let onkeydown = {
        let (on_edit, focus, make) = (ctx.on_edit.clone(), ctx.focus.clone(), ctx.new_note());
        Callback::from(move |e: KeyboardEvent| {
            let plain = !(e.shift_key() || e.ctrl_key() || e.alt_key() || e.meta_key());
            // While an input method composes a word, Enter confirms the word, not the note.
            if e.key() == "Enter" && plain && !e.is_composing() {
                e.prevent_default();
                // Enter in a note with nothing in it yet keeps the note rather than stacking
                // empty ones. The box itself is read: it is ahead of the record while typing.
                let typed = e.target_dyn_into::<HtmlTextAreaElement>().map(|area| area.value());
                if typed.is_some_and(|text| text.trim().is_empty()) {
                    return;
                }
                let (edit, id) = make();
                *focus.borrow_mut() = Some(id);
                on_edit.emit(edit);
            }
        })
    };
    let toggle = |tag: Tag, name: &'static str, class: &'static str| {
        let on = note.tags.contains(&tag);
        let id = note.id.clone();
        let onclick = ctx.on_edit.reform(move |_: MouseEvent| {
            let (note, tag) = (id.clone(), tag.clone());
            if on { ObservationEdit::RemoveTag { note, tag } } else { ObservationEdit::AddTag { note, tag } }
        });
        html! {
            <button type="button" class={classes!("obs-tag", class)} aria-pressed={on.to_string()} {onclick}>
                <span aria-hidden="true" class="obs-tag-mark">{ if on { "✓" } else { "+" } }</span>
                { name }
            </button>
        }
    };
    let delete =
        ctx.delete_then_focus(ObservationEdit::DeleteNote { id: note.id.clone() }, ctx.ids.of("add-note"));
    html! {
        <li key={note.id.clone()} class={note_classes(&note.tags)}>
            <ProseField id={field_id} label={format!("Note at {time}")} multiline=true rows={2}
                class="obs-note-field" value={note.text.clone()}
                on_splice={ctx.splice_into(ObservationText::Note(note.id.clone()))} {onkeydown} />
            <div class="obs-note-tools">
                { toggle(Tag::Glow, "Glow", "is-glow") }
                { toggle(Tag::Grow, "Grow", "is-grow") }
                { competency_picker(ctx, note, &time) }
                <button type="button" class="obs-button obs-quiet obs-delete" onclick={delete}>
                    { "Delete" }<span class="visually-hidden">{ format!(" note at {time}") }</span>
                </button>
            </div>
        </li>
    }
}

/// The competency picker of a note, when the program has a framework.
fn competency_picker(ctx: &Ctx<'_>, note: &tandem_core::model::Note, time: &str) -> Html {
    let Some(framework) = ctx.program.and_then(Program::framework) else { return Html::default() };
    let current = note.tags.iter().find_map(|t| match t {
        Tag::Competency(id) => Some(id.clone()),
        _ => None,
    });
    let mut options: Vec<(String, String)> =
        framework.competencies.iter().map(|k| (k.id.clone(), format!("{} {}", k.code, k.title))).collect();
    // A competency retired from the framework stays selected, under the name it last had
    // (never its id).
    if let Some(old) = current.as_ref().filter(|c| !options.iter().any(|(id, _)| id == *c)) {
        let label = ctx.program.and_then(|p| p.competency(old)).map_or_else(
            || "A competency no longer in the framework".to_owned(),
            |k| format!("{} {} (retired)", k.code, k.title),
        );
        options.push((old.clone(), label));
    }
    let on_change = {
        let note = note.id.clone();
        ctx.on_edit
            .reform(move |competency| ObservationEdit::SetCompetency { note: note.clone(), competency })
    };
    html! {
        <CompetencyPicker id={ctx.ids.of(&format!("note-{}-competency", note.id))}
            label={format!("Competency for note at {time}")} options={Rc::new(options)} {current} {on_change} />
    }
}

#[derive(Properties, PartialEq, Debug)]
struct CompetencyPickerProps {
    id: AttrValue,
    label: AttrValue,
    /// (competency id, "code title")
    options: Rc<Vec<(String, String)>>,
    current: Option<String>,
    on_change: Callback<Option<String>>,
}

/// A `<select>` of competencies. Its value is set from the document after every change, because
/// an option's `selected` attribute stops counting once the person has picked something.
#[function_component(CompetencyPicker)]
fn competency_picker_select(props: &CompetencyPickerProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.current.clone(), move |current| {
            if let Some(select) = node.cast::<HtmlSelectElement>() {
                select.set_value(current.as_deref().unwrap_or(""));
            }
        });
    }
    let onchange = props.on_change.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        (!value.is_empty()).then_some(value)
    });
    let current = props.current.as_deref().unwrap_or("");
    html! {
        <div class="obs-competency">
            <label for={props.id.clone()} class="visually-hidden">{ props.label.clone() }</label>
            <select id={props.id.clone()} ref={node} {onchange}
                class={classes!(props.current.is_some().then_some("is-set"))}>
                <option value="" selected={current.is_empty()}>{ "Competency…" }</option>
                { for props.options.iter().map(|(id, label)| html! {
                    <option value={id.clone()} selected={id == current}>{ label.clone() }</option>
                }) }
            </select>
        </div>
    }
}

/// Strengths first: opening strength, glows, grows, closing strength.
fn feedback_editor(ctx: &Ctx<'_>) -> Html {
    let h = section_heading(ctx, "feedback");
    html! {
        <section class="obs-card obs-feedback" aria-labelledby={h.clone()}>
            <h2 id={h}>{ "Strengths first" }</h2>
            <ProseField id={ctx.ids.of("opening")} label="Opening strength" multiline=true rows={3}
                hint="What was working: the associate reads this first."
                value={ctx.obs.opening_strength.clone()} on_splice={ctx.splice_into(ObservationText::OpeningStrength)} />
            { points_editor(ctx, Feedback::Glow, &ctx.obs.glows) }
            { points_editor(ctx, Feedback::Grow, &ctx.obs.grows) }
            <ProseField id={ctx.ids.of("closing")} label="Closing strength" multiline=true rows={3}
                hint="End on what is working."
                value={ctx.obs.closing_strength.clone()} on_splice={ctx.splice_into(ObservationText::ClosingStrength)} />
        </section>
    }
}

fn points_editor(ctx: &Ctx<'_>, kind: Feedback, points: &[Point]) -> Html {
    let (title, name, part) = match kind {
        Feedback::Glow => ("Glows", "Glow", "glow"),
        Feedback::Grow => ("Grows", "Grow", "grow"),
    };
    let h = ctx.ids.of(&format!("{part}s-h"));
    let add_id = ctx.ids.of(&format!("add-{part}"));
    let add = {
        let ids = ctx.ids.clone();
        ctx.add_then_focus(move || {
            let id = new_item_id();
            let field = ids.of(&format!("{part}-{id}"));
            (ObservationEdit::AddPoint { kind, id }, field)
        })
    };
    html! {
        <div class={classes!("obs-points-editor", format!("is-{part}"))} role="group" aria-labelledby={h.clone()}>
            <h3 id={h}>{ title }</h3>
            if !points.is_empty() {
                <ol class="obs-list">
                    { for points.iter().enumerate().map(|(i, p)| {
                        let n = i + 1;
                        let field = match kind {
                            Feedback::Glow => ObservationText::Glow(p.id.clone()),
                            Feedback::Grow => ObservationText::Grow(p.id.clone()),
                        };
                        let delete = ctx.delete_then_focus(
                            ObservationEdit::DeletePoint { kind, id: p.id.clone() },
                            add_id.clone(),
                        );
                        html! {
                            <li key={p.id.clone()} class="obs-list-item">
                                <ProseField id={ctx.ids.of(&format!("{part}-{}", p.id))} label={format!("{name} {n}")}
                                    multiline=true rows={2} value={p.text.clone()}
                                    on_splice={ctx.splice_into(field)} />
                                <button type="button" class="obs-button obs-quiet obs-delete" onclick={delete}>
                                    { "Delete" }<span class="visually-hidden">{ format!(" {part} {n}") }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            }
            { tagged_notes(ctx, kind, name) }
            <button type="button" class="obs-button" id={add_id} onclick={add}>
                <span aria-hidden="true" class="obs-plus">{ "+" }</span>{ format!("Add {part}") }
            </button>
        </div>
    }
}

/// The running notes tagged `name` in class, shown where the associate will read them (among the
/// glows or grows) so the mentor need not retype them; untagging the note takes one out.
fn tagged_notes(ctx: &Ctx<'_>, kind: Feedback, name: &str) -> Html {
    let notes: Vec<_> = feedback::tagged_notes(ctx.obs, kind).collect();
    if notes.is_empty() {
        return Html::default();
    }
    let h = ctx.ids.of(&format!("{}-from-notes", name.to_lowercase()));
    html! {
        <div class="obs-from-notes">
            <p class="obs-from-notes-title" id={h.clone()}>{ format!("From your notes, tagged {name}") }</p>
            <ul class="obs-points" aria-labelledby={h}>
                { for notes.into_iter().map(|n| html! {
                    <li key={n.id.clone()} class="obs-prose">
                        { n.text.clone() }
                        <span class="obs-point-source">{ format!(" (noted at {})", clock(n.at)) }</span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// The questions for the associate, with their answers (read-only here), and the bank picker.
fn questions_editor(ctx: &Ctx<'_>, picker_open: &UseStateHandle<bool>) -> Html {
    let h = section_heading(ctx, "questions");
    let picker_id = ctx.ids.of("bank");
    let add_id = ctx.ids.of("add-question");
    let toggle = {
        let open = picker_open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let own = {
        let ids = ctx.ids.clone();
        let open = picker_open.clone();
        let make = move || {
            let id = new_item_id();
            let field = ids.of(&format!("q-{id}-prompt"));
            (ObservationEdit::AddQuestion { id, bank_id: None, prompt: String::new() }, field)
        };
        let add = ctx.add_then_focus(make);
        Callback::from(move |e: MouseEvent| {
            open.set(false);
            add.emit(e);
        })
    };
    html! {
        <section class="obs-card obs-questions" aria-labelledby={h.clone()}>
            <h2 id={h}>{ format!("Questions for {}", ctx.associate) }</h2>
            if ctx.obs.questions.is_empty() {
                <p class="obs-empty">{ "Open-ended questions help the associate reflect. Add one or two." }</p>
            } else {
                <ol class="obs-list">
                    { for ctx.obs.questions.iter().enumerate().map(|(i, q)| question_editor(ctx, i + 1, q)) }
                </ol>
            }
            <div class="obs-actions">
                <button type="button" class="obs-button" id={add_id.clone()} aria-expanded={picker_open.to_string()}
                    aria-controls={picker_open.then(|| picker_id.clone())} onclick={toggle}>{ "Add a question" }</button>
                <button type="button" class="obs-button" onclick={own}>{ "Write your own question" }</button>
            </div>
            if **picker_open {
                { question_bank(ctx, &picker_id, &add_id, picker_open) }
            }
        </section>
    }
}

fn question_editor(ctx: &Ctx<'_>, n: usize, q: &tandem_core::model::Question) -> Html {
    let delete_now =
        ctx.delete_now(ObservationEdit::DeleteQuestion { id: q.id.clone() }, ctx.ids.of("add-question"));
    let answered = !q.answer.trim().is_empty();
    let confirm_h = ctx.ids.of(&format!("q-{}-confirm-h", q.id));
    // The associate's answer would go with the question: ask first (Undo still follows).
    let delete = {
        let (delete_now, confirming, focus, id, confirm_h) =
            (delete_now.clone(), ctx.confirming.clone(), ctx.focus.clone(), q.id.clone(), confirm_h.clone());
        Callback::from(move |_: MouseEvent| {
            if answered {
                *focus.borrow_mut() = Some(confirm_h.clone());
                confirming.set(Some(id.clone()));
            } else {
                delete_now.emit(());
            }
        })
    };
    let asking = ctx.confirming.as_deref() == Some(q.id.as_str());
    let keep = {
        let (confirming, focus, delete_id) =
            (ctx.confirming.clone(), ctx.focus.clone(), ctx.ids.of(&format!("q-{}-delete", q.id)));
        Callback::from(move |_: MouseEvent| {
            *focus.borrow_mut() = Some(delete_id.clone());
            confirming.set(None);
        })
    };
    let confirm = {
        let (confirming, delete_now) = (ctx.confirming.clone(), delete_now.clone());
        Callback::from(move |_: MouseEvent| {
            confirming.set(None);
            delete_now.emit(());
        })
    };
    let hint = q.bank_id.is_some().then_some(AttrValue::from("From the question bank."));
    html! {
        <li key={q.id.clone()} class="obs-list-item obs-question">
            <ProseField id={ctx.ids.of(&format!("q-{}-prompt", q.id))} label={format!("Question {n}")}
                multiline=true rows={2} value={q.prompt.clone()} {hint}
                on_splice={ctx.splice_into(ObservationText::QuestionPrompt(q.id.clone()))} />
            <div class="obs-answer">
                <p class="obs-answer-label">{ format!("{}'s answer", ctx.associate) }</p>
                <p class="obs-prose">{ prose_or(&q.answer, "No answer yet") }</p>
            </div>
            <button type="button" class="obs-button obs-quiet obs-delete" id={ctx.ids.of(&format!("q-{}-delete", q.id))}
                onclick={delete}>
                { "Delete" }<span class="visually-hidden">{ format!(" question {n}") }</span>
            </button>
            if asking {
                <div class="obs-confirm" role="alertdialog" aria-modal="false" aria-labelledby={confirm_h.clone()}>
                    <h3 id={confirm_h} tabindex="-1">{ format!("Delete question {n} and {}'s answer?", ctx.associate) }</h3>
                    <p>{ "You can undo it for a few seconds, and restore it later from History." }</p>
                    <div class="obs-actions">
                        <button type="button" class="obs-button obs-danger" onclick={confirm}>
                            { "Delete question and answer" }
                        </button>
                        <button type="button" class="obs-button" onclick={keep}>{ "Keep it" }</button>
                    </div>
                </div>
            }
        </li>
    }
}

/// The program's question bank, grouped by theme; questions already asked, and those the
/// coordinators retired, are left out.
fn question_bank(ctx: &Ctx<'_>, picker_id: &str, add_id: &str, open: &UseStateHandle<bool>) -> Html {
    let h = ctx.ids.of("bank-h");
    let body = match ctx.program {
        None => html! { <p class="obs-empty">{ "The question bank is not on this device yet." }</p> },
        Some(program) => {
            let asked: Vec<&str> = ctx.obs.questions.iter().filter_map(|q| q.bank_id.as_deref()).collect();
            let mut themes: Vec<(&str, Vec<&tandem_core::model::BankQuestion>)> = Vec::new();
            for q in program.question_bank.iter().filter(|q| q.offered() && !asked.contains(&q.id.as_str())) {
                let theme = q.theme.trim();
                match themes.iter_mut().find(|(t, _)| *t == theme) {
                    Some((_, list)) => list.push(q),
                    None => themes.push((theme, vec![q])),
                }
            }
            if themes.is_empty() {
                html! { <p class="obs-empty">{ "Every question in the bank has been added." }</p> }
            } else {
                html! { <>
                    { for themes.into_iter().enumerate().map(|(i, (theme, list))| {
                        let th = ctx.ids.of(&format!("bank-theme-{i}"));
                        html! {
                            <div class="obs-theme" role="group" aria-labelledby={th.clone()}>
                                <h4 id={th}>{ if theme.is_empty() { "Other questions" } else { theme } }</h4>
                                <ul class="obs-bank-list">
                                    { for list.into_iter().map(|q| bank_button(ctx, q, add_id, open)) }
                                </ul>
                            </div>
                        }
                    }) }
                </> }
            }
        }
    };
    html! {
        <div class="obs-picker" id={picker_id.to_owned()} role="region" aria-labelledby={h.clone()}>
            <h3 id={h}>{ "Question bank" }</h3>
            { body }
        </div>
    }
}

fn bank_button(
    ctx: &Ctx<'_>,
    q: &tandem_core::model::BankQuestion,
    add_id: &str,
    open: &UseStateHandle<bool>,
) -> Html {
    let (bank_id, prompt) = (q.id.clone(), q.text.clone());
    let add_id = add_id.to_owned();
    let (on_edit, focus, open) = (ctx.on_edit.clone(), ctx.focus.clone(), open.clone());
    let onclick = Callback::from(move |_: MouseEvent| {
        // The picker closes, so focus goes back to the button that opened it.
        *focus.borrow_mut() = Some(add_id.clone());
        open.set(false);
        on_edit.emit(ObservationEdit::AddQuestion {
            id: new_item_id(),
            bank_id: Some(bank_id.clone()),
            prompt: prompt.clone(),
        });
    });
    html! {
        <li key={q.id.clone()}>
            <button type="button" class="obs-bank-question" {onclick}>{ q.text.clone() }</button>
        </li>
    }
}

fn next_steps_editor(ctx: &Ctx<'_>) -> Html {
    let h = section_heading(ctx, "next");
    let add = {
        let ids = ctx.ids.clone();
        ctx.add_then_focus(move || {
            let id = new_item_id();
            let field = ids.of(&format!("next-{id}"));
            (ObservationEdit::AddNextStep { id, text: String::new(), goal: None }, field)
        })
    };
    html! {
        <section class="obs-card obs-next" aria-labelledby={h.clone()}>
            <h2 id={h}>{ "Next steps" }</h2>
            if !ctx.obs.next_steps.is_empty() {
                <ol class="obs-list">
                    { for ctx.obs.next_steps.iter().enumerate().map(|(i, s)| {
                        let n = i + 1;
                        let delete = ctx.delete_then_focus(
                            ObservationEdit::DeleteNextStep { id: s.id.clone() },
                            ctx.ids.of("add-next"),
                        );
                        html! {
                            <li key={s.id.clone()} class="obs-list-item">
                                <ProseField id={ctx.ids.of(&format!("next-{}", s.id))} label={format!("Next step {n}")}
                                    multiline=true rows={2} value={s.text.clone()}
                                    on_splice={ctx.splice_into(ObservationText::NextStep(s.id.clone()))} />
                                <button type="button" class="obs-button obs-quiet obs-delete" onclick={delete}>
                                    { "Delete" }<span class="visually-hidden">{ format!(" next step {n}") }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            }
            <button type="button" class="obs-button" id={ctx.ids.of("add-next")} onclick={add}>
                <span aria-hidden="true" class="obs-plus">{ "+" }</span>{ "Add next step" }
            </button>
        </section>
    }
}

fn reflection(ctx: &Ctx<'_>) -> Html {
    let h = section_heading(ctx, "reflection");
    html! {
        <section class="obs-card obs-reflection" aria-labelledby={h.clone()}>
            <h2 id={h}>{ format!("{}'s reflection", ctx.associate) }</h2>
            <p class="obs-prose">{ prose_or(&ctx.obs.reflection, "No reflection yet") }</p>
        </section>
    }
}

/// Sharing a draft (with a confirmation that lists strengths-first problems), then the status
/// and the associate's acknowledgement.
fn share_and_status(
    ctx: &Ctx<'_>,
    people: &People,
    share_open: &UseStateHandle<bool>,
    on_share: &Callback<()>,
) -> Html {
    let h = section_heading(ctx, "share");
    let obs = ctx.obs;
    if obs.status == ObservationStatus::Draft {
        let share_id = ctx.ids.of("share");
        let confirm_id = ctx.ids.of("confirm");
        let confirm_h = ctx.ids.of("confirm-h");
        let open = {
            let (share_open, focus, confirm_h) = (share_open.clone(), ctx.focus.clone(), confirm_h.clone());
            Callback::from(move |_: MouseEvent| {
                *focus.borrow_mut() = Some(confirm_h.clone());
                share_open.set(true);
            })
        };
        let keep_editing = {
            let (share_open, focus, share_id) = (share_open.clone(), ctx.focus.clone(), share_id.clone());
            Callback::from(move |()| {
                *focus.borrow_mut() = Some(share_id.clone());
                share_open.set(false);
            })
        };
        let share_now = {
            let (share_open, on_share) = (share_open.clone(), on_share.clone());
            Callback::from(move |_: MouseEvent| {
                share_open.set(false);
                on_share.emit(());
            })
        };
        let on_escape = {
            let keep_editing = keep_editing.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" {
                    keep_editing.emit(());
                }
            })
        };
        let problems = validate::observation_share(obs);
        html! {
            <section class="obs-card obs-share" aria-labelledby={h.clone()}>
                <h2 id={h}>{ "Share" }</h2>
                <p>{ format!("This draft is only on your devices. {} sees it once you share it.", ctx.associate) }</p>
                <button type="button" class="obs-button obs-primary" id={share_id}
                    aria-expanded={share_open.to_string()} aria-controls={share_open.then(|| confirm_id.clone())} onclick={open}>
                    { format!("Share with {}", ctx.associate) }
                </button>
                if **share_open {
                    <div class="obs-confirm" id={confirm_id} role="dialog" aria-modal="false"
                        aria-labelledby={confirm_h.clone()} onkeydown={on_escape}>
                        <h3 id={confirm_h} tabindex="-1">{ format!("Share with {}?", ctx.associate) }</h3>
                        if problems.is_empty() {
                            <p class="obs-ok">
                                <span aria-hidden="true">{ "✓ " }</span>
                                { "Strengths first: it opens and closes with what is working." }
                            </p>
                        } else {
                            <p>{ "Strengths first. Before you share, consider:" }</p>
                            <ul class="obs-warnings">
                                { for problems.iter().map(|p| html! {
                                    <li><span class="obs-warning-label">{ "Warning: " }</span>{ sentence(&p.message) }</li>
                                }) }
                            </ul>
                        }
                        <p class="hint">
                            { format!("{} will be able to read it, answer your questions and reflect. \
                                Text you deleted is not shared.", ctx.associate) }
                        </p>
                        <div class="obs-actions">
                            <button type="button" class="obs-button obs-primary" onclick={share_now}>
                                { "Share now" }
                            </button>
                            <button type="button" class="obs-button" onclick={keep_editing.reform(|_: MouseEvent| ())}>
                                { "Keep editing" }
                            </button>
                        </div>
                    </div>
                }
            </section>
        }
    } else {
        let mark = |status: ObservationStatus, label: &'static str| {
            let onclick = ctx.on_edit.reform(move |_: MouseEvent| ObservationEdit::SetStatus(status));
            html! { <button type="button" class="obs-button" {onclick}>{ label }</button> }
        };
        let can_debrief = matches!(obs.status, ObservationStatus::Shared | ObservationStatus::Acknowledged);
        let acks = super::acknowledgements(obs, people);
        html! {
            <section class="obs-card obs-share" aria-labelledby={h.clone()}>
                <h2 id={h}>{ "Status" }</h2>
                <p>
                    { "Status: " }
                    <span class="obs-status" data-status={obs.status.as_str()}>{ status_label(obs.status) }</span>
                </p>
                if acks.is_empty() {
                    <p class="obs-empty">{ format!("{} has not acknowledged receipt yet.", ctx.associate) }</p>
                } else {
                    { for acks.into_iter().map(|line| html! { <p class="obs-done">{ line }</p> }) }
                }
                <div class="obs-actions">
                    if can_debrief { { mark(ObservationStatus::Debriefed, "Mark as debriefed") } }
                    if obs.status != ObservationStatus::Closed { { mark(ObservationStatus::Closed, "Mark as closed") } }
                </div>
            </section>
        }
    }
}

/// A problem's message ("open with a strength ...") as a sentence ("Open with a strength ....").
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let Some(first) = chars.next() else { return String::new() };
    let mut out: String = first.to_uppercase().collect();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_problem_message_reads_as_a_sentence() {
        assert_eq!(super::sentence("add at least one glow"), "Add at least one glow.");
        assert_eq!(super::sentence("close with a strength."), "Close with a strength.");
    }
}
