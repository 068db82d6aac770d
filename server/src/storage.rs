//! The relay's SQLite database: opening it, migrating it, and every statement run against it.
//!
//! One file, `tandem.sqlite3`, in the data directory. WAL mode lets readers run beside the one
//! writer; `synchronous = FULL` because the relay promises that whatever it acknowledged survives
//! a power cut, and that promise is only as good as the fsync behind it.
//!
//! Documents are stored as automerge-repo stores them: chunks keyed by [document id, kind, key].
//! Reads go through one connection behind a mutex; writes go to a dedicated writer thread that
//! commits everything queued since its last commit in one transaction (group commit), so a burst
//! of edits from many devices costs a few fsyncs rather than one each.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

/// The database's file name inside the data directory.
pub const DATABASE_FILE: &str = "tandem.sqlite3";

/// Each entry migrates the schema from version `index` to `index + 1`. Migrations only add; a
/// released entry is never edited, because databases in schools already ran it.
const MIGRATIONS: &[&str] = &[
    // 1: automerge-repo's storage key layout, [document id, kind, key], one row per chunk.
    "CREATE TABLE chunks (
         doc_id TEXT NOT NULL,
         kind   TEXT NOT NULL CHECK (kind IN ('snapshot', 'incremental', 'sync-state')),
         key    TEXT NOT NULL,
         data   BLOB NOT NULL,
         PRIMARY KEY (doc_id, kind, key)
     ) WITHOUT ROWID;",
];

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create the data directory {path}: {source}; check that the relay may write there")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the database {path} has schema version {found}, newer than this relay knows ({known}); run a newer tandem"
    )]
    TooNew { path: PathBuf, found: u32, known: usize },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not write to the database: {0}; nothing of this write was kept, check free disk space")]
    Write(String),
    #[error("the storage writer has stopped; restart the relay")]
    WriterGone,
}

/// The three kinds of chunk automerge-repo stores per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunkKind {
    /// A whole document (`Automerge::save`), keyed by a hash of its heads.
    Snapshot,
    /// Changes since the last snapshot (`save_incremental`), keyed by a hash of the bytes.
    Incremental,
    /// A peer's sync state, keyed by that peer's storage id.
    SyncState,
}

impl ChunkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
            ChunkKind::SyncState => "sync-state",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "snapshot" => Some(ChunkKind::Snapshot),
            "incremental" => Some(ChunkKind::Incremental),
            "sync-state" => Some(ChunkKind::SyncState),
            _ => None,
        }
    }
}

/// One stored chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub kind: ChunkKind,
    pub key: String,
    pub data: Vec<u8>,
}

/// One change to the chunks table; a batch of them commits or fails together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put { doc_id: String, chunk: Chunk },
    Delete { doc_id: String, kind: ChunkKind, key: String },
}

/// A batch for the writer thread and where to report its outcome.
struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<(), StorageError>>,
}

/// At most this many queued batches go into one transaction, so one commit stays short.
const MAX_BATCHES_PER_COMMIT: usize = 512;

/// The relay's database. Statements run on blocking threads (`spawn_blocking`) behind one mutex:
/// SQLite allows one writer at a time anyway.
#[derive(Debug)]
pub struct Storage {
    path: PathBuf,
    /// For reads; the writer thread has its own connection.
    connection: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<Job>,
}

impl Storage {
    /// Opens `dir/tandem.sqlite3`, creating the directory and the database when missing, and
    /// brings its schema up to date.
    pub fn open_in(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StorageError::CreateDir { path: dir.to_owned(), source })?;
        let path = dir.join(DATABASE_FILE);
        let connection = open_connection(&path)?;
        migrate(&connection, &path)?;
        let writer_connection = open_connection(&path)?;
        let (writer, jobs) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("tandem-storage-writer".into())
            .spawn(move || run_writer(writer_connection, jobs))
            .map_err(|e| StorageError::Write(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { path, connection: Mutex::new(connection), writer })
    }

    /// Every stored chunk of `doc_id`, snapshots first.
    pub fn load_document(&self, doc_id: &str) -> Result<Vec<Chunk>, StorageError> {
        let connection = self.connection.lock().expect("storage mutex poisoned");
        let mut statement = connection.prepare_cached(
            "SELECT kind, key, data FROM chunks WHERE doc_id = ?1
             ORDER BY CASE kind WHEN 'snapshot' THEN 0 WHEN 'incremental' THEN 1 ELSE 2 END, key",
        )?;
        let rows = statement.query_map([doc_id], |row| {
            let kind: String = row.get(0)?;
            Ok((kind, row.get::<_, String>(1)?, row.get::<_, Vec<u8>>(2)?))
        })?;
        let mut chunks = Vec::new();
        for row in rows {
            let (kind, key, data) = row?;
            // The table's CHECK constraint makes any other kind impossible.
            let kind = ChunkKind::parse(&kind).expect("kind is constrained by the schema");
            chunks.push(Chunk { kind, key, data });
        }
        Ok(chunks)
    }

