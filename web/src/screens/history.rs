//! Placeholder with the contract's shape, replaced by the real screen.
use crate::screens::People;
use std::rc::Rc;
use tandem_core::history::HistoryEntry;
use yew::prelude::*;
#[derive(Properties, PartialEq, Debug)]
pub struct HistoryProps {
    pub title: AttrValue,
    pub entries: Rc<Vec<HistoryEntry>>,
    pub people: People,
}
#[function_component(History)]
pub fn history(_props: &HistoryProps) -> Html {
    Html::default()
}
