//! The page: function components that render [`State`], and the hooks that do the work.
//!
//! - [`use_session`] opens the device's note once, when the page mounts.
//! - [`use_autosave`] commits and writes the edits in batches: after a pause in typing, at the
//!   latest a few seconds after a batch began, and when the page is hidden (tab switched, phone
//!   locked, app closed), which may be the last chance a mobile browser gives.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::{
    session::{self, Flushed, Session},
    state::{Action, Phase, SaveStatus, State},
};

/// How long typing must pause before the edits are committed and saved.
const IDLE_MS: u32 = 400;
/// The longest a batch of edits waits while typing goes on without a pause.
const MAX_WAIT_MS: u32 = 3_000;
/// How long to wait before trying a failed save again.
const RETRY_MS: u32 = 5_000;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    let session = use_session(state.dispatcher());
    use_autosave(session.clone(), &state);

    html! {
        <div class="app">
            <header class="bar">
                <span class="brand">
                    <img src="icon.svg" alt="" width="28" height="28" />
                    { "Tandem" }
                </span>
                <SaveIndicator phase={state.phase.clone()} save={state.save.clone()} />
            </header>
            <main class="page" id="main">
                <h1>{ "Notes" }</h1>
                {
                    match (&state.phase, session) {
                        (Phase::Ready, Some(session)) => html! {
                            <NoteEditor text={state.text.clone()} session={SessionHandle(session)}
                                dispatch={state.dispatcher()} />
                        },
                        (Phase::Failed(message), _) => html! {
                            <div class="problem" role="alert">
                                <h2>{ "Your notes could not be opened" }</h2>
                                <p>{ message.clone() }</p>
                                <p>{ "Nothing was changed or deleted. Reload the page to try again." }</p>
                            </div>
                        },
                        _ => html! { <p class="hint">{ "Opening your notes on this device…" }</p> },
                    }
                }
            </main>
        </div>
    }
}

/// The session, compared by identity so components re-render only when it is replaced.
#[derive(Debug, Clone)]
pub struct SessionHandle(Rc<Session>);

impl PartialEq for SessionHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct SaveIndicatorProps {
    phase: Phase,
    save: SaveStatus,
}

/// "Saved on this device", or what else is true. A live region, so screen readers hear changes.
#[function_component(SaveIndicator)]
fn save_indicator(props: &SaveIndicatorProps) -> Html {
    let (status, label) = match (&props.phase, &props.save) {
        (Phase::Opening, _) => ("opening", "Opening…".to_owned()),
        (Phase::Failed(_), _) => ("failed", "Not opened".to_owned()),
        (Phase::Ready, SaveStatus::Saved) => ("saved", "Saved on this device".to_owned()),
        (Phase::Ready, SaveStatus::Unsaved | SaveStatus::Saving) => ("saving", "Saving…".to_owned()),
        (Phase::Ready, SaveStatus::Failed(message)) => {
            ("failed", format!("Not saved yet: {message}. Retrying; your text is still here."))
        }
    };
    html! {
        <p class="status" role="status" data-status={status}>
            <span class="dot" aria-hidden="true"></span>
            { label }
        </p>
    }
}

#[derive(Properties, PartialEq)]
struct NoteEditorProps {
    text: String,
    session: SessionHandle,
    dispatch: UseReducerDispatcher<State>,
}

#[function_component(NoteEditor)]
fn note_editor(props: &NoteEditorProps) -> Html {
    let oninput = {
        let session = props.session.0.clone();
        let dispatch = props.dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let area: HtmlTextAreaElement = event.target_unchecked_into();
            let text = area.value();
            let caret = area.selection_end().ok().flatten();
            match session.edit(&text, caret) {
                Ok(revision) => dispatch.dispatch(Action::Edited { text, revision }),
                Err(e) => dispatch.dispatch(Action::SaveFailed(e.to_string())),
            }
        })
    };
    html! {
        <>
            <label for="note">{ "Your note" }</label>
            <p class="hint" id="note-hint">
                { "Write with or without a network. Everything you type is kept in this browser on this device." }
            </p>
            <textarea id="note" name="note" aria-describedby="note-hint" spellcheck="true"
                autocapitalize="sentences" rows="12" value={props.text.clone()} {oninput} />
        </>
    }
}

/// Opens the device's note once, on mount, and reports the outcome as an action.
#[hook]
fn use_session(dispatch: UseReducerDispatcher<State>) -> Option<Rc<Session>> {
    let session = use_state(|| None::<Rc<Session>>);
    {
        let session = session.setter();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match Session::open(session::DATABASE).await {
                    Ok(opened) => {
                        let text = opened.text();
                        session.set(Some(Rc::new(opened)));
                        dispatch.dispatch(Action::Opened { text });
                    }
                    Err(e) => dispatch.dispatch(Action::OpenFailed(e.to_string())),
                }
            });
        });
    }
    (*session).clone()
}

/// Commits and stores edits in batches; see the module's documentation for when.
#[hook]
fn use_autosave(session: Option<Rc<Session>>, state: &UseReducerHandle<State>) {
    let dispatch = state.dispatcher();
    let failed = matches!(state.save, SaveStatus::Failed(_));

    // After a pause: every edit (and every failure) restarts the countdown.
    {
        let (session, dispatch) = (session.clone(), dispatch.clone());
        let pending = state.has_unsaved();
        use_effect_with((state.revision, failed, session.is_some()), move |_| {
            let delay = if failed { RETRY_MS } else { IDLE_MS };
            let timer = match session {
                Some(session) if pending => Some(Timeout::new(delay, move || flush(session, dispatch))),
                _ => None,
            };
            move || drop(timer)
        });
    }

    // At the latest MAX_WAIT_MS after a batch began, even if typing has not paused.
    {
        let (session, dispatch) = (session.clone(), dispatch.clone());
        let pending = state.has_unsaved() && !failed;
        use_effect_with((state.batch_started_at, pending), move |_| {
            let timer = match session {
                Some(session) if pending => Some(Timeout::new(MAX_WAIT_MS, move || flush(session, dispatch))),
                _ => None,
            };
            move || drop(timer)
        });
    }

    // When the page is hidden.
    use_effect_with(session.as_ref().map(|s| SessionHandle(s.clone())), move |session| {
        let listener = session.clone().map(|SessionHandle(session)| {
            let on_hidden = Closure::<dyn Fn()>::new(move || {
                let hidden = document().is_some_and(|d| d.hidden());
                if hidden && session.has_unsaved() {
                    flush(session.clone(), dispatch.clone());
                }
            });
            if let Some(document) = document() {
                let _ = document
                    .add_event_listener_with_callback("visibilitychange", on_hidden.as_ref().unchecked_ref());
            }
            on_hidden
        });
        move || {
            if let (Some(listener), Some(document)) = (listener, document()) {
                let _ = document.remove_event_listener_with_callback(
                    "visibilitychange",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

/// Starts a flush and reports how it went.
fn flush(session: Rc<Session>, dispatch: UseReducerDispatcher<State>) {
    dispatch.dispatch(Action::SaveStarted);
    spawn_local(async move {
        match session.flush().await {
            Ok(Flushed::UpTo(revision)) => dispatch.dispatch(Action::Saved { revision }),
            // The running flush saves these edits too and reports when it is done.
            Ok(Flushed::AlreadyRunning) => {}
            Err(e) => dispatch.dispatch(Action::SaveFailed(e.to_string())),
        }
    });
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}
