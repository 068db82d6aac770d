//! Which screen the address names. Hash routes (`#/pair/p1`), so every route is the one
//! `index.html` the service worker keeps, and a reload with no network opens the same screen.

use tandem_sync::DocumentId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    SignIn,
    /// My pairs.
    Pairs,
    /// A pair: its observations.
    Pair(String),
    Goals(String),
    /// Conflicting values in a pair's documents.
    Agreement(String),
    Observation(DocumentId),
    History(DocumentId),
    /// The mentor's private notes about a pair or about one observation.
    PrivateNotes(NotesAbout),
    /// A coordinator's console for a program: one of its screens.
    Console(String, ConsoleTab),
    /// An invitation link (`#/join/{token}`): what it invites to, and choosing a password.
    Join(String),
    NotFound,
}

/// What a mentor's private notes are about: the id written in the notes document's `about`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotesAbout {
    Pair(String),
    Observation(DocumentId),
}

impl NotesAbout {
    /// The value of a notes document's `about` field.
    pub fn key(&self) -> String {
        match self {
            NotesAbout::Pair(pair) => pair.clone(),
            NotesAbout::Observation(id) => id.to_string(),
        }
    }
}

/// The screens of a program's console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleTab {
    Overview,
    People,
    Pairs,
    Progress,
    /// The competency framework.
    Framework,
    /// The question bank.
    Questions,
}

impl Route {
    /// The route of a location hash such as `#/pair/p1/goals`.
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(|p| js_sys::decode_uri_component(p).ok().and_then(|s| s.as_string()).unwrap_or_default())
            .collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        match parts.as_slice() {
            [] => Route::Pairs,
            ["signin"] => Route::SignIn,
            ["pair", pair] => Route::Pair((*pair).to_owned()),
            ["pair", pair, "goals"] => Route::Goals((*pair).to_owned()),
            ["pair", pair, "agreement"] => Route::Agreement((*pair).to_owned()),
            ["pair", pair, "private"] => Route::PrivateNotes(NotesAbout::Pair((*pair).to_owned())),
            ["doc", id] => id.parse().map_or(Route::NotFound, Route::Observation),
            ["doc", id, "history"] => id.parse().map_or(Route::NotFound, Route::History),
            ["doc", id, "private"] => {
                id.parse().map_or(Route::NotFound, |id| Route::PrivateNotes(NotesAbout::Observation(id)))
            }
            ["console", program] => Route::Console((*program).to_owned(), ConsoleTab::Overview),
            ["console", program, "people"] => Route::Console((*program).to_owned(), ConsoleTab::People),
            ["console", program, "pairs"] => Route::Console((*program).to_owned(), ConsoleTab::Pairs),
            ["console", program, "progress"] => Route::Console((*program).to_owned(), ConsoleTab::Progress),
            ["console", program, "framework"] => Route::Console((*program).to_owned(), ConsoleTab::Framework),
            ["console", program, "questions"] => Route::Console((*program).to_owned(), ConsoleTab::Questions),
            ["join", token] => Route::Join((*token).to_owned()),
            _ => Route::NotFound,
        }
    }

    /// The `href` of this route.
    pub fn href(&self) -> String {
        let part = |s: &str| String::from(js_sys::encode_uri_component(s));
        match self {
            Route::SignIn => "#/signin".to_owned(),
            Route::Pairs | Route::NotFound => "#/".to_owned(),
            Route::Pair(pair) => format!("#/pair/{}", part(pair)),
            Route::Goals(pair) => format!("#/pair/{}/goals", part(pair)),
            Route::Agreement(pair) => format!("#/pair/{}/agreement", part(pair)),
            Route::Observation(id) => format!("#/doc/{id}"),
            Route::History(id) => format!("#/doc/{id}/history"),
            Route::PrivateNotes(NotesAbout::Pair(pair)) => format!("#/pair/{}/private", part(pair)),
            Route::PrivateNotes(NotesAbout::Observation(id)) => format!("#/doc/{id}/private"),
            Route::Console(program, ConsoleTab::Overview) => format!("#/console/{}", part(program)),
            Route::Console(program, ConsoleTab::People) => format!("#/console/{}/people", part(program)),
            Route::Console(program, ConsoleTab::Pairs) => format!("#/console/{}/pairs", part(program)),
            Route::Console(program, ConsoleTab::Progress) => format!("#/console/{}/progress", part(program)),
            Route::Console(program, ConsoleTab::Framework) => {
                format!("#/console/{}/framework", part(program))
            }
            Route::Console(program, ConsoleTab::Questions) => {
                format!("#/console/{}/questions", part(program))
            }
            Route::Join(token) => format!("#/join/{}", part(token)),
        }
    }

    /// The route the page's address names now.
    pub fn current() -> Route {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Route::parse(&hash)
    }

    /// Goes to this route (the `hashchange` listener re-renders).
    pub fn go(&self) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&self.href());
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn routes_round_trip_through_their_addresses() {
        let doc: DocumentId = crate::ids::new_document_id();
        for route in [
            Route::SignIn,
            Route::Pairs,
            Route::Pair("pair 1/ä".into()),
            Route::Goals("p1".into()),
            Route::Agreement("p1".into()),
            Route::Observation(doc),
            Route::History(doc),
            Route::PrivateNotes(NotesAbout::Pair("p 1".into())),
            Route::PrivateNotes(NotesAbout::Observation(doc)),
            Route::Console("north 1".into(), ConsoleTab::Overview),
            Route::Console("north".into(), ConsoleTab::People),
            Route::Console("north".into(), ConsoleTab::Pairs),
            Route::Console("north".into(), ConsoleTab::Progress),
            Route::Console("north".into(), ConsoleTab::Framework),
            Route::Console("north".into(), ConsoleTab::Questions),
            Route::Join("Zx_9-token".into()),
        ] {
            assert_eq!(Route::parse(&route.href()), route);
        }
        assert_eq!(Route::parse(""), Route::Pairs);
        assert_eq!(Route::parse("#/doc/not-an-id"), Route::NotFound);
        assert_eq!(Route::parse("#/nowhere"), Route::NotFound);
        assert_eq!(Route::parse("#/console/north/secrets"), Route::NotFound);
    }
}
