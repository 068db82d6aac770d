//! Edits to a pair's index of documents.

use automerge::ObjType;
use automerge::transaction::Transactable;

use super::{find, push_item, put_time};
use crate::doc::Doc;
use crate::error::Error;
use crate::model::{PairIndex, Timestamp, UserId};

/// Which list of the index a reference goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Observations,
    Goals,
}

impl Listing {
    fn key(self) -> &'static str {
        match self {
            Listing::Observations => "observations",
            Listing::Goals => "goals",
        }
    }
}

/// Lists a document (by its document id) in the pair's index. Listing it again does nothing; if
/// two devices list it at once it appears twice in the list, and readers see it once.
pub fn add(
    doc: &mut Doc<PairIndex>,
    by: &UserId,
    at: Timestamp,
    listing: Listing,
    doc_id: &str,
    label: &str,
) -> Result<(), Error> {
    let list = doc.root_child(listing.key(), ObjType::List)?;
    if find(doc.automerge_ref(), &list, doc_id).is_some() {
        return Ok(());
    }
    let am = doc.begin(by, at, &format!("{}/{doc_id}", listing.key()));
    let item = push_item(am, &list, doc_id)?;
    am.put(&item, "label", label)?;
    put_time(am, &item, "added_at", at)?;
    Ok(())
}

/// Removes a document from the index (every copy of its reference).
pub fn remove(
    doc: &mut Doc<PairIndex>,
    by: &UserId,
    at: Timestamp,
    listing: Listing,
    doc_id: &str,
) -> Result<(), Error> {
    let list = doc.root_child(listing.key(), ObjType::List)?;
    if find(doc.automerge_ref(), &list, doc_id).is_none() {
        return Err(Error::NotFound { what: "listed document", id: doc_id.to_owned() });
    }
    let am = doc.begin(by, at, &format!("{}/{doc_id}/deleted", listing.key()));
    while let Some((i, _)) = find(am, &list, doc_id) {
        am.delete(&list, i)?;
    }
    Ok(())
}
