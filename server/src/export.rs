//! A person's export: everything the relay stores about them, as one JSON document
//! ([`tandem_api::Export`], whose doc comments are its schema), for `tandem admin export`.
//!
//! The records are the ones a purge of the person would remove ([`crate::purge::plan_person`]),
//! each with its current content read from the stored chunks; making an export adds an `export`
//! line to the access record, which the export itself then lists.

use automerge::AutoSerde;
use tandem_api::{AccessRecordLine, EXPORT_SCHEMA, Export, ExportedDocument};
use tandem_sync::{DocumentId, StorageKey};

use crate::{
    access::Audience,
    accounts::{self, AccountError},
    purge,
    storage::{
        Db, Storage,
        purge::{self as db, RecordLine},
    },
};

/// Exports what the relay stores about the person `key` (email or id), as `actor`.
pub fn person(
    storage: &Storage,
    conn: &Db,
    key: &str,
    actor: &str,
    now_ms: i64,
) -> Result<Export, AccountError> {
    let plan = purge::plan_person(storage, conn, key)?;
    let purge::Subject::Person(person) = plan.subject.clone() else {
        unreachable!("plan_person plans a person")
    };
    let documents = plan
        .documents
        .into_iter()
        .map(|d| ExportedDocument {
            content: content(storage, &d.row.id),
            audience: match (d.row.audience.as_str(), d.row.pair_id, d.row.program_id) {
                ("pair", Some(pair_id), _) => Audience::Pair { pair_id },
                ("program", _, Some(program_id)) => Audience::Program { program_id },
                _ => Audience::Private,
            },
            id: d.row.id,
            owner_id: d.row.owner_id,
            kind: d.kind,
        })
        .collect::<Vec<_>>();
    let line = RecordLine {
        seq: 0,
        at_ms: now_ms,
        action: "export".into(),
        actor: actor.to_owned(),
        person_id: Some(person.id.clone()),
        pair_id: None,
        document_id: None,
        device: None,
        detail: format!("exported {} document(s) of person {}", documents.len(), person.id),
    };
    db::insert_record_line(conn, &line)?;
    Ok(Export {
        schema: EXPORT_SCHEMA.to_owned(),
        exported_ms: now_ms,
        memberships: accounts::memberships_of(conn, &person.id)?,
        pairs: accounts::pairs_of_person(conn, &person.id)?,
        documents,
        access_record: db::record_lines_about(conn, &person.id)?
            .into_iter()
            .map(|l| AccessRecordLine {
                at_ms: l.at_ms,
                action: l.action,
                actor: l.actor,
                person_id: l.person_id,
                pair_id: l.pair_id,
                document_id: l.document_id,
                device: l.device,
                detail: l.detail,
            })
            .collect(),
        person,
    })
}

/// A stored document's current content as JSON; `null` when nothing readable is stored.
fn content(storage: &Storage, id: &str) -> serde_json::Value {
    let Ok(id) = id.parse::<DocumentId>() else { return serde_json::Value::Null };
    let Ok(chunks) = storage.load_range(&StorageKey::document_prefix(&id)) else {
        return serde_json::Value::Null;
    };
    let mut doc = automerge::Automerge::new();
    for (key, bytes) in chunks {
        // Snapshots and incrementals; a chunk automerge cannot read is left out, as the engine does.
        if key.chunk_kind().is_some() {
            let _ = doc.load_incremental(&bytes);
        }
    }
    serde_json::to_value(AutoSerde::from(&doc)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        access,
        accounts::{Role, add_pair, add_person, create_program, set_membership},
        storage::Write,
    };

    fn store(storage: &Storage, id: &DocumentId, text: &str) {
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "note", text).unwrap();
        let key = StorageKey::snapshot(id, &doc.get_heads());
        storage.write_blocking(vec![Write::Put { key, data: doc.save() }]).unwrap();
    }

    #[test]
    fn an_export_holds_every_record_the_person_wrote_or_received_and_says_it_was_made() {
        for (_scratch, location) in crate::storage::scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            let conn = storage.connect().unwrap();
            println!("--- on {:?}", conn.backend());
            export_holds_every_record(&storage, &conn);
        }
    }

    fn export_holds_every_record(storage: &Storage, conn: &Db) {
        let program = create_program(conn, Some("prog"), "P").unwrap();
        for (id, role) in
            [("m", Role::Mentor), ("a", Role::Associate), ("m2", Role::Mentor), ("a2", Role::Associate)]
        {
            add_person(conn, Some(id), &format!("{id}@x.example"), id, None).unwrap();
            set_membership(conn, &program, id, role).unwrap();
        }
        add_pair(conn, &program, Some("pair-1"), "m", "a", None).unwrap();
        add_pair(conn, &program, Some("pair-2"), "m2", "a2", None).unwrap();
        let pair = |p: &str| Audience::Pair { pair_id: p.into() };
        let id = |n: u8| DocumentId::from_bytes([n; 16]);
        // Written by the associate, received from the mentor, her private notes, another pair's.
        let docs = [
            (id(1), "a", pair("pair-1"), "her reflection"),
            (id(2), "m", pair("pair-1"), "mentor's feedback to her"),
            (id(3), "a", Audience::Private, "her own notes"),
            (id(4), "m2", pair("pair-2"), "someone else's record"),
        ];
        for (doc, owner, audience, text) in &docs {
            access::claim(conn, owner, &doc.to_string(), audience, 0).unwrap();
            store(storage, doc, text);
        }

        let export = person(storage, conn, "a@x.example", "m", 7).unwrap();
        let json = serde_json::to_string(&export).unwrap();
        let ids: Vec<&str> = export.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), 3, "{ids:?}");
        for (doc, _, _, text) in &docs[..3] {
            assert!(ids.contains(&doc.to_string().as_str()), "{doc} is in the export");
            assert!(json.contains(text), "its content is in the export as data: {text}");
        }
        assert!(!json.contains("someone else's record"));
        assert_eq!(export.schema, EXPORT_SCHEMA);
        assert_eq!(export.pairs.len(), 1);
        assert_eq!(export.access_record.len(), 1, "the export itself is recorded and listed");
        assert_eq!(
            (export.access_record[0].action.as_str(), export.access_record[0].actor.as_str()),
            ("export", "m")
        );
        // The JSON reads back as the documented schema.
        assert_eq!(serde_json::from_str::<Export>(&json).unwrap(), export);
    }
}
