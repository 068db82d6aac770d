//! Who may read and write which document.

use crate::{ConnectionId, DocumentId, PeerId};

/// Access control, asked for every document a connection reads or writes.
///
/// A document a connection may not read is answered exactly like a missing one (`doc-unavailable`),
/// by the same steps (loaded if it is not in memory, answered once no asked peer is pending), and
/// nothing about it is sent to that connection (sync or ephemeral). Changes from a connection that
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
    /// Relay: may the relay ask `asked` for a document it lacks, on behalf of `requester`?
    ///
    /// A forwarded `request` names the document, so asking is telling: whoever is asked learns
    /// the id, and could claim it before its creator's first sync arrives. The relay's policy
    /// asks only the requester's own other connections (their other devices, which may hold a
    /// document they made offline), never another person's.
    fn may_ask(&self, requester: ConnectionId, asked: ConnectionId) -> bool;
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
    /// Everyone is asked, as automerge-repo's own sync server does.
    fn may_ask(&self, _: ConnectionId, _: ConnectionId) -> bool {
        true
    }
}
