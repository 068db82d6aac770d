//! IndexedDB: what the engine loads, stores and deletes, and what other tabs stored.

use gloo_timers::callback::Timeout;
use tandem_sync::{DocumentId, Event, StorageKey, StoreToken};
use wasm_bindgen_futures::spawn_local;

use super::runtime::Measure;
use super::{Repo, now_ms};

/// A failed IndexedDB write is retried after this long, doubling up to the maximum.
pub(super) const STORE_RETRY_MS: u32 = 1_000;
const STORE_RETRY_MAX_MS: u32 = 30_000;

impl Repo {
    pub(super) fn load(&self, document: DocumentId) {
        let this = self.this.clone();
        let storage = self.storage.clone();
        spawn_local(async move {
            let chunks = match storage.load(&StorageKey::document_prefix(&document)).await {
                Ok(chunks) => chunks,
                Err(e) => {
                    web_sys::console::error_1(
                        &format!("could not read {document} from this device: {e}").into(),
                    );
                    Vec::new()
                }
            };
            if let Some(repo) = this.upgrade()
                && !repo.stopped.get()
            {
                repo.handle(vec![Event::Loaded { document, chunks }]);
            }
        });
    }

    pub(super) fn store(&self, token: StoreToken, key: StorageKey, bytes: Vec<u8>, retry_ms: u32) {
        let purged = key.parts().first().and_then(|id| id.parse::<DocumentId>().ok());
        if purged.is_some_and(|id| self.purged.borrow().contains(&id)) {
            return;
        }
        let this = self.this.clone();
        // The write starts here, synchronously (see `IdbStorage::start_put`): this runs inside the
        // `pagehide` handler when a tab is closed straight after typing.
        let started = self.storage.start_put(&key, &bytes);
        spawn_local(async move {
            let result = match started {
                Ok(write) => write.await,
                Err(e) => Err(e),
            };
            let Some(repo) = this.upgrade() else { return };
            match result {
                Ok(()) => {
                    repo.write_error.borrow_mut().take();
                    repo.handle(vec![Event::StoreCompleted { token }]);
                    if let (Some(tabs), Some(document)) = (&repo.tabs, key.parts().first()) {
                        let _ = tabs.post_message(&document.into());
                    }
                    repo.notify();
                }
                Err(e) => {
                    // The document stays "saving" (the engine holds back its sync) until it lands.
                    *repo.write_error.borrow_mut() = Some(e.to_string());
                    repo.notify();
                    let next = (retry_ms * 2).min(STORE_RETRY_MAX_MS);
                    let again = Timeout::new(retry_ms, move || {
                        if let Some(repo) = this.upgrade() {
                            repo.store(token, key, bytes, next);
                        }
                    });
                    again.forget();
                }
            }
        });
    }

    pub(super) fn delete(&self, key: StorageKey) {
        let storage = self.storage.clone();
        spawn_local(async move {
            // A chunk that stays is only space: its content is also in the snapshot that replaced it.
            if let Err(e) = storage.delete(&key).await {
                web_sys::console::warn_1(&format!("could not remove a compacted chunk: {e}").into());
            }
        });
    }

    /// Another tab stored changes to `document`: load them from IndexedDB too.
    pub(super) fn load_from_other_tab(&self, document: DocumentId) {
        if !self.entries.borrow().contains_key(&document) {
            return;
        }
        let this = self.this.clone();
        let storage = self.storage.clone();
        spawn_local(async move {
            let Ok(chunks) = storage.load(&StorageKey::document_prefix(&document)).await else { return };
            let Some(repo) = this.upgrade() else { return };
            let measure = Measure::start("tandem-pull");
            let result = repo.engine.borrow_mut().change(now_ms(), &document, |doc| {
                let before = tandem_sync::Document::heads(doc);
                for (_, bytes) in &chunks {
                    // A damaged chunk is skipped; the others still count.
                    let _ = tandem_sync::Document::load_incremental(doc, bytes);
                }
                tandem_sync::Document::heads(doc) != before
            });
            if let Ok((changed, actions)) = result {
                repo.perform(actions);
                if changed {
                    repo.document_changed(&document);
                    measure.end();
                    repo.notify();
                }
            }
        });
    }
}
