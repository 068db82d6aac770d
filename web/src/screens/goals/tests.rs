//! What the goals screen makes of a goal (progress typed into a form, the SMART letters), and the
//! screens rendered in the browser. The edits themselves are tested natively, in
//! `tandem-core`'s `records` test binary (`goal_edits.rs`).

use tandem_core::{
    Doc, Goals, Timestamp, UserId,
    automerge::ActorId,
    edit::{
        Splice,
        goals::{GoalEdit, GoalInit, GoalText, apply},
    },
    genesis,
    model::{Date, Goal},
};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{card::parse_progress, parts::smart_letters};

const T0: Timestamp = Timestamp(1_790_000_000_000);

fn mentor() -> UserId {
    UserId::new("u-mentor")
}

fn associate() -> UserId {
    UserId::new("u-assoc")
}

fn new_doc() -> Doc<Goals> {
    genesis::goals(ActorId::from(b"tab".as_slice()), &mentor(), T0, "pair-1")
}

fn edit(doc: &mut Doc<Goals>, by: &UserId, minutes: i64, e: GoalEdit) {
    apply(doc, by, Timestamp(T0.0 + minutes * 60_000), &e).expect("the edit applies");
}

fn goal<'a>(goals: &'a Goals, id: &str) -> &'a Goal {
    goals.goals.iter().find(|g| g.id == id).expect("the goal is there")
}

/// A doc with goal g1 titled "Wait time", committed.
fn doc_with_goal() -> Doc<Goals> {
    let mut doc = new_doc();
    edit(&mut doc, &mentor(), 1, GoalEdit::AddGoal { id: "g1".into(), goal: GoalInit::titled("Wait time") });
    doc.commit();
    doc
}

fn splice(index: usize, delete: usize, insert: &str) -> Splice {
    Splice { index, delete, insert: insert.to_owned() }
}

fn g1() -> String {
    "g1".to_owned()
}

#[wasm_bindgen_test]
fn goals_progress_is_read_as_a_whole_percentage_from_0_to_100() {
    assert_eq!(parse_progress("60"), Some(60));
    assert_eq!(parse_progress(" 100 % "), Some(100));
    assert_eq!(parse_progress("0"), Some(0));
    assert_eq!(parse_progress("101"), None);
    assert_eq!(parse_progress("-1"), None);
    assert_eq!(parse_progress("6.5"), None);
    assert_eq!(parse_progress(""), None);
}

#[wasm_bindgen_test]
fn goals_smart_letters_tick_as_a_goal_is_filled_in() {
    let mut doc = doc_with_goal();
    let today = Date::new(2026, 11, 1).unwrap();
    let read = |doc: &Doc<Goals>| goal(&doc.read().unwrap(), "g1").clone();
    let ticks = |g: &Goal| smart_letters(&tandem_core::validate::goal(g, today)).map(|l| l.2);
    assert_eq!(ticks(&read(&doc)), [false, false, false, false, false]);
    let by = associate();
    edit(
        &mut doc,
        &by,
        2,
        GoalEdit::Splice { field: GoalText::Specific { goal: g1() }, splice: splice(0, 0, "Wait 3 s") },
    );
    edit(
        &mut doc,
        &by,
        2,
        GoalEdit::Splice { field: GoalText::Metric { goal: g1() }, splice: splice(0, 0, "seconds") },
    );
    edit(&mut doc, &by, 2, GoalEdit::SetBaseline { goal: "g1".into(), value: "1".into() });
    edit(&mut doc, &by, 2, GoalEdit::SetTarget { goal: "g1".into(), value: "3".into() });
    edit(
        &mut doc,
        &by,
        2,
        GoalEdit::AddAction { goal: "g1".into(), id: "a1".into(), text: "Count silently".into() },
    );
    edit(
        &mut doc,
        &by,
        2,
        GoalEdit::Splice { field: GoalText::Realistic { goal: g1() }, splice: splice(0, 0, "Small") },
    );
    edit(&mut doc, &by, 2, GoalEdit::SetDue { goal: "g1".into(), due: Date::new(2026, 12, 1) });
    assert_eq!(ticks(&read(&doc)), [true; 5]);
}

// ---- The screens rendered in the browser ----------------------------------------------------

mod rendered {
    use std::{collections::BTreeMap, rc::Rc, time::Duration};

    use tandem_core::{
        Timestamp,
        automerge::ActorId,
        conflict,
        edit::{
            Splice,
            goals::{GoalEdit, GoalInit, GoalText},
        },
        history::history,
        model::GoalStatus,
    };
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::{Element, HtmlElement};
    use yew::prelude::*;

