//! What this device knows about the signed-in person, kept in IndexedDB so that the app opens and
//! works with no network: who they are, their pairs, which documents the relay lists for them,
//! and the documents made here whose audience the relay has not recorded yet.
//!
//! Claims wait here until the relay can be reached: sharing an observation in a classroom with no
//! Wi-Fi makes the shared copy at once and claims it for the pair when the school network is back.

use serde::{Deserialize, Serialize};
use tandem_sync::DocumentId;

use tandem_api::{Audience, DocumentEntry, Me};

use crate::api::{self, ApiError};
use crate::store::{IdbStorage, StoreError};

/// The setting the account is stored under.
const SETTING: &str = "account";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub me: Me,
    /// The relay's list of documents this person may read, as last fetched.
    pub documents: Vec<DocumentEntry>,
    /// Documents made on this device, with the audience to claim for them (`None` once claimed).
    pub made_here: Vec<MadeHere>,
    /// The purged documents (of `me.purged`) already deleted from this device. Defaulted: older
    /// apps stored their account without it.
    #[serde(default)]
    pub cleared: Vec<String>,
    /// Drafts the mentor discarded: offered back for a few seconds, then deleted from this
    /// device and, once it can be reached, from the relay. Kept here so that a discard survives
    /// the app being closed in between. Defaulted, like `cleared`.
    #[serde(default)]
    pub discards: Vec<Discard>,
}

/// A draft observation being discarded, with the mentor's private notes about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discard {
    pub draft: String,
    pub notes: Vec<String>,
    /// Deleted from this device (the undo time is over); the relay has yet to confirm.
    pub removed_here: bool,
}

