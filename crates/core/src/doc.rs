//! [`Doc`]: an automerge document of one kind, with batched, attributed commits.
//!
//! A `Doc<S>` wraps an [`automerge::AutoCommit`]. Edits (all of them made by [`crate::ops`])
//! accumulate in AutoCommit's open transaction; nothing is committed per keystroke. The caller
//! commits in batches with [`Doc::commit`] (on idle, every N edits, before syncing). Each commit
//! carries a [`CommitInfo`] as its message: the acting user, the time in milliseconds, and which
//! fields the batch touched. That is how [`crate::history`] can say who wrote what.
//!
//! A batch belongs to one user: an edit by a different user first commits the open batch under
//! the previous user's name. Everything that replicates or stores the document ([`Doc::save`],
//! [`Doc::load_incremental`], the sync methods, merging) commits the open batch first, so
//! automerge never commits our ops anonymously. The automerge document itself is handed out only
//! to read ([`Doc::automerge_ref`]).

use std::marker::PhantomData;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, LoadOptions, ReadDoc, ScalarValue};
use autosurgeon::Hydrate;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Goals, MentorNotes, Observation, PairIndex, Program, StageRecord, Timestamp, UserId};

/// A kind of document: its name in the `kind` field, and the newest schema version this build
/// knows.
pub trait Schema: Hydrate + sealed::Sealed {
    /// The value of the root `kind` field.
    const KIND: &'static str;
    /// The newest schema version this build writes and reads.
    const VERSION: u64;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::model::Observation {}
    impl Sealed for crate::model::MentorNotes {}
    impl Sealed for crate::model::Goals {}
    impl Sealed for crate::model::PairIndex {}
    impl Sealed for crate::model::Program {}
    impl Sealed for crate::model::StageRecord {}
}

impl Schema for Observation {
    const KIND: &'static str = "observation";
    const VERSION: u64 = 1;
}
impl Schema for MentorNotes {
    const KIND: &'static str = "mentor-notes";
    const VERSION: u64 = 1;
}
impl Schema for Goals {
    const KIND: &'static str = "goals";
    const VERSION: u64 = 1;
}
impl Schema for PairIndex {
    const KIND: &'static str = "pair-index";
    const VERSION: u64 = 1;
}
impl Schema for Program {
    const KIND: &'static str = "program";
    const VERSION: u64 = 1;
}
impl Schema for StageRecord {
    const KIND: &'static str = "stage-record";
    const VERSION: u64 = 1;
}

/// What every change made through this crate records about itself, as its commit message (JSON).
///
/// automerge's own change timestamp holds seconds; `at` keeps milliseconds. Changes made by other
/// automerge clients have no such message and read as "unknown author".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// The acting user.
    pub user: String,
    /// When the batch's last edit was made, in milliseconds since the Unix epoch.
    pub at: i64,
    /// Which fields the batch touched, e.g. `notes/n1/text`, `status`.
    pub touched: Vec<String>,
}

impl CommitInfo {
    /// Reads a change's commit message; `None` if it was not written by this crate.
    pub fn parse(message: Option<&str>) -> Option<CommitInfo> {
        serde_json::from_str(message?).ok()
    }

    pub fn user_id(&self) -> UserId {
        UserId(self.user.clone())
    }

    pub fn time(&self) -> Timestamp {
        Timestamp(self.at)
    }

    fn to_message(&self) -> String {
        // Serialising a struct of strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The batch of edits not yet committed.
#[derive(Debug, Clone)]
struct Pending {
    user: UserId,
    at: Timestamp,
    touched: Vec<String>,
}

/// An automerge document of kind `S` (one of [`Observation`], [`MentorNotes`], [`Goals`],
/// [`PairIndex`], [`Program`]).
#[derive(Debug)]
pub struct Doc<S> {
    am: AutoCommit,
    pending: Option<Pending>,
    /// The text most recently spliced, so a run of keystrokes into one field resolves its path
    /// (five or six map and list lookups, each costing more as the document grows) once, not per
    /// keystroke. Cleared by every other edit and by anything that may bring in remote changes,
    /// so it can never point at an object that was deleted meanwhile.
    text_cache: Option<TextCache>,
    kind: PhantomData<fn() -> S>,
}

#[derive(Debug, Clone)]
pub(crate) struct TextCache {
    pub(crate) label: String,
    pub(crate) obj: automerge::ObjId,
    /// Its length in code points.
    pub(crate) len: usize,
}

impl<S: Schema> Doc<S> {
    /// Creates a document's initial structure in one change by its creator.
    ///
    /// `build` writes the kind-specific fields. See [`crate::genesis`] for why this happens once.
    pub(crate) fn genesis(
        actor: ActorId,
        by: &UserId,
        at: Timestamp,
        build: impl FnOnce(&mut AutoCommit) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        let mut am =
            AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint).with_actor(actor);
        let root = automerge::ROOT;
        am.put(&root, "kind", S::KIND)?;
        am.put(&root, "schema", S::VERSION)?;
        am.put(&root, "created_by", by.as_str())?;
        am.put(&root, "created_at", ScalarValue::Timestamp(at.0))?;
        build(&mut am)?;
        let mut doc = Doc {
            am,
            pending: Some(Pending { user: by.clone(), at, touched: vec!["created".to_owned()] }),
            text_cache: None,
            kind: PhantomData,
        };
        doc.commit();
        Ok(doc)
    }

    /// Loads a saved document (or concatenated saved chunks) and checks it is a well-shaped
    /// document of kind `S`. `actor` is this device's actor id for the edits it will make.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Self, Error> {
        let am = AutoCommit::load_with_options(
            bytes,
            LoadOptions::new().text_encoding(automerge::TextEncoding::UnicodeCodePoint),
        )
        .map_err(Error::malformed)?;
        Self::from_automerge(am.with_actor(actor))
    }

