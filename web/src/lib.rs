//! Tandem's web app: a Yew PWA that keeps every document on the device and works with no network.
//!
//! This is the walking skeleton: one note, edited in a textarea, kept in IndexedDB as an automerge
//! document. Sign-in, sync and the real screens come later and slot into the same layers.
//!
//! The layers, from pure to effectful:
//! - [`splice`]: the edit one `input` event made, recovered as one text splice (pure).
//! - [`note`]: the document, its genesis, and what to store (incremental chunks, compaction). No I/O.
//! - [`store`]: IndexedDB in automerge-repo's storage layout.
//! - [`session`]: the open note and its store; saves one batch at a time.
//! - [`state`]: the UI state as a pure reducer over actions.
//! - [`app`]: the components, and the hooks that open the session and save in batches.
//!
//! The service worker (`static/sw.js`, registered by `static/index.html`) caches the app's code so
//! it opens with no network; it never caches documents and never touches `/sync` or `/api/`.

pub mod app;
pub mod ids;
pub mod note;
pub mod screens;
pub mod session;
pub mod splice;
pub mod state;
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
