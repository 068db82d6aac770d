//! Raw documents: the JSON-shaped documents any automerge-repo client makes, which are not Tandem
//! records. `tandem sync` (scripts, the JavaScript interop tests) and the load generator edit them.
//!
//! This is the one way into a document besides [`crate::genesis`] and [`crate::ops`], and it keeps
//! their rules:
//!
//! - **Structure is created once.** [`genesis`] writes a document's whole top level from a JSON
//!   object in its creator's first change. After that nothing here creates or replaces a
//!   top-level container: [`RawEdit::append_text`] to a list the document lacks is
//!   [`Error::NoContainer`], not a new list (two peers that each made the list would hold two, and
//!   after a merge one side's items would vanish), and [`RawEdit::put_scalar`] never overwrites a
//!   container.
//! - **Records are edited by their operations only.** A document whose `kind` names a Tandem
//!   record is refused ([`Error::RawEditOfRecord`]): its rules live in [`crate::ops`].
//! - **Prose is text.** JSON strings become automerge `Text`, as the JavaScript automerge writes
//!   them, so concurrent edits merge character by character.
//!
//! Edits are batched like the records' are: [`edit`] runs a closure over one transaction and
//! commits it as one change only if the closure succeeded; otherwise nothing is written. Raw
//! changes carry no [`crate::CommitInfo`]: like any other automerge client's, they read as by an
//! unknown author.
//!
//! ```
//! use tandem_core::raw;
//!
//! let serde_json::Value::Object(top) = serde_json::json!({ "title": "Wait time", "notes": [] })
//! else { unreachable!() };
//! let mut doc = raw::genesis(&top)?;
//! raw::edit(&mut doc, |edit| edit.append_text("notes", "calm start"))?;
//! assert!(raw::edit(&mut doc, |edit| edit.append_text("questions", "why?")).is_err());
//! # Ok::<(), tandem_core::Error>(())
//! ```

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Value as Json};

use crate::doc::Schema;
use crate::error::Error;
use crate::model::{Goals, MentorNotes, Observation, PairIndex, Program};

/// The `kind` of every Tandem record, which raw edits refuse.
const RECORD_KINDS: [&str; 5] =
    [Observation::KIND, MentorNotes::KIND, Goals::KIND, PairIndex::KIND, Program::KIND];

/// A new raw document whose top level is `top`, in one change: objects become maps, arrays lists,
/// strings `Text`, numbers, booleans and null scalars.
pub fn genesis(top: &Map<String, Json>) -> Result<Automerge, Error> {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    for (key, value) in top {
        put(&mut tx, &ROOT, key, value)?;
    }
    tx.commit();
    Ok(doc)
}

/// Makes the edits `f` asks for as one change, committed only if `f` succeeds (on an error the
/// document is left as it was). Refuses Tandem records.
pub fn edit<R>(
    doc: &mut Automerge,
    f: impl FnOnce(&mut RawEdit<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    if let Some((Value::Scalar(kind), _)) = doc.get(ROOT, "kind")?
        && let Some(kind) = kind.as_str().filter(|kind| RECORD_KINDS.contains(kind))
    {
        return Err(Error::RawEditOfRecord { kind: kind.to_owned() });
    }
    let mut edit = RawEdit { tx: doc.transaction() };
    match f(&mut edit) {
        Ok(result) => {
            edit.tx.commit();
            Ok(result)
        }
        Err(error) => {
            edit.tx.rollback();
            Err(error)
        }
    }
}

/// The edits a raw document takes, all inside one open change (see [`edit`]).
#[derive(Debug)]
pub struct RawEdit<'a> {
    tx: Transaction<'a>,
}

