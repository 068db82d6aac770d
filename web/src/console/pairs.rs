//! The console's pairs and cohorts: create a pair, add a cohort, reseat, end.

use tandem_api::{NewPair, Pair, PairChange, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{TabProps, ended, input_value, problem, seat_name, select_value};
use crate::api::{self, ApiError};

#[function_component(PairsTab)]
pub(super) fn pairs_tab(props: &TabProps) -> Html {
    let view = props.view.clone();
    let error = use_state(|| None::<String>);
    let reseating = use_state(|| None::<String>);
    let ending = use_state(|| None::<Pair>);
    let (mentor, associate, cohort, cohort_name) =
        (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let (new_mentor, new_associate) = (use_node_ref(), use_node_ref());

    let in_role = |role: Role| view.people.iter().filter(move |p| p.role == role);
    let options = |role: Role, selected: Option<&String>| {
        html! {
            { for in_role(role).map(|p| html! {
                <option value={p.person.id.clone()} selected={selected == Some(&p.person.id)}>{ p.person.name.clone() }</option>
            }) }
        }
    };
    let cohort_name_of = |id: &Option<String>| {
        id.as_ref().map_or("No cohort".to_owned(), |id| {
            view.cohorts.iter().find(|c| &c.id == id).map_or("No cohort".to_owned(), |c| c.name.clone())
        })
    };
    // Whatever an action did, the console shows the program as the relay has it now.
    let finish = {
        let (error, reload) = (error.clone(), props.reload.clone());
        move |result: Result<(), ApiError>| {
            error.set(result.err().map(|e| problem(&e)));
            reload.emit(());
        }
    };

    let create_pair = {
        let (mentor, associate, cohort, program, finish) =
            (mentor.clone(), associate.clone(), cohort.clone(), view.id.clone(), finish.clone());
        let error = error.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (mentor_id, associate_id) = (select_value(&mentor), select_value(&associate));
            if mentor_id.is_empty() || associate_id.is_empty() {
                error.set(Some("Choose a mentor and an associate for the pair.".to_owned()));
                return;
            }
            let cohort_id = Some(select_value(&cohort)).filter(|c| !c.is_empty());
            let pair = NewPair { id: None, mentor_id, associate_id, cohort_id };
            let (program, finish) = (program.clone(), finish.clone());
            spawn_local(async move { finish(api::add_pair(&program, &pair).await.map(|_| ())) });
        })
    };
    let add_cohort = {
        let (cohort_name, program, finish, error) =
            (cohort_name.clone(), view.id.clone(), finish.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = input_value(&cohort_name).trim().to_owned();
            if name.is_empty() {
                error.set(Some("Give the cohort a name.".to_owned()));
                return;
            }
            if let Some(input) = cohort_name.cast::<HtmlInputElement>() {
                input.set_value("");
            }
            let (program, finish) = (program.clone(), finish.clone());
            spawn_local(async move { finish(api::add_cohort(&program, &name).await.map(|_| ())) });
        })
    };
    let save_seats = {
        let (new_mentor, new_associate, reseating, finish) =
            (new_mentor.clone(), new_associate.clone(), reseating.clone(), finish.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(pair) = (*reseating).clone() else { return };
            let seat = |node: &NodeRef| Some(Some(select_value(node)).filter(|v| !v.is_empty()));
            let change = PairChange { mentor_id: seat(&new_mentor), associate_id: seat(&new_associate) };
            reseating.set(None);
            let finish = finish.clone();
            spawn_local(async move { finish(api::change_pair(&pair, &change).await.map(|_| ())) });
        })
    };
    let end_pair = {
        let (ending, finish) = (ending.clone(), finish.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(pair) = (*ending).clone() else { return };
            ending.set(None);
            let change = PairChange { mentor_id: Some(None), associate_id: Some(None) };
            let finish = finish.clone();
            spawn_local(async move { finish(api::change_pair(&pair.id, &change).await.map(|_| ())) });
        })
    };
    let title = |pair: &Pair| {
        format!("{} & {}", seat_name(&view, &pair.mentor_id), seat_name(&view, &pair.associate_id))
    };
    let can_pair = in_role(Role::Mentor).next().is_some() && in_role(Role::Associate).next().is_some();

    html! {
        <>
            if let Some(message) = &*error {
                <p class="problem" role="alert">{ message.clone() }</p>
            }
            <div class="console-columns">
                <section aria-labelledby="new-pair-title" class="panel">
                    <h2 id="new-pair-title">{ "New pair" }</h2>
                    if can_pair {
                        <form onsubmit={create_pair} novalidate=true>
                            <div class="field">
                                <label for="pair-mentor">{ "Mentor" }</label>
                                <select id="pair-mentor" ref={mentor}>{ options(Role::Mentor, None) }</select>
                            </div>
                            <div class="field">
                                <label for="pair-associate">{ "Associate" }</label>
                                <select id="pair-associate" ref={associate}>{ options(Role::Associate, None) }</select>
                            </div>
                            <div class="field">
                                <label for="pair-cohort">{ "Cohort" }</label>
                                <select id="pair-cohort" ref={cohort}>
                                    <option value="">{ "No cohort" }</option>
                                    { for view.cohorts.iter().map(|c| html! { <option value={c.id.clone()}>{ c.name.clone() }</option> }) }
                                </select>
                            </div>
                            <button type="submit" class="primary">{ "Create pair" }</button>
                        </form>
                    } else {
                        <p class="empty">{ "A pair needs a mentor and an associate of the program: invite them under People first." }</p>
                    }
                </section>
                <section aria-labelledby="cohorts-title" class="panel">
                    <h2 id="cohorts-title">{ "Cohorts" }</h2>
                    if view.cohorts.is_empty() {
                        <p class="empty">{ "No cohorts yet." }</p>
                    } else {
                        <ul class="plain">
                            { for view.cohorts.iter().map(|c| html! { <li>{ c.name.clone() }</li> }) }
                        </ul>
                    }
                    <form onsubmit={add_cohort} novalidate=true>
                        <div class="field">
                            <label for="cohort-name">{ "New cohort's name" }</label>
                            <input id="cohort-name" ref={cohort_name} type="text" autocomplete="off" />
                        </div>
                        <button type="submit">{ "Add cohort" }</button>
                    </form>
                </section>
            </div>
            <section aria-labelledby="pairs-list-title">
                <h2 id="pairs-list-title">{ "Pairs" }</h2>
                if view.pairs.is_empty() {
                    <p class="empty">{ "No pairs yet." }</p>
                } else {
                    <table class="console-table">
                        <thead><tr>
                            <th scope="col">{ "Mentor" }</th><th scope="col">{ "Associate" }</th>
                            <th scope="col">{ "Cohort" }</th><th scope="col">{ "State" }</th>
                            <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr></thead>
                        <tbody>
                            { for view.pairs.iter().map(|pair| {
                                let state = if ended(pair) { "Ended" } else if pair.mentor_id.is_none() || pair.associate_id.is_none() { "Seat empty" } else { "Active" };
                                let editing = reseating.as_deref() == Some(pair.id.as_str());
                                html! {
                                    <>
                                    <tr>
                                        <td>{ seat_name(&view, &pair.mentor_id) }</td>
                                        <td>{ seat_name(&view, &pair.associate_id) }</td>
                                        <td>{ cohort_name_of(&pair.cohort_id) }</td>
                                        <td>{ state }</td>
                                        <td class="row-actions">
                                            <button type="button" aria-expanded={if editing { "true" } else { "false" }}
                                                onclick={let (r, id) = (reseating.clone(), pair.id.clone()); move |_| r.set(if editing { None } else { Some(id.clone()) })}>
                                                { "Reseat" }<span class="visually-hidden">{ format!(" {}", title(pair)) }</span>
                                            </button>
                                            if !ended(pair) {
                                                <button type="button" class="danger"
                                                    onclick={let (e, p) = (ending.clone(), pair.clone()); move |_| e.set(Some(p.clone()))}>
                                                    { "End" }<span class="visually-hidden">{ format!(" {}", title(pair)) }</span>
                                                </button>
                                            }
                                        </td>
                                    </tr>
                                    if editing {
                                        <tr class="reseat">
                                            <td colspan="5">
                                                <form onsubmit={save_seats.clone()} class="inline-form" aria-label={format!("Seats of {}", title(pair))}>
                                                    <div class="field">
                                                        <label for="reseat-mentor">{ "Mentor" }</label>
                                                        <select id="reseat-mentor" ref={new_mentor.clone()}>
                                                            <option value="" selected={pair.mentor_id.is_none()}>{ "Empty seat" }</option>
                                                            { options(Role::Mentor, pair.mentor_id.as_ref()) }
                                                        </select>
                                                    </div>
                                                    <div class="field">
                                                        <label for="reseat-associate">{ "Associate" }</label>
                                                        <select id="reseat-associate" ref={new_associate.clone()}>
                                                            <option value="" selected={pair.associate_id.is_none()}>{ "Empty seat" }</option>
                                                            { options(Role::Associate, pair.associate_id.as_ref()) }
                                                        </select>
                                                    </div>
                                                    <button type="submit" class="primary">{ "Save seats" }</button>
                                                    <button type="button" onclick={let r = reseating.clone(); move |_| r.set(None)}>{ "Cancel" }</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                    </>
                                }
                            }) }
                        </tbody>
                    </table>
                }
            </section>
            if let Some(pair) = &*ending {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="end-title" aria-describedby="end-text">
                        <h2 id="end-title">{ format!("End the pair {}?", title(pair)) }</h2>
                        <p id="end-text">{ "Both seats become empty: neither of them sees the pair's records from then on. The records stay with the pair, and you can seat people in it again." }</p>
                        <div class="actions">
                            <button type="button" class="primary" autofocus=true
                                onclick={let e = ending.clone(); move |_| e.set(None)}>{ "Keep the pair" }</button>
                            <button type="button" class="danger" onclick={end_pair}>{ "End pair" }</button>
                        </div>
                    </div>
                </div>
            }
        </>
    }
}
