//! "Needs agreement": fields that two people set at the same time to different values (a status,
//! a goal's due date, baseline, target or successor). The app never picks one silently: each value
//! is shown with who gave it, and a person chooses: the screen emits that choice as a
//! `tandem_core::edit::Agreement`, and the host writes it with `tandem_core::edit::resolve`, which
//! supersedes every claim on every device.

use std::{collections::BTreeMap, rc::Rc};

use tandem_core::{
    conflict::{Claim, Conflict, Field},
    edit::Agreement,
};
use yew::prelude::*;

use crate::{screens::People, ui::time::clock};

#[derive(Properties, PartialEq, Debug)]
pub struct NeedsAgreementProps {
    /// From `tandem_core::conflict::{observation, goals}`.
    pub conflicts: Rc<Vec<Conflict>>,
    pub people: People,
    /// Names what a field is about for people, e.g. the goal's title for `Field::GoalStatus{goal}`.
    pub goal_titles: Rc<BTreeMap<String, String>>,
    /// The person chose one of the values claimed for a field.
    pub on_resolve: Callback<Agreement>,
}

/// What a conflicted field is, in words: "Status of the goal “Wait time”".
pub fn field_words(field: &Field, goal_titles: &BTreeMap<String, String>) -> String {
    let of_goal = |what: &str, goal: &str| match goal_titles.get(goal).map(|t| t.trim()) {
        Some(title) if !title.is_empty() => format!("{what} of the goal “{title}”"),
        _ => format!("{what} of a goal"),
    };
    match field {
        Field::ObservationStatus => "Status of the observation".to_owned(),
        Field::GoalStatus { goal } => of_goal("Status", goal),
        Field::GoalDue { goal } => of_goal("Due date", goal),
        Field::GoalBaseline { goal } => of_goal("Baseline", goal),
        Field::GoalTarget { goal } => of_goal("Target", goal),
        Field::GoalReworkedInto { goal } => of_goal("Successor", goal),
        Field::StageStatus => "Whether the associate moves on to the next stage".to_owned(),
        Field::StageProposed => "The stage proposed".to_owned(),
        Field::StageCurrent => "The associate's stage".to_owned(),
    }
}

/// A claimed value in words: `null` (a cleared field) reads "cleared", a successor goal's id reads
/// as that goal's title.
pub fn value_words(field: &Field, claim: &Claim, goal_titles: &BTreeMap<String, String>) -> String {
    if claim.value.is_cleared() {
        return "cleared".to_owned();
    }
    let text = claim.text();
    if let Field::GoalReworkedInto { .. } = field
        && let Some(title) = goal_titles.get(&text)
    {
        return format!("“{title}”");
    }
    if text.trim().is_empty() { "empty".to_owned() } else { text }
}

/// A stable element id for a field's card.
fn card_id(field: &Field) -> String {
    let slug: String =
        field.to_string().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("agree-{slug}")
}

#[function_component(NeedsAgreement)]
pub fn needs_agreement(props: &NeedsAgreementProps) -> Html {
    if props.conflicts.is_empty() {
        return html! {
            <section class="agreement agreement-empty" aria-label="Needs agreement">
                <p class="agreement-none">
                    <span class="agreement-ok-icon" aria-hidden="true">{ "✓" }</span>
                    { "Nothing needs agreement." }
                </p>
            </section>
        };
    }
    let count = props.conflicts.len();
    html! {
        <section class="agreement" aria-labelledby="agreement-heading">
            <h2 id="agreement-heading">
                <span class="agreement-icon" aria-hidden="true">{ "⇄" }</span>
                { "Needs agreement" }
                <span class="agreement-count">{ format!(" ({count})") }</span>
            </h2>
            <p class="hint">
                { "You both changed these at the same time, offline. Talk it through, then choose the one you agree on." }
            </p>
            { for props.conflicts.iter().map(|conflict| {
                let id = card_id(&conflict.field);
                let heading_id = format!("{id}-heading");
                html! {
                    <article class="agreement-card" key={id.clone()} aria-labelledby={heading_id.clone()}>
                        <h3 id={heading_id}>{ field_words(&conflict.field, &props.goal_titles) }</h3>
                        <ul class="agreement-claims">
                            { for conflict.claims.iter().map(|claim| {
                                let words = value_words(&conflict.field, claim, &props.goal_titles);
                                let who = claim.by.as_ref().map_or_else(|| "Someone using another app".to_owned(), |u| props.people.name(u));
                                let when = claim.at.map(|at| format!(" ({})", clock(at))).unwrap_or_default();
                                let onclick = {
                                    let (on_resolve, field, value) =
                                        (props.on_resolve.clone(), conflict.field.clone(), claim.value.clone());
                                    Callback::from(move |_: MouseEvent| {
                                        on_resolve.emit(Agreement { field: field.clone(), value: value.clone() })
                                    })
                                };
                                html! {
                                    <li class="agreement-claim">
                                        <p><strong>{ who }</strong>{ " said " }<strong class="agreement-value">{ words.clone() }</strong>{ when }</p>
                                        <button type="button" class="goal-btn" {onclick}>{ format!("Agree on {words}") }</button>
                                    </li>
                                }
                            }) }
                        </ul>
                    </article>
                }
            }) }
        </section>
    }
}
