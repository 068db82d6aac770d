//! The console's Progress tab: what the program's pairs have shared, as pictures. Observations per
//! pair per month, goals by status per pair, check-ins per month, drawn as SVG from
//! `GET /api/programs/{program}/progress` (counts and statuses only: the relay never sends a
//! coordinator a draft, a private note or a word of any record).
//!
//! Each chart is a `<figure>` with a caption; the drawing itself is hidden from screen readers,
//! which read the same figures from a visually hidden table beside it.

use std::rc::Rc;

use tandem_api::{GoalCounts, Month, MonthCount, PairProgress, ProgramProgress};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::{
    api,
    route::{ConsoleTab, Route},
    ui::words::count,
};

/// The drawings' width in SVG units; they scale to the page's width (about 990 px at 1024 and
/// 1280 px, the page's reading width), so one unit is about one pixel.
const WIDTH: f64 = 960.0;
/// Room for the pairs' names left of the bars.
const LABEL_WIDTH: f64 = 250.0;
/// Longer names are cut in the drawing (the table has them whole).
const LABEL_CHARS: usize = 32;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(month: Month) -> &'static str {
    MONTH_NAMES[usize::from(month.month.clamp(1, 12) - 1)]
}

/// "November 2026".
fn month_long(month: Month) -> String {
    format!("{} {}", month_name(month), month.year)
}

/// A pair as the console names it: the people in its seats now.
fn pair_name(pair: &PairProgress) -> String {
    match (&pair.mentor_name, &pair.associate_name) {
        (Some(mentor), Some(associate)) => format!("{mentor} & {associate}"),
        (Some(mentor), None) => format!("{mentor} & an empty seat"),
        (None, Some(associate)) => format!("An empty seat & {associate}"),
        (None, None) => "An ended pair".to_owned(),
    }
}

fn short(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        name.to_owned()
    } else {
        name.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
    }
}

fn count_in(counts: &[MonthCount], month: Month) -> u32 {
    counts.iter().filter(|c| c.month == month).map(|c| c.count).sum()
}

fn total(counts: &[MonthCount]) -> u32 {
    counts.iter().map(|c| c.count).sum()
}

/// The goal statuses in the order they are stacked, with their words and CSS classes.
const STATUSES: [(&str, &str); 4] =
    [("Active", "active"), ("Achieved", "achieved"), ("Reworked", "reworked"), ("Dropped", "dropped")];

fn by_status(goals: &GoalCounts) -> [u32; 4] {
    [goals.active, goals.achieved, goals.reworked, goals.dropped]
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(Rc<ProgramProgress>),
    Failed(String),
}

#[derive(Properties, PartialEq, Debug)]
pub(super) struct ProgressProps {
    pub program: String,
}

#[function_component(ProgressTab)]
pub(super) fn progress_tab(props: &ProgressProps) -> Html {
    let load = use_state(|| Load::Loading);
    let version = use_state(|| 0u32);
    {
        let load = load.clone();
        use_effect_with((props.program.clone(), *version), move |(program, _)| {
            let program = program.clone();
            load.set(Load::Loading);
            spawn_local(async move {
                load.set(match api::progress(&program).await {
                    Ok(progress) => Load::Loaded(Rc::new(progress)),
                    Err(e) => Load::Failed(super::problem(&e)),
                });
            });
        });
    }
    let progress = match &*load {
        Load::Loading => {
            return html! { <p class="hint" role="status">{ "Counting the pairs' records on the school's server…" }</p> };
        }
        Load::Failed(message) => {
            let retry = {
                let version = version.clone();
                Callback::from(move |_: MouseEvent| version.set(*version + 1))
            };
            return html! {
                <section>
                    <h2>{ "Progress could not be counted" }</h2>
                    <p class="problem" role="alert">{ message.clone() }</p>
                    <button type="button" onclick={retry}>{ "Try again" }</button>
                </section>
            };
        }
        Load::Loaded(progress) => progress.clone(),
    };

    let intro = html! {
        <p class="hint">
            { "What each pair has shared, counted: observations, goals and check-ins. Drafts and mentors' private notes are never counted, and no record's words are shown here. Months are calendar months in UTC." }
        </p>
    };
    if progress.pairs.is_empty() {
        return html! {
            <>
                { intro }
                <p class="empty">
                    { "This program has no pairs yet, so there is nothing to count. " }
                    <a href={Route::Console(progress.program_id.clone(), ConsoleTab::Pairs).href()}>{ "Set up pairs" }</a>
                </p>
            </>
        };
    }
    let anything = !progress.months.is_empty() || progress.pairs.iter().any(|p| p.goals.total() > 0);
    if !anything {
        return html! {
            <>
                { intro }
                <p class="empty">
                    { format!("Nothing to count yet: none of the program's {} has shared an observation or set a goal. The charts appear here once they do.", count(progress.pairs.len(), "pair", "pairs")) }
                </p>
            </>
        };
    }
    html! {
        <div class="progress">
            { intro }
            <ObservationsChart progress={progress.clone()} />
            <GoalsChart progress={progress.clone()} />
            <CheckinsChart progress={progress} />
        </div>
    }
}

