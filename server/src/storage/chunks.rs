//! Document chunks, stored under automerge-repo's keys ([document id, kind, hash]).
//!
//! A key's parts are joined with `/` (parts never contain one), so the primary key's ordering puts
//! every key under a prefix in one contiguous range: a prefix read is one index range scan.
//!
//! Writes go to a dedicated writer thread that commits everything queued since its last commit in
//! one transaction (group commit): a burst of edits from many devices costs a few fsyncs rather
//! than one each. A write's future resolves only once its transaction is durable.
//!
//! When the disk is full every write fails alike, so the writer fails the whole group at once
//! ([`StorageError::Full`]), gives the write-ahead log's space back to the disk, and records it
//! ([`super::health`]); meanwhile it tries a write of its own every few seconds, so the relay
//! learns by itself when space was freed, also when no device is writing.

use std::{sync::mpsc::RecvTimeoutError, time::Duration};

use tandem_sync::StorageKey;
use tokio::sync::oneshot;

use super::{Backend, Db, DbError, Storage, StorageError, health::WriteHealth};

/// One change to the chunks table; a batch of them commits or fails together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put { key: StorageKey, data: Vec<u8> },
    Delete { key: StorageKey },
}

impl Write {
    /// The document whose chunk this writes, if its key names one.
    pub fn document(&self) -> Option<tandem_sync::DocumentId> {
        let (Self::Put { key, .. } | Self::Delete { key }) = self;
        key.parts().first()?.parse().ok()
    }
}

