//! Placeholder with the contract's shape, replaced by the real screen.
use crate::screens::People;
use std::rc::Rc;
use tandem_core::{
    Doc, Timestamp, UserId,
    automerge::ScalarValue,
    conflict::{Conflict, Field},
};
use yew::prelude::*;
#[derive(Properties, PartialEq, Debug)]
pub struct NeedsAgreementProps {
    pub conflicts: Rc<Vec<Conflict>>,
    pub people: People,
    pub goal_titles: Rc<std::collections::BTreeMap<String, String>>,
    pub on_resolve: Callback<(Field, ScalarValue)>,
}
#[function_component(NeedsAgreement)]
pub fn needs_agreement(_props: &NeedsAgreementProps) -> Html {
    Html::default()
}
pub fn resolve<S: tandem_core::doc::Schema>(
    _doc: &mut Doc<S>,
    _conflicts: &[Conflict],
    _by: &UserId,
    _at: Timestamp,
    _field: &Field,
    _value: &ScalarValue,
) -> Result<bool, tandem_core::Error> {
    Ok(false)
}
