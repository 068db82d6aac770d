//! Storage: automerge-repo's key layout, the [`Storage`] contract every backend implements, and an
//! in-memory backend.
//!
//! The engine never calls storage itself: it emits [`crate::Action::Load`], [`crate::Action::Store`]
//! and [`crate::Action::Delete`], and the runtime performs them on whatever backend it owns (SQLite
//! in the relay, IndexedDB in the browser) and reports back with events. The [`Storage`] trait is what
//! those backends share, so that one contract test suite ([`contract::run_all`]) holds them all to
//! the same behaviour.
//!
//! Key layout (as automerge-repo's `StorageSubsystem` writes it, so data is portable):
//!
//! | key | value |
//! |---|---|
//! | `[doc, "snapshot", sha256hex(concat of hex heads)]` | `Automerge::save()` |
//! | `[doc, "incremental", sha256hex(bytes)]` | changes since the previous chunk |
//! | `[doc, "sync-state", storage id]` | an encoded `automerge::sync::State` (reserved, unused yet) |

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

use crate::{DocumentId, Error};

pub mod contract;

/// A hierarchical key: non-empty parts without `/`. Ordered part by part, so every key under a prefix
/// sorts together.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorageKey(Vec<String>);

/// The kind of a document chunk, the key's second part.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChunkKind {
    /// A whole document (`save()`); covers every chunk written before it.
    Snapshot,
    /// Changes written since the previous chunk.
    Incremental,
    /// A peer's sync state.
    SyncState,
}

impl ChunkKind {
    /// The key part naming this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
            ChunkKind::SyncState => "sync-state",
        }
    }
}

impl StorageKey {
    /// A key from its parts; fails if a part is empty or contains `/`.
    pub fn from_parts<I, S>(parts: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let parts: Vec<String> = parts.into_iter().map(Into::into).collect();
        if let Some(bad) = parts.iter().find(|p| p.is_empty() || p.contains('/')) {
            return Err(Error::InvalidStorageKey(bad.clone()));
        }
        Ok(StorageKey(parts))
    }

    /// The parts.
    pub fn parts(&self) -> &[String] {
        &self.0
    }

    /// `[doc]`: everything stored for a document. The runtime loads this range for
    /// [`crate::Action::Load`].
    pub fn document_prefix(doc: &DocumentId) -> Self {
        StorageKey(vec![doc.to_string()])
    }

    /// `[doc, kind]`.
    pub fn kind_prefix(doc: &DocumentId, kind: ChunkKind) -> Self {
        StorageKey(vec![doc.to_string(), kind.as_str().to_owned()])
    }

    /// `[doc, "incremental", sha256hex(bytes)]`.
    pub fn incremental(doc: &DocumentId, bytes: &[u8]) -> Self {
        StorageKey(vec![doc.to_string(), "incremental".into(), hex::encode(Sha256::digest(bytes))])
    }

    /// `[doc, "snapshot", sha256hex(heads)]`, hashing the heads the way automerge-repo's `headsHash`
    /// does: the UTF-8 of the hex heads, concatenated in order.
    pub fn snapshot(doc: &DocumentId, heads: &[ChangeHash]) -> Self {
        let mut hasher = Sha256::new();
        for head in heads {
            hasher.update(head.to_string().as_bytes());
        }
        StorageKey(vec![doc.to_string(), "snapshot".into(), hex::encode(hasher.finalize())])
    }

    /// `[doc, "sync-state", storage_id]`, or `None` if the storage id is not a valid key part.
    pub fn sync_state(doc: &DocumentId, storage_id: &str) -> Option<Self> {
        StorageKey::from_parts([doc.to_string(), "sync-state".into(), storage_id.to_owned()]).ok()
    }

    /// True if `self` is a prefix of `other` (part by part; every key is a prefix of itself).
    pub fn is_prefix_of(&self, other: &StorageKey) -> bool {
        other.0.len() >= self.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }

    /// The document and chunk kind of a document chunk key, if it is one.
    pub fn chunk_kind(&self) -> Option<ChunkKind> {
        match self.0.get(1).map(String::as_str) {
            Some("snapshot") if self.0.len() == 3 => Some(ChunkKind::Snapshot),
            Some("incremental") if self.0.len() == 3 => Some(ChunkKind::Incremental),
            Some("sync-state") if self.0.len() == 3 => Some(ChunkKind::SyncState),
            _ => None,
        }
    }
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageKey({self})")
    }
}