    use super::{T0, associate, edit, mentor, new_doc};
    use crate::screens::{
        People,
        agreement::{NeedsAgreement, NeedsAgreementProps},
        goals::{GoalsScreen, GoalsScreenProps},
        history::{History, HistoryProps},
    };

    /// A pair's goals as they look after a few weeks: one active goal filled in, with a check-in and
    /// a win; one achieved, one reworked into the active one, one dropped; and a status conflict.
    fn sample()
    -> (Rc<tandem_core::Goals>, Rc<Vec<conflict::Conflict>>, Rc<Vec<tandem_core::history::HistoryEntry>>)
    {
        let mut doc = new_doc();
        let (m, a) = (mentor(), associate());
        let add = |doc: &mut _, id: &str, title: &str| {
            edit(doc, &m, 1, GoalEdit::AddGoal { id: id.into(), goal: GoalInit::titled(title) })
        };
        add(&mut doc, "g-old", "Wait time");
        add(&mut doc, "g-done", "Greet at the door");
        add(&mut doc, "g-drop", "Seating plan");
        edit(
            &mut doc,
            &a,
            2,
            GoalEdit::Rework { goal: "g-old".into(), successor: "g1".into(), title: "Wait 3 seconds".into() },
        );
        edit(
            &mut doc,
            &a,
            3,
            GoalEdit::Splice {
                field: GoalText::Specific { goal: "g1".into() },
                splice: Splice { index: 0, delete: 0, insert: "Try to improve pauses".into() },
            },
        );
        edit(&mut doc, &a, 3, GoalEdit::SetTarget { goal: "g1".into(), value: "most of the time".into() });
        edit(
            &mut doc,
            &a,
            3,
            GoalEdit::AddAction { goal: "g1".into(), id: "a1".into(), text: "Count silently".into() },
        );
        edit(&mut doc, &a, 3, GoalEdit::AddAction { goal: "g1".into(), id: "a2".into(), text: "".into() });
        edit(&mut doc, &a, 3, GoalEdit::SetActionDone { goal: "g1".into(), action: "a1".into(), done: true });
        edit(
            &mut doc,
            &a,
            4,
            GoalEdit::CheckIn {
                goal: "g1".into(),
                id: "c1".into(),
                progress: 60,
                note: "Better on Tuesday".into(),
            },
        );
        edit(
            &mut doc,
            &a,
            5,
            GoalEdit::AddWin { goal: "g1".into(), id: "w1".into(), text: "Eight hands up!".into() },
        );
        edit(
            &mut doc,
            &m,
            6,
            GoalEdit::Drop { goal: "g-drop".into(), reason: "The class moved rooms".into() },
        );
        doc.commit();
        let mut phone = doc.fork(ActorId::from(b"phone".as_slice()));
        edit(&mut doc, &m, 7, GoalEdit::SetStatus { goal: "g-done".into(), status: GoalStatus::Achieved });
        edit(&mut phone, &a, 8, GoalEdit::SetStatus { goal: "g-done".into(), status: GoalStatus::Dropped });
        doc.merge(&mut phone).unwrap();
        let conflicts = conflict::goals(&mut doc);
        let entries = history(&mut doc);
        (Rc::new(doc.read().unwrap()), Rc::new(conflicts), Rc::new(entries))
    }

    fn people() -> People {
        People(Rc::new(
            [
                ("u-mentor".to_owned(), "Grace Okafor".to_owned()),
                ("u-assoc".to_owned(), "Mei Chen".to_owned()),
            ]
            .into_iter()
            .collect(),
        ))
    }

    fn mount() -> Element {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        root
    }

    fn all(root: &Element, selector: &str) -> Vec<Element> {
        let list = root.query_selector_all(selector).unwrap();
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
    }

