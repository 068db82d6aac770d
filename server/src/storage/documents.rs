//! The `documents` table's statements: each claimed document's audience and owner.
//!
//! Rows in, rows out; who may claim what is decided by [`crate::access`].

use tandem_api::{Audience, Claim};

use super::db::{Db, DbResult as Result};

/// The claim recorded for `document`, if any.
pub fn claim_of(db: &Db, document: &str) -> Result<Option<Claim>> {
    db.query_opt(
        "SELECT audience, owner_id, pair_id, program_id, provisional FROM documents WHERE id = ?1",
        &[&document],
        |row| {
            let kind: String = row.get(0)?;
            let audience = match kind.as_str() {
                "pair" => Audience::Pair { pair_id: row.get::<Option<String>>(2)?.unwrap_or_default() },
                "program" => {
                    Audience::Program { program_id: row.get::<Option<String>>(3)?.unwrap_or_default() }
                }
                _ => Audience::Private,
            };
            Ok(Claim { id: document.to_owned(), audience, owner_id: row.get(1)?, provisional: row.get(4)? })
        },
    )
}

fn audience_columns(audience: &Audience) -> (&'static str, Option<&str>, Option<&str>) {
    match audience {
        Audience::Private => ("private", None, None),
        Audience::Pair { pair_id } => ("pair", Some(pair_id.as_str()), None),
        Audience::Program { program_id } => ("program", None, Some(program_id.as_str())),
    }
}

/// Records a claim; fails if the document is claimed already.
pub fn insert_claim(db: &Db, claim: &Claim, now_ms: i64) -> Result<()> {
    let (kind, pair_id, program_id) = audience_columns(&claim.audience);
    db.execute(
        "INSERT INTO documents (id, audience, owner_id, pair_id, program_id, provisional, claimed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[&claim.id, &kind, &claim.owner_id, &pair_id, &program_id, &claim.provisional, &now_ms],
    )?;
    Ok(())
}

/// Records a claim unless the document is claimed already; whether it did.
pub fn insert_claim_if_unclaimed(db: &Db, claim: &Claim, now_ms: i64) -> Result<bool> {
    let (kind, pair_id, program_id) = audience_columns(&claim.audience);
    let inserted = db.execute(
        "INSERT INTO documents (id, audience, owner_id, pair_id, program_id, provisional, claimed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        &[&claim.id, &kind, &claim.owner_id, &pair_id, &program_id, &claim.provisional, &now_ms],
    )?;
    Ok(inserted == 1)
}

pub fn delete_claim(db: &Db, document: &str) -> Result<()> {
    db.execute("DELETE FROM documents WHERE id = ?1", &[&document])?;
    Ok(())
}

/// The ids of every document whose audience includes `person` by the memberships recorded now.
pub fn readable_by(db: &Db, person: &str) -> Result<Vec<String>> {
    db.query(
        "SELECT d.id FROM documents d
         WHERE (d.audience = 'private' AND d.owner_id = ?1)
            OR (d.audience = 'pair' AND d.pair_id IN
                  (SELECT id FROM pairs WHERE mentor_id = ?1 OR associate_id = ?1))
            OR (d.audience = 'program' AND d.program_id IN
                  (SELECT program_id FROM memberships WHERE person_id = ?1))
         ORDER BY d.id",
        &[&person],
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