    /// Wraps a document that arrived some other way (for instance built up by the sync protocol),
    /// checking its kind and shape. The document keeps its actor id.
    pub fn from_automerge(am: AutoCommit) -> Result<Self, Error> {
        Self::wrap(am).map_err(|failed| failed.0)
    }

    /// Like [`Doc::from_automerge`], but a document that is not a readable `S` is handed back
    /// with the reason, so a caller that keeps the only copy (a sync engine) loses nothing.
    /// (Boxed: an `AutoCommit` is a few kilobytes.)
    pub fn wrap(mut am: AutoCommit) -> Result<Self, Box<(Error, AutoCommit)>> {
        if am.text_encoding() != automerge::TextEncoding::UnicodeCodePoint {
            // Positions in this crate count code points; re-open the document that way.
            let actor = am.get_actor().clone();
            am = match AutoCommit::load_with_options(
                &am.save(),
                LoadOptions::new().text_encoding(automerge::TextEncoding::UnicodeCodePoint),
            ) {
                Ok(reopened) => reopened.with_actor(actor),
                Err(e) => return Err(Box::new((Error::malformed(e), am))),
            };
        }
        let doc = Doc { am, pending: None, text_cache: None, kind: PhantomData };
        match doc.check_shape() {
            Ok(()) => Ok(doc),
            Err(e) => Err(Box::new((e, doc.am))),
        }
    }

    /// Checks the kind, the schema version and the whole shape (by reading the whole record).
    pub fn check_shape(&self) -> Result<(), Error> {
        match self.am.get(automerge::ROOT, "kind")? {
            Some((automerge::Value::Scalar(s), _)) if s.as_str() == Some(S::KIND) => {}
            Some((automerge::Value::Scalar(s), _)) => {
                return Err(Error::WrongKind {
                    expected: S::KIND,
                    found: s.as_str().unwrap_or("non-string").to_owned(),
                });
            }
            _ => {
                return Err(Error::WrongKind { expected: S::KIND, found: "kindless".to_owned() });
            }
        }
        let schema = self.schema()?;
        if schema > S::VERSION {
            return Err(Error::NewerSchema { kind: S::KIND, found: schema, supported: S::VERSION });
        }
        self.read().map(|_| ())
    }

