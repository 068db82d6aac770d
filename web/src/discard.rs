//! Discarding a draft observation: the "Discard draft" button (on the draft's page and its card
//! on the pair's page), and the Undo toast, which sits in the app's frame so that it stays while
//! the mentor moves on (the draft's page is left at once).
//!
//! A discard is kept in the account ([`crate::account::Discard`]): the draft is hidden at once,
//! Undo brings it back untouched for [`crate::ui::undo::UNDO_MS`], and when the time is over (or the toast is
//! closed, or at the next start if the app was closed meanwhile) the draft and the mentor's
//! private notes about it leave this device; the relay removes them for good when it can be
//! reached (`POST /api/documents/discard`, its one purge), and tells the mentor's other devices.

use std::rc::Rc;

use tandem_sync::DocumentId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::{app::Ctx, route::Route, session::Session, ui::undo::UndoToast};

/// What discarding from a page does: starts the discard, then goes to `then` (the draft's page
/// is left, so that nothing shows a record being discarded); a refusal is shown in `error`.
pub fn discard_callback(
    session: &Rc<Session>,
    draft: DocumentId,
    then: Option<Route>,
    error: UseStateHandle<Option<String>>,
) -> Callback<MouseEvent> {
    let session = session.clone();
    Callback::from(move |_: MouseEvent| {
        let (session, then, error) = (session.clone(), then.clone(), error.clone());
        spawn_local(async move {
            match session.discard_draft(&draft).await {
                Ok(()) => {
                    if let Some(route) = then {
                        route.go();
                    }
                }
                Err(e) => error.set(Some(format!("Not discarded: {e}"))),
            }
        });
    })
}

#[derive(Properties, PartialEq, Debug)]
pub struct DiscardButtonProps {
    /// Names the draft for screen readers on a list of drafts ("Discard draft of 2026-12-01").
    #[prop_or_default]
    pub label: Option<AttrValue>,
    pub onclick: Callback<MouseEvent>,
}

/// A quiet button: with Undo offered afterwards, a discard asks for no confirmation (it holds
/// only the mentor's own words).
#[function_component(DiscardButton)]
pub fn discard_button(props: &DiscardButtonProps) -> Html {
    html! {
        <button type="button" class="quiet discard-draft" aria-label={props.label.clone()}
            onclick={props.onclick.clone()}>
            { "Discard draft" }
        </button>
    }
}

/// The Undo toast for the drafts being discarded, in the app's frame. When its time runs out
/// (or it is closed) every discard still offered back is carried out.
#[function_component(PendingDiscards)]
pub fn pending_discards() -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let undoable = ctx.session.account().undoable();
    let Some(latest) = undoable.last().copied() else { return html! {} };
    let on_undo = {
        let session = ctx.session.clone();
        Callback::from(move |()| {
            let session = session.clone();
            spawn_local(async move { session.undo_discard(&latest).await });
        })
    };
    let on_close = {
        let session = ctx.session.clone();
        Callback::from(move |()| {
            let session = session.clone();
            spawn_local(async move { session.discards_over().await });
        })
    };
    let message = if undoable.len() == 1 {
        "Draft discarded.".to_owned()
    } else {
        format!("{} drafts discarded. Undo brings back the last one.", undoable.len())
    };
    // A new discard restarts the time: the serial follows the drafts offered back.
    let serial =
        undoable.len() as u32 ^ latest.to_string().bytes().fold(0u32, |h, b| h.rotate_left(5) ^ u32::from(b));
    html! { <UndoToast {message} {serial} {on_undo} {on_close} /> }
}
