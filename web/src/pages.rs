//! The screens that are not one document: signing in, my pairs, and a pair's observations.

use std::rc::Rc;

use tandem_api::Role;
use tandem_core::{UserId, model::ObservationStatus};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::{
    account::Account,
    api::ApiError,
    app::{Ctx, InsecureContextNotice, StorageHandle, secure_context, sign_in},
    discard::{DiscardButton, discard_callback},
    route::{ConsoleTab, NotesAbout, Route},
    store::IdbStorage,
    ui::{time, words::count},
};

#[derive(Properties, PartialEq, Debug)]
pub struct SignInProps {
    pub storage: StorageHandle,
    pub on_signed_in: Callback<(Rc<IdbStorage>, Account)>,
}

#[function_component(SignInPage)]
pub fn sign_in_page(props: &SignInProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (email, password, error, busy) = (email.clone(), password.clone(), error.clone(), busy.clone());
        let (storage, on_signed_in) = (props.storage.0.clone(), props.on_signed_in.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value =
                |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let (email, password) = (value(&email), value(&password));
            let (error, busy, storage, on_signed_in) =
                (error.clone(), busy.clone(), storage.clone(), on_signed_in.clone());
            busy.set(true);
            spawn_local(async move {
                match sign_in(storage.clone(), email.trim(), &password).await {
                    Ok(account) => on_signed_in.emit((storage, account)),
                    Err(e) => {
                        error.set(Some(match e {
                            ApiError::Offline => {
                                "The school's server cannot be reached. Signing in needs the network once; after that Tandem works offline.".to_owned()
                            }
                            ApiError::SignedOut => "That email and password do not match.".to_owned(),
                            other => other.to_string(),
                        }));
                        busy.set(false);
                    }
                }
            });
        })
    };

    html! {
        <main class="page signin" id="main">
            <img src="icon.svg" alt="" width="56" height="56" />
            <h1>{ "Sign in to Tandem" }</h1>
            if secure_context() {
                <p class="hint">{ "Observation notes and goals for your mentoring pair, on this device even without Wi-Fi." }</p>
            } else {
                <p class="hint">{ "Observation notes and goals for your mentoring pair." }</p>
                <InsecureContextNotice />
            }
            <form {onsubmit} novalidate=true>
                <div class="field">
                    <label for="email">{ "Email" }</label>
                    <input id="email" ref={email} type="email" name="email" autocomplete="username"
                        required=true autocapitalize="none" spellcheck="false" />
                </div>
                <div class="field">
                    <label for="password">{ "Password" }</label>
                    <input id="password" ref={password} type="password" name="password"
                        autocomplete="current-password" required=true />
                </div>
                if let Some(message) = &*error {
                    <p class="problem" role="alert">{ message.clone() }</p>
                }
                <button type="submit" class="primary" disabled={*busy}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            </form>
        </main>
    }
}

