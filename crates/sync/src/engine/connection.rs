//! Connections: the join/peer handshake, dispatching decoded frames, who may speak for
//! whom, protocol violations, and forgetting a connection.

use std::collections::BTreeSet;

use super::state::PeerDoc;
use super::state::Phase;
use super::{Action, Document, Engine, Frame, Policy, Role};
use crate::codec::{self, Message, PROTOCOL_VERSION, PeerMetadata};
use crate::{ConnectionId, DocumentId, Error, PeerId};

#[derive(Debug)]
pub(super) enum Handshake {
    AwaitingJoin,
    AwaitingPeer,
    Established { peer_id: PeerId },
}

#[derive(Debug)]
pub(super) struct Connection {
    pub(super) handshake: Handshake,
    /// Documents this connection takes part in; mirrors `Engine::interest`.
    pub(super) docs: BTreeSet<DocumentId>,
}

impl<P: Policy, D: Document> Engine<P, D> {
    pub(super) fn on_opened(&mut self, connection: ConnectionId) {
        let handshake = match self.config.role {
            Role::Relay => Handshake::AwaitingJoin,
            Role::Client => {
                let join = Message::Join {
                    sender_id: self.config.peer_id.clone(),
                    peer_metadata: Some(self.metadata()),
                    supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
                };
                self.out.push(Action::Send { connection, bytes: codec::encode(&join) });
                Handshake::AwaitingPeer
            }
        };
        self.connections.insert(connection, Connection { handshake, docs: BTreeSet::new() });
    }

    pub(super) fn metadata(&self) -> PeerMetadata {
        PeerMetadata { storage_id: self.config.storage_id.clone(), is_ephemeral: self.config.is_ephemeral }
    }

    pub(super) fn on_frame(&mut self, now_ms: u64, connection: ConnectionId, frame: Result<Frame, Error>) {
        let Some(conn) = self.connections.get(&connection) else { return };
        let frame = match frame {
            Ok(frame) => frame,
            // Newer protocol features must not cost old peers their connection.
            Err(Error::UnknownMessageType(_)) => return,
            Err(e) => return self.violation(connection, e.to_string()),
        };
        // This engine's limits hold whatever limits the frame was decoded with.
        if frame.len() > self.config.max_frame_bytes {
            let e = Error::FrameTooLarge { size: frame.len(), limit: self.config.max_frame_bytes };
            return self.violation(connection, e.to_string());
        }
        let allowed = self.config.limits.allowed_for(frame.len());
        if frame.inflated() > allowed {
            let e = Error::InflatesTooMuch { frame: frame.len(), allowed };
            return self.violation(connection, e.to_string());
        }
        let (message, sync) = frame.into_parts();
        let peer_id = match (&conn.handshake, message) {
            (
                Handshake::AwaitingJoin,
                Message::Join { sender_id, peer_metadata, supported_protocol_versions },
            ) => {
                if !supported_protocol_versions.iter().any(|v| v == PROTOCOL_VERSION) {
                    let reason = format!(
                        "unsupported protocol versions {supported_protocol_versions:?}; this relay speaks \"{PROTOCOL_VERSION}\""
                    );
                    return self.violation(connection, reason);
                }
                let peer = Message::Peer {
                    sender_id: self.config.peer_id.clone(),
                    target_id: sender_id.clone(),
                    peer_metadata: Some(self.metadata()),
                    selected_protocol_version: PROTOCOL_VERSION.to_owned(),
                };
                self.out.push(Action::Send { connection, bytes: codec::encode(&peer) });
                return self.establish(connection, sender_id, peer_metadata);
            }
            (Handshake::AwaitingPeer, Message::Peer { sender_id, peer_metadata, .. }) => {
                return self.establish(connection, sender_id, peer_metadata);
            }
            (_, Message::Error { message, .. }) => {
                self.out
                    .push(Action::Close { connection, reason: format!("peer reported an error: {message}") });
                return self.forget_connection(connection);
            }
            (Handshake::Established { .. }, Message::Leave { .. }) => {
                self.out.push(Action::Close { connection, reason: "peer left".into() });
                return self.forget_connection(connection);
            }
            (Handshake::Established { peer_id }, message) => (peer_id.clone(), message),
            (_, other) => {
                let reason =
                    format!("unexpected `{}` message before the handshake completed", other.type_name());
                return self.violation(connection, reason);
            }
        };
        let (peer_id, message) = peer_id;
        if let Some(reason) = self.misaddressed(&peer_id, &message) {
            return self.violation(connection, reason);
        }
        match (message, sync) {
            (Message::Request { document_id, .. }, Some(sync)) => {
                self.on_sync(now_ms, connection, &peer_id, document_id, sync, true)
            }
            (Message::Sync { document_id, .. }, Some(sync)) => {
                self.on_sync(now_ms, connection, &peer_id, document_id, sync, false)
            }
            // A frame always carries the sync message of a request or sync.
            (Message::Request { .. } | Message::Sync { .. }, None) => {}
            (Message::DocUnavailable { document_id, .. }, _) => {
                self.on_doc_unavailable(connection, document_id)
            }
            (Message::Ephemeral { sender_id, count, session_id, document_id, data, .. }, _) => {
                if !self.policy.may_read(connection, &peer_id, &document_id) {
                    return;
                }
                if let Some(d) = self.docs.get_mut(&document_id) {
                    d.last_used_ms = now_ms;
                }
                let id = (sender_id.clone(), session_id.clone(), count);
                if self.ephemeral_seen.contains(&id) {
                    return;
                }
                self.remember_ephemeral(id);
                self.out.push(Action::Ephemeral {
                    document: document_id,
                    sender: sender_id.clone(),
                    data: data.clone(),
                });
                self.forward_ephemeral(Some(connection), sender_id, session_id, count, document_id, data);
            }
            (Message::Join { .. } | Message::Peer { .. }, _) => {
                self.violation(connection, "handshake repeated on an established connection".into())
            }
            // Remote-heads gossip is an optimisation this engine does not use.
            (Message::RemoteSubscriptionChange { .. } | Message::RemoteHeadsChanged { .. }, _) => {}
            (Message::Error { .. } | Message::Leave { .. }, _) => {}
        }
    }

