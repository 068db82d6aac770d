//! What the runtime tells the engine ([`Event`]) and what the engine asks of it ([`Action`]).

use super::Frame;
use crate::codec::PeerMetadata;
use crate::storage::StorageKey;
use crate::{ConnectionId, DocumentId, Error, PeerId};

/// Names one [`Action::Store`]; the runtime hands it back in [`Event::StoreCompleted`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreToken(pub u64);

/// Something that happened, for the engine to react to.
#[derive(Debug, Clone)]
pub enum Event {
    /// The runtime opened (client) or accepted (relay) a connection.
    ConnectionOpened {
        /// A fresh id.
        connection: ConnectionId,
    },
    /// One binary frame arrived.
    BytesReceived {
        /// From where.
        connection: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// One binary frame arrived and the runtime decoded it ([`Frame::decode`], off the engine's
    /// thread), or failed to. Handled exactly as [`Event::BytesReceived`] of the same bytes.
    FrameDecoded {
        /// From where.
        connection: ConnectionId,
        /// The frame, or why it could not be decoded.
        frame: Result<Frame, Error>,
    },
    /// The connection ended (either side, any reason).
    ConnectionClosed {
        /// Which one.
        connection: ConnectionId,
    },
    /// The answer to [`Action::Load`]: every chunk stored under the document's prefix (empty when
    /// none).
    Loaded {
        /// The document.
        document: DocumentId,
        /// `(key, bytes)` as stored.
        chunks: Vec<(StorageKey, Vec<u8>)>,
    },
    /// The [`Action::Store`] with this token is durable.
    StoreCompleted {
        /// The token from the action.
        token: StoreToken,
    },
    /// Another process stored these chunks of `document` (another relay on the same database, as
    /// its announcement said). Applied only if the document is in memory, and then sent on to
    /// every peer as if a peer had sent it; nothing is stored again (it is stored already).
    /// Chunks the engine has already are skipped, so a runtime may pass more than is new.
    StoredElsewhere {
        /// The document.
        document: DocumentId,
        /// `(key, bytes)` as stored.
        chunks: Vec<(StorageKey, Vec<u8>)>,
    },
    /// The app wants this document: load it and sync it with every peer. Answered with
    /// [`Action::DocumentReady`] once it has content, or [`Action::DocumentUnavailable`].
    OpenDocument {
        /// The document.
        document: DocumentId,
    },
    /// Time passes: evict idle documents.
    Tick,
    /// The document was deleted for good (purged): drop it from memory with everything known
    /// about it (peers' sync states, interest, what arrived), so nothing more of it is stored or
    /// sent. The runtime deletes its stored chunks itself; a later message about the id is
    /// handled as for any other id (the policy decides).
    Forget {
        /// The document.
        document: DocumentId,
    },
}

/// Something the runtime must do (or may show), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one binary frame.
    Send {
        /// To where.
        connection: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// Close the connection (an `error` message has been sent before it). The engine has already
    /// forgotten it; a later [`Event::ConnectionClosed`] for it is ignored.
    Close {
        /// Which one.
        connection: ConnectionId,
        /// Why, for logs.
        reason: String,
    },
    /// A connection completed the handshake.
    PeerConnected {
        /// Which one.
        connection: ConnectionId,
        /// The remote's peer id.
        peer_id: PeerId,
        /// The remote's metadata.
        metadata: Option<PeerMetadata>,
    },
    /// Load every chunk under [`StorageKey::document_prefix`], then send [`Event::Loaded`].
    Load {
        /// The document.
        document: DocumentId,
    },
    /// Write this chunk durably, then send [`Event::StoreCompleted`].
    Store {
        /// Hand this back.
        token: StoreToken,
        /// Where.
        key: StorageKey,
        /// What.
        bytes: Vec<u8>,
    },
    /// Delete this chunk (its content is in a stored snapshot).
    Delete {
        /// Which.
        key: StorageKey,
    },
    /// The document's content changed because of a peer (the app should re-read it).
    DocumentChanged {
        /// The document.
        document: DocumentId,
    },
    /// A document the app opened has content now.
    DocumentReady {
        /// The document.
        document: DocumentId,
    },
    /// A document the app opened is not stored here and the peer does not have it (or may not show
    /// it). It stays open: if a peer later supplies it, [`Action::DocumentReady`] follows.
    DocumentUnavailable {
        /// The document.
        document: DocumentId,
    },
    /// Client only: the peer on this connection has (durably) everything this engine has of the
    /// document. Reported again after each change once it is acknowledged.
    Synced {
        /// The document.
        document: DocumentId,
        /// The peer's connection.
        connection: ConnectionId,
    },
    /// An ephemeral message for the app (presence, cursors).
    Ephemeral {
        /// The document.
        document: DocumentId,
        /// The original sender.
        sender: PeerId,
        /// The payload.
        data: Vec<u8>,
    },
    /// The [`Policy`] refused changes from this connection; they were dropped.
    WriteRefused {
        /// From where.
        connection: ConnectionId,
        /// The document.
        document: DocumentId,
    },
}
