//! The coordinator's console: a program's overview, its people (invitations, roles,
//! deactivation) and its pairs and cohorts, read from and written to the relay's API
//! (`/api/programs/...`, `/api/pairs/...`). Unlike documents these are the relay's accounts, so
//! the console needs the network; it says so rather than show stale people. Only a coordinator of
//! the program is offered it (the relay refuses everyone else with 403 anyway).
//!
//! Also the page an invitation link opens (`#/join/{token}`), for someone not signed in: what it
//! invites to, a password chosen once, and then signed in like any sign-in.

mod progress;

use std::rc::Rc;

use tandem_api::{NewInvitation, NewPair, Pair, PairChange, PersonInProgram, ProgramView, Role};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::{
    account::Account,
    api::{self, ApiError},
    app::{Ctx, StorageHandle, set_up_device},
    people::UNKNOWN,
    route::{ConsoleTab, Route},
    store::IdbStorage,
    ui::{
        time,
        words::{count, plural},
    },
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

#[derive(Properties, PartialEq, Debug)]
struct TabProps {
    view: Rc<ProgramView>,
    #[prop_or_default]
    reload: Callback<()>,
}

// ---------------------------------------------------------------------------------------------
// Overview: how many people in each role, pairs, cohorts.

#[function_component(Overview)]
fn overview(props: &TabProps) -> Html {
    let view = &props.view;
    let in_role = |role: Role| view.people.iter().filter(|p| p.role == role).count();
    let active = view.pairs.iter().filter(|p| p.mentor_id.is_some() && p.associate_id.is_some()).count();
    let open_seat = view
        .pairs
        .iter()
        .filter(|p| !ended(p) && (p.mentor_id.is_none() || p.associate_id.is_none()))
        .count();
    let ended_pairs = view.pairs.iter().filter(|p| ended(p)).count();
    let no_cohort = view.pairs.iter().filter(|p| !ended(p) && p.cohort_id.is_none()).count();
    html! {
        <>
            <section aria-labelledby="overview-people">
                <h2 id="overview-people">{ "People and pairs" }</h2>
                <ul class="stats">
                    <li><strong>{ view.people.len() }</strong>{ format!(" {}", plural(view.people.len(), "person", "people")) }</li>
                    <li><strong>{ in_role(Role::Mentor) }</strong>{ format!(" {}", plural(in_role(Role::Mentor), "mentor", "mentors")) }</li>
                    <li><strong>{ in_role(Role::Associate) }</strong>{ format!(" {}", plural(in_role(Role::Associate), "associate", "associates")) }</li>
                    <li><strong>{ in_role(Role::Coordinator) }</strong>{ format!(" {}", plural(in_role(Role::Coordinator), "coordinator", "coordinators")) }</li>
                    <li><strong>{ active }</strong>{ format!(" {}", plural(active, "pair", "pairs")) }</li>
                </ul>
                if open_seat > 0 || ended_pairs > 0 {
                    <p class="meta">
                        { format!("Also {} with an empty seat and {} ended.", count(open_seat, "pair", "pairs"), count(ended_pairs, "pair", "pairs")) }
                    </p>
                }
            </section>
            <section aria-labelledby="overview-cohorts">
                <h2 id="overview-cohorts">{ "Cohorts" }</h2>
                if view.cohorts.is_empty() {
                    <p class="empty">{ "No cohorts yet. Cohorts group pairs that meet as a community; add them under Pairs and cohorts." }</p>
                } else {
                    <ul class="cards">
                        { for view.cohorts.iter().map(|cohort| {
                            let pairs = view.pairs.iter().filter(|p| !ended(p) && p.cohort_id.as_ref() == Some(&cohort.id)).count();
                            html! { <li class="card"><strong>{ cohort.name.clone() }</strong><p class="meta">{ count(pairs, "pair", "pairs") }</p></li> }
                        }) }
                    </ul>
                    if no_cohort > 0 {
                        <p class="meta">{ format!("{} in no cohort.", count(no_cohort, "pair", "pairs")) }</p>
                    }
                }
            </section>
            <p class="console-next">
                <a href={Route::Console(view.id.clone(), ConsoleTab::People).href()}>{ "Invite people or change roles" }</a>
                <a href={Route::Console(view.id.clone(), ConsoleTab::Pairs).href()}>{ "Set up pairs and cohorts" }</a>
            </p>
        </>
    }
}

// ---------------------------------------------------------------------------------------------
// People: invite, change role, deactivate.

/// An invitation just made, shown once.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    name: String,
    url: String,
    expires_ms: i64,
}

