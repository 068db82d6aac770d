//! [`DescribedProse`]: a prose textarea described by an element elsewhere on the page.
//!
//! The associate's "Your answer" box must be described by its question, which is shown above it
//! as a heading-like paragraph, not as a hint under the label. [`crate::ui::prose::ProseField`]
//! can only be described by its own hint, so this is the same behaviour (one [`Splice`] per
//! input, the caret kept across remote edits) with an `aria-describedby` of the caller's choice.
//! If `ProseField` gains a `describedby` prop, this module can go.

use std::{cell::RefCell, rc::Rc};

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::{
    splice::{self, Splice},
    ui::prose::shift_utf16,
};

#[derive(Properties, PartialEq, Clone, Debug)]
pub struct DescribedProseProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub on_splice: Callback<Splice>,
    /// The id of the element that describes the field.
    pub describedby: AttrValue,
    #[prop_or(4)]
    pub rows: u32,
    #[prop_or_default]
    pub class: Classes,
}

#[function_component(DescribedProse)]
pub fn described_prose(props: &DescribedProseProps) -> Html {
    let node = use_node_ref();
    // What the box holds as far as the document knows: the "old" side of the next splice.
    let shown = use_mut_ref(|| props.value.to_string());

    {
        let (node, shown) = (node.clone(), shown.clone());
        use_effect_with(props.value.clone(), move |value| {
            if *shown.borrow() != value.as_str() {
                replace_keeping_caret(&node, &shown, value);
            }
        });
    }

    let oninput = {
        let (node, shown, on_splice) = (node.clone(), shown.clone(), props.on_splice.clone());
        Callback::from(move |_: InputEvent| {
            let Some(area) = node.cast::<HtmlTextAreaElement>() else { return };
            let value = area.value();
            let edit = splice::between(&shown.borrow(), &value, area.selection_end().ok().flatten());
            if let Some(edit) = edit {
                *shown.borrow_mut() = value;
                on_splice.emit(edit);
            }
        })
    };

    html! {
        <div class={classes!("field", props.class.clone())}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <textarea id={props.id.clone()} ref={node} rows={props.rows.to_string()}
                aria-describedby={props.describedby.clone()} spellcheck="true"
                autocapitalize="sentences" value={(*shown.borrow()).clone()} {oninput} />
        </div>
    }
}

/// Writes `value` into the box, moving the selection with the text around it.
fn replace_keeping_caret(node: &NodeRef, shown: &Rc<RefCell<String>>, value: &str) {
    let old = std::mem::replace(&mut *shown.borrow_mut(), value.to_owned());
    let Some(area) = node.cast::<HtmlTextAreaElement>() else { return };
    let (start, end) = (area.selection_start().ok().flatten(), area.selection_end().ok().flatten());
    area.set_value(value);
    if let (Some(start), Some(end)) = (start, end) {
        let _ = area.set_selection_range(shift_utf16(&old, value, start), shift_utf16(&old, value, end));
    }
}
