//! A new program's document: when a program gets its first coordinator, `tandem admin` writes the
//! program document (`tandem_core::defaults`: the default competency framework and question bank)
//! into storage and claims it for the program, owned by that coordinator, who edits it from then
//! on in the app. So a program set up only with `tandem admin` is ready on the first day.
//!
//! The relay itself never writes documents; this runs in `tandem admin`, beside a relay that may
//! be running (SQLite lets both in, PostgreSQL serves many, and the relay loads documents on
//! demand).

use tandem_core::{UserId, automerge::ActorId, model::Timestamp};
use tandem_sync::{DocumentId, StorageKey};

use crate::{
    access::{self, Audience},
    accounts::{self, Role},
    storage::{Db, Storage, Write, documents as db_documents},
};

/// Writes and claims the program document of `program_id` unless it has one. `coordinator` must
/// coordinate the program; the document's first change is theirs. Returns the new document's id.
pub fn ensure_program_document(
    storage: &Storage,
    db: &Db,
    program_id: &str,
    coordinator: &str,
    now_ms: i64,
) -> anyhow::Result<Option<String>> {
    if !db_documents::program_documents(db, program_id)?.is_empty() {
        return Ok(None);
    }
    anyhow::ensure!(
        accounts::role_in(db, program_id, coordinator)? == Some(Role::Coordinator),
        "{coordinator:?} does not coordinate the program {program_id:?}"
    );
    let name = accounts::program_name(db, program_id)?;
    let actor = ActorId::from(rand::random::<[u8; 16]>().as_slice());
    let mut doc = tandem_core::defaults::program(actor, &UserId::new(coordinator), Timestamp(now_ms), &name)?;
    let id = DocumentId::new_random(rand::random());
    let bytes = doc.save();
    // Stored before it is claimed: a claimed document with no chunks would look empty to a device
    // that asked in between.
    storage.write_blocking(vec![Write::Put { key: StorageKey::snapshot(&id, &doc.heads()), data: bytes }])?;
    access::claim(
        db,
        coordinator,
        &id.to_string(),
        &Audience::Program { program_id: program_id.into() },
        now_ms,
    )?;
    Ok(Some(id.to_string()))
}
