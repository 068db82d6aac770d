//! The relay's database, on SQLite (the default: one file in the data directory) or PostgreSQL
//! (relays side by side): opening it, migrating it, and every statement run against it. Nothing
//! outside this module writes SQL; the rest of the relay calls these functions with a [`Db`], a
//! connection to either backend ([`db`] says how one statement serves both).
//!
//! - [`chunks`]: document chunks under automerge-repo's keys, and the writer thread;
//! - [`accounts`]: programs, people, memberships, cohorts, pairs, sessions, tokens, invitations and
//!   counted password attempts;
//! - [`documents`]: each claimed document's audience;
//! - [`purge`]: removing documents and people for good, their tombstones, and the access record;
//! - [`health`]: whether the relay can write (a full disk), as `/healthz` reports it.
//!
//! SQLite: one file, `tandem.sqlite3`, in the data directory. WAL mode lets readers run beside the
//! one writer; `synchronous = FULL` because the relay promises that whatever it acknowledged
//! survives a power cut, and that promise is only as good as the fsync behind it. PostgreSQL:
//! `synchronous_commit = on` on every connection, for the same promise.
//!
//! Reads go through one connection behind a mutex; writes go to a dedicated writer thread with its
//! own connection ([`chunks`] explains the group commit).

pub mod accounts;
pub mod announce;
pub mod chunks;
pub mod db;
pub mod documents;
pub mod health;
pub mod purge;
pub mod transfer;

pub use chunks::Write;
pub use db::{Backend, Db, DbError, DbResult};

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use rusqlite::Connection;

/// The database's file name inside the data directory.
pub const DATABASE_FILE: &str = "tandem.sqlite3";

/// SQLite's schema. Each entry migrates the schema from version `index` to `index + 1`.
/// Migrations only add; a released entry is never edited, because databases in schools already
/// ran it. [`POSTGRES_MIGRATIONS`] has an entry for each, with the same meaning.
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
    // 4: password attempts, counted per key (an account from an address, an address, an
    // account), kept so a restart does not reset them. Keys are SHA-256 digests.
    "CREATE TABLE sign_in_attempts (
         key_hash TEXT PRIMARY KEY,
         attempts INTEGER NOT NULL,
         last_ms INTEGER NOT NULL,
         delayed_until_ms INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (last_ms);",
    // 5: when a session was last used (an idle one ends), and sessions and access ended by
    // someone (sign-out, revocation, `tandem admin` beside the relay) for every relay on this
    // database to close the sockets they opened; `seq` orders them, kept an hour.
    "ALTER TABLE sessions ADD COLUMN last_used_ms INTEGER;
     CREATE TABLE session_ends (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         kind TEXT NOT NULL CHECK (kind IN ('secret', 'sessions_of', 'access_of')),
         subject TEXT NOT NULL,
         except_hash TEXT,
         ended_ms INTEGER NOT NULL
     );",
    // 6: purges. `purged_documents` is each purged id's tombstone, so a device still holding the
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
    // 7: an invitation a coordinator withdrew before anyone took it, and when; its link's page
    // says so (rather than "expired") and it can no longer be taken.
    "ALTER TABLE invitations ADD COLUMN revoked_ms INTEGER;",
];

