//! The document screens' hosts: each reads the record from the repo, hands it to its screen
//! (`crate::screens`), and applies the edits the screen emits, stamped with the signed-in person
//! and the time.

use std::{collections::BTreeMap, rc::Rc};

use tandem_core::{
    Doc, Goals, MentorNotes, Observation, Timestamp, UserId, conflict,
    conflict::Field,
    edit::{self, Agreement, goals::GoalEdit, mentor_notes::NotesEdit, observation::ObservationEdit},
    history,
};
use tandem_sync::DocumentId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::{
    app::{Ctx, StatusLine},
    discard::{DiscardButton, discard_callback},
    repo::{DocStatus, docs::Kind},
    route::{NotesAbout, Route},
    screens::{
        agreement::NeedsAgreement,
        deleted::DeletedItems,
        goals::GoalsScreen,
        history::History,
        observation::ObservationScreen,
        private_notes::{PrivateNotesScreen, entry_field_id},
    },
    session::Session,
    ui::time,
};

#[derive(Properties, PartialEq, Debug)]
pub struct DocProps {
    /// The document id, as in the address.
    pub id: String,
}

#[derive(Properties, PartialEq, Debug)]
pub struct PairProps {
    pub pair: String,
}

#[function_component(ObservationPage)]
pub fn observation_page(props: &DocProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    let share_error = use_state(|| None::<String>);
    let discard_error = use_state(|| None::<String>);
    use_open(&session, &props.id);
    let Ok(id) = props.id.parse::<DocumentId>() else { return not_found() };
    if session.account().discarding(&id) {
        return discarded(&session, &id);
    }
    let Some(observation) = session.repo.read::<Observation>(&id) else {
        return waiting(&session, &id, "observation");
    };
    let discardable = session.me() == observation.mentor
        && observation.status == tandem_core::model::ObservationStatus::Draft
        && session.account().audience(&id) == tandem_api::Audience::Private;
    let on_discard =
        discard_callback(&session, id, Some(Route::Pair(observation.pair.clone())), discard_error.clone());

    let on_edit = edits(&session, id, ObservationEdit::is_typing, edit::observation::apply);
    let on_share = {
        let (session, share_error) = (session.clone(), share_error.clone());
        Callback::from(move |()| {
            let (session, share_error) = (session.clone(), share_error.clone());
            spawn_local(async move {
                match session.share(&id).await {
                    // Only if the person is still on the draft: sharing can finish after they
                    // have moved on, and must not pull them back.
                    Ok(shared) if Route::current() == Route::Observation(id) => {
                        Route::Observation(shared).go()
                    }
                    Ok(_) => {}
                    Err(e) => share_error.set(Some(format!("Not shared: {e}"))),
                }
            });
        })
    };

    html! {
        <>
            <DocNav session={session.clone()} pair={observation.pair.clone()} {id} />
            if session.me() == observation.mentor {
                <p class="private-link">
                    <a href={Route::PrivateNotes(NotesAbout::Observation(id)).href()}>
                        { "Private notes on this observation" }
                    </a>
                    <span class="meta">{ " · only you see them" }</span>
                </p>
            }
            if let Some(message) = &*share_error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            if let Some(message) = &*discard_error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            if session.account().claim_pending(&id) {
                <p class="notice claim-pending" role="status">
                    { format!("Shared on this device. {} gets it once this device reaches the school network.",
                        session.people().name(&observation.associate)) }
                </p>
            }
            <ObservationScreen doc_id={id.to_string()} {observation} me={ctx.session.me()}
                people={ctx.session.people()} program={ctx.session.program()} {on_edit} {on_share} />
            if discardable {
                <div class="discard-row">
                    <DiscardButton onclick={on_discard} />
                </div>
            }
        </>
    }
}

/// A draft being discarded is not shown (its page is left when it is discarded; this is what
/// the back button finds).
fn discarded(session: &Rc<Session>, id: &DocumentId) -> Html {
    let pair = session.repo.read::<Observation>(id).map(|o| o.pair.clone());
    html! {
        <section>
            <h1>{ "This draft was discarded" }</h1>
            if let Some(pair) = pair {
                <p><a href={Route::Pair(pair).href()}>{ "Back to the pair's observations" }</a></p>
            }
        </section>
    }
}

