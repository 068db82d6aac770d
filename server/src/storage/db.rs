//! One connection to either backend, and the few operations every statement needs.
//!
//! Statements are written once, in the SQL both engines speak (`INSERT ... ON CONFLICT DO NOTHING`,
//! `CAST(... AS TEXT)`), with SQLite's numbered parameters `?1`, `?2`; on PostgreSQL they become
//! `$1`, `$2`. Where the dialects differ, a statement matches on [`Db::backend`]. Values go in as
//! [`Param`]s and come out through [`Row::get`], for the types both drivers read and write the
//! same way: `String`, `&str`, `i64`, `bool`, bytes, and `Option`s of them.
//!
//! PostgreSQL connections use the synchronous `postgres` client, which drives tokio-postgres on a
//! small runtime of its own: like a rusqlite call, a statement blocks its thread, so it must run on
//! a blocking thread (`spawn_blocking`, the engine's or writer's own thread), never on a task of
//! the relay's runtime (where it would panic: a runtime cannot block inside another). Opening
//! storage and closing connections are safe anywhere: they move to a thread of their own.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
};

/// Which database engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database error from either driver.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A row the statements before it guarantee was not there (a broken invariant, on either
    /// backend).
    #[error("missing row: {0}")]
    Missing(&'static str),
}

impl DbError {
    /// The database could not grow: its disk (or, for SQLite, its size limit in pages) is full.
    /// Nothing of the statement's transaction was kept, and the same write may succeed once space
    /// is freed, so callers say "try again later" rather than "internal error".
    pub fn is_full(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.code == rusqlite::ErrorCode::DiskFull
            }
            Self::Postgres(error) => error.code() == Some(&postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }
}

/// PostgreSQL's own message and detail, which `postgres::Error`'s display leaves out.
fn postgres_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A value bound to a statement's parameter, on either backend.
pub trait Param {
    fn sqlite(&self) -> &dyn rusqlite::ToSql;
    fn postgres(&self) -> &(dyn postgres::types::ToSql + Sync);
}

impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn postgres(&self) -> &(dyn postgres::types::ToSql + Sync) {
        self
    }
}

/// A column type both drivers read.
pub trait Column: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a> {}
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Column for T {}

/// One result row.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Row::Sqlite(_) => "Row(Sqlite)",
            Row::Postgres(_) => "Row(Postgres)",
        })
    }
}

impl Row<'_> {
    /// Column `index` (from 0).
    pub fn get<T: Column>(&self, index: usize) -> DbResult<T> {
        Ok(match self {
            Row::Sqlite(row) => row.get(index)?,
            Row::Postgres(row) => row.try_get(index)?,
        })
    }
}

/// A PostgreSQL connection and the statements it has prepared (each is parsed once per connection,
/// as rusqlite's `prepare_cached` does on SQLite).
struct PgConnection {
    /// `None` only while being dropped.
    client: Option<postgres::Client>,
    statements: HashMap<String, postgres::Statement>,
}

/// Closing a PostgreSQL connection blocks too (it says goodbye to the server), and the relay drops
/// some connections on its async runtime (its state, at shutdown): those close on a thread of
/// their own.
impl Drop for PgConnection {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::Builder::new().name("tandem-db-close".into()).spawn(move || drop(client));
        }
    }
}

/// One connection to the relay's database. Not shared between threads: each part of the relay
/// that runs statements has its own (or one behind a mutex).
pub struct Db(Inner, Depth);

/// How many [`Db::atomically`] calls are open on the connection: an inner one is a savepoint, so
/// a step that needs a transaction of its own (a claim taking the purge lock) may also run
/// inside a larger one.
#[derive(Default)]
struct Depth(Cell<u32>);

enum Inner {
    Sqlite(rusqlite::Connection),
    /// Boxed: a PostgreSQL connection (with its runtime) is three times SQLite's handle.
    Postgres(Box<RefCell<PgConnection>>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Db").field(&self.backend()).finish()
    }
}

impl Db {
    pub fn sqlite(connection: rusqlite::Connection) -> Self {
        Self(Inner::Sqlite(connection), Depth::default())
    }

    pub fn postgres(client: postgres::Client) -> Self {
        Self(
            Inner::Postgres(Box::new(RefCell::new(PgConnection {
                client: Some(client),
                statements: HashMap::new(),
            }))),
            Depth::default(),
        )
    }

