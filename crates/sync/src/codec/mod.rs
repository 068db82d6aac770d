//! The wire codec: automerge-repo's WebSocket protocol v1, one CBOR map per binary frame.
//!
//! Decoding is tolerant where real clients are loose and strict where it matters:
//! - tolerated: any key order, unknown keys (ignored), `undefined`/`null` values (treated as absent),
//!   non-minimal CBOR length headers, indefinite-length strings, a `count` written as a float (JS
//!   numbers), byte strings wrapped in CBOR tag 64 (cbor-x's typed-array tag), a `documentId` sent as
//!   16 raw bytes;
//! - rejected with an [`Error`]: malformed CBOR, anything but a map at the top, bytes after the map,
//!   required fields missing or of the wrong type, invalid document ids, unknown message types.
//!
//! Decoding allocates about what the frame holds and no more ([`read`]); what the automerge data
//! inside may cost is bounded separately ([`crate::bounds`]).
//!
//! Encoding writes the canonical shapes the JavaScript implementation writes (text keys, byte
//! strings for `data`), so any automerge-repo peer reads them.

mod read;

use ciborium::Value;

use crate::{DocumentId, Error, PeerId};

/// The only protocol version this codec speaks (automerge-repo's `ProtocolV1`).
pub const PROTOCOL_VERSION: &str = "1";

/// A suggested limit for one frame. Enforcing it while reading the socket is the runtime's job (so
/// oversized frames are never buffered); [`crate::engine::Config::max_frame_bytes`] defaults to it
/// and the engine rejects bigger frames too.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// What a peer says about itself in `join` and `peer`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// The peer's storage id, stable across reconnects when it stores documents durably.
    pub storage_id: Option<String>,
    /// True when the peer will not come back with the same storage (e.g. a private tab).
    pub is_ephemeral: bool,
}

/// The heads a peer reports for one storage id in `remote-heads-changed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteHeads {
    /// Change hashes as the sender wrote them (strings).
    pub heads: Vec<String>,
    /// The sender's clock, milliseconds since the epoch.
    pub timestamp: u64,
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Client → server: the first message on a connection.
    Join {
        /// The client's peer id.
        sender_id: PeerId,
        /// The client's metadata (absent in very old clients).
        peer_metadata: Option<PeerMetadata>,
        /// Protocol versions the client speaks; must include [`PROTOCOL_VERSION`].
        supported_protocol_versions: Vec<String>,
    },
    /// Server → client: the answer to `join`.
    Peer {
        /// The server's peer id.
        sender_id: PeerId,
        /// The client's peer id.
        target_id: PeerId,
        /// The server's metadata.
        peer_metadata: Option<PeerMetadata>,
        /// The version the server picked.
        selected_protocol_version: String,
    },
    /// Either side: a fatal problem; the sender closes the connection after it.
    Error {
        /// The sender, when it knows who it is talking to.
        sender_id: Option<PeerId>,
        /// The receiver, when known.
        target_id: Option<PeerId>,
        /// What went wrong, for people.
        message: String,
    },
    /// Either side: an advisory goodbye.
    Leave {
        /// The leaving peer.
        sender_id: PeerId,
    },
    /// Ask for a document: a sync message sent by a peer that has no data for it yet.
    Request {
        /// Sender.
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// An encoded automerge sync message.
        data: Vec<u8>,
    },
    /// One step of automerge's sync protocol for a document.
    Sync {
        /// Sender.
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// An encoded automerge sync message.
        data: Vec<u8>,
    },
    /// The sender does not have the document (or may not show it).
    DocUnavailable {
        /// Sender.
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
    },
    /// Application data about a document that is relayed but never stored (presence, cursors).
    Ephemeral {
        /// The original sender (kept when relayed).
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// Sequence number within the session.
        count: u64,
        /// The sender's session, random per start.
        session_id: String,
        /// The document.
        document_id: DocumentId,
        /// Opaque payload (CBOR, by automerge-repo convention).
        data: Vec<u8>,
    },
    /// Subscribe to or unsubscribe from remote heads of storage ids. Accepted and ignored.
    RemoteSubscriptionChange {
        /// Sender.
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// Storage ids to add.
        add: Vec<String>,
        /// Storage ids to remove.
        remove: Vec<String>,
    },
    /// Heads of a document on other storages. Accepted and ignored.
    RemoteHeadsChanged {
        /// Sender.
        sender_id: PeerId,
        /// Receiver.
        target_id: PeerId,
        /// The document.
        document_id: DocumentId,
        /// Heads per storage id, in the order sent.
        new_heads: Vec<(String, RemoteHeads)>,
    },
}