/// Opens the document in the address (from this device, else from the relay), as an effect:
/// rendering only reads. Until it is open the page shows that it is fetching it.
#[hook]
fn use_open(session: &Rc<Session>, id: &str) {
    let session = session.clone();
    use_effect_with(id.to_owned(), move |id| {
        if let Ok(id) = id.parse::<DocumentId>() {
            session.repo.open(id);
        }
    });
}

/// How a document's edits, as its screen emits them, reach the repo: applied by `apply` as the
/// signed-in person at this moment; keystrokes without re-reading the record.
pub(crate) fn edits<S: Kind + 'static, E: 'static>(
    session: &Rc<Session>,
    id: DocumentId,
    typing: fn(&E) -> bool,
    apply: fn(&mut Doc<S>, &UserId, Timestamp, &E) -> Result<(), tandem_core::Error>,
) -> Callback<E> {
    let session = session.clone();
    Callback::from(move |edit: E| {
        let me = session.me();
        let change = |doc: &mut Doc<S>| apply(doc, &me, time::now(), &edit);
        let result =
            if typing(&edit) { session.repo.type_text(&id, change) } else { session.repo.edit(&id, change) };
        if let Some(Err(e)) = result {
            web_sys::console::warn_1(&format!("edit not applied: {e}").into());
        }
    })
}

