//! Who may read and write which document.

use crate::{ConnectionId, DocumentId, PeerId};

/// Access control, asked for every document a connection reads or writes.
///
/// A document a connection may not read is answered exactly like a missing one (`doc-unavailable`),
/// and nothing about it is sent to that connection (sync or ephemeral). Changes from a connection that
/// may read but not write are not applied, stored or forwarded ([`Action::WriteRefused`] reports
/// them), and the peer is told through automerge's read-only sync flag.
///
/// The runtime knows which user a connection belongs to (it authenticated the socket); an
/// implementation typically maps `connection` to that user. Answers may change over time
/// ([`Engine::policy_mut`]); they are asked again for every message.
pub trait Policy {
    /// May this connection see `doc`?
    fn may_read(&self, connection: ConnectionId, peer: &PeerId, doc: &DocumentId) -> bool;
    /// May this connection change `doc`? Only asked when it may read.
    fn may_write(&self, connection: ConnectionId, peer: &PeerId, doc: &DocumentId) -> bool;
}

/// The default policy: everyone may read and write everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl Policy for AllowAll {
    fn may_read(&self, _: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        true
    }
    fn may_write(&self, _: ConnectionId, _: &PeerId, _: &DocumentId) -> bool {
        true
    }
}