/// What every storage backend does: a key-value store over [`StorageKey`]s with prefix reads.
///
/// The methods return futures so that both kinds of backend fit: SQLite (rusqlite is synchronous:
/// its futures are simply ready) and IndexedDB or Postgres (truly asynchronous). No `Send` bound is
/// required, so wasm backends holding JavaScript handles qualify; a runtime that needs `Send` futures
/// uses its concrete backend type, whose futures' auto traits are known.
///
/// Contract (checked by [`contract::run_all`]):
/// - `put` then `load_range` of any prefix of the key returns the bytes; `put` again replaces them;
/// - `load_range(prefix)` returns exactly the keys that `prefix` is a prefix of (part-wise: `[a]`
///   does not match `[ab]`), in any order;
/// - `delete` of a missing key succeeds; after `delete` the key is gone;
/// - when a `put` future has completed, the write is durable (committed): the engine relies on it
///   before it advertises the data to peers.
pub trait Storage {
    /// The backend's error.
    type Error: std::error::Error;

    /// All `(key, bytes)` under `prefix`.
    fn load_range(
        &self,
        prefix: &StorageKey,
    ) -> impl Future<Output = Result<Vec<(StorageKey, Vec<u8>)>, Self::Error>>;

    /// Stores `bytes` at `key`, replacing what was there; durable when the future completes.
    fn put(&self, key: &StorageKey, bytes: &[u8]) -> impl Future<Output = Result<(), Self::Error>>;

    /// Removes `key` if present.
    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<(), Self::Error>>;
}

/// An in-memory backend: for tests, and for clients that keep nothing between runs.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    chunks: Mutex<BTreeMap<StorageKey, Vec<u8>>>,
}

/// [`MemoryStorage`] never fails.
#[derive(Debug, thiserror::Error)]
#[error("memory storage never fails")]
pub enum Never {}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Synchronous `load_range`, for sans-IO test harnesses.
    pub fn load_range_now(&self, prefix: &StorageKey) -> Vec<(StorageKey, Vec<u8>)> {
        let chunks = self.chunks.lock().unwrap_or_else(|p| p.into_inner());
        chunks
            .range(prefix.clone()..)
            .take_while(|(k, _)| prefix.is_prefix_of(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Synchronous `put`.
    pub fn put_now(&self, key: &StorageKey, bytes: &[u8]) {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), bytes.to_vec());
    }

    /// Synchronous `delete`.
    pub fn delete_now(&self, key: &StorageKey) {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// Every key stored, in order.
    pub fn keys(&self) -> Vec<StorageKey> {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }
}

impl Storage for MemoryStorage {
    type Error = Never;

    fn load_range(
        &self,
        prefix: &StorageKey,
    ) -> impl Future<Output = Result<Vec<(StorageKey, Vec<u8>)>, Never>> {
        std::future::ready(Ok(self.load_range_now(prefix)))
    }

    fn put(&self, key: &StorageKey, bytes: &[u8]) -> impl Future<Output = Result<(), Never>> {
        self.put_now(key, bytes);
        std::future::ready(Ok(()))
    }

    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<(), Never>> {
        self.delete_now(key);
        std::future::ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_storage_passes_the_storage_contract() {
        contract::block_on(contract::run_all(MemoryStorage::new)).unwrap();
    }

    #[test]
    fn keys_follow_automerge_repos_layout() {
        let doc = DocumentId::from_bytes([3; 16]);
        let key = StorageKey::incremental(&doc, b"abc");
        assert_eq!(key.parts()[1], "incremental");
        // sha256("abc")
        assert_eq!(key.parts()[2], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(key.chunk_kind(), Some(ChunkKind::Incremental));
        // headsHash([]) is the hash of no bytes.
        let snap = StorageKey::snapshot(&doc, &[]);
        assert_eq!(snap.parts()[2], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert!(StorageKey::document_prefix(&doc).is_prefix_of(&snap));
        assert!(StorageKey::from_parts(["a/b"]).is_err());
        assert!(StorageKey::from_parts([""]).is_err());
    }
}
