//! Outbound sync: asking other peers for a missing document, and generating each peer's sync
//! message once nothing is pending.

use super::connection::{Connection, Handshake};
use super::state::PeerDoc;
use super::{Action, Document, Engine, Policy, Role};
use crate::codec::{self, Message};
use crate::{ConnectionId, DocumentId};

impl<P: Policy, D: Document> Engine<P, D> {
    /// Relay: a peer asked for a document we have no data for (nothing stored, nothing in memory).
    /// Like automerge-repo's own sync server, ask other established peers that may read it (a
    /// `request`), because the document may exist on a device whose first sync has not reached us
    /// yet: its creator, typically, when another device opens a link right after creation. Unlike
    /// it, only the peers [`Policy::may_ask`] allows on behalf of a requester (the relay: the
    /// requester's own devices), since the asked learn the id. The requester hears
    /// `doc-unavailable` once every asked peer said so, went away or let the ask timeout pass
    /// (see [`Self::generate`]); if one supplies it, it is stored and synced as any change is.
    pub(super) fn ask_peers(&mut self, document: DocumentId) {
        if self.config.role != Role::Relay {
            return;
        }
        let Some(d) = self.docs.get(&document) else { return };
        if d.has_data() {
            return;
        }
        let waiting: Vec<ConnectionId> =
            d.peers.iter().filter(|(_, p)| p.wants && !p.told_unavailable).map(|(&c, _)| c).collect();
        if waiting.is_empty() {
            return;
        }
        let candidates: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter_map(|(&c, conn)| match &conn.handshake {
                Handshake::Established { peer_id } => Some((c, peer_id)),
                _ => None,
            })
            .filter(|(c, _)| {
                d.peers.get(c).is_none_or(|p| !p.wants && !p.they_unavailable && p.asked.is_none())
            })
            // Asking names the document: only on behalf of a requester the policy lets us ask
            // this connection for (the relay: the requester's own other devices).
            .filter(|(c, _)| waiting.iter().any(|r| self.policy.may_ask(*r, *c)))
            .filter(|(c, peer_id)| self.policy.may_read(*c, peer_id, &document))
            .map(|(c, _)| c)
            .collect();
        let now_ms = self.now_ms;
        for c in candidates {
            self.register_interest(c, document);
            if let Some(d) = self.docs.get_mut(&document) {
                // A fresh sync state, so automerge certainly generates the request.
                let mut peer = PeerDoc::new(true);
                peer.asked = Some(now_ms);
                d.peers.insert(c, peer);
            }
        }
    }

    /// Relay: documents whose requesters wait only on asks older than the ask timeout, to look
    /// at again (at a tick), so that a silent peer holds no one's answer for longer than that.
    pub(super) fn release_expired_asks(&mut self) {
        let (now_ms, timeout) = (self.now_ms, self.config.ask_timeout_ms);
        let expired = self.docs.iter().filter(|(_, d)| {
            !d.has_data()
                && d.peers.values().any(|p| p.wants && !p.told_unavailable)
                && d.peers.values().any(|p| p.asked.is_some_and(|at| now_ms.saturating_sub(at) >= timeout))
        });
        let expired: Vec<DocumentId> = expired.map(|(id, _)| *id).collect();
        self.touched.extend(expired);
    }

    pub(super) fn generate(&mut self, document: DocumentId) {
        let Some(d) = self.docs.get_mut(&document) else { return };
        // Durable before acknowledged: nothing that advertises heads leaves while a store is pending.
        if !d.pending_stores.is_empty() {
            return;
        }
        let has_data = d.has_data();
        let heads = d.heads.clone();
        let mut unavailable = Vec::new();
        // Relay: while a peer we asked for the missing document may still supply it, requesters
        // wait, but not past the ask timeout: a silent peer must not hold anyone's answer.
        let (now_ms, timeout) = (self.now_ms, self.config.ask_timeout_ms);
        let awaiting_answers = !has_data
            && d.peers.values().any(|p| p.asked.is_some_and(|at| now_ms.saturating_sub(at) < timeout));
        let mut acknowledged = false;
        for (&connection, peer) in d.peers.iter_mut() {
            let Some(Connection { handshake: Handshake::Established { peer_id }, .. }) =
                self.connections.get(&connection)
            else {
                continue;
            };
            if self.config.role == Role::Client
                && has_data
                && peer
                    .sync
                    .their_heads
                    .as_ref()
                    .is_some_and(|theirs| heads.iter().all(|h| theirs.contains(h)))
                && peer.synced_heads.as_ref() != Some(&heads)
            {
                peer.synced_heads = Some(heads.clone());
                acknowledged = true;
                self.out.push(Action::Synced { document, connection });
            }
            // Checked on every pass, not only when dirty: the last asked peer's answer (or its
            // disconnection) is what releases a waiting requester.
            // Missing for this peer: nobody has it, or it may not see it (the same answer).
            let readable = self.policy.may_read(connection, peer_id, &document);
            if (!has_data || !readable) && peer.wants && !peer.told_unavailable && !awaiting_answers {
                peer.told_unavailable = true;
                unavailable.push((connection, peer_id.clone()));
            }
            if !peer.dirty {
                continue;
            }
            peer.dirty = false;
            if !readable {
                continue;
            }
            if !has_data && (peer.wants || peer.they_unavailable) {
                continue;
            }
            // A peer that asks again for a change we already sent lost it (a frame lost on a broken
            // connection, or a duplicate that reset its state): send it again rather than let
            // automerge's de-duplication stall the exchange in an endless need/have ping-pong.
            if let Some(need) = &peer.sync.their_need {
                for hash in need {
                    peer.sync.sent_hashes.remove(hash);
                }
            }
            let Some(message) = d.doc.generate_sync_message(&mut peer.sync) else { continue };
            peer.told_unavailable = false;
            let data = message.encode();
            let (sender_id, target_id) = (self.config.peer_id.clone(), peer_id.clone());
            // `request` means "I have nothing, do you?": only when neither side has shown data.
            let asking = !has_data && peer.sync.their_heads.as_ref().is_none_or(|h| h.is_empty());
            let wire = if !asking {
                Message::Sync { sender_id, target_id, document_id: document, data }
            } else {
                Message::Request { sender_id, target_id, document_id: document, data }
            };
            self.out.push(Action::Send { connection, bytes: codec::encode(&wire) });
        }
        if acknowledged {
            d.acknowledged_heads = Some(heads);
        }
        for (connection, target_id) in unavailable {
            let message = Message::DocUnavailable {
                sender_id: self.config.peer_id.clone(),
                target_id,
                document_id: document,
            };
            self.out.push(Action::Send { connection, bytes: codec::encode(&message) });
        }
    }
}
