//! The coordinator's console: a program's overview, its people (invitations, roles,
//! deactivation) and its pairs and cohorts, read from and written to the relay's API
//! (`/api/programs/...`, `/api/pairs/...`). Unlike documents these are the relay's accounts, so
//! the console needs the network; it says so rather than show stale people. Only a coordinator of
//! the program is offered it (the relay refuses everyone else with 403 anyway).
//!
//! The framework and the question bank are not the relay's accounts but the program document,
//! edited like any document through the device's repo (so they work offline too and merge).
//!
//! This file is the frame (loading the program, the tabs) and what the screens share; each
//! screen is its own module: [`overview`], [`people`], [`pairs`], [`framework`], [`questions`].
//! Also [`join`], the page an invitation link opens (`#/join/{token}`), for someone not signed in.

mod framework;
mod join;
mod overview;
mod pairs;
mod people;
mod progress;
mod questions;

use std::rc::Rc;

use tandem_api::{Pair, ProgramView, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use framework::FrameworkTab;
pub use join::{JoinPage, JoinProps};
use overview::Overview;
use pairs::PairsTab;
use people::PeopleTab;
use questions::QuestionsTab;
use tandem_core::{Program, edit::program::ProgramEdit};

use crate::{
    api::{self, ApiError},
    app::Ctx,
    people::UNKNOWN,
    route::{ConsoleTab, Route},
};

/// A role as a word for a label, and with its article ("an associate").
fn role_word(role: Role) -> &'static str {
    match role {
        Role::Coordinator => "Coordinator",
        Role::Mentor => "Mentor",
        Role::Associate => "Associate",
    }
}

fn with_article(role: Role) -> &'static str {
    match role {
        Role::Coordinator => "a coordinator",
        Role::Mentor => "a mentor",
        Role::Associate => "an associate",
    }
}

/// What the console says when the relay did not answer as hoped.
fn problem(error: &ApiError) -> String {
    match error {
        ApiError::Offline => {
            "The school's server cannot be reached. The console needs the network; try again when this device is connected.".to_owned()
        }
        ApiError::SignedOut => "Your session has ended. Sign out and sign in again to use the console.".to_owned(),
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            chars.next().map_or(text.clone(), |first| first.to_uppercase().chain(chars).collect::<String>() + ".")
        }
    }
}

fn input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default()
}

fn select_value(node: &NodeRef) -> String {
    node.cast::<HtmlSelectElement>().map(|s| s.value()).unwrap_or_default()
}

/// A seat's state in words: who sits there, or that it is empty.
fn seat_name(view: &ProgramView, seat: &Option<String>) -> String {
    match seat {
        None => "Empty seat".to_owned(),
        Some(id) => view
            .people
            .iter()
            .find(|p| &p.person.id == id)
            .map_or(UNKNOWN.to_owned(), |p| p.person.name.clone()),
    }
}

/// A pair whose seats are both empty has ended.
fn ended(pair: &Pair) -> bool {
    pair.mentor_id.is_none() && pair.associate_id.is_none()
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(Rc<ProgramView>),
    Failed(String),
}

#[derive(Properties, PartialEq, Debug)]
pub struct ConsoleProps {
    pub program: String,
    pub tab: ConsoleTab,
}