impl Message {
    /// The message's `type` string on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Error { .. } => "error",
            Message::Leave { .. } => "leave",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Message::RemoteHeadsChanged { .. } => "remote-heads-changed",
        }
    }

    /// The peer that sent this message (for `ephemeral`, the one that originated it), if the
    /// message names one.
    pub fn sender_id(&self) -> Option<&PeerId> {
        match self {
            Message::Join { sender_id, .. }
            | Message::Peer { sender_id, .. }
            | Message::Leave { sender_id }
            | Message::Request { sender_id, .. }
            | Message::Sync { sender_id, .. }
            | Message::DocUnavailable { sender_id, .. }
            | Message::Ephemeral { sender_id, .. }
            | Message::RemoteSubscriptionChange { sender_id, .. }
            | Message::RemoteHeadsChanged { sender_id, .. } => Some(sender_id),
            Message::Error { sender_id, .. } => sender_id.as_ref(),
        }
    }

    /// The peer this message is for, if the message names one.
    pub fn target_id(&self) -> Option<&PeerId> {
        match self {
            Message::Peer { target_id, .. }
            | Message::Request { target_id, .. }
            | Message::Sync { target_id, .. }
            | Message::DocUnavailable { target_id, .. }
            | Message::Ephemeral { target_id, .. }
            | Message::RemoteSubscriptionChange { target_id, .. }
            | Message::RemoteHeadsChanged { target_id, .. } => Some(target_id),
            Message::Error { target_id, .. } => target_id.as_ref(),
            Message::Join { .. } | Message::Leave { .. } => None,
        }
    }

    /// The document this message is about, if any.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Ephemeral { document_id, .. }
            | Message::RemoteHeadsChanged { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }
}

/// Encodes a message as one CBOR map.
pub fn encode(message: &Message) -> Vec<u8> {
    let text = |s: &str| Value::Text(s.to_owned());
    let mut map: Vec<(Value, Value)> = vec![(text("type"), text(message.type_name()))];
    let mut put = |k: &str, v: Value| map.push((text(k), v));
    match message {
        Message::Join { sender_id, peer_metadata, supported_protocol_versions } => {
            put("senderId", text(sender_id.as_str()));
            if let Some(meta) = peer_metadata {
                put("peerMetadata", encode_metadata(meta));
            }
            put(
                "supportedProtocolVersions",
                Value::Array(supported_protocol_versions.iter().map(|v| text(v)).collect()),
            );
        }
        Message::Peer { sender_id, target_id, peer_metadata, selected_protocol_version } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            if let Some(meta) = peer_metadata {
                put("peerMetadata", encode_metadata(meta));
            }
            put("selectedProtocolVersion", text(selected_protocol_version));
        }
        Message::Error { sender_id, target_id, message } => {
            if let Some(s) = sender_id {
                put("senderId", text(s.as_str()));
            }
            if let Some(t) = target_id {
                put("targetId", text(t.as_str()));
            }
            put("message", text(message));
        }
        Message::Leave { sender_id } => put("senderId", text(sender_id.as_str())),
        Message::Request { sender_id, target_id, document_id, data }
        | Message::Sync { sender_id, target_id, document_id, data } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            put("documentId", text(&document_id.to_string()));
            put("data", Value::Bytes(data.clone()));
        }
        Message::DocUnavailable { sender_id, target_id, document_id } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            put("documentId", text(&document_id.to_string()));
        }
        Message::Ephemeral { sender_id, target_id, count, session_id, document_id, data } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            put("count", Value::Integer((*count).into()));
            put("sessionId", text(session_id));
            put("documentId", text(&document_id.to_string()));
            put("data", Value::Bytes(data.clone()));
        }
        Message::RemoteSubscriptionChange { sender_id, target_id, add, remove } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            put("add", Value::Array(add.iter().map(|s| text(s)).collect()));
            put("remove", Value::Array(remove.iter().map(|s| text(s)).collect()));
        }
        Message::RemoteHeadsChanged { sender_id, target_id, document_id, new_heads } => {
            put("senderId", text(sender_id.as_str()));
            put("targetId", text(target_id.as_str()));
            put("documentId", text(&document_id.to_string()));
            let heads = new_heads
                .iter()
                .map(|(storage, h)| {
                    let entry = Value::Map(vec![
                        (text("heads"), Value::Array(h.heads.iter().map(|s| text(s)).collect())),
                        (text("timestamp"), Value::Integer(h.timestamp.into())),
                    ]);
                    (text(storage), entry)
                })
                .collect();
            put("newHeads", Value::Map(heads));
        }
    }
    let mut out = Vec::new();
    // Writing a `Value` into a `Vec` cannot fail: there is no I/O and every value is representable.
    ciborium::ser::into_writer(&Value::Map(map), &mut out).expect("CBOR encoding into a Vec never fails");
    out
}

