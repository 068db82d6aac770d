//! The skeleton's one document, a note, and how it is kept as storage chunks. No I/O: this module
//! decides what to write, [`crate::store`] writes it.
//!
//! Storage follows automerge-repo's layout so stored data stays portable: each chunk is keyed
//! `[document id, "snapshot" | "incremental", hash]`. An edit batch becomes an incremental chunk
//! (the changes since the last save, keyed by the SHA-256 of its bytes); when the incremental chunks
//! together outgrow the snapshot, they are compacted into a new snapshot (keyed by the hash of the
//! document's heads) and removed in the same transaction.
//!
//! Genesis: the note's root structure (`schema_version` and the `text` object) is created once, by
//! [`Note::create`], on the device that makes the note. [`Note::load`] never creates it again: two
//! peers that each created their own `text` would, after a merge, keep only one of them, and the
//! other peer's writing would silently vanish.

use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
    transaction::{CommitOptions, Transactable},
};
use sha2::{Digest, Sha256};

use crate::splice::Splice;

/// The schema version this code writes into a new note.
pub const SCHEMA_VERSION: u64 = 1;

/// An automerge-repo document id: bs58check of 16 random bytes (the part after `automerge:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentId(String);

impl DocumentId {
    /// A new random id. Randomness comes from the browser's crypto through automerge's `wasm` feature.
    pub fn random() -> Self {
        Self(bs58::encode(ActorId::random().to_bytes()).with_check().into_string())
    }

    /// Checks that `text` is a bs58check string of 16 bytes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        match bs58::decode(text).with_check(None).into_vec() {
            Ok(bytes) if bytes.len() == 16 => Ok(Self(text.to_owned())),
            _ => Err(NoteError::BadDocumentId(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DocumentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The second part of a chunk's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// The whole document, `doc.save()`.
    Snapshot,
    /// Changes since an earlier save, `doc.save_after(heads)`.
    Incremental,
}

impl ChunkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Incremental => "incremental",
        }
    }

    /// The kind named `name`; `None` for kinds this code does not load (such as "sync-state").
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "snapshot" => Some(Self::Snapshot),
            "incremental" => Some(Self::Incremental),
            _ => None,
        }
    }
}

/// `[document id, kind, hash]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkKey {
    pub document: DocumentId,
    pub kind: ChunkKind,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub key: ChunkKey,
    pub bytes: Vec<u8>,
}

/// What one save writes: chunks to put and chunks to remove, in one storage transaction, so a
/// compaction never leaves the document without its changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Write {
    pub put: Vec<Chunk>,
    pub remove: Vec<ChunkKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("{0:?} is not a document id")]
    BadDocumentId(String),
    #[error("document {0} has no stored chunks on this device")]
    NotStored(DocumentId),
    #[error("document {0} is damaged and cannot be opened: {1}")]
    Damaged(DocumentId, automerge::AutomergeError),
    #[error("document {0} has no note text; it was not created by this version of Tandem")]
    NoText(DocumentId),
    #[error("the note cannot be edited: {0}")]
    Edit(#[from] automerge::AutomergeError),
}

/// A chunk this device has stored, as far as compaction needs to know.
#[derive(Debug, Clone)]
struct Stored {
    key: ChunkKey,
    size: usize,
}

/// The note, open on this device.
#[derive(Debug)]
pub struct Note {
    id: DocumentId,
    doc: AutoCommit,
    text: ObjId,
    /// The heads of the last save: the next incremental chunk holds the changes after them.
    saved_heads: Vec<ChangeHash>,
    /// The chunks in storage, so a compaction knows what to remove.
    stored: Vec<Stored>,
    /// After a failed write, the next save writes a whole snapshot rather than trusting `stored`.
    snapshot_next: bool,
}

