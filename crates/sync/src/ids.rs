//! Identifiers: documents, automerge URLs, peers and connections.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A document's id: 16 random bytes, written as their bs58check encoding (automerge-repo's format).
///
/// The engine never invents randomness: runtimes make new ids with [`DocumentId::new_random`] from
/// bytes they drew themselves (the browser's `crypto.getRandomValues`, `rand` natively).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId([u8; 16]);

impl DocumentId {
    /// A new document's id from 16 random bytes, shaped as a version 4 UUID (RFC 4122: version
    /// nibble 4, variant bits `10`), as automerge-repo makes them: some of its versions (the
    /// reference sync server's among them) drop documents whose id is not a UUID. The other 122
    /// bits stay random, so ids made offline on different devices do not collide.
    pub fn new_random(random: [u8; 16]) -> Self {
        let mut bytes = random;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        DocumentId(bytes)
    }

    /// The id made of exactly these 16 bytes (an id read back, or a test's fixed id).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        DocumentId(bytes)
    }

    /// The 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL of this document.
    pub fn url(&self) -> AutomergeUrl {
        AutomergeUrl(*self)
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| Error::InvalidDocumentId(s.to_owned()))?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| Error::InvalidDocumentId(s.to_owned()))?;
        Ok(DocumentId(bytes))
    }
}

/// An `automerge:<document id>` URL, the form in which automerge-repo apps share documents.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AutomergeUrl(DocumentId);

impl AutomergeUrl {
    /// The URL's scheme prefix.
    pub const PREFIX: &'static str = "automerge:";

    /// The document this URL names.
    pub fn document_id(&self) -> DocumentId {
        self.0
    }
}

impl From<DocumentId> for AutomergeUrl {
    fn from(id: DocumentId) -> Self {
        AutomergeUrl(id)
    }
}

impl fmt::Display for AutomergeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

impl FromStr for AutomergeUrl {
    type Err = Error;

    /// Parses `automerge:<id>`. A `#heads` suffix (automerge-repo's link to a fixed version) is
    /// rejected rather than silently dropped: Tandem links always mean the live document.
    fn from_str(s: &str) -> Result<Self, Error> {
        let id = s.strip_prefix(Self::PREFIX).ok_or_else(|| Error::InvalidUrl(s.to_owned()))?;
        id.parse().map(AutomergeUrl).map_err(|_| Error::InvalidUrl(s.to_owned()))
    }
}

/// A peer's id as it names itself in `join`/`peer` messages (`senderId`). Any string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PeerId(String);

impl PeerId {
    /// The peer id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for PeerId {
    fn from(s: &str) -> Self {
        PeerId(s.to_owned())
    }
}

impl From<String> for PeerId {
    fn from(s: String) -> Self {
        PeerId(s)
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One transport connection, numbered by the runtime. The engine never makes these up: the runtime
/// picks a fresh id for every socket it opens or accepts and never reuses one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_roundtrip_through_their_bs58check_form() {
        let id = DocumentId::from_bytes(*b"0123456789abcdef");
        let text = id.to_string();
        assert_eq!(text.parse::<DocumentId>().unwrap(), id);
        assert_eq!(format!("automerge:{text}").parse::<AutomergeUrl>().unwrap().document_id(), id);
    }

    #[test]
    fn a_document_id_with_a_broken_checksum_is_rejected() {
        let text = DocumentId::from_bytes([7; 16]).to_string();
        let mut broken: Vec<char> = text.chars().collect();
        broken[3] = if broken[3] == '2' { '3' } else { '2' };
        let broken: String = broken.into_iter().collect();
        assert!(matches!(broken.parse::<DocumentId>(), Err(Error::InvalidDocumentId(_))));
    }

    #[test]
    fn ids_of_other_lengths_and_urls_of_other_schemes_are_rejected() {
        let short = bs58::encode([1u8; 15]).with_check().into_string();
        assert!(short.parse::<DocumentId>().is_err());
        let id = DocumentId::from_bytes([1; 16]);
        assert!(format!("http:{id}").parse::<AutomergeUrl>().is_err());
        assert!(format!("automerge:{id}#abc").parse::<AutomergeUrl>().is_err());
    }

    #[test]
    fn new_document_ids_are_version_4_uuids_as_automerge_repo_expects() {
        for random in [[0x00; 16], [0xff; 16], *b"0123456789abcdef"] {
            let bytes = *DocumentId::new_random(random).as_bytes();
            assert_eq!(bytes[6] >> 4, 4, "version nibble of {random:?}");
            assert_eq!(bytes[8] >> 6, 0b10, "RFC 4122 variant of {random:?}");
        }
    }

    #[test]
    fn a_new_document_id_keeps_every_random_bit_but_the_uuid_markers() {
        let random = *b"0123456789abcdef";
        let bytes = *DocumentId::new_random(random).as_bytes();
        for (i, (made, drawn)) in bytes.iter().zip(random).enumerate() {
            let kept = match i {
                6 => 0x0f,
                8 => 0x3f,
                _ => 0xff,
            };
            assert_eq!(made & kept, drawn & kept, "byte {i}");
        }
        assert_ne!(DocumentId::new_random([1; 16]), DocumentId::new_random([2; 16]));
    }

    #[test]
    fn a_known_automerge_repo_id_parses() {
        // An id minted by the JavaScript automerge-repo (from its README).
        let id: DocumentId = "4NMNnkMhL8jXrdJ9jamS58PAVdXu".parse().unwrap();
        assert_eq!(id.to_string(), "4NMNnkMhL8jXrdJ9jamS58PAVdXu");
    }
}
