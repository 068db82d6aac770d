//! The screen's heading, and the screen rendered into the test page: labels a browser test (and a
//! screen reader) relies on, and the edits its buttons and keys emit. What the edits do to a
//! document is tested natively, in `tandem-core`'s `records` test binary (`observation_edits.rs`).

use std::{cell::RefCell, collections::BTreeMap, rc::Rc, time::Duration};

use tandem_core::{
    Doc, Observation, Program, Timestamp, UserId,
    automerge::ActorId,
    edit::observation::{ContextField, ObservationEdit as E, ObservationText as F, apply},
    genesis,
    model::{BankQuestion, Competency, ContextInit, Date, Framework, Tag},
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use super::{ObservationScreen, ObservationScreenProps};
use crate::{screens::People, splice::Splice, ui::time::clock};

const T0: Timestamp = Timestamp(1_795_340_000_000);

fn mentor() -> UserId {
    UserId::new("u-mentor")
}

fn associate() -> UserId {
    UserId::new("u-assoc")
}

fn people() -> People {
    People(Rc::new(BTreeMap::from([
        ("u-mentor".to_owned(), "Ana Ruiz".to_owned()),
        ("u-assoc".to_owned(), "Mei Chen".to_owned()),
    ])))
}

fn program() -> Rc<Program> {
    Rc::new(Program {
        schema: 1,
        created_by: UserId::new("u-coord"),
        created_at: T0,
        name: "Residency".into(),
        frameworks: vec![Framework {
            version: 1,
            title: "Teaching standards".into(),
            published_at: T0,
            competencies: vec![Competency {
                id: "c-2".into(),
                code: "2.1".into(),
                title: "Questioning".into(),
                description: String::new(),
                levels: vec![],
            }],
        }],
        question_bank: vec![
            BankQuestion {
                id: "b-1".into(),
                text: "What went as planned?".into(),
                theme: "Reflect".into(),
                retired_at: None,
            },
            BankQuestion {
                id: "b-2".into(),
                text: "What will you try next?".into(),
                theme: "Next".into(),
                retired_at: None,
            },
        ],
        stages: vec![],
    })
}

/// An observation with one tagged note (as the mentor wrote it) and one question.
fn observation() -> Observation {
    let mut doc = genesis::observation(
        ActorId::from(b"tab".as_slice()),
        &mentor(),
        T0,
        "pair-1",
        &mentor(),
        &associate(),
        &ContextInit { subject: "Science".into(), ..Default::default() },
    );
    let edits = [
        E::AddNote { id: "n1".into() },
        E::Text {
            field: F::Note("n1".into()),
            splice: Splice { index: 0, delete: 0, insert: "Hook".into() },
        },
        E::AddTag { note: "n1".into(), tag: Tag::Glow },
        E::AddQuestion { id: "q1".into(), bank_id: None, prompt: "What surprised you?".into() },
    ];
    for edit in &edits {
        apply(&mut doc, &mentor(), T0, edit).unwrap();
    }
    doc.read().unwrap()
}

/// A draft with nothing in its context yet.
fn draft() -> Doc<Observation> {
    genesis::observation(
        ActorId::from(b"tab".as_slice()),
        &mentor(),
        T0,
        "pair-1",
        &mentor(),
        &associate(),
        &ContextInit::default(),
    )
}

#[wasm_bindgen_test]
fn the_heading_names_the_lessons_date_and_subject() {
    let mut doc = draft();
    let edits = [
        E::SetDate(Date::new(2026, 11, 22)),
        E::SetContext { field: ContextField::Subject, value: "Science".into() },
    ];
    for edit in &edits {
        apply(&mut doc, &mentor(), T0, edit).unwrap();
    }
    // The date as the reader's locale writes it (see `ui::time`), as the date field shows it.
    let day = crate::ui::time::day(Date::new(2026, 11, 22).unwrap());
    assert_eq!(super::heading(&doc.read().unwrap()), format!("Observation · {day} · Science"));
    assert!(!super::heading(&doc.read().unwrap()).contains("2026-11-22"));
}

#[wasm_bindgen_test]
fn the_heading_says_when_date_and_subject_are_missing() {
    assert_eq!(super::heading(&draft().read().unwrap()), "Observation · no date · no subject");
}

struct Rendered {
    root: Element,
    edits: Rc<RefCell<Vec<E>>>,
    shares: Rc<RefCell<u32>>,
}

impl Rendered {
    async fn new(doc_id: &str, me: UserId, obs: Observation) -> Rendered {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let edits = Rc::new(RefCell::new(Vec::new()));
        let shares = Rc::new(RefCell::new(0));
        let props = ObservationScreenProps {
            doc_id: AttrValue::from(doc_id.to_owned()),
            observation: Rc::new(obs),
            me,
            people: people(),
            program: Some(program()),
            on_edit: {
                let edits = edits.clone();
                Callback::from(move |e| edits.borrow_mut().push(e))
            },
            on_share: {
                let shares = shares.clone();
                Callback::from(move |()| *shares.borrow_mut() += 1)
            },
        };
        yew::Renderer::<ObservationScreen>::with_root_and_props(root.clone(), props).render();
        settle().await;
        Rendered { root, edits, shares }
    }

    /// The control a `<label>` with exactly this text points at.
    fn labelled(&self, text: &str) -> Vec<Element> {
        let labels = self.root.query_selector_all("label").unwrap();
        (0..labels.length())
            .filter_map(|i| labels.item(i)?.dyn_into::<Element>().ok())
            .filter(|l| l.text_content().as_deref() == Some(text))
            .filter_map(|l| self.root.query_selector(&format!("#{}", l.get_attribute("for")?)).ok()?)
            .collect()
    }

    /// The buttons whose text (what a screen reader announces, here) is exactly `name`.
    fn button(&self, name: &str) -> Option<HtmlElement> {
        let buttons = self.root.query_selector_all("button").unwrap();
        (0..buttons.length())
            .filter_map(|i| buttons.item(i)?.dyn_into::<HtmlElement>().ok())
            .find(|b| accessible_text(b) == name)
    }
}

/// A button's text without what is hidden from screen readers.
fn accessible_text(el: &Element) -> String {
    let clone = el.clone_node_with_deep(true).unwrap().dyn_into::<Element>().unwrap();
    let hidden = clone.query_selector_all("[aria-hidden=true]").unwrap();
    for i in 0..hidden.length() {
        let node = hidden.item(i).unwrap();
        node.parent_node().unwrap().remove_child(&node).unwrap();
    }
    clone.text_content().unwrap_or_default().trim().to_owned()
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

#[wasm_bindgen_test]
async fn the_mentor_sees_each_note_labelled_with_its_time_and_its_tags_pressed() {
    let page = Rendered::new("doc-a", mentor(), observation()).await;
    let time = clock(T0);
    let fields = page.labelled(&format!("Note at {time}"));
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].tag_name(), "TEXTAREA");
    assert_eq!(page.labelled(&format!("Competency for note at {time}"))[0].tag_name(), "SELECT");
    assert_eq!(page.labelled("Opening strength").len(), 1);
    assert_eq!(page.labelled("Closing strength").len(), 1);
    assert_eq!(page.labelled("Question 1").len(), 1);

    let glow = page.button("Glow").unwrap();
    assert_eq!(glow.get_attribute("aria-pressed").as_deref(), Some("true"));
    assert_eq!(page.button("Grow").unwrap().get_attribute("aria-pressed").as_deref(), Some("false"));
    assert!(page.button(&format!("Delete note at {time}")).is_some());
    assert!(page.root.text_content().unwrap().contains("No answer yet"));
    let h1 = page.root.query_selector("h1").unwrap().unwrap().text_content().unwrap();
    assert_eq!(h1, "Observation · no date · Science");

    glow.click();
    assert_eq!(page.edits.borrow().last(), Some(&E::RemoveTag { note: "n1".into(), tag: Tag::Glow }));
}

