//! A pair's SMART goals: the builder with live hints, check-ins, wins, and how each goal ended.
//!
//! - [`card`]: an active goal as the two people edit it (the SMART builder, check-in and win
//!   forms, the ending controls).
//! - [`parts`]: the read-only pieces shared by every view (hints, the SMART summary, check-ins,
//!   wins, a whole goal shown without inputs).
//!
//! The screen holds no copy of the document: it renders the [`Goals`] the host read last and
//! emits edits ([`GoalEdit`]); the host applies them with `tandem_core::edit::goals::apply`,
//! commits in batches and hands back the re-read record.

pub mod card;
pub mod parts;
#[cfg(test)]
mod tests;

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

use tandem_core::{
    Goals, UserId,
    edit::goals::{GoalEdit, GoalInit},
    model::{Date, Goal, GoalStatus},
};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::{ids::new_item_id, screens::People};

#[derive(Properties, PartialEq, Debug)]
pub struct GoalsScreenProps {
    /// The goals document's id: keeps element ids unique when two documents are on one page.
    pub doc_id: AttrValue,
    /// The record as read now (re-read by the host after each edit and remote change).
    pub goals: Rc<Goals>,
    pub me: UserId,
    pub people: People,
    /// Today where the person is, for the due-date check.
    pub today: Date,
    pub on_edit: Callback<GoalEdit>,
    #[prop_or_default]
    pub readonly: bool,
}

/// The id of a goal's element `part` (`title`, `baseline`, `article`, ...), unique on the page.
pub fn field_id(doc_id: &str, goal: &str, part: &str) -> String {
    format!("goal-{doc_id}-{goal}-{part}")
}

/// "Untitled goal" for a goal whose title is still blank.
pub fn display_title(goal: &Goal) -> String {
    let title = goal.title.trim();
    if title.is_empty() { "Untitled goal".to_owned() } else { title.to_owned() }
}

/// Asks for an element to get the keyboard focus once it exists (after the host has applied the
/// edit that creates it and re-rendered). Shared by the whole screen through [`FocusLater`].
#[derive(Clone, Default)]
pub struct FocusLater(Rc<RefCell<Option<(String, u8)>>>);

impl PartialEq for FocusLater {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for FocusLater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FocusLater")
    }
}

impl FocusLater {
    /// Focus the element with this id after the next render that shows it.
    pub fn request(&self, id: String) {
        *self.0.borrow_mut() = Some((id, 0));
        // It may already be there (a form that is shown by this same click is not; a goal that
        // arrives with the host's next render is not): try once the current event is handled.
        let this = self.clone();
        gloo_timers::callback::Timeout::new(0, move || this.try_now()).forget();
    }

    /// Focuses the requested element if it is on the page; gives up after a few renders (the edit
    /// that would have created it failed).
    pub(crate) fn try_now(&self) {
        let Some((id, tries)) = self.0.borrow().clone() else { return };
        if focus_by_id(&id) || tries >= 5 {
            *self.0.borrow_mut() = None;
        } else {
            *self.0.borrow_mut() = Some((id, tries + 1));
        }
    }
}

/// Moves the keyboard focus to an element and brings it into view; false when it is not there.
pub fn focus_by_id(id: &str) -> bool {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(element) => {
            let _ = element.focus();
            element.scroll_into_view_with_bool(false);
            true
        }
        None => false,
    }
}

#[function_component(GoalsScreen)]
pub fn goals_screen(props: &GoalsScreenProps) -> Html {
    let focus = use_memo((), |_| FocusLater::default());
    {
        let focus = (*focus).clone();
        use_effect(move || focus.try_now());
    }

    let titles: Rc<BTreeMap<String, String>> =
        Rc::new(props.goals.goals.iter().map(|g| (g.id.clone(), display_title(g))).collect());
    let (active, finished): (Vec<&Goal>, Vec<&Goal>) =
        props.goals.goals.iter().partition(|g| g.status == GoalStatus::Active);

    let new_goal = {
        let (on_edit, focus, doc_id) = (props.on_edit.clone(), (*focus).clone(), props.doc_id.clone());
        Callback::from(move |_: MouseEvent| {
            let id = new_item_id();
            focus.request(field_id(&doc_id, &id, "title"));
            on_edit.emit(GoalEdit::AddGoal { id, goal: GoalInit::default() });
        })
    };

    let heading_id = format!("goals-{}-heading", props.doc_id);
    let count = match (active.len(), finished.len()) {
        (0, 0) => String::new(),
        (a, 0) => format!("{a} active"),
        (a, f) => format!("{a} active, {f} finished"),
    };
    html! {
        <section class="goals-screen" aria-labelledby={heading_id.clone()}>
            <div class="goals-top">
                <div>
                    <h2 id={heading_id}>{ "Goals" }</h2>
                    if !count.is_empty() {
                        <p class="goals-count">{ count }</p>
                    }
                </div>
                if !props.readonly {
                    <button type="button" class="goal-btn goal-btn-primary" onclick={new_goal}>
                        <span aria-hidden="true" class="goal-btn-icon">{ "+" }</span>{ "New goal" }
                    </button>
                }
            </div>
            if props.goals.goals.is_empty() {
                <p class="goals-empty">
                    { "No goals yet. " }
                    if !props.readonly {
                        { "Start with one thing you want to see change in the classroom: choose “New goal”." }
                    }
                </p>
            }
            { for active.iter().map(|goal| {
                let key = goal.id.clone();
                if props.readonly {
                    html! {
                        <parts::ReadonlyGoal key={key} doc_id={props.doc_id.clone()} goal={(*goal).clone()}
                            people={props.people.clone()} today={props.today} titles={titles.clone()} />
                    }
                } else {
                    html! {
                        <card::ActiveGoal key={key} doc_id={props.doc_id.clone()} goal={(*goal).clone()}
                            people={props.people.clone()} today={props.today}
                            on_edit={props.on_edit.clone()} focus={(*focus).clone()} />
                    }
                }
            }) }
            if !finished.is_empty() {
                <h3 class="goals-finished-heading">{ "Finished goals" }</h3>
                { for finished.iter().map(|goal| html! {
                    <parts::FinishedGoal key={goal.id.clone()} doc_id={props.doc_id.clone()}
                        goal={(*goal).clone()} people={props.people.clone()} today={props.today}
                        titles={titles.clone()} />
                }) }
            }
        </section>
    }
}
