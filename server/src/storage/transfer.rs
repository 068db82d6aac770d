//! Moving a deployment: `tandem admin copy` (a SQLite database into an empty PostgreSQL one) and
//! `tandem admin backup` (a consistent copy of a live SQLite database, by SQLite's online backup).
//!
//! The copy reads the tables from SQLite's own schema rather than from a list kept here, so a
//! table a later migration adds is copied without anyone remembering to add it. Both databases are
//! opened through [`Storage::open`] first, so both are at the same schema version. Each side is
//! then summarised table by table (rows and a SHA-256 over its rows), and the copy is only
//! reported done when the summaries agree.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use sha2::{Digest, Sha256};

use super::{Backend, Db, DbError, Storage, StorageError};

/// One table on both sides: its name, rows and a digest of its rows (independent of their order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Refused(String),
}

impl From<rusqlite::Error> for TransferError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Db(error.into())
    }
}

impl From<postgres::Error> for TransferError {
    fn from(error: postgres::Error) -> Self {
        Self::Db(error.into())
    }
}

/// A value as both sides can be compared: SQLite's integers and PostgreSQL's booleans and
/// integers are all `Int`.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// Appends a self-delimiting encoding, so no two rows hash alike by running columns together.
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.push(0),
            Value::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Value::Real(r) => {
                out.push(2);
                out.extend_from_slice(&r.to_bits().to_be_bytes());
            }
            Value::Text(t) => {
                out.push(3);
                out.extend_from_slice(&(t.len() as u64).to_be_bytes());
                out.extend_from_slice(t.as_bytes());
            }
            Value::Bytes(b) => {
                out.push(4);
                out.extend_from_slice(&(b.len() as u64).to_be_bytes());
                out.extend_from_slice(b);
            }
        }
    }
}

/// The PostgreSQL column types the schema uses, which decide how a SQLite value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgType {
    Text,
    BigInt,
    Int,
    Bool,
    Bytes,
    Double,
}

impl PgType {
    fn from_information_schema(name: &str) -> Option<Self> {
        Some(match name {
            "text" | "character varying" => Self::Text,
            "bigint" => Self::BigInt,
            "integer" | "smallint" => Self::Int,
            "boolean" => Self::Bool,
            "bytea" => Self::Bytes,
            "double precision" | "real" => Self::Double,
            _ => return None,
        })
    }
}

/// A table to copy: its columns (SQLite's order) and their PostgreSQL types.
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<(String, PgType)>,
}

/// Copies every row of the SQLite database in `from` into the PostgreSQL database `to`, which must
/// hold no rows yet, in one PostgreSQL transaction; then checks both sides row for row. Returns
/// the summaries, which are equal.
pub fn copy(from: &Path, to: &str) -> Result<Vec<TableSummary>, TransferError> {
    if !from.join(super::DATABASE_FILE).is_file() {
        return Err(TransferError::Refused(format!(
            "{} holds no {}: --from names a relay's data directory",
            from.display(),
            super::DATABASE_FILE
        )));
    }
    let source = Storage::open_in(from)?;
    let target = Storage::open(&super::Location::Postgres(to.to_owned()))?;
    let (from_version, to_version) = (source.schema_version()?, target.schema_version()?);
    if from_version != to_version {
        return Err(TransferError::Refused(format!(
            "schema versions differ: {from_version} in SQLite, {to_version} in PostgreSQL"
        )));
    }
    let source = source.connect()?;
    let target = target.connect()?;
    let sqlite = source.as_sqlite().expect("opened from a directory");
    // One read transaction: a relay still writing to the file cannot make the copy inconsistent.
    sqlite.execute_batch("BEGIN")?;
    let result = copy_tables(sqlite, &target);
    let _ = sqlite.execute_batch("COMMIT");
    result
}