impl RawEdit<'_> {
    /// Appends `text` as a new `Text` item to the top-level list `list`, which must exist.
    pub fn append_text(&mut self, list: &str, text: &str) -> Result<(), Error> {
        let list = self.top_list(list)?;
        let at = self.tx.length(&list);
        let item = self.tx.insert_object(&list, at, ObjType::Text)?;
        self.tx.splice_text(&item, 0, 0, text)?;
        Ok(())
    }

    /// Appends a scalar (a number, a plain string that is not collaborative text, ...) to the
    /// top-level list `list`, which must exist.
    pub fn append_scalar(&mut self, list: &str, value: impl Into<ScalarValue>) -> Result<(), Error> {
        let list = self.top_list(list)?;
        let at = self.tx.length(&list);
        self.tx.insert(&list, at, value)?;
        Ok(())
    }

    /// Sets the top-level scalar `key` (last writer wins), which may be new. A key that holds a
    /// container is left alone: replacing it would drop everything in it.
    pub fn put_scalar(&mut self, key: &str, value: impl Into<ScalarValue>) -> Result<(), Error> {
        if let Some((Value::Object(found), _)) = self.tx.get(ROOT, key)? {
            return Err(Error::NoContainer {
                key: key.to_owned(),
                expected: "scalar",
                found: kind_of(found),
            });
        }
        self.tx.put(ROOT, key, value)?;
        Ok(())
    }

    /// The top-level list `key`, which must already exist.
    fn top_list(&self, key: &str) -> Result<ObjId, Error> {
        match self.tx.get(ROOT, key)? {
            Some((Value::Object(ObjType::List), list)) => Ok(list),
            Some((Value::Object(found), _)) => {
                Err(Error::NoContainer { key: key.to_owned(), expected: "list", found: kind_of(found) })
            }
            Some((Value::Scalar(_), _)) => {
                Err(Error::NoContainer { key: key.to_owned(), expected: "list", found: "scalar" })
            }
            None => Err(Error::NoContainer { key: key.to_owned(), expected: "list", found: "nothing" }),
        }
    }
}

fn kind_of(ty: ObjType) -> &'static str {
    match ty {
        ObjType::Map | ObjType::Table => "map",
        ObjType::List => "list",
        ObjType::Text => "text",
    }
}

/// Writes `value` under `key` of the map `obj`.
fn put(tx: &mut Transaction<'_>, obj: &ObjId, key: &str, value: &Json) -> Result<(), Error> {
    match value {
        Json::Object(fields) => {
            let map = tx.put_object(obj, key, ObjType::Map)?;
            for (k, v) in fields {
                put(tx, &map, k, v)?;
            }
        }
        Json::Array(items) => {
            let list = tx.put_object(obj, key, ObjType::List)?;
            for (i, item) in items.iter().enumerate() {
                insert(tx, &list, i, item)?;
            }
        }
        Json::String(s) => {
            let text = tx.put_object(obj, key, ObjType::Text)?;
            tx.splice_text(&text, 0, 0, s)?;
        }
        scalar => tx.put(obj, key, scalar_of(scalar))?,
    }
    Ok(())
}

/// Inserts `value` at `index` of the list `list`.
fn insert(tx: &mut Transaction<'_>, list: &ObjId, index: usize, value: &Json) -> Result<(), Error> {
    match value {
        Json::Object(fields) => {
            let map = tx.insert_object(list, index, ObjType::Map)?;
            for (k, v) in fields {
                put(tx, &map, k, v)?;
            }
        }
        Json::Array(items) => {
            let inner = tx.insert_object(list, index, ObjType::List)?;
            for (i, item) in items.iter().enumerate() {
                insert(tx, &inner, i, item)?;
            }
        }
        Json::String(s) => {
            let text = tx.insert_object(list, index, ObjType::Text)?;
            tx.splice_text(&text, 0, 0, s)?;
        }
        scalar => tx.insert(list, index, scalar_of(scalar))?,
    }
    Ok(())
}

/// A JSON number, boolean or null as an automerge scalar: integers as integers, other numbers as
/// floats.
fn scalar_of(value: &Json) -> ScalarValue {
    match value {
        Json::Bool(b) => (*b).into(),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or_default().into(),
        },
        _ => ScalarValue::Null,
    }
}

#[cfg(test)]
mod tests {
    use automerge::{ActorId, AutoSerde};
    use serde_json::json;

    use super::*;
    use crate::model::{ContextInit, Timestamp, UserId};

    fn raw(value: Json) -> Automerge {
        let Json::Object(top) = value else { panic!("a test document is a JSON object") };
        genesis(&top).unwrap()
    }

