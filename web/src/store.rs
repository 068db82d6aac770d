//! IndexedDB, the device's storage: document chunks in automerge-repo's layout, and a few settings.
//!
//! Two object stores:
//! - `documents`: records `{ key, binary }` under the array key `[document id, kind, hash]`, the
//!   layout of automerge-repo's IndexedDB adapter, so a document's chunks are one key range;
//! - `settings`: small strings by name, such as which document the app opens.
//!
//! Every [`Write`] is one readwrite transaction: a compaction's new snapshot and the removal of the
//! chunks it replaces land together or not at all.
//!
//! Built on the `idb` crate (futures over IndexedDB requests, same wasm-bindgen/web-sys as Yew).
//! The database is opened with `Factory::open` and an explicit upgrade step rather than idb's
//! `DatabaseBuilder`, which deletes every object store a later version forgets to list: storage
//! migrations here only add.

use idb::{Database, DatabaseEvent, Factory, KeyRange, Query, TransactionMode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::note::{Chunk, ChunkKey, ChunkKind, DocumentId, Write};

/// The version of the database's object stores. Raise it only to add stores or indexes.
const VERSION: u32 = 1;
const DOCUMENTS: &str = "documents";
const SETTINGS: &str = "settings";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this browser's storage (IndexedDB) failed: {0}")]
    Idb(#[from] idb::Error),
    #[error("this browser's storage (IndexedDB) did not save: the transaction was aborted")]
    Aborted,
}

/// An open connection to the device's database.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (and on first use creates) the database called `name`.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let mut request = Factory::new()?.open(name, Some(VERSION))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let existing = db.store_names();
            // Version 1: both stores. Later versions add below; nothing is ever dropped.
            for store in [DOCUMENTS, SETTINGS] {
                if !existing.iter().any(|name| name == store) {
                    // An error here aborts the upgrade, and `open` then fails with it.
                    let _ = db.create_object_store(store, idb::ObjectStoreParams::new());
                }
            }
        });
        Ok(Self { db: request.await? })
    }

    /// Every snapshot and incremental chunk of `document`, in key order.
    pub async fn load_chunks(&self, document: &DocumentId) -> Result<Vec<Chunk>, StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS], TransactionMode::ReadOnly)?;
        let store = transaction.object_store(DOCUMENTS)?;
        // All of a document's keys sort between [id] and [id, "\u{ffff}"].
        let range = KeyRange::bound(
            &key_array(&[document.as_str()]),
            &key_array(&[document.as_str(), "\u{ffff}"]),
            Some(false),
            Some(false),
        )?;
        let records = store.get_all(Some(Query::KeyRange(range)), None)?.await?;
        let mut chunks = Vec::with_capacity(records.len());
        for record in records {
            if let Some(chunk) = chunk_from_record(&record, document) {
                chunks.push(chunk);
            }
        }
        Ok(chunks)
    }

    /// Puts and removes the chunks of `write` in one transaction.
    pub async fn write(&self, write: &Write) -> Result<(), StoreError> {
        self.write_with_setting(write, None).await
    }

    /// Like [`Store::write`], and also sets a setting in the same transaction: a new document and
    /// the setting that names it are stored together or not at all.
    pub async fn write_with_setting(
        &self,
        write: &Write,
        setting: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS, SETTINGS], TransactionMode::ReadWrite)?;
        let documents = transaction.object_store(DOCUMENTS)?;
        // Requests are queued, not awaited one by one: the transaction commits once all are done,
        // and awaiting in between could let it commit early.
        for key in &write.remove {
            documents.delete(Query::Key(chunk_key(key)))?;
        }
        for chunk in &write.put {
            let key = chunk_key(&chunk.key);
            documents.put(&chunk_record(&key, &chunk.bytes), Some(&key))?;
        }
        if let Some((name, value)) = setting {
            transaction
                .object_store(SETTINGS)?
                .put(&JsValue::from_str(value), Some(&JsValue::from_str(name)))?;
        }
        if transaction.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) }
    }

    /// The setting called `name`, if it was ever set.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let transaction = self.db.transaction(&[SETTINGS], TransactionMode::ReadOnly)?;
        let value = transaction.object_store(SETTINGS)?.get(Query::Key(JsValue::from_str(name)))?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Closes the connection once its transactions finish.
    pub fn close(&self) {
        self.db.close();
    }
}

fn key_array(parts: &[&str]) -> JsValue {
    parts.iter().map(|p| JsValue::from_str(p)).collect::<Array>().into()
}

fn chunk_key(key: &ChunkKey) -> JsValue {
    key_array(&[key.document.as_str(), key.kind.as_str(), &key.hash])
}

