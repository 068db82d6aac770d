//! Who changed what, when: a document's history in words, newest first.
//!
//! Each change names the fields it touched with a short label (`notes/n1/text`,
//! `goals/g1/measure/target`, `status`); [`label_words`] turns a label into words people use. A
//! run of changes by one person with no more than ten minutes between them (typing commits every
//! few seconds) is shown as one entry.

use std::{collections::BTreeMap, rc::Rc};

use tandem_core::{Timestamp, UserId, history::HistoryEntry};
use yew::prelude::*;

use crate::{
    screens::People,
    ui::time::{clock, date_time, local_date},
};

/// Changes by the same person this close together are shown as one entry.
pub const GROUP_GAP_MS: i64 = 10 * 60 * 1000;

#[derive(Properties, PartialEq, Debug)]
pub struct HistoryProps {
    /// E.g. "History of this observation".
    pub title: AttrValue,
    /// `tandem_core::history::history(doc)`, in causal order.
    pub entries: Rc<Vec<HistoryEntry>>,
    pub people: People,
    /// Goal titles by goal id, to name goals ("goal “Wait time” target"); without them a goal
    /// reads "a goal".
    #[prop_or_default]
    pub goal_titles: Rc<BTreeMap<String, String>>,
}

/// A touched-field label in words: `notes/n1/text` → "a running note", `reflection` → "the
/// reflection", `goals/g1/measure/target` → "goal “Wait time” target". Unknown labels are returned
/// as they are.
/// The words for a record's first change.
const STARTED: &str = "started this record";

pub fn label_words(label: &str, goal_titles: &BTreeMap<String, String>) -> String {
    if let Some(field) = label.strip_suffix("/resolved") {
        return format!("{} (agreed)", label_words(field, goal_titles));
    }
    let parts: Vec<&str> = label.split('/').collect();
    let known: Option<String> = match parts.as_slice() {
        ["created"] => Some(STARTED.into()),
        ["status"] => Some("the status".into()),
        ["acknowledgements"] => Some("an acknowledgement of receipt".into()),
        ["reflection"] => Some("the reflection".into()),
        ["opening_strength"] => Some("the opening strength".into()),
        ["closing_strength"] => Some("the closing strength".into()),
        ["context", key] => Some(
            match *key {
                "date" => "the lesson date",
                "class" => "the class",
                "period" => "the period",
                "subject" => "the subject",
                "lesson_focus" => "the lesson focus",
                "watch_for" => "what to watch for",
                _ => "the lesson details",
            }
            .into(),
        ),
        ["notes", _] => Some("a new running note".into()),
        ["notes", _, "text"] => Some("a running note".into()),
        ["notes", _, "tags"] => Some("a running note's tags".into()),
        ["notes", _, "deleted"] => Some("a deleted running note".into()),
        ["notes", _, "restored"] => Some("a restored running note".into()),
        ["glows", _] => Some("a glow".into()),
        ["glows", _, "deleted"] => Some("a deleted glow".into()),
        ["glows", _, "restored"] => Some("a restored glow".into()),
        ["grows", _] => Some("a grow".into()),
        ["grows", _, "deleted"] => Some("a deleted grow".into()),
        ["grows", _, "restored"] => Some("a restored grow".into()),
        ["questions", _] => Some("a new question".into()),
        ["questions", _, "prompt"] => Some("a question".into()),
        ["questions", _, "answer"] => Some("the answer to a question".into()),
        ["questions", _, "deleted"] => Some("a deleted question".into()),
        ["questions", _, "restored"] => Some("a restored question".into()),
        ["next_steps", _] => Some("a next step".into()),
        ["next_steps", _, "goal"] => Some("a next step's goal".into()),
        ["next_steps", _, "deleted"] => Some("a deleted next step".into()),
        ["next_steps", _, "restored"] => Some("a restored next step".into()),
        ["entries", _] => Some("a private note".into()),
        ["entries", _, "deleted"] => Some("a deleted private note".into()),
        ["observations", _] => Some("the list of observations".into()),
        ["people", _] => Some("a person".into()),
        ["people", _, "name"] => Some("a person's name".into()),
        ["cohorts", _] => Some("a cohort".into()),
        ["pairs", _] => Some("a mentoring pair".into()),
        ["pairs", _, "cohort"] => Some("a pair's cohort".into()),
        ["pairs", _, "stage"] => Some("a pair's stage".into()),
        ["frameworks", _] => Some("the competency framework".into()),
        ["question_bank", _] => Some("the question bank".into()),
        ["question_bank", _, "deleted"] => Some("a question removed from the bank".into()),
        ["question_bank", _, "theme"] => Some("a bank question's theme".into()),
        ["question_bank", _, "retired"] => Some("a question retired from the bank".into()),
        ["question_bank", _, "restored"] => Some("a question offered again in the bank".into()),
        ["goals", goal, rest @ ..] => goal_words(goal, rest, goal_titles),
        _ => None,
    };
    known.unwrap_or_else(|| label.to_owned())
}

