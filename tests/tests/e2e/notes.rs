//! The small document most sync tests edit: a `notes` list, made once by its creator (its genesis),
//! that each device appends to.

use automerge::{Automerge, ObjType, ROOT, ReadDoc, transaction::Transactable};

/// A new document with an empty `notes` list.
pub fn notes_doc() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, "notes", ObjType::List).unwrap();
    tx.commit();
    doc
}

/// Appends `text` to the notes, in one commit.
pub fn add_note(doc: &mut Automerge, text: &str) {
    let mut tx = doc.transaction();
    let (_, notes) = tx.get(ROOT, "notes").unwrap().expect("genesis made the notes list");
    let len = tx.length(&notes);
    tx.insert(&notes, len, text).unwrap();
    tx.commit();
}

/// The notes, in list order.
pub fn notes(doc: &Automerge) -> Vec<String> {
    let (_, list) = doc.get(ROOT, "notes").unwrap().expect("notes list");
    (0..doc.length(&list))
        .map(|i| doc.get(&list, i).unwrap().unwrap().0.into_string().unwrap_or_default())
        .collect()
}