#[function_component(PeopleTab)]
fn people_tab(props: &TabProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let me = ctx.session.account().me.person.id.clone();
    let view = props.view.clone();
    let error = use_state(|| None::<String>);
    let made = use_state(|| None::<Made>);
    let busy = use_state(|| false);
    let confirming = use_state(|| None::<PersonInProgram>);
    let (name, email, role) = (use_node_ref(), use_node_ref(), use_node_ref());
    let link_input = use_node_ref();

    let invite = {
        let (name, email, role, error, made, busy) =
            (name.clone(), email.clone(), role.clone(), error.clone(), made.clone(), busy.clone());
        let program = view.id.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let invitation = NewInvitation {
                email: input_value(&email).trim().to_owned(),
                name: input_value(&name).trim().to_owned(),
                role: Role::parse(&select_value(&role)).unwrap_or(Role::Associate),
                expires_in_days: None,
            };
            if invitation.name.is_empty() || !invitation.email.contains('@') {
                error.set(Some("Give the person's name and email address.".to_owned()));
                return;
            }
            let (name, email, error, made, busy, program) =
                (name.clone(), email.clone(), error.clone(), made.clone(), busy.clone(), program.clone());
            busy.set(true);
            spawn_local(async move {
                match api::invite(&program, &invitation).await {
                    Ok(link) => {
                        error.set(None);
                        made.set(Some(Made {
                            name: invitation.name.clone(),
                            url: join_url(&link.token),
                            expires_ms: link.expires_ms,
                        }));
                        for node in [&name, &email] {
                            if let Some(input) = node.cast::<HtmlInputElement>() {
                                input.set_value("");
                            }
                        }
                    }
                    Err(e) => error.set(Some(problem(&e))),
                }
                busy.set(false);
            });
        })
    };

    let change_role = |person: &PersonInProgram| {
        let (program, id, error, reload) =
            (view.id.clone(), person.person.id.clone(), error.clone(), props.reload.clone());
        Callback::from(move |event: Event| {
            let Some(role) =
                event.target_dyn_into::<HtmlSelectElement>().and_then(|s| Role::parse(&s.value()))
            else {
                return;
            };
            let (program, id, error, reload) = (program.clone(), id.clone(), error.clone(), reload.clone());
            spawn_local(async move {
                match api::set_role(&program, &id, role).await {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(problem(&e))),
                }
                reload.emit(());
            });
        })
    };

    let deactivate = {
        let (program, confirming, error, reload) =
            (view.id.clone(), confirming.clone(), error.clone(), props.reload.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(person) = (*confirming).clone() else { return };
            confirming.set(None);
            let (program, error, reload) = (program.clone(), error.clone(), reload.clone());
            spawn_local(async move {
                match api::remove_person(&program, &person.person.id).await {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(problem(&e))),
                }
                reload.emit(());
            });
        })
    };

    let copy = {
        let link_input = link_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = link_input.cast::<HtmlInputElement>() {
                // Selected as well, so Ctrl+C works where the clipboard is not allowed (http).
                input.select();
                copy_to_clipboard(&input.value());
            }
        })
    };
    let print = Callback::from(|_: MouseEvent| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    });

    html! {
        <>
            <section aria-labelledby="invite-title" class="panel invite">
                <h2 id="invite-title">{ "Invite someone" }</h2>
                <p class="hint">{ "Tandem makes a sign-up link; give it to the person (copy it into a message, or print it). It works once: they choose their password on its page." }</p>
                <form onsubmit={invite} novalidate=true class="inline-form">
                    <div class="field">
                        <label for="invite-name">{ "Name" }</label>
                        <input id="invite-name" ref={name} type="text" autocomplete="off" required=true />
                    </div>
                    <div class="field">
                        <label for="invite-email">{ "Email" }</label>
                        <input id="invite-email" ref={email} type="email" autocomplete="off"
                            autocapitalize="none" spellcheck="false" required=true />
                    </div>
                    <div class="field">
                        <label for="invite-role">{ "Role" }</label>
                        <select id="invite-role" ref={role}>
                            <option value="associate" selected=true>{ "Associate" }</option>
                            <option value="mentor">{ "Mentor" }</option>
                            <option value="coordinator">{ "Coordinator" }</option>
                        </select>
                    </div>
                    <button type="submit" class="primary" disabled={*busy}>{ "Make invitation link" }</button>
                </form>
                if let Some(made) = &*made {
                    <div class="invitation-link" role="region" aria-labelledby="made-title">
                        <h3 id="made-title">{ format!("Invitation link for {}", made.name) }</h3>
                        <label for="made-link">{ "Sign-up link" }</label>
                        <input id="made-link" ref={link_input} type="text" readonly=true value={made.url.clone()} />
                        <div class="actions">
                            <button type="button" class="primary" onclick={copy}>{ "Copy link" }</button>
                            <button type="button" onclick={print}>{ "Print" }</button>
                        </div>
                        <p class="meta">
                            { format!("It works once, until {}. Tandem shows it only now: copy or print it before you leave this page. {} appears under People once they have joined.", time::date_time(tandem_core::Timestamp(made.expires_ms)), made.name) }
                        </p>
                    </div>
                }
            </section>
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            <section aria-labelledby="people-title">
                <h2 id="people-title">{ "People" }</h2>
                <table class="console-table">
                    <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "Email" }</th><th scope="col">{ "Role" }</th><th scope="col"><span class="visually-hidden">{ "Actions" }</span></th></tr></thead>
                    <tbody>
                        { for view.people.iter().map(|person| {
                            let myself = person.person.id == me;
                            let select_id = format!("role-{}", person.person.id);
                            html! {
                                <tr>
                                    <th scope="row">{ person.person.name.clone() }</th>
                                    <td class="email">{ person.person.email.clone() }</td>
                                    <td>
                                        if myself {
                                            { format!("{} (you)", role_word(person.role)) }
                                        } else {
                                            <label for={select_id.clone()} class="visually-hidden">{ format!("Role of {}", person.person.name) }</label>
                                            <select id={select_id} onchange={change_role(person)}>
                                                { for Role::ALL.iter().map(|r| html! {
                                                    <option value={r.as_str()} selected={*r == person.role}>{ role_word(*r) }</option>
                                                }) }
                                            </select>
                                        }
                                    </td>
                                    <td>
                                        if !myself {
                                            <button type="button" class="danger"
                                                onclick={let (c, p) = (confirming.clone(), person.clone()); move |_| c.set(Some(p.clone()))}>
                                                { "Deactivate" }<span class="visually-hidden">{ format!(" {}", person.person.name) }</span>
                                            </button>
                                        }
                                    </td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </section>
            if let Some(person) = &*confirming {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="deactivate-title" aria-describedby="deactivate-text">
                        <h2 id="deactivate-title">{ format!("Deactivate {}?", person.person.name) }</h2>
                        <p id="deactivate-text">
                            { format!("{} leaves {} and their pairs: their seats become empty and their devices stop receiving the program's records. What they wrote stays with the pairs. You can invite them again later.", person.person.name, view.name) }
                        </p>
                        <div class="actions">
                            <button type="button" class="primary" autofocus=true
                                onclick={let c = confirming.clone(); move |_| c.set(None)}>{ "Keep" }</button>
                            <button type="button" class="danger" onclick={deactivate}>{ "Deactivate" }</button>
                        </div>
                    </div>
                </div>
            }
        </>
    }
}

/// The address an invitation's token opens: this app's own, with `#/join/{token}`.
fn join_url(token: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let base = location
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default();
    format!("{base}{}", Route::Join(token.to_owned()).href())
}

/// `navigator.clipboard.writeText(text)` where the browser offers it (secure contexts only).
fn copy_to_clipboard(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let Some(navigator) = get(&window.into(), "navigator") else { return };
    let Some(clipboard) = get(&navigator, "clipboard").filter(|c| !c.is_undefined()) else { return };
    if let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        // A refusal (no permission) leaves the text selected for Ctrl+C.
        if let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text))
            && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
        {
            // Awaited so that a refusal is handled rather than reported as an uncaught error.
            spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pairs and cohorts: create, reseat, end.

#[function_component(PairsTab)]
fn pairs_tab(props: &TabProps) -> Html {
    let view = props.view.clone();
    let error = use_state(|| None::<String>);
    let reseating = use_state(|| None::<String>);
    let ending = use_state(|| None::<Pair>);
    let (mentor, associate, cohort, cohort_name) =
        (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let (new_mentor, new_associate) = (use_node_ref(), use_node_ref());

    let in_role = |role: Role| view.people.iter().filter(move |p| p.role == role);
    let options = |role: Role, selected: Option<&String>| {
        html! {
            { for in_role(role).map(|p| html! {
                <option value={p.person.id.clone()} selected={selected == Some(&p.person.id)}>{ p.person.name.clone() }</option>
            }) }
        }
    };
    let cohort_name_of = |id: &Option<String>| {
        id.as_ref().map_or("No cohort".to_owned(), |id| {
            view.cohorts.iter().find(|c| &c.id == id).map_or("No cohort".to_owned(), |c| c.name.clone())
        })
    };
    // Whatever an action did, the console shows the program as the relay has it now.
    let finish = {
        let (error, reload) = (error.clone(), props.reload.clone());
        move |result: Result<(), ApiError>| {
            error.set(result.err().map(|e| problem(&e)));
            reload.emit(());
        }
    };

    let create_pair = {
        let (mentor, associate, cohort, program, finish) =
            (mentor.clone(), associate.clone(), cohort.clone(), view.id.clone(), finish.clone());
        let error = error.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (mentor_id, associate_id) = (select_value(&mentor), select_value(&associate));
            if mentor_id.is_empty() || associate_id.is_empty() {
                error.set(Some("Choose a mentor and an associate for the pair.".to_owned()));
                return;
            }
            let cohort_id = Some(select_value(&cohort)).filter(|c| !c.is_empty());
            let pair = NewPair { id: None, mentor_id, associate_id, cohort_id };
            let (program, finish) = (program.clone(), finish.clone());
            spawn_local(async move { finish(api::add_pair(&program, &pair).await.map(|_| ())) });
        })
    };
    let add_cohort = {
        let (cohort_name, program, finish, error) =
            (cohort_name.clone(), view.id.clone(), finish.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = input_value(&cohort_name).trim().to_owned();
            if name.is_empty() {
                error.set(Some("Give the cohort a name.".to_owned()));
                return;
            }
            if let Some(input) = cohort_name.cast::<HtmlInputElement>() {
                input.set_value("");
            }
            let (program, finish) = (program.clone(), finish.clone());
            spawn_local(async move { finish(api::add_cohort(&program, &name).await.map(|_| ())) });
        })
    };
    let save_seats = {
        let (new_mentor, new_associate, reseating, finish) =
            (new_mentor.clone(), new_associate.clone(), reseating.clone(), finish.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(pair) = (*reseating).clone() else { return };
            let seat = |node: &NodeRef| Some(Some(select_value(node)).filter(|v| !v.is_empty()));
            let change = PairChange { mentor_id: seat(&new_mentor), associate_id: seat(&new_associate) };
            reseating.set(None);
            let finish = finish.clone();
            spawn_local(async move { finish(api::change_pair(&pair, &change).await.map(|_| ())) });
        })
    };
    let end_pair = {
        let (ending, finish) = (ending.clone(), finish.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(pair) = (*ending).clone() else { return };
            ending.set(None);
            let change = PairChange { mentor_id: Some(None), associate_id: Some(None) };
            let finish = finish.clone();
            spawn_local(async move { finish(api::change_pair(&pair.id, &change).await.map(|_| ())) });
        })
    };
    let title = |pair: &Pair| {
        format!("{} & {}", seat_name(&view, &pair.mentor_id), seat_name(&view, &pair.associate_id))
    };
    let can_pair = in_role(Role::Mentor).next().is_some() && in_role(Role::Associate).next().is_some();

    html! {
        <>
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            <div class="console-columns">
                <section aria-labelledby="new-pair-title" class="panel">
                    <h2 id="new-pair-title">{ "New pair" }</h2>
                    if can_pair {
                        <form onsubmit={create_pair} novalidate=true>
                            <div class="field">
                                <label for="pair-mentor">{ "Mentor" }</label>
                                <select id="pair-mentor" ref={mentor}>{ options(Role::Mentor, None) }</select>
                            </div>
                            <div class="field">
                                <label for="pair-associate">{ "Associate" }</label>
                                <select id="pair-associate" ref={associate}>{ options(Role::Associate, None) }</select>
                            </div>
                            <div class="field">
                                <label for="pair-cohort">{ "Cohort" }</label>
                                <select id="pair-cohort" ref={cohort}>
                                    <option value="">{ "No cohort" }</option>
                                    { for view.cohorts.iter().map(|c| html! { <option value={c.id.clone()}>{ c.name.clone() }</option> }) }
                                </select>
                            </div>
                            <button type="submit" class="primary">{ "Create pair" }</button>
                        </form>
                    } else {
                        <p class="empty">{ "A pair needs a mentor and an associate of the program: invite them under People first." }</p>
                    }
                </section>
                <section aria-labelledby="cohorts-title" class="panel">
                    <h2 id="cohorts-title">{ "Cohorts" }</h2>
                    if view.cohorts.is_empty() {
                        <p class="empty">{ "No cohorts yet." }</p>
                    } else {
                        <ul class="plain">
                            { for view.cohorts.iter().map(|c| html! { <li>{ c.name.clone() }</li> }) }
                        </ul>
                    }
                    <form onsubmit={add_cohort} novalidate=true>
                        <div class="field">
                            <label for="cohort-name">{ "New cohort's name" }</label>
                            <input id="cohort-name" ref={cohort_name} type="text" autocomplete="off" />
                        </div>
                        <button type="submit">{ "Add cohort" }</button>
                    </form>
                </section>
            </div>
            <section aria-labelledby="pairs-list-title">
                <h2 id="pairs-list-title">{ "Pairs" }</h2>
                if view.pairs.is_empty() {
                    <p class="empty">{ "No pairs yet." }</p>
                } else {
                    <table class="console-table">
                        <thead><tr>
                            <th scope="col">{ "Mentor" }</th><th scope="col">{ "Associate" }</th>
                            <th scope="col">{ "Cohort" }</th><th scope="col">{ "State" }</th>
                            <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr></thead>
                        <tbody>
                            { for view.pairs.iter().map(|pair| {
                                let state = if ended(pair) { "Ended" } else if pair.mentor_id.is_none() || pair.associate_id.is_none() { "Seat empty" } else { "Active" };
                                let editing = reseating.as_deref() == Some(pair.id.as_str());
                                html! {
                                    <>
                                    <tr>
                                        <td>{ seat_name(&view, &pair.mentor_id) }</td>
                                        <td>{ seat_name(&view, &pair.associate_id) }</td>
                                        <td>{ cohort_name_of(&pair.cohort_id) }</td>
                                        <td>{ state }</td>
                                        <td class="row-actions">
                                            <button type="button" aria-expanded={if editing { "true" } else { "false" }}
                                                onclick={let (r, id) = (reseating.clone(), pair.id.clone()); move |_| r.set(if editing { None } else { Some(id.clone()) })}>
                                                { "Reseat" }<span class="visually-hidden">{ format!(" {}", title(pair)) }</span>
                                            </button>
                                            if !ended(pair) {
                                                <button type="button" class="danger"
                                                    onclick={let (e, p) = (ending.clone(), pair.clone()); move |_| e.set(Some(p.clone()))}>
                                                    { "End" }<span class="visually-hidden">{ format!(" {}", title(pair)) }</span>
                                                </button>
                                            }
                                        </td>
                                    </tr>
                                    if editing {
                                        <tr class="reseat">
                                            <td colspan="5">
                                                <form onsubmit={save_seats.clone()} class="inline-form" aria-label={format!("Seats of {}", title(pair))}>
                                                    <div class="field">
                                                        <label for="reseat-mentor">{ "Mentor" }</label>
                                                        <select id="reseat-mentor" ref={new_mentor.clone()}>
                                                            <option value="" selected={pair.mentor_id.is_none()}>{ "Empty seat" }</option>
                                                            { options(Role::Mentor, pair.mentor_id.as_ref()) }
                                                        </select>
                                                    </div>
                                                    <div class="field">
                                                        <label for="reseat-associate">{ "Associate" }</label>
                                                        <select id="reseat-associate" ref={new_associate.clone()}>
                                                            <option value="" selected={pair.associate_id.is_none()}>{ "Empty seat" }</option>
                                                            { options(Role::Associate, pair.associate_id.as_ref()) }
                                                        </select>
                                                    </div>
                                                    <button type="submit" class="primary">{ "Save seats" }</button>
                                                    <button type="button" onclick={let r = reseating.clone(); move |_| r.set(None)}>{ "Cancel" }</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                    </>
                                }
                            }) }
                        </tbody>
                    </table>
                }
            </section>
            if let Some(pair) = &*ending {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="end-title" aria-describedby="end-text">
                        <h2 id="end-title">{ format!("End the pair {}?", title(pair)) }</h2>
                        <p id="end-text">{ "Both seats become empty: neither of them sees the pair's records from then on. The records stay with the pair, and you can seat people in it again." }</p>
                        <div class="actions">
                            <button type="button" class="primary" autofocus=true
                                onclick={let e = ending.clone(); move |_| e.set(None)}>{ "Keep the pair" }</button>
                            <button type="button" class="danger" onclick={end_pair}>{ "End pair" }</button>
                        </div>
                    </div>
                </div>
            }
        </>
    }
}