/// `goals/<goal>/<rest>` in words.
fn goal_words(goal: &str, rest: &[&str], goal_titles: &BTreeMap<String, String>) -> Option<String> {
    let title = goal_titles.get(goal).map(|t| t.trim()).filter(|t| !t.is_empty());
    if rest.is_empty() {
        return Some(title.map_or_else(|| "a new goal".to_owned(), |t| format!("new goal “{t}”")));
    }
    let what = match rest {
        ["title"] => "title",
        ["specific"] => "specifics",
        ["measure", "metric"] => "metric",
        ["measure", "baseline"] => "baseline",
        ["measure", "target"] => "target",
        ["realistic"] => "realistic note",
        ["due"] => "due date",
        ["status"] => "status",
        ["reworked_into"] => "successor",
        ["drop_reason"] => "reason for dropping",
        ["actions", _] => "action",
        ["actions", _, "done"] => "action done",
        ["actions", _, "deleted"] => "removed action",
        ["checkins", _] => "check-in",
        ["wins", _] => "win",
        _ => return None,
    };
    Some(match title {
        Some(t) => format!("goal “{t}” {what}"),
        None => format!("a goal's {what}"),
    })
}

/// A run of changes by one person, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub by: Option<UserId>,
    /// The oldest and newest change of the run.
    pub from: Timestamp,
    pub to: Timestamp,
    /// What the run touched, in words, each once, in the order first met (newest first).
    pub touched: Vec<String>,
    pub changes: usize,
}

/// Orders the entries newest first and joins runs of one person's changes no more than
/// [`GROUP_GAP_MS`] apart.
pub fn group(entries: &[HistoryEntry], goal_titles: &BTreeMap<String, String>) -> Vec<Group> {
    // Causal order is not time order across devices; a stable sort keeps causal order among equal
    // times.
    let mut newest_first: Vec<&HistoryEntry> = entries.iter().rev().collect();
    newest_first.sort_by_key(|e| std::cmp::Reverse(e.at));
    let mut groups: Vec<Group> = Vec::new();
    for entry in newest_first {
        let words = entry.touched.iter().map(|l| label_words(l, goal_titles));
        match groups.last_mut() {
            Some(g) if g.by == entry.by && g.from.0 - entry.at.0 <= GROUP_GAP_MS => {
                g.from = entry.at;
                g.changes += 1;
                for w in words {
                    if !g.touched.contains(&w) {
                        g.touched.push(w);
                    }
                }
            }
            _ => {
                let mut touched: Vec<String> = Vec::new();
                for w in words {
                    if !touched.contains(&w) {
                        touched.push(w);
                    }
                }
                groups.push(Group {
                    by: entry.by.clone(),
                    from: entry.at,
                    to: entry.at,
                    touched,
                    changes: 1,
                });
            }
        }
    }
    groups
}

/// "11/22/2026 09:41", or "11/22/2026 09:30–09:41" for a run within one day (in en-US).
fn when(group: &Group) -> Html {
    if clock(group.from) == clock(group.to) && local_date(group.from) == local_date(group.to) {
        return html! { <time>{ date_time(group.to) }</time> };
    }
    if local_date(group.from) == local_date(group.to) {
        return html! {
            <>
                <time>{ date_time(group.from) }</time>{ "–" }<time>{ clock(group.to) }</time>
            </>
        };
    }
    html! { <><time>{ date_time(group.from) }</time>{ " – " }<time>{ date_time(group.to) }</time></> }
}

