//! The crate's one error type.

/// Everything that can go wrong in `tandem-sync`: malformed input from a peer, an id or URL that does
/// not parse, or an application call that does not fit the engine's state.
///
/// Errors about a peer's bytes are only ever that peer's problem: the engine answers them by closing
/// that one connection (see [`crate::engine`]), never by failing as a whole.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The frame is not one well-formed CBOR item.
    #[error("malformed CBOR: {0}; send one CBOR map per binary frame")]
    MalformedCbor(String),
    /// Bytes follow the first CBOR item in the frame.
    #[error("{0} trailing bytes after the message; send exactly one CBOR map per frame")]
    TrailingBytes(usize),
    /// The frame is CBOR but not a map.
    #[error("a message must be a CBOR map with text keys")]
    NotAMap,
    /// A required field is absent (or `undefined`/`null`).
    #[error("missing field `{field}` in a `{message_type}` message")]
    MissingField {
        /// The message's `type`.
        message_type: String,
        /// The field that is missing.
        field: &'static str,
    },
    /// A field has the wrong CBOR type or an impossible value.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The offending field.
        field: &'static str,
        /// What it should have been, in words.
        expected: &'static str,
    },
    /// The `type` field names a message this codec does not know.
    #[error("unknown message type `{0}`")]
    UnknownMessageType(String),
    /// The known fields of a frame hold more CBOR items than any honest message does.
    #[error("the message holds more than {0} items; no message of this protocol needs that many")]
    TooManyItems(usize),
    /// A frame's automerge chunks inflate to more than the relay allows.
    #[error(
        "a frame of {frame} bytes inflates to more than {allowed} bytes, past this peer's limit; sync large documents in smaller steps"
    )]
    InflatesTooMuch {
        /// The frame's size in bytes.
        frame: usize,
        /// The most its chunks may inflate to.
        allowed: u64,
    },
    /// The `data` of a `request` or `sync` is not an automerge sync message.
    #[error("invalid automerge sync message: {0}")]
    InvalidSyncMessage(String),
    /// A sync message's bloom filter has parameters no honest peer sends.
    #[error("invalid bloom filter in a sync message: {0}")]
    BadBloomFilter(String),
    /// The frame is larger than the configured maximum.
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// The frame's size in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A document id is not the bs58check encoding of 16 bytes.
    #[error("invalid document id `{0}`: expected bs58check of 16 bytes")]
    InvalidDocumentId(String),
    /// An automerge URL is not `automerge:<document id>`.
    #[error("invalid automerge URL `{0}`: expected `automerge:<document id>`")]
    InvalidUrl(String),
    /// A storage key part is empty or contains `/`.
    #[error("invalid storage key part `{0}`: parts must be non-empty and contain no `/`")]
    InvalidStorageKey(String),
    /// The application asked for a document the engine has not loaded (yet).
    #[error("document {0} is not loaded; open it and wait for `DocumentReady`")]
    DocumentNotLoaded(String),
    /// The application tried to create a document that already exists in memory.
    #[error("document {0} already exists")]
    DocumentExists(String),
}
