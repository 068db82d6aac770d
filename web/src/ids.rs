//! Fresh ids for list items (notes, questions, goals, check-ins): random, so two devices offline
//! never pick the same one.

/// A new item id: 16 random bytes from the browser's crypto (through automerge's `wasm` feature),
/// as 22 characters of base58.
pub fn new_item_id() -> String {
    bs58::encode(tandem_core::automerge::ActorId::random().to_bytes()).into_string()
}
