//! The relay's SQLite database: opening it, migrating it, and every statement run against it.
//! Nothing outside this module writes SQL; the rest of the relay calls these functions, so a
//! second backend has one place to implement.
//!
//! - [`chunks`]: document chunks under automerge-repo's keys, and the writer thread;
//! - [`accounts`]: programs, people, memberships, cohorts, pairs, sessions, tokens and invitations;
//! - [`documents`]: each claimed document's audience;
//! - [`purge`]: removing documents and people for good, their tombstones, and the access record.
//!
//! One file, `tandem.sqlite3`, in the data directory. WAL mode lets readers run beside the one
//! writer; `synchronous = FULL` because the relay promises that whatever it acknowledged survives
//! a power cut, and that promise is only as good as the fsync behind it.
//!
//! Reads go through one connection behind a mutex; writes go to a dedicated writer thread with its
//! own connection ([`chunks`] explains the group commit).

pub mod accounts;
pub mod chunks;
pub mod documents;
pub mod purge;

pub use chunks::Write;

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use rusqlite::Connection;

/// The database's file name inside the data directory.
pub const DATABASE_FILE: &str = "tandem.sqlite3";

/// Each entry migrates the schema from version `index` to `index + 1`. Migrations only add; a
/// released entry is never edited, because databases in schools already ran it.
const MIGRATIONS: &[&str] = &[
    // 1: document chunks under automerge-repo's keys, parts joined with '/'.
    "CREATE TABLE chunks (key TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;",
    // 2: accounts (people, programs, cohorts, pairs, roles, sessions and access tokens) and each
    // document's audience. Ids are text so they can be the `UserId`s and pair ids of tandem-core.
    "CREATE TABLE programs (id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE people (
         id TEXT PRIMARY KEY,
         email TEXT NOT NULL UNIQUE,
         name TEXT NOT NULL,
         password_hash TEXT
     ) WITHOUT ROWID;
     CREATE TABLE memberships (
         program_id TEXT NOT NULL REFERENCES programs(id),
         person_id TEXT NOT NULL REFERENCES people(id),
         role TEXT NOT NULL CHECK (role IN ('coordinator', 'mentor', 'associate')),
         PRIMARY KEY (program_id, person_id)
     ) WITHOUT ROWID;
     CREATE INDEX memberships_by_person ON memberships (person_id);
     CREATE TABLE cohorts (
         id TEXT PRIMARY KEY,
         program_id TEXT NOT NULL REFERENCES programs(id),
         name TEXT NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE pairs (
         id TEXT PRIMARY KEY,
         program_id TEXT NOT NULL REFERENCES programs(id),
         cohort_id TEXT REFERENCES cohorts(id),
         mentor_id TEXT REFERENCES people(id),
         associate_id TEXT REFERENCES people(id)
     ) WITHOUT ROWID;
     CREATE TABLE sessions (
         token_hash TEXT PRIMARY KEY,
         person_id TEXT NOT NULL REFERENCES people(id),
         kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
         label TEXT,
         created_ms INTEGER NOT NULL,
         expires_ms INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX sessions_by_person ON sessions (person_id);
     CREATE TABLE documents (
         id TEXT PRIMARY KEY,
         audience TEXT NOT NULL CHECK (audience IN ('private', 'pair', 'program')),
         owner_id TEXT NOT NULL REFERENCES people(id),
         pair_id TEXT REFERENCES pairs(id),
         program_id TEXT REFERENCES programs(id),
         provisional INTEGER NOT NULL DEFAULT 0,
         claimed_ms INTEGER NOT NULL
     ) WITHOUT ROWID;",
    // 3: invitations, one-time sign-up links a coordinator hands out. Only the link's hash is
    // kept; `used_ms` is set once, when the invitation is taken.
    "CREATE TABLE invitations (
         token_hash TEXT PRIMARY KEY,
         program_id TEXT NOT NULL REFERENCES programs(id),
         email TEXT NOT NULL,
         name TEXT NOT NULL,
         role TEXT NOT NULL CHECK (role IN ('coordinator', 'mentor', 'associate')),
         created_by TEXT NOT NULL REFERENCES people(id),
         created_ms INTEGER NOT NULL,
         expires_ms INTEGER NOT NULL,
         used_ms INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX invitations_by_program ON invitations (program_id);",
    // 4: purges. `purged_documents` is each purged id's tombstone, so a device still holding the
    // document can never store or claim it again (`seq` orders them for a running relay, which
    // drops what it has in memory); `purge_notices` says whom to tell (whoever could read the
    // document when it went), so their devices delete their copies; `purged_secrets` holds the
    // hashes of a purged person's sessions and tokens, so their devices learn the account is
    // gone rather than merely signed out. `access_record` keeps who purged or exported what, and
    // (`disclosure`) who first received which document.
    "CREATE TABLE purged_documents (
         seq INTEGER PRIMARY KEY,
         id TEXT NOT NULL UNIQUE,
         purged_ms INTEGER NOT NULL
     );
     CREATE TABLE purge_notices (
         person_id TEXT NOT NULL,
         document_id TEXT NOT NULL,
         purged_ms INTEGER NOT NULL,
         PRIMARY KEY (person_id, document_id)
     ) WITHOUT ROWID;
     CREATE TABLE purged_secrets (
         token_hash TEXT PRIMARY KEY,
         purged_ms INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE access_record (
         seq INTEGER PRIMARY KEY,
         at_ms INTEGER NOT NULL,
         action TEXT NOT NULL CHECK (action IN ('disclosure', 'export', 'purge')),
         actor TEXT NOT NULL,
         person_id TEXT,
         pair_id TEXT,
         document_id TEXT,
         device TEXT,
         detail TEXT NOT NULL
     );
     CREATE INDEX access_record_by_person ON access_record (person_id, seq);",
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
    #[error("the database holds data this relay cannot read: {0}")]
    Corrupt(String),
}

/// The relay's database. Statements run on blocking threads (`spawn_blocking`) behind one mutex:
/// SQLite allows one writer at a time anyway.
#[derive(Debug)]
pub struct Storage {
    path: PathBuf,
    /// For reads; the writer thread has its own connection.
    connection: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<chunks::Job>,
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
            .spawn(move || chunks::run_writer(writer_connection, jobs))
            .map_err(|e| StorageError::Write(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { path, connection: Mutex::new(connection), writer })
    }

    /// A further connection to the same database, for a part of the relay that runs its own
    /// statements (accounts, the sync engine's access checks) without waiting on chunk reads.
    pub fn connect(&self) -> Result<Connection, StorageError> {
        open_connection(&self.path)
    }

    /// Where the database lives, for logs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read connection. Statements are short; callers on the async runtime use
    /// `spawn_blocking`.
    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().expect("storage mutex poisoned")
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

/// Gets what was deleted out of the database file itself, not only out of its tables: SQLite
/// leaves deleted rows' bytes in free pages and in the write-ahead log until they are reused.
/// Checkpoints the log into the file and empties it, rebuilds the file from its live rows
/// (`VACUUM`: free pages and the free space inside pages go), and checkpoints again, since in WAL
/// mode the rebuilt pages pass through the log. Other connections (a running relay) may keep
/// working meanwhile; the vacuum waits for their writes, and each checkpoint for their reads.
///
/// Costs a rewrite of the whole file, so it is for purges, not for every delete.
pub fn scrub(db: &Connection) -> Result<(), StorageError> {
    checkpoint(db)?;
    db.execute_batch("VACUUM")?;
    checkpoint(db)
}

/// Copies the write-ahead log into the database file and truncates the log to nothing, retrying
/// while readers elsewhere still use it (each read is short; 10 s of them means something hangs).
fn checkpoint(db: &Connection) -> Result<(), StorageError> {
    for _ in 0..100 {
        let busy: i64 = db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(StorageError::Write(
        "the write-ahead log stayed in use for 10 s, so deleted bytes may remain in it; try again".into(),
    ))
}

/// Runs `f` in one transaction: everything it wrote is committed if it returns `Ok`, and nothing
/// is kept if it returns `Err` (or panics).
pub fn atomically<T, E: From<rusqlite::Error>>(
    db: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    let transaction = db.unchecked_transaction()?;
    let value = f(&transaction)?;
    transaction.commit()?;
    Ok(value)
}

pub(crate) fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let connection =
        Connection::open(path).map_err(|source| StorageError::Open { path: path.to_owned(), source })?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(connection)
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

/// A fresh database in a temporary directory, for tests of the modules built on it.
#[cfg(test)]
pub(crate) fn scratch() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let db = Storage::open_in(dir.path()).unwrap().connect().unwrap();
    (dir, db)
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
