//! The app's frame: starting up (from the device, with or without a network), signing in and out,
//! the header with the sync status, and which screen the address names. The screens get the
//! session through a context ([`Ctx`]) whose revision changes whenever a document or a status does.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::{
    account::Account,
    api::{self, ApiError},
    console::{ConsolePage, JoinPage},
    discard::PendingDiscards,
    hosts::{AgreementPage, GoalsPage, HistoryPage, ObservationPage, PrivateNotesPage},
    lock,
    offline::OfflineReady,
    pages::{PairPage, PairsPage, SignInPage},
    repo::DocStatus,
    route::{ConsoleTab, Route},
    session::{self, Session},
    store::IdbStorage,
    ui::time,
};

/// How often a signed-in app asks the relay for new documents (shared with the person meanwhile).
const REFRESH_MS: u32 = 30_000;

/// What every screen gets: the session, and a revision that changes with any document.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub session: Rc<Session>,
    pub revision: u64,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session) && self.revision == other.revision
    }
}

#[derive(Debug, Clone)]
enum Phase {
    Starting,
    SignedOut(Rc<IdbStorage>),
    Ready(Rc<Session>),
    Failed(String),
}

#[function_component(App)]
pub fn app() -> Html {
    let phase = use_state(|| Phase::Starting);
    let revision = use_state(|| 0u64);
    // Locked: the session goes on (and syncs) behind a screen that shows no record.
    let locked = use_state(|| false);
    let route = use_route();

    // Open the device's database once; start from the account stored there, if any.
    {
        let (phase, revision, locked) = (phase.clone(), revision.setter(), locked.setter());
        use_effect_with((), move |_| {
            spawn_local(async move {
                let storage = match IdbStorage::open(session::DATABASE).await {
                    Ok(storage) => Rc::new(storage),
                    Err(e) => return phase.set(Phase::Failed(e.to_string())),
                };
                match Account::load(&storage).await {
                    Ok(Some(account)) => {
                        locked.set(lock::is_locked(&storage).await);
                        phase.set(Phase::Ready(start(storage, account, revision)))
                    }
                    Ok(None) => phase.set(Phase::SignedOut(storage)),
                    Err(e) => phase.set(Phase::Failed(e.to_string())),
                }
            });
        });
    }

    // While signed in: ask the relay for documents shared meanwhile (and make waiting claims),
    // every so often, whenever the connection to the relay comes back, and when the browser says
    // the network is back (a socket that only stalled while offline never "comes back").
    {
        let session = match &*phase {
            Phase::Ready(session) => Some(session.clone()),
            _ => None,
        };
        let connected = session.as_ref().is_some_and(|s| s.repo.is_connected());
        let (phase, locked) = (phase.clone(), locked.setter());
        use_effect_with((session.as_ref().map(|s| Rc::as_ptr(s) as usize), connected), move |_| {
            let refresh = move || {
                if let Some(session) = session.clone() {
                    let (phase, locked) = (phase.clone(), locked.clone());
                    spawn_local(async move {
                        // The person was purged: nothing of them stays on the device.
                        if let Err(ApiError::AccountDeleted) = session.refresh().await {
                            session.clear_deleted_account().await;
                            locked.set(false);
                            phase.set(Phase::SignedOut(session.storage.clone()));
                            Route::SignIn.go();
                            return;
                        }
                        // The account may name new pairs and documents: show them.
                        session.repo.notify();
                    });
                }
            };
            refresh();
            let online = Closure::<dyn Fn()>::new(refresh.clone());
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
            }
            let timer = Interval::new(REFRESH_MS, refresh);
            move || {
                drop(timer);
                if let Some(window) = window {
                    let _ =
                        window.remove_event_listener_with_callback("online", online.as_ref().unchecked_ref());
                }
            }
        });
    }

    let on_signed_in = {
        let (phase, revision) = (phase.clone(), revision.setter());
        Callback::from(move |(storage, account): (Rc<IdbStorage>, Account)| {
            phase.set(Phase::Ready(start(storage, account, revision.clone())));
            Route::Pairs.go();
        })
    };
    let on_signed_out = {
        let (phase, locked) = (phase.clone(), locked.setter());
        Callback::from(move |storage: Rc<IdbStorage>| {
            locked.set(false);
            phase.set(Phase::SignedOut(storage));
            Route::SignIn.go();
        })
    };
    let on_locked = {
        let locked = locked.setter();
        Callback::from(move |now: bool| locked.set(now))
    };

    let body = match &*phase {
        Phase::Starting => html! { <p class="hint boot">{ "Opening Tandem on this device…" }</p> },
        Phase::Failed(message) => html! {
            <div class="problem" role="alert">
                <h1>{ "Tandem could not open this device's storage" }</h1>
                <p>{ message.clone() }</p>
                <p>{ "Nothing was changed or deleted. Reload the page to try again; if it keeps happening, check that this browser allows sites to store data." }</p>
            </div>
        },
        Phase::SignedOut(storage) => match &route {
            Route::Join(token) => html! {
                <JoinPage storage={StorageHandle(storage.clone())} token={token.clone()} {on_signed_in} />
            },
            _ => html! { <SignInPage storage={StorageHandle(storage.clone())} {on_signed_in} /> },
        },
        Phase::Ready(session) if *locked => {
            let ctx = Ctx { session: session.clone(), revision: *revision };
            html! {
                <ContextProvider<Ctx> context={ctx}>
                    <LockScreen {on_signed_out} {on_locked} />
                </ContextProvider<Ctx>>
            }
        }
        Phase::Ready(session) => {
            let ctx = Ctx { session: session.clone(), revision: *revision };
            html! {
                <ContextProvider<Ctx> context={ctx}>
                    <Header {on_signed_out} {on_locked} />
                    <main class="page" id="main">
                        if !secure_context() { <InsecureContextNotice /> }
                        <OfflineReady />
                        { screen(&route) }
                        <PendingDiscards />
                    </main>
                </ContextProvider<Ctx>>
            }
        }
    };
    html! {
        <div class="app">
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            { body }
        </div>
    }
}