    fn text(e: &Element) -> String {
        e.text_content().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The accessible name of a form control as far as this page uses them: its `<label for>`.
    fn label_of(root: &Element, control: &Element) -> Option<String> {
        let id = control.id();
        all(root, "label")
            .into_iter()
            .find(|l| l.get_attribute("for").as_deref() == Some(id.as_str()))
            .map(|l| text(&l))
    }

    async fn rendered() {
        yew::platform::time::sleep(Duration::from_millis(30)).await;
    }

    #[wasm_bindgen_test]
    async fn goals_screen_labels_every_control_and_names_every_button() {
        let (goals, conflicts, entries) = sample();
        let root = mount();
        let props = GoalsScreenProps {
            doc_id: "d1".into(),
            goals,
            me: associate(),
            people: people(),
            today: Timestamp(T0.0).date(),
            on_edit: Callback::noop(),
            readonly: false,
        };
        yew::Renderer::<GoalsScreen>::with_root_and_props(root.clone(), props).render();
        rendered().await;

        let mut labels: Vec<String> = Vec::new();
        for control in all(&root, "input, textarea, select") {
            let label =
                label_of(&root, &control).unwrap_or_else(|| panic!("{} has no label", control.outer_html()));
            assert!(!label.is_empty(), "{} has an empty label", control.outer_html());
            labels.push(label);
        }
        for expected in [
            "Goal title",
            "Specific",
            "Metric",
            "Baseline",
            "Target",
            "Action 1",
            "Action 2",
            "Done",
            "Realistic",
            "Due date",
            "Progress (%)",
            "Check-in note",
            "Win",
        ] {
            assert!(labels.iter().any(|l| l == expected), "no field labelled {expected:?} in {labels:?}");
        }
        let buttons: Vec<String> = all(&root, "button").iter().map(text).collect();
        assert!(buttons.iter().all(|b| !b.is_empty()), "{buttons:?}");
        for expected in
            ["New goal", "Add action", "Add check-in", "Record win", "Mark achieved", "Rework…", "Drop…"]
        {
            assert!(buttons.iter().any(|b| b.ends_with(expected)), "no button {expected:?} in {buttons:?}");
        }
        let mut ids: Vec<String> = all(&root, "[id]").iter().map(Element::id).collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "element ids are unique");

        // Articles are named by their headings; finished goals say how they ended.
        for article in all(&root, "article") {
            let by = article.get_attribute("aria-labelledby").expect("aria-labelledby");
            assert!(root.query_selector(&format!("[id='{by}']")).unwrap().is_some(), "{by} exists");
        }
        let page = text(&root);
        assert!(page.contains("Reworked into “Wait 3 seconds”"), "{page}");
        assert!(page.contains("Dropped: The class moved rooms"), "{page}");
        assert!(page.contains("Mei Chen · "), "{page}");
        assert!(page.contains("60% · Better on Tuesday"), "{page}");
        assert!(page.contains("To do: make the target a number"), "{page}");
        assert!(page.contains("Tip: "), "{page}");

        // "Rework…" opens the successor's title, prefilled with this goal's.
        let rework = all(&root, "button").into_iter().find(|b| text(b) == "Rework…").unwrap();
        rework.dyn_into::<HtmlElement>().unwrap().click();
        rendered().await;
        let successor = all(&root, "input")
            .into_iter()
            .find(|i| label_of(&root, i).as_deref() == Some("Successor goal title"));
        let successor = successor
            .expect("a field labelled Successor goal title")
            .dyn_into::<web_sys::HtmlInputElement>()
            .unwrap();
        assert_eq!(successor.value(), "Wait 3 seconds");
        assert!(all(&root, "button").iter().any(|b| text(b) == "Rework goal"));

        // Needs agreement and history, on the same page.
        let agreement = mount();
        let titles: Rc<BTreeMap<String, String>> =
            Rc::new([("g-done".to_owned(), "Greet at the door".to_owned())].into_iter().collect());
        let props = NeedsAgreementProps {
            conflicts,
            people: people(),
            goal_titles: titles.clone(),
            on_resolve: Callback::noop(),
        };
        yew::Renderer::<NeedsAgreement>::with_root_and_props(agreement.clone(), props).render();
        let hist = mount();
        let props = HistoryProps {
            title: "History of these goals".into(),
            entries,
            people: people(),
            goal_titles: titles,
        };
        yew::Renderer::<History>::with_root_and_props(hist.clone(), props).render();
        rendered().await;
        let agree = text(&agreement);
        assert!(agree.contains("Status of the goal “Greet at the door”"), "{agree}");
        assert!(agree.contains("Grace Okafor said achieved ("), "{agree}");
        let agree_buttons: Vec<String> = all(&agreement, "button").iter().map(text).collect();
        assert!(agree_buttons.contains(&"Agree on achieved".to_owned()), "{agree_buttons:?}");
        assert!(agree_buttons.contains(&"Agree on dropped".to_owned()), "{agree_buttons:?}");
        let told = text(&hist);
        assert!(told.contains("Grace Okafor"), "{told}");
        assert!(told.contains("goal “Greet at the door” status"), "{told}");
    }