/// PostgreSQL's schema, entry for entry the same as [`MIGRATIONS`]: text compared byte by byte
/// (`COLLATE "C"`, as SQLite compares, so key ranges and orderings agree), `BIGINT` for times,
/// `BOOLEAN` for flags. Only adds; a released entry is never edited.
const POSTGRES_MIGRATIONS: &[&str] = &[
    // 1: document chunks under automerge-repo's keys. `seq` grows with every write (a later write
    // of a key takes a new one), so another relay can ask what changed since a number it saw.
    r#"CREATE SEQUENCE chunk_seq;
     CREATE TABLE chunks (
         key TEXT COLLATE "C" PRIMARY KEY,
         data BYTEA NOT NULL,
         seq BIGINT NOT NULL DEFAULT nextval('chunk_seq')
     );
     CREATE INDEX chunks_by_seq ON chunks (seq);"#,
    // 2: accounts and each document's audience, as SQLite's migration 2.
    r#"CREATE TABLE programs (id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL);
     CREATE TABLE people (
         id TEXT COLLATE "C" PRIMARY KEY,
         email TEXT COLLATE "C" NOT NULL UNIQUE,
         name TEXT COLLATE "C" NOT NULL,
         password_hash TEXT
     );
     CREATE TABLE memberships (
         program_id TEXT COLLATE "C" NOT NULL REFERENCES programs(id),
         person_id TEXT COLLATE "C" NOT NULL REFERENCES people(id),
         role TEXT NOT NULL CHECK (role IN ('coordinator', 'mentor', 'associate')),
         PRIMARY KEY (program_id, person_id)
     );
     CREATE INDEX memberships_by_person ON memberships (person_id);
     CREATE TABLE cohorts (
         id TEXT COLLATE "C" PRIMARY KEY,
         program_id TEXT COLLATE "C" NOT NULL REFERENCES programs(id),
         name TEXT COLLATE "C" NOT NULL
     );
     CREATE TABLE pairs (
         id TEXT COLLATE "C" PRIMARY KEY,
         program_id TEXT COLLATE "C" NOT NULL REFERENCES programs(id),
         cohort_id TEXT COLLATE "C" REFERENCES cohorts(id),
         mentor_id TEXT COLLATE "C" REFERENCES people(id),
         associate_id TEXT COLLATE "C" REFERENCES people(id)
     );
     CREATE TABLE sessions (
         token_hash TEXT COLLATE "C" PRIMARY KEY,
         person_id TEXT COLLATE "C" NOT NULL REFERENCES people(id),
         kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
         label TEXT,
         created_ms BIGINT NOT NULL,
         expires_ms BIGINT
     );
     CREATE INDEX sessions_by_person ON sessions (person_id);
     CREATE TABLE documents (
         id TEXT COLLATE "C" PRIMARY KEY,
         audience TEXT NOT NULL CHECK (audience IN ('private', 'pair', 'program')),
         owner_id TEXT COLLATE "C" NOT NULL REFERENCES people(id),
         pair_id TEXT COLLATE "C" REFERENCES pairs(id),
         program_id TEXT COLLATE "C" REFERENCES programs(id),
         provisional BOOLEAN NOT NULL DEFAULT FALSE,
         claimed_ms BIGINT NOT NULL
     );"#,
    // 3: invitations, as SQLite's migration 3.
    r#"CREATE TABLE invitations (
         token_hash TEXT COLLATE "C" PRIMARY KEY,
         program_id TEXT COLLATE "C" NOT NULL REFERENCES programs(id),
         email TEXT COLLATE "C" NOT NULL,
         name TEXT COLLATE "C" NOT NULL,
         role TEXT NOT NULL CHECK (role IN ('coordinator', 'mentor', 'associate')),
         created_by TEXT COLLATE "C" NOT NULL REFERENCES people(id),
         created_ms BIGINT NOT NULL,
         expires_ms BIGINT NOT NULL,
         used_ms BIGINT
     );
     CREATE INDEX invitations_by_program ON invitations (program_id);"#,
    // 4: password attempts, as SQLite's migration 4.
    r#"CREATE TABLE sign_in_attempts (
         key_hash TEXT COLLATE "C" PRIMARY KEY,
         attempts BIGINT NOT NULL,
         last_ms BIGINT NOT NULL,
         delayed_until_ms BIGINT NOT NULL
     );
     CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (last_ms);"#,
    // 5: sessions' last use and recorded ends, as SQLite's migration 5; `seq` from an identity,
    // as SQLite's AUTOINCREMENT never reuses one.
    r#"ALTER TABLE sessions ADD COLUMN last_used_ms BIGINT;
     CREATE TABLE session_ends (
         seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('secret', 'sessions_of', 'access_of')),
         subject TEXT COLLATE "C" NOT NULL,
         except_hash TEXT COLLATE "C",
         ended_ms BIGINT NOT NULL
     );"#,
    // 6: purges, as SQLite's migration 6. `seq` is an identity (SQLite's `INTEGER PRIMARY KEY`
    // numbers rows the same way), so tombstones and access-record lines keep their order; by
    // default, so `tandem admin copy` can bring SQLite's numbers along (and then moves the
    // identity past them).
    r#"CREATE TABLE purged_documents (
         seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         id TEXT COLLATE "C" NOT NULL UNIQUE,
         purged_ms BIGINT NOT NULL
     );
     CREATE TABLE purge_notices (
         person_id TEXT COLLATE "C" NOT NULL,
         document_id TEXT COLLATE "C" NOT NULL,
         purged_ms BIGINT NOT NULL,
         PRIMARY KEY (person_id, document_id)
     );
     CREATE TABLE purged_secrets (
         token_hash TEXT COLLATE "C" PRIMARY KEY,
         purged_ms BIGINT NOT NULL
     );
     CREATE TABLE access_record (
         seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         at_ms BIGINT NOT NULL,
         action TEXT NOT NULL CHECK (action IN ('disclosure', 'export', 'purge')),
         actor TEXT COLLATE "C" NOT NULL,
         person_id TEXT COLLATE "C",
         pair_id TEXT COLLATE "C",
         document_id TEXT COLLATE "C",
         device TEXT COLLATE "C",
         detail TEXT NOT NULL
     );
     CREATE INDEX access_record_by_person ON access_record (person_id, seq);"#,
    // 7: withdrawn invitations, as SQLite's migration 7.
    r#"ALTER TABLE invitations ADD COLUMN revoked_ms BIGINT;"#,
];

