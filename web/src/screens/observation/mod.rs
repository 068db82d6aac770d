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
//! the host stamps it with the signed-in person and the time and applies it with [`apply`], the
//! only bridge to `tandem_core::ops::observation`. Item ids are chosen here, when the edit is
//! made, so applying an edit is deterministic.

mod associate;
mod mentor;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod view_tests;

use std::{cell::RefCell, rc::Rc};

use tandem_core::{
    Doc, Observation, Program, Timestamp, UserId,
    model::{Date, ObservationStatus, Tag},
    ops::observation::{self as ops, ContextField, Feedback, ObservationText},
};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::{screens::People, splice::Splice};

/// A prose field of an observation, owning the item id it names (the owned twin of
/// [`ObservationText`], so an edit can be cloned and queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextField {
    LessonFocus,
    /// What the associate asked the mentor to watch for.
    WatchFor,
    /// The text of the running note with this id.
    Note(String),
    OpeningStrength,
    ClosingStrength,
    Glow(String),
    Grow(String),
    QuestionPrompt(String),
    /// The associate's answer to the question with this id.
    Answer(String),
    Reflection,
    NextStep(String),
}

impl TextField {
    fn as_ops(&self) -> ObservationText<'_> {
        match self {
            TextField::LessonFocus => ObservationText::LessonFocus,
            TextField::WatchFor => ObservationText::WatchFor,
            TextField::Note(id) => ObservationText::Note(id),
            TextField::OpeningStrength => ObservationText::OpeningStrength,
            TextField::ClosingStrength => ObservationText::ClosingStrength,
            TextField::Glow(id) => ObservationText::Glow(id),
            TextField::Grow(id) => ObservationText::Grow(id),
            TextField::QuestionPrompt(id) => ObservationText::QuestionPrompt(id),
            TextField::Answer(id) => ObservationText::Answer(id),
            TextField::Reflection => ObservationText::Reflection,
            TextField::NextStep(id) => ObservationText::NextStep(id),
        }
    }
}

/// One edit to an observation, as data. Applied by [`apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationEdit {
    /// One keystroke (or paste, or cut) in a prose field.
    Text {
        field: TextField,
        splice: Splice,
    },
    /// Class, period or subject (last writer wins).
    SetContext {
        field: ContextField,
        value: String,
    },
    /// The lesson's date; `None` clears it.
    SetDate(Option<Date>),
    /// Appends an empty running note stamped with the moment the edit is applied.
    AddNote {
        id: String,
    },
    DeleteNote {
        id: String,
    },
    AddTag {
        note: String,
        tag: Tag,
    },
    RemoveTag {
        note: String,
        tag: Tag,
    },
    /// Makes `competency` the note's only competency tag (`None`: no competency).
    SetCompetency {
        note: String,
        competency: Option<String>,
    },
    /// Appends an empty glow or grow.
    AddPoint {
        kind: Feedback,
        id: String,
    },
    DeletePoint {
        kind: Feedback,
        id: String,
    },
    /// Appends a question: from the program's bank (`bank_id` and its text) or the mentor's own
    /// (no `bank_id`, usually an empty prompt to write).
    AddQuestion {
        id: String,
        bank_id: Option<String>,
        prompt: String,
    },
    DeleteQuestion {
        id: String,
    },
    AddNextStep {
        id: String,
        text: String,
        goal: Option<String>,
    },
    LinkNextStep {
        id: String,
        goal: Option<String>,
    },
    DeleteNextStep {
        id: String,
    },
    SetStatus(ObservationStatus),
    /// The person applying it has received the feedback (receipt, not agreement).
    Acknowledge,
}

impl ObservationEdit {
    /// A keystroke in a text field: the host need not re-read the record for it (the box
    /// already shows the text).
    pub fn is_typing(&self) -> bool {
        matches!(self, ObservationEdit::Text { .. })
    }
}

/// Applies one edit through `tandem_core::ops::observation`, as `by` at `at`.
pub fn apply(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    edit: &ObservationEdit,
) -> Result<(), tandem_core::Error> {
    use ObservationEdit as E;
    match edit {
        E::Text { field, splice } => {
            ops::splice(doc, by, at, field.as_ops(), splice.index, splice.delete, &splice.insert)
        }
        E::SetContext { field, value } => ops::set_context(doc, by, at, *field, value),
        E::SetDate(date) => ops::set_date(doc, by, at, *date),
        E::AddNote { id } => ops::add_note(doc, by, at, id, "", &[]),
        E::DeleteNote { id } => ops::delete_note(doc, by, at, id),
        E::AddTag { note, tag } => ops::add_tag(doc, by, at, note, tag),
        E::RemoveTag { note, tag } => ops::remove_tag(doc, by, at, note, tag),
        E::SetCompetency { note, competency } => {
            // The tags as the document holds them now (a merge may have brought in another
            // competency), so that afterwards exactly the chosen one is left.
            let current = doc.read()?;
            let tags = current
                .notes
                .iter()
                .find(|n| &n.id == note)
                .map(|n| n.tags.clone())
                .ok_or_else(|| tandem_core::Error::NotFound { what: "note", id: note.clone() })?;
            for tag in &tags {
                if let Tag::Competency(id) = tag
                    && Some(id) != competency.as_ref()
                {
                    ops::remove_tag(doc, by, at, note, tag)?;
                }
            }
            match competency {
                Some(id) => ops::add_tag(doc, by, at, note, &Tag::Competency(id.clone())),
                None => Ok(()),
            }
        }
        E::AddPoint { kind, id } => ops::add_point(doc, by, at, *kind, id, ""),
        E::DeletePoint { kind, id } => ops::delete_point(doc, by, at, *kind, id),
        E::AddQuestion { id, bank_id, prompt } => {
            ops::add_question(doc, by, at, id, bank_id.as_deref(), prompt)
        }
        E::DeleteQuestion { id } => ops::delete_question(doc, by, at, id),
        E::AddNextStep { id, text, goal } => ops::add_next_step(doc, by, at, id, text, goal.as_deref()),
        E::LinkNextStep { id, goal } => ops::link_next_step(doc, by, at, id, goal.as_deref()),
        E::DeleteNextStep { id } => ops::delete_next_step(doc, by, at, id),
        E::SetStatus(status) => ops::set_status(doc, by, at, *status),
        E::Acknowledge => ops::acknowledge(doc, by, at),
    }
}

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

/// The page heading both views share, `Observation · 2026-11-22 · Science`; also a good
/// document title for the host.
pub fn heading(obs: &Observation) -> String {
    let (date, subject) = heading_parts(obs);
    format!("Observation · {date} · {subject}")
}

fn heading_parts(obs: &Observation) -> (String, &str) {
    let date = obs.context.date.map_or_else(|| "no date".to_owned(), |d| d.to_string());
    let subject = obs.context.subject.trim();
    (date, if subject.is_empty() { "no subject" } else { subject })
}

/// The `<h1>`: the text of [`heading`], with the date kept on one line (its hyphens would
/// otherwise let a phone break it).
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
                .map(|c| c.code.clone())
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

/// The acknowledgement line: "Acknowledged by Mei Chen at 2026-11-22 09:41" for each person.
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
