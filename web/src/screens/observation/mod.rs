//! The observation screen: a view of one [`Observation`] record plus edits carried as data.
//!
//! Who is looking decides what they get:
//! - the mentor ([`mentor`]): the editor for the tablet at the back of the classroom: context,
//!   fast timestamped running notes with one-tap tags, strengths first (opening strength, glows,
//!   grows, closing strength), questions from the bank, sharing and status;
//! - the associate ([`associate`]): the phone view: reads the feedback, answers the questions,
//!   reflects, acknowledges receipt;
//! - anyone else: the associate's view with nothing editable.
//!
//! The screen never writes a document. Every edit is an [`ObservationEdit`] handed to `on_edit`;
//! the host stamps it with the signed-in person and the time and applies it with
//! `tandem_core::edit::observation::apply`. Item ids are chosen here, when the edit is made, so
//! applying an edit is deterministic.

mod associate;
mod mentor;
#[cfg(test)]
mod view_tests;

use std::{cell::RefCell, rc::Rc};

use tandem_core::{
    Observation, Program, UserId, edit::observation::ObservationEdit, model::ObservationStatus,
};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::screens::People;

#[derive(Properties, PartialEq, Debug)]
pub struct ObservationScreenProps {
    /// The document id (makes element ids unique).
    pub doc_id: AttrValue,
    /// The record as read now (re-read by the host after each edit and each remote change).
    pub observation: Rc<Observation>,
    /// The signed-in person.
    pub me: UserId,
    pub people: People,
    /// The question bank and the competency framework; `None` until the program document is on
    /// the device.
    pub program: Option<Rc<Program>>,
    pub on_edit: Callback<ObservationEdit>,
    /// The mentor confirmed sharing this draft.
    pub on_share: Callback<()>,
}

#[function_component(ObservationScreen)]
pub fn observation_screen(props: &ObservationScreenProps) -> Html {
    let obs = &props.observation;
    let ids = Ids::new(&props.doc_id);
    if props.me == obs.mentor {
        html! {
            <mentor::MentorEditor ids={ids} observation={obs.clone()} me={props.me.clone()}
                people={props.people.clone()} program={props.program.clone()}
                on_edit={props.on_edit.clone()} on_share={props.on_share.clone()} />
        }
    } else {
        let can_edit = props.me == obs.associate;
        html! {
            <associate::AssociateView ids={ids} observation={obs.clone()} me={props.me.clone()}
                people={props.people.clone()} program={props.program.clone()}
                on_edit={props.on_edit.clone()} {can_edit} />
        }
    }
}

/// Element ids, unique per document: `obs-<doc id>-<part>`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ids(Rc<str>);

impl Ids {
    fn new(doc_id: &str) -> Ids {
        // Keep ids to characters every selector accepts, whatever a document id looks like.
        let safe: String =
            doc_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        Ids(format!("obs-{safe}").into())
    }

    pub(crate) fn of(&self, part: &str) -> String {
        format!("{}-{part}", self.0)
    }
}

/// The page heading both views share, `Observation · 11/22/2026 · Science` (the date as the
/// reader's locale writes it); also a good
/// document title for the host.
pub fn heading(obs: &Observation) -> String {
    let (date, subject) = heading_parts(obs);
    format!("Observation · {date} · {subject}")
}

fn heading_parts(obs: &Observation) -> (String, &str) {
    let date = obs.context.date.map_or_else(|| "no date".to_owned(), crate::ui::time::day);
    let subject = obs.context.subject.trim();
    (date, if subject.is_empty() { "no subject" } else { subject })
}

/// The `<h1>`: the text of [`heading`], with the date kept on one line (its slashes, dots or
/// hyphens would otherwise let a phone break it).
pub(crate) fn heading_h1(obs: &Observation) -> Html {
    let (date, subject) = heading_parts(obs);
    html! {
        <h1>{ "Observation · " }<span class="obs-nowrap">{ date }</span>{ " · " }{ subject.to_owned() }</h1>
    }
}

/// How a status reads on screen.
pub(crate) fn status_label(status: ObservationStatus) -> &'static str {
    match status {
        ObservationStatus::Draft => "Draft",
        ObservationStatus::Shared => "Shared",
        ObservationStatus::Debriefed => "Debriefed",
        ObservationStatus::Acknowledged => "Acknowledged",
        ObservationStatus::Closed => "Closed",
    }
}

/// A competency tag as a label: "2.1 Questioning" when a framework version knows it, else its id.
pub(crate) fn competency_label(program: Option<&Program>, id: &str) -> String {
    program
        .and_then(|p| {
            p.frameworks
                .iter()
                .rev()
                .flat_map(|f| &f.competencies)
                .find(|c| c.id == id)
                .map(|c| format!("{} {}", c.code, c.title))
        })
        .unwrap_or_else(|| id.to_owned())
}

/// An element to focus once it has been rendered: set when an edit creates something to type
/// into (a new note, glow, question), taken by the first render in which the element exists.
pub(crate) type PendingFocus = Rc<RefCell<Option<String>>>;

/// Focuses the pending element after each render, once it exists.
#[hook]
pub(crate) fn use_pending_focus() -> PendingFocus {
    let pending = use_mut_ref(|| None::<String>);
    {
        let pending = pending.clone();
        use_effect(move || {
            let id = pending.borrow().clone();
            if let Some(id) = id
                && let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&id))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                pending.borrow_mut().take();
                let _ = el.focus();
            }
        });
    }
    pending
}

/// The acknowledgement line: "Acknowledged by Mei Chen at 11/22/2026 09:41" for each person.
pub(crate) fn acknowledgements(obs: &Observation, people: &People) -> Vec<String> {
    obs.acknowledgements
        .iter()
        .map(|(user, at)| {
            format!(
                "Acknowledged by {} at {}",
                people.name(&UserId::new(user.as_str())),
                crate::ui::time::date_time(*at)
            )
        })
        .collect()
}