#[derive(Properties, PartialEq, Debug)]
struct ChartProps {
    progress: Rc<ProgramProgress>,
}

/// Where each month's column sits along the plot, from `left` to the drawing's right edge.
struct Columns {
    left: f64,
    width: f64,
}

impl Columns {
    fn new(left: f64, n: usize) -> Self {
        Columns { left, width: (WIDTH - 12.0 - left) / n.max(1) as f64 }
    }

    fn centre(&self, i: usize) -> f64 {
        self.left + self.width * (i as f64 + 0.5)
    }

    fn bar(&self) -> f64 {
        (self.width * 0.6).min(44.0)
    }

    /// The months' names under the columns: the month, with the year under January and the
    /// first column; every other one when there are too many to fit.
    fn labels(&self, months: &[Month], y: f64) -> Html {
        let step = if self.width < 40.0 { 2 } else { 1 };
        html! {
            { for months.iter().enumerate().filter(|(i, _)| i % step == 0).map(|(i, month)| {
                let x = format!("{:.1}", self.centre(i));
                let year = (i == 0 || month.month == 1).then(|| month.year.to_string());
                html! {
                    <text class="axis" x={x.clone()} y={format!("{y:.1}")} text-anchor="middle">
                        { &month_name(*month)[..3] }
                        if let Some(year) = year {
                            <tspan x={x} dy="16">{ year }</tspan>
                        }
                    </text>
                }
            }) }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Observations per pair per month: one row of bars per pair, all to one scale.

#[function_component(ObservationsChart)]
fn observations_chart(props: &ChartProps) -> Html {
    let progress = &props.progress;
    let months = &progress.months;
    const ROW: f64 = 52.0;
    const TOP: f64 = 8.0;
    let columns = Columns::new(LABEL_WIDTH, months.len());
    let max = progress.pairs.iter().flat_map(|p| p.observations.iter().map(|c| c.count)).max().unwrap_or(0);
    let height = TOP + ROW * progress.pairs.len() as f64 + 40.0;
    let all: u32 = progress.pairs.iter().map(|p| total(&p.observations)).sum();
    html! {
        <section aria-labelledby="progress-observations" class="chart-section">
            <h2 id="progress-observations">{ "Observations per pair" }</h2>
            <figure class="chart">
                if months.is_empty() || all == 0 {
                    <p class="empty">{ "No observation has been shared yet." }</p>
                } else {
                    <svg viewBox={format!("0 0 {WIDTH} {height:.0}")} aria-hidden="true" focusable="false">
                        { for progress.pairs.iter().enumerate().map(|(row, pair)| {
                            let base = TOP + ROW * (row as f64 + 1.0) - 6.0;
                            html! {
                                <g>
                                    <text class="label" x="0" y={format!("{:.1}", base - 10.0)}>{ short(&pair_name(pair)) }</text>
                                    <line class="baseline" x1={LABEL_WIDTH.to_string()} x2={(WIDTH - 12.0).to_string()}
                                        y1={format!("{base:.1}")} y2={format!("{base:.1}")} />
                                    { for months.iter().enumerate().map(|(i, month)| {
                                        let n = count_in(&pair.observations, *month);
                                        let h = if max == 0 { 0.0 } else { f64::from(n) / f64::from(max) * (ROW - 24.0) };
                                        let x = columns.centre(i);
                                        html! {
                                            if n > 0 {
                                                <rect class="bar observations" x={format!("{:.1}", x - columns.bar() / 2.0)}
                                                    y={format!("{:.1}", base - h)} width={format!("{:.1}", columns.bar())}
                                                    height={format!("{h:.1}")} rx="2" />
                                                <text class="value" x={format!("{x:.1}")} y={format!("{:.1}", base - h - 4.0)}
                                                    text-anchor="middle">{ n }</text>
                                            }
                                        }
                                    }) }
                                </g>
                            }
                        }) }
                        { columns.labels(months, height - 24.0) }
                    </svg>
                }
                <figcaption>
                    { format!("{} shared in all, by the month of the lesson. Each bar is one pair's observations in one month, all bars to the same scale.", count(all as usize, "observation", "observations")) }
                </figcaption>
                <table class="visually-hidden">
                    <caption>{ "Observations shared per pair per month" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Pair" }</th>
                            { for months.iter().map(|m| html! { <th scope="col">{ month_long(*m) }</th> }) }
                            <th scope="col">{ "Total" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for progress.pairs.iter().map(|pair| html! {
                            <tr>
                                <th scope="row">{ pair_name(pair) }</th>
                                { for months.iter().map(|m| html! { <td>{ count_in(&pair.observations, *m) }</td> }) }
                                <td>{ total(&pair.observations) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </figure>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Goals by status: one stacked bar per pair.

#[function_component(GoalsChart)]
fn goals_chart(props: &ChartProps) -> Html {
    let progress = &props.progress;
    const ROW: f64 = 40.0;
    const BAR: f64 = 26.0;
    let right = WIDTH - 60.0;
    let max = progress.pairs.iter().map(|p| p.goals.total()).max().unwrap_or(0);
    let height = ROW * progress.pairs.len() as f64 + 8.0;
    let scale = |n: u32| if max == 0 { 0.0 } else { f64::from(n) / f64::from(max) * (right - LABEL_WIDTH) };
    let mut sums = [0u32; 4];
    for pair in &progress.pairs {
        for (sum, n) in sums.iter_mut().zip(by_status(&pair.goals)) {
            *sum += n;
        }
    }
    let all: u32 = sums.iter().sum();
    let summary = STATUSES
        .iter()
        .zip(sums)
        .map(|((word, _), n)| format!("{n} {}", word.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <section aria-labelledby="progress-goals" class="chart-section">
            <h2 id="progress-goals">{ "Goals by status" }</h2>
            <figure class="chart">
                if all == 0 {
                    <p class="empty">{ "No pair has set a goal yet." }</p>
                } else {
                    <ul class="legend" aria-hidden="true">
                        { for STATUSES.iter().map(|(word, class)| html! {
                            <li><span class={classes!("swatch", *class)}></span>{ *word }</li>
                        }) }
                    </ul>
                    <svg viewBox={format!("0 0 {WIDTH} {height:.0}")} aria-hidden="true" focusable="false">
                        { for progress.pairs.iter().enumerate().map(|(row, pair)| {
                            let top = 4.0 + ROW * row as f64;
                            let mut x = LABEL_WIDTH;
                            let segments = STATUSES.iter().zip(by_status(&pair.goals)).filter(|(_, n)| *n > 0).map(|((_, class), n)| {
                                let w = scale(n);
                                let start = x;
                                x += w;
                                html! {
                                    <>
                                        <rect class={classes!("bar", *class)} x={format!("{start:.1}")} y={format!("{top:.1}")}
                                            width={format!("{:.1}", (w - 1.0).max(1.0))} height={BAR.to_string()} />
                                        if w >= 22.0 {
                                            <text class="in-bar" x={format!("{:.1}", start + w / 2.0)} y={format!("{:.1}", top + BAR / 2.0 + 5.0)}
                                                text-anchor="middle">{ n }</text>
                                        }
                                    </>
                                }
                            }).collect::<Html>();
                            html! {
                                <g>
                                    <text class="label" x="0" y={format!("{:.1}", top + BAR / 2.0 + 5.0)}>{ short(&pair_name(pair)) }</text>
                                    { segments }
                                    <text class="value" x={format!("{:.1}", LABEL_WIDTH + scale(pair.goals.total()) + 8.0)}
                                        y={format!("{:.1}", top + BAR / 2.0 + 5.0)}>{ pair.goals.total() }</text>
                                </g>
                            }
                        }) }
                    </svg>
                }
                <figcaption>
                    { format!("{} in all: {summary}. Each bar is one pair's goals, split by status; the number after it is the pair's total.", count(all as usize, "goal", "goals")) }
                </figcaption>
                <table class="visually-hidden">
                    <caption>{ "Goals by status per pair" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Pair" }</th>
                            { for STATUSES.iter().map(|(word, _)| html! { <th scope="col">{ *word }</th> }) }
                            <th scope="col">{ "Total" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for progress.pairs.iter().map(|pair| html! {
                            <tr>
                                <th scope="row">{ pair_name(pair) }</th>
                                { for by_status(&pair.goals).into_iter().map(|n| html! { <td>{ n }</td> }) }
                                <td>{ pair.goals.total() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </figure>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Check-ins over time: the whole program's check-ins per month.

#[function_component(CheckinsChart)]
fn checkins_chart(props: &ChartProps) -> Html {
    let progress = &props.progress;
    let months = &progress.months;
    const PLOT: f64 = 150.0;
    const TOP: f64 = 24.0;
    let per_month: Vec<u32> =
        months.iter().map(|m| progress.pairs.iter().map(|p| count_in(&p.checkins, *m)).sum()).collect();
    let max = per_month.iter().copied().max().unwrap_or(0);
    let all: u32 = per_month.iter().sum();
    let columns = Columns::new(40.0, months.len());
    let base = TOP + PLOT;
    html! {
        <section aria-labelledby="progress-checkins" class="chart-section">
            <h2 id="progress-checkins">{ "Check-ins over time" }</h2>
            <figure class="chart">
                if all == 0 {
                    <p class="empty">{ "No check-in on a goal yet." }</p>
                } else {
                    <svg viewBox={format!("0 0 {WIDTH} {:.0}", base + 44.0)} aria-hidden="true" focusable="false">
                        <line class="baseline" x1="40" x2={(WIDTH - 12.0).to_string()} y1={base.to_string()} y2={base.to_string()} />
                        { for per_month.iter().enumerate().map(|(i, n)| {
                            let h = if max == 0 { 0.0 } else { f64::from(*n) / f64::from(max) * PLOT };
                            let x = columns.centre(i);
                            html! {
                                if *n > 0 {
                                    <rect class="bar checkins" x={format!("{:.1}", x - columns.bar() / 2.0)} y={format!("{:.1}", base - h)}
                                        width={format!("{:.1}", columns.bar())} height={format!("{h:.1}")} rx="2" />
                                    <text class="value" x={format!("{x:.1}")} y={format!("{:.1}", base - h - 6.0)} text-anchor="middle">{ *n }</text>
                                }
                            }
                        }) }
                        { columns.labels(months, base + 20.0) }
                    </svg>
                }
                <figcaption>
                    { format!("{} on the pairs' goals in all, by the month they were made.", count(all as usize, "check-in", "check-ins")) }
                </figcaption>
                <table class="visually-hidden">
                    <caption>{ "Check-ins per month" }</caption>
                    <thead>
                        <tr><th scope="col">{ "Month" }</th><th scope="col">{ "Check-ins" }</th></tr>
                    </thead>
                    <tbody>
                        { for months.iter().zip(&per_month).map(|(m, n)| html! {
                            <tr><th scope="row">{ month_long(*m) }</th><td>{ *n }</td></tr>
                        }) }
                    </tbody>
                </table>
            </figure>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn pairs_are_named_by_their_seats_and_long_names_are_cut_only_in_the_drawing() {
        let mut pair = PairProgress {
            pair_id: "p".into(),
            mentor_name: Some("Grace".into()),
            associate_name: Some("Mei".into()),
            observations: vec![],
            goals: GoalCounts::default(),
            checkins: vec![],
        };
        assert_eq!(pair_name(&pair), "Grace & Mei");
        pair.associate_name = None;
        assert_eq!(pair_name(&pair), "Grace & an empty seat");
        pair.mentor_name = None;
        assert_eq!(pair_name(&pair), "An ended pair");
        let long = "Maximiliana Featherstonehaugh & Bartholomew Ashworth-Smythe";
        assert_eq!(short(long).chars().count(), LABEL_CHARS);
        assert!(short(long).ends_with('…'));
        assert_eq!(month_long(Month { year: 2027, month: 1 }), "January 2027");
    }
}