#[wasm_bindgen_test]
async fn add_note_and_enter_in_a_written_note_start_a_new_note() {
    let page = Rendered::new("doc-b", mentor(), observation()).await;
    page.button("Add note").unwrap().click();
    assert!(matches!(page.edits.borrow().last(), Some(E::AddNote { .. })));

    let note = page.labelled(&format!("Note at {}", clock(T0))).remove(0);
    let press = js_sys::Function::new_with_args(
        "el, shift",
        "return el.dispatchEvent(new KeyboardEvent('keydown', \
         {key: 'Enter', shiftKey: shift, bubbles: true, cancelable: true}))",
    );
    let not_prevented = press.call2(&wasm_bindgen::JsValue::NULL, &note, &false.into()).unwrap();
    assert_eq!(not_prevented.as_bool(), Some(false), "Enter must not type a newline");
    assert_eq!(page.edits.borrow().iter().filter(|e| matches!(e, E::AddNote { .. })).count(), 2);

    let not_prevented = press.call2(&wasm_bindgen::JsValue::NULL, &note, &true.into()).unwrap();
    assert_eq!(not_prevented.as_bool(), Some(true), "Shift+Enter types a newline");
    assert_eq!(page.edits.borrow().iter().filter(|e| matches!(e, E::AddNote { .. })).count(), 2);

    // Enter in a note with nothing written keeps it instead of stacking empty notes.
    note.clone().dyn_into::<web_sys::HtmlTextAreaElement>().unwrap().set_value("  ");
    let not_prevented = press.call2(&wasm_bindgen::JsValue::NULL, &note, &false.into()).unwrap();
    assert_eq!(not_prevented.as_bool(), Some(false));
    assert_eq!(page.edits.borrow().iter().filter(|e| matches!(e, E::AddNote { .. })).count(), 2);
}

