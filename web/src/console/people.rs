//! The console's people: invite someone (a one-time sign-up link), the invitations waiting to be
//! taken (withdraw one), change a role, deactivate.

use tandem_api::{NewInvitation, PendingInvitation, PersonInProgram, Role};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::{TabProps, input_value, problem, role_word, select_value};
use crate::{api, app::Ctx, route::Route, ui::time};

/// An invitation just made, shown once.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    name: String,
    url: String,
    expires_ms: i64,
}

#[function_component(PeopleTab)]
pub(super) fn people_tab(props: &TabProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let me = ctx.session.account().me.person.id.clone();
    let view = props.view.clone();
    let error = use_state(|| None::<String>);
    let made = use_state(|| None::<Made>);
    let busy = use_state(|| false);
    let confirming = use_state(|| None::<PersonInProgram>);
    let (name, email, role) = (use_node_ref(), use_node_ref(), use_node_ref());
    let link_input = use_node_ref();
    // The invitations waiting, read again after each invitation made or withdrawn and whenever
    // the program is (someone may have joined meanwhile).
    let waiting = use_state(|| None::<Result<Vec<PendingInvitation>, String>>);
    let waiting_version = use_state(|| 0u32);
    let withdrawn = use_state(|| None::<String>);
    {
        let waiting = waiting.clone();
        use_effect_with((view.clone(), *waiting_version), move |(view, _)| {
            let program = view.id.clone();
            spawn_local(async move {
                waiting.set(Some(api::pending_invitations(&program).await.map_err(|e| problem(&e))));
            });
        });
    }

    let invite = {
        let (name, email, role, error, made, busy) =
            (name.clone(), email.clone(), role.clone(), error.clone(), made.clone(), busy.clone());
        let (waiting_version, withdrawn) = (waiting_version.clone(), withdrawn.clone());
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
            let (waiting_version, withdrawn) = (waiting_version.clone(), withdrawn.clone());
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
                        withdrawn.set(None);
                        waiting_version.set(*waiting_version + 1);
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

    let withdraw = |invitation: &PendingInvitation| {
        let (program, id, name) = (view.id.clone(), invitation.id.clone(), invitation.name.clone());
        let (error, withdrawn, waiting_version) = (error.clone(), withdrawn.clone(), waiting_version.clone());
        Callback::from(move |_: MouseEvent| {
            let (program, id, name) = (program.clone(), id.clone(), name.clone());
            let (error, withdrawn, waiting_version) =
                (error.clone(), withdrawn.clone(), waiting_version.clone());
            spawn_local(async move {
                match api::withdraw_invitation(&program, &id).await {
                    Ok(()) => {
                        error.set(None);
                        withdrawn.set(Some(format!(
                            "The invitation for {name} was withdrawn: its link no longer works."
                        )));
                    }
                    Err(e) => error.set(Some(problem(&e))),
                }
                waiting_version.set(*waiting_version + 1);
            });
        })
    };
    let waiting_list = match &*waiting {
        None => html! { <p class="hint" role="status">{ "Loading the invitations…" }</p> },
        Some(Err(message)) => html! { <p class="problem">{ message.clone() }</p> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="empty">{ "No invitations waiting: everyone invited has joined, or their links have expired." }</p> }
        }
        Some(Ok(list)) => html! {
            <table class="console-table">
                <thead><tr>
                    <th scope="col">{ "Name" }</th><th scope="col">{ "Email" }</th><th scope="col">{ "Role" }</th>
                    <th scope="col">{ "Invited" }</th><th scope="col">{ "Link works until" }</th>
                    <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                </tr></thead>
                <tbody>
                    { for list.iter().map(|invitation| html! {
                        <tr>
                            <th scope="row">{ invitation.name.clone() }</th>
                            <td class="email">{ invitation.email.clone() }</td>
                            <td>{ role_word(invitation.role) }</td>
                            <td>{ time::date_time(tandem_core::Timestamp(invitation.created_ms)) }</td>
                            <td>{ time::date_time(tandem_core::Timestamp(invitation.expires_ms)) }</td>
                            <td>
                                <button type="button" class="danger" onclick={withdraw(invitation)}>
                                    { "Withdraw" }<span class="visually-hidden">{ format!(" the invitation for {}", invitation.name) }</span>
                                </button>
                            </td>
                        </tr>
                    }) }
                </tbody>
            </table>
        },
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
                            { format!("It works once, until {}. Tandem shows it only now: copy or print it before you leave this page. {} is listed under Waiting to join until they take it, then under People.", time::date_time(tandem_core::Timestamp(made.expires_ms)), made.name) }
                        </p>
                    </div>
                }
            </section>
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            <section aria-labelledby="waiting-title">
                <h2 id="waiting-title">{ "Waiting to join" }</h2>
                <p class="hint">{ "Invitations not yet taken. Their links were shown once, when they were made; if one was lost, withdraw it and invite again." }</p>
                if let Some(message) = &*withdrawn {
                    <p class="meta" role="status">{ message.clone() }</p>
                }
                { waiting_list }
            </section>
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