fn copy_tables(sqlite: &rusqlite::Connection, target: &Db) -> Result<Vec<TableSummary>, TransferError> {
    let tables = tables_in_dependency_order(sqlite, target)?;
    let copied = target
        .with_postgres(|client| -> Result<(), TransferError> {
            let mut transaction = client.transaction()?;
            for table in &tables {
                let found: bool = transaction
                    .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(&table.name)), &[])?
                    .get(0);
                if found {
                    return Err(TransferError::Refused(format!(
                        "the PostgreSQL database is not empty (table {} has rows); copy only into a new database",
                        table.name
                    )));
                }
                insert_rows(sqlite, &mut transaction, table)?;
            }
            // Identity columns (`purged_documents.seq`, `access_record.seq`) took SQLite's numbers;
            // their sequences go on after the largest, so the next row does not collide.
            let identities = transaction.query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND is_identity = 'YES'",
                &[],
            )?;
            for row in identities {
                let (table, column): (String, String) = (row.get(0), row.get(1));
                transaction.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max({}) AS m FROM {}) t
                         WHERE m IS NOT NULL",
                        quoted(&column),
                        quoted(&table)
                    ),
                    &[&quoted(&table), &column],
                )?;
            }
            transaction.commit()?;
            Ok(())
        })
        .expect("the target is PostgreSQL");
    copied?;
    let from = summarise_sqlite(sqlite, &tables)?;
    let to = summarise_postgres(target, &tables)?;
    if from != to {
        let differing: Vec<&str> =
            from.iter().zip(&to).filter(|(a, b)| a != b).map(|(a, _)| a.table.as_str()).collect();
        return Err(TransferError::Refused(format!(
            "the copy does not match the source in {}; the PostgreSQL database holds the partial copy",
            differing.join(", ")
        )));
    }
    Ok(from)
}

/// SQLite's tables, parents before the tables whose foreign keys name them, with PostgreSQL's
/// types for their columns. Every SQLite column must exist in PostgreSQL; PostgreSQL may have more
/// (with defaults, such as `chunks.seq`).
fn tables_in_dependency_order(
    sqlite: &rusqlite::Connection,
    target: &Db,
) -> Result<Vec<Table>, TransferError> {
    let names: Vec<String> = sqlite
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut tables = BTreeMap::new();
    for name in &names {
        let referenced: BTreeSet<String> = sqlite
            .prepare(&format!("PRAGMA foreign_key_list({})", quoted(name)))?
            .query_map([], |row| row.get::<_, String>(2))?
            .collect::<Result<BTreeSet<_>, _>>()?
            .into_iter()
            .filter(|parent| parent != name)
            .collect();
        parents.insert(name.clone(), referenced);
        let columns: Vec<String> = sqlite
            .prepare(&format!("PRAGMA table_info({})", quoted(name)))?
            .query_map([], |row| row.get(1))?
            .collect::<Result<_, _>>()?;
        let pg_types: BTreeMap<String, String> = target
            .query(
                "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ?1",
                &[name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .into_iter()
            .collect();
        if pg_types.is_empty() {
            return Err(TransferError::Refused(format!("PostgreSQL has no table {name}")));
        }
        let columns = columns
            .into_iter()
            .map(|column| {
                let pg = pg_types.get(&column).ok_or_else(|| {
                    TransferError::Refused(format!("PostgreSQL's table {name} has no column {column}"))
                })?;
                let ty = PgType::from_information_schema(pg).ok_or_else(|| {
                    TransferError::Refused(format!(
                        "{name}.{column}: PostgreSQL type {pg} is not one the copy knows"
                    ))
                })?;
                Ok((column, ty))
            })
            .collect::<Result<Vec<_>, TransferError>>()?;
        tables.insert(name.clone(), Table { name: name.clone(), columns });
    }
    let mut ordered = Vec::new();
    let mut placed = BTreeSet::new();
    while placed.len() < names.len() {
        let ready: Vec<String> = names
            .iter()
            .filter(|n| {
                !placed.contains(*n)
                    && parents[*n].iter().all(|p| placed.contains(p) || !parents.contains_key(p))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(TransferError::Refused("the tables' foreign keys form a cycle".into()));
        }
        for name in ready {
            placed.insert(name.clone());
            ordered.push(tables.remove(&name).expect("each table once"));
        }
    }
    Ok(ordered)
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn select_all(table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|(c, _)| quoted(c)).collect();
    format!("SELECT {} FROM {}", columns.join(", "), quoted(&table.name))
}

/// Reads SQLite's value for a column of PostgreSQL type `ty`, as the value both sides compare.
fn sqlite_value(
    table: &Table,
    index: usize,
    value: rusqlite::types::ValueRef<'_>,
) -> Result<Value, TransferError> {
    use rusqlite::types::ValueRef;
    let (column, ty) = &table.columns[index];
    let mismatch = |found: &str| {
        TransferError::Refused(format!(
            "{}.{column}: SQLite holds {found} where PostgreSQL has {ty:?}",
            table.name
        ))
    };
    Ok(match (value, ty) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), PgType::BigInt | PgType::Int) => Value::Int(i),
        (ValueRef::Integer(i @ (0 | 1)), PgType::Bool) => Value::Int(i),
        (ValueRef::Integer(i), PgType::Double) => Value::Real(i as f64),
        (ValueRef::Real(r), PgType::Double) => Value::Real(r),
        (ValueRef::Text(t), PgType::Text) => {
            Value::Text(String::from_utf8(t.to_vec()).map_err(|_| mismatch("text that is not UTF-8"))?)
        }
        (ValueRef::Blob(b), PgType::Bytes) => Value::Bytes(b.to_vec()),
        (ValueRef::Text(t), PgType::Bytes) => Value::Bytes(t.to_vec()),
        (other, _) => return Err(mismatch(&format!("{:?}", other.data_type()))),
    })
}