/// Where the relay keeps everything: a data directory (SQLite) or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `tandem.sqlite3` in this directory, created when missing.
    Directory(PathBuf),
    /// A PostgreSQL connection string (`postgres://user:password@host:port/database`, or
    /// `key=value` pairs), as `--database` or `TANDEM_DATABASE_URL` give it.
    Postgres(String),
}

impl Location {
    /// `--database` when given, else the data directory.
    pub fn new(data_dir: &Path, database: Option<&str>) -> Self {
        match database {
            Some(url) => Self::Postgres(url.to_owned()),
            None => Self::Directory(data_dir.to_owned()),
        }
    }

    /// For logs: the file, or the server and database without credentials.
    pub fn describe(&self) -> String {
        match self {
            Self::Directory(dir) => dir.join(DATABASE_FILE).display().to_string(),
            Self::Postgres(url) => match url.parse::<postgres::Config>() {
                Ok(config) => {
                    let host = match config.get_hosts().first() {
                        Some(postgres::config::Host::Tcp(host)) => host.clone(),
                        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
                        None => "localhost".into(),
                    };
                    let port = config.get_ports().first().copied().unwrap_or(5432);
                    format!("postgres://{host}:{port}/{}", config.get_dbname().unwrap_or("-"))
                }
                Err(_) => "postgres (unreadable connection string)".into(),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create the data directory {path}: {source}; check that the relay may write there")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot connect to the PostgreSQL database {target}: {source}")]
    Connect { target: String, source: postgres::Error },
    #[error(
        "the database {path} has schema version {found}, newer than this relay knows ({known}); run a newer tandem"
    )]
    TooNew { path: String, found: u32, known: usize },
    #[error("database error: {0}")]
    Database(#[from] DbError),
    #[error("could not write to the database: {0}; nothing of this write was kept, check free disk space")]
    Write(String),
    #[error(
        "the disk holding the database is full: nothing of this write was kept; free some space (the relay tries again by itself)"
    )]
    Full,
    #[error("the storage writer has stopped; restart the relay")]
    WriterGone,
    #[error("the database holds data this relay cannot read: {0}")]
    Corrupt(String),
}

impl StorageError {
    /// The write failed for want of space, and may succeed once some is freed.
    pub fn is_full(&self) -> bool {
        match self {
            Self::Full => true,
            Self::Database(error) => error.is_full(),
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Database(error.into())
    }
}

impl From<postgres::Error> for StorageError {
    fn from(error: postgres::Error) -> Self {
        Self::Database(error.into())
    }
}

/// The relay's database. Statements run on blocking threads (`spawn_blocking`) behind one mutex.
#[derive(Debug)]
pub struct Storage {
    location: Location,
    /// For reads; the writer thread has its own connection.
    connection: Mutex<Db>,
    writer: std::sync::mpsc::Sender<chunks::Job>,
    /// Whether the writer can write ([`health`]).
    health: std::sync::Arc<health::WriteHealth>,
    /// This process's name in announcements to other relays ([`announce`]).
    origin: String,
}

impl Storage {
    /// Opens `dir/tandem.sqlite3`, creating the directory and the database when missing, and
    /// brings its schema up to date.
    pub fn open_in(dir: &Path) -> Result<Self, StorageError> {
        Self::open(&Location::Directory(dir.to_owned()))
    }

