//! A signed-in session on this device: the database, the repo of documents, and the account,
//! plus the few things the screens do that span documents (making a new observation or goals
//! document, sharing a draft) and that talk to the relay's API.

use std::{cell::RefCell, rc::Rc};

use tandem_api::Audience;
use tandem_core::{
    Goals, MentorNotes, Observation, Program, UserId, genesis,
    model::{ContextInit, ObservationStatus},
    ops, share,
};
use tandem_sync::DocumentId;

use crate::{
    account::Account,
    api::{self, ApiError},
    repo::{DocStatus, Repo},
    screens::People,
    store::IdbStorage,
    ui::time,
};

/// The database the app keeps everything in.
pub const DATABASE: &str = "tandem";

#[derive(Debug)]
pub struct Session {
    pub storage: Rc<IdbStorage>,
    pub repo: Rc<Repo>,
    account: RefCell<Account>,
    /// The relay said the session is no longer valid: work goes on here; syncing needs a sign-in.
    expired: RefCell<bool>,
}

impl Session {
    /// Starts syncing for the account and opens every document it knows.
    pub fn start(storage: Rc<IdbStorage>, account: Account) -> Rc<Session> {
        let me = UserId::new(account.me.person.id.clone());
        let repo = Repo::start(storage.clone(), me, crate::repo::socket::sync_url());
        let session =
            Rc::new(Session { storage, repo, account: RefCell::new(account), expired: RefCell::new(false) });
        // A discard whose Undo was still offered when the app was closed: its time is over now.
        if !session.account().undoable().is_empty() {
            let session = session.clone();
            wasm_bindgen_futures::spawn_local(async move { session.discards_over().await });
        }
        for id in session.account().document_ids().into_iter().filter(|id| !session.account().discarding(id))
        {
            session.repo.open(id);
        }
        session
    }

    pub fn account(&self) -> Account {
        self.account.borrow().clone()
    }

    pub fn me(&self) -> UserId {
        self.repo.me().clone()
    }

    pub fn is_expired(&self) -> bool {
        *self.expired.borrow()
    }

    /// Sends waiting discards, makes waiting claims, re-reads the person and their documents from the relay, stores them,
    /// and opens documents that are new. Offline: nothing changes. A claim the relay recorded is
    /// kept (and shown: "Shared on this device..." goes) at once, before the rest is fetched.
    ///
    /// Each answer is applied to the account as it is when the answer comes, not to a copy taken
    /// before the request: a document made while a refresh was on its way keeps its claim.
    pub async fn refresh(&self) -> Result<(), ApiError> {
        let result = async {
            self.send_discards().await?;
            let settled = self.account().make_claims().await?;
            if !settled.is_empty() {
                let mut account = self.account();
                account.settle(&settled);
                self.keep(account).await;
                self.repo.notify();
            }
            let (me, documents) = Account::fetch().await?;
            let mut account = self.account();
            account.me = me;
            account.documents = documents;
            for id in account.purges_due() {
                match self.repo.purge(id).await {
                    Ok(()) => account.cleared(&id),
                    // Still due, so tried again at the next refresh.
                    Err(e) => web_sys::console::error_1(&format!("could not delete purged {id}: {e}").into()),
                }
            }
            for id in account.document_ids() {
                self.repo.open(id);
            }
            self.keep(account).await;
            Ok(())
        }
        .await;
        match &result {
            Ok(()) => *self.expired.borrow_mut() = false,
            Err(ApiError::SignedOut) => *self.expired.borrow_mut() = true,
            Err(_) => {}
        }
        result
    }

    async fn keep(&self, account: Account) {
        if let Err(e) = account.save(&self.storage).await {
            web_sys::console::error_1(&format!("could not store the account on this device: {e}").into());
        }
        *self.account.borrow_mut() = account;
    }

    /// Display names, from the account (the relay's people, kept for offline use).
    pub fn people(&self) -> People {
        People::from_me(&self.account.borrow().me)
    }

    /// The id of a program's document (its framework and question bank), from the relay's list.
    pub fn program_document(&self, program_id: &str) -> Option<DocumentId> {
        self.account.borrow().documents.iter().find_map(|d| match &d.audience {
            Audience::Program { program_id: p } if p == program_id => d.id.parse().ok(),
            _ => None,
        })
    }

    /// The program documents on the device (question bank, competencies).
    pub fn program(&self) -> Option<Rc<Program>> {
        self.repo.all::<Program>().into_iter().map(|(_, p)| p).next()
    }

    /// "Grace Okafor & Mei Chen" (mentor first).
    pub fn pair_title(&self, pair_id: &str) -> String {
        let people = self.people();
        let account = self.account.borrow();
        let Some(pair) = account.me.pairs.iter().find(|p| p.id == pair_id) else {
            return "This pair".to_owned();
        };
        let name = |id: &Option<String>| {
            id.as_ref().map_or_else(|| "(no one yet)".to_owned(), |id| people.name_of(id))
        };
        format!("{} & {}", name(&pair.mentor_id), name(&pair.associate_id))
    }

