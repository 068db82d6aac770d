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

    /// The whole device: saving if any document is, else saved if any is not synced, else loading
    /// if a document listed for this person is still on its way to the device, else synced (at the
    /// latest confirmation). "Synced" is what a mentor reads before walking into a classroom with
    /// no Wi-Fi, so it is never said while a record is missing. `None` when there is nothing on the
    /// device yet.
    pub fn overall_status(&self) -> Option<DocStatus> {
        let ids: Vec<DocumentId> = self.entries.borrow().keys().copied().collect();
        combine(ids.iter().map(|id| self.status(id)))
    }

    /// A failed write to IndexedDB that is being retried, if any.
    pub fn write_error(&self) -> Option<String> {
        self.write_error.borrow().clone()
    }
}

/// The device's status from its documents' (see [`Repo::overall_status`]): unsaved work first,
/// then work not yet synced, then records still loading; a document nobody has counts for nothing.
fn combine(statuses: impl IntoIterator<Item = DocStatus>) -> Option<DocStatus> {
    let rank = |status: &DocStatus| match status {
        DocStatus::Saving => 3,
        DocStatus::Saved => 2,
        DocStatus::Loading => 1,
        DocStatus::Synced(_) | DocStatus::Unavailable => 0,
    };
    let mut overall: Option<DocStatus> = None;
    for status in statuses {
        overall = match (overall, status) {
            (_, DocStatus::Unavailable) => overall,
            (Some(DocStatus::Synced(a)), DocStatus::Synced(b)) => Some(DocStatus::Synced(a.max(b))),
            (Some(current), next) if rank(&current) >= rank(&next) => Some(current),
            (_, next) => Some(next),
        };
    }
    overall
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    const EARLY: DocStatus = DocStatus::Synced(Timestamp(1_000));
    const LATE: DocStatus = DocStatus::Synced(Timestamp(2_000));

    #[wasm_bindgen_test]
    fn the_device_is_synced_only_when_every_listed_record_is_here_and_synced() {
        assert_eq!(combine([EARLY, LATE]), Some(LATE));
        assert_eq!(combine([LATE, DocStatus::Loading, EARLY]), Some(DocStatus::Loading));
        assert_eq!(combine([DocStatus::Loading, LATE]), Some(DocStatus::Loading));
        assert_eq!(combine([LATE, DocStatus::Unavailable]), Some(LATE));
        assert_eq!(combine([DocStatus::Unavailable]), None);
        assert_eq!(combine([]), None);
    }

    #[wasm_bindgen_test]
    fn unsaved_work_is_said_before_records_still_on_their_way() {
        assert_eq!(combine([DocStatus::Loading, DocStatus::Saved, LATE]), Some(DocStatus::Saved));
        assert_eq!(
            combine([DocStatus::Saved, DocStatus::Saving, DocStatus::Loading]),
            Some(DocStatus::Saving)
        );
        assert_eq!(combine([DocStatus::Saving, DocStatus::Saved]), Some(DocStatus::Saving));
    }
}
