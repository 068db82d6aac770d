//! What an engine is: a relay or a client, and its settings.

use crate::PeerId;
use crate::bounds::Limits;
use crate::codec;

/// Which end of a connection this engine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Accepts connections: waits for `join`, answers `peer`, stores and serves every document it is
    /// asked for (subject to the [`Policy`]).
    Relay,
    /// Opens connections: sends `join`, then syncs the documents the app opened with every peer.
    Client,
}

/// Engine settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// This engine's peer id (`senderId` in everything it sends).
    pub peer_id: PeerId,
    /// Relay or client.
    pub role: Role,
    /// Our storage id, sent in `peerMetadata` (optional).
    pub storage_id: Option<String>,
    /// Tell peers we will not come back with the same storage.
    pub is_ephemeral: bool,
    /// Evict a document after this long without use (milliseconds).
    pub idle_evict_after_ms: u64,
    /// Write a snapshot and delete the incremental chunks once a document has this many.
    pub compact_after_incrementals: usize,
    /// Relay: how long a peer asked for a missing document may keep its requesters waiting
    /// (milliseconds). A peer that has not answered by then no longer holds anyone's
    /// `doc-unavailable` (looked at again at every [`Event::Tick`](super::Event::Tick)).
    pub ask_timeout_ms: u64,
    /// Frames larger than this close the connection.
    pub max_frame_bytes: usize,
    /// What a frame's automerge chunks may inflate to; frames past it close the connection
    /// before anything of them is inflated.
    pub limits: Limits,
    /// The session id of ephemeral messages this engine originates (random per start; the caller
    /// supplies it because the engine has no randomness).
    pub ephemeral_session_id: String,
}

impl Config {
    /// Defaults for a relay.
    pub fn relay(peer_id: impl Into<PeerId>) -> Self {
        Config {
            peer_id: peer_id.into(),
            role: Role::Relay,
            storage_id: None,
            is_ephemeral: false,
            idle_evict_after_ms: 5 * 60 * 1000,
            compact_after_incrementals: 32,
            ask_timeout_ms: 2_000,
            max_frame_bytes: codec::DEFAULT_MAX_FRAME_BYTES,
            limits: Limits::default(),
            ephemeral_session_id: String::new(),
        }
    }

    /// Defaults for a client; `ephemeral_session_id` should be random per start.
    pub fn client(peer_id: impl Into<PeerId>, ephemeral_session_id: impl Into<String>) -> Self {
        Config {
            role: Role::Client,
            ephemeral_session_id: ephemeral_session_id.into(),
            ..Self::relay(peer_id)
        }
    }
}