/// Up to two initials, for the small badge beside a name.
fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[function_component(History)]
pub fn history(props: &HistoryProps) -> Html {
    let groups = group(&props.entries, &props.goal_titles);
    // Named after the title, so two histories on one page keep their ids apart.
    let slug: String = props
        .title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let heading_id = format!("history-{slug}");
    html! {
        <section class="history" aria-labelledby={heading_id.clone()}>
            <h1 id={heading_id}>{ props.title.clone() }</h1>
            if groups.is_empty() {
                <p class="hint">{ "No changes yet." }</p>
            } else {
                <ol class="history-list">
                    { for groups.iter().map(|g| {
                        let name = g.by.as_ref().map_or_else(|| "Someone using another app".to_owned(), |u| props.people.name(u));
                        let badge = if g.by.is_some() { initials(&name) } else { "?".to_owned() };
                        html! {
                            <li class="history-group">
                                <span class="history-badge" aria-hidden="true">{ badge }</span>
                                <div class="history-body">
                                    <p class="history-head">
                                        <strong>{ name }</strong>
                                        <span class="history-when">{ when(g) }</span>
                                        if g.changes > 1 {
                                            <span class="history-count">{ format!("{} changes", g.changes) }</span>
                                        }
                                    </p>
                                    if g.touched.iter().any(|w| w == STARTED) {
                                        <p class="history-started">{ "Started this record" }</p>
                                    }
                                    if g.touched.iter().any(|w| w != STARTED) {
                                        <p class="history-changed">
                                            { "Changed " }
                                            <span class="history-touched">
                                                { g.touched.iter().filter(|w| *w != STARTED).cloned().collect::<Vec<_>>().join(", ") }
                                            </span>
                                        </p>
                                    }
                                </div>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tandem_core::{Timestamp, UserId, automerge::ChangeHash, history::HistoryEntry};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{group, label_words};

    fn titles() -> BTreeMap<String, String> {
        [("g1".to_owned(), "Wait time".to_owned())].into_iter().collect()
    }

    #[wasm_bindgen_test]
    fn goals_history_labels_read_as_words_naming_the_goal() {
        let t = titles();
        assert_eq!(label_words("goals/g1/measure/target", &t), "goal “Wait time” target");
        assert_eq!(label_words("goals/g1/title", &t), "goal “Wait time” title");
        assert_eq!(label_words("goals/g1/checkins/c9", &t), "goal “Wait time” check-in");
        assert_eq!(label_words("goals/g1", &t), "new goal “Wait time”");
        assert_eq!(label_words("goals/g2/due", &t), "a goal's due date");
        assert_eq!(label_words("goals/g1/status/resolved", &t), "goal “Wait time” status (agreed)");
    }

    #[wasm_bindgen_test]
    fn observation_history_labels_read_as_words() {
        let t = BTreeMap::new();
        assert_eq!(label_words("notes/n1/text", &t), "a running note");
        assert_eq!(label_words("reflection", &t), "the reflection");
        assert_eq!(label_words("questions/q1/answer", &t), "the answer to a question");
        assert_eq!(label_words("status", &t), "the status");
        assert_eq!(label_words("created", &t), "started this record");
        assert_eq!(label_words("context/lesson_focus", &t), "the lesson focus");
    }

    #[wasm_bindgen_test]
    fn goals_history_unknown_labels_are_shown_as_they_are() {
        let t = titles();
        assert_eq!(label_words("mystery/thing", &t), "mystery/thing");
        assert_eq!(label_words("goals/g1/sparkles", &t), "goals/g1/sparkles");
        assert_eq!(label_words("", &t), "");
    }

    fn entry(n: u8, by: Option<&str>, minute: i64, touched: &[&str]) -> HistoryEntry {
        HistoryEntry {
            hash: ChangeHash([n; 32]),
            by: by.map(UserId::from),
            at: Timestamp(1_790_000_000_000 + minute * 60_000),
            touched: touched.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[wasm_bindgen_test]
    fn goals_history_groups_one_persons_changes_within_ten_minutes_newest_first() {
        let entries = vec![
            entry(1, Some("mei"), 0, &["created"]),
            entry(2, Some("mei"), 5, &["goals/g1/title"]),
            entry(3, Some("mei"), 9, &["goals/g1/title", "goals/g1/measure/target"]),
            entry(4, Some("grace"), 12, &["goals/g1/status"]),
            entry(5, Some("grace"), 40, &["goals/g1/wins/w1"]),
            entry(6, None, 41, &["notes/n1/text"]),
        ];
        let groups = group(&entries, &titles());
        let summary: Vec<(Option<&str>, usize, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                (g.by.as_ref().map(UserId::as_str), g.changes, g.touched.iter().map(String::as_str).collect())
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (None, 1, vec!["a running note"]),
                (Some("grace"), 1, vec!["goal “Wait time” win"]),
                (Some("grace"), 1, vec!["goal “Wait time” status"]),
                (
                    Some("mei"),
                    3,
                    vec!["goal “Wait time” title", "goal “Wait time” target", "started this record"]
                ),
            ]
        );
    }
}
