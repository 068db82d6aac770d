//! Tandem's mentoring records as typed automerge CRDT documents.
//!
//! This crate does no I/O: no clock, no randomness, no network, no storage. Time, actor ids,
//! item ids and the acting user come in as arguments, so the same code runs natively in the relay
//! and on `wasm32-unknown-unknown` in the browser.
//!
//! # A tour
//!
//! | module | what it holds |
//! |---|---|
//! | [`model`] | the records as plain Rust values ([`Observation`], [`Goals`], [`MentorNotes`], [`PairIndex`], [`Program`], [`StageRecord`]) and small types ([`UserId`], [`Timestamp`], [`Date`], [`Tag`], statuses) |
//! | [`doc`] | [`Doc<S>`]: one automerge document of kind `S`, with batched commits that name their user ([`CommitInfo`]) |
//! | [`genesis`] | creating each kind of document: its whole structure, once, by its creator |
//! | [`ops`] | **every** edit, one function each, by document: [`ops::observation`], [`ops::goals`], [`ops::mentor_notes`], [`ops::pair_index`], [`ops::program`], [`ops::stage_record`], and [`ops::resolve`] |
//! | [`edit`] | what a person's edit means, as data the UI emits: [`edit::observation::ObservationEdit`], [`edit::goals::GoalEdit`], [`edit::Agreement`], each applied through [`ops`] |
//! | [`conflict`] | concurrent values of a status, due date, target, ... shown with who wrote each |
//! | [`history`] | who changed what, when; who wrote each stretch of a text |
//! | [`feedback`] | the glows and grows a reader sees: the written points, then the running notes tagged Glow or Grow |
//! | [`readiness`] | what an associate has shown, competency by competency, with the notes that show it, and how far that goes towards a stage |
//! | [`validate`] | SMART and strengths-first checks, returning [`validate::Problem`]s |
//! | [`share`] | a shared observation as a history-free snapshot of the draft |
//! | [`migrate`] | schema versions and the rules for adding one |
//! | [`defaults`] | what a new program starts with: a four-area competency framework with levels, four residency stages, and 30 open-ended coaching questions by theme |
//! | [`sample`] | a realistic demo program for the relay's demo mode |
//! | [`raw`] | documents that are not records (any automerge-repo client's JSON-shaped ones): append and set, never create structure |
//! | [`error`] | the one [`Error`] enum: malformed bytes, wrong kind or shape, missing items |
//!
//! A typical session on a device:
//!
//! ```
//! use tandem_core::{genesis, ops, model::*, automerge::ActorId};
//!
//! let mentor = UserId::new("u-mentor");
//! let associate = UserId::new("u-assoc");
//! let t0 = Timestamp(1_772_366_400_000);
//! let mut obs = genesis::observation(
//!     ActorId::from(b"tablet-1".as_slice()), &mentor, t0, "pair-1", &mentor, &associate,
//!     &ContextInit { subject: "Science".into(), ..Default::default() },
//! );
//! ops::observation::add_note(&mut obs, &mentor, t0, "n1", "Clear learning goal on board", &[Tag::Glow])?;
//! ops::observation::splice(&mut obs, &mentor, t0, ops::observation::ObservationText::Note("n1"), 0, 0, "09:02 ")?;
//! obs.commit(); // one change for the batch, naming u-mentor
//! assert_eq!(obs.read()?.notes[0].text, "09:02 Clear learning goal on board");
//! # Ok::<(), tandem_core::Error>(())
//! ```
//!
//! # Why it is built this way
//!
//! **Reads hydrate, writes are explicit operations.** Reading a whole record through autosurgeon's
//! `Hydrate` is simple and cheap enough, and gives the UI plain Rust values. Writing is different:
//! reconciling a whole struct back into the document diffs it against what is there, and if the
//! struct was read before a merge it quietly undoes the other person's edits; a prose field held
//! as a `String` can only be replaced whole, so of two concurrent edits one is lost. So every
//! write is an operation in [`ops`] that touches exactly the object it means: `splice_text` on a
//! `Text` for prose (character-level merge), `insert` into a list for new items (both sides'
//! items kept), `put` for a scalar (last writer wins, the conflict visible through [`conflict`]).
//! Item ids are strings the caller generates, stored in each item's `id` field, and operations
//! find items by id, never by a position that a merge may have shifted. (The model derives only
//! `Hydrate`, not `Reconcile`: with no reconcile there is nothing for autosurgeon's `#[key]` to
//! do, and no way to write a stale snapshot back by accident.)
//!
//! **Genesis once.** Two peers that each create the same container end up with two, and after a
//! merge one side's items vanish. [`genesis`] creates every container a document needs in its
//! creator's first change; operations never create a root container. See [`genesis`].
//!
//! **Batched, attributed commits.** [`Doc`] wraps an `automerge::AutoCommit` whose open
//! transaction collects a batch of edits; the caller commits on idle or every N edits (one commit
//! per keystroke costs ~40x the memory). Each commit's message is a small JSON [`CommitInfo`]
//! (user, milliseconds, touched fields), which is how [`history`] and [`conflict`] name people.
//! A commit message rather than automerge's newer `Author` footer, because every automerge
//! implementation (JavaScript included) preserves and shows messages. An edit by a different user
//! commits the open batch first, so a change never mixes two people's edits.
//!
//! **Handing documents to sync and storage.** A device keeps one copy of each document: the sync
//! engine holds the `Doc` itself (the web app wraps its kinds in a `tandem_sync::Document`), and
//! the screens edit it in place. What the engine needs ([`Doc::load_incremental`], [`Doc::save`],
//! [`Doc::save_after`], [`Doc::heads`], [`Doc::generate_sync_message`],
//! [`Doc::receive_sync_message`], [`Doc::has_pending`], [`Doc::commit`]) replicates and stores the
//! document but cannot edit it, and commits the open batch first, so nothing goes out
//! unattributed. Code that keeps plain `automerge::Automerge`s (a native client) moves documents
//! across with [`Doc::to_document`], [`Doc::from_document`], [`Doc::changes_since`] and
//! [`Doc::apply_changes`].
//!
//! **Keystrokes stay cheap.** A run of splices into the same field resolves the field's path once
//! (a small cache in [`Doc`], dropped by any other edit and by anything that can bring in remote
//! changes), so typing stays within 15% of automerge's own `splice_text` (about 1.5 µs more per
//! keystroke: the field label, the batch bookkeeping). `benches/text.rs` replays the
//! automerge-paper trace both ways and reports the ratio.
//!
//! **Sharing is a snapshot.** automerge keeps every operation; a shared observation is therefore
//! a new document built from the draft's current values ([`share::snapshot`]), so text the mentor
//! typed and deleted never reaches the associate.
//!
//! **Problems are data.** A half-written goal is a valid document; [`validate`] returns hints.
//! Only bytes that are not a document, or a document of the wrong kind or shape, are errors.
//!
//! Text positions count Unicode code points everywhere (documents are created and loaded with
//! that encoding), matching the editing traces and Rust's `chars()`; the web client converts from
//! UTF-16 at its edge.

pub mod conflict;
pub mod defaults;
pub mod doc;
pub mod edit;
pub mod error;
pub mod feedback;
pub mod genesis;
pub mod history;
pub mod migrate;
pub mod model;
pub mod ops;
pub mod raw;
pub mod readiness;
pub mod sample;
pub mod share;
pub mod validate;

pub use automerge;
pub use doc::{CommitInfo, Doc, Schema};
pub use error::Error;
pub use model::{
    Date, Goals, MentorNotes, Observation, PairIndex, Program, StageRecord, Tag, Timestamp, UserId,
};
