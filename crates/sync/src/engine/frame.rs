//! One frame from a peer, decoded and checked: the costly part of handling a frame, which a
//! runtime with threads to spare does off the engine's thread.

use automerge::sync;

use crate::Error;
use crate::bounds::{self, Limits};
use crate::codec::{self, Message};

/// A decoded frame: the protocol message and, for `request` and `sync`, the automerge sync
/// message inside it, checked against [`Limits`] (its chunks' inflated size, its bloom filters).
///
/// Made only by [`Frame::decode`]. The engine checks the frame's size and measured inflation
/// against its own [`crate::Config`] again, so a frame decoded with looser limits elsewhere is
/// still refused.
#[derive(Clone, Debug)]
pub struct Frame(Box<Parts>);

/// Boxed: a frame travels in an [`super::Event`], which stays small.
#[derive(Clone, Debug)]
struct Parts {
    message: Message,
    sync: Option<sync::Message>,
    len: usize,
    inflated: u64,
}

impl Frame {
    /// Decodes one binary frame. Pure and `Send`: call it on any thread. Its cost in time and
    /// memory is bounded by the frame's size and `limits`, whatever the frame holds.
    pub fn decode(bytes: &[u8], max_frame_bytes: usize, limits: &Limits) -> Result<Frame, Error> {
        if bytes.len() > max_frame_bytes {
            return Err(Error::FrameTooLarge { size: bytes.len(), limit: max_frame_bytes });
        }
        let message = codec::decode(bytes)?;
        let (sync, inflated) = match &message {
            Message::Request { data, .. } | Message::Sync { data, .. } => {
                let sync =
                    sync::Message::decode(data).map_err(|e| Error::InvalidSyncMessage(e.to_string()))?;
                let inflated = bounds::check_sync_message(&sync, bytes.len(), limits)?;
                (Some(sync), inflated)
            }
            _ => (None, 0),
        };
        Ok(Frame(Box::new(Parts { message, sync, len: bytes.len(), inflated })))
    }

    /// The protocol message.
    pub fn message(&self) -> &Message {
        &self.0.message
    }

    /// The automerge sync message of a `request` or `sync`.
    pub fn sync_message(&self) -> Option<&sync::Message> {
        self.0.sync.as_ref()
    }

    /// The frame's size on the wire.
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Never true: a frame holds at least a CBOR map header.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// What its automerge chunks inflate to.
    pub fn inflated(&self) -> u64 {
        self.0.inflated
    }

    pub(super) fn into_parts(self) -> (Message, Option<sync::Message>) {
        let Parts { message, sync, .. } = *self.0;
        (message, sync)
    }
}