    #[wasm_bindgen_test]
    async fn goals_screen_readonly_shows_everything_without_inputs() {
        let (goals, _, _) = sample();
        let root = mount();
        let props = GoalsScreenProps {
            doc_id: "d2".into(),
            goals,
            me: associate(),
            people: people(),
            today: Timestamp(T0.0).date(),
            on_edit: Callback::noop(),
            readonly: true,
        };
        yew::Renderer::<GoalsScreen>::with_root_and_props(root.clone(), props).render();
        rendered().await;
        assert!(all(&root, "input, textarea, select").is_empty());
        assert!(all(&root, "button").is_empty());
        let page = text(&root);
        for expected in ["Wait 3 seconds", "Count silently", "Eight hands up!", "60%", "most of the time"] {
            assert!(page.contains(expected), "{expected:?} in {page}");
        }
    }

    /// The text a screen reader reads: without the `aria-hidden` icons.
    fn accessible_text(e: &Element) -> String {
        let copy: Element = e.clone_node_with_deep(true).unwrap().dyn_into().unwrap();
        for hidden in all(&copy, "[aria-hidden='true']") {
            hidden.remove();
        }
        text(&copy)
    }

    fn button(root: &Element, name: &str) -> HtmlElement {
        all(root, "button")
            .into_iter()
            .find(|b| accessible_text(b) == name)
            .unwrap_or_else(|| panic!("a button {name:?}"))
            .dyn_into()
            .unwrap()
    }

    fn field(root: &Element, label: &str) -> web_sys::HtmlInputElement {
        all(root, "input")
            .into_iter()
            .find(|i| label_of(root, i).as_deref() == Some(label))
            .unwrap_or_else(|| panic!("a field labelled {label:?}"))
            .dyn_into()
            .unwrap()
    }

    fn type_into(input: &web_sys::HtmlInputElement, value: &str) {
        input.set_value(value);
        input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    }

    #[wasm_bindgen_test]
    async fn goals_screen_forms_emit_their_edits_as_data() {
        let (goals, _, _) = sample();
        let root = mount();
        let edits = Rc::new(std::cell::RefCell::new(Vec::<GoalEdit>::new()));
        let on_edit = {
            let edits = edits.clone();
            Callback::from(move |e| edits.borrow_mut().push(e))
        };
        let props = GoalsScreenProps {
            doc_id: "d3".into(),
            goals,
            me: associate(),
            people: people(),
            today: Timestamp(T0.0).date(),
            on_edit,
            readonly: false,
        };
        yew::Renderer::<GoalsScreen>::with_root_and_props(root.clone(), props).render();
        rendered().await;

        // A progress that is not a percentage is refused, with a reason, and nothing is written.
        type_into(&field(&root, "Progress (%)"), "150");
        rendered().await;
        button(&root, "Add check-in").click();
        rendered().await;
        assert!(edits.borrow().is_empty());
        assert!(text(&root).contains("Enter the progress as a whole number from 0 to 100."));

        type_into(&field(&root, "Progress (%)"), "75");
        type_into(&field(&root, "Check-in note"), " Calmer ");
        rendered().await;
        button(&root, "Add check-in").click();
        type_into(&field(&root, "Win"), "Whole class waited");
        rendered().await;
        button(&root, "Record win").click();
        button(&root, "Rework…").click();
        rendered().await;
        button(&root, "Rework goal").click();
        button(&root, "New goal").click();
        rendered().await;

        let edits = edits.borrow();
        let summary: Vec<String> = edits
            .iter()
            .map(|e| match e {
                GoalEdit::CheckIn { goal, progress, note, id } => {
                    assert!(!id.is_empty());
                    format!("check-in {goal} {progress} {note:?}")
                }
                GoalEdit::AddWin { goal, text, .. } => format!("win {goal} {text:?}"),
                GoalEdit::Rework { goal, title, successor } => {
                    assert_ne!(successor, goal);
                    format!("rework {goal} {title:?}")
                }
                GoalEdit::AddGoal { goal, .. } => format!("new goal {:?}", goal.title),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "check-in g1 75 \"Calmer\"",
                "win g1 \"Whole class waited\"",
                "rework g1 \"Wait 3 seconds\"",
                "new goal \"\"",
            ]
        );
        assert!(text(&root).contains("Check-in added: 75%."), "{}", text(&root));
    }
}