#[wasm_bindgen_test]
async fn a_bank_question_is_added_with_its_bank_id() {
    let page = Rendered::new("doc-c", mentor(), observation()).await;
    assert!(page.button("What went as planned?").is_none());
    page.button("Add a question").unwrap().click();
    settle().await;
    page.button("What went as planned?").unwrap().click();
    let edit = page.edits.borrow().last().cloned();
    match edit {
        Some(E::AddQuestion { bank_id, prompt, .. }) => {
            assert_eq!(bank_id.as_deref(), Some("b-1"));
            assert_eq!(prompt, "What went as planned?");
        }
        other => panic!("expected a question from the bank, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn sharing_asks_first_and_lists_strengths_first_warnings() {
    let page = Rendered::new("doc-d", mentor(), observation()).await;
    page.button("Share with Mei Chen").unwrap().click();
    settle().await;
    let dialog = page.root.query_selector("[role=dialog]").unwrap().expect("a confirmation");
    let text = dialog.text_content().unwrap();
    assert!(text.contains("Open with a strength"), "{text}");
    assert!(text.contains("Close with a strength"), "{text}");

    page.button("Keep editing").unwrap().click();
    settle().await;
    assert!(page.root.query_selector("[role=dialog]").unwrap().is_none());
    assert_eq!(*page.shares.borrow(), 0);

    page.button("Share with Mei Chen").unwrap().click();
    settle().await;
    page.button("Share now").unwrap().click();
    assert_eq!(*page.shares.borrow(), 1);
}

#[wasm_bindgen_test]
async fn the_associate_answers_questions_described_by_their_prompts_and_acknowledges() {
    let page = Rendered::new("doc-e", associate(), observation()).await;
    let answers = page.labelled("Your answer");
    assert_eq!(answers.len(), 1);
    let described = answers[0].get_attribute("aria-describedby").unwrap();
    let prompt = page.root.query_selector(&format!("#{described}")).unwrap().unwrap();
    assert!(prompt.text_content().unwrap().contains("What surprised you?"));
    assert_eq!(page.labelled("Your reflection")[0].tag_name(), "TEXTAREA");
    assert!(page.labelled(&format!("Note at {}", clock(T0))).is_empty(), "notes are read-only");

    page.button("Acknowledge receipt").unwrap().click();
    assert_eq!(page.edits.borrow().last(), Some(&E::Acknowledge));
}

#[wasm_bindgen_test]
async fn an_acknowledged_observation_shows_when_instead_of_the_button() {
    let mut obs = observation();
    obs.acknowledgements.insert("u-assoc".into(), T0);
    let page = Rendered::new("doc-f", associate(), obs.clone()).await;
    assert!(page.button("Acknowledge receipt").is_none());
    let expected = format!("Acknowledged on {}", crate::ui::time::date_time(T0));
    assert!(page.root.text_content().unwrap().contains(&expected));

    obs.status = tandem_core::model::ObservationStatus::Shared;
    let mentor_page = Rendered::new("doc-g", mentor(), obs).await;
    let expected = format!("Acknowledged by Mei Chen at {}", crate::ui::time::date_time(T0));
    assert!(mentor_page.root.text_content().unwrap().contains(&expected));
    assert!(mentor_page.button("Mark as debriefed").is_some());
    assert!(mentor_page.button("Mark as closed").is_some());
}

#[wasm_bindgen_test]
async fn the_associate_reads_about_her_own_lesson_and_anyone_else_about_hers() {
    let own = Rendered::new("doc-h", associate(), observation()).await;
    let byline =
        |page: &Rendered| page.root.query_selector(".obs-byline").unwrap().unwrap().text_content().unwrap();
    assert!(byline(&own).starts_with("Ana Ruiz observed your lesson"), "{}", byline(&own));

    let coordinator = Rendered::new("doc-i", UserId::new("u-coord"), observation()).await;
    assert!(
        byline(&coordinator).starts_with("Ana Ruiz observed Mei Chen's lesson"),
        "{}",
        byline(&coordinator)
    );
}

#[wasm_bindgen_test]
async fn the_lessons_date_reads_in_the_readers_locale() {
    let mut obs = observation();
    obs.context.date = Date::new(2026, 12, 1);
    let page = Rendered::new("doc-j", associate(), obs).await;
    let facts = page.root.query_selector(".obs-facts").unwrap().unwrap().text_content().unwrap();
    assert!(facts.contains(&crate::ui::time::day(Date::new(2026, 12, 1).unwrap())), "{facts}");
    assert!(!facts.contains("2026-12-01"), "{facts}");
}
