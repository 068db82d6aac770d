//! The mentor's private notes: what the mentor jots down to prepare a debrief, seen by no one else.
//!
//! The screen renders one [`MentorNotes`] record (read by the host) and emits [`NotesEdit`]s; the
//! host applies them with `tandem_core::edit::mentor_notes::apply`. Every note is a prose field
//! (automerge `Text`), so the mentor writing on the tablet and on a laptop at once keeps both.

use std::rc::Rc;

use tandem_core::{MentorNotes, edit::mentor_notes::NotesEdit};
use yew::prelude::*;

use crate::{
    ids::new_item_id,
    screens::goals::FocusLater,
    ui::{prose::ProseField, time::date_time},
};

#[derive(Properties, PartialEq, Debug)]
pub struct PrivateNotesProps {
    /// The notes document's id: keeps element ids unique when two documents are on one page.
    pub doc_id: AttrValue,
    pub notes: Rc<MentorNotes>,
    pub on_edit: Callback<NotesEdit>,
}

/// The id of a private note's text box.
pub fn entry_field_id(doc_id: &str, entry: &str) -> String {
    format!("private-{doc_id}-{entry}")
}

#[function_component(PrivateNotesScreen)]
pub fn private_notes_screen(props: &PrivateNotesProps) -> Html {
    let focus = use_memo((), |_| FocusLater::default());
    {
        let focus = (*focus).clone();
        use_effect(move || focus.try_now());
    }
    let add = {
        let (on_edit, focus, doc_id) = (props.on_edit.clone(), (*focus).clone(), props.doc_id.clone());
        Callback::from(move |_: MouseEvent| {
            let id = new_item_id();
            focus.request(entry_field_id(&doc_id, &id));
            on_edit.emit(NotesEdit::Add { id, text: String::new() });
        })
    };
    // Newest first: what the mentor wrote last is what the next debrief needs.
    let entries = props.notes.entries.iter().rev().map(|entry| {
        let id = entry_field_id(&props.doc_id, &entry.id);
        let when = date_time(entry.at);
        let on_splice = {
            let (on_edit, entry) = (props.on_edit.clone(), entry.id.clone());
            Callback::from(move |splice| on_edit.emit(NotesEdit::Splice { entry: entry.clone(), splice }))
        };
        let delete = {
            let (on_edit, entry) = (props.on_edit.clone(), entry.id.clone());
            Callback::from(move |_: MouseEvent| on_edit.emit(NotesEdit::Delete { id: entry.clone() }))
        };
        html! {
            <li class="private-entry" key={entry.id.clone()}>
                <ProseField id={id} label={format!("Private note from {when}")} value={entry.text.clone()}
                    multiline=true rows={4} {on_splice} />
                <button type="button" class="quiet" onclick={delete}
                    aria-label={format!("Delete the private note from {when}")}>{ "Delete" }</button>
            </li>
        }
    });
    html! {
        <section class="private-notes" aria-label="Private notes">
            <button type="button" class="primary" onclick={add}>{ "Add a private note" }</button>
            if props.notes.entries.is_empty() {
                <p class="empty">{ "No private notes yet." }</p>
            }
            <ul class="private-entries">{ for entries }</ul>
        </section>
    }
}