/// `{ key, binary }`, as automerge-repo's IndexedDB adapter stores a chunk.
fn chunk_record(key: &JsValue, bytes: &[u8]) -> JsValue {
    let record = Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(&record, &"key".into(), key);
    let _ = Reflect::set(&record, &"binary".into(), &Uint8Array::from(bytes));
    record.into()
}

/// The chunk a stored record holds; `None` for records of kinds this code does not read.
fn chunk_from_record(record: &JsValue, document: &DocumentId) -> Option<Chunk> {
    let key: Array = Reflect::get(record, &"key".into()).ok()?.dyn_into().ok()?;
    let kind = ChunkKind::parse(&key.get(1).as_string()?)?;
    let hash = key.get(2).as_string()?;
    let binary: Uint8Array = Reflect::get(record, &"binary".into()).ok()?.dyn_into().ok()?;
    Some(Chunk { key: ChunkKey { document: document.clone(), kind, hash }, bytes: binary.to_vec() })
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// Each test gets its own database, so tests do not see each other's data.
    async fn fresh_store() -> Store {
        Store::open(&format!("tandem-test-{}", DocumentId::random())).await.unwrap()
    }

    fn chunk(document: &DocumentId, kind: ChunkKind, hash: &str, bytes: &[u8]) -> Chunk {
        Chunk { key: ChunkKey { document: document.clone(), kind, hash: hash.into() }, bytes: bytes.to_vec() }
    }

    #[wasm_bindgen_test]
    async fn chunks_round_trip_by_document_and_stay_apart_from_other_documents() {
        let store = fresh_store().await;
        let a = DocumentId::random();
        let b = DocumentId::random();
        let a_snapshot = chunk(&a, ChunkKind::Snapshot, "s1", &[1, 2, 3]);
        let a_incremental = chunk(&a, ChunkKind::Incremental, "i1", &[4, 5]);
        let b_snapshot = chunk(&b, ChunkKind::Snapshot, "s1", &[9]);
        store
            .write(&Write {
                put: vec![a_snapshot.clone(), a_incremental.clone(), b_snapshot.clone()],
                remove: vec![],
            })
            .await
            .unwrap();

        // Key order: "incremental" sorts before "snapshot".
        assert_eq!(store.load_chunks(&a).await.unwrap(), vec![a_incremental.clone(), a_snapshot.clone()]);
        assert_eq!(store.load_chunks(&b).await.unwrap(), vec![b_snapshot]);
        assert_eq!(store.load_chunks(&DocumentId::random()).await.unwrap(), vec![]);
        store.close();
    }

    #[wasm_bindgen_test]
    async fn a_write_puts_and_removes_in_one_transaction() {
        let store = fresh_store().await;
        let doc = DocumentId::random();
        let old = chunk(&doc, ChunkKind::Incremental, "old", &[1]);
        store.write(&Write { put: vec![old.clone()], remove: vec![] }).await.unwrap();
        let new = chunk(&doc, ChunkKind::Snapshot, "new", &[1, 2]);
        store.write(&Write { put: vec![new.clone()], remove: vec![old.key] }).await.unwrap();
        assert_eq!(store.load_chunks(&doc).await.unwrap(), vec![new]);
        store.close();
    }

    #[wasm_bindgen_test]
    async fn settings_round_trip_and_are_written_with_their_document() {
        let store = fresh_store().await;
        assert_eq!(store.setting("open-note").await.unwrap(), None);
        let doc = DocumentId::random();
        let genesis = chunk(&doc, ChunkKind::Snapshot, "g", &[7]);
        store
            .write_with_setting(
                &Write { put: vec![genesis.clone()], remove: vec![] },
                Some(("open-note", doc.as_str())),
            )
            .await
            .unwrap();
        assert_eq!(store.setting("open-note").await.unwrap().as_deref(), Some(doc.as_str()));
        assert_eq!(store.load_chunks(&doc).await.unwrap(), vec![genesis]);
        store.close();
    }

    #[wasm_bindgen_test]
    async fn reopening_the_database_keeps_what_was_written() {
        let name = format!("tandem-test-{}", DocumentId::random());
        let doc = DocumentId::random();
        let stored = chunk(&doc, ChunkKind::Snapshot, "s", &[1, 2, 3, 4]);
        let store = Store::open(&name).await.unwrap();
        store.write(&Write { put: vec![stored.clone()], remove: vec![] }).await.unwrap();
        store.close();
        let reopened = Store::open(&name).await.unwrap();
        assert_eq!(reopened.load_chunks(&doc).await.unwrap(), vec![stored]);
        reopened.close();
    }
}
