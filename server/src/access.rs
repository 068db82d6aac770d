//! Who may read and write which document: audiences, claims, and the sync engine's [`Policy`].
//!
//! Every document the relay serves has an audience, recorded when it is claimed:
//! - **private**: its owner only (drafts, mentor notes);
//! - **pair**: the mentor and the associate of one pair, whoever sits in those seats now;
//! - **pair and coordinators**: the pair, and the coordinators of its program (a stage record);
//! - **program**: everyone in the program reads, its coordinators write.
//!
//! A document is claimed either explicitly, `POST /api/documents {id, audience}` (before its first
//! sync, or right after it when it was claimed implicitly), or implicitly by its first sync from a
//! device that has content of it, which makes it *provisionally* private to that device's person. Its owner
//! may claim a provisional document once more, for a wider audience they belong to; after that
//! the audience is fixed. A document nobody claimed is answered like a missing one.
//!
//! The answers are read from the database for every question, so a change of membership (made by
//! the API or by `tandem admin` on the same database) holds for the very next message, on live
//! connections too. A purged document's id is nobody's, for good: it cannot be claimed again, and
//! a device that still holds it can neither read it back nor store it anew.
//!
//! [`Audience`], [`Access`] and [`Claim`] are `tandem-api`'s types, the ones `/api/documents`
//! answers with; the statements are in [`crate::storage::documents`].

use std::collections::HashMap;

use crate::storage::Db;
pub use tandem_api::{Access, Audience, Claim};
use tandem_sync::{ConnectionId, DocumentId, PeerId, Policy, codec::Message, engine::Frame};

use crate::{
    accounts::{self, AccountError, Role},
    storage::{accounts as db_accounts, documents as db_documents, purge as db_purge},
};

pub use db_documents::claim_of;

/// What `person` may do with a document of this claim, by the memberships recorded now.
pub fn access_to(db: &Db, person: &str, claim: &Claim) -> crate::storage::DbResult<Access> {
    Ok(match &claim.audience {
        Audience::Private => {
            if claim.owner_id == person {
                Access::Write
            } else {
                Access::None
            }
        }
        Audience::Pair { pair_id } => {
            if db_accounts::is_seated(db, pair_id, person)? {
                Access::Write
            } else {
                Access::None
            }
        }
        Audience::PairAndCoordinators { pair_id } => {
            let coordinates = || -> crate::storage::DbResult<bool> {
                Ok(match db_accounts::pair(db, pair_id)? {
                    Some(pair) => {
                        db_accounts::role_in(db, &pair.program_id, person)? == Some(Role::Coordinator)
                    }
                    None => false,
                })
            };
            if db_accounts::is_seated(db, pair_id, person)? || coordinates()? {
                Access::Write
            } else {
                Access::None
            }
        }
        Audience::Program { program_id } => match db_accounts::role_in(db, program_id, person)? {
            Some(Role::Coordinator) => Access::Write,
            Some(_) => Access::Read,
            None => Access::None,
        },
    })
}

/// What `person` may do with `document`; an unclaimed document is nobody's.
pub fn access(db: &Db, person: &str, document: &str) -> crate::storage::DbResult<Access> {
    match claim_of(db, document)? {
        Some(claim) => access_to(db, person, &claim),
        None => Ok(Access::None),
    }
}

/// Records `person`'s claim of `document` for `audience`.
///
/// Refused (and nothing recorded) when the id is malformed, when the person would not be able to
/// write the document under that audience (a pair they do not sit in, a program they do not
/// coordinate), or when the document is already claimed otherwise, unless it is the person's own
/// provisional claim. Claiming again what stands (same person, same audience) succeeds.
pub fn claim(
    db: &Db,
    person: &str,
    document: &str,
    audience: &Audience,
    now_ms: i64,
) -> Result<Claim, AccountError> {
    let id: DocumentId = document
        .parse()
        .map_err(|_| AccountError::Invalid(format!("{document:?} is not an automerge document id")))?;
    let id = id.to_string();
    let proposed =
        Claim { id: id.clone(), audience: audience.clone(), owner_id: person.to_owned(), provisional: false };
    match audience {
        Audience::Private => {}
        Audience::Pair { pair_id } | Audience::PairAndCoordinators { pair_id } => {
            if access_to(db, person, &proposed)? != Access::Write {
                return Err(AccountError::Forbidden(format!(
                    "you are not in the pair {pair_id:?} or coordinating its program, so you cannot give it a document"
                )));
            }
        }
        Audience::Program { program_id } => {
            if accounts::role_in(db, program_id, person)? != Some(Role::Coordinator) {
                return Err(AccountError::Forbidden(format!(
                    "only a coordinator of the program {program_id:?} can give it a document"
                )));
            }
        }
    }
    let Some((standing, _)) = db_documents::record_claim(db, &proposed, now_ms)? else {
        return Err(AccountError::Gone(format!("the document {id} was deleted for good")));
    };
    // Asking again for what stands (a device that never heard the first answer, or a claim call
    // that found its first sync had claimed it provisionally) is the same claim, and succeeds.
    if standing.audience == proposed.audience
        && standing.owner_id == proposed.owner_id
        && !standing.provisional
    {
        return Ok(standing);
    }
    // Someone else's document is answered like a missing one elsewhere; here the id is simply
    // taken, which reveals nothing about its content or audience.
    Err(AccountError::Conflict(format!("the document {id} is already claimed")))
}

