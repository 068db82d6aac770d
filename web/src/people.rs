//! People's names, the one place the app looks them up. Names come from the relay's accounts
//! (`/api/me` lists the people this person works with), which the device keeps with the account
//! for offline use; the program document names nobody. No screen shows an internal id where a
//! person is meant: someone the account does not name (they left the program) is said so.

use std::{collections::BTreeMap, rc::Rc};

use tandem_api::Me;
use tandem_core::UserId;

/// What a screen says for someone the device has no name for.
pub const UNKNOWN: &str = "Someone no longer in your program";

/// Display names by user id, for "who wrote this" and "Share with …".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct People(pub Rc<BTreeMap<String, String>>);

impl People {
    /// The names the account knows: the people the person works with, and the person themself.
    pub fn from_me(me: &Me) -> Self {
        let mut names: BTreeMap<String, String> =
            me.people.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
        names.insert(me.person.id.clone(), me.person.name.clone());
        People(Rc::new(names))
    }

    /// The person's name, or [`UNKNOWN`]; never their id.
    pub fn name(&self, user: &UserId) -> String {
        self.name_of(user.as_str())
    }

    /// The same, for an id as the API spells it.
    pub fn name_of(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| UNKNOWN.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use tandem_api::{Colleague, Person, Role};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn names_come_from_the_account_and_an_unknown_person_is_never_shown_by_id() {
        let me = Me {
            person: Person { id: "u-m".into(), email: "m@x".into(), name: "Grace".into() },
            memberships: vec![],
            pairs: vec![],
            people: vec![Colleague {
                id: "u-6b0a6f2639cf".into(),
                name: "Mei Chen".into(),
                program_id: "p".into(),
                role: Role::Associate,
            }],
            cohorts: vec![],
            purged: vec![],
        };
        let people = People::from_me(&me);
        assert_eq!(people.name(&UserId::new("u-m")), "Grace");
        assert_eq!(people.name_of("u-6b0a6f2639cf"), "Mei Chen");
        let unknown = people.name_of("u-0000");
        assert_eq!(unknown, UNKNOWN);
        assert!(!unknown.contains("u-"));
    }
}
