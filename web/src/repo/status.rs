//! Where a document and the whole device stand: loading, saving, saved here, synced.

use tandem_core::Timestamp;
use tandem_sync::DocumentId;

use super::{EntryState, Repo};

/// Where a document stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStatus {
    /// Not on this device yet: asked for, waiting for storage or the relay.
    Loading,
    /// Neither this device nor the relay has it (or this person may not see it).
    Unavailable,
    /// Edits not yet in IndexedDB.
    Saving,
    /// In IndexedDB; the relay has not confirmed it has everything.
    Saved,
    /// The relay has every change this device has, since this moment.
    Synced(Timestamp),
}

impl Repo {
    /// Where a document stands (see [`DocStatus`]).
    pub fn status(&self, id: &DocumentId) -> DocStatus {
        let entries = self.entries.borrow();
        let Some(entry) = entries.get(id) else { return DocStatus::Loading };
        match entry.state {
            EntryState::Loading => return DocStatus::Loading,
            EntryState::Unavailable => return DocStatus::Unavailable,
            EntryState::Ready | EntryState::Broken(_) => {}
        }
        let engine = self.engine.borrow();
        let batch_open = engine.document(id).is_some_and(|doc| doc.has_pending());
        if batch_open || !engine.is_durable(id) {
            return DocStatus::Saving;
        }
        match entry.synced_at {
            Some(at) if engine.is_synced(id) => DocStatus::Synced(at),
            _ => DocStatus::Saved,
        }
    }

    /// The whole device: saving if any document is, else saved if any is not synced, else synced
    /// (at the latest confirmation). `None` when there is nothing on the device yet.
    pub fn overall_status(&self) -> Option<DocStatus> {
        let ids: Vec<DocumentId> = self.entries.borrow().keys().copied().collect();
        let mut overall: Option<DocStatus> = None;
        for status in ids.iter().map(|id| self.status(id)) {
            overall = Some(match (overall, status) {
                (_, DocStatus::Loading | DocStatus::Unavailable) => continue,
                (Some(DocStatus::Saving), _) | (_, DocStatus::Saving) => DocStatus::Saving,
                (Some(DocStatus::Saved), _) | (_, DocStatus::Saved) => DocStatus::Saved,
                (Some(DocStatus::Synced(a)), DocStatus::Synced(b)) => DocStatus::Synced(a.max(b)),
                (_, synced) => synced,
            });
        }
        overall
    }

    /// A failed write to IndexedDB that is being retried, if any.
    pub fn write_error(&self) -> Option<String> {
        self.write_error.borrow().clone()
    }
}