impl Discard {
    /// Whether `id` is the draft or one of its notes.
    fn names(&self, id: &DocumentId) -> bool {
        let id = id.to_string();
        self.draft == id || self.notes.contains(&id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MadeHere {
    pub id: String,
    pub claim: Option<Audience>,
}

impl Account {
    pub fn new(me: Me) -> Self {
        Account {
            me,
            documents: Vec::new(),
            made_here: Vec::new(),
            cleared: Vec::new(),
            discards: Vec::new(),
        }
    }

    /// Whether the document is a draft being discarded (or its notes): no list shows it.
    pub fn discarding(&self, id: &DocumentId) -> bool {
        self.discards.iter().any(|d| d.names(id))
    }

    /// Starts discarding a draft and the notes about it; Undo is [`Account::undo_discard`].
    pub fn discard(&mut self, draft: &DocumentId, notes: &[DocumentId]) {
        self.discards.retain(|d| d.draft != draft.to_string());
        let notes = notes.iter().map(DocumentId::to_string).collect();
        self.discards.push(Discard { draft: draft.to_string(), notes, removed_here: false });
    }

    /// Brings a draft back, if it is still on the device. Returns whether it did.
    pub fn undo_discard(&mut self, draft: &DocumentId) -> bool {
        let before = self.discards.len();
        self.discards.retain(|d| d.draft != draft.to_string() || d.removed_here);
        self.discards.len() < before
    }

    /// The discards still offered back (the undo time not over), oldest first.
    pub fn undoable(&self) -> Vec<DocumentId> {
        self.discards.iter().filter(|d| !d.removed_here).filter_map(|d| d.draft.parse().ok()).collect()
    }

    /// Records that the undo time is over for every discard: the caller deletes them from the
    /// device. Returns the ids to delete. They are never opened or claimed again.
    pub fn discards_over(&mut self) -> Vec<DocumentId> {
        let mut ids = Vec::new();
        for discard in self.discards.iter_mut().filter(|d| !d.removed_here) {
            discard.removed_here = true;
            ids.extend(
                std::iter::once(&discard.draft)
                    .chain(&discard.notes)
                    .filter_map(|id| id.parse::<DocumentId>().ok()),
            );
        }
        let gone: Vec<String> = ids.iter().map(DocumentId::to_string).collect();
        self.made_here.retain(|m| !gone.contains(&m.id));
        ids
    }

    /// The relay confirmed a discard (or had nothing of it): nothing more to do for it.
    pub fn discard_done(&mut self, draft: &str) {
        self.discards.retain(|d| d.draft != draft);
    }

    /// The purged documents the relay names that this device has not deleted yet.
    pub fn purges_due(&self) -> Vec<DocumentId> {
        self.me
            .purged
            .iter()
            .filter(|id| !self.cleared.contains(id))
            .filter_map(|id| id.parse().ok())
            .collect()
    }

    /// Records that a purged document left this device, and forgets it everywhere in the account
    /// so it is never opened (or claimed) again. What was cleared is kept only while the relay
    /// still names it, so the list stays as short as the relay's.
    pub fn cleared(&mut self, id: &DocumentId) {
        let id = id.to_string();
        self.documents.retain(|d| d.id != id);
        self.made_here.retain(|d| d.id != id);
        self.cleared.push(id);
        let named = &self.me.purged;
        self.cleared.retain(|c| named.contains(c));
    }

    /// The device's account, if someone signed in on it.
    pub async fn load(storage: &IdbStorage) -> Result<Option<Account>, StoreError> {
        let json = storage.setting(SETTING).await?;
        // An unreadable setting (an older app's) counts as signed out; the documents stay.
        Ok(json.and_then(|json| serde_json::from_str(&json).ok()))
    }

    pub async fn save(&self, storage: &IdbStorage) -> Result<(), StoreError> {
        let json = serde_json::to_string(self).unwrap_or_default();
        storage.set_setting(SETTING, Some(&json)).await
    }

    /// Every document id this person has on this device or may read on the relay.
    pub fn document_ids(&self) -> Vec<DocumentId> {
        let mut ids: Vec<DocumentId> = self
            .documents
            .iter()
            .map(|d| d.id.as_str())
            .chain(self.made_here.iter().map(|d| d.id.as_str()))
            .filter_map(|id| id.parse().ok())
            // Deleted from this device: the relay may list it until it confirms the discard.
            .filter(|id| !self.discards.iter().any(|d| d.removed_here && d.names(id)))
            .collect();
        ids.sort_by_key(|id| id.to_string());
        ids.dedup();
        ids
    }

    /// Who may see a document, as far as this device knows: the relay's record, else the claim
    /// waiting to be made, else private (a document made here and not yet claimed).
    pub fn audience(&self, id: &DocumentId) -> Audience {
        let id = id.to_string();
        if let Some(entry) = self.documents.iter().find(|d| d.id == id) {
            return entry.audience.clone();
        }
        self.made_here.iter().find(|d| d.id == id).and_then(|d| d.claim.clone()).unwrap_or(Audience::Private)
    }

    /// Whether this device still has to tell the relay who may see the document (it was shared
    /// with no network): until then only its maker can open it elsewhere.
    pub fn claim_pending(&self, id: &DocumentId) -> bool {
        let id = id.to_string();
        self.made_here.iter().any(|d| d.id == id && d.claim.is_some())
    }

    /// Records a document made on this device, to be claimed for `audience`.
    pub fn made(&mut self, id: &DocumentId, audience: Audience) {
        let claim = (audience != Audience::Private).then_some(audience);
        self.made_here.push(MadeHere { id: id.to_string(), claim });
    }

    /// The person's role in a pair: "mentor", "associate", or `None`.
    pub fn seat_in(&self, pair_id: &str) -> Option<&'static str> {
        let pair = self.me.pairs.iter().find(|p| p.id == pair_id)?;
        let me = Some(&self.me.person.id);
        if pair.mentor_id.as_ref() == me {
            Some("mentor")
        } else if pair.associate_id.as_ref() == me {
            Some("associate")
        } else {
            None
        }
    }

    /// Makes the waiting claims (the relay answers a claim made twice like one made once, so a
    /// claim whose answer was lost is simply made again). Returns the ids whose claim is settled,
    /// for [`Account::settle`]; on an error the rest wait for the next try.
    pub async fn make_claims(&self) -> Result<Vec<String>, ApiError> {
        let mut settled = Vec::new();
        for made in &self.made_here {
            let Some(audience) = &made.claim else { continue };
            match api::claim(&made.id, audience).await {
                Ok(_) => {}
                // The relay said no for good (e.g. the person left the pair): keep the document
                // private rather than retry forever. It stays on the device.
                Err(ApiError::Refused { status, message }) if (400..500).contains(&status) => {
                    web_sys::console::warn_1(&format!("claim for {} refused: {message}", made.id).into());
                }
                Err(e) => return Err(e),
            }
            settled.push(made.id.clone());
        }
        Ok(settled)
    }

    /// Records that these documents' claims need no more tries.
    pub fn settle(&mut self, settled: &[String]) {
        for made in &mut self.made_here {
            if settled.contains(&made.id) {
                made.claim = None;
            }
        }
    }

    /// Fetches who the person is and what they may read.
    pub async fn fetch() -> Result<(Me, Vec<DocumentEntry>), ApiError> {
        Ok((api::me().await?, api::documents().await?))
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use tandem_api::{Access, Pair, Person};

    fn account() -> Account {
        Account::new(Me {
            person: Person { id: "u-m".into(), email: "m@x".into(), name: "M".into() },
            memberships: vec![],
            pairs: vec![Pair {
                id: "p1".into(),
                program_id: "prog".into(),
                cohort_id: None,
                mentor_id: Some("u-m".into()),
                associate_id: Some("u-a".into()),
            }],
            people: vec![],
            cohorts: vec![],
            purged: vec![],
        })
    }

    #[wasm_bindgen_test]
    fn documents_made_here_are_private_until_claimed_and_listed_once() {
        let mut account = account();
        let id = crate::ids::new_document_id();
        account.made(&id, Audience::Pair { pair_id: "p1".into() });
        assert_eq!(account.audience(&id), Audience::Pair { pair_id: "p1".into() });
        account.documents.push(DocumentEntry {
            id: id.to_string(),
            audience: Audience::Pair { pair_id: "p1".into() },
            owner_id: "u-m".into(),
            access: Access::Write,
        });
        assert_eq!(account.document_ids(), vec![id]);
        let draft = crate::ids::new_document_id();
        account.made(&draft, Audience::Private);
        assert_eq!(account.audience(&draft), Audience::Private);
        assert_eq!(account.made_here.last().unwrap().claim, None, "nothing to claim for a private draft");
        assert_eq!(account.seat_in("p1"), Some("mentor"));
        assert_eq!(account.seat_in("p2"), None);
    }

    #[wasm_bindgen_test]
    fn a_purged_document_is_deleted_once_and_never_opened_again() {
        let mut account = account();
        let (purged, kept) = (crate::ids::new_document_id(), crate::ids::new_document_id());
        account.made(&purged, Audience::Pair { pair_id: "p1".into() });
        account.made(&kept, Audience::Private);
        account.me.purged = vec![purged.to_string()];
        assert_eq!(account.purges_due(), vec![purged]);
        account.cleared(&purged);
        assert!(account.purges_due().is_empty(), "deleted once, not at every refresh");
        assert_eq!(account.document_ids(), vec![kept]);
        assert!(!account.claim_pending(&purged), "and never claimed");
        // Once the relay stops naming it (its notice expired), the device forgets it too.
        account.me.purged = vec![kept.to_string()];
        account.cleared(&kept);
        assert_eq!(account.cleared, vec![kept.to_string()]);
    }

    #[wasm_bindgen_test]
    fn a_discarded_draft_is_hidden_can_be_undone_until_its_time_is_over_and_is_then_never_opened() {
        let mut account = account();
        let (draft, notes, other) =
            (crate::ids::new_document_id(), crate::ids::new_document_id(), crate::ids::new_document_id());
        for id in [draft, notes, other] {
            account.made(&id, Audience::Private);
        }
        account.discard(&draft, &[notes]);
        assert!(account.discarding(&draft) && account.discarding(&notes) && !account.discarding(&other));
        assert_eq!(account.undoable(), vec![draft]);
        assert!(account.undo_discard(&draft), "brought back");
        assert!(!account.discarding(&draft));

        account.discard(&draft, &[notes]);
        let mut over = account.discards_over();
        over.sort_by_key(|id| id.to_string());
        let mut expected = vec![draft, notes];
        expected.sort_by_key(|id| id.to_string());
        assert_eq!(over, expected, "the draft and its notes leave the device");
        assert!(!account.undo_discard(&draft), "too late to bring it back");
        assert!(account.discards_over().is_empty(), "deleted once");
        assert_eq!(account.document_ids(), vec![other], "never opened again, even while the relay lists it");
        account.discard_done(&draft.to_string());
        assert!(account.discards.is_empty());
    }
}
