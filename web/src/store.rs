//! IndexedDB, the device's storage: document chunks in automerge-repo's layout, and a few settings.
//!
//! Two object stores:
//! - `documents`: records `{ key, binary }` under the array key `[document id, kind, hash]`
//!   ([`StorageKey`]'s parts), the layout of automerge-repo's IndexedDB adapter, so a document's
//!   chunks are one key range and another automerge-repo app could read them;
//! - `settings`: small JSON strings by name (who is signed in, which documents they have, claims
//!   waiting for the network).
//!
//! [`IdbStorage`] implements [`tandem_sync::Storage`] and passes its contract suite (tests below).
//! A `put` resolves only once its transaction has committed: the sync engine relies on that before
//! it tells the relay about the change.
//!
//! Built on the `idb` crate (futures over IndexedDB requests). The database is opened with
//! `Factory::open` and an explicit upgrade step rather than idb's `DatabaseBuilder`, which deletes
//! every object store a later version forgets to list: storage migrations here only add.

use std::future::IntoFuture;

use idb::{Database, DatabaseEvent, Factory, KeyRange, Query, TransactionMode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use tandem_sync::StorageKey;
use wasm_bindgen::{JsCast, JsValue};

/// The version of the database's object stores. Raise it only to add stores or indexes.
const VERSION: u32 = 1;
const DOCUMENTS: &str = "documents";
const SETTINGS: &str = "settings";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this browser's storage (IndexedDB) failed: {0}")]
    Idb(#[from] idb::Error),
    #[error(
        "this browser's storage (IndexedDB) did not save: the transaction was aborted (is the device full?)"
    )]
    Aborted,
}

/// An open connection to the device's database.
#[derive(Debug)]
pub struct IdbStorage {
    db: Database,
}

impl IdbStorage {
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