    /// Opens the database at `location` and brings its schema up to date. On PostgreSQL, several
    /// relays may start at once: migrations run one relay at a time (an advisory lock).
    pub fn open(location: &Location) -> Result<Self, StorageError> {
        // On a thread of its own: the relay opens storage from its async runtime, where
        // PostgreSQL's blocking client may not block.
        std::thread::scope(|scope| scope.spawn(|| Self::open_here(location)).join())
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    fn open_here(location: &Location) -> Result<Self, StorageError> {
        if let Location::Directory(dir) = location {
            std::fs::create_dir_all(dir)
                .map_err(|source| StorageError::CreateDir { path: dir.to_owned(), source })?;
        }
        let connection = connect_here(location)?;
        migrate(&connection, location)?;
        let writer_connection = connect_here(location)?;
        let origin = format!("relay-{:016x}", rand::random::<u64>());
        let (writer, jobs) = std::sync::mpsc::channel();
        let writer_origin = origin.clone();
        let health = std::sync::Arc::new(health::WriteHealth::default());
        let writer_health = health.clone();
        std::thread::Builder::new()
            .name("tandem-storage-writer".into())
            .spawn(move || chunks::run_writer(writer_connection, &writer_origin, jobs, &writer_health))
            .map_err(|e| StorageError::Write(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { location: location.clone(), connection: Mutex::new(connection), writer, origin, health })
    }

    /// A further connection to the same database, for a part of the relay that runs its own
    /// statements (accounts, the sync engine's access checks) without waiting on chunk reads.
    pub fn connect(&self) -> Result<Db, StorageError> {
        connect(&self.location)
    }

    /// Where the database lives.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn backend(&self) -> Backend {
        match self.location {
            Location::Directory(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// The read connection. Statements are short; callers on the async runtime use
    /// `spawn_blocking`.
    fn reader(&self) -> std::sync::MutexGuard<'_, Db> {
        self.connection.lock().expect("storage mutex poisoned")
    }

    /// How long the relay has been unable to write for want of space, if it is now: set by a
    /// write of the writer thread that failed so, cleared by the next one that succeeds (the
    /// writer tries one of its own every few seconds meanwhile, so this clears by itself once
    /// space is freed).
    pub fn cannot_write_for(&self) -> Option<std::time::Duration> {
        self.health.full_for()
    }

    /// Proves the database answers a query.
    pub fn check(&self) -> Result<(), StorageError> {
        self.reader().query_opt("SELECT 1", &[], |_| Ok(()))?;
        Ok(())
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<u32, StorageError> {
        schema_version(&self.reader())
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
pub fn scrub(db: &Db) -> Result<(), StorageError> {
    match db.backend() {
        Backend::Sqlite => {
            checkpoint(db)?;
            db.batch("VACUUM")?;
            checkpoint(db)
        }
        // PostgreSQL: `VACUUM` marks the deleted rows' space free in the tables a purge touches
        // and their indexes (it cannot run inside a transaction block, so each is a statement of
        // its own, after the purge committed). What the server's write-ahead log, its archive,
        // replicas and backups still hold is the operator's to expire: the relay does not own them.
        Backend::Postgres => {
            for table in PURGED_TABLES {
                db.batch(&format!("VACUUM {table}"))?;
            }
            Ok(())
        }
    }
}

/// The tables a purge deletes from, for [`scrub`] on PostgreSQL.
const PURGED_TABLES: &[&str] = &[
    "chunks",
    "documents",
    "people",
    "memberships",
    "pairs",
    "sessions",
    "invitations",
    "purge_notices",
    "access_record",
];

/// Copies the write-ahead log into the database file and truncates the log to nothing, retrying
/// while readers elsewhere still use it (each read is short; 10 s of them means something hangs).
fn checkpoint(db: &Db) -> Result<(), StorageError> {
    for _ in 0..100 {
        let busy = db.query_opt("PRAGMA wal_checkpoint(TRUNCATE)", &[], |row| row.get::<i64>(0))?;
        if busy == Some(0) {
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
pub fn atomically<T, E: From<DbError>>(db: &Db, f: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E> {
    db.atomically(f)
}

pub(crate) fn connect(location: &Location) -> Result<Db, StorageError> {
    // On a thread of its own, as [`Storage::open`].
    std::thread::scope(|scope| scope.spawn(|| connect_here(location)).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn connect_here(location: &Location) -> Result<Db, StorageError> {
    match location {
        Location::Directory(dir) => open_sqlite(&dir.join(DATABASE_FILE)).map(Db::sqlite),
        Location::Postgres(url) => {
            let fail = |source| StorageError::Connect { target: location.describe(), source };
            let mut config: postgres::Config = url.parse().map_err(fail)?;
            config.application_name("tandem");
            let mut client = config.connect(postgres::NoTls).map_err(fail)?;
            client.batch_execute("SET synchronous_commit = on").map_err(fail)?;
            Ok(Db::postgres(client))
        }
    }
}

/// The write-ahead log's size once a checkpoint has reset it ([`open_sqlite`]): SQLite's automatic
/// checkpoints run at 1,000 pages of 4 KiB, so this leaves room for one checkpoint's worth and
/// the transaction that crossed it.
pub const WAL_SIZE_LIMIT_BYTES: i64 = 8 * 1024 * 1024;

/// The environment variable that caps the SQLite database at a number of pages (4 KiB each) on
/// every connection the relay opens (`PRAGMA max_page_count`): past it, writes fail as on a full
/// disk (a real SQLITE_FULL). A quota for a relay that shares its disk, and how the full-disk test
/// fills the relay's "disk" without root (server/tests/relay/full_disk.rs).
pub const MAX_PAGE_COUNT_ENV: &str = "TANDEM_SQLITE_MAX_PAGE_COUNT";

fn open_sqlite(path: &Path) -> Result<Connection, StorageError> {
    let connection =
        Connection::open(path).map_err(|source| StorageError::Open { path: path.to_owned(), source })?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    // SQLite leaves the write-ahead log at the largest size it ever reached; a full disk is then
    // partly the log's, and space freed for the relay is taken by the log growing back. Past a
    // checkpoint the log is cut back to this.
    connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    if let Ok(pages) = std::env::var(MAX_PAGE_COUNT_ENV) {
        let pages: i64 = pages.parse().map_err(|_| {
            StorageError::Write(format!("{MAX_PAGE_COUNT_ENV} must be a number of pages, not {pages:?}"))
        })?;
        connection.pragma_update(None, "max_page_count", pages)?;
    }
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(connection)
}

fn schema_version(db: &Db) -> Result<u32, StorageError> {
    Ok(match db.backend() {
        Backend::Sqlite => db.query_opt("PRAGMA user_version", &[], |row| row.get::<i64>(0))?,
        Backend::Postgres => {
            let exists = db.exists(
                "SELECT 1 FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = 'tandem_schema'",
                &[],
            )?;
            if exists {
                db.query_opt("SELECT version FROM tandem_schema", &[], |row| row.get::<i64>(0))?
            } else {
                None
            }
        }
    }
    .unwrap_or(0) as u32)
}

/// Runs every migration the database has not run yet.
fn migrate(db: &Db, location: &Location) -> Result<(), StorageError> {
    let migrations = match db.backend() {
        Backend::Sqlite => MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    let too_new =
        |found: u32| StorageError::TooNew { path: location.describe(), found, known: migrations.len() };
    match db.backend() {
        Backend::Sqlite => {
            let found = schema_version(db)?;
            if found as usize > migrations.len() {
                return Err(too_new(found));
            }
            for (version, sql) in migrations.iter().enumerate().skip(found as usize) {
                let next = version + 1;
                db.batch(&format!("BEGIN; {sql} PRAGMA user_version = {next}; COMMIT;"))?;
                tracing::info!(version = next, "database migrated");
            }
        }
        Backend::Postgres => db.atomically(|db| {
            // One relay at a time: the others wait here, then find nothing left to do.
            db.batch(
                "SELECT pg_advisory_xact_lock(7000017);
                 CREATE TABLE IF NOT EXISTS tandem_schema (version BIGINT NOT NULL);",
            )?;
            let found = schema_version(db)?;
            if found as usize > migrations.len() {
                return Err(too_new(found));
            }
            for (version, sql) in migrations.iter().enumerate().skip(found as usize) {
                db.batch(sql)?;
                tracing::info!(version = version + 1, "database migrated");
            }
            db.execute("DELETE FROM tandem_schema", &[])?;
            db.execute("INSERT INTO tandem_schema (version) VALUES (?1)", &[&(migrations.len() as i64)])?;
            Ok::<_, StorageError>(())
        })?,
    }
    Ok(())
}

/// What keeps a scratch database alive: its directory, or its PostgreSQL schema.
#[cfg(test)]
#[derive(Debug)]
pub(crate) enum Scratch {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] tandem_testdb::TestDatabase),
}

/// A fresh, empty database at a new location on each backend: SQLite always, PostgreSQL unless no
/// server can be had (see `tandem-testdb`: never skipped under `CI=true`).
#[cfg(test)]
pub(crate) fn scratch_locations() -> Vec<(Scratch, Location)> {
    let mut out = vec![scratch_location(Backend::Sqlite).unwrap()];
    out.extend(scratch_location(Backend::Postgres));
    out
}

/// A fresh, empty database at a new location on `backend` (`None`: no PostgreSQL to be had).
#[cfg(test)]
pub(crate) fn scratch_location(backend: Backend) -> Option<(Scratch, Location)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let location = Location::Directory(dir.path().to_owned());
            Some((Scratch::Directory(dir), location))
        }
        Backend::Postgres => {
            let database = tandem_testdb::TestDatabase::create()?;
            let location = Location::Postgres(database.url().to_owned());
            Some((Scratch::Postgres(database), location))
        }
    }
}

/// Runs `f` once on a fresh database of each backend. The suites of the modules built on storage
/// (accounts, access) run through this, so both backends keep one contract.
#[cfg(test)]
pub(crate) fn on_each_backend(mut f: impl FnMut(&Db)) {
    for (_scratch, location) in scratch_locations() {
        let db = Storage::open(&location).unwrap().connect().unwrap();
        // Captured output, shown with a failure: says which backend failed.
        println!("--- on {:?}", db.backend());
        f(&db);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_migrated_to_the_latest_schema() {
        for (_scratch, location) in scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            assert_eq!(storage.schema_version().unwrap() as usize, MIGRATIONS.len(), "{location:?}");
            storage.check().unwrap();
        }
    }

    #[test]
    fn both_backends_have_a_migration_for_each_version() {
        assert_eq!(MIGRATIONS.len(), POSTGRES_MIGRATIONS.len());
    }

    #[test]
    fn reopening_a_database_runs_no_migration_twice() {
        for (_scratch, location) in scratch_locations() {
            drop(Storage::open(&location).unwrap());
            let storage = Storage::open(&location).unwrap();
            assert_eq!(storage.schema_version().unwrap() as usize, MIGRATIONS.len(), "{location:?}");
        }
    }

    #[test]
    fn relays_starting_at_once_on_one_postgres_migrate_it_once() {
        let Some(database) = tandem_testdb::TestDatabase::create() else { return };
        let location = Location::Postgres(database.url().to_owned());
        let opened: Vec<_> = (0..3)
            .map(|_| {
                let location = location.clone();
                std::thread::spawn(move || Storage::open(&location).map(|s| s.schema_version().unwrap()))
            })
            .collect();
        for relay in opened {
            assert_eq!(relay.join().unwrap().unwrap() as usize, POSTGRES_MIGRATIONS.len());
        }
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused_with_a_clear_error() {
        for (_scratch, location) in scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            let db = storage.connect().unwrap();
            match db.backend() {
                Backend::Sqlite => db.batch("PRAGMA user_version = 99").unwrap(),
                Backend::Postgres => db.batch("UPDATE tandem_schema SET version = 99").unwrap(),
            }
            drop((db, storage));
            let error = Storage::open(&location).unwrap_err();
            assert!(error.to_string().contains("run a newer tandem"), "{error}");
        }
    }

    #[test]
    fn a_postgres_location_is_described_without_its_password() {
        let location = Location::Postgres("postgres://tandem:secret@db.example:6432/tandem".into());
        assert_eq!(location.describe(), "postgres://db.example:6432/tandem");
    }
}
