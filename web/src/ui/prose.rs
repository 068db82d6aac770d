//! [`ProseField`]: a text box for a prose field of a document (automerge `Text`).
//!
//! Every keystroke becomes one [`Splice`] (see [`crate::splice`]) handed to `on_splice`, never the
//! whole new value: a concurrent edit on another device then merges character by character.
//!
//! The box keeps its own value while the person types. A new `value` from outside (the other
//! person's edit arriving) is written into the box only when it differs from what the box shows
//! and is not a late echo of the person's own typing, and the caret is moved with the text around
//! it, so typing goes on where it was.

use std::{cell::RefCell, rc::Rc};

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::splice::{self, Splice};

/// How many of the box's own states are remembered to recognise a late echo (a render lags by a
/// keystroke or two; a whole sentence typed without any render is still covered).
const TYPED_KEPT: usize = 200;

#[derive(Properties, PartialEq, Clone, Debug)]
pub struct ProseFieldProps {
    /// The element id (also what the label points at).
    pub id: AttrValue,
    pub label: AttrValue,
    /// The field's current text in the document.
    pub value: AttrValue,
    pub on_splice: Callback<Splice>,
    /// A `<textarea>` when true, else a one-line `<input>`.
    #[prop_or_default]
    pub multiline: bool,
    #[prop_or(3)]
    pub rows: u32,
    /// A sentence shown under the label and announced with the field.
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The id of an element elsewhere on the page that describes the field (e.g. the question an
    /// answer box answers), announced with it; `hint` takes precedence.
    #[prop_or_default]
    pub describedby: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    /// Shown but not editable (the other person's field, a shared record).
    #[prop_or_default]
    pub readonly: bool,
    /// Keep the label for screen readers only (the field's purpose is plain from what surrounds it).
    #[prop_or_default]
    pub label_hidden: bool,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub onkeydown: Option<Callback<KeyboardEvent>>,
}

#[function_component(ProseField)]
pub fn prose_field(props: &ProseFieldProps) -> Html {
    let node = use_node_ref();
    // What the box holds as far as the document knows: the "old" side of the next splice.
    let shown = use_mut_ref(|| props.value.to_string());
    // What the box held after each keystroke not yet seen back in `value`. The document's value
    // can reach the box late (the page re-renders this field after its parent, and the next
    // keystroke can come in between): one of these is an echo of typing the box is already past,
    // and writing it in would take back what was just typed and send the next keystrokes to the
    // wrong place. Any other value is someone else's edit.
    let typed = use_mut_ref(Vec::<String>::new);

    {
        let (node, shown, typed) = (node.clone(), shown.clone(), typed.clone());
        use_effect_with(props.value.clone(), move |value| {
            let news = is_news(&shown.borrow(), &mut typed.borrow_mut(), value);
            if news {
                replace_keeping_caret(&node, &shown, value);
            }
        });
    }

    let oninput = {
        let (node, shown, on_splice) = (node.clone(), shown.clone(), props.on_splice.clone());
        Callback::from(move |_: InputEvent| {
            let Some((value, caret)) = read_box(&node) else { return };
            let edit = splice::between(&shown.borrow(), &value, caret);
            if let Some(edit) = edit {
                let mut typed = typed.borrow_mut();
                if typed.len() == TYPED_KEPT {
                    typed.remove(0);
                }
                typed.push(value.clone());
                *shown.borrow_mut() = value;
                on_splice.emit(edit);
            }
        })
    };

    let hint_id = props.hint.as_ref().map(|_| AttrValue::from(format!("{}-hint", props.id)));
    let described_by = hint_id.clone().or_else(|| props.describedby.clone());
    let label_class = classes!(props.label_hidden.then_some("visually-hidden"));
    let onkeydown = props.onkeydown.clone().unwrap_or_default();
    html! {
        <div class={classes!("field", props.class.clone())}>
            <label for={props.id.clone()} class={label_class}>{ props.label.clone() }</label>
            if let (Some(hint), Some(hint_id)) = (&props.hint, &hint_id) {
                <p class="hint" id={hint_id.clone()}>{ hint.clone() }</p>
            }
            if props.multiline {
                <textarea id={props.id.clone()} ref={node} rows={props.rows.to_string()}
                    aria-describedby={described_by.clone()} placeholder={props.placeholder.clone()}
                    readonly={props.readonly} spellcheck="true" autocapitalize="sentences"
                    value={(*shown.borrow()).clone()} {oninput} {onkeydown} />
            } else {
                <input type="text" id={props.id.clone()} ref={node}
                    aria-describedby={described_by} placeholder={props.placeholder.clone()}
                    readonly={props.readonly} spellcheck="true" autocapitalize="sentences"
                    value={(*shown.borrow()).clone()} {oninput} {onkeydown} />
            }
        </div>
    }
}

/// Whether `value`, the document's text arriving at the box, is someone else's edit to write in
/// (else it is what the box shows, or a late echo of a state the box has typed past). Forgets the
/// box's own states up to the one `value` echoes.
fn is_news(shown: &str, typed: &mut Vec<String>, value: &str) -> bool {
    if shown == value {
        typed.clear();
        return false;
    }
    if let Some(echo) = typed.iter().position(|state| state == value) {
        typed.drain(..=echo);
        return false;
    }
    typed.clear();
    true
}

/// The box's value and caret (UTF-16 offset), whichever element it is.
fn read_box(node: &NodeRef) -> Option<(String, Option<u32>)> {
    if let Some(area) = node.cast::<HtmlTextAreaElement>() {
        return Some((area.value(), area.selection_end().ok().flatten()));
    }
    let input = node.cast::<HtmlInputElement>()?;
    Some((input.value(), input.selection_end().ok().flatten()))
}

/// Writes `value` into the box, moving the selection with the text around it.
fn replace_keeping_caret(node: &NodeRef, shown: &Rc<RefCell<String>>, value: &str) {
    let old = std::mem::replace(&mut *shown.borrow_mut(), value.to_owned());
    let moved = |pos: u32| shift_utf16(&old, value, pos);
    if let Some(area) = node.cast::<HtmlTextAreaElement>() {
        let (start, end) = (area.selection_start().ok().flatten(), area.selection_end().ok().flatten());
        area.set_value(value);
        if let (Some(start), Some(end)) = (start, end) {
            let _ = area.set_selection_range(moved(start), moved(end));
        }
    } else if let Some(input) = node.cast::<HtmlInputElement>() {
        let (start, end) = (input.selection_start().ok().flatten(), input.selection_end().ok().flatten());
        input.set_value(value);
        if let (Some(start), Some(end)) = (start, end) {
            let _ = input.set_selection_range(moved(start), moved(end));
        }
    }
}

/// Where a position (in UTF-16 code units, as the DOM counts) in `old` lands in `new`: positions
/// before the changed span stay, positions after it move by the change in length, positions inside
/// it go to the end of what was inserted.
pub fn shift_utf16(old: &str, new: &str, pos: u32) -> u32 {
    let old: Vec<u16> = old.encode_utf16().collect();
    let new: Vec<u16> = new.encode_utf16().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    let pos = pos as usize;
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    let moved = if pos <= prefix {
        pos
    } else if pos >= old_end {
        pos + new_end - old_end
    } else {
        new_end
    };
    moved as u32
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{is_news, shift_utf16};

    #[wasm_bindgen_test]
    fn a_late_echo_of_the_persons_own_typing_is_not_written_back_into_the_box() {
        // The box went "T", "Ta", "Tab"; the document's "Ta" arrives after "Tab" was typed.
        let mut typed = vec!["T".to_owned(), "Ta".to_owned(), "Tab".to_owned()];
        assert!(!is_news("Tab", &mut typed, "Ta"));
        assert_eq!(typed, ["Tab"], "states up to the echo are forgotten");
        // The document catches up.
        assert!(!is_news("Tab", &mut typed, "Tab"));
        assert!(typed.is_empty());
    }

    #[wasm_bindgen_test]
    fn someone_elses_edit_is_written_into_the_box() {
        let mut typed = vec!["Tab".to_owned()];
        assert!(is_news("Tab", &mut typed, "Tab one"));
        assert!(typed.is_empty());
        assert!(is_news("", &mut Vec::new(), "Calm start"));
    }

    #[wasm_bindgen_test]
    fn the_caret_stays_before_a_remote_edit_and_moves_with_text_after_it() {
        // The other person inserted "very " before where this person types.
        assert_eq!(shift_utf16("a calm start", "a very calm start", 12), 17);
        // ... or after it: the caret stays.
        assert_eq!(shift_utf16("a calm start", "a calm start!", 6), 6);
        // Inside a replaced span: to the end of the replacement.
        assert_eq!(shift_utf16("abcdef", "abXYZef", 3), 5);
        // Emoji are two UTF-16 units.
        assert_eq!(shift_utf16("x", "🙂x", 1), 3);
    }
}
