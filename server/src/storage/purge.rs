//! The statements of purging: what a person's or a pair's records are, removing documents and
//! people for good, the tombstones that keep them gone, and the access record.
//!
//! Rows in, rows out; what a purge takes and in which order is [`crate::purge`]'s. Getting the
//! bytes out of the database file (not only out of its tables) is [`super::Storage::scrub`].

use super::{
    Backend,
    db::{Db, DbResult as Result, Row},
};

/// The advisory lock that orders purges against what they guard against on PostgreSQL: the chunk
/// writer and `record_claim` hold it in share mode ([`hold_tombstones`]) for their transaction, a
/// purge exclusively ([`lock_tombstones`]). Without it, under READ COMMITTED, a writer whose
/// statement began before a purge committed would not see the new tombstone, and the purge's
/// delete would not see the writer's uncommitted row: the chunk (or claim) would outlive the
/// purge. With it, a purge waits for writers in flight (then deletes what they wrote) and writers
/// wait for a purge in flight (then their next statement, with a fresh snapshot, sees the
/// tombstone). Writers do not wait for one another. An advisory lock rather than `LOCK TABLE`:
/// it conflicts with nothing else (not autovacuum), and relays sharing the database share it.
/// SQLite needs none: it has one writer at a time, and each transaction sees the last commit.
const PURGE_LOCK: i64 = 0x7461_6e64_7075_7267; // "tandpurg"

/// Takes the purge lock in share mode until the current transaction ends (PostgreSQL; nothing on
/// SQLite). Call it inside a transaction, before the statement the tombstones guard.
pub fn hold_tombstones(db: &Db) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.execute("SELECT pg_advisory_xact_lock_shared(?1)", &[&PURGE_LOCK])?;
    }
    Ok(())
}

/// Whether SQLite overwrites deleted content with zeros (`secure_delete`); PostgreSQL has no such
/// setting (its [`super::scrub`] is a `VACUUM`).
pub fn secure_delete(db: &Db, on: bool) -> Result<()> {
    if let Some(connection) = db.as_sqlite() {
        connection.pragma_update(None, "secure_delete", on)?;
    }
    Ok(())
}

/// Takes the purge lock exclusively until the current transaction ends (PostgreSQL; nothing on
/// SQLite): waits for the chunk writers and claims in flight, and holds new ones back.
pub fn lock_tombstones(db: &Db) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.execute("SELECT pg_advisory_xact_lock(?1)", &[&PURGE_LOCK])?;
    }
    Ok(())
}

/// A document a purge would remove, as the relay's tables describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: String,
    /// `private`, `pair` or `program`.
    pub audience: String,
    pub owner_id: String,
    pub pair_id: Option<String>,
    pub program_id: Option<String>,
}

fn document_row(row: &Row<'_>) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: row.get(0)?,
        audience: row.get(1)?,
        owner_id: row.get(2)?,
        pair_id: row.get(3)?,
        program_id: row.get(4)?,
    })
}

const DOCUMENT_COLUMNS: &str = "id, audience, owner_id, pair_id, program_id";

/// A person's records: the documents they own (drafts, mentor notes, what they shared) and the
/// documents of the pairs they sit in. A program's own documents are the program's, not theirs.
pub fn documents_of_person(db: &Db, person_id: &str) -> Result<Vec<DocumentRow>> {
    db.query(
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents
             WHERE audience <> 'program' AND (owner_id = ?1 OR (audience = 'pair' AND pair_id IN
                 (SELECT id FROM pairs WHERE mentor_id = ?1 OR associate_id = ?1)))
             ORDER BY id"
        ),
        &[&person_id],
        document_row,
    )
}

/// A pair's records: the documents claimed for the pair.
pub fn documents_of_pair(db: &Db, pair_id: &str) -> Result<Vec<DocumentRow>> {
    db.query(
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE audience = 'pair' AND pair_id = ?1 ORDER BY id"
        ),
        &[&pair_id],
        document_row,
    )
}