impl Note {
    /// Creates a new note: its genesis change, and the first snapshot to store. Only the device
    /// that makes the note calls this, once.
    pub fn create(id: DocumentId, now_seconds: i64) -> (Self, Write) {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "schema_version", SCHEMA_VERSION).expect("putting into a new map cannot fail");
        let text = doc.put_object(ROOT, "text", ObjType::Text).expect("a new map takes a text");
        doc.commit_with(CommitOptions::default().with_message("create note").with_time(now_seconds));
        let mut note =
            Note { id, doc, text, saved_heads: Vec::new(), stored: Vec::new(), snapshot_next: false };
        let write = note.snapshot();
        (note, write)
    }

    /// Opens a stored note from its chunks. A random actor id is chosen for this tab: two tabs of
    /// the same person are two writers and must not reuse each other's sequence numbers.
    pub fn load(id: DocumentId, chunks: Vec<Chunk>) -> Result<Self, NoteError> {
        if chunks.is_empty() {
            return Err(NoteError::NotStored(id));
        }
        let mut doc = AutoCommit::new();
        doc.set_actor(ActorId::random());
        let mut stored = Vec::with_capacity(chunks.len());
        // Snapshots first, so incremental changes find their dependencies already loaded.
        let (snapshots, incrementals): (Vec<_>, Vec<_>) =
            chunks.into_iter().partition(|c| c.key.kind == ChunkKind::Snapshot);
        for chunk in snapshots.into_iter().chain(incrementals) {
            doc.load_incremental(&chunk.bytes).map_err(|e| NoteError::Damaged(id.clone(), e))?;
            stored.push(Stored { key: chunk.key, size: chunk.bytes.len() });
        }
        let text = match doc.get(ROOT, "text") {
            Ok(Some((Value::Object(ObjType::Text), text))) => text,
            _ => return Err(NoteError::NoText(id)),
        };
        let saved_heads = doc.get_heads();
        Ok(Note { id, doc, text, saved_heads, stored, snapshot_next: false })
    }

    pub fn id(&self) -> &DocumentId {
        &self.id
    }

    pub fn text(&self) -> String {
        self.doc.text(&self.text).expect("the text object exists from genesis on")
    }

    /// The schema version the note was created with.
    pub fn schema_version(&self) -> Option<u64> {
        match self.doc.get(ROOT, "schema_version") {
            Ok(Some((Value::Scalar(v), _))) => match v.as_ref() {
                ScalarValue::Uint(n) => Some(*n),
                ScalarValue::Int(n) => u64::try_from(*n).ok(),
                _ => None,
            },
            _ => None,
        }
    }

    /// Applies one edit to the open transaction. Nothing is committed: edits are committed in
    /// batches by [`Note::save`], since one commit per keystroke costs memory and sync time.
    pub fn apply(&mut self, splice: &Splice) -> Result<(), NoteError> {
        let delete =
            isize::try_from(splice.delete).expect("a textarea holds fewer than isize::MAX characters");
        self.doc.splice_text(&self.text, splice.index, delete, &splice.insert)?;
        Ok(())
    }

    /// Whether there are edits that [`Note::save`] would write.
    pub fn has_unsaved(&mut self) -> bool {
        self.doc.pending_ops() > 0 || self.doc.get_heads() != self.saved_heads || self.snapshot_next
    }

    /// Commits the pending edits as one change and returns what to write, or `None` when
    /// everything is saved. The caller must report a failed write with [`Note::write_failed`].
    pub fn save(&mut self, now_seconds: i64) -> Option<Write> {
        if self.doc.pending_ops() > 0 {
            self.doc.commit_with(CommitOptions::default().with_message("edit note").with_time(now_seconds));
        }
        if self.snapshot_next {
            return Some(self.snapshot());
        }
        let bytes = self.doc.save_after(&self.saved_heads);
        if bytes.is_empty() {
            return None;
        }
        let incremental_size: usize = bytes.len()
            + self
                .stored
                .iter()
                .filter(|s| s.key.kind == ChunkKind::Incremental)
                .map(|s| s.size)
                .sum::<usize>();
        let snapshot_size: usize =
            self.stored.iter().filter(|s| s.key.kind == ChunkKind::Snapshot).map(|s| s.size).sum();
        // automerge-repo's rule: compact once the changes outweigh the snapshot they follow.
        if incremental_size > snapshot_size {
            return Some(self.snapshot());
        }
        let key =
            ChunkKey { document: self.id.clone(), kind: ChunkKind::Incremental, hash: sha256_hex(&bytes) };
        self.stored.push(Stored { key: key.clone(), size: bytes.len() });
        self.saved_heads = self.doc.get_heads();
        Some(Write { put: vec![Chunk { key, bytes }], remove: Vec::new() })
    }

    /// Records that the last [`Write`] did not reach storage: the next save writes a whole snapshot
    /// and removes every chunk this device knows of, so nothing depends on the lost chunk.
    pub fn write_failed(&mut self) {
        self.snapshot_next = true;
    }

    /// A snapshot of the whole document that replaces every stored chunk.
    fn snapshot(&mut self) -> Write {
        let heads = self.doc.get_heads();
        let bytes = self.doc.save();
        let key = ChunkKey { document: self.id.clone(), kind: ChunkKind::Snapshot, hash: heads_hash(&heads) };
        let remove = self.stored.drain(..).map(|s| s.key).filter(|k| *k != key).collect();
        self.stored.push(Stored { key: key.clone(), size: bytes.len() });
        self.saved_heads = heads;
        self.snapshot_next = false;
        Write { put: vec![Chunk { key, bytes }], remove }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex_string(&Sha256::digest(bytes))
}