    /// A message on an established connection must come from the peer that joined on it and be
    /// for us: a connection cannot speak for another peer (the relay binds each connection to a
    /// person, and other peers trust `senderId` in ephemeral messages and logs).
    ///
    /// One exception, on the client side: `ephemeral` messages keep the `senderId` of the peer that
    /// originated them when a relay forwards them, as automerge-repo does.
    pub(super) fn misaddressed(&self, joined_as: &PeerId, message: &Message) -> Option<String> {
        let relayed = self.config.role == Role::Client && matches!(message, Message::Ephemeral { .. });
        if let Some(sender) = message.sender_id()
            && sender != joined_as
            && !relayed
        {
            return Some(format!(
                "a `{}` message from `{sender}` on the connection that joined as `{joined_as}`; send only as yourself",
                message.type_name()
            ));
        }
        match message.target_id() {
            Some(target) if *target != self.config.peer_id => Some(format!(
                "a `{}` message for `{target}` reached `{}`; address messages to the peer you joined",
                message.type_name(),
                self.config.peer_id
            )),
            _ => None,
        }
    }

    pub(super) fn establish(
        &mut self,
        connection: ConnectionId,
        peer_id: PeerId,
        metadata: Option<PeerMetadata>,
    ) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.handshake = Handshake::Established { peer_id: peer_id.clone() };
        }
        self.out.push(Action::PeerConnected { connection, peer_id, metadata });
        if self.config.role == Role::Client {
            // A client syncs every document the app has open with every peer.
            let open: Vec<DocumentId> =
                self.docs.iter().filter(|(_, d)| d.app_open).map(|(id, _)| *id).collect();
            for document in open {
                self.register_interest(connection, document);
                if let Some(d) = self.docs.get_mut(&document)
                    && d.phase == Phase::Ready
                {
                    d.peers.entry(connection).or_insert_with(|| PeerDoc::new(true));
                    self.touched.insert(document);
                }
            }
        }
    }

    pub(super) fn register_interest(&mut self, connection: ConnectionId, document: DocumentId) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.docs.insert(document);
            self.interest.entry(document).or_default().insert(connection);
        }
    }

    /// Answers a protocol violation: tell the peer why, close, forget. Only this connection suffers.
    pub(super) fn violation(&mut self, connection: ConnectionId, reason: String) {
        if !self.connections.contains_key(&connection) {
            return;
        }
        let error = Message::Error {
            sender_id: Some(self.config.peer_id.clone()),
            target_id: self.peer_id_of(connection).cloned(),
            message: reason.clone(),
        };
        self.out.push(Action::Send { connection, bytes: codec::encode(&error) });
        self.out.push(Action::Close { connection, reason });
        self.forget_connection(connection);
    }

    pub(super) fn forget_connection(&mut self, connection: ConnectionId) {
        let Some(conn) = self.connections.remove(&connection) else { return };
        for document in conn.docs {
            if let Some(set) = self.interest.get_mut(&document) {
                set.remove(&connection);
                if set.is_empty() {
                    self.interest.remove(&document);
                }
            }
            if let Some(d) = self.docs.get_mut(&document) {
                d.peers.remove(&connection);
                d.inbox.retain(|i| i.connection != connection);
                // A peer we asked for a missing document can no longer answer: requesters may be
                // owed their `doc-unavailable` now.
                if !d.has_data() {
                    self.touched.insert(document);
                }
            }
        }
    }
}