// ---------------------------------------------------------------------------------------------
// The invitation link's page.

#[derive(Properties, PartialEq, Debug)]
pub struct JoinProps {
    pub storage: StorageHandle,
    pub token: String,
    pub on_signed_in: Callback<(Rc<IdbStorage>, Account)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Invitation {
    Loading,
    Open(tandem_api::InvitationView),
    Failed(String),
}

#[function_component(JoinPage)]
pub fn join_page(props: &JoinProps) -> Html {
    let invitation = use_state(|| Invitation::Loading);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let (password, again) = (use_node_ref(), use_node_ref());
    {
        let invitation = invitation.clone();
        use_effect_with(props.token.clone(), move |token| {
            let token = token.clone();
            spawn_local(async move {
                invitation.set(match api::invitation(&token).await {
                    Ok(view) => Invitation::Open(view),
                    Err(ApiError::Refused { status: 404 | 410, .. }) => Invitation::Failed(
                        "This invitation link has already been used or has expired. Ask your coordinator for a new one; if you have already joined, sign in.".to_owned(),
                    ),
                    Err(ApiError::Offline) => Invitation::Failed(
                        "The school's server cannot be reached. Joining needs the network once; open the link again when this device is connected.".to_owned(),
                    ),
                    Err(e) => Invitation::Failed(problem(&e)),
                });
            });
        });
    }
    let onsubmit = {
        let (password, again, error, busy) = (password.clone(), again.clone(), error.clone(), busy.clone());
        let (storage, token, on_signed_in) =
            (props.storage.0.clone(), props.token.clone(), props.on_signed_in.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (chosen, repeated) = (input_value(&password), input_value(&again));
            if chosen != repeated {
                error.set(Some(
                    "The two passwords are not the same. Type the same password twice.".to_owned(),
                ));
                return;
            }
            let (error, busy, storage, token, on_signed_in) =
                (error.clone(), busy.clone(), storage.clone(), token.clone(), on_signed_in.clone());
            busy.set(true);
            spawn_local(async move {
                let joined = match api::accept_invitation(&token, &chosen).await {
                    Ok(_) => set_up_device(storage.clone(), &chosen).await,
                    Err(e) => Err(e),
                };
                match joined {
                    Ok(account) => on_signed_in.emit((storage, account)),
                    Err(e) => {
                        error.set(Some(problem(&e)));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let body = match &*invitation {
        Invitation::Loading => html! { <p class="hint" role="status">{ "Opening your invitation…" }</p> },
        Invitation::Failed(message) => html! {
            <>
                <h1>{ "This invitation cannot be used" }</h1>
                <p class="problem" role="alert">{ message.clone() }</p>
                <p><a href={Route::SignIn.href()}>{ "Sign in" }</a></p>
            </>
        },
        Invitation::Open(view) => html! {
            <>
                <h1>{ format!("Join {}", view.program_name) }</h1>
                <p>
                    { format!("{} is invited as {}. Choose a password to finish joining; this link works once, until {}.",
                        view.name, with_article(view.role), time::date_time(tandem_core::Timestamp(view.expires_ms))) }
                </p>
                <form {onsubmit} novalidate=true>
                    <div class="field">
                        <label for="join-email">{ "Your email" }</label>
                        <input id="join-email" type="email" name="email" autocomplete="username" readonly=true value={view.email.clone()} />
                    </div>
                    <div class="field">
                        <label for="join-password">{ "Choose a password" }</label>
                        <input id="join-password" ref={password} type="password" autocomplete="new-password"
                            required=true aria-describedby="join-password-hint" />
                        <p class="hint" id="join-password-hint">{ "At least 10 characters; a few words you will remember are good. If this email already has a Tandem account, enter that account's password." }</p>
                    </div>
                    <div class="field">
                        <label for="join-again">{ "Type it again" }</label>
                        <input id="join-again" ref={again} type="password" autocomplete="new-password" required=true />
                    </div>
                    if let Some(message) = &*error {
                        <p class="problem" role="alert">{ message.clone() }</p>
                    }
                    <button type="submit" class="primary" disabled={*busy}>
                        { if *busy { "Joining…" } else { "Join and sign in" } }
                    </button>
                </form>
            </>
        },
    };
    html! {
        <main class="page signin join" id="main">
            <img src="icon.svg" alt="" width="56" height="56" />
            { body }
        </main>
    }
}