fn insert_rows(
    sqlite: &rusqlite::Connection,
    target: &mut postgres::Transaction<'_>,
    table: &Table,
) -> Result<(), TransferError> {
    let columns: Vec<String> = table.columns.iter().map(|(c, _)| quoted(c)).collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = target.prepare(&format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quoted(&table.name),
        columns.join(", "),
        placeholders.join(", ")
    ))?;
    let mut statement = sqlite.prepare(&select_all(table))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let mut params: Vec<Box<dyn postgres::types::ToSql + Sync>> = Vec::with_capacity(columns.len());
        for (index, (_, ty)) in table.columns.iter().enumerate() {
            let value = sqlite_value(table, index, row.get_ref(index)?)?;
            params.push(match (value, ty) {
                (Value::Null, PgType::Text) => Box::new(None::<String>),
                (Value::Null, PgType::BigInt) => Box::new(None::<i64>),
                (Value::Null, PgType::Int) => Box::new(None::<i32>),
                (Value::Null, PgType::Bool) => Box::new(None::<bool>),
                (Value::Null, PgType::Bytes) => Box::new(None::<Vec<u8>>),
                (Value::Null, PgType::Double) => Box::new(None::<f64>),
                (Value::Int(i), PgType::BigInt) => Box::new(i),
                (Value::Int(i), PgType::Int) => Box::new(i32::try_from(i).map_err(|_| {
                    TransferError::Refused(format!("{}: {i} does not fit PostgreSQL's integer", table.name))
                })?),
                (Value::Int(i), PgType::Bool) => Box::new(i != 0),
                (Value::Real(r), _) => Box::new(r),
                (Value::Text(t), _) => Box::new(t),
                (Value::Bytes(b), _) => Box::new(b),
                (Value::Int(_), _) => {
                    unreachable!("sqlite_value gives integers only to integer and boolean columns")
                }
            });
        }
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        target.execute(&insert, &refs)?;
    }
    Ok(())
}

/// Rows and digest of one table, from each row's encoding: the rows' own digests are sorted before
/// they are hashed, so the order either database returns them in does not matter.
fn summary(table: &Table, mut row_digests: Vec<[u8; 32]>) -> TableSummary {
    row_digests.sort_unstable();
    let mut all = Sha256::new();
    for digest in &row_digests {
        all.update(digest);
    }
    TableSummary { table: table.name.clone(), rows: row_digests.len() as u64, sha256: hex(&all.finalize()) }
}

fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut encoded = Vec::new();
    for value in values {
        value.encode(&mut encoded);
    }
    Sha256::digest(&encoded).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn summarise_sqlite(
    sqlite: &rusqlite::Connection,
    tables: &[Table],
) -> Result<Vec<TableSummary>, TransferError> {
    let mut summaries = Vec::new();
    for table in tables {
        let mut statement = sqlite.prepare(&select_all(table))?;
        let mut rows = statement.query([])?;
        let mut digests = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..table.columns.len())
                .map(|i| sqlite_value(table, i, row.get_ref(i)?))
                .collect::<Result<Vec<_>, TransferError>>()?;
            digests.push(row_digest(&values));
        }
        summaries.push(summary(table, digests));
    }
    Ok(summaries)
}

fn summarise_postgres(target: &Db, tables: &[Table]) -> Result<Vec<TableSummary>, TransferError> {
    target
        .with_postgres(|client| {
            let mut summaries = Vec::new();
            for table in tables {
                let mut digests = Vec::new();
                for row in client.query(&select_all(table), &[])? {
                    let values = table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, (_, ty))| {
                            Ok(match ty {
                                PgType::Text => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
                                PgType::BigInt => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
                                PgType::Int => {
                                    row.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(v.into()))
                                }
                                PgType::Bool => {
                                    row.try_get::<_, Option<bool>>(i)?.map(|v| Value::Int(v.into()))
                                }
                                PgType::Bytes => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes),
                                PgType::Double => row.try_get::<_, Option<f64>>(i)?.map(Value::Real),
                            }
                            .unwrap_or(Value::Null))
                        })
                        .collect::<Result<Vec<_>, postgres::Error>>()?;
                    digests.push(row_digest(&values));
                }
                summaries.push(summary(table, digests));
            }
            Ok(summaries)
        })
        .expect("the target is PostgreSQL")
}