/// Whether the browser treats this page as a secure context (https, or the relay's own machine).
/// Only then does it install the service worker that opens the app without a network.
pub fn secure_context() -> bool {
    web_sys::window().is_some_and(|window| window.is_secure_context())
}

/// Said instead of promising offline use where the browser will not allow it: the page came over
/// plain http by a network name, so the app's code is not kept on the device.
#[function_component(InsecureContextNotice)]
pub fn insecure_context_notice() -> Html {
    html! {
        <div class="notice insecure-context" role="note" aria-labelledby="insecure-context-title">
            <p id="insecure-context-title"><strong>{ "Tandem cannot work offline on this device." }</strong></p>
            <p>{ "This page was opened over plain http, and browsers keep an app for use without Wi-Fi only over https. Tandem works while the network is up, but it will not open here without one." }</p>
            <p>{ "For the school's IT: serve Tandem over https, with a certificate (tandem serve --tls-cert and --tls-key) or behind an https proxy; tandem admin self-signed makes a certificate to try it with. Then open it at its https:// address." }</p>
        </div>
    }
}

/// The screen for a route, for a signed-in person.
fn screen(route: &Route) -> Html {
    match route.clone() {
        Route::Pairs | Route::SignIn => html! { <PairsPage /> },
        Route::Pair(pair) => html! { <PairPage {pair} /> },
        Route::Goals(pair) => html! { <GoalsPage {pair} /> },
        Route::Agreement(pair) => html! { <AgreementPage {pair} /> },
        Route::Observation(id) => html! { <ObservationPage id={id.to_string()} /> },
        Route::History(id) => html! { <HistoryPage id={id.to_string()} /> },
        Route::PrivateNotes(about) => html! { <PrivateNotesPage {about} /> },
        Route::Console(program, tab) => html! { <ConsolePage {program} {tab} /> },
        // An invitation is for someone new on this device: whoever is signed in here signs out first.
        Route::Join(_) => html! {
            <section>
                <h1>{ "This invitation is for someone else" }</h1>
                <p>{ "You are signed in on this device. To take the invitation, sign out and open the link again, or open it on the invited person's own device." }</p>
                <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
            </section>
        },
        Route::NotFound => html! {
            <section>
                <h1>{ "Nothing here" }</h1>
                <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
            </section>
        },
    }
}

/// Starts a session and has every change in it re-render the app.
fn start(storage: Rc<IdbStorage>, account: Account, revision: UseStateSetter<u64>) -> Rc<Session> {
    let session = Session::start(storage, account);
    let counter = Rc::new(std::cell::Cell::new(0u64));
    session.repo.set_listener(Rc::new(move || {
        counter.set(counter.get() + 1);
        revision.set(counter.get());
    }));
    session
}

/// The route in the address bar, following `hashchange`.
#[hook]
fn use_route() -> Route {
    let route = use_state(Route::current);
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn()>::new(move || route.set(Route::current()));
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ =
                    window.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window
                        .remove_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
                }
            }
        });
    }
    (*route).clone()
}

/// The database, compared by identity.
#[derive(Debug, Clone)]
pub struct StorageHandle(pub Rc<IdbStorage>);