    /// Every chunk whose key starts with `prefix` (part by part), in key order.
    pub async fn load(&self, prefix: &StorageKey) -> Result<Vec<(StorageKey, Vec<u8>)>, StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS], TransactionMode::ReadOnly)?;
        let store = transaction.object_store(DOCUMENTS)?;
        // Array keys compare part by part, and a shorter array sorts before its extensions, so the
        // keys under [a, b] lie between [a, b] and [a, b, "\u{ffff}"]. ([a, bc] sorts after both.)
        let lower = key_array(prefix.parts().iter().map(String::as_str));
        let upper = key_array(prefix.parts().iter().map(String::as_str).chain(["\u{ffff}"]));
        let range = KeyRange::bound(&lower, &upper, Some(false), Some(false))?;
        let records = store.get_all(Some(Query::KeyRange(range)), None)?.await?;
        Ok(records.iter().filter_map(chunk_from_record).collect())
    }

    /// Stores `bytes` under `key`; returns once the transaction has committed.
    pub async fn put(&self, key: &StorageKey, bytes: &[u8]) -> Result<(), StoreError> {
        self.start_put(key, bytes)?.await
    }

    /// Starts storing `bytes` under `key` now, before returning: the write is queued with the
    /// browser even if nothing ever awaits the result. A page being closed runs its `pagehide`
    /// handler and is then torn down; a write that only starts in a later task may never start.
    /// The returned future resolves once the transaction has committed.
    pub fn start_put(
        &self,
        key: &StorageKey,
        bytes: &[u8],
    ) -> Result<impl Future<Output = Result<(), StoreError>> + use<>, StoreError> {
        let mut transaction = self.db.transaction(&[DOCUMENTS], TransactionMode::ReadWrite)?;
        let js_key = storage_key(key);
        transaction.object_store(DOCUMENTS)?.put(&chunk_record(&js_key, bytes), Some(&js_key))?;
        // Ask for the commit now rather than when this task ends: a page torn down right after
        // its `pagehide` handler may never get to the end of the task, and then the browser drops
        // the uncommitted transaction.
        if commit_is_supported() {
            transaction = transaction.commit()?;
        }
        let done = transaction.into_future();
        Ok(async move { if done.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) } })
    }

    /// Removes `key` if it is there.
    pub async fn delete(&self, key: &StorageKey) -> Result<(), StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS], TransactionMode::ReadWrite)?;
        transaction.object_store(DOCUMENTS)?.delete(Query::Key(storage_key(key)))?;
        if transaction.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) }
    }

    /// Removes every chunk of `document` (it was purged); returns once that is committed.
    /// IndexedDB runs read-write transactions on a store in the order they were made, so a write
    /// of the document started before this lands first and is removed with the rest.
    pub async fn delete_document(&self, document: &tandem_sync::DocumentId) -> Result<(), StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS], TransactionMode::ReadWrite)?;
        let prefix = StorageKey::document_prefix(document);
        // The same range as `load`'s: [id] up to [id, "\u{ffff}"].
        let lower = key_array(prefix.parts().iter().map(String::as_str));
        let upper = key_array(prefix.parts().iter().map(String::as_str).chain(["\u{ffff}"]));
        let range = KeyRange::bound(&lower, &upper, Some(false), Some(false))?;
        transaction.object_store(DOCUMENTS)?.delete(Query::KeyRange(range))?;
        if transaction.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) }
    }

    /// The setting called `name`, if it was ever set.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let transaction = self.db.transaction(&[SETTINGS], TransactionMode::ReadOnly)?;
        let value = transaction.object_store(SETTINGS)?.get(Query::Key(JsValue::from_str(name)))?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Sets (or with `None` removes) a setting; returns once it is committed.
    pub async fn set_setting(&self, name: &str, value: Option<&str>) -> Result<(), StoreError> {
        let transaction = self.db.transaction(&[SETTINGS], TransactionMode::ReadWrite)?;
        let store = transaction.object_store(SETTINGS)?;
        let key = JsValue::from_str(name);
        match value {
            Some(value) => {
                store.put(&JsValue::from_str(value), Some(&key))?;
            }
            None => {
                store.delete(Query::Key(key))?;
            }
        }
        if transaction.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) }
    }

    /// Removes every document and setting (signing out of a shared device).
    pub async fn clear(&self) -> Result<(), StoreError> {
        let transaction = self.db.transaction(&[DOCUMENTS, SETTINGS], TransactionMode::ReadWrite)?;
        transaction.object_store(DOCUMENTS)?.clear()?;
        transaction.object_store(SETTINGS)?.clear()?;
        if transaction.await?.is_committed() { Ok(()) } else { Err(StoreError::Aborted) }
    }

    /// Closes the connection once its transactions finish.
    pub fn close(&self) {
        self.db.close();
    }
}

impl tandem_sync::Storage for IdbStorage {
    type Error = StoreError;

    fn load_range(
        &self,
        prefix: &StorageKey,
    ) -> impl Future<Output = Result<Vec<(StorageKey, Vec<u8>)>, StoreError>> {
        self.load(prefix)
    }

    fn put(&self, key: &StorageKey, bytes: &[u8]) -> impl Future<Output = Result<(), StoreError>> {
        IdbStorage::put(self, key, bytes)
    }

    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<(), StoreError>> {
        IdbStorage::delete(self, key)
    }
}

/// Whether this browser has `IDBTransaction.commit()` (all current ones; Safari since 15).
fn commit_is_supported() -> bool {
    let prototype = Reflect::get(&js_sys::global(), &"IDBTransaction".into())
        .and_then(|class| Reflect::get(&class, &"prototype".into()));
    prototype.is_ok_and(|p| Reflect::has(&p, &"commit".into()).unwrap_or(false))
}

fn key_array<'a>(parts: impl IntoIterator<Item = &'a str>) -> JsValue {
    parts.into_iter().map(JsValue::from_str).collect::<Array>().into()
}

fn storage_key(key: &StorageKey) -> JsValue {
    key_array(key.parts().iter().map(String::as_str))
}

