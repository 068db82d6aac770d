//! Schema versions and migrations.
//!
//! Every document has a root `schema` number. A build reads every version up to its own
//! ([`crate::doc::Schema::VERSION`]) and refuses newer ones with [`crate::Error::NewerSchema`]
//! ("update the app") rather than misreading them.
//!
//! Rules for a future version:
//!
//! - migrations only add (a field, a list item kind), never rename or remove, so a document a
//!   newer device has touched still reads on an older one;
//! - they are idempotent: [`upgrade`] may run on every device, at any time, any number of times,
//!   concurrently;
//! - a new field that is a scalar is put with its default; readers treat it as missing until then
//!   (autosurgeon's `missing=`);
//! - a new *container* must not be created by every device that upgrades: two devices each
//!   creating `wins = []` lose one side's items (see [`crate::genesis`]). Either the container
//!   lives inside a list item that is itself new (created once by whoever adds the item), or it is
//!   created by a deterministic change: a fixed actor, no dependencies, time 0, the same ops, so
//!   every device produces byte-identical bytes and automerge keeps one copy;
//! - each released version has frozen fixture files in `tests/fixtures/` that are never
//!   regenerated, and a test that they load and upgrade.
//!
//! Today every kind is at version 1, so [`upgrade`] has nothing to do; it exists so that callers
//! already call it after loading. Fields added since version 1 were added the way these rules
//! allow without a version: a program's `stages` list by the deterministic change of
//! `genesis::ensure_stages` when its first stage is added; an observation's `ratings` list in the
//! genesis of every observation made since (older ones read with no ratings).

use automerge::ScalarValue;
use automerge::transaction::Transactable;

use crate::doc::{Doc, Schema};
use crate::error::Error;
use crate::model::{Timestamp, UserId};

/// Brings `doc` up to this build's schema version. Returns whether anything changed.
pub fn upgrade<S: Schema>(doc: &mut Doc<S>, by: &UserId, at: Timestamp) -> Result<bool, Error> {
    let from = doc.schema()?;
    if from >= S::VERSION {
        return Ok(false);
    }
    // No version 2 exists yet. A step from version n would go here, followed by the schema bump,
    // written by the user who opened the document.
    doc.begin(by, at, "schema").put(automerge::ROOT, "schema", ScalarValue::Uint(S::VERSION))?;
    Ok(true)
}
