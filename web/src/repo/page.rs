//! The page's events and the other tabs: commit when the page is hidden or closed, catch up with
//! other tabs when it is shown again, reconnect at once when the network returns, tick the
//! engine's clock, and load what other tabs stored.

use gloo_timers::callback::Interval;
use tandem_sync::{DocumentId, Event};
use wasm_bindgen::{JsCast, closure::Closure};

use super::Repo;

/// The channel tabs of the app announce stored documents on.
pub(super) const TABS_CHANNEL: &str = "tandem-documents";
/// How often the engine's clock ticks (idle documents of other tabs' interest are evicted).
const TICK_MS: u32 = 10_000;

impl Repo {
    pub(super) fn listen_to_the_page(&self) {
        let Some(window) = web_sys::window() else { return };
        let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();

        // The page is going away (closed, navigated, frozen): commit and store now. `pagehide`
        // comes before the closing page's `visibilitychange`, which may never get to run.
        let this = self.this.clone();
        let on_pagehide = Closure::<dyn Fn()>::new(move || {
            if let Some(repo) = this.upgrade() {
                repo.commit_all();
            }
        });
        let _ = window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        keep.push(Box::new(Listener {
            target: window.clone().into(),
            kind: "pagehide",
            closure: on_pagehide,
        }));

        let this = self.this.clone();
        let on_visibility = Closure::<dyn Fn()>::new(move || {
            let Some(repo) = this.upgrade() else { return };
            let hidden = web_sys::window().and_then(|w| w.document()).is_none_or(|d| d.hidden());
            if hidden {
                repo.commit_all();
            } else {
                // Back in this tab: pick up what other tabs stored meanwhile, in case a message
                // from them was missed (a tab being closed may not get to send it).
                let open: Vec<DocumentId> = repo.entries.borrow().keys().copied().collect();
                for document in open {
                    repo.load_from_other_tab(document);
                }
            }
        });
        if let Some(document) = window.document() {
            let _ = document
                .add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
            keep.push(Box::new(Listener {
                target: document.into(),
                kind: "visibilitychange",
                closure: on_visibility,
            }));
        }

        let this = self.this.clone();
        let on_online = Closure::<dyn Fn()>::new(move || {
            if let Some(repo) = this.upgrade() {
                repo.reconnect_now();
            }
        });
        let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        keep.push(Box::new(Listener { target: window.clone().into(), kind: "online", closure: on_online }));

        let this = self.this.clone();
        keep.push(Box::new(Interval::new(TICK_MS, move || {
            if let Some(repo) = this.upgrade() {
                repo.handle(vec![Event::Tick]);
            }
        })));

        if let Some(tabs) = &self.tabs {
            let this = self.this.clone();
            let on_message =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                    let document = event.data().as_string().and_then(|id| id.parse::<DocumentId>().ok());
                    if let (Some(repo), Some(document)) = (this.upgrade(), document) {
                        repo.load_from_other_tab(document);
                    }
                });
            tabs.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            keep.push(Box::new(on_message));
        }
        *self.background.borrow_mut() = keep;
    }
}

/// An event listener that is removed when dropped (signing out stops the repo's listeners).
struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    closure: Closure<dyn Fn()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ =
            self.target.remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}
