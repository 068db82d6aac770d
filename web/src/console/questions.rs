//! The console's question bank, edited like any document (the program document in the device's
//! repo, through `tandem_core::edit::program`): open-ended coaching questions grouped by theme,
//! worded in place (merged character by character), added under a theme, retired and offered
//! again. A retired question leaves the mentors' bank; observations that asked it keep its words.

use tandem_core::edit::program::ProgramEdit;
use tandem_core::model::BankQuestion;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::{ProgramDocProps, input_value, select_value};
use crate::{ids, splice::Splice, ui::prose::ProseField};

/// The choice in the theme list that asks for a new theme's name.
const NEW_THEME: &str = "\u{0}new";

#[function_component(QuestionsTab)]
pub(super) fn questions_tab(props: &ProgramDocProps) -> Html {
    let (theme, new_theme, text) = (use_node_ref(), use_node_ref(), use_node_ref());
    let problem = use_state(|| None::<&'static str>);
    let choosing_new = use_state(|| false);
    let Some(program) = props.program.clone() else {
        return html! { <p class="empty" role="status">{ super::NOT_HERE_YET }</p> };
    };
    let on_edit = props.on_edit.clone();
    let themes: Vec<String> = program.themes().into_iter().map(str::to_owned).collect();
    let offered = |t: &str| {
        program.question_bank.iter().filter(move |q| q.offered() && q.theme == t).collect::<Vec<_>>()
    };
    let retired: Vec<&BankQuestion> = program.question_bank.iter().filter(|q| !q.offered()).collect();

    let add = {
        let (theme, new_theme, text, problem, on_edit) =
            (theme.clone(), new_theme.clone(), text.clone(), problem.clone(), on_edit.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let chosen = select_value(&theme);
            let chosen = if chosen == NEW_THEME { input_value(&new_theme) } else { chosen };
            let (chosen, wording) = (chosen.trim().to_owned(), input_value(&text).trim().to_owned());
            if chosen.is_empty() || wording.is_empty() {
                problem.set(Some("Write the question and choose its theme."));
                return;
            }
            problem.set(None);
            if let Some(input) = text.cast::<HtmlInputElement>() {
                input.set_value("");
            }
            on_edit.emit(ProgramEdit::AddQuestion {
                id: format!("q-{}", ids::new_item_id()),
                theme: chosen,
                text: wording,
            });
        })
    };
    let on_theme = {
        let choosing_new = choosing_new.clone();
        Callback::from(move |event: Event| {
            let value = event.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
            choosing_new.set(value == NEW_THEME);
        })
    };

    html! {
        <>
            <section aria-labelledby="add-question-title" class="panel">
                <h2 id="add-question-title">{ "Add a question" }</h2>
                <p class="hint">{ "Open-ended questions help the associate find the answer: \u{201c}What do you think would have the greatest impact?\u{201d} rather than one answered yes or no." }</p>
                <form onsubmit={add} novalidate=true class="inline-form">
                    <div class="field">
                        <label for="question-theme">{ "Theme" }</label>
                        <select id="question-theme" ref={theme} onchange={on_theme}>
                            { for themes.iter().map(|t| html! { <option value={t.clone()}>{ t.clone() }</option> }) }
                            <option value={NEW_THEME}>{ "A new theme…" }</option>
                        </select>
                    </div>
                    if *choosing_new || themes.is_empty() {
                        <div class="field">
                            <label for="question-new-theme">{ "New theme's name" }</label>
                            <input id="question-new-theme" ref={new_theme} type="text" autocomplete="off" />
                        </div>
                    }
                    <div class="field wide">
                        <label for="question-text">{ "Question" }</label>
                        <input id="question-text" ref={text} type="text" autocomplete="off" />
                    </div>
                    <button type="submit" class="primary">{ "Add question" }</button>
                </form>
                if let Some(message) = *problem {
                    <p class="problem" role="alert">{ message }</p>
                }
            </section>
            { for themes.iter().enumerate().filter(|(_, t)| !offered(t).is_empty()).map(|(i, t)| {
                let heading = format!("theme-{i}");
                html! {
                    <section aria-labelledby={heading.clone()}>
                        <h2 id={heading}>{ t.clone() }</h2>
                        <ul class="bank">
                            { for offered(t).into_iter().map(|q| {
                                let field_id = format!("bank-{}", q.id);
                                let on_splice = {
                                    let (on_edit, id) = (on_edit.clone(), q.id.clone());
                                    Callback::from(move |splice: Splice| {
                                        on_edit.emit(ProgramEdit::QuestionText { id: id.clone(), splice })
                                    })
                                };
                                html! {
                                    <li>
                                        <ProseField id={field_id} label={format!("Question in {t}")} label_hidden=true
                                            value={q.text.clone()} {on_splice} />
                                        <button type="button" class="danger"
                                            onclick={let (on_edit, id) = (on_edit.clone(), q.id.clone()); move |_| on_edit.emit(ProgramEdit::RetireQuestion { id: id.clone() })}>
                                            { "Retire" }<span class="visually-hidden">{ format!(" \u{201c}{}\u{201d}", q.text) }</span>
                                        </button>
                                    </li>
                                }
                            }) }
                        </ul>
                    </section>
                }
            }) }
            if !retired.is_empty() {
                <section aria-labelledby="retired-questions-title">
                    <h2 id="retired-questions-title">{ "Retired questions" }</h2>
                    <p class="hint">{ "No longer offered to mentors. Observations that asked them keep their words." }</p>
                    <ul class="plain">
                        { for retired.iter().map(|q| html! {
                            <li>
                                { format!("{} ({})", q.text, q.theme) }
                                <button type="button"
                                    onclick={let (on_edit, id) = (on_edit.clone(), q.id.clone()); move |_| on_edit.emit(ProgramEdit::RestoreQuestion { id: id.clone() })}>
                                    { "Offer again" }<span class="visually-hidden">{ format!(" \u{201c}{}\u{201d}", q.text) }</span>
                                </button>
                            </li>
                        }) }
                    </ul>
                </section>
            }
        </>
    }
}