    fn as_json(doc: &Automerge) -> Json {
        serde_json::to_value(AutoSerde::from(doc)).unwrap()
    }

    #[test]
    fn genesis_writes_the_whole_json_tree_in_one_change() {
        let doc =
            raw(json!({ "title": "Wait time", "notes": ["calm start"], "meta": { "n": 3, "ok": true } }));
        assert_eq!(
            as_json(&doc),
            json!({ "title": "Wait time", "notes": ["calm start"], "meta": { "n": 3, "ok": true } })
        );
        assert_eq!(doc.get_changes(&[]).len(), 1);
        let (title, _) = doc.get(ROOT, "title").unwrap().unwrap();
        assert_eq!(title, Value::Object(ObjType::Text), "strings are collaborative text");
    }

    #[test]
    fn appending_to_a_list_adds_one_change_at_the_end() {
        let mut doc = raw(json!({ "notes": ["first"] }));
        edit(&mut doc, |edit| {
            edit.append_text("notes", "second")?;
            edit.append_scalar("notes", "plain")?;
            edit.put_scalar("count", 2_u64)
        })
        .unwrap();
        assert_eq!(as_json(&doc), json!({ "notes": ["first", "second", "plain"], "count": 2 }));
        assert_eq!(doc.get_changes(&[]).len(), 2, "genesis and one batch");
    }

    #[test]
    fn appending_to_a_missing_list_is_an_error_and_creates_no_structure() {
        let mut doc = raw(json!({ "title": "no lists here" }));
        let heads = doc.get_heads();
        let error = edit(&mut doc, |edit| edit.append_text("notes", "lost?")).unwrap_err();
        assert!(
            matches!(&error, Error::NoContainer { key, expected: "list", found: "nothing" } if key == "notes"),
            "{error:?}"
        );
        assert!(error.to_string().contains("has no list `notes`"), "{error}");
        assert_eq!(doc.get_heads(), heads, "nothing was committed");
        assert_eq!(doc.get(ROOT, "notes").unwrap(), None);
    }

    #[test]
    fn a_failed_edit_leaves_out_the_edits_before_it_too() {
        let mut doc = raw(json!({ "notes": [] }));
        let result = edit(&mut doc, |edit| {
            edit.append_text("notes", "kept?")?;
            edit.append_text("title", "not a list")
        });
        assert!(matches!(result, Err(Error::NoContainer { expected: "list", found: "nothing", .. })));
        assert_eq!(as_json(&doc), json!({ "notes": [] }));
    }

    #[test]
    fn appending_to_something_that_is_not_a_list_names_what_is_there() {
        let mut doc = raw(json!({ "title": "text", "meta": {}, "n": 1 }));
        for (key, found) in [("title", "text"), ("meta", "map"), ("n", "scalar")] {
            let error = edit(&mut doc, |edit| edit.append_text(key, "x")).unwrap_err();
            assert!(matches!(error, Error::NoContainer { found: f, .. } if f == found), "{key}: {error:?}");
        }
    }

    #[test]
    fn a_scalar_never_replaces_a_container() {
        let mut doc = raw(json!({ "notes": ["keep me"] }));
        let error = edit(&mut doc, |edit| edit.put_scalar("notes", 0_u64)).unwrap_err();
        assert!(matches!(error, Error::NoContainer { expected: "scalar", found: "list", .. }), "{error:?}");
        assert_eq!(as_json(&doc), json!({ "notes": ["keep me"] }));
    }

    #[test]
    fn tandem_records_are_refused_as_raw_documents() {
        let mentor = UserId::new("u-mentor");
        let mut observation = crate::genesis::observation(
            ActorId::from(b"tablet".as_slice()),
            &mentor,
            Timestamp(0),
            "pair-1",
            &mentor,
            &UserId::new("u-assoc"),
            &ContextInit::default(),
        );
        let mut doc = Automerge::load(&observation.save()).unwrap();
        let error = edit(&mut doc, |edit| edit.put_scalar("status", "closed")).unwrap_err();
        assert!(matches!(&error, Error::RawEditOfRecord { kind } if kind == "observation"), "{error:?}");
    }
}