fn encode_metadata(meta: &PeerMetadata) -> Value {
    let mut map = Vec::new();
    if let Some(storage_id) = &meta.storage_id {
        map.push((Value::Text("storageId".into()), Value::Text(storage_id.clone())));
    }
    map.push((Value::Text("isEphemeral".into()), Value::Bool(meta.is_ephemeral)));
    Value::Map(map)
}

/// Every field any message has: the only ones the decoder builds (see [`read`]).
const FIELDS: &[&str] = &[
    "type",
    "senderId",
    "targetId",
    "peerMetadata",
    "supportedProtocolVersions",
    "selectedProtocolVersion",
    "message",
    "documentId",
    "data",
    "count",
    "sessionId",
    "add",
    "remove",
    "newHeads",
];

/// Decodes one frame, with work bounded by its size: unknown fields are stepped over, not built,
/// and known ones may hold at most a few thousand items.
pub fn decode(frame: &[u8]) -> Result<Message, Error> {
    let fields = Fields::new(read::top_map(frame, FIELDS)?)?;
    let message_type = fields.required_text("type", "")?;
    let t = message_type.as_str();
    let message = match t {
        "join" => Message::Join {
            sender_id: fields.peer("senderId", t)?,
            peer_metadata: fields.metadata()?,
            supported_protocol_versions: fields.required_text_list("supportedProtocolVersions", t)?,
        },
        "peer" => Message::Peer {
            sender_id: fields.peer("senderId", t)?,
            target_id: fields.peer("targetId", t)?,
            peer_metadata: fields.metadata()?,
            selected_protocol_version: fields.required_text("selectedProtocolVersion", t)?,
        },
        "error" => Message::Error {
            sender_id: fields.text("senderId")?.map(PeerId::from),
            target_id: fields.text("targetId")?.map(PeerId::from),
            message: fields.required_text("message", t)?,
        },
        "leave" => Message::Leave { sender_id: fields.peer("senderId", t)? },
        "request" | "sync" => {
            let sender_id = fields.peer("senderId", t)?;
            let target_id = fields.peer("targetId", t)?;
            let document_id = fields.document_id(t)?;
            let data = fields.required_bytes("data", t)?;
            if t == "request" {
                Message::Request { sender_id, target_id, document_id, data }
            } else {
                Message::Sync { sender_id, target_id, document_id, data }
            }
        }
        "doc-unavailable" => Message::DocUnavailable {
            sender_id: fields.peer("senderId", t)?,
            target_id: fields.peer("targetId", t)?,
            document_id: fields.document_id(t)?,
        },
        "ephemeral" => Message::Ephemeral {
            sender_id: fields.peer("senderId", t)?,
            target_id: fields.peer("targetId", t)?,
            count: fields.required_uint("count", t)?,
            session_id: fields.required_text("sessionId", t)?,
            document_id: fields.document_id(t)?,
            data: fields.required_bytes("data", t)?,
        },
        "remote-subscription-change" => Message::RemoteSubscriptionChange {
            sender_id: fields.peer("senderId", t)?,
            target_id: fields.peer("targetId", t)?,
            add: fields.text_list("add")?.unwrap_or_default(),
            remove: fields.text_list("remove")?.unwrap_or_default(),
        },
        "remote-heads-changed" => Message::RemoteHeadsChanged {
            sender_id: fields.peer("senderId", t)?,
            target_id: fields.peer("targetId", t)?,
            document_id: fields.document_id(t)?,
            new_heads: fields.new_heads(t)?,
        },
        other => return Err(Error::UnknownMessageType(other.to_owned())),
    };
    Ok(message)
}

