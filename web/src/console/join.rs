//! The page an invitation link opens (`#/join/{token}`), for someone not signed in: what it
//! invites to, a password chosen once, and then signed in like any sign-in.

use std::rc::Rc;

use tandem_api::InvitationClosed;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{input_value, problem, with_article};
use crate::{
    account::Account,
    api::{self, ApiError},
    app::{StorageHandle, set_up_device},
    route::Route,
    store::IdbStorage,
    ui::time,
};

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
    /// The link cannot be used: a heading saying what happened, and what to do.
    Failed {
        title: &'static str,
        message: String,
    },
}

/// The page for a link that cannot be used, by what the relay answered.
fn failed(error: &ApiError) -> Invitation {
    let (title, message) = match error {
        ApiError::InvitationClosed { why: InvitationClosed::Used, .. } => (
            "This invitation was already used",
            "Each invitation link works once. If you joined with it, sign in with your email and password; if not, ask your coordinator for a new link.".to_owned(),
        ),
        ApiError::InvitationClosed { why: InvitationClosed::Expired, .. } => (
            "This invitation has expired",
            "Invitation links work for a limited time. Ask your coordinator for a new one.".to_owned(),
        ),
        ApiError::InvitationClosed { why: InvitationClosed::Withdrawn, .. } => (
            "This invitation was withdrawn",
            "Your coordinator withdrew this link. Ask them for a new one if you still need to join.".to_owned(),
        ),
        ApiError::Refused { status: 404 | 410, .. } => (
            "This invitation link is not known",
            "Check that the whole link was copied into the address bar, or ask your coordinator for a new one.".to_owned(),
        ),
        ApiError::Offline => (
            "This invitation cannot be opened yet",
            "The school's server cannot be reached. Joining needs the network once; open the link again when this device is connected.".to_owned(),
        ),
        other => ("This invitation cannot be opened", problem(other)),
    };
    Invitation::Failed { title, message }
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
                    Err(e) => failed(&e),
                });
            });
        });
    }
    let onsubmit = {
        let (password, again, error, busy) = (password.clone(), again.clone(), error.clone(), busy.clone());
        let invitation = invitation.clone();
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
            let invitation = invitation.clone();
            busy.set(true);
            spawn_local(async move {
                let joined = match api::accept_invitation(&token, &chosen).await {
                    Ok(_) => set_up_device(storage.clone(), &chosen).await,
                    Err(e) => Err(e),
                };
                match joined {
                    Ok(account) => on_signed_in.emit((storage, account)),
                    // Taken, withdrawn or expired while the page was open: say so as on opening it.
                    Err(e @ ApiError::InvitationClosed { .. }) => invitation.set(failed(&e)),
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
        Invitation::Failed { title, message } => html! {
            <>
                <h1>{ *title }</h1>
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