#[function_component(PairsPage)]
pub fn pairs_page() -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = &ctx.session;
    let account = session.account();
    let coordinated: Vec<String> = account
        .me
        .memberships
        .iter()
        .filter(|m| m.role == Role::Coordinator)
        .map(|m| m.program_id.clone())
        .collect();
    html! {
        <section aria-labelledby="pairs-title">
            <h1 id="pairs-title">{ "My pairs" }</h1>
            if !coordinated.is_empty() {
                <ul class="cards">
                    { for coordinated.iter().map(|program| html! {
                        <li class="card">
                            <a href={Route::Console(program.clone(), ConsoleTab::Overview).href()}>
                                { if coordinated.len() == 1 { "Program console".to_owned() } else { format!("Program console: {program}") } }
                            </a>
                            <p class="meta">{ "Invite people, set up pairs and cohorts." }</p>
                        </li>
                    }) }
                </ul>
            }
            if account.me.pairs.is_empty() {
                <p class="empty">
                    { if coordinated.is_empty() {
                        "You are not in a mentoring pair yet. Your coordinator sets pairs up."
                    } else {
                        "You coordinate a program: you set up its people and pairs in the program console. Observations and goals belong to the pairs and appear on their members' devices."
                    } }
                </p>
            }
            <ul class="cards">
                { for account.me.pairs.iter().map(|pair| {
                    let seat = account.seat_in(&pair.id).unwrap_or("coordinator");
                    let observations = session.observations_of(&pair.id).len();
                    let cohort = pair.cohort_id.as_ref().and_then(|c| account.me.cohorts.iter().find(|x| &x.id == c));
                    html! {
                        <li class="card">
                            <a href={Route::Pair(pair.id.clone()).href()}>{ session.pair_title(&pair.id) }</a>
                            <p class="meta">
                                { format!("You are the {seat} · {}", count(observations, "observation", "observations")) }
                                if let Some(cohort) = cohort { { format!(" · {}", cohort.name) } }
                            </p>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct PairProps {
    pub pair: String,
}

#[function_component(PairPage)]
pub fn pair_page(props: &PairProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    let error = use_state(|| None::<String>);
    let discard_error = use_state(|| None::<String>);
    let account = session.account();
    let seat = account.seat_in(&props.pair);
    let observations = session.observations_of(&props.pair);
    let conflicts = crate::hosts::conflict_count(&session, &props.pair);

    let new_observation = {
        let (session, pair, error) = (session.clone(), props.pair.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (session, pair, error) = (session.clone(), pair.clone(), error.clone());
            spawn_local(async move {
                match session.new_observation(&pair).await {
                    Ok(id) => Route::Observation(id).go(),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    html! {
        <>
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
            </nav>
            <h1>{ session.pair_title(&props.pair) }</h1>
            <nav class="tabs" aria-label="This pair">
                <a href={Route::Goals(props.pair.clone()).href()}>{ "Goals" }</a>
                <a href={Route::Agreement(props.pair.clone()).href()}>
                    { if conflicts > 0 { format!("Needs agreement ({conflicts})") } else { "Needs agreement".to_owned() } }
                </a>
                if seat == Some("mentor") {
                    <a href={Route::PrivateNotes(NotesAbout::Pair(props.pair.clone())).href()}>{ "Private notes (only you)" }</a>
                }
            </nav>
            <section aria-labelledby="observations-title">
                <div class="section-head">
                    <h2 id="observations-title">{ "Observations" }</h2>
                    if seat == Some("mentor") {
                        <button type="button" class="primary" onclick={new_observation}>{ "New observation" }</button>
                    }
                </div>
                if let Some(message) = &*error {
                    <p class="problem" role="alert">{ message.clone() }</p>
                }
                if let Some(message) = &*discard_error {
                    <p class="problem" role="alert">{ message.clone() }</p>
                }
                if observations.is_empty() {
                    <p class="empty">
                        { if seat == Some("mentor") {
                            "No observations yet. Start one when you sit in on a lesson; it works without Wi-Fi."
                        } else {
                            "No observations shared with you yet."
                        } }
                    </p>
                }
                <ul class="cards">
                    { for observations.iter().map(|(id, obs)| {
                        let date = obs.context.date.map_or_else(|| "No date".to_owned(), time::day);
                        let subject = if obs.context.subject.is_empty() { "No subject" } else { obs.context.subject.as_str() };
                        let status = status_word(obs.status);
                        let waiting = seat == Some("associate") && obs.status == ObservationStatus::Shared
                            && !obs.acknowledgements.contains_key(UserId::new(account.me.person.id.clone()).as_str());
                        // Only the mentor's own private drafts (the draft kept after sharing is marked shared).
                        let discardable = obs.status == ObservationStatus::Draft
                            && obs.mentor.as_str() == account.me.person.id
                            && account.audience(id) == tandem_api::Audience::Private;
                        let title = format!("{date} · {subject} · {status}");
                        html! {
                            <li class={classes!("card", waiting.then_some("attention"))} key={id.to_string()}>
                                <a href={Route::Observation(*id).href()}>{ title.clone() }</a>
                                <p class="meta">
                                    { format!("{} · {}", count(obs.notes.len(), "note", "notes"), count(obs.questions.len(), "question", "questions")) }
                                    if waiting { { " · new for you" } }
                                </p>
                                if discardable {
                                    <DiscardButton label={AttrValue::from(format!("Discard draft {title}"))}
                                        onclick={discard_callback(&session, *id, None, discard_error.clone())} />
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
        </>
    }
}

/// A status as a word for people.
pub fn status_word(status: ObservationStatus) -> &'static str {
    match status {
        ObservationStatus::Draft => "draft",
        ObservationStatus::Shared => "shared",
        ObservationStatus::Debriefed => "debriefed",
        ObservationStatus::Acknowledged => "acknowledged",
        ObservationStatus::Closed => "closed",
    }
}