/// automerge-repo's `headsHash`: the SHA-256 of the heads' hex strings, concatenated.
fn heads_hash(heads: &[ChangeHash]) -> String {
    let joined: String = heads.iter().map(ChangeHash::to_string).collect();
    sha256_hex(joined.as_bytes())
}

fn hex_string(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::splice;

    /// Replays a write into a list of stored chunks, as storage would.
    fn store(chunks: &mut Vec<Chunk>, write: Write) {
        chunks.retain(|c| !write.remove.contains(&c.key));
        for chunk in write.put {
            chunks.retain(|c| c.key != chunk.key);
            chunks.push(chunk);
        }
    }

    fn type_text(note: &mut Note, old: &str, new: &str) {
        let splice = splice::between(old, new, None).unwrap();
        note.apply(&splice).unwrap();
    }

    #[wasm_bindgen_test]
    fn document_ids_are_bs58check_of_16_bytes_and_parse_back() {
        let id = DocumentId::random();
        assert_eq!(DocumentId::parse(id.as_str()).unwrap(), id);
        assert_ne!(DocumentId::random(), id);
        assert!(DocumentId::parse("not an id").is_err());
        // automerge-repo's ids look like this one, generated by its JavaScript client.
        assert!(DocumentId::parse("4NMNnkMhL8jXrdJ9jamS58PAVdXu").is_ok());
    }

    #[wasm_bindgen_test]
    fn a_created_note_reloads_with_its_text_and_schema_version() {
        let id = DocumentId::random();
        let (mut note, genesis) = Note::create(id.clone(), 1_700_000_000);
        let mut chunks = Vec::new();
        store(&mut chunks, genesis);
        type_text(&mut note, "", "Strengths first.");
        store(&mut chunks, note.save(1_700_000_001).unwrap());
        assert!(!note.has_unsaved());

        let mut reloaded = Note::load(id, chunks).unwrap();
        assert_eq!(reloaded.text(), "Strengths first.");
        assert_eq!(reloaded.schema_version(), Some(SCHEMA_VERSION));
        assert!(!reloaded.has_unsaved());
    }

    #[wasm_bindgen_test]
    fn loading_never_recreates_the_root_text() {
        let id = DocumentId::random();
        let (_, genesis) = Note::create(id.clone(), 0);
        let a = Note::load(id.clone(), genesis.put.clone()).unwrap();
        let b = Note::load(id, genesis.put).unwrap();
        // Both devices write into the one text object the creator made.
        assert_eq!(a.text, b.text);
        assert_ne!(a.doc.get_actor(), b.doc.get_actor(), "each tab writes as its own actor");
    }

    #[wasm_bindgen_test]
    fn concurrent_edits_on_two_loaded_copies_both_survive_a_merge() {
        let id = DocumentId::random();
        let (_, genesis) = Note::create(id.clone(), 0);
        let mut a = Note::load(id.clone(), genesis.put.clone()).unwrap();
        let mut b = Note::load(id, genesis.put).unwrap();
        type_text(&mut a, "", "mentor ");
        type_text(&mut b, "", "associate");
        a.save(1);
        b.save(1);
        a.doc.merge(&mut b.doc).unwrap();
        let merged = a.text();
        assert!(merged.contains("mentor ") && merged.contains("associate"), "{merged:?}");
    }

    #[wasm_bindgen_test]
    fn a_note_that_was_never_stored_or_has_no_text_is_an_error_not_a_new_note() {
        let id = DocumentId::random();
        assert!(matches!(Note::load(id.clone(), Vec::new()), Err(NoteError::NotStored(_))));

        let mut other = AutoCommit::new();
        other.put(ROOT, "title", "no text here").unwrap();
        let chunk = Chunk {
            key: ChunkKey { document: id.clone(), kind: ChunkKind::Snapshot, hash: "x".into() },
            bytes: other.save(),
        };
        assert!(matches!(Note::load(id.clone(), vec![chunk.clone()]), Err(NoteError::NoText(_))));

        let damaged = Chunk { bytes: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3], ..chunk };
        assert!(matches!(Note::load(id, vec![damaged]), Err(NoteError::Damaged(..))));
    }

    #[wasm_bindgen_test]
    fn edits_are_committed_in_one_change_per_save_not_per_keystroke() {
        let (mut note, _) = Note::create(DocumentId::random(), 0);
        let mut shown = String::new();
        for c in "twelve chars".chars() {
            let next = format!("{shown}{c}");
            type_text(&mut note, &shown, &next);
            shown = next;
        }
        note.save(1).unwrap();
        assert_eq!(note.doc.get_changes(&[]).len(), 2, "genesis and one batch of edits");
        assert!(note.save(2).is_none(), "nothing new to save");
    }

    #[wasm_bindgen_test]
    fn small_saves_are_incremental_chunks_until_they_outweigh_the_snapshot() {
        let id = DocumentId::random();
        let (mut note, genesis) = Note::create(id.clone(), 0);
        let mut chunks = Vec::new();
        store(&mut chunks, genesis);
        // A long first text makes a snapshot big enough for a few small incrementals to follow it.
        let long = "The associate opened with a clear objective. ".repeat(40);
        type_text(&mut note, "", &long);
        let write = note.save(1).unwrap();
        assert_eq!(write.put[0].key.kind, ChunkKind::Snapshot, "the big first batch outweighs genesis");
        assert_eq!(write.remove.len(), 1, "the genesis snapshot is replaced");
        store(&mut chunks, write);

        let mut text = long;
        let mut kinds = Vec::new();
        for i in 0..40 {
            let next = format!("{text}{i}");
            type_text(&mut note, &text, &next);
            text = next;
            let write = note.save(2 + i).unwrap();
            kinds.push(write.put[0].key.kind);
            store(&mut chunks, write);
            // Whatever the mix of chunks, the stored state always reloads to the current text.
            assert_eq!(Note::load(id.clone(), chunks.clone()).unwrap().text(), text);
        }
        assert_eq!(kinds[0], ChunkKind::Incremental);
        assert!(kinds.contains(&ChunkKind::Snapshot), "compaction happens: {kinds:?}");
        assert!(chunks.len() < 40, "compaction removes the chunks it replaces");
        for chunk in &chunks {
            if chunk.key.kind == ChunkKind::Incremental {
                assert_eq!(chunk.key.hash, sha256_hex(&chunk.bytes), "incrementals are keyed by content");
            }
        }
    }

    #[wasm_bindgen_test]
    fn after_a_failed_write_the_next_save_is_a_snapshot_that_replaces_everything() {
        let id = DocumentId::random();
        let (mut note, genesis) = Note::create(id.clone(), 0);
        let mut chunks = Vec::new();
        store(&mut chunks, genesis);
        type_text(&mut note, "", "lost?");
        let _lost = note.save(1).unwrap();
        note.write_failed();
        assert!(note.has_unsaved());
        let write = note.save(2).unwrap();
        assert_eq!(write.put[0].key.kind, ChunkKind::Snapshot);
        store(&mut chunks, write);
        assert_eq!(Note::load(id, chunks).unwrap().text(), "lost?");
    }

    #[wasm_bindgen_test]
    fn heads_hash_matches_automerge_repo() {
        // automerge-repo: headsHash(["aa", "bb"]) = sha256 of the UTF-8 of "aabb", as hex.
        let a = ChangeHash([0xaa; 32]);
        let b = ChangeHash([0xbb; 32]);
        let expected = sha256_hex(format!("{}{}", "aa".repeat(32), "bb".repeat(32)).as_bytes());
        assert_eq!(heads_hash(&[a, b]), expected);
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
