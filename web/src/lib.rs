//! Tandem's web app: a Yew PWA that keeps every document on the device, works with no network,
//! and syncs with the school's relay whenever it can.
//!
//! The layers, from pure to effectful:
//! - [`splice`], [`route`]: an `input` event as one text splice; the address as a screen (pure);
//! - [`screens`]: each document's screen, a view of its record plus edits as data, and [`ui`],
//!   the components they share (no I/O);
//! - [`store`]: IndexedDB in automerge-repo's storage layout;
//! - [`repo`]: the documents and their sync: the sync engine driven over a WebSocket and IndexedDB;
//! - [`api`], [`account`], [`session`], [`lock`], [`offline`]: the relay's JSON API, what the
//!   device knows about the signed-in person, the session that ties them to the repo, the offline
//!   lock, and the word that the device is ready to work offline;
//! - [`app`], [`pages`], [`hosts`]: the frame (start-up, sign-in, header, routes), the screens
//!   that are not one document, and the hosts that connect document screens to the repo;
//!   [`discard`]: discarding a draft, its button and the Undo toast in the frame;
//! - [`console`]: the coordinator's console (a program's people, invitations, pairs and
//!   cohorts, straight from the relay's API) and the page an invitation link opens.
//!
//! The service worker (`static/sw.js`, registered by `static/index.html`) caches the app's code so
//! it opens with no network; it never caches documents and never touches `/sync` or `/api/`.

pub mod account;
pub mod api;
pub mod app;
pub mod console;
pub mod discard;
pub mod hosts;
pub mod ids;
pub mod lock;
pub mod offline;
pub mod pages;
pub mod people;
pub mod repo;
pub mod route;
pub mod screens;
pub mod session;
pub mod splice;
pub mod store;
pub mod ui;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app in place of the loading message. Not in test builds: the wasm test binary must
/// not mount it.
#[cfg(not(test))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    let document = web_sys::window().and_then(|w| w.document()).expect("the app runs in a page");
    let root = document.get_element_by_id("app").expect("index.html has an element with id `app`");
    root.set_inner_html("");
    yew::Renderer::<app::App>::with_root(root).render();
}