/// The key `prefix` and the bounds of the keys under it: keys under `a/b` sort between `a/b/` and
/// `a/b0` ('0' follows '/' in ASCII).
fn range(prefix: &StorageKey) -> (String, String, String) {
    let prefix = prefix.to_string();
    let (low, high) = (format!("{prefix}/"), format!("{prefix}0"));
    (prefix, low, high)
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
        let (prefix, low, high) = range(prefix);
        let rows = self.reader().query(
            "SELECT key, data FROM chunks WHERE key = ?1 OR (key >= ?2 AND key < ?3) ORDER BY key",
            &[&prefix, &low, &high],
            |row| Ok((row.get::<String>(0)?, row.get::<Vec<u8>>(1)?)),
        )?;
        let mut chunks = Vec::with_capacity(rows.len());
        for (key, data) in rows {
            let key = StorageKey::from_parts(key.split('/'))
                .map_err(|e| StorageError::Corrupt(format!("stored key {key:?}: {e}")))?;
            chunks.push((key, data));
        }
        Ok(chunks)
    }

    /// The keys of every chunk under `prefix`, without their bytes: what a document holds, by
    /// name (a snapshot's key names the heads it holds, an incremental's hashes its bytes).
    pub fn keys_under(&self, prefix: &StorageKey) -> Result<Vec<StorageKey>, StorageError> {
        let (prefix, low, high) = range(prefix);
        let keys = self.reader().query(
            "SELECT key FROM chunks WHERE key = ?1 OR (key >= ?2 AND key < ?3) ORDER BY key",
            &[&prefix, &low, &high],
            |row| row.get::<String>(0),
        )?;
        keys.into_iter()
            .map(|key| {
                StorageKey::from_parts(key.split('/'))
                    .map_err(|e| StorageError::Corrupt(format!("stored key {key:?}: {e}")))
            })
            .collect()
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
/// `tandem_sync::storage::contract`. Reads are synchronous here, so their futures are ready at
/// once. The read runs on a thread of its own: PostgreSQL's blocking client may not block a
/// thread that is driving async tasks (the relay itself reads on blocking threads instead).
impl tandem_sync::Storage for Storage {
    type Error = StorageError;

    async fn load_range(&self, prefix: &StorageKey) -> Result<Vec<(StorageKey, Vec<u8>)>, StorageError> {
        std::thread::scope(|scope| scope.spawn(|| Storage::load_range(self, prefix)).join())
            .expect("a storage read panicked")
    }

    async fn put(&self, key: &StorageKey, bytes: &[u8]) -> Result<(), StorageError> {
        self.write(vec![Write::Put { key: key.clone(), data: bytes.to_vec() }]).await
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        self.write(vec![Write::Delete { key: key.clone() }]).await
    }
}

/// How often the writer tries a write of its own while the disk is full.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);
/// What that write holds: enough that it needs fresh space in the log and the file, as a device's
/// changes would.
const PROBE_BYTES: usize = 64 * 1024;
/// The probe's key: no document's (document ids never hold `~`), so no read ever sees it; it is
/// deleted right after it was written.
const PROBE_KEY: &str = "~write-probe";

/// The writer thread: takes every queued job, commits them in one transaction, reports to each.
/// When the group transaction fails, each job is retried alone so one bad batch fails only its
/// own caller (unless the disk is full: then all would fail alike). Ends when the [`Storage`]
/// (the channel's sender) is dropped.
pub(super) fn run_writer(
    connection: Db,
    origin: &str,
    jobs: std::sync::mpsc::Receiver<Job>,
    health: &WriteHealth,
) {
    loop {
        let first = if health.is_full() {
            match jobs.recv_timeout(PROBE_EVERY) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    match probe(&connection) {
                        Ok(()) => health.wrote(),
                        Err(error) if error.is_full() => health.refused(),
                        Err(error) => tracing::warn!(%error, "the writer's check for free space failed"),
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let mut group = vec![first];
        while group.len() < MAX_BATCHES_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit(&connection, origin, group.iter().flat_map(|job| job.writes.iter())) {
            Ok(()) => {
                health.wrote();
                for job in group {
                    let _ = job.done.send(Ok(()));
                }
                continue;
            }
            Err(StorageError::Full) => {
                refused(&connection, health);
                for job in group {
                    let _ = job.done.send(Err(StorageError::Full));
                }
                continue;
            }
            Err(_) => {}
        }
        for job in group {
            let outcome = commit(&connection, origin, job.writes.iter());
            match &outcome {
                Ok(()) => health.wrote(),
                Err(StorageError::Full) => refused(&connection, health),
                Err(error) => tracing::error!(%error, "storage write failed"),
            }
            let _ = job.done.send(outcome);
        }
    }
}

/// A write failed for want of space: record it, and give the write-ahead log's space back to the
/// disk (a checkpoint that empties it), so what is freed is not taken by the log growing back.
fn refused(db: &Db, health: &WriteHealth) {
    health.refused();
    truncate_log(db);
}

/// Empties SQLite's write-ahead log into the database file. Fails while readers hold the log, or
/// for want of space itself; the next refusal or probe tries again, so the outcome is not needed.
fn truncate_log(db: &Db) {
    if db.backend() == Backend::Sqlite {
        let _ = db.query_opt("PRAGMA wal_checkpoint(TRUNCATE)", &[], |row| row.get::<i64>(0));
    }
}

/// The writer's own write while the disk is full: a chunk under [`PROBE_KEY`], then deleted, each
/// committed on its own (a row written and deleted in one transaction might never reach the disk).
fn probe(db: &Db) -> Result<(), DbError> {
    truncate_log(db);
    let bytes: Vec<u8> = (0..PROBE_BYTES).map(|i| (i * 131 % 251) as u8).collect();
    db.execute(
        "INSERT INTO chunks (key, data) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET data = excluded.data",
        &[&PROBE_KEY, &bytes],
    )?;
    db.execute("DELETE FROM chunks WHERE key = ?1", &[&PROBE_KEY])?;
    Ok(())
}

/// Commits `writes` in one transaction. On PostgreSQL a rewritten key takes a new `seq`, so the
/// chunk counts as changed for whoever asks what changed since an earlier number, and every
/// document written is announced to the other relays ([`super::announce`]) in the same
/// transaction: the announcement is delivered only once the chunks are committed.
///
/// A purged document's tombstone refuses its chunks here, in the statement that would store
/// them: a store the engine queued before the purge, landing after it, keeps nothing. On
/// PostgreSQL the transaction first takes the purge lock in share mode
/// ([`super::purge::hold_tombstones`]), so a purge committing meanwhile cannot slip between the
/// check and the insert.
fn commit<'a>(db: &Db, origin: &str, writes: impl Iterator<Item = &'a Write>) -> Result<(), StorageError> {
    db.atomically(|db| {
        super::purge::hold_tombstones(db)?;
        // Each document written, with the smallest sequence number its chunks got here.
        let mut written: std::collections::BTreeMap<String, i64> = Default::default();
        for write in writes {
            match (write, db.backend()) {
                (Write::Put { key, data }, Backend::Sqlite) => {
                    db.execute(
                        "INSERT INTO chunks (key, data) SELECT ?1, ?2
                         WHERE NOT EXISTS (SELECT 1 FROM purged_documents WHERE id = ?3)
                         ON CONFLICT (key) DO UPDATE SET data = excluded.data",
                        &[&key.to_string(), data, &document_of(key)],
                    )?;
                }
                (Write::Put { key, data }, Backend::Postgres) => {
                    let seq = db.query_opt(
                        "INSERT INTO chunks (key, data) SELECT ?1, ?2
                         WHERE NOT EXISTS (SELECT 1 FROM purged_documents WHERE id = ?3)
                         ON CONFLICT (key) DO UPDATE SET data = excluded.data, seq = nextval('chunk_seq')
                         RETURNING seq",
                        &[&key.to_string(), data, &document_of(key)],
                        |row| row.get::<i64>(0),
                    )?;
                    // No row: the document was purged, and there is nothing to announce.
                    if let Some(seq) = seq {
                        let first = written.entry(document_of(key)).or_insert(i64::MAX);
                        *first = (*first).min(seq);
                    }
                }
                (Write::Delete { key }, _) => {
                    db.execute("DELETE FROM chunks WHERE key = ?1", &[&key.to_string()])?;
                }
            }
        }
        for (document, seq) in written {
            let payload = super::announce::payload(origin, &document, seq);
            db.execute("SELECT pg_notify(?1, ?2)", &[&super::announce::CHANNEL, &payload])?;
        }
        Ok::<_, super::DbError>(())
    })
    .map_err(|e| if e.is_full() { StorageError::Full } else { StorageError::Write(e.to_string()) })
}

/// The document a chunk's key belongs to (its first part).
fn document_of(key: &StorageKey) -> String {
    key.parts().first().cloned().unwrap_or_default()
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
    async fn sqlite_and_postgres_storage_pass_the_storage_contract() {
        for (_scratch, location) in super::super::scratch_locations() {
            println!("--- on {location:?}");
            let mut databases = Vec::new();
            tandem_sync::storage::contract::run_all(|| {
                // A fresh database for each case: a directory, or a schema of its own.
                let backend = match &location {
                    super::super::Location::Directory(_) => Backend::Sqlite,
                    super::super::Location::Postgres(_) => Backend::Postgres,
                };
                let (scratch, location) = super::super::scratch_location(backend).unwrap();
                let storage = Storage::open(&location).unwrap();
                databases.push(scratch);
                storage
            })
            .await
            .unwrap();
        }
    }

    #[test]
    fn written_chunks_survive_a_reopen() {
        for (_scratch, location) in super::super::scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            storage.write_blocking(vec![put(&["doc", "incremental", "b"], b"change")]).unwrap();
            drop(storage);
            let storage = Storage::open(&location).unwrap();
            assert_eq!(
                storage.load_range(&key(&["doc"])).unwrap(),
                [(key(&["doc", "incremental", "b"]), b"change".to_vec())],
                "{location:?}"
            );
        }
    }

    #[test]
    fn the_write_ahead_log_is_cut_back_after_a_large_write_instead_of_keeping_its_largest_size() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_in(dir.path()).unwrap();
        // Incompressible, and larger than the log's limit: the log grows past it for this one.
        let mut x: u32 = 1;
        let big: Vec<u8> = (0..12 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        storage.write_blocking(vec![put(&["doc", "snapshot", "big"], &big)]).unwrap();
        let wal = dir.path().join(format!("{}-wal", super::super::DATABASE_FILE));
        assert!(std::fs::metadata(&wal).unwrap().len() > 12 << 20);
        for n in 0..20 {
            storage.write_blocking(vec![put(&["doc", "incremental", &n.to_string()], b"small")]).unwrap();
        }
        let size = std::fs::metadata(&wal).unwrap().len();
        assert!(
            size <= super::super::WAL_SIZE_LIMIT_BYTES as u64,
            "the log kept {size} bytes after checkpoints, over its limit"
        );
    }

    #[test]
    fn a_batch_with_a_failing_write_keeps_none_of_it_and_fails_only_its_caller() {
        for (_scratch, location) in super::super::scratch_locations() {
            let storage = std::sync::Arc::new(Storage::open(&location).unwrap());
            // A trigger in this test database stands in for a write the database refuses (a full
            // disk, say).
            let db = storage.connect().unwrap();
            match db.backend() {
                Backend::Sqlite => db.batch(
                    "CREATE TRIGGER refuse_bad BEFORE INSERT ON chunks WHEN NEW.key LIKE '%/bad'
                     BEGIN SELECT RAISE(ABORT, 'refused'); END;",
                ),
                Backend::Postgres => db.batch(
                    "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN IF NEW.key LIKE '%/bad' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
                     CREATE TRIGGER refuse_bad BEFORE INSERT ON chunks FOR EACH ROW EXECUTE FUNCTION refuse_bad();",
                ),
            }
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
            let keys: Vec<_> =
                storage.load_range(&key(&["doc"])).unwrap().into_iter().map(|(k, _)| k).collect();
            assert_eq!(keys, [key(&["doc", "incremental", "good"])], "{location:?}");
        }
    }
}
