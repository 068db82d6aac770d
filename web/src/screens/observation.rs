//! Placeholder with the contract's shape, replaced by the real screen.
use crate::screens::People;
use std::rc::Rc;
use tandem_core::{Doc, Observation, Program, Timestamp, UserId};
use yew::prelude::*;
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationEdit {
    Acknowledge,
}
pub fn apply(
    doc: &mut Doc<Observation>,
    by: &UserId,
    at: Timestamp,
    _edit: &ObservationEdit,
) -> Result<(), tandem_core::Error> {
    tandem_core::ops::observation::acknowledge(doc, by, at)
}
#[derive(Properties, PartialEq, Debug)]
pub struct ObservationScreenProps {
    pub doc_id: AttrValue,
    pub observation: Rc<Observation>,
    pub me: UserId,
    pub people: People,
    pub program: Option<Rc<Program>>,
    pub on_edit: Callback<ObservationEdit>,
    pub on_share: Callback<()>,
}
#[function_component(ObservationScreen)]
pub fn observation_screen(_props: &ObservationScreenProps) -> Html {
    Html::default()
}
impl ObservationEdit {
    pub fn is_typing(&self) -> bool {
        false
    }
}