/// Every table of the SQLite database file at `path`, summarised as [`summarise_connection`] does.
fn summarise_sqlite_file(path: &Path) -> Result<Vec<TableSummary>, TransferError> {
    let connection = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    summarise_connection(&connection)
}

/// Writes a consistent copy of the SQLite database in `data` to the new file `to`, while a relay
/// may be writing to it: SQLite's online backup in one step, which reads one snapshot. Then checks
/// the copy (`integrity_check`, and every table's rows and digest against the source's snapshot).
pub fn backup(data: &Path, to: &Path) -> Result<Vec<TableSummary>, TransferError> {
    if to.exists() {
        return Err(TransferError::Refused(format!(
            "{} exists; a backup never overwrites a file",
            to.display()
        )));
    }
    let storage = Storage::open_in(data)?;
    if storage.backend() != Backend::Sqlite {
        return Err(TransferError::Refused(
            "backup copies a SQLite database; back PostgreSQL up with pg_dump".into(),
        ));
    }
    let db = storage.connect()?;
    let source = db.as_sqlite().expect("a SQLite database");
    // Written beside the target and renamed, so an interrupted backup never looks finished.
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let mut copy = rusqlite::Connection::open(&partial)?;
        // The source's snapshot is the one this read transaction sees; its summary is taken in it.
        source.execute_batch("BEGIN")?;
        let copied = (|| -> Result<Vec<TableSummary>, TransferError> {
            rusqlite::backup::Backup::new(source, &mut copy)?.step(-1)?;
            summarise_connection(source)
        })();
        let _ = source.execute_batch("COMMIT");
        let expected = copied?;
        let integrity: String = copy.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        if integrity != "ok" {
            return Err(TransferError::Refused(format!(
                "the backup failed its integrity check: {integrity}"
            )));
        }
        drop(copy);
        let found = summarise_sqlite_file(&partial)?;
        if found != expected {
            return Err(TransferError::Refused("the backup does not match the database it copied".into()));
        }
    }
    std::fs::rename(&partial, to)
        .map_err(|e| TransferError::Refused(format!("cannot write {}: {e}", to.display())))?;
    summarise_sqlite_file(to)
}

/// Rows and digest of every table a SQLite connection sees (inside a read transaction: one
/// snapshot), each value as SQLite stores it; `backup` compares the source with its copy by it.
fn summarise_connection(connection: &rusqlite::Connection) -> Result<Vec<TableSummary>, TransferError> {
    let names: Vec<String> = connection
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut summaries = Vec::new();
    for name in names {
        let mut statement = connection.prepare(&format!("SELECT * FROM {}", quoted(&name)))?;
        let columns = statement.column_count();
        let mut rows = statement.query([])?;
        let mut digests = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..columns)
                .map(|i| raw_value(row.get_ref(i)?))
                .collect::<Result<Vec<_>, rusqlite::Error>>()?;
            digests.push(row_digest(&values));
        }
        summaries.push(summary(&Table { name, columns: Vec::new() }, digests));
    }
    Ok(summaries)
}

