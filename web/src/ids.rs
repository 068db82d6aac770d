//! Fresh ids for documents and for list items (notes, questions, goals, check-ins): random, so two
//! devices offline never pick the same one.

use tandem_sync::DocumentId;

/// A new document id from 16 random bytes of the browser's crypto, shaped as automerge-repo
/// expects ([`DocumentId::new_random`]).
pub fn new_document_id() -> DocumentId {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&tandem_core::automerge::ActorId::random().to_bytes()[..16]);
    DocumentId::new_random(bytes)
}

/// A new item id: 16 random bytes from the browser's crypto (through automerge's `wasm` feature),
/// as 22 characters of base58.
pub fn new_item_id() -> String {
    bs58::encode(tandem_core::automerge::ActorId::random().to_bytes()).into_string()
}