    /// The document's schema version.
    pub fn schema(&self) -> Result<u64, Error> {
        match self.am.get(automerge::ROOT, "schema")? {
            Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(v) => Ok(*v),
                ScalarValue::Int(v) if *v >= 0 => Ok(*v as u64),
                _ => Err(self.shape("schema is not a number")),
            },
            _ => Err(self.shape("schema is missing")),
        }
    }

    /// Reads the whole record, including edits not yet committed.
    pub fn read(&self) -> Result<S, Error> {
        autosurgeon::hydrate(&self.am).map_err(|e| self.shape(e.to_string()))
    }

    pub(crate) fn shape(&self, detail: impl Into<String>) -> Error {
        Error::Shape { kind: S::KIND, detail: detail.into() }
    }

    /// Commits the open batch, if any, as one change attributed to its user.
    pub fn commit(&mut self) -> Option<ChangeHash> {
        let pending = self.pending.take()?;
        let info = CommitInfo { user: pending.user.0, at: pending.at.0, touched: pending.touched };
        let options = automerge::transaction::CommitOptions::default()
            .with_message(info.to_message())
            .with_time(info.at.div_euclid(1000));
        self.am.commit_with(options)
    }

    /// Whether there are edits not yet committed.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The underlying automerge document, committing the open batch first. Only this crate's
    /// readers that need `&mut` (change metadata) use it; nothing outside may edit a document
    /// except through [`crate::ops`], so it is not public.
    pub(crate) fn automerge(&mut self) -> &mut AutoCommit {
        self.commit();
        self.text_cache = None;
        &mut self.am
    }

    /// A plain [`automerge::Automerge`] holding everything committed so far, for code that keeps
    /// documents that way (a native sync client's `create` after genesis). Commits first.
    pub fn to_document(&mut self) -> Result<automerge::Automerge, Error> {
        automerge::Automerge::load(&self.save()).map_err(Error::malformed)
    }

    /// Opens a plain [`automerge::Automerge`] as a `Doc`, checking its kind and shape; edits will
    /// be made as `actor`.
    pub fn from_document(doc: &automerge::Automerge, actor: ActorId) -> Result<Self, Error> {
        Self::load(&doc.save(), actor)
    }

    /// The changes made since `heads` (committing the open batch first): what to hand to another
    /// replica.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<automerge::Change> {
        self.automerge().get_changes(heads)
    }

    /// Applies changes that arrived from elsewhere (committing the open batch first), then checks
    /// the document is still a readable `S`: a peer running buggy or hostile code could have
    /// broken its shape, and the caller should know before showing it.
    pub fn apply_changes(&mut self, changes: Vec<automerge::Change>) -> Result<(), Error> {
        self.automerge().apply_changes(changes)?;
        self.check_shape()
    }

    // ----- for the sync engine (`tandem_sync::Document`) and storage -----
    //
    // These replicate and store the document; none of them can create an operation, so the
    // document's structure and authorship stay the business of `genesis` and `ops`. Each commits
    // the open batch first, so automerge never commits our edits anonymously.

    /// Applies a saved document, saved changes or a stored chunk. The shape is not checked here:
    /// [`Doc::read`] (or [`Doc::check_shape`]) tells whether it is still readable.
    pub fn load_incremental(&mut self, data: &[u8]) -> Result<usize, automerge::AutomergeError> {
        self.automerge().load_incremental(data)
    }

    /// The changes after `heads`, encoded as automerge saves them.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.automerge().save_after(heads)
    }

    /// The next sync message for a peer with sync state `state`, if one is due.
    pub fn generate_sync_message(
        &mut self,
        state: &mut automerge::sync::State,
    ) -> Option<automerge::sync::Message> {
        use automerge::sync::SyncDoc;
        self.automerge().sync().generate_sync_message(state)
    }

    /// Applies a peer's sync message (its changes are not shape-checked; see
    /// [`Doc::load_incremental`]).
    pub fn receive_sync_message(
        &mut self,
        state: &mut automerge::sync::State,
        message: automerge::sync::Message,
    ) -> Result<(), automerge::AutomergeError> {
        use automerge::sync::SyncDoc;
        self.automerge().sync().receive_sync_message(state, message)
    }

    /// The automerge document for reading (includes uncommitted edits).
    pub fn automerge_ref(&self) -> &AutoCommit {
        &self.am
    }

    /// Gives up the wrapper, committing the open batch.
    pub fn into_automerge(mut self) -> AutoCommit {
        self.commit();
        self.am
    }

    /// Saves the whole document (compressed), committing the open batch first.
    pub fn save(&mut self) -> Vec<u8> {
        self.automerge().save()
    }

    /// The current heads, committing the open batch first.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.automerge().get_heads()
    }

    /// Merges another replica of the same document into this one (both batches are committed).
    pub fn merge(&mut self, other: &mut Doc<S>) -> Result<(), Error> {
        other.commit();
        self.commit();
        self.text_cache = None;
        self.am.merge(&mut other.am)?;
        Ok(())
    }

    /// Makes further edits on this replica as `actor` (committing the open batch first), e.g. when
    /// another person's device takes over in the demo data.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.commit();
        self.text_cache = None;
        self.am.set_actor(actor);
    }

    /// A copy of this document that will write as `actor` (another device, in tests and demos).
    pub fn fork(&mut self, actor: ActorId) -> Doc<S> {
        self.commit();
        Doc { am: self.am.fork().with_actor(actor), pending: None, text_cache: None, kind: PhantomData }
    }

    /// Opens (or continues) the batch for an edit by `by` at `at`, recording what it touches.
    ///
    /// This is the only way to get write access, and only [`crate::ops`] and [`crate::genesis`]
    /// use it.
    pub(crate) fn begin(&mut self, by: &UserId, at: Timestamp, touched: &str) -> &mut AutoCommit {
        self.text_cache = None;
        if self.pending.as_ref().is_some_and(|p| &p.user != by) {
            self.commit();
        }
        let pending =
            self.pending.get_or_insert_with(|| Pending { user: by.clone(), at, touched: Vec::new() });
        pending.at = pending.at.max(at);
        // A batch touches a handful of fields; a linear scan avoids allocating per keystroke.
        if !pending.touched.iter().any(|t| t == touched) {
            pending.touched.push(touched.to_owned());
        }
        &mut self.am
    }

    /// The cached text object and length for the field labelled `label`, if it is the one most
    /// recently spliced and nothing else has happened since.
    pub(crate) fn cached_text(&self, label: &str) -> Option<(automerge::ObjId, usize)> {
        self.text_cache.as_ref().filter(|c| c.label == label).map(|c| (c.obj.clone(), c.len))
    }

    pub(crate) fn cache_text(&mut self, cache: TextCache) {
        self.text_cache = Some(cache);
    }
}
