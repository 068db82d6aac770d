//! Deleting records for good: the one way the relay removes a document, used by every caller
//! (`tandem admin purge`, the console, and whatever later deletes a single document: a student
//! card, a discarded draft).
//!
//! A purge is planned, shown, then carried out:
//! - [`plan_person`], [`plan_pair`], [`plan_documents`] say what would go (each document with its
//!   kind and stored size, and for a person the account rows), so a caller can ask for
//!   confirmation naming it ([`Plan::describe`]);
//! - [`execute`] removes exactly what the plan named, in one transaction: every chunk and the
//!   claim of each document, each id's tombstone (a device that still holds it can never store
//!   or claim it again, and a running relay drops it from memory), a notice for each person who
//!   could read it (their devices delete their copies), for a person their account, sessions and
//!   tokens, and one line in the access record (who purged what, when); then
//!   [`storage::scrub`] gets the deleted bytes out of the database file itself.
//!
//! Who may purge is the caller's rule (the console: a coordinator of the program; the command
//! line: whoever can open the database).

use tandem_sync::{DocumentId, StorageKey};

use crate::{
    accounts::{self, AccountError, Pair, Person},
    storage::{
        self, Db, Storage,
        purge::{self as db, AccountRows, DocumentRow, RecordLine},
    },
};

/// How long a purge notice is kept for devices that have not synced since: a device offline for
/// longer than this has been set up afresh, or the school has replaced it.
pub const NOTICE_DAYS: i64 = 400;

/// The actor named in the access record for `tandem admin` without `--by`.
pub const COMMAND_LINE: &str = "tandem admin";

/// What is purged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A person: their records and their account.
    Person(Person),
    /// A pair's records (the pair itself stays, as its seats do).
    Pair(Pair),
    /// Single documents (a student card, a discarded draft).
    Documents,
}

/// One document a plan removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDocument {
    pub row: DocumentRow,
    /// What the document says it is (`observation`, `goals`, ...), if it says.
    pub kind: Option<String>,
    pub chunks: i64,
    pub bytes: i64,
}

/// What a purge would remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub subject: Subject,
    pub documents: Vec<PlannedDocument>,
    /// For a person: the account rows that go with them.
    pub account: Option<AccountRows>,
}

/// What a purge removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The access record line that says so.
    pub record_seq: i64,
    pub documents: usize,
    pub bytes: i64,
}

/// The records of the person `key` (email or id): what they own and their pairs' documents.
pub fn plan_person(storage: &Storage, db: &Db, key: &str) -> Result<Plan, AccountError> {
    let person = accounts::person_by_id_or_email(db, key)?;
    let rows = db::documents_of_person(db, &person.id)?;
    let account = db::account_rows(db, &person.id, &person.email)?;
    Ok(Plan {
        documents: describe_rows(storage, db, rows)?,
        account: Some(account),
        subject: Subject::Person(person),
    })
}

/// The records of pair `pair_id`.
pub fn plan_pair(storage: &Storage, db: &Db, pair_id: &str) -> Result<Plan, AccountError> {
    let pair = accounts::pair(db, pair_id)?;
    let rows = db::documents_of_pair(db, &pair.id)?;
    Ok(Plan { documents: describe_rows(storage, db, rows)?, account: None, subject: Subject::Pair(pair) })
}

/// Single documents, each of which must be claimed (a purged or unknown id is not found).
pub fn plan_documents(storage: &Storage, db: &Db, ids: &[DocumentId]) -> Result<Plan, AccountError> {
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.to_string();
        rows.push(
            db::document(db, &id)?
                .ok_or_else(|| AccountError::NotFound(format!("there is no document {id}")))?,
        );
    }
    Ok(Plan { documents: describe_rows(storage, db, rows)?, account: None, subject: Subject::Documents })
}

fn describe_rows(
    storage: &Storage,
    db: &Db,
    rows: Vec<DocumentRow>,
) -> Result<Vec<PlannedDocument>, AccountError> {
    rows.into_iter()
        .map(|row| {
            let (chunks, bytes) = db::stored_size(db, &row.id)?;
            let kind = row.id.parse().ok().and_then(|id| kind_of(storage, &id));
            Ok(PlannedDocument { row, kind, chunks, bytes })
        })
        .collect()
}