    /// The pair's observations to list, newest first. A draft that has been shared stays on the
    /// mentor's device as their private record; the shared copy is the one listed.
    pub fn observations_of(&self, pair_id: &str) -> Vec<(DocumentId, Rc<Observation>)> {
        let account = self.account.borrow();
        let mut list: Vec<_> = self
            .repo
            .all::<Observation>()
            .into_iter()
            .filter(|(id, obs)| {
                obs.pair == pair_id
                    && !account.discarding(id)
                    && !(account.audience(id) == Audience::Private && obs.status != ObservationStatus::Draft)
            })
            .collect();
        list.sort_by_key(|(_, obs)| std::cmp::Reverse((obs.context.date, obs.created_at)));
        list
    }

    /// The pair's goals documents (normally one; two if both made one offline at once).
    pub fn goals_of(&self, pair_id: &str) -> Vec<(DocumentId, Rc<Goals>)> {
        self.repo.all::<Goals>().into_iter().filter(|(_, goals)| goals.pair == pair_id).collect()
    }

    /// The mentor's private notes about a pair or an observation (`about`), on this device. Only
    /// their owner ever has them: the relay sends a private document to no one else. Normally
    /// one; two if the mentor started them on two devices offline at once.
    pub fn private_notes_about(&self, about: &str) -> Vec<(DocumentId, Rc<MentorNotes>)> {
        let me = self.me();
        let mut list: Vec<_> = self
            .repo
            .all::<MentorNotes>()
            .into_iter()
            .filter(|(_, notes)| notes.about == about && notes.owner == me)
            .collect();
        list.sort_by_key(|(_, notes)| notes.created_at);
        list
    }

    /// Every private note document of the signed-in mentor that is about one of the pair's
    /// observations, with that observation (so the pair's page can list them).
    pub fn private_notes_on_observations(
        &self,
        pair_id: &str,
    ) -> Vec<(DocumentId, Rc<MentorNotes>, DocumentId, Rc<Observation>)> {
        let me = self.me();
        let observations: Vec<(DocumentId, Rc<Observation>)> =
            self.repo.all::<Observation>().into_iter().filter(|(_, obs)| obs.pair == pair_id).collect();
        let mut list = Vec::new();
        for (id, notes) in self.repo.all::<MentorNotes>() {
            if notes.owner != me || self.account.borrow().discarding(&id) {
                continue;
            }
            if let Some((obs_id, obs)) =
                observations.iter().find(|(obs_id, _)| obs_id.to_string() == notes.about)
            {
                list.push((id, notes, *obs_id, obs.clone()));
            }
        }
        list.sort_by_key(|(_, _, _, obs)| std::cmp::Reverse((obs.context.date, obs.created_at)));
        list
    }

    /// Starts the mentor's private notes about `about` (a pair they mentor, or one of its
    /// observations), private to them on the relay. Only the pair's mentor may.
    pub async fn new_private_notes(&self, pair_id: &str, about: &str) -> Result<DocumentId, String> {
        let (mentor, _) = self.seats(pair_id)?;
        let me = self.me();
        if me != mentor {
            return Err("only the pair's mentor keeps private notes".to_owned());
        }
        let doc = genesis::mentor_notes(self.repo.actor(), &me, time::now(), about);
        let id = self.repo.create(doc)?;
        self.made(&id, Audience::Private).await;
        Ok(id)
    }

    /// Starts a draft observation of the pair's associate, dated today. Only the mentor may.
    pub async fn new_observation(&self, pair_id: &str) -> Result<DocumentId, String> {
        let (mentor, associate) = self.seats(pair_id)?;
        let me = self.me();
        if me != mentor {
            return Err("only the pair's mentor starts observations".to_owned());
        }
        let context = ContextInit { date: Some(time::today()), ..Default::default() };
        let doc =
            genesis::observation(self.repo.actor(), &me, time::now(), pair_id, &mentor, &associate, &context);
        let id = self.repo.create(doc)?;
        self.made(&id, Audience::Private).await;
        Ok(id)
    }

    /// Discards a draft (with the mentor's private notes about it): no list shows it from now,
    /// and Undo ([`Session::undo_discard`]) brings it back untouched until
    /// [`Session::discards_over`]. Only the pair's mentor, only a private draft.
    pub async fn discard_draft(&self, draft: &DocumentId) -> Result<(), String> {
        let observation =
            self.repo.read::<Observation>(draft).ok_or("the draft is not open on this device")?;
        if observation.mentor != self.me() {
            return Err("only the observation's mentor can discard it".to_owned());
        }
        if observation.status != ObservationStatus::Draft
            || self.account().audience(draft) != Audience::Private
        {
            return Err("only a draft can be discarded; a shared observation belongs to the pair".to_owned());
        }
        let notes: Vec<DocumentId> =
            self.private_notes_about(&draft.to_string()).into_iter().map(|(id, _)| id).collect();
        let mut account = self.account();
        account.discard(draft, &notes);
        self.keep(account).await;
        self.repo.notify();
        Ok(())
    }

    /// Brings back a draft being discarded, as it was.
    pub async fn undo_discard(&self, draft: &DocumentId) {
        let mut account = self.account();
        if account.undo_discard(draft) {
            self.keep(account).await;
        }
        self.repo.notify();
    }