/// An hour, in milliseconds: the window `--max-new-documents-per-hour` counts claims in.
const HOUR_MS: i64 = 3_600_000;

/// Refuses a new document of `person`'s when they claimed `per_hour` documents in the last hour
/// (`--max-new-documents-per-hour`), saying when they may make the next one. What is claimed
/// already (a claim asked again, a provisional one widened) is not new, and a malformed id is
/// left to [`claim`] to refuse.
pub fn check_new_document(
    db: &Db,
    person: &str,
    document: &str,
    now_ms: i64,
    per_hour: u32,
) -> Result<(), AccountError> {
    if document.parse::<DocumentId>().is_err() || claim_of(db, document)?.is_some() {
        return Ok(());
    }
    let (count, earliest) = db_documents::claimed_since(db, person, now_ms - HOUR_MS)?;
    if count < i64::from(per_hour) {
        return Ok(());
    }
    // A place frees up when the earliest claim in the window leaves it.
    let wait_ms = earliest.map_or(HOUR_MS, |earliest| earliest + HOUR_MS - now_ms).clamp(1_000, HOUR_MS);
    let minutes = (wait_ms + 59_999) / 60_000;
    Err(AccountError::TooMany {
        message: format!(
            "you created {count} documents in the last hour, the most this relay allows; \
             try again in {minutes} minute{}",
            if minutes == 1 { "" } else { "s" }
        ),
        retry_after: std::time::Duration::from_millis(wait_ms as u64),
    })
}

/// Claims `document` provisionally for `person` if nobody has claimed it yet (its first sync from
/// a device that has it). Returns whether it did.
pub fn claim_if_unclaimed(
    db: &Db,
    person: &str,
    document: &DocumentId,
    now_ms: i64,
) -> crate::storage::DbResult<bool> {
    let claim = Claim {
        id: document.to_string(),
        audience: Audience::Private,
        owner_id: person.to_owned(),
        provisional: true,
    };
    Ok(db_documents::record_claim(db, &claim, now_ms)?
        .is_some_and(|(standing, changed)| changed && standing.provisional))
}

/// Every document `person` may read, with the access they have.
pub fn readable_documents(db: &Db, person: &str) -> crate::storage::DbResult<Vec<(Claim, Access)>> {
    let ids = db_documents::readable_by(db, person)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(claim) = claim_of(db, &id)? {
            let access = access_to(db, person, &claim)?;
            out.push((claim, access));
        }
    }
    Ok(out)
}

/// The sync engine's policy on the relay: each connection belongs to the person who opened it,
/// and every question is answered from the database.
///
/// The peer id a client announces is ignored on purpose: anyone can write any peer id into a
/// `join` message, so only the authenticated connection counts.
pub struct AccessPolicy {
    db: Db,
    people: HashMap<ConnectionId, String>,
    /// `--max-new-documents-per-hour`, for claims made by a first sync.
    new_documents_per_hour: u32,
}

impl std::fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPolicy").field("connections", &self.people.len()).finish()
    }
}

impl AccessPolicy {
    pub fn new(db: Db, new_documents_per_hour: u32) -> Self {
        Self { db, people: HashMap::new(), new_documents_per_hour }
    }

    /// The connection was opened by `person` (who authenticated before the upgrade).
    pub fn bind(&mut self, connection: ConnectionId, person: String) {
        self.people.insert(connection, person);
    }

    pub fn unbind(&mut self, connection: ConnectionId) {
        self.people.remove(&connection);
    }