/// The `kind` a stored document names at its root; `None` when nothing readable is stored.
fn kind_of(storage: &Storage, id: &DocumentId) -> Option<String> {
    let chunks = storage.load_range(&StorageKey::document_prefix(id)).ok()?;
    let mut doc = automerge::Automerge::new();
    for (key, bytes) in chunks {
        if key.chunk_kind().is_some() {
            doc.load_incremental(&bytes).ok()?;
        }
    }
    use automerge::ReadDoc as _;
    match doc.get(automerge::ROOT, "kind").ok()?? {
        (automerge::Value::Scalar(kind), _) => kind.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Plan {
    /// The subject in words, for the confirmation and the access record.
    pub fn subject_line(&self) -> String {
        match &self.subject {
            Subject::Person(p) => format!("{} <{}> (person {})", p.name, p.email, p.id),
            Subject::Pair(p) => format!("pair {} of program {}", p.id, p.program_id),
            Subject::Documents => format!("{} document(s)", self.documents.len()),
        }
    }

    /// The stored bytes the plan removes.
    pub fn bytes(&self) -> i64 {
        self.documents.iter().map(|d| d.bytes).sum()
    }

    /// What goes, one thing a line, for a person to confirm.
    pub fn describe(&self) -> String {
        let mut out =
            String::from("This deletes for good, from the relay and from every device that holds it:\n");
        out += &format!("  {}\n", self.subject_line());
        if let Some(a) = &self.account {
            out += &format!(
                "  the account: {} program membership(s), {} pair seat(s), {} session(s) and access token(s), {} invitation(s)\n",
                a.memberships, a.seats, a.secrets, a.invitations
            );
        }
        out += &format!("  {} document(s), {} bytes stored:\n", self.documents.len(), self.bytes());
        for d in &self.documents {
            let audience = match (&d.row.audience[..], &d.row.pair_id) {
                ("pair", Some(pair)) => format!("pair {pair}"),
                (audience, _) => format!("{audience}, owner {}", d.row.owner_id),
            };
            let kind = d.kind.as_deref().unwrap_or("document");
            out += &format!("    {kind} {} ({audience}), {} bytes\n", d.row.id, d.bytes);
        }
        out
    }

    /// The ids the plan names.
    fn ids(&self) -> Vec<&str> {
        self.documents.iter().map(|d| d.row.id.as_str()).collect()
    }
}

/// Carries out `plan` as `actor` (a person's id, or [`COMMAND_LINE`]) and scrubs the database
/// file. Refused, with nothing removed, when a person's or a pair's records changed since the
/// plan was made (a new document appeared): the confirmation would not have named it.
pub fn execute(db: &Db, plan: &Plan, actor: &str, now_ms: i64) -> Result<Receipt, AccountError> {
    // Deleted rows' bytes are overwritten with zeros as they are deleted (SQLite), so they are out
    // of the live pages even before the scrub rebuilds the file.
    db::secure_delete(db, true)?;
    let outcome = storage::atomically(db, |db| remove(db, plan, actor, now_ms));
    db::secure_delete(db, false)?;
    let record_seq = outcome?;
    storage::scrub(db).map_err(|e| {
        AccountError::Invalid(format!("the records are purged, but cleaning the database file failed: {e}"))
    })?;
    Ok(Receipt { record_seq, documents: plan.documents.len(), bytes: plan.bytes() })
}

fn remove(db: &Db, plan: &Plan, actor: &str, now_ms: i64) -> Result<i64, AccountError> {
    // First, before reading what stands: chunk writers and claims in flight finish, new ones wait
    // until this commits (PostgreSQL; see `storage::purge::hold_tombstones`).
    db::lock_tombstones(db)?;
    let now_rows = match &plan.subject {
        Subject::Person(p) => Some(db::documents_of_person(db, &p.id)?),
        Subject::Pair(p) => Some(db::documents_of_pair(db, &p.id)?),
        Subject::Documents => None,
    };
    if let Some(rows) = now_rows
        && rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>() != plan.ids()
    {
        return Err(AccountError::Conflict(
            "the records changed since the confirmation was shown; nothing was purged, run the purge again"
                .into(),
        ));
    }
    let purged_person = match &plan.subject {
        Subject::Person(p) => Some(p.id.as_str()),
        _ => None,
    };
    for document in &plan.documents {
        let Some(row) = db::document(db, &document.row.id)? else { continue };
        for reader in db::readers_of(db, &row)? {
            if Some(reader.as_str()) != purged_person {
                db::insert_notice(db, &reader, &row.id, now_ms)?;
            }
        }
        db::remove_document(db, &row.id, now_ms)?;
    }
    if let Subject::Person(p) = &plan.subject {
        db::remove_person(db, &p.id, &p.email, now_ms)?;
    }
    db::drop_notices_before(db, now_ms - NOTICE_DAYS * 24 * 3600 * 1000)?;
    let (person_id, pair_id) = match &plan.subject {
        Subject::Person(p) => (Some(p.id.clone()), None),
        Subject::Pair(p) => (None, Some(p.id.clone())),
        Subject::Documents => (None, None),
    };
    // The subject by id only: the line outlives the person, and must not keep their name.
    let what = match &plan.subject {
        Subject::Person(p) => format!("person {} and their account", p.id),
        Subject::Pair(p) => format!("the records of pair {}", p.id),
        Subject::Documents => "single documents".to_owned(),
    };
    let detail = format!(
        "purged {what}: {} document(s), {} bytes: {}",
        plan.documents.len(),
        plan.bytes(),
        plan.ids().join(", ")
    );
    let line = RecordLine {
        seq: 0,
        at_ms: now_ms,
        action: "purge".into(),
        actor: actor.to_owned(),
        person_id,
        pair_id,
        document_id: None,
        device: None,
        detail,
    };
    Ok(db::insert_record_line(db, &line)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        access::{self, Access, Audience},
        accounts::{Role, add_pair, add_person, create_program, set_membership},
        storage::Write,
    };

    fn key(id: &DocumentId, hash: &str) -> StorageKey {
        StorageKey::from_parts([id.to_string().as_str(), "incremental", hash]).unwrap()
    }

    /// Runs `f` on a fresh storage of each backend, with a connection of its own.
    fn on_each_storage(mut f: impl FnMut(&Storage, &Db)) {
        for (_scratch, location) in storage::scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            let db = storage.connect().unwrap();
            println!("--- on {:?}", db.backend());
            f(&storage, &db);
        }
    }

    #[test]
    fn a_purged_id_refuses_late_chunks_and_claims_and_tells_only_those_who_could_read_it() {
        on_each_storage(a_purged_id_refuses_late_chunks_and_claims);
    }

    fn a_purged_id_refuses_late_chunks_and_claims(storage: &Storage, db: &Db) {
        let program = create_program(db, Some("prog"), "P").unwrap();
        for (id, role) in [("c", Role::Coordinator), ("m", Role::Mentor), ("a", Role::Associate)] {
            add_person(db, Some(id), &format!("{id}@x.example"), id, None).unwrap();
            set_membership(db, &program, id, role).unwrap();
        }
        add_pair(db, &program, Some("pair-1"), "m", "a", None).unwrap();
        let (shared, draft) = (DocumentId::from_bytes([1; 16]), DocumentId::from_bytes([2; 16]));
        access::claim(db, "m", &shared.to_string(), &Audience::Pair { pair_id: "pair-1".into() }, 0).unwrap();
        access::claim(db, "m", &draft.to_string(), &Audience::Private, 0).unwrap();
        storage
            .write_blocking(vec![
                Write::Put { key: key(&shared, "h1"), data: b"pair bytes".to_vec() },
                Write::Put { key: key(&draft, "h2"), data: b"draft bytes".to_vec() },
            ])
            .unwrap();

        let plan = plan_pair(storage, db, "pair-1").unwrap();
        assert_eq!(plan.ids(), [shared.to_string()], "the mentor's private draft is not the pair's");
        assert_eq!(plan.bytes(), 10);
        let receipt = execute(db, &plan, "c", 5).unwrap();
        assert_eq!((receipt.documents, receipt.bytes), (1, 10));

        // A store the relay queued before the purge lands after it: nothing of it is kept.
        storage.write_blocking(vec![Write::Put { key: key(&shared, "h3"), data: b"late".to_vec() }]).unwrap();
        assert!(storage.load_range(&StorageKey::document_prefix(&shared)).unwrap().is_empty());
        assert_eq!(storage.load_range(&StorageKey::document_prefix(&draft)).unwrap().len(), 1);
        // Nobody may claim it again, nor see it, nor make it theirs by syncing it.
        let again = access::claim(db, "m", &shared.to_string(), &Audience::Private, 6).unwrap_err();
        assert!(matches!(again, AccountError::Gone(_)), "{again}");
        assert!(!access::claim_if_unclaimed(db, "a", &shared, 6).unwrap());
        assert_eq!(access::access(db, "m", &shared.to_string()).unwrap(), Access::None);
        // Whoever could read it is told (their devices delete it); the coordinator could not.
        assert_eq!(db::notices_for(db, "m").unwrap(), [shared.to_string()]);
        assert_eq!(db::notices_for(db, "a").unwrap(), [shared.to_string()]);
        assert!(db::notices_for(db, "c").unwrap().is_empty());
        let lines = db::record_lines(db, "purge").unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].seq, lines[0].actor.as_str(), lines[0].at_ms), (receipt.record_seq, "c", 5));
    }

    #[test]
    fn a_purge_whose_records_changed_since_its_confirmation_removes_nothing() {
        on_each_storage(a_purge_whose_records_changed_removes_nothing);
    }

    fn a_purge_whose_records_changed_removes_nothing(storage: &Storage, db: &Db) {
        let program = create_program(db, Some("prog"), "P").unwrap();
        add_person(db, Some("m"), "m@x.example", "M", None).unwrap();
        set_membership(db, &program, "m", Role::Mentor).unwrap();
        let first = DocumentId::from_bytes([3; 16]);
        access::claim(db, "m", &first.to_string(), &Audience::Private, 0).unwrap();
        let plan = plan_person(storage, db, "m@x.example").unwrap();
        assert_eq!(plan.account.unwrap().memberships, 1);
        // A new draft reaches the relay while the coordinator reads the confirmation.
        access::claim(db, "m", &DocumentId::from_bytes([4; 16]).to_string(), &Audience::Private, 1).unwrap();
        let refused = execute(db, &plan, COMMAND_LINE, 2).unwrap_err();
        assert!(matches!(refused, AccountError::Conflict(_)), "{refused}");
        assert_eq!(access::access(db, "m", &first.to_string()).unwrap(), Access::Write);
        assert!(db::record_lines(db, "purge").unwrap().is_empty());
    }
}