/// `{ key, binary }`, as automerge-repo's IndexedDB adapter stores a chunk.
fn chunk_record(key: &JsValue, bytes: &[u8]) -> JsValue {
    let record = Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(&record, &"key".into(), key);
    let _ = Reflect::set(&record, &"binary".into(), &Uint8Array::from(bytes));
    record.into()
}

/// The key and bytes a stored record holds; `None` for records that are not chunks.
fn chunk_from_record(record: &JsValue) -> Option<(StorageKey, Vec<u8>)> {
    let key: Array = Reflect::get(record, &"key".into()).ok()?.dyn_into().ok()?;
    let parts: Option<Vec<String>> = key.iter().map(|part| part.as_string()).collect();
    let key = StorageKey::from_parts(parts?).ok()?;
    let binary: Uint8Array = Reflect::get(record, &"binary".into()).ok()?.dyn_into().ok()?;
    Some((key, binary.to_vec()))
}

#[cfg(test)]
mod tests {
    use tandem_sync::{DocumentId, storage::contract};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn fresh_name() -> String {
        format!("tandem-test-{}", crate::ids::new_item_id())
    }

    #[wasm_bindgen_test]
    async fn indexeddb_passes_the_storage_contract() {
        // The contract asks for a fresh backend several times, synchronously; open them first.
        let mut backends = Vec::new();
        for _ in 0..16 {
            backends.push(IdbStorage::open(&fresh_name()).await.unwrap());
        }
        let result = contract::run_all(|| backends.pop().expect("enough fresh databases")).await;
        assert_eq!(result, Ok(()));
    }

    #[wasm_bindgen_test]
    async fn reopening_the_database_keeps_chunks_and_settings() {
        let name = fresh_name();
        let doc = DocumentId::from_bytes([7; 16]);
        let key = StorageKey::incremental(&doc, &[1, 2, 3]);
        let store = IdbStorage::open(&name).await.unwrap();
        store.put(&key, &[1, 2, 3]).await.unwrap();
        store.set_setting("me", Some("{\"id\":\"u1\"}")).await.unwrap();
        store.close();

        let reopened = IdbStorage::open(&name).await.unwrap();
        assert_eq!(
            reopened.load(&StorageKey::document_prefix(&doc)).await.unwrap(),
            vec![(key, vec![1, 2, 3])]
        );
        assert_eq!(reopened.setting("me").await.unwrap().as_deref(), Some("{\"id\":\"u1\"}"));
        reopened.set_setting("me", None).await.unwrap();
        assert_eq!(reopened.setting("me").await.unwrap(), None);
        reopened.close();
    }

    #[wasm_bindgen_test]
    async fn deleting_a_purged_document_removes_all_its_chunks_and_nothing_else() {
        let store = IdbStorage::open(&fresh_name()).await.unwrap();
        let (purged, kept) = (DocumentId::from_bytes([3; 16]), DocumentId::from_bytes([4; 16]));
        store.put(&StorageKey::snapshot(&purged, &[]), &[1]).await.unwrap();
        store.put(&StorageKey::incremental(&purged, &[2]), &[2]).await.unwrap();
        store.put(&StorageKey::incremental(&kept, &[3]), &[3]).await.unwrap();
        store.delete_document(&purged).await.unwrap();
        assert!(store.load(&StorageKey::document_prefix(&purged)).await.unwrap().is_empty());
        assert_eq!(store.load(&StorageKey::document_prefix(&kept)).await.unwrap().len(), 1);
        store.close();
    }

    #[wasm_bindgen_test]
    async fn clearing_removes_every_document_and_setting() {
        let store = IdbStorage::open(&fresh_name()).await.unwrap();
        let doc = DocumentId::from_bytes([9; 16]);
        store.put(&StorageKey::incremental(&doc, &[1]), &[1]).await.unwrap();
        store.set_setting("me", Some("x")).await.unwrap();
        store.clear().await.unwrap();
        assert!(store.load(&StorageKey::document_prefix(&doc)).await.unwrap().is_empty());
        assert_eq!(store.setting("me").await.unwrap(), None);
        store.close();
    }
}