impl PartialEq for StorageHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

// ---------------------------------------------------------------------------------------------
// The header: who is signed in, the device's sync status, signing out.

#[derive(Properties, PartialEq)]
struct HeaderProps {
    on_signed_out: Callback<Rc<IdbStorage>>,
    /// Locks (`true`) or unlocks (`false`) the device.
    on_locked: Callback<bool>,
}

/// Why signing out asks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignOutRisk {
    /// Changes the relay does not have yet would be lost.
    Unsynced,
    /// Everything is synced, but with no connection the person cannot sign in again here.
    Offline,
}

/// What signing out would cost now; `None` when it costs nothing (synced and online).
fn sign_out_risk(session: &Session) -> Option<SignOutRisk> {
    session.repo.commit_all();
    if !session.all_synced() {
        Some(SignOutRisk::Unsynced)
    } else if !session.repo.is_connected() {
        Some(SignOutRisk::Offline)
    } else {
        None
    }
}

/// Ends the session and clears the device (see [`Session::sign_out`]), then shows the sign-in.
fn sign_out_callback(session: &Rc<Session>, on_signed_out: &Callback<Rc<IdbStorage>>) -> Callback<()> {
    let (session, on_signed_out) = (session.clone(), on_signed_out.clone());
    Callback::from(move |()| {
        let (session, on_signed_out) = (session.clone(), on_signed_out.clone());
        spawn_local(async move {
            session.sign_out().await;
            on_signed_out.emit(session.storage.clone());
        })
    })
}

/// Locks the device: stored first, so a reload (or a tab reopened) stays locked.
fn lock_callback(session: &Rc<Session>, on_locked: &Callback<bool>) -> Callback<()> {
    let (session, on_locked) = (session.clone(), on_locked.clone());
    Callback::from(move |()| {
        let (session, on_locked) = (session.clone(), on_locked.clone());
        spawn_local(async move {
            session.repo.commit_all();
            if let Err(e) = lock::set_locked(&session.storage, true).await {
                web_sys::console::warn_1(&format!("the lock is not stored on this device: {e}").into());
            }
            on_locked.emit(true);
        })
    })
}

#[function_component(Header)]
fn header(props: &HeaderProps) -> Html {
    let ctx = use_context::<Ctx>().expect("the header is inside the session's context");
    let confirming = use_state(|| None::<SignOutRisk>);
    let can_lock = use_can_lock(&ctx.session);
    let session = ctx.session.clone();

    let sign_out = sign_out_callback(&session, &props.on_signed_out);
    let lock = lock_callback(&session, &props.on_locked);
    let on_sign_out_click = {
        let (session, confirming, sign_out) = (session.clone(), confirming.clone(), sign_out.clone());
        Callback::from(move |_: MouseEvent| match sign_out_risk(&session) {
            None => sign_out.emit(()),
            risk => confirming.set(risk),
        })
    };

    // Keeps the documents (and any unsynced work) on the device: the same person signing in
    // again carries on with them.
    let sign_in_again = {
        let (session, on_signed_out) = (session.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            session.repo.stop();
            on_signed_out.emit(session.storage.clone());
        })
    };

    let account = session.account();
    let coordinates = account.me.memberships.iter().find(|m| m.role == tandem_api::Role::Coordinator);
    html! {
        <header class="bar">
            <a class="brand" href={Route::Pairs.href()}>
                <img src="icon.svg" alt="" width="28" height="28" />
                { "Tandem" }
            </a>
            <StatusLine class="sync-status" status={session.repo.overall_status()}
                write_error={session.repo.write_error()} connected={session.repo.is_connected()} />
            if let Some(membership) = coordinates {
                <a class="console-link" href={Route::Console(membership.program_id.clone(), ConsoleTab::Overview).href()}>
                    { "Console" }
                </a>
            }
            <span class="who">{ account.me.person.name.clone() }</span>
            if can_lock {
                <button type="button" class="quiet" onclick={let lock = lock.clone(); move |_| lock.emit(())}>
                    { "Lock" }
                </button>
            }
            <button type="button" class="quiet" onclick={on_sign_out_click}>{ "Sign out" }</button>
            if session.is_expired() {
                <p class="notice" role="alert">
                    { "Your session has ended, so nothing syncs until you sign in again. Your work stays on this device. " }
                    <button type="button" class="link" onclick={sign_in_again}>
                        { "Sign in again" }
                    </button>
                </p>
            }
            if let Some(risk) = *confirming {
                <SignOutDialog {risk} {can_lock} on_cancel={let c = confirming.clone(); Callback::from(move |()| c.set(None))}
                    on_lock={lock} on_sign_out={sign_out} />
            }
        </header>
    }
}