fn raw_value(value: rusqlite::types::ValueRef<'_>) -> Result<Value, rusqlite::Error> {
    use rusqlite::types::ValueRef;
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Real(v) => Value::Real(v),
        ValueRef::Text(v) | ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{accounts, storage::Write};

    /// A SQLite deployment with people, a pair, a session, a token, a claimed document and its
    /// chunks (binary, with every byte value).
    fn deployment(dir: &Path) {
        let storage = Storage::open_in(dir).unwrap();
        let db = storage.connect().unwrap();
        accounts::create_program(&db, Some("prog"), "Residency").unwrap();
        let mentor =
            accounts::add_person(&db, Some("u-m"), "m@x.example", "Mentor", Some("mentor password one"))
                .unwrap();
        let associate = accounts::add_person(&db, Some("u-a"), "a@x.example", "Associate", None).unwrap();
        accounts::set_membership(&db, "prog", &mentor.id, tandem_api::Role::Mentor).unwrap();
        accounts::set_membership(&db, "prog", &associate.id, tandem_api::Role::Associate).unwrap();
        accounts::add_pair(&db, "prog", Some("pair-1"), &mentor.id, &associate.id, None).unwrap();
        accounts::create_token(&db, &mentor.id, Some("tablet"), 1_000, 90_000).unwrap();
        let document = tandem_sync::DocumentId::new_random([7; 16]).to_string();
        crate::access::claim(&db, &mentor.id, &document, &tandem_api::Audience::Private, 2_000).unwrap();
        let bytes: Vec<u8> = (0..=255).collect();
        let key = tandem_sync::StorageKey::from_parts([document.as_str(), "snapshot", "abc"]).unwrap();
        storage.write_blocking(vec![Write::Put { key, data: bytes }]).unwrap();
    }

    #[test]
    fn a_copy_into_postgres_has_every_row_of_every_table_and_says_so_per_table() {
        let Some(database) = tandem_testdb::TestDatabase::create() else { return };
        let dir = tempfile::tempdir().unwrap();
        deployment(dir.path());
        let tables = copy(dir.path(), database.url()).unwrap();
        let rows = |name: &str| tables.iter().find(|t| t.table == name).map(|t| t.rows);
        assert_eq!(rows("people"), Some(2));
        assert_eq!(rows("pairs"), Some(1));
        assert_eq!(rows("chunks"), Some(1));
        assert_eq!(rows("documents"), Some(1));
        assert_eq!(rows("sessions"), Some(1));
        // What the relay reads from PostgreSQL is what it wrote to SQLite.
        let target = Storage::open(&crate::storage::Location::Postgres(database.url().to_owned())).unwrap();
        let db = target.connect().unwrap();
        let mentor = accounts::person_by_id_or_email(&db, "m@x.example").unwrap();
        assert_eq!(mentor.name, "Mentor");
        assert!(
            accounts::check_sign_in(&db, "m@x.example", "mentor password one").unwrap().is_some(),
            "the password hash came along"
        );
        let data: Vec<Vec<u8>> = db.query("SELECT data FROM chunks", &[], |row| row.get(0)).unwrap();
        assert_eq!(data, vec![(0..=255).collect::<Vec<u8>>()]);
    }

    #[test]
    fn a_copy_refuses_a_database_that_already_holds_rows_and_changes_nothing_there() {
        let Some(database) = tandem_testdb::TestDatabase::create() else { return };
        let dir = tempfile::tempdir().unwrap();
        deployment(dir.path());
        copy(dir.path(), database.url()).unwrap();
        let error = copy(dir.path(), database.url()).unwrap_err().to_string();
        assert!(error.contains("not empty"), "{error}");
        let target = Storage::open(&crate::storage::Location::Postgres(database.url().to_owned())).unwrap();
        let people: i64 = target
            .connect()
            .unwrap()
            .query_opt("SELECT count(*) FROM people", &[], |r| r.get(0))
            .unwrap()
            .unwrap();
        assert_eq!(people, 2, "the first copy's rows, once");
    }

    #[test]
    fn a_copy_from_a_directory_without_a_database_says_what_from_must_name() {
        let dir = tempfile::tempdir().unwrap();
        let error = copy(dir.path(), "postgres://nowhere.invalid/none").unwrap_err().to_string();
        assert!(error.contains("data directory"), "{error}");
        assert!(!dir.path().join(crate::storage::DATABASE_FILE).exists(), "no empty database made there");
    }

    #[test]
    fn a_backup_of_a_live_database_is_a_checked_copy_that_opens_as_a_relay_database() {
        let dir = tempfile::tempdir().unwrap();
        deployment(dir.path());
        // The relay's own connection stays open (and keeps writing) while the backup runs.
        let live = Storage::open_in(dir.path()).unwrap();
        let to = dir.path().join("backup.sqlite3");
        let tables = backup(dir.path(), &to).unwrap();
        let later = tandem_sync::StorageKey::from_parts(["later"]).unwrap();
        live.write_blocking(vec![Write::Put { key: later, data: vec![1] }]).unwrap();
        assert_eq!(
            tables.iter().find(|t| t.table == "chunks").unwrap().rows,
            1,
            "what was committed when it ran"
        );
        let restored = tempfile::tempdir().unwrap();
        std::fs::copy(&to, restored.path().join(crate::storage::DATABASE_FILE)).unwrap();
        let db = Storage::open_in(restored.path()).unwrap().connect().unwrap();
        assert_eq!(accounts::person_by_id_or_email(&db, "a@x.example").unwrap().name, "Associate");
        let error = backup(dir.path(), &to).unwrap_err().to_string();
        assert!(error.contains("never overwrites"), "{error}");
    }
}