    /// The undo time of every discard is over: each draft and its notes leave this device now,
    /// and the relay (now, or when the device is back online) through [`Session::refresh`].
    pub async fn discards_over(&self) {
        let mut account = self.account();
        let ids = account.discards_over();
        self.keep(account).await;
        for id in ids {
            if let Err(e) = self.repo.purge(id).await {
                web_sys::console::error_1(&format!("could not delete discarded {id}: {e}").into());
            }
        }
        self.repo.notify();
        // Offline is fine: the discard waits in the account until the next refresh.
        let _ = self.refresh().await;
    }

    /// Asks the relay to discard what left this device. Confirmed (or never there: a draft made
    /// and discarded offline), it is done; refused (another device of the mentor's shared it
    /// meanwhile), it is left to the relay, which lists it again, so it comes back.
    async fn send_discards(&self) -> Result<(), ApiError> {
        let due: Vec<_> = self.account().discards.into_iter().filter(|d| d.removed_here).collect();
        for discard in due {
            match api::discard(&discard.draft, &discard.notes).await {
                Ok(_) => {}
                Err(ApiError::Refused { status: 404, .. }) => {}
                Err(ApiError::Refused { status, message }) if (400..500).contains(&status) => {
                    web_sys::console::warn_1(
                        &format!("discard of {} refused: {message}", discard.draft).into(),
                    );
                }
                Err(e) => return Err(e),
            }
            let mut account = self.account();
            account.discard_done(&discard.draft);
            self.keep(account).await;
        }
        Ok(())
    }

    /// Starts the pair's goals document.
    pub async fn new_goals(&self, pair_id: &str) -> Result<DocumentId, String> {
        self.seats(pair_id)?;
        let doc = genesis::goals(self.repo.actor(), &self.me(), time::now(), pair_id);
        let id = self.repo.create(doc)?;
        self.made(&id, Audience::Pair { pair_id: pair_id.to_owned() }).await;
        Ok(id)
    }

    /// Shares a draft: a new, history-free copy for the pair (so text typed and deleted in the
    /// classroom never reaches the associate), claimed for the pair now or when the network is
    /// back. The draft is marked shared and stays private. Returns the shared copy's id.
    pub async fn share(&self, draft: &DocumentId) -> Result<DocumentId, String> {
        let me = self.me();
        let now = time::now();
        let actor = self.repo.actor();
        let shared = self
            .repo
            .with_doc::<Observation, _>(draft, |doc| share::snapshot(doc, actor, &me, now))
            .ok_or("the draft is not open on this device")?
            .map_err(|e| e.to_string())?;
        let pair = shared.read().map_err(|e| e.to_string())?.pair;
        let id = self.repo.create(shared)?;
        self.repo.edit::<Observation, _>(draft, |doc| {
            ops::observation::set_status(doc, &me, now, ObservationStatus::Shared)
        });
        self.repo.commit_all();
        self.made(&id, Audience::Pair { pair_id: pair }).await;
        Ok(id)
    }

    fn seats(&self, pair_id: &str) -> Result<(UserId, UserId), String> {
        let account = self.account.borrow();
        let pair = account.me.pairs.iter().find(|p| p.id == pair_id).ok_or("you are not in this pair")?;
        match (&pair.mentor_id, &pair.associate_id) {
            (Some(m), Some(a)) => Ok((UserId::new(m.clone()), UserId::new(a.clone()))),
            _ => Err("this pair has an empty seat; ask your coordinator".to_owned()),
        }
    }

    /// Records a document made here (and its claim), then tries to reach the relay.
    async fn made(&self, id: &DocumentId, audience: Audience) {
        let mut account = self.account();
        account.made(id, audience);
        self.keep(account).await;
        // Offline is fine: the claim waits in the account until the next refresh.
        let _ = self.refresh().await;
        self.repo.notify();
    }

    /// Whether everything written on this device has reached the relay (a record still on its
    /// way here holds nothing of this device's).
    pub fn all_synced(&self) -> bool {
        !matches!(self.repo.overall_status(), Some(DocStatus::Saving | DocStatus::Saved))
    }

    /// The person was purged: stops syncing and deletes everything on the device, with nothing
    /// to warn about (what is unsynced is theirs, and the relay no longer takes it).
    pub async fn clear_deleted_account(&self) {
        self.repo.stop();
        if let Err(e) = self.storage.clear().await {
            web_sys::console::error_1(&format!("could not clear this device's storage: {e}").into());
        }
    }

    /// Signs out: stops syncing, ends the session on the relay (when it can be reached) and
    /// removes this person's documents from the device (it may be shared; the relay has them).
    pub async fn sign_out(&self) {
        // Discards the person made go to the relay before the device forgets them (online).
        if !self.account().discards.is_empty() {
            self.discards_over().await;
        }
        self.repo.stop();
        let _ = api::sign_out().await;
        if let Err(e) = self.storage.clear().await {
            web_sys::console::error_1(&format!("could not clear this device's storage: {e}").into());
        }
    }
}