    fn access(&self, connection: ConnectionId, doc: &DocumentId) -> Access {
        let Some(person) = self.people.get(&connection) else { return Access::None };
        let answer = || -> crate::storage::DbResult<Access> {
            let id = doc.to_string();
            Ok(match claim_of(&self.db, &id)? {
                Some(claim) => access_to(&self.db, person, &claim)?,
                // Nobody claimed it and nothing of it is stored: there is nothing to see, and the
                // engine answers exactly as for a missing document (`doc-unavailable`) unless its
                // creator's device syncs it meanwhile, which claims it first. Content stored
                // without a claim (from before accounts) stays hidden until `tandem admin claim`.
                // A purged id stays gone: a device still holding it can neither read it back
                // nor upload it again (which would claim it anew).
                None if db_purge::is_purged(&self.db, &id)? => Access::None,
                None if !db_documents::has_stored_chunks(&self.db, &id)? => Access::Read,
                None => Access::None,
            })
        };
        match answer() {
            Ok(access) => access,
            Err(error) => {
                // Fail closed: a database hiccup hides documents for a moment, it never leaks them.
                tracing::error!(%error, %doc, "cannot check access; refusing");
                Access::None
            }
        }
    }

    /// Looks at a frame before the engine does: a `sync` from a sender that has content (heads)
    /// of a document nobody has claimed claims it, provisionally private, for them.
    ///
    /// Refused (`Err`, what to tell the sender) when that would be a new document past their
    /// `--max-new-documents-per-hour`: the runtime answers with the protocol's `error` and closes
    /// the connection, and nothing of the frame reaches the engine.
    pub fn observe_frame(
        &mut self,
        connection: ConnectionId,
        frame: &Frame,
        now_ms: i64,
    ) -> Result<(), String> {
        let Some(person) = self.people.get(&connection) else { return Ok(()) };
        // Asking never claims: a `request` says "I have nothing, do you?", so heads in one are
        // not content, and whoever asked for an id first must not take it from its creator.
        let Message::Sync { document_id: document, .. } = frame.message() else { return Ok(()) };
        // A sender with content announces its heads (automerge sends changes only once the other
        // side asked for them); "I have nothing" (no heads) claims nothing.
        let has_content = frame.sync_message().is_some_and(|m| !m.heads.is_empty());
        if !has_content {
            return Ok(());
        }
        match check_new_document(&self.db, person, &document.to_string(), now_ms, self.new_documents_per_hour)
        {
            Ok(()) => {}
            Err(AccountError::TooMany { message, .. }) => return Err(message),
            // Counting failed: the claim is tried as ever (a hiccup must not stop a device's sync).
            Err(error) => tracing::error!(%error, %document, "cannot count a person's new documents"),
        }
        match claim_if_unclaimed(&self.db, person, document, now_ms) {
            Ok(true) => {
                tracing::info!(%document, %person, "document claimed on its first sync, private to its creator")
            }
            Ok(false) => {}
            Err(error) => {
                tracing::error!(%error, %document, "cannot record a claim; the document stays unclaimed")
            }
        }
        Ok(())
    }
}

impl Policy for AccessPolicy {
    fn may_read(&self, connection: ConnectionId, _peer: &PeerId, doc: &DocumentId) -> bool {
        self.access(connection, doc) >= Access::Read
    }

    fn may_write(&self, connection: ConnectionId, _peer: &PeerId, doc: &DocumentId) -> bool {
        self.access(connection, doc) == Access::Write
    }