    pub fn backend(&self) -> Backend {
        match self.0 {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite connection underneath, for what only SQLite has (its online backup).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.0 {
            Inner::Sqlite(connection) => Some(connection),
            Inner::Postgres(_) => None,
        }
    }

    /// Runs one statement; how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> DbResult<u64> {
        match &self.0 {
            Inner::Sqlite(connection) => {
                let params: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| p.sqlite()).collect();
                Ok(connection.prepare_cached(sql)?.execute(params.as_slice())? as u64)
            }
            Inner::Postgres(connection) => {
                let mut connection = connection.borrow_mut();
                let statement = connection.prepare(sql)?;
                let params: Vec<_> = params.iter().map(|p| p.postgres()).collect();
                Ok(connection.client().execute(&statement, &params)?)
            }
        }
    }

    /// Runs a query; `row` turns each result row into a value.
    pub fn query<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut row: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        match &self.0 {
            Inner::Sqlite(connection) => {
                let params: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| p.sqlite()).collect();
                let mut statement = connection.prepare_cached(sql)?;
                let mut rows = statement.query(params.as_slice())?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(row(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Inner::Postgres(connection) => {
                let mut connection = connection.borrow_mut();
                let statement = connection.prepare(sql)?;
                let params: Vec<_> = params.iter().map(|p| p.postgres()).collect();
                let rows = connection.client().query(&statement, &params)?;
                drop(connection);
                rows.iter().map(|r| row(&Row::Postgres(r))).collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        row: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        Ok(self.query(sql, params, row)?.into_iter().next())
    }

    /// Whether a query has any row.
    pub fn exists(&self, sql: &str, params: &[&dyn Param]) -> DbResult<bool> {
        Ok(self.query_opt(sql, params, |_| Ok(()))?.is_some())
    }

    /// Runs several statements without parameters (schema migrations).
    pub fn batch(&self, sql: &str) -> DbResult<()> {
        match &self.0 {
            Inner::Sqlite(connection) => Ok(connection.execute_batch(sql)?),
            Inner::Postgres(connection) => Ok(connection.borrow_mut().client().batch_execute(sql)?),
        }
    }

    /// Runs `f` in one transaction: everything it wrote is committed if it returns `Ok`, and
    /// nothing is kept if it returns `Err` (or panics).
    pub fn atomically<T, E: From<DbError>>(&self, f: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E> {
        let depth = self.1.0.get();
        if depth > 0 {
            // Inside another transaction: a savepoint, released into it or rolled back to.
            let name = format!("tandem_{depth}");
            self.batch(&format!("SAVEPOINT {name}"))?;
            self.1.0.set(depth + 1);
            struct Undo<'a>(&'a Db, u32, bool);
            impl Drop for Undo<'_> {
                fn drop(&mut self) {
                    self.0.1.0.set(self.1);
                    if !self.2 {
                        let name = format!("tandem_{}", self.1);
                        let _ =
                            self.0.batch(&format!("ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"));
                    }
                }
            }
            let mut guard = Undo(self, depth, false);
            let value = f(self)?;
            self.batch(&format!("RELEASE SAVEPOINT {name}"))?;
            guard.2 = true;
            return Ok(value);
        }
        struct Reset<'a>(&'a Db);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.1.0.set(0);
            }
        }
        match &self.0 {
            Inner::Sqlite(connection) => {
                let transaction = connection.unchecked_transaction().map_err(DbError::from)?;
                self.1.0.set(1);
                let _reset = Reset(self);
                let value = f(self)?;
                transaction.commit().map_err(DbError::from)?;
                Ok(value)
            }
            Inner::Postgres(_) => {
                self.batch("BEGIN")?;
                // Rolls back unless committed, also when `f` panics.
                struct Rollback<'a>(&'a Db, bool);
                impl Drop for Rollback<'_> {
                    fn drop(&mut self) {
                        if !self.1 {
                            let _ = self.0.batch("ROLLBACK");
                        }
                    }
                }
                let mut guard = Rollback(self, false);
                self.1.0.set(1);
                let _reset = Reset(self);
                let value = f(self)?;
                self.batch("COMMIT")?;
                guard.1 = true;
                Ok(value)
            }
        }
    }

    /// The PostgreSQL client underneath, for what only PostgreSQL has (notifications).
    pub(super) fn with_postgres<T>(&self, f: impl FnOnce(&mut postgres::Client) -> T) -> Option<T> {
        match &self.0 {
            Inner::Sqlite(_) => None,
            Inner::Postgres(connection) => Some(f(connection.borrow_mut().client())),
        }
    }
}

impl PgConnection {
    fn client(&mut self) -> &mut postgres::Client {
        self.client.as_mut().expect("a connection is open until it is dropped")
    }

    fn prepare(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client().prepare(&numbered_parameters(sql))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// SQLite's `?1` parameters as PostgreSQL's `$1`. Statements hold no `?` inside string literals.
fn numbered_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_dollar_parameters() {
        assert_eq!(
            numbered_parameters("SELECT a FROM t WHERE b = ?1 AND (c = ?2 OR d = ?12)"),
            "SELECT a FROM t WHERE b = $1 AND (c = $2 OR d = $12)"
        );
    }
}