#[function_component(GoalsPage)]
pub fn goals_page(props: &PairProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    let error = use_state(|| None::<String>);
    let documents = session.goals_of(&props.pair);
    let seated = session.account().seat_in(&props.pair).is_some();

    let start = {
        let (session, pair, error) = (session.clone(), props.pair.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (session, pair, error) = (session.clone(), pair.clone(), error.clone());
            spawn_local(async move {
                if let Err(e) = session.new_goals(&pair).await {
                    error.set(Some(e));
                }
            });
        })
    };

    html! {
        <>
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
                <a href={Route::Pair(props.pair.clone()).href()}>{ session.pair_title(&props.pair) }</a>
            </nav>
            <h1>{ format!("Goals for {}", session.pair_title(&props.pair)) }</h1>
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            if documents.is_empty() {
                <p class="empty">{ "No goals yet for this pair." }</p>
                if seated {
                    <button type="button" class="primary" onclick={start}>{ "Start goals for this pair" }</button>
                }
            }
            { for documents.into_iter().map(|(id, goals)| {
                let on_edit = edits(&session, id, GoalEdit::is_typing, edit::goals::apply);
                html! {
                    <div class="goals-doc" key={id.to_string()}>
                        <div class="doc-tools">
                            <StatusLine class="doc-status" status={session.repo.status(&id)}
                                connected={session.repo.is_connected()} />
                            <a href={Route::History(id).href()}>{ "History" }</a>
                        </div>
                        <GoalsScreen doc_id={id.to_string()} {goals} me={session.me()} people={session.people()}
                            today={time::today()} {on_edit} readonly={!seated} />
                    </div>
                }
            }) }
        </>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct PrivateNotesPageProps {
    pub about: NotesAbout,
}

/// The mentor's private notes about a pair or an observation. Said plainly at the top: only the
/// mentor sees them. Anyone else finds nothing here: the relay never sends them another
/// person's private documents, and this page starts notes only for the pair's mentor.
#[function_component(PrivateNotesPage)]
pub fn private_notes_page(props: &PrivateNotesPageProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    let error = use_state(|| None::<String>);
    let observation = match &props.about {
        NotesAbout::Observation(id) => id.to_string(),
        NotesAbout::Pair(_) => String::new(),
    };
    use_open(&session, &observation);
    let about = props.about.key();
    // The pair, and (for an observation) what the notes are about, as the person reads it.
    let (pair, subject) = match &props.about {
        NotesAbout::Pair(pair) => (Some(pair.clone()), None),
        NotesAbout::Observation(id) => match session.repo.read::<Observation>(id) {
            Some(obs) => {
                let date = obs.context.date.map_or_else(|| "no date".to_owned(), |d| d.to_string());
                let subject = if obs.context.subject.is_empty() {
                    "no subject".to_owned()
                } else {
                    obs.context.subject.clone()
                };
                (Some(obs.pair.clone()), Some((*id, format!("{date} · {subject}"))))
            }
            None => (None, None),
        },
    };
    let Some(pair) = pair else {
        let NotesAbout::Observation(id) = &props.about else { return not_found() };
        return waiting(&session, id, "observation");
    };
    let account = session.account();
    let mentor = account.seat_in(&pair) == Some("mentor");
    let documents = if mentor { session.private_notes_about(&about) } else { Vec::new() };

    let start = {
        let (session, pair, about, error) = (session.clone(), pair.clone(), about.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (session, pair, about, error) = (session.clone(), pair.clone(), about.clone(), error.clone());
            spawn_local(async move {
                match session.new_private_notes(&pair, &about).await {
                    Ok(id) => {
                        let entry = crate::ids::new_item_id();
                        let add = NotesEdit::Add { id: entry.clone(), text: String::new() };
                        let me = session.me();
                        session.repo.edit::<MentorNotes, _>(&id, |doc| {
                            edit::mentor_notes::apply(doc, &me, time::now(), &add)
                        });
                        session.repo.commit_all();
                        let field = entry_field_id(&id.to_string(), &entry);
                        gloo_timers::callback::Timeout::new(0, move || {
                            crate::screens::goals::focus_by_id(&field);
                        })
                        .forget();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let heading = match &subject {
        Some((_, what)) => format!("Private notes on the observation of {what}"),
        None => format!("Private notes on {}", session.pair_title(&pair)),
    };
    let associate = account
        .me
        .pairs
        .iter()
        .find(|p| p.id == pair)
        .and_then(|p| p.associate_id.clone())
        .map_or_else(|| "The associate".to_owned(), |id| session.people().name_of(&id));
    html! {
        <>
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
                <a href={Route::Pair(pair.clone()).href()}>{ session.pair_title(&pair) }</a>
                if let Some((id, what)) = &subject {
                    <a href={Route::Observation(*id).href()}>{ what.clone() }</a>
                }
            </nav>
            <h1>{ heading }</h1>
            if mentor {
                <p class="notice private-notice" role="note">
                    <strong>{ "Only you see these notes." }</strong>
                    { format!(" {associate} and the program's coordinators never do: the school's server keeps them for you alone and sends them to no one else's device.") }
                </p>
            } else {
                <p class="notice private-notice" role="note">
                    { "A mentor's private notes are seen by that mentor alone, so there is nothing here for you." }
                </p>
            }
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            if mentor && documents.is_empty() {
                <p class="empty">{ "No private notes yet. Jot down what you want to bring up in the debrief, or what you noticed and are not ready to share." }</p>
                <button type="button" class="primary" onclick={start}>{ "Write a private note" }</button>
            }
            { for documents.into_iter().map(|(id, notes)| {
                let on_edit = edits(&session, id, NotesEdit::is_typing, edit::mentor_notes::apply);
                html! {
                    <div class="notes-doc" key={id.to_string()}>
                        <div class="doc-tools">
                            <StatusLine class="doc-status" status={session.repo.status(&id)}
                                connected={session.repo.is_connected()} />
                            <a href={Route::History(id).href()}>{ "History" }</a>
                        </div>
                        <PrivateNotesScreen doc_id={id.to_string()} {notes} {on_edit} />
                    </div>
                }
            }) }
            if mentor && matches!(props.about, NotesAbout::Pair(_)) {
                <ObservationNotesList session={session.clone()} pair={pair.clone()} />
            }
        </>
    }
}

#[derive(Properties)]
struct ObservationNotesListProps {
    session: Rc<Session>,
    pair: String,
}

impl PartialEq for ObservationNotesListProps {
    fn eq(&self, _: &Self) -> bool {
        // Re-rendered with its parent, which happens on every change.
        false
    }
}

/// The mentor's private notes on the pair's observations, so none is out of sight (notes made
/// on a draft stay with the draft after it is shared).
#[function_component(ObservationNotesList)]
fn observation_notes_list(props: &ObservationNotesListProps) -> Html {
    let list = props.session.private_notes_on_observations(&props.pair);
    if list.is_empty() {
        return html! {};
    }
    html! {
        <section aria-labelledby="observation-notes-title">
            <h2 id="observation-notes-title">{ "Private notes on observations" }</h2>
            <ul class="cards">
                { for list.into_iter().map(|(notes_id, notes, obs_id, obs)| {
                    let date = obs.context.date.map_or_else(|| "No date".to_owned(), |d| d.to_string());
                    let subject = if obs.context.subject.is_empty() { "No subject" } else { obs.context.subject.as_str() };
                    let count = notes.entries.len();
                    html! {
                        <li class="card" key={notes_id.to_string()}>
                            <a href={Route::PrivateNotes(NotesAbout::Observation(obs_id)).href()}>
                                { format!("{date} · {subject} · {}", crate::pages::status_word(obs.status)) }
                            </a>
                            <p class="meta">{ format!("{count} private note{}", if count == 1 { "" } else { "s" }) }</p>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

#[function_component(AgreementPage)]
pub fn agreement_page(props: &PairProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    let mut sections = Vec::new();
    for (id, conflicts, titles) in pair_conflicts(&session, &props.pair) {
        let on_resolve = {
            let session = session.clone();
            Callback::from(move |agreement: Agreement| resolve(&session, &id, &agreement))
        };
        sections.push(html! {
            <NeedsAgreement key={id.to_string()} conflicts={Rc::new(conflicts)} people={session.people()}
                goal_titles={Rc::new(titles)} {on_resolve} />
        });
    }
    html! {
        <>
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
                <a href={Route::Pair(props.pair.clone()).href()}>{ session.pair_title(&props.pair) }</a>
            </nav>
            <h1>{ "Needs agreement" }</h1>
            if sections.is_empty() {
                <p class="empty">{ "Nothing needs agreement." }</p>
            }
            { for sections }
        </>
    }
}

/// Every document of a pair with concurrent values to agree on: (document, conflicts, goal titles).
fn pair_conflicts(
    session: &Session,
    pair: &str,
) -> Vec<(DocumentId, Vec<conflict::Conflict>, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for (id, _) in session.observations_of(pair) {
        let conflicts =
            session.repo.with_doc::<Observation, _>(&id, conflict::observation).unwrap_or_default();
        if !conflicts.is_empty() {
            out.push((id, conflicts, BTreeMap::new()));
        }
    }
    for (id, goals) in session.goals_of(pair) {
        let conflicts = session.repo.with_doc::<Goals, _>(&id, conflict::goals).unwrap_or_default();
        if !conflicts.is_empty() {
            let titles = goals.goals.iter().map(|g| (g.id.clone(), g.title.clone())).collect();
            out.push((id, conflicts, titles));
        }
    }
    out
}

/// How many values wait for agreement in a pair's documents.
pub fn conflict_count(session: &Session, pair: &str) -> usize {
    pair_conflicts(session, pair).iter().map(|(_, c, _)| c.len()).sum()
}

fn resolve(session: &Session, id: &DocumentId, agreement: &Agreement) {
    let me = session.me();
    let now = time::now();
    let result = match agreement.field {
        Field::ObservationStatus => {
            session.repo.edit::<Observation, _>(id, |doc| edit::resolve(doc, &me, now, agreement))
        }
        _ => session.repo.edit::<Goals, _>(id, |doc| edit::resolve(doc, &me, now, agreement)),
    };
    if let Some(Err(e)) = result {
        web_sys::console::warn_1(&format!("not resolved: {e}").into());
    }
    session.repo.commit_all();
}

#[function_component(HistoryPage)]
pub fn history_page(props: &DocProps) -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    use_open(&session, &props.id);
    let Ok(id) = props.id.parse::<DocumentId>() else { return not_found() };
    // The mentor writes the lists items are deleted from, so the mentor restores them.
    let mut deleted = None;
    let (entries, title, pair) = if let Some(obs) = session.repo.read::<Observation>(&id) {
        let entries = session.repo.with_doc::<Observation, _>(&id, history::history).unwrap_or_default();
        if obs.mentor == session.me() {
            let items = session.repo.with_doc::<Observation, _>(&id, history::deleted);
            deleted = Some(match items {
                Some(Ok(items)) => items,
                Some(Err(e)) => {
                    web_sys::console::warn_1(&format!("deleted items not read: {e}").into());
                    Vec::new()
                }
                None => Vec::new(),
            });
        }
        (entries, "History of this observation", obs.pair.clone())
    } else if let Some(goals) = session.repo.read::<Goals>(&id) {
        let entries = session.repo.with_doc::<Goals, _>(&id, history::history).unwrap_or_default();
        (entries, "History of these goals", goals.pair.clone())
    } else if let Some(notes) = session.repo.read::<MentorNotes>(&id) {
        let entries = session.repo.with_doc::<MentorNotes, _>(&id, history::history).unwrap_or_default();
        let pair = match session.repo.read::<Observation>(&notes.about.parse().unwrap_or(id)) {
            Some(obs) => obs.pair.clone(),
            None => notes.about.clone(),
        };
        (entries, "History of these private notes", pair)
    } else {
        return waiting(&session, &id, "document");
    };
    html! {
        <>
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
                <a href={Route::Pair(pair.clone()).href()}>{ session.pair_title(&pair) }</a>
            </nav>
            <History title={title} entries={Rc::new(entries)} people={session.people()} />
            if let Some(items) = deleted {
                <DeletedItems items={Rc::new(items)} people={session.people()}
                    on_restore={edits(&session, id, ObservationEdit::is_typing, edit::observation::apply)
                        .reform(|(list, id)| ObservationEdit::Restore { list, id })} />
            }
        </>
    }
}

#[derive(Properties)]
struct DocNavProps {
    session: Rc<Session>,
    pair: String,
    id: DocumentId,
}

impl PartialEq for DocNavProps {
    fn eq(&self, _: &Self) -> bool {
        // Re-rendered with its parent, which happens on every change.
        false
    }
}

/// Where the document sits, its status, and its history.
#[function_component(DocNav)]
fn doc_nav(props: &DocNavProps) -> Html {
    let session = &props.session;
    html! {
        <div class="doc-tools">
            <nav class="crumbs" aria-label="Where you are">
                <a href={Route::Pairs.href()}>{ "My pairs" }</a>
                <a href={Route::Pair(props.pair.clone()).href()}>{ session.pair_title(&props.pair) }</a>
            </nav>
            <StatusLine class="doc-status" status={session.repo.status(&props.id)}
                connected={session.repo.is_connected()} />
            <a href={Route::History(props.id).href()}>{ "History" }</a>
        </div>
    }
}

/// A document that is not (yet) readable on this device.
fn waiting(session: &Session, id: &DocumentId, what: &str) -> Html {
    let status = session.repo.status(id);
    let message = match (session.repo.problem(id), status) {
        (Some(problem), _) => format!("This {what} cannot be shown: {problem}"),
        (None, DocStatus::Unavailable) => format!(
            "This {what} is not on this device, and the school's server does not have it for you (or it was not shared with you)."
        ),
        (None, _) if !session.repo.is_connected() => {
            format!(
                "This {what} is not on this device yet. It will arrive when the device reaches the school network."
            )
        }
        _ => format!("Fetching this {what}…"),
    };
    html! {
        <section>
            <h1>{ "Not here yet" }</h1>
            <p role="status">{ message }</p>
            <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
        </section>
    }
}

fn not_found() -> Html {
    html! {
        <section>
            <h1>{ "Nothing here" }</h1>
            <p><a href={Route::Pairs.href()}>{ "Go to my pairs" }</a></p>
        </section>
    }
}
