//! What was deleted from an observation, from its history, each with a Restore button: the way
//! back for a delete whose Undo has gone. Only the mentor, who writes these lists, restores.

use std::rc::Rc;

use tandem_core::history::Deletion;
use tandem_core::ops::observation::Removed;
use yew::prelude::*;

use crate::{screens::People, ui::time::date_time};

#[derive(Properties, PartialEq, Debug)]
pub struct DeletedItemsProps {
    /// `tandem_core::history::deleted(doc)`, newest deletion first.
    pub items: Rc<Vec<Deletion>>,
    pub people: People,
    /// Restores the item `id` of list `list`.
    pub on_restore: Callback<(String, String)>,
}

/// "Running note: “Hook question” · deleted by Grace Okafor at 11/22/2026 09:41 · Restore".
#[function_component(DeletedItems)]
pub fn deleted_items(props: &DeletedItemsProps) -> Html {
    let restored = use_state(|| None::<String>);
    html! {
        <section class="deleted" aria-labelledby="deleted-title">
            <h2 id="deleted-title">{ "Deleted" }</h2>
            <p class="deleted-done" role="status">
                if let Some(what) = &*restored { { format!("{what} restored: it is back in the observation.") } }
            </p>
            if props.items.is_empty() {
                <p class="hint">{ "Nothing deleted from this observation is missing from it." }</p>
            } else {
                <ul class="deleted-list">
                    { for props.items.iter().map(|d| {
                        let (kind, words) = describe(&d.item);
                        let who = d.by.as_ref().map_or_else(|| "someone using another app".to_owned(), |u| props.people.name(u));
                        let onclick = {
                            let (on_restore, restored) = (props.on_restore.clone(), restored.clone());
                            let (list, id) = (d.item.list().to_owned(), d.item.id().to_owned());
                            Callback::from(move |_: MouseEvent| {
                                restored.set(Some(kind.to_owned()));
                                on_restore.emit((list.clone(), id.clone()));
                            })
                        };
                        html! {
                            <li key={format!("{}/{}", d.item.list(), d.item.id())} class="deleted-item">
                                <p>
                                    <strong>{ format!("{kind}: ") }</strong>{ words.clone() }
                                    <span class="deleted-meta">{ format!(" · deleted by {who} at {}", date_time(d.at)) }</span>
                                </p>
                                <button type="button" {onclick}>
                                    { "Restore" }<span class="visually-hidden">{ format!(" {}: {words}", kind.to_lowercase()) }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
        </section>
    }
}

/// What an item is, and its words as a reader would recognise them.
fn describe(item: &Removed) -> (&'static str, String) {
    let quoted = |text: &str| {
        let text = text.trim();
        if text.is_empty() { "(empty)".to_owned() } else { format!("“{text}”") }
    };
    match item {
        Removed::Note(n) => ("Running note", quoted(&n.text)),
        Removed::Glow(p) => ("Glow", quoted(&p.text)),
        Removed::Grow(p) => ("Grow", quoted(&p.text)),
        Removed::Question(q) if q.answer.trim().is_empty() => ("Question", quoted(&q.prompt)),
        Removed::Question(q) => {
            ("Question", format!("{}, answered {}", quoted(&q.prompt), quoted(&q.answer)))
        }
        Removed::NextStep(s) => ("Next step", quoted(&s.text)),
    }
}