    /// Whether anything is stored for `doc_id`.
    pub fn has_document(&self, doc_id: &str) -> Result<bool, StorageError> {
        let connection = self.connection.lock().expect("storage mutex poisoned");
        let found = connection
            .query_row("SELECT 1 FROM chunks WHERE doc_id = ?1 LIMIT 1", [doc_id], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    /// Commits `writes` in one transaction, together with whatever else is queued. Resolves once
    /// the transaction is durable (or has failed, in which case none of `writes` was kept).
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

    /// Where the database lives, for logs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Proves the database answers a query.
    pub fn check(&self) -> Result<(), StorageError> {
        let connection = self.connection.lock().expect("storage mutex poisoned");
        connection.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<u32, StorageError> {
        let connection = self.connection.lock().expect("storage mutex poisoned");
        Ok(connection.pragma_query_value(None, "user_version", |row| row.get(0))?)
    }
}

fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let connection =
        Connection::open(path).map_err(|source| StorageError::Open { path: path.to_owned(), source })?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(connection)
}

/// The writer thread: takes every queued job, commits them in one transaction, reports to each.
/// When the group transaction fails, each job is retried alone so one bad batch fails only its
/// own caller. Ends when the [`Storage`] (the channel's sender) is dropped.
fn run_writer(mut connection: Connection, jobs: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_BATCHES_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let all = group.iter().flat_map(|job| job.writes.iter());
        if commit(&mut connection, all).is_ok() {
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
        let mut put = transaction
            .prepare_cached("INSERT OR REPLACE INTO chunks (doc_id, kind, key, data) VALUES (?1, ?2, ?3, ?4)")
            .map_err(fail)?;
        let mut delete = transaction
            .prepare_cached("DELETE FROM chunks WHERE doc_id = ?1 AND kind = ?2 AND key = ?3")
            .map_err(fail)?;
        for write in writes {
            match write {
                Write::Put { doc_id, chunk } => {
                    put.execute(params![doc_id, chunk.kind.as_str(), chunk.key, chunk.data]).map_err(fail)?
                }
                Write::Delete { doc_id, kind, key } => {
                    delete.execute(params![doc_id, kind.as_str(), key]).map_err(fail)?
                }
            };
        }
    }
    transaction.commit().map_err(fail)
}

/// Runs every migration the database has not run yet, each in its own transaction.
fn migrate(connection: &Connection, path: &Path) -> Result<(), StorageError> {
    let found: u32 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found as usize > MIGRATIONS.len() {
        return Err(StorageError::TooNew { path: path.to_owned(), found, known: MIGRATIONS.len() });
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let next = version + 1;
        connection.execute_batch(&format!("BEGIN; {sql} PRAGMA user_version = {next}; COMMIT;"))?;
        tracing::info!(version = next, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_migrated_to_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_in(dir.path()).unwrap();
        assert_eq!(storage.schema_version().unwrap() as usize, MIGRATIONS.len());
        storage.check().unwrap();
    }

    #[test]
    fn reopening_a_database_runs_no_migration_twice() {
        let dir = tempfile::tempdir().unwrap();
        drop(Storage::open_in(dir.path()).unwrap());
        let storage = Storage::open_in(dir.path()).unwrap();
        assert_eq!(storage.schema_version().unwrap() as usize, MIGRATIONS.len());
    }

    fn put(doc_id: &str, kind: ChunkKind, key: &str, data: &[u8]) -> Write {
        Write::Put { doc_id: doc_id.into(), chunk: Chunk { kind, key: key.into(), data: data.to_vec() } }
    }

    #[test]
    fn written_chunks_are_loaded_back_snapshots_first_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_in(dir.path()).unwrap();
        storage
            .write_blocking(vec![
                put("doc", ChunkKind::Incremental, "b", b"change"),
                put("doc", ChunkKind::Snapshot, "z", b"whole"),
                put("other", ChunkKind::Snapshot, "a", b"not mine"),
            ])
            .unwrap();
        drop(storage);
        let storage = Storage::open_in(dir.path()).unwrap();
        let chunks = storage.load_document("doc").unwrap();
        let kinds: Vec<_> = chunks.iter().map(|c| (c.kind, c.data.as_slice())).collect();
        assert_eq!(kinds, [(ChunkKind::Snapshot, &b"whole"[..]), (ChunkKind::Incremental, &b"change"[..])]);
        assert!(storage.has_document("other").unwrap());
        assert!(!storage.has_document("missing").unwrap());
    }

    #[test]
    fn a_batch_with_a_failing_write_keeps_none_of_it_and_fails_only_its_caller() {
        let dir = tempfile::tempdir().unwrap();
        let storage = std::sync::Arc::new(Storage::open_in(dir.path()).unwrap());
        // A trigger in this test database stands in for a write SQLite refuses (a full disk, say).
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection
            .execute_batch(
                "CREATE TRIGGER refuse_bad BEFORE INSERT ON chunks WHEN NEW.key = 'bad'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        let good = std::thread::spawn({
            let storage = storage.clone();
            move || storage.write_blocking(vec![put("doc", ChunkKind::Incremental, "good", b"1")])
        });
        let bad = storage.write_blocking(vec![
            put("doc", ChunkKind::Incremental, "fine", b"2"),
            put("doc", ChunkKind::Incremental, "bad", b"3"),
        ]);
        assert!(matches!(bad, Err(StorageError::Write(_))), "{bad:?}");
        good.join().unwrap().unwrap();
        let keys: Vec<_> = storage.load_document("doc").unwrap().into_iter().map(|c| c.key).collect();
        assert_eq!(keys, ["good"]);
    }

    #[test]
    fn deletes_remove_only_the_named_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_in(dir.path()).unwrap();
        storage
            .write_blocking(vec![
                put("doc", ChunkKind::Incremental, "a", b"1"),
                put("doc", ChunkKind::Incremental, "b", b"2"),
            ])
            .unwrap();
        storage
            .write_blocking(vec![Write::Delete {
                doc_id: "doc".into(),
                kind: ChunkKind::Incremental,
                key: "a".into(),
            }])
            .unwrap();
        let keys: Vec<_> = storage.load_document("doc").unwrap().into_iter().map(|c| c.key).collect();
        assert_eq!(keys, ["b"]);
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        drop(Storage::open_in(dir.path()).unwrap());
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        let error = Storage::open_in(dir.path()).unwrap_err();
        assert!(error.to_string().contains("run a newer tandem"), "{error}");
    }
}
