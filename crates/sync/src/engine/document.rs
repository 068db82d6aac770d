//! What the engine needs of a document: the sync protocol, chunks to store and load, heads, and
//! whether the app has a batch of edits open.
//!
//! The engine owns the only copy of each document in the process. A relay keeps plain
//! [`Automerge`]s; an app keeps its own type (the browser: `tandem_core::Doc`s, whose edits collect
//! in an open batch until the app commits them with its author's name), so that the screens edit
//! the very document the engine syncs instead of a second copy kept level with it.

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Automerge, AutomergeError, ChangeHash};

/// A document the engine can sync and store.
///
/// Every method except [`Document::has_open_batch`] may close the open batch; the engine calls
/// them only while none is open (see [`Document::commit_batch`]), so an implementation whose
/// batches name their author never has one committed anonymously.
pub trait Document {
    /// An empty document, for one being loaded or asked of a peer.
    fn empty() -> Self;
    /// The heads of the committed history.
    fn heads(&mut self) -> Vec<ChangeHash>;
    /// Applies a saved document or saved changes (a chunk from storage, changes from peers).
    fn load_incremental(&mut self, data: &[u8]) -> Result<usize, AutomergeError>;
    /// The whole document, compressed.
    fn save(&mut self) -> Vec<u8>;
    /// The changes after `heads`.
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8>;
    /// The next sync message for a peer, if one is due.
    fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<sync::Message>;
    /// Applies a peer's sync message.
    fn receive_sync_message(
        &mut self,
        state: &mut sync::State,
        message: sync::Message,
    ) -> Result<(), AutomergeError>;
    /// Whether the app has edits not yet committed. While it does, the engine stores and syncs
    /// nothing of the document.
    fn has_open_batch(&self) -> bool {
        false
    }
    /// Commits the open batch, if any.
    fn commit_batch(&mut self) {}
}

impl Document for Automerge {
    fn empty() -> Self {
        Automerge::new()
    }
    fn heads(&mut self) -> Vec<ChangeHash> {
        self.get_heads()
    }
    fn load_incremental(&mut self, data: &[u8]) -> Result<usize, AutomergeError> {
        Automerge::load_incremental(self, data)
    }
    fn save(&mut self) -> Vec<u8> {
        Automerge::save(self)
    }
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        Automerge::save_after(self, heads)
    }
    fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<sync::Message> {
        SyncDoc::generate_sync_message(self, state)
    }
    fn receive_sync_message(
        &mut self,
        state: &mut sync::State,
        message: sync::Message,
    ) -> Result<(), AutomergeError> {
        SyncDoc::receive_sync_message(self, state, message)
    }
}

/// An `AutoCommit`'s open transaction is its batch; committed without a message.
impl Document for AutoCommit {
    fn empty() -> Self {
        AutoCommit::new()
    }
    fn heads(&mut self) -> Vec<ChangeHash> {
        self.get_heads()
    }
    fn load_incremental(&mut self, data: &[u8]) -> Result<usize, AutomergeError> {
        AutoCommit::load_incremental(self, data)
    }
    fn save(&mut self) -> Vec<u8> {
        AutoCommit::save(self)
    }
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        AutoCommit::save_after(self, heads)
    }
    fn generate_sync_message(&mut self, state: &mut sync::State) -> Option<sync::Message> {
        self.sync().generate_sync_message(state)
    }
    fn receive_sync_message(
        &mut self,
        state: &mut sync::State,
        message: sync::Message,
    ) -> Result<(), AutomergeError> {
        self.sync().receive_sync_message(state, message)
    }
    fn has_open_batch(&self) -> bool {
        automerge::transaction::Transactable::pending_ops(self) > 0
    }
    fn commit_batch(&mut self) {
        self.commit();
    }
}
