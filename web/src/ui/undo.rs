//! The Undo toast: after a delete, "Note deleted. Undo" at the bottom of the screen for a few
//! seconds. Long enough to notice a slip, short enough not to sit over the work; what is gone
//! after that is still in the document's history, and restored from there.

use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// How long the toast offers Undo.
pub const UNDO_MS: u32 = 8_000;

#[derive(Properties, PartialEq, Debug)]
pub struct UndoToastProps {
    /// "Note deleted."
    pub message: AttrValue,
    /// Changes with each delete, so a second delete restarts the time.
    pub serial: u32,
    pub on_undo: Callback<()>,
    /// The time ran out (or the person closed it).
    pub on_close: Callback<()>,
}

/// A polite live region with the message, an Undo button and a close button. It stays while
/// the pointer or the keyboard focus is in it, so nobody loses it while reaching for it.
#[function_component(UndoToast)]
pub fn undo_toast(props: &UndoToastProps) -> Html {
    let held = use_state(|| false);
    {
        let on_close = props.on_close.clone();
        use_effect_with((props.serial, *held), move |(_, held)| {
            let timer = (!*held).then(|| Timeout::new(UNDO_MS, move || on_close.emit(())));
            move || drop(timer)
        });
    }
    let hold = |on: bool| {
        let held = held.clone();
        Callback::from(move |_: FocusEvent| held.set(on))
    };
    let hover = |on: bool| {
        let held = held.clone();
        Callback::from(move |_: MouseEvent| held.set(on))
    };
    let undo = props.on_undo.reform(|_: MouseEvent| ());
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="undo-toast" role="status" onfocusin={hold(true)} onfocusout={hold(false)}
            onmouseenter={hover(true)} onmouseleave={hover(false)}>
            <p>{ props.message.clone() }</p>
            <button type="button" class="undo-button" onclick={undo}>{ "Undo" }</button>
            <button type="button" class="quiet undo-close" aria-label="Close" onclick={close}>
                <span aria-hidden="true">{ "×" }</span>
            </button>
        </div>
    }
}
