//! The console's overview: how many people in each role, pairs and cohorts.

use tandem_api::Role;
use yew::prelude::*;

use super::{TabProps, ended};
use crate::{
    route::{ConsoleTab, Route},
    ui::words::{count, plural},
};

#[function_component(Overview)]
pub(super) fn overview(props: &TabProps) -> Html {
    let view = &props.view;
    let in_role = |role: Role| view.people.iter().filter(|p| p.role == role).count();
    let active = view.pairs.iter().filter(|p| p.mentor_id.is_some() && p.associate_id.is_some()).count();
    let open_seat = view
        .pairs
        .iter()
        .filter(|p| !ended(p) && (p.mentor_id.is_none() || p.associate_id.is_none()))
        .count();
    let ended_pairs = view.pairs.iter().filter(|p| ended(p)).count();
    let no_cohort = view.pairs.iter().filter(|p| !ended(p) && p.cohort_id.is_none()).count();
    html! {
        <>
            <section aria-labelledby="overview-people">
                <h2 id="overview-people">{ "People and pairs" }</h2>
                <ul class="stats">
                    <li><strong>{ view.people.len() }</strong>{ format!(" {}", plural(view.people.len(), "person", "people")) }</li>
                    <li><strong>{ in_role(Role::Mentor) }</strong>{ format!(" {}", plural(in_role(Role::Mentor), "mentor", "mentors")) }</li>
                    <li><strong>{ in_role(Role::Associate) }</strong>{ format!(" {}", plural(in_role(Role::Associate), "associate", "associates")) }</li>
                    <li><strong>{ in_role(Role::Coordinator) }</strong>{ format!(" {}", plural(in_role(Role::Coordinator), "coordinator", "coordinators")) }</li>
                    <li><strong>{ active }</strong>{ format!(" {}", plural(active, "pair", "pairs")) }</li>
                </ul>
                if open_seat > 0 || ended_pairs > 0 {
                    <p class="meta">
                        { format!("Also {} with an empty seat and {} ended.", count(open_seat, "pair", "pairs"), count(ended_pairs, "pair", "pairs")) }
                    </p>
                }
            </section>
            <section aria-labelledby="overview-cohorts">
                <h2 id="overview-cohorts">{ "Cohorts" }</h2>
                if view.cohorts.is_empty() {
                    <p class="empty">{ "No cohorts yet. Cohorts group pairs that meet as a community; add them under Pairs and cohorts." }</p>
                } else {
                    <ul class="cards">
                        { for view.cohorts.iter().map(|cohort| {
                            let pairs = view.pairs.iter().filter(|p| !ended(p) && p.cohort_id.as_ref() == Some(&cohort.id)).count();
                            html! { <li class="card"><strong>{ cohort.name.clone() }</strong><p class="meta">{ count(pairs, "pair", "pairs") }</p></li> }
                        }) }
                    </ul>
                    if no_cohort > 0 {
                        <p class="meta">{ format!("{} in no cohort.", count(no_cohort, "pair", "pairs")) }</p>
                    }
                }
            </section>
            <p class="console-next">
                <a href={Route::Console(view.id.clone(), ConsoleTab::People).href()}>{ "Invite people or change roles" }</a>
                <a href={Route::Console(view.id.clone(), ConsoleTab::Pairs).href()}>{ "Set up pairs and cohorts" }</a>
            </p>
        </>
    }
}