/// Whether this device keeps a verifier to unlock with (read once per session).
#[hook]
fn use_can_lock(session: &Rc<Session>) -> bool {
    let can = use_state(|| false);
    {
        let (can, session) = (can.setter(), session.clone());
        use_effect_with(Rc::as_ptr(&session) as usize, move |_| {
            spawn_local(async move { can.set(lock::can_lock(&session.storage).await) });
        });
    }
    *can
}

#[derive(Properties, PartialEq)]
struct SignOutDialogProps {
    risk: SignOutRisk,
    can_lock: bool,
    on_cancel: Callback<()>,
    on_lock: Callback<()>,
    on_sign_out: Callback<()>,
}

/// Asks before a sign-out that would lose work or leave the person unable to sign in again here,
/// and offers the lock instead: it hides the records and needs no network to undo.
#[function_component(SignOutDialog)]
fn sign_out_dialog(props: &SignOutDialogProps) -> Html {
    let (title, text, sign_out_label) = match props.risk {
        SignOutRisk::Unsynced => (
            "Sign out with unsynced work?",
            "Some of your changes have not reached the school yet. Signing out removes them from this device. Stay signed in and connect to the school network to sync them first.",
            "Sign out anyway",
        ),
        SignOutRisk::Offline => (
            "Sign out while offline?",
            "Everything is synced, but this device cannot reach the school's server now. Signing out removes your records from this device, and you can sign in again only once it is back on the school network. Sign out only to hand the device to someone else.",
            "Sign out and clear this device",
        ),
    };
    let emit = |callback: &Callback<()>| {
        let callback = callback.clone();
        move |_: MouseEvent| callback.emit(())
    };
    html! {
        <div class="dialog-backdrop">
            <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="signout-title"
                aria-describedby="signout-text">
                <h2 id="signout-title">{ title }</h2>
                <p id="signout-text">{ text }</p>
                if props.can_lock {
                    <p class="hint">{ "Stepping away? Lock instead: your records are hidden until you unlock with your password, and unlocking needs no network." }</p>
                }
                <div class="actions">
                    <button type="button" class="primary" autofocus=true onclick={emit(&props.on_cancel)}>
                        { "Stay signed in" }
                    </button>
                    if props.can_lock {
                        <button type="button" onclick={emit(&props.on_lock)}>{ "Lock instead" }</button>
                    }
                    <button type="button" class="danger" onclick={emit(&props.on_sign_out)}>{ sign_out_label }</button>
                </div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct LockScreenProps {
    on_signed_out: Callback<Rc<IdbStorage>>,
    on_locked: Callback<bool>,
}

/// The locked device: who it belongs to and a password to unlock, no record. Sync goes on
/// behind it. Handing the device to someone else is a real sign-out, with its warnings.
#[function_component(LockScreen)]
fn lock_screen(props: &LockScreenProps) -> Html {
    let ctx = use_context::<Ctx>().expect("the lock screen is inside the session's context");
    let session = ctx.session.clone();
    let password = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let confirming = use_state(|| None::<SignOutRisk>);

    let onsubmit = {
        let (session, password, error, busy) =
            (session.clone(), password.clone(), error.clone(), busy.clone());
        let on_locked = props.on_locked.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let typed = password.cast::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let (session, error, busy, on_locked) =
                (session.clone(), error.clone(), busy.clone(), on_locked.clone());
            busy.set(true);
            spawn_local(async move {
                match lock::check(&session.storage, &typed).await {
                    Ok(true) => {
                        let _ = lock::set_locked(&session.storage, false).await;
                        on_locked.emit(false);
                    }
                    Ok(false) => {
                        error.set(Some("That is not the password this device was signed in with.".to_owned()))
                    }
                    Err(e) => error.set(Some(format!("This device could not check the password: {e}"))),
                }
                busy.set(false);
            });
        })
    };
    let sign_out = sign_out_callback(&session, &props.on_signed_out);
    let on_sign_out_click = {
        let (session, confirming, sign_out) = (session.clone(), confirming.clone(), sign_out.clone());
        Callback::from(move |_: MouseEvent| match sign_out_risk(&session) {
            // Only unsynced work is worth a warning here: the lock already hides the records.
            Some(SignOutRisk::Unsynced) => confirming.set(Some(SignOutRisk::Unsynced)),
            _ => sign_out.emit(()),
        })
    };
    let name = session.account().me.person.name;
    html! {
        <main class="page signin locked" id="main">
            <img src="icon.svg" alt="" width="56" height="56" />
            <h1>{ "Tandem is locked" }</h1>
            <p class="hint">{ format!("{name}'s records are hidden on this device until {name} unlocks it. Unlocking needs no network.") }</p>
            <form {onsubmit}>
                <label for="unlock-password">{ "Password" }</label>
                <input id="unlock-password" ref={password} type="password" name="password"
                    autocomplete="current-password" required=true
                    aria-describedby={error.is_some().then_some("unlock-error")} />
                if let Some(error) = &*error {
                    <p id="unlock-error" class="problem" role="alert">{ error.clone() }</p>
                }
                <button type="submit" class="primary" disabled={*busy}>{ "Unlock" }</button>
            </form>
            <p class="hint">
                { format!("Not {name}? ") }
                <button type="button" class="link" onclick={on_sign_out_click}>{ "Sign out and clear this device" }</button>
            </p>
            if let Some(risk) = *confirming {
                <SignOutDialog {risk} can_lock={false} on_cancel={let c = confirming.clone(); Callback::from(move |()| c.set(None))}
                    on_lock={Callback::noop()} on_sign_out={sign_out} />
            }
        </main>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct StatusLineProps {
    /// `sync-status` (the whole device) or `doc-status` (one document).
    pub class: AttrValue,
    pub status: Option<DocStatus>,
    #[prop_or_default]
    pub write_error: Option<String>,
    #[prop_or(true)]
    pub connected: bool,
}

/// "Saving…", "Saved on this device · not yet synced", "Synced to school at 09:41". A live region.
#[function_component(StatusLine)]
pub fn status_line(props: &StatusLineProps) -> Html {
    let (state, text) = match (&props.write_error, props.status) {
        (Some(error), _) => ("saving", format!("Not saved yet: {error}. Retrying; your work is still here.")),
        (None, Some(DocStatus::Saving)) => ("saving", "Saving…".to_owned()),
        (None, Some(DocStatus::Saved)) => ("saved", "Saved on this device · not yet synced".to_owned()),
        (None, Some(DocStatus::Synced(at))) => ("synced", format!("Synced to school at {}", time::clock(at))),
        (None, Some(DocStatus::Loading)) if props.class == "sync-status" && props.connected => {
            ("loading", "Bringing your records to this device…".to_owned())
        }
        (None, Some(DocStatus::Loading)) if props.class == "sync-status" => {
            ("loading", "Some of your records are not on this device yet".to_owned())
        }
        (None, Some(DocStatus::Loading)) => ("loading", "Looking for this document…".to_owned()),
        (None, Some(DocStatus::Unavailable)) => ("unavailable", "Not on this device".to_owned()),
        (None, None) => ("synced", "Nothing to sync yet".to_owned()),
    };
    let offline = !props.connected && state != "synced";
    html! {
        <p class={classes!(props.class.to_string(), "status")} role="status" data-state={state}
            data-connected={if props.connected { "yes" } else { "no" }}>
            <span class="dot" aria-hidden="true"></span>
            { text }
            if offline { <span class="offline">{ " · offline" }</span> }
        </p>
    }
}

/// Signs in with the relay and sets up the device for the person.
pub async fn sign_in(storage: Rc<IdbStorage>, email: &str, password: &str) -> Result<Account, ApiError> {
    api::sign_in(email, password).await?;
    set_up_device(storage, password).await
}

/// Sets up the device for whoever the relay's session cookie names (just signed in, or just
/// joined by an invitation with this password), including the verifier that unlocks it offline.
pub async fn set_up_device(storage: Rc<IdbStorage>, password: &str) -> Result<Account, ApiError> {
    let me = api::me().await?;
    let mut account = match Account::load(&storage).await {
        // The same person again (their session had ended): carry on with what is on the device.
        Ok(Some(previous)) if previous.me.person.id == me.person.id => previous,
        // Another person used this device before: their documents leave with them.
        Ok(Some(_)) => {
            let _ = storage.clear().await;
            Account::new(me)
        }
        _ => Account::new(me),
    };
    let settled = account.make_claims().await?;
    account.settle(&settled);
    (account.me, account.documents) = Account::fetch().await?;
    if let Err(e) = account.save(&storage).await {
        return Err(ApiError::Malformed(format!("this device could not store your sign-in: {e}")));
    }
    // Without a verifier the device simply cannot be locked; signing in still works.
    if let Err(e) = lock::remember(&storage, password).await {
        web_sys::console::warn_1(&format!("this device cannot be locked: {e}").into());
    }
    let _ = lock::set_locked(&storage, false).await;
    Ok(account)
}