#[function_component(ConsolePage)]
pub fn console_page(props: &ConsoleProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let load = use_state(|| Load::Loading);
    let version = use_state(|| 0u32);
    let coordinates = ctx
        .session
        .account()
        .me
        .memberships
        .iter()
        .any(|m| m.program_id == props.program && m.role == Role::Coordinator);

    {
        let load = load.clone();
        use_effect_with((props.program.clone(), *version, coordinates), move |(program, _, coordinates)| {
            if *coordinates {
                let program = program.clone();
                spawn_local(async move {
                    load.set(match api::program(&program).await {
                        Ok(view) => Load::Loaded(Rc::new(view)),
                        Err(e) => Load::Failed(problem(&e)),
                    });
                });
            }
        });
    }
    let reload = {
        let version = version.clone();
        Callback::from(move |()| version.set(*version + 1))
    };

    // The program document, opened as an effect (rendering only reads) and edited through the repo.
    let document = ctx.session.program_document(&props.program);
    {
        let session = ctx.session.clone();
        use_effect_with(document, move |document| {
            if let Some(id) = document {
                session.repo.open(*id);
            }
        });
    }
    let program_doc = document.and_then(|id| ctx.session.repo.read::<Program>(&id));
    let on_program_edit = match document {
        Some(id) => {
            crate::hosts::edits(&ctx.session, id, ProgramEdit::is_typing, tandem_core::edit::program::apply)
        }
        None => Callback::noop(),
    };

    if !coordinates {
        return html! {
            <section>
                <h1>{ "This console is for the program's coordinators" }</h1>
                <p>{ "Your coordinator sets up people and pairs. Your pairs and their records are on your pairs page." }</p>
                <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
            </section>
        };
    }

    // The framework and the question bank are the program document on this device, so their tabs
    // open without the relay's answer (offline too); the other tabs are the relay's accounts.
    let on_document = matches!(props.tab, ConsoleTab::Framework | ConsoleTab::Questions);
    let view = match (&*load, on_document) {
        (Load::Loaded(view), _) => Some(view.clone()),
        (_, true) => None,
        (Load::Loading, false) => {
            return html! { <p class="hint" role="status">{ "Loading the program from the school's server…" }</p> };
        }
        (Load::Failed(message), false) => {
            return html! {
                <section>
                    <h1>{ "The console could not open" }</h1>
                    <p class="problem" role="alert">{ message.clone() }</p>
                    <button type="button" onclick={reload.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                </section>
            };
        }
    };
    let name = view.as_ref().map(|v| v.name.clone()).or_else(|| program_doc.as_ref().map(|p| p.name.clone()));
    let tab_link = |tab: ConsoleTab, label: &str| {
        let current = tab == props.tab;
        html! {
            <a href={Route::Console(props.program.clone(), tab).href()}
                aria-current={current.then_some("page")} class={classes!(current.then_some("current"))}>
                { label.to_owned() }
            </a>
        }
    };
    html! {
        <div class="console">
            <p class="eyebrow">{ "Program console" }</p>
            <h1>{ name.unwrap_or_else(|| props.program.clone()) }</h1>
            <nav class="tabs" aria-label="Console">
                { tab_link(ConsoleTab::Overview, "Overview") }
                { tab_link(ConsoleTab::People, "People") }
                { tab_link(ConsoleTab::Pairs, "Pairs and cohorts") }
                { tab_link(ConsoleTab::Progress, "Progress") }
                { tab_link(ConsoleTab::Framework, "Competencies") }
                { tab_link(ConsoleTab::Questions, "Question bank") }
            </nav>
            { match (props.tab, view) {
                (ConsoleTab::Framework, _) => html! { <FrameworkTab program={program_doc} on_edit={on_program_edit} /> },
                (ConsoleTab::Questions, _) => html! { <QuestionsTab program={program_doc} on_edit={on_program_edit} /> },
                // Only the document's tabs get here without the relay's answer (returned above).
                (_, None) => Html::default(),
                (ConsoleTab::Overview, Some(view)) => html! { <Overview {view} /> },
                (ConsoleTab::People, Some(view)) => html! { <PeopleTab {view} {reload} /> },
                (ConsoleTab::Pairs, Some(view)) => html! { <PairsTab {view} {reload} /> },
                (ConsoleTab::Progress, Some(_)) => html! { <progress::ProgressTab program={props.program.clone()} /> },
            } }
        </div>
    }
}

/// What the framework and question bank screens say before the program document has reached
/// this device.
const NOT_HERE_YET: &str = "The program's document is not on this device yet. It arrives once this device reaches the school's server.";

/// What the framework and question bank screens get: the program document, if it is on this
/// device, and where their edits go.
#[derive(Properties, PartialEq)]
struct ProgramDocProps {
    program: Option<Rc<Program>>,
    on_edit: Callback<ProgramEdit>,
}

/// What every screen of the console gets: the program as the relay has it, and a way to ask
/// for it again after a change.
#[derive(Properties, PartialEq, Debug)]
struct TabProps {
    view: Rc<ProgramView>,
    #[prop_or_default]
    reload: Callback<()>,
}
