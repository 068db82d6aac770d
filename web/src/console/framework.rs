//! The console's competency framework, edited like any document: the program document in the
//! device's repo, written through `tandem_core::edit::program`. Each saved change publishes the
//! next framework version (published ones are never edited); a retired area leaves the mentors'
//! pickers and stays readable in the notes tagged with it.

use tandem_core::edit::program::{Area, ProgramEdit};
use tandem_core::model::Competency;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::ProgramDocProps;
use crate::{ids, ui::time};

/// An area as a form holds it while the coordinator writes.
fn area_of(c: &Competency) -> Area {
    Area {
        id: c.id.clone(),
        code: c.code.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        levels: c.levels.iter().map(|l| (l.name.clone(), l.description.clone())).collect(),
    }
}

#[function_component(FrameworkTab)]
pub(super) fn framework_tab(props: &ProgramDocProps) -> Html {
    let editing = use_state(|| None::<String>);
    let adding = use_state(|| false);
    let Some(program) = props.program.clone() else {
        return html! { <p class="empty" role="status">{ super::NOT_HERE_YET }</p> };
    };
    let on_edit = props.on_edit.clone();
    let Some(framework) = program.framework() else {
        return html! { <p class="empty">{ "This program has no competency framework yet." }</p> };
    };
    let next_code = (framework.competencies.len() + 1).to_string();
    let default_levels: Vec<(String, String)> = framework
        .competencies
        .first()
        .map(|c| c.levels.iter().map(|l| (l.name.clone(), String::new())).collect())
        .unwrap_or_else(|| {
            tandem_core::defaults::LEVELS.iter().map(|n| ((*n).to_owned(), String::new())).collect()
        });
    let retired = program.retired_competencies();

    html! {
        <>
            <section aria-labelledby="framework-title">
                <h2 id="framework-title">{ framework.title.clone() }</h2>
                <p class="meta">
                    { format!("Version {}, published {}. Each change you save publishes the next version; notes keep meaning what they meant when they were written.",
                        framework.version, time::date_time(framework.published_at)) }
                </p>
                <ul class="areas">
                    { for framework.competencies.iter().map(|c| {
                        let open = editing.as_deref() == Some(c.id.as_str());
                        html! {
                            <li class="card area">
                                if open {
                                    <AreaForm area={area_of(c)} heading={format!("Edit {}", c.title)}
                                        on_save={let (e, on_edit) = (editing.clone(), on_edit.clone()); Callback::from(move |area| { e.set(None); on_edit.emit(ProgramEdit::EditArea(area)); })}
                                        on_cancel={let e = editing.clone(); Callback::from(move |()| e.set(None))} />
                                } else {
                                    <h3>{ format!("{} {}", c.code, c.title) }</h3>
                                    <p>{ c.description.clone() }</p>
                                    if !c.levels.is_empty() {
                                        <ol class="levels">
                                            { for c.levels.iter().map(|l| html! {
                                                <li><strong>{ l.name.clone() }</strong>{ if l.description.is_empty() { String::new() } else { format!(": {}", l.description) } }</li>
                                            }) }
                                        </ol>
                                    }
                                    <div class="actions">
                                        <button type="button" onclick={let (e, id) = (editing.clone(), c.id.clone()); move |_| e.set(Some(id.clone()))}>
                                            { "Edit" }<span class="visually-hidden">{ format!(" {}", c.title) }</span>
                                        </button>
                                        <button type="button" class="danger"
                                            onclick={let (on_edit, id) = (on_edit.clone(), c.id.clone()); move |_| on_edit.emit(ProgramEdit::RetireArea { id: id.clone() })}>
                                            { "Retire" }<span class="visually-hidden">{ format!(" {}", c.title) }</span>
                                        </button>
                                    </div>
                                }
                            </li>
                        }
                    }) }
                </ul>
                if *adding {
                    <div class="card area">
                        <AreaForm heading="New competency area"
                            area={Area { id: format!("c-{}", ids::new_item_id()), code: next_code, title: String::new(), description: String::new(), levels: default_levels }}
                            on_save={let (a, on_edit) = (adding.clone(), on_edit.clone()); Callback::from(move |area| { a.set(false); on_edit.emit(ProgramEdit::AddArea(area)); })}
                            on_cancel={let a = adding.clone(); Callback::from(move |()| a.set(false))} />
                    </div>
                } else {
                    <button type="button" class="primary" onclick={let a = adding.clone(); move |_| a.set(true)}>{ "Add a competency area" }</button>
                }
            </section>
            if !retired.is_empty() {
                <section aria-labelledby="retired-areas-title">
                    <h2 id="retired-areas-title">{ "Retired areas" }</h2>
                    <p class="hint">{ "No longer offered to mentors. Notes tagged with them still show their names." }</p>
                    <ul class="plain">
                        { for retired.iter().map(|c| html! {
                            <li>
                                { format!("{} {}", c.code, c.title) }
                                <button type="button"
                                    onclick={let (on_edit, area) = (on_edit.clone(), area_of(c)); move |_| on_edit.emit(ProgramEdit::AddArea(area.clone()))}>
                                    { "Bring back" }<span class="visually-hidden">{ format!(" {}", c.title) }</span>
                                </button>
                            </li>
                        }) }
                    </ul>
                </section>
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct AreaFormProps {
    area: Area,
    heading: AttrValue,
    on_save: Callback<Area>,
    on_cancel: Callback<()>,
}

/// An area's code, title, description and levels (a spare row for one more level), saved at once.
#[function_component(AreaForm)]
fn area_form(props: &AreaFormProps) -> Html {
    let area = use_state(|| {
        let mut area = props.area.clone();
        area.levels.push((String::new(), String::new()));
        area
    });
    let problem = use_state(|| None::<&'static str>);
    let field = |set: fn(&mut Area, String)| {
        let area = area.clone();
        Callback::from(move |event: InputEvent| {
            let value = event
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| event.target_dyn_into::<HtmlTextAreaElement>().map(|t| t.value()))
                .unwrap_or_default();
            let mut next = (*area).clone();
            set(&mut next, value);
            area.set(next);
        })
    };
    let level = |i: usize, description: bool| {
        let area = area.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_dyn_into::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let mut next = (*area).clone();
            if description {
                next.levels[i].1 = value
            } else {
                next.levels[i].0 = value
            }
            if next.levels.last().is_some_and(|(n, _)| !n.trim().is_empty()) {
                next.levels.push((String::new(), String::new()));
            }
            area.set(next);
        })
    };
    let onsubmit = {
        let (area, problem, on_save) = (area.clone(), problem.clone(), props.on_save.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let mut saved = (*area).clone();
            saved.title = saved.title.trim().to_owned();
            saved.code = saved.code.trim().to_owned();
            saved.description = saved.description.trim().to_owned();
            saved.levels.retain(|(name, _)| !name.trim().is_empty());
            for (name, description) in &mut saved.levels {
                *name = name.trim().to_owned();
                *description = description.trim().to_owned();
            }
            if saved.title.is_empty() {
                problem.set(Some("Give the area a name."));
                return;
            }
            on_save.emit(saved);
        })
    };
    let key = props.area.id.clone();
    let id = |what: &str| format!("area-{key}-{what}");
    html! {
        <form {onsubmit} novalidate=true aria-label={props.heading.clone()}>
            <h3>{ props.heading.clone() }</h3>
            <div class="field-row">
                <div class="field code">
                    <label for={id("code")}>{ "Code" }</label>
                    <input id={id("code")} type="text" value={area.code.clone()} oninput={field(|a, v| a.code = v)} />
                </div>
                <div class="field">
                    <label for={id("title")}>{ "Name" }</label>
                    <input id={id("title")} type="text" value={area.title.clone()} oninput={field(|a, v| a.title = v)} />
                </div>
            </div>
            <div class="field">
                <label for={id("description")}>{ "What it is" }</label>
                <textarea id={id("description")} rows="2" value={area.description.clone()} oninput={field(|a, v| a.description = v)} />
            </div>
            <fieldset class="levels">
                <legend>{ "Levels, first to last" }</legend>
                { for area.levels.iter().enumerate().map(|(i, (name, description))| html! {
                    <div class="field-row">
                        <div class="field">
                            <label for={id(&format!("level-{i}"))}>{ format!("Level {}", i + 1) }</label>
                            <input id={id(&format!("level-{i}"))} type="text" value={name.clone()} oninput={level(i, false)} />
                        </div>
                        <div class="field">
                            <label for={id(&format!("level-{i}-looks"))}>{ format!("What level {} looks like", i + 1) }</label>
                            <input id={id(&format!("level-{i}-looks"))} type="text" value={description.clone()} oninput={level(i, true)} />
                        </div>
                    </div>
                }) }
            </fieldset>
            if let Some(message) = *problem {
                <p class="problem" role="alert">{ message }</p>
            }
            <div class="actions">
                <button type="submit" class="primary">{ "Save area" }</button>
                <button type="button" onclick={props.on_cancel.reform(|_: MouseEvent| ())}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
