//! Document chunks, stored under automerge-repo's keys ([document id, kind, hash]).
//!
//! A key's parts are joined with `/` (parts never contain one), so the primary key's ordering puts
//! every key under a prefix in one contiguous range: a prefix read is one index range scan.
//!
//! Writes go to a dedicated writer thread that commits everything queued since its last commit in
//! one transaction (group commit): a burst of edits from many devices costs a few fsyncs rather
//! than one each. A write's future resolves only once its transaction is durable.

use rusqlite::{Connection, params};
use tandem_sync::StorageKey;
use tokio::sync::oneshot;

use super::{Storage, StorageError};

/// One change to the chunks table; a batch of them commits or fails together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put { key: StorageKey, data: Vec<u8> },
    Delete { key: StorageKey },
}

/// A batch for the writer thread and where to report its outcome.
pub(super) struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<(), StorageError>>,
}

/// At most this many queued batches go into one transaction, so one commit stays short.
const MAX_BATCHES_PER_COMMIT: usize = 512;

impl Storage {
    /// Every chunk whose key starts with `prefix` (part by part).
    pub fn load_range(&self, prefix: &StorageKey) -> Result<Vec<(StorageKey, Vec<u8>)>, StorageError> {
        let prefix = prefix.to_string();
        // Keys under `a/b` sort between `a/b/` and `a/b0` ('0' follows '/' in ASCII).
        let (low, high) = (format!("{prefix}/"), format!("{prefix}0"));
        let connection = self.reader();
        let mut statement = connection.prepare_cached(
            "SELECT key, data FROM chunks WHERE key = ?1 OR (key >= ?2 AND key < ?3) ORDER BY key",
        )?;
        let rows = statement.query_map(params![prefix, low, high], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        let mut chunks = Vec::new();
        for row in rows {
            let (key, data) = row?;
            let key = StorageKey::from_parts(key.split('/'))
                .map_err(|e| StorageError::Corrupt(format!("stored key {key:?}: {e}")))?;
            chunks.push((key, data));
        }
        Ok(chunks)
    }

    /// Commits `writes` in one transaction, together with whatever else is queued. Resolves once
    /// the transaction is durable, or has failed, in which case none of `writes` was kept.
    pub async fn write(&self, writes: Vec<Write>) -> Result<(), StorageError> {
        let (done, outcome) = oneshot::channel();
        self.writer.send(Job { writes, done }).map_err(|_| StorageError::WriterGone)?;
        outcome.await.map_err(|_| StorageError::WriterGone)?
    }

    /// The same as [`Storage::write`], for callers on a blocking thread.
    pub fn write_blocking(&self, writes: Vec<Write>) -> Result<(), StorageError> {
        let (done, outcome) = oneshot::channel();
        self.writer.send(Job { writes, done }).map_err(|_| StorageError::WriterGone)?;
        outcome.blocking_recv().map_err(|_| StorageError::WriterGone)?
    }
}

/// The backend contract shared with every other storage (memory, IndexedDB): see
/// `tandem_sync::storage::contract`. Reads are synchronous here, so their futures are ready at once.
impl tandem_sync::Storage for Storage {
    type Error = StorageError;

    async fn load_range(&self, prefix: &StorageKey) -> Result<Vec<(StorageKey, Vec<u8>)>, StorageError> {
        Storage::load_range(self, prefix)
    }

    async fn put(&self, key: &StorageKey, bytes: &[u8]) -> Result<(), StorageError> {
        self.write(vec![Write::Put { key: key.clone(), data: bytes.to_vec() }]).await
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        self.write(vec![Write::Delete { key: key.clone() }]).await
    }
}

/// The writer thread: takes every queued job, commits them in one transaction, reports to each.
/// When the group transaction fails, each job is retried alone so one bad batch fails only its
/// own caller. Ends when the [`Storage`] (the channel's sender) is dropped.
pub(super) fn run_writer(mut connection: Connection, jobs: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_BATCHES_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if commit(&mut connection, group.iter().flat_map(|job| job.writes.iter())).is_ok() {
            for job in group {
                let _ = job.done.send(Ok(()));
            }
            continue;
        }
        for job in group {
            let outcome = commit(&mut connection, job.writes.iter());
            if let Err(error) = &outcome {
                tracing::error!(%error, "storage write failed");
            }
            let _ = job.done.send(outcome);
        }
    }
}

fn commit<'a>(
    connection: &mut Connection,
    writes: impl Iterator<Item = &'a Write>,
) -> Result<(), StorageError> {
    let fail = |e: rusqlite::Error| StorageError::Write(e.to_string());
    let transaction = connection.transaction().map_err(fail)?;
    {
        // A purged document's tombstone refuses its chunks here, in the transaction that would
        // store them: a store the engine queued before the purge, landing after it, keeps nothing.
        let mut put = transaction
            .prepare_cached(
                "INSERT OR REPLACE INTO chunks (key, data) SELECT ?1, ?2
                 WHERE NOT EXISTS (SELECT 1 FROM purged_documents WHERE id = ?3)",
            )
            .map_err(fail)?;
        let mut delete = transaction.prepare_cached("DELETE FROM chunks WHERE key = ?1").map_err(fail)?;
        for write in writes {
            match write {
                Write::Put { key, data } => {
                    let document = key.parts().first().map(String::as_str).unwrap_or_default();
                    put.execute(params![key.to_string(), data, document]).map_err(fail)?
                }
                Write::Delete { key } => delete.execute([key.to_string()]).map_err(fail)?,
            };
        }
    }
    transaction.commit().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[&str]) -> StorageKey {
        StorageKey::from_parts(parts.iter().copied()).unwrap()
    }

    fn put(parts: &[&str], data: &[u8]) -> Write {
        Write::Put { key: key(parts), data: data.to_vec() }
    }

    #[tokio::test]
    async fn sqlite_storage_passes_the_storage_contract() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        tandem_sync::storage::contract::run_all(|| {
            n += 1;
            Storage::open_in(&dir.path().join(n.to_string())).unwrap()
        })
        .await
        .unwrap();
    }

    #[test]
    fn written_chunks_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_in(dir.path()).unwrap();
        storage.write_blocking(vec![put(&["doc", "incremental", "b"], b"change")]).unwrap();
        drop(storage);
        let storage = Storage::open_in(dir.path()).unwrap();
        assert_eq!(
            storage.load_range(&key(&["doc"])).unwrap(),
            [(key(&["doc", "incremental", "b"]), b"change".to_vec())]
        );
    }

    #[test]
    fn a_batch_with_a_failing_write_keeps_none_of_it_and_fails_only_its_caller() {
        let dir = tempfile::tempdir().unwrap();
        let storage = std::sync::Arc::new(Storage::open_in(dir.path()).unwrap());
        // A trigger in this test database stands in for a write SQLite refuses (a full disk, say).
        let connection = Connection::open(dir.path().join(super::super::DATABASE_FILE)).unwrap();
        connection
            .execute_batch(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON chunks WHEN NEW.key LIKE '%/bad'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        let good = std::thread::spawn({
            let storage = storage.clone();
            move || storage.write_blocking(vec![put(&["doc", "incremental", "good"], b"1")])
        });
        let bad = storage.write_blocking(vec![
            put(&["doc", "incremental", "fine"], b"2"),
            put(&["doc", "incremental", "bad"], b"3"),
        ]);
        assert!(matches!(bad, Err(StorageError::Write(_))), "{bad:?}");
        good.join().unwrap().unwrap();
        let keys: Vec<_> = storage.load_range(&key(&["doc"])).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [key(&["doc", "incremental", "good"])]);
    }
}