    /// Only the requester's own other connections: a document nobody claimed yet is one a device
    /// of its creator may still hold unsynced, and whoever is asked learns its id (and could
    /// claim it first). Another person's device can have it only if it was shared with them,
    /// and then it reached the relay first.
    fn may_ask(&self, requester: ConnectionId, asked: ConnectionId) -> bool {
        match (self.people.get(&requester), self.people.get(&asked)) {
            (Some(requester), Some(asked)) => requester == asked,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::*;

    #[test]
    fn audiences_give_the_access_the_design_promises() {
        crate::storage::on_each_backend(|db| {
            let program = create_program(db, Some("prog"), "P").unwrap();
            let coordinator = add_person(db, Some("c"), "c@x.example", "C", None).unwrap().id;
            let mentor = add_person(db, Some("m"), "m@x.example", "M", None).unwrap().id;
            let associate = add_person(db, Some("a"), "a@x.example", "A", None).unwrap().id;
            set_membership(db, &program, &coordinator, Role::Coordinator).unwrap();
            set_membership(db, &program, &mentor, Role::Mentor).unwrap();
            set_membership(db, &program, &associate, Role::Associate).unwrap();
            add_pair(db, &program, Some("pair-1"), &mentor, &associate, None).unwrap();
            let id = |n: u8| DocumentId::from_bytes([n; 16]).to_string();
            let pair = Audience::Pair { pair_id: "pair-1".into() };
            let whole = Audience::Program { program_id: program.clone() };
            claim(db, &mentor, &id(1), &Audience::Private, 0).unwrap();
            claim(db, &mentor, &id(2), &pair, 0).unwrap();
            claim(db, &coordinator, &id(3), &whole, 0).unwrap();
            let table = [
                (&mentor, 1, Access::Write),
                (&associate, 1, Access::None),
                (&coordinator, 1, Access::None),
                (&mentor, 2, Access::Write),
                (&associate, 2, Access::Write),
                (&coordinator, 2, Access::None),
                (&mentor, 3, Access::Read),
                (&associate, 3, Access::Read),
                (&coordinator, 3, Access::Write),
                (&mentor, 4, Access::None),
            ];
            for (person, doc, expected) in table {
                assert_eq!(access(db, person, &id(doc)).unwrap(), expected, "{person} on document {doc}");
            }
            assert!(matches!(claim(db, &coordinator, &id(5), &pair, 0), Err(AccountError::Forbidden(_))));
            assert!(matches!(claim(db, &mentor, &id(5), &whole, 0), Err(AccountError::Forbidden(_))));
            assert!(matches!(
                claim(db, &associate, &id(2), &Audience::Private, 0),
                Err(AccountError::Conflict(_))
            ));
            assert!(matches!(
                claim(db, &mentor, "nonsense", &Audience::Private, 0),
                Err(AccountError::Invalid(_))
            ));
            assert_eq!(
                access(db, &coordinator, &id(5)).unwrap(),
                Access::None,
                "refused claims record nothing"
            );

            // A provisional claim can be widened once, by its owner only.
            assert!(claim_if_unclaimed(db, &mentor, &DocumentId::from_bytes([6; 16]), 0).unwrap());
            assert!(matches!(claim(db, &associate, &id(6), &pair, 0), Err(AccountError::Conflict(_))));
            claim(db, &mentor, &id(6), &pair, 0).unwrap();
            assert_eq!(access(db, &associate, &id(6)).unwrap(), Access::Write);
            assert!(matches!(
                claim(db, &mentor, &id(6), &Audience::Private, 0),
                Err(AccountError::Conflict(_))
            ));
        });
    }

    /// Regression: a share made offline reconnects with its claim call and its first sync at the
    /// same moment; the two claims raced (check, then insert) and the call failed with
    /// `UNIQUE constraint failed: documents.id` (an HTTP 500) in 3 of 4 reconnects.
    #[test]
    fn a_claim_racing_the_first_sync_of_the_same_document_succeeds() {
        for (_scratch, location) in crate::storage::scratch_locations() {
            let db = crate::storage::Storage::open(&location).unwrap().connect().unwrap();
            println!("--- on {:?}", db.backend());
            let program = create_program(&db, Some("prog"), "P").unwrap();
            let mentor = add_person(&db, Some("m"), "m@x.example", "M", None).unwrap().id;
            let associate = add_person(&db, Some("a"), "a@x.example", "A", None).unwrap().id;
            set_membership(&db, &program, &mentor, Role::Mentor).unwrap();
            set_membership(&db, &program, &associate, Role::Associate).unwrap();
            add_pair(&db, &program, Some("pair-1"), &mentor, &associate, None).unwrap();
            let pair = Audience::Pair { pair_id: "pair-1".into() };
            let rounds = 300u16;
            let start = std::sync::Arc::new(std::sync::Barrier::new(2));
            // The engine thread's claim on first sync, on its own connection as on the relay.
            let sync = {
                let (start, mentor, location) = (start.clone(), mentor.clone(), location.clone());
                std::thread::spawn(move || {
                    let db = crate::storage::connect(&location).unwrap();
                    for n in 0..rounds {
                        start.wait();
                        claim_if_unclaimed(&db, &mentor, &race_id(n), 0).unwrap();
                    }
                })
            };
            let mut failures = Vec::new();
            for n in 0..rounds {
                start.wait();
                if let Err(error) = claim(&db, &mentor, &race_id(n).to_string(), &pair, 0) {
                    failures.push(error.to_string());
                }
            }
            sync.join().unwrap();
            assert_eq!(
                failures.len(),
                0,
                "every claim call succeeds, whichever claim came first: {:?}",
                failures.first()
            );
            for n in 0..rounds {
                let standing = claim_of(&db, &race_id(n).to_string()).unwrap().unwrap();
                assert_eq!((standing.audience, standing.provisional), (pair.clone(), false), "document {n}");
            }
        }
    }

    #[test]
    fn a_stage_record_is_the_pairs_and_its_programs_coordinators_and_no_one_elses() {
        crate::storage::on_each_backend(|db| {
            let program = create_program(db, Some("prog"), "P").unwrap();
            let other = create_program(db, Some("other"), "O").unwrap();
            let person =
                |id: &str| add_person(db, Some(id), &format!("{id}@x.example"), id, None).unwrap().id;
            let (coordinator, mentor, associate) = (person("c"), person("m"), person("a"));
            let (stranger_mentor, other_coordinator) = (person("m2"), person("c2"));
            set_membership(db, &program, &coordinator, Role::Coordinator).unwrap();
            set_membership(db, &program, &mentor, Role::Mentor).unwrap();
            set_membership(db, &program, &associate, Role::Associate).unwrap();
            set_membership(db, &program, &stranger_mentor, Role::Mentor).unwrap();
            set_membership(db, &other, &other_coordinator, Role::Coordinator).unwrap();
            add_pair(db, &program, Some("pair-1"), &mentor, &associate, None).unwrap();
            let stage = Audience::PairAndCoordinators { pair_id: "pair-1".into() };
            let record = DocumentId::from_bytes([3; 16]).to_string();
            let notes = DocumentId::from_bytes([4; 16]).to_string();
            assert_eq!(
                claim(db, &mentor, &record, &stage, 0).unwrap().audience,
                stage,
                "the claim reads back as made"
            );
            claim(db, &mentor, &notes, &Audience::Pair { pair_id: "pair-1".into() }, 0).unwrap();
            let table = [
                (&mentor, &record, Access::Write),
                (&associate, &record, Access::Write),
                (&coordinator, &record, Access::Write),
                (&stranger_mentor, &record, Access::None),
                (&other_coordinator, &record, Access::None),
                // A plain pair document stays the pair's alone: coaching is kept apart from evaluation.
                (&coordinator, &notes, Access::None),
            ];
            for (person, doc, expected) in table {
                assert_eq!(access(db, person, doc).unwrap(), expected, "{person} on {doc}");
            }
            let listed = |person: &str| {
                readable_documents(db, person).unwrap().into_iter().map(|(c, _)| c.id).collect::<Vec<_>>()
            };
            assert_eq!(
                listed(&coordinator),
                vec![record.clone()],
                "the coordinator lists the stage record only"
            );
            assert!(listed(&other_coordinator).is_empty() && listed(&stranger_mentor).is_empty());
            let fresh = DocumentId::from_bytes([5; 16]).to_string();
            assert!(matches!(
                claim(db, &stranger_mentor, &fresh, &stage, 0),
                Err(AccountError::Forbidden(_))
            ));
            assert!(matches!(
                claim(db, &other_coordinator, &fresh, &stage, 0),
                Err(AccountError::Forbidden(_))
            ));
            claim(db, &coordinator, &fresh, &stage, 0).unwrap();
        });
    }

    fn race_id(n: u16) -> DocumentId {
        let mut bytes = [7u8; 16];
        bytes[..2].copy_from_slice(&n.to_be_bytes());
        DocumentId::from_bytes(bytes)
    }

    #[test]
    fn claiming_a_document_again_for_the_same_audience_succeeds_and_changes_nothing() {
        crate::storage::on_each_backend(|db| {
            let program = create_program(db, Some("prog"), "P").unwrap();
            let mentor = add_person(db, Some("m"), "m@x.example", "M", None).unwrap().id;
            let associate = add_person(db, Some("a"), "a@x.example", "A", None).unwrap().id;
            set_membership(db, &program, &mentor, Role::Mentor).unwrap();
            set_membership(db, &program, &associate, Role::Associate).unwrap();
            add_pair(db, &program, Some("pair-1"), &mentor, &associate, None).unwrap();
            let pair = Audience::Pair { pair_id: "pair-1".into() };
            let id = DocumentId::from_bytes([9; 16]).to_string();
            let first = claim(db, &mentor, &id, &pair, 10).unwrap();
            // A device that did not hear the first answer (the network dropped) asks again.
            assert_eq!(claim(db, &mentor, &id, &pair, 20).unwrap(), first);
            assert!(!claim_if_unclaimed(db, &mentor, &DocumentId::from_bytes([9; 16]), 30).unwrap());
            assert_eq!(claim_of(db, &id).unwrap(), Some(first));
            // Anything else is still refused: another audience, or someone else.
            assert!(matches!(
                claim(db, &mentor, &id, &Audience::Private, 40),
                Err(AccountError::Conflict(_))
            ));
            assert!(matches!(claim(db, &associate, &id, &pair, 40), Err(AccountError::Conflict(_))));
        });
    }
}
