//! The coordinator's console: a program's overview, its people (invitations, roles,
//! deactivation) and its pairs and cohorts, read from and written to the relay's API
//! (`/api/programs/...`, `/api/pairs/...`). Unlike documents these are the relay's accounts, so
//! the console needs the network; it says so rather than show stale people. Only a coordinator of
//! the program is offered it (the relay refuses everyone else with 403 anyway).
//!
//! This file is the frame (loading the program, the tabs) and what the screens share; each
//! screen is its own module: [`overview`], [`people`], [`pairs`]. Also [`join`], the page an
//! invitation link opens (`#/join/{token}`), for someone not signed in.

mod join;
mod overview;
mod pairs;
mod people;

mod progress;

use std::rc::Rc;

use tandem_api::{Pair, ProgramView, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub use join::{JoinPage, JoinProps};
use overview::Overview;
use pairs::PairsTab;
use people::PeopleTab;

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

    if !coordinates {
        return html! {
            <section>
                <h1>{ "This console is for the program's coordinators" }</h1>
                <p>{ "Your coordinator sets up people and pairs. Your pairs and their records are on your pairs page." }</p>
                <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
            </section>
        };
    }

    let view = match &*load {
        Load::Loading => {
            return html! { <p class="hint" role="status">{ "Loading the program from the school's server…" }</p> };
        }
        Load::Failed(message) => {
            return html! {
                <section>
                    <h1>{ "The console could not open" }</h1>
                    <p class="problem" role="alert">{ message.clone() }</p>
                    <button type="button" onclick={reload.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                </section>
            };
        }
        Load::Loaded(view) => view.clone(),
    };
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
            <h1>{ view.name.clone() }</h1>
            <nav class="tabs" aria-label="Console">
                { tab_link(ConsoleTab::Overview, "Overview") }
                { tab_link(ConsoleTab::People, "People") }
                { tab_link(ConsoleTab::Pairs, "Pairs and cohorts") }
                { tab_link(ConsoleTab::Progress, "Progress") }
            </nav>
            { match props.tab {
                ConsoleTab::Overview => html! { <Overview view={view.clone()} /> },
                ConsoleTab::People => html! { <PeopleTab view={view.clone()} {reload} /> },
                ConsoleTab::Pairs => html! { <PairsTab view={view.clone()} {reload} /> },
                ConsoleTab::Progress => html! { <progress::ProgressTab program={props.program.clone()} /> },
            } }
        </div>
    }
}

/// What every screen of the console gets: the program as the relay has it, and a way to ask
/// for it again after a change.
#[derive(Properties, PartialEq, Debug)]
struct TabProps {
    view: Rc<ProgramView>,
    #[prop_or_default]
    reload: Callback<()>,
}
