//! The `documents` table's statements: each claimed document's audience and owner.
//!
//! Rows in, rows out; who may claim what is decided by [`crate::access`].

use tandem_api::{Audience, Claim};

use super::db::{Db, DbError, DbResult as Result};

/// The claim recorded for `document`, if any.
pub fn claim_of(db: &Db, document: &str) -> Result<Option<Claim>> {
    db.query_opt(
        "SELECT audience, owner_id, pair_id, program_id, provisional FROM documents WHERE id = ?1",
        &[&document],
        |row| {
            let kind: String = row.get(0)?;
            let pair_id = || Ok::<_, DbError>(row.get::<Option<String>>(2)?.unwrap_or_default());
            let audience = match kind.as_str() {
                // A pair's document with a program recorded is the pair's and its program's
                // coordinators' (see `audience_columns`).
                "pair" if row.get::<Option<String>>(3)?.is_some() => {
                    Audience::PairAndCoordinators { pair_id: pair_id()? }
                }
                "pair" => Audience::Pair { pair_id: pair_id()? },
                "program" => {
                    Audience::Program { program_id: row.get::<Option<String>>(3)?.unwrap_or_default() }
                }
                _ => Audience::Private,
            };
            Ok(Claim { id: document.to_owned(), audience, owner_id: row.get(1)?, provisional: row.get(4)? })
        },
    )
}

/// The `audience`, `pair_id` and `program_id` columns of a claim. A pair's document that its
/// program's coordinators see too (a stage record) is a `pair` row with the pair's program
/// recorded: a plain pair document has none, so the two never mix, and no column or constraint
/// had to change for it.
fn audience_columns(db: &Db, audience: &Audience) -> Result<(&'static str, Option<String>, Option<String>)> {
    Ok(match audience {
        Audience::Private => ("private", None, None),
        Audience::Pair { pair_id } => ("pair", Some(pair_id.clone()), None),
        Audience::PairAndCoordinators { pair_id } => {
            let program: Option<String> =
                db.query_opt("SELECT program_id FROM pairs WHERE id = ?1", &[pair_id], |row| row.get(0))?;
            // A pair that does not exist is refused before this (no one may write to it).
            ("pair", Some(pair_id.clone()), Some(program.ok_or(DbError::Missing("the claimed pair"))?))
        }
        Audience::Program { program_id } => ("program", None, Some(program_id.clone())),
    })
}

/// Records `claim` where it may stand, in one statement, and returns the claim that stands
/// afterwards with whether this call changed anything; `None` when the document was purged
/// (its tombstone refuses every claim, in the same statement).
///
/// The one claim path, for the claim call and for a first sync alike: an unclaimed document takes
/// the claim; the owner's provisional claim becomes `claim` when `claim` is final; anything else
/// stays as it was (the caller compares what stands with what it asked for). One statement, so a
/// claim call and a first sync that claim the same document at the same moment on two
/// connections (or two relays sharing PostgreSQL) cannot both find it free: whichever comes second
/// sees the first's row.
pub fn record_claim(db: &Db, claim: &Claim, now_ms: i64) -> Result<Option<(Claim, bool)>> {
    let (kind, pair_id, program_id) = audience_columns(db, &claim.audience)?;
    // In a transaction of its own (a savepoint inside a caller's) so that on PostgreSQL the purge
    // lock, taken in share mode first, is held until the claim commits: a purge either finished
    // before (and its tombstone refuses the claim here) or waits for it (and deletes the row).
    db.atomically(|db| {
        super::purge::hold_tombstones(db)?;
        let changed = db.execute(
            "INSERT INTO documents (id, audience, owner_id, pair_id, program_id, provisional, claimed_ms)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE NOT EXISTS (SELECT 1 FROM purged_documents WHERE id = ?1)
             ON CONFLICT (id) DO UPDATE SET audience = excluded.audience, pair_id = excluded.pair_id,
                 program_id = excluded.program_id, provisional = excluded.provisional,
                 claimed_ms = excluded.claimed_ms
             WHERE documents.provisional AND NOT excluded.provisional
                 AND documents.owner_id = excluded.owner_id",
            &[&claim.id, &kind, &claim.owner_id, &pair_id, &program_id, &claim.provisional, &now_ms],
        )?;
        // Once a row exists only a purge deletes it, and a purged id takes no row.
        Ok(claim_of(db, &claim.id)?.map(|standing| (standing, changed == 1)))
    })
}

/// How many documents `owner` claimed after `since_ms` (claims since widened included once), and
/// when the earliest of those was claimed: what `--max-new-documents-per-hour` counts.
pub fn claimed_since(db: &Db, owner: &str, since_ms: i64) -> Result<(i64, Option<i64>)> {
    let counted = db.query_opt(
        "SELECT COUNT(*), MIN(claimed_ms) FROM documents WHERE owner_id = ?1 AND claimed_ms > ?2",
        &[&owner, &since_ms],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    // An aggregate always answers one row.
    Ok(counted.unwrap_or((0, None)))
}

/// The ids of every document whose audience includes `person` by the memberships recorded now.
pub fn readable_by(db: &Db, person: &str) -> Result<Vec<String>> {
    db.query(
        "SELECT d.id FROM documents d
         WHERE (d.audience = 'private' AND d.owner_id = ?1)
            OR (d.audience = 'pair' AND d.pair_id IN
                  (SELECT id FROM pairs WHERE mentor_id = ?1 OR associate_id = ?1))
            OR (d.audience = 'pair' AND d.program_id IN
                  (SELECT program_id FROM memberships WHERE person_id = ?1 AND role = 'coordinator'))
            OR (d.audience = 'program' AND d.program_id IN
                  (SELECT program_id FROM memberships WHERE person_id = ?1))
         ORDER BY d.id",
        &[&person],
        |row| row.get(0),
    )
}

/// The ids of the documents claimed for `program_id`'s whole program (its program document).
pub fn program_documents(db: &Db, program_id: &str) -> Result<Vec<String>> {
    db.query(
        "SELECT id FROM documents WHERE audience = 'program' AND program_id = ?1 ORDER BY id",
        &[&program_id],
        |row| row.get(0),
    )
}

/// Whether any chunk of `document` is stored.
pub fn has_stored_chunks(db: &Db, document: &str) -> Result<bool> {
    // Keys under a document sort between `id/` and `id0` ('0' follows '/' in ASCII).
    db.exists(
        "SELECT 1 FROM chunks WHERE key >= ?1 AND key < ?2 LIMIT 1",
        &[&format!("{document}/"), &format!("{document}0")],
    )
}