pub fn document(db: &Db, id: &str) -> Result<Option<DocumentRow>> {
    db.query_opt(&format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = ?1"), &[&id], document_row)
}

/// Who can read `document` now: its owner (private), the pair's seats, the program's members.
pub fn readers_of(db: &Db, document: &DocumentRow) -> Result<Vec<String>> {
    let mut readers: Vec<String> = match document.audience.as_str() {
        "pair" => db.query(
            "SELECT mentor_id FROM pairs WHERE id = ?1 AND mentor_id IS NOT NULL
             UNION SELECT associate_id FROM pairs WHERE id = ?1 AND associate_id IS NOT NULL",
            &[&document.pair_id],
            |row| row.get(0),
        )?,
        "program" => db.query(
            "SELECT person_id FROM memberships WHERE program_id = ?1",
            &[&document.program_id],
            |row| row.get(0),
        )?,
        _ => Vec::new(),
    };
    readers.push(document.owner_id.clone());
    readers.sort();
    readers.dedup();
    Ok(readers)
}

/// The chunks stored for `document`: how many, and their bytes in all.
pub fn stored_size(db: &Db, document: &str) -> Result<(i64, i64)> {
    // `CAST(... AS BIGINT)`: PostgreSQL's sum of lengths is a numeric otherwise.
    let size = db.query_opt(
        "SELECT count(*), CAST(coalesce(sum(length(data)), 0) AS BIGINT) FROM chunks
         WHERE key >= ?1 AND key < ?2",
        &[&format!("{document}/"), &format!("{document}0")],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(size.unwrap_or((0, 0)))
}

/// Removes every chunk and the claim of `document`, and records its tombstone; from then on the
/// chunk writer refuses to store anything under its id and no claim of it can be recorded.
pub fn remove_document(db: &Db, document: &str, now_ms: i64) -> Result<()> {
    // Keys under a document sort between `id/` and `id0` ('0' follows '/' in ASCII).
    db.execute(
        "DELETE FROM chunks WHERE key >= ?1 AND key < ?2",
        &[&format!("{document}/"), &format!("{document}0")],
    )?;
    db.execute("DELETE FROM documents WHERE id = ?1", &[&document])?;
    db.execute(
        "INSERT INTO purged_documents (id, purged_ms) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
        &[&document, &now_ms],
    )?;
    Ok(())
}

/// Whether `document` was purged.
pub fn is_purged(db: &Db, document: &str) -> Result<bool> {
    db.exists("SELECT 1 FROM purged_documents WHERE id = ?1", &[&document])
}

/// Documents purged after tombstone `seq` (0: all), oldest first, with their own `seq`.
pub fn purged_after(db: &Db, seq: i64) -> Result<Vec<(i64, String)>> {
    db.query("SELECT seq, id FROM purged_documents WHERE seq > ?1 ORDER BY seq", &[&seq], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

/// Tells `person_id`'s devices, through the API, that `document` is gone.
pub fn insert_notice(db: &Db, person_id: &str, document: &str, now_ms: i64) -> Result<()> {
    db.execute(
        "INSERT INTO purge_notices (person_id, document_id, purged_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (person_id, document_id) DO NOTHING",
        &[&person_id, &document, &now_ms],
    )?;
    Ok(())
}

/// Drops the notices older than `before_ms` (a device offline that long has been set up again).
pub fn drop_notices_before(db: &Db, before_ms: i64) -> Result<()> {
    db.execute("DELETE FROM purge_notices WHERE purged_ms < ?1", &[&before_ms])?;
    Ok(())
}

/// The documents `person_id`'s devices are to delete.
pub fn notices_for(db: &Db, person_id: &str) -> Result<Vec<String>> {
    db.query(
        "SELECT document_id FROM purge_notices WHERE person_id = ?1 ORDER BY document_id",
        &[&person_id],
        |row| row.get(0),
    )
}

/// What a person purge removes from the accounts tables, counted for its confirmation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountRows {
    pub memberships: i64,
    pub seats: i64,
    pub secrets: i64,
    pub invitations: i64,
}

pub fn account_rows(db: &Db, person_id: &str, email: &str) -> Result<AccountRows> {
    let count = |sql: &str, key: &str| -> Result<i64> {
        Ok(db.query_opt(sql, &[&key], |row| row.get(0))?.unwrap_or(0))
    };
    Ok(AccountRows {
        memberships: count("SELECT count(*) FROM memberships WHERE person_id = ?1", person_id)?,
        seats: count(
            "SELECT (SELECT count(*) FROM pairs WHERE mentor_id = ?1) + (SELECT count(*) FROM pairs WHERE associate_id = ?1)",
            person_id,
        )?,
        secrets: count("SELECT count(*) FROM sessions WHERE person_id = ?1", person_id)?,
        invitations: count("SELECT count(*) FROM invitations WHERE email = ?1", email)?,
    })
}

/// Removes a person's account: their sessions and tokens (whose hashes become tombstones, so
/// their devices hear the account is gone), memberships, seats, the invitations sent to their
/// email, their purge notices and the record of what was disclosed to them, and their row.
pub fn remove_person(db: &Db, person_id: &str, email: &str, now_ms: i64) -> Result<()> {
    db.execute(
        "INSERT INTO purged_secrets (token_hash, purged_ms) SELECT token_hash, ?2 FROM sessions
         WHERE person_id = ?1 ON CONFLICT (token_hash) DO NOTHING",
        &[&person_id, &now_ms],
    )?;
    db.execute("DELETE FROM sessions WHERE person_id = ?1", &[&person_id])?;
    db.execute("DELETE FROM memberships WHERE person_id = ?1", &[&person_id])?;
    db.execute("UPDATE pairs SET mentor_id = NULL WHERE mentor_id = ?1", &[&person_id])?;
    db.execute("UPDATE pairs SET associate_id = NULL WHERE associate_id = ?1", &[&person_id])?;
    db.execute("DELETE FROM invitations WHERE email = ?1", &[&email])?;
    db.execute("DELETE FROM purge_notices WHERE person_id = ?1", &[&person_id])?;
    db.execute("DELETE FROM access_record WHERE person_id = ?1 AND action = 'disclosure'", &[&person_id])?;
    db.execute("DELETE FROM people WHERE id = ?1", &[&person_id])?;
    Ok(())
}

/// Whether `hash` was a session or token of a person since purged.
pub fn is_purged_secret(db: &Db, hash: &str) -> Result<bool> {
    db.exists("SELECT 1 FROM purged_secrets WHERE token_hash = ?1", &[&hash])
}

/// One line of the access record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    pub seq: i64,
    pub at_ms: i64,
    /// `disclosure`, `export` or `purge`.
    pub action: String,
    /// Who did it: a person's id, or `tandem admin` for the command line.
    pub actor: String,
    /// Whom it is about: the purged or exported person, the recipient of a disclosure.
    pub person_id: Option<String>,
    pub pair_id: Option<String>,
    pub document_id: Option<String>,
    pub device: Option<String>,
    /// What happened, in words (a purge lists the documents it removed).
    pub detail: String,
}

/// Appends `line` (its `seq` is ignored); returns the `seq` it got.
pub fn insert_record_line(db: &Db, line: &RecordLine) -> Result<i64> {
    db.query_opt(
        "INSERT INTO access_record (at_ms, action, actor, person_id, pair_id, document_id, device, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING seq",
        &[
            &line.at_ms,
            &line.action,
            &line.actor,
            &line.person_id,
            &line.pair_id,
            &line.document_id,
            &line.device,
            &line.detail,
        ],
        |row| row.get(0),
    )?
    .ok_or(super::DbError::Missing("the access record line just inserted"))
}

/// The access record's lines of one action, oldest first.
pub fn record_lines(db: &Db, action: &str) -> Result<Vec<RecordLine>> {
    db.query(
        "SELECT seq, at_ms, action, actor, person_id, pair_id, document_id, device, detail
         FROM access_record WHERE action = ?1 ORDER BY seq",
        &[&action],
        record_line,
    )
}

/// The access record's lines about `person_id`, oldest first.
pub fn record_lines_about(db: &Db, person_id: &str) -> Result<Vec<RecordLine>> {
    db.query(
        "SELECT seq, at_ms, action, actor, person_id, pair_id, document_id, device, detail
         FROM access_record WHERE person_id = ?1 ORDER BY seq",
        &[&person_id],
        record_line,
    )
}

fn record_line(row: &Row<'_>) -> Result<RecordLine> {
    Ok(RecordLine {
        seq: row.get(0)?,
        at_ms: row.get(1)?,
        action: row.get(2)?,
        actor: row.get(3)?,
        person_id: row.get(4)?,
        pair_id: row.get(5)?,
        document_id: row.get(6)?,
        device: row.get(7)?,
        detail: row.get(8)?,
    })
}
