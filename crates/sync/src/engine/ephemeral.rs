//! Ephemeral messages (presence, cursors): de-duplicated, forwarded to every interested peer that
//! may read the document, never stored.

use super::{Action, Document, Engine, Policy};
use crate::codec::{self, Message};
use crate::{ConnectionId, DocumentId, PeerId};

/// How many ephemeral message ids are remembered for de-duplication.
const EPHEMERAL_SEEN_CAPACITY: usize = 4096;

impl<P: Policy, D: Document> Engine<P, D> {
    pub(super) fn remember_ephemeral(&mut self, id: (PeerId, String, u64)) {
        if self.ephemeral_seen.insert(id.clone()) {
            self.ephemeral_order.push_back(id);
            if self.ephemeral_order.len() > EPHEMERAL_SEEN_CAPACITY
                && let Some(old) = self.ephemeral_order.pop_front()
            {
                self.ephemeral_seen.remove(&old);
            }
        }
    }

    pub(super) fn forward_ephemeral(
        &mut self,
        from: Option<ConnectionId>,
        sender_id: PeerId,
        session_id: String,
        count: u64,
        document: DocumentId,
        data: Vec<u8>,
    ) {
        let targets: Vec<ConnectionId> =
            self.interest.get(&document).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for c in targets {
            if Some(c) == from {
                continue;
            }
            let Some(target_id) = self.peer_id_of(c).cloned() else { continue };
            if !self.policy.may_read(c, &target_id, &document) {
                continue;
            }
            let message = Message::Ephemeral {
                sender_id: sender_id.clone(),
                target_id,
                count,
                session_id: session_id.clone(),
                document_id: document,
                data: data.clone(),
            };
            self.out.push(Action::Send { connection: c, bytes: codec::encode(&message) });
        }
    }
}
