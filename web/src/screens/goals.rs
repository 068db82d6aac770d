//! Placeholder with the contract's shape, replaced by the real screen.
use crate::screens::People;
use std::rc::Rc;
use tandem_core::{Doc, Goals, Timestamp, UserId};
use yew::prelude::*;
#[derive(Debug, Clone, PartialEq)]
pub enum GoalEdit {
    None,
}
pub fn apply(
    _doc: &mut Doc<Goals>,
    _by: &UserId,
    _at: Timestamp,
    _edit: &GoalEdit,
) -> Result<(), tandem_core::Error> {
    Ok(())
}
#[derive(Properties, PartialEq, Debug)]
pub struct GoalsScreenProps {
    pub doc_id: AttrValue,
    pub goals: Rc<Goals>,
    pub me: UserId,
    pub people: People,
    pub today: tandem_core::model::Date,
    pub on_edit: Callback<GoalEdit>,
    #[prop_or_default]
    pub readonly: bool,
}
#[function_component(GoalsScreen)]
pub fn goals_screen(_props: &GoalsScreenProps) -> Html {
    Html::default()
}
impl GoalEdit {
    pub fn is_typing(&self) -> bool {
        false
    }
}