/// The map's entries with text keys; `undefined`/`null` values dropped (JavaScript's "absent").
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn new(entries: Vec<(Value, Value)>) -> Result<Self, Error> {
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Value::Text(k) = k else {
                // A non-text key cannot be one of ours; like an unknown key, it is ignored.
                continue;
            };
            if matches!(v, Value::Null) {
                continue;
            }
            out.push((k, v));
        }
        Ok(Fields(out))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        // With duplicate keys the last one wins, as in JavaScript object literals.
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn text(&self, key: &'static str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Text(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::WrongType { field: key, expected: "a text string" }),
        }
    }

    fn required_text(&self, key: &'static str, message_type: &str) -> Result<String, Error> {
        self.text(key)?.ok_or_else(|| missing(message_type, key))
    }

    fn peer(&self, key: &'static str, message_type: &str) -> Result<PeerId, Error> {
        self.required_text(key, message_type).map(PeerId::from)
    }

    fn required_bytes(&self, key: &'static str, message_type: &str) -> Result<Vec<u8>, Error> {
        match self.get(key) {
            None => Err(missing(message_type, key)),
            Some(v) => bytes_of(v).ok_or(Error::WrongType { field: key, expected: "a byte string" }),
        }
    }

    fn required_uint(&self, key: &'static str, message_type: &str) -> Result<u64, Error> {
        let wrong = Error::WrongType { field: key, expected: "a non-negative integer" };
        match self.get(key) {
            None => Err(missing(message_type, key)),
            Some(v) => uint_of(v).ok_or(wrong),
        }
    }

    fn text_list(&self, key: &'static str) -> Result<Option<Vec<String>>, Error> {
        let wrong = Error::WrongType { field: key, expected: "an array of text strings" };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| if let Value::Text(s) = i { Ok(s.clone()) } else { Err(wrong.clone()) })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong),
        }
    }

    fn required_text_list(&self, key: &'static str, message_type: &str) -> Result<Vec<String>, Error> {
        self.text_list(key)?.ok_or_else(|| missing(message_type, key))
    }

    fn document_id(&self, message_type: &str) -> Result<DocumentId, Error> {
        const KEY: &str = "documentId";
        match self.get(KEY) {
            None => Err(missing(message_type, KEY)),
            Some(Value::Text(s)) => s.parse(),
            Some(v) => match bytes_of(v).map(<[u8; 16]>::try_from) {
                Some(Ok(bytes)) => Ok(DocumentId::from_bytes(bytes)),
                _ => Err(Error::WrongType { field: KEY, expected: "a bs58check document id" }),
            },
        }
    }

    fn metadata(&self) -> Result<Option<PeerMetadata>, Error> {
        const KEY: &str = "peerMetadata";
        match self.get(KEY) {
            None => Ok(None),
            Some(Value::Map(entries)) => {
                let fields = Fields::new(entries.clone())?;
                let storage_id = fields
                    .text("storageId")
                    .map_err(|_| Error::WrongType { field: "storageId", expected: "a text string" })?;
                let is_ephemeral = match fields.get("isEphemeral") {
                    None => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(Error::WrongType { field: "isEphemeral", expected: "a boolean" }),
                };
                Ok(Some(PeerMetadata { storage_id, is_ephemeral }))
            }
            Some(_) => Err(Error::WrongType { field: KEY, expected: "a map" }),
        }
    }

    fn new_heads(&self, message_type: &str) -> Result<Vec<(String, RemoteHeads)>, Error> {
        const KEY: &str = "newHeads";
        let wrong = Error::WrongType { field: KEY, expected: "a map of storage id to {heads, timestamp}" };
        let Some(value) = self.get(KEY) else { return Err(missing(message_type, KEY)) };
        let Value::Map(entries) = value else { return Err(wrong) };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let (Value::Text(storage), Value::Map(inner)) = (k, v) else { return Err(wrong) };
            let inner = Fields::new(inner.clone())?;
            let heads = inner.text_list("heads").map_err(|_| wrong.clone())?.unwrap_or_default();
            let timestamp = match inner.get("timestamp") {
                None => 0,
                Some(v) => uint_of(v).ok_or_else(|| wrong.clone())?,
            };
            out.push((storage.clone(), RemoteHeads { heads, timestamp }));
        }
        Ok(out)
    }
}

fn missing(message_type: &str, field: &'static str) -> Error {
    Error::MissingField { message_type: message_type.to_owned(), field }
}

fn bytes_of(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Bytes(b) => Some(b.clone()),
        // cbor-x can tag a Uint8Array with tag 64 ("uint8 typed array"); the payload is the same.
        Value::Tag(64, inner) => match inner.as_ref() {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn uint_of(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(i) => u64::try_from(*i).ok(),
        // JavaScript numbers may arrive as floats; accept those that are exact non-negative integers.
        Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64 => Some(*f as u64),
        _ => None,
    }
}
