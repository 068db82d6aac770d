//! Accounts and per-document access against the real relay: who may read, write and claim which
//! document, sharing a draft, and membership changes on live connections.
//!
//! The matrix is a table of cells, one line each, checked by one helper ([`check`]).

use std::time::Duration;

use automerge::{Automerge, ROOT, ReadDoc, transaction::Transactable};
use tandem_client::Client;
use tandem_sync::DocumentId;
use tandem_tests::{Relay, admin};

use crate::http::{Http, json_field};

const PATIENCE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// The people of the test program: a coordinator, pair-1 (mentor + associate), and an outsider
/// (the mentor of pair-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Coordinator,
    Mentor,
    Associate,
    Outsider,
}

pub use Who::*;

pub const PEOPLE: [(Who, &str, &str); 5] = [
    (Coordinator, "coord@test.example", "coordinator"),
    (Mentor, "mentor@test.example", "mentor"),
    (Associate, "assoc@test.example", "associate"),
    (Outsider, "other@test.example", "mentor"),
    // Pair-2's associate; only needed so pair-2 exists.
    (Outsider, "other-assoc@test.example", "associate"),
];

/// A relay with the test program set up through `tandem admin`, and a token for each person.
pub struct World {
    pub relay: Relay,
    pub http: Http,
    tokens: Vec<(Who, String)>,
    pub _data: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        let data = tempfile::tempdir().unwrap();
        let relay = Relay::start(data.path(), &[]).unwrap();
        let dir = data.path();
        admin(dir, &["create-program", "--id", "prog", "--name", "Test residency"], None).unwrap();
        let mut tokens = Vec::new();
        for (i, (who, email, role)) in PEOPLE.iter().enumerate() {
            let add = ["add-person", "--email", email, "--name", email, "--program", "prog", "--role", role];
            // Only the coordinator signs in with a password; everyone else uses tokens.
            let password = (*who == Coordinator).then_some("coordinator password\n");
            let args: Vec<&str> = add.iter().copied().chain(password.map(|_| "--password-stdin")).collect();
            admin(dir, &args, password).unwrap();
            if i < 4 {
                tokens.push((*who, admin(dir, &["token", "--person", email], None).unwrap()));
            }
        }
        let pair = |id, m, a| ["add-pair", "--program", "prog", "--id", id, "--mentor", m, "--associate", a];
        admin(dir, &pair("pair-1", "mentor@test.example", "assoc@test.example"), None).unwrap();
        admin(dir, &pair("pair-2", "other@test.example", "other-assoc@test.example"), None).unwrap();
        let http = Http::new(relay.addr());
        World { relay, http, tokens, _data: data }
    }

    pub fn token(&self, who: Who) -> &str {
        &self.tokens.iter().find(|(w, _)| *w == who).unwrap().1
    }

    pub fn client(&self, who: Who) -> Client {
        Client::start(self.relay.sync_url_for(self.token(who)))
    }

    /// Creates a document as `who` and claims it for `audience` (JSON), right after its first
    /// sync made it provisionally theirs.
    pub async fn create(&self, who: Who, audience: &str) -> (Client, DocumentId) {
        let client = self.client(who);
        let id = client.create(notes_doc()).await.unwrap();
        within("the relay to store a new document", client.synced(id)).await.unwrap();
        let (status, body) = self.claim(who, id, audience);
        assert_eq!(status, 201, "claiming {audience} as {who:?}: {body}");
        (client, id)
    }

    pub fn claim(&self, who: Who, id: DocumentId, audience: &str) -> (u16, String) {
        let body = format!(r#"{{"id": "{id}", "audience": {audience}}}"#);
        self.http.request("POST", "/api/documents", Some(self.token(who)), Some(&body))
    }
}

pub const PRIVATE: &str = r#"{"kind": "private"}"#;
pub const PAIR_1: &str = r#"{"kind": "pair", "pair_id": "pair-1"}"#;
pub const PROGRAM: &str = r#"{"kind": "program", "program_id": "prog"}"#;

pub fn notes_doc() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, "notes", automerge::ObjType::List).unwrap();
    tx.commit();
    doc
}

pub fn add_note(doc: &mut Automerge, text: &str) {
    let mut tx = doc.transaction();
    let (_, notes) = tx.get(ROOT, "notes").unwrap().unwrap();
    let len = tx.length(&notes);
    tx.insert(&notes, len, text).unwrap();
    tx.commit();
}

pub fn notes(doc: Option<&Automerge>) -> Vec<String> {
    let Some(doc) = doc else { return Vec::new() };
    let Some((_, list)) = doc.get(ROOT, "notes").unwrap() else { return Vec::new() };
    (0..doc.length(&list))
        .map(|i| doc.get(&list, i).unwrap().unwrap().0.into_string().unwrap_or_default())
        .collect()
}

/// Waits until `client` shows `note` in document `id`.
pub async fn wait_for_note(client: &Client, id: DocumentId, note: &str) {
    within(&format!("{note:?} to arrive"), async {
        loop {
            let note = note.to_owned();
            if client.read(id, move |d| notes(d).contains(&note)).await.unwrap() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// The audiences of the matrix.
#[derive(Debug, Clone, Copy)]
enum Audience {
    /// The mentor's private draft.
    Private,
    /// Pair-1's document.
    Pair,
    /// The program's document (the coordinator's).
    Program,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// Open the document on a fresh device.
    Read,
    /// Change it; the change reaches another reader, or is refused and reaches nobody.
    Write,
    /// Claim a new document for this audience.
    Claim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Read: the content arrives. Write: the change reaches others. Claim: 201.
    Allowed,
    /// Read: answered as a missing document. Write: nothing of it is stored or forwarded.
    /// Claim: 403.
    Denied,
}

use Outcome::*;

/// roles × audiences × operations, with the expected outcome of each cell.
const MATRIX: &[(Who, Audience, Op, Outcome)] = &[
    // Reading.
    (Mentor, Audience::Private, Op::Read, Allowed),
    (Associate, Audience::Private, Op::Read, Denied),
    (Coordinator, Audience::Private, Op::Read, Denied),
    (Outsider, Audience::Private, Op::Read, Denied),
    (Mentor, Audience::Pair, Op::Read, Allowed),
    (Associate, Audience::Pair, Op::Read, Allowed),
    (Coordinator, Audience::Pair, Op::Read, Denied),
    (Outsider, Audience::Pair, Op::Read, Denied),
    (Coordinator, Audience::Program, Op::Read, Allowed),
    (Mentor, Audience::Program, Op::Read, Allowed),
    (Associate, Audience::Program, Op::Read, Allowed),
    (Outsider, Audience::Program, Op::Read, Allowed),
    // Writing (only where the person can read; elsewhere there is nothing to write to).
    (Mentor, Audience::Private, Op::Write, Allowed),
    (Mentor, Audience::Pair, Op::Write, Allowed),
    (Associate, Audience::Pair, Op::Write, Allowed),
    (Coordinator, Audience::Program, Op::Write, Allowed),
    (Mentor, Audience::Program, Op::Write, Denied),
    (Associate, Audience::Program, Op::Write, Denied),
    (Outsider, Audience::Program, Op::Write, Denied),
    // Claiming a new document for the audience.
    (Coordinator, Audience::Private, Op::Claim, Allowed),
    (Associate, Audience::Private, Op::Claim, Allowed),
    (Mentor, Audience::Pair, Op::Claim, Allowed),
    (Associate, Audience::Pair, Op::Claim, Allowed),
    (Coordinator, Audience::Pair, Op::Claim, Denied),
    (Outsider, Audience::Pair, Op::Claim, Denied),
    (Coordinator, Audience::Program, Op::Claim, Allowed),
    (Mentor, Audience::Program, Op::Claim, Denied),
    (Associate, Audience::Program, Op::Claim, Denied),
];

/// The documents of the matrix, each with a device of a person who may write it.
struct Docs {
    private: (Client, DocumentId),
    pair: (Client, DocumentId),
    program: (Client, DocumentId),
}

impl Docs {
    fn get(&self, audience: Audience) -> &(Client, DocumentId) {
        match audience {
            Audience::Private => &self.private,
            Audience::Pair => &self.pair,
            Audience::Program => &self.program,
        }
    }
}

/// Checks one cell against the real relay.
async fn check(
    world: &World,
    docs: &Docs,
    cell: usize,
    (who, audience, op, expected): (Who, Audience, Op, Outcome),
) {
    let what = format!("cell {cell}: {who:?} {op:?} {audience:?}");
    let (writer, id) = docs.get(audience);
    let id = *id;
    match op {
        Op::Read => {
            let device = world.client(who);
            let found = within(&what, device.open(id)).await.unwrap();
            assert_eq!(found, expected == Allowed, "{what}");
            if !found {
                let content = device.read(id, notes).await.unwrap();
                assert!(content.is_empty(), "{what}: nothing of it arrives, got {content:?}");
            }
        }
        Op::Write => {
            let device = world.client(who);
            assert!(within(&what, device.open(id)).await.unwrap(), "{what}: can read");
            let mine = format!("cell {cell} by {who:?}");
            device
                .change(id, {
                    let mine = mine.clone();
                    move |d| add_note(d, &mine)
                })
                .await
                .unwrap();
            match expected {
                Allowed => {
                    within(&what, device.synced(id)).await.unwrap();
                    wait_for_note(writer, id, &mine).await;
                }
                Denied => {
                    // The refused change was sent before this marker; once a fresh device sees
                    // the marker, the relay has long processed (and dropped) the refused change.
                    let marker = format!("cell {cell} marker");
                    writer
                        .change(id, {
                            let marker = marker.clone();
                            move |d| add_note(d, &marker)
                        })
                        .await
                        .unwrap();
                    let fresh = world.client(Coordinator);
                    assert!(within(&what, fresh.open(id)).await.unwrap());
                    wait_for_note(&fresh, id, &marker).await;
                    wait_for_note(writer, id, &marker).await;
                    for reader in [&fresh, writer] {
                        let got = reader.read(id, notes).await.unwrap();
                        assert!(!got.contains(&mine), "{what}: a refused change was forwarded: {got:?}");
                    }
                }
            }
        }
        Op::Claim => {
            let fresh = DocumentId::from_bytes(rand::random());
            let audience = match audience {
                Audience::Private => PRIVATE,
                Audience::Pair => PAIR_1,
                Audience::Program => PROGRAM,
            };
            let (status, body) = world.claim(who, fresh, audience);
            let want = if expected == Allowed { 201 } else { 403 };
            assert_eq!(status, want, "{what}: {body}");
            if expected == Denied {
                assert!(json_field(&body, "error").is_some(), "{what}: errors are JSON: {body}");
                // Nothing was recorded: the id is still free for the rightful claimer.
                assert_eq!(
                    world.claim(Mentor, fresh, PRIVATE).0,
                    201,
                    "{what}: a refused claim recorded nothing"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_access_matrix_holds_on_the_real_relay() {
    let world = World::new();
    let docs = Docs {
        private: world.create(Mentor, PRIVATE).await,
        pair: world.create(Mentor, PAIR_1).await,
        program: world.create(Coordinator, PROGRAM).await,
    };
    for (cell, entry) in MATRIX.iter().enumerate() {
        check(&world, &docs, cell, *entry).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_a_draft_makes_a_history_free_copy_visible_to_the_pair_and_keeps_the_draft_private() {
    use tandem_core::{automerge::ActorId, genesis, model::*, ops, share};
    let world = World::new();
    let mentor_id = UserId::new("mentor");
    let associate_id = UserId::new("associate");
    let t0 = Timestamp(1_772_366_400_000);
    let mut draft = genesis::observation(
        ActorId::from(b"mentor-tablet".as_slice()),
        &mentor_id,
        t0,
        "pair-1",
        &mentor_id,
        &associate_id,
        &ContextInit { subject: "Science".into(), ..Default::default() },
    );
    ops::observation::add_note(&mut draft, &mentor_id, t0, "n1", "Student J. was upset", &[]).unwrap();
    draft.commit();
    ops::observation::splice(
        &mut draft,
        &mentor_id,
        t0,
        ops::observation::ObservationText::Note("n1"),
        0,
        20,
        "Clear goal on board",
    )
    .unwrap();
    draft.commit();
    let mut shared =
        share::snapshot(&draft, ActorId::from(b"mentor-tablet".as_slice()), &mentor_id, t0).unwrap();

    let mentor = world.client(Mentor);
    let draft_id = mentor.create(draft.to_document().unwrap()).await.unwrap();
    within("the draft to be stored", mentor.synced(draft_id)).await.unwrap();
    assert_eq!(world.claim(Mentor, draft_id, PRIVATE).0, 201);
    let shared_id = mentor.create(shared.to_document().unwrap()).await.unwrap();
    within("the shared copy to be stored", mentor.synced(shared_id)).await.unwrap();
    assert_eq!(world.claim(Mentor, shared_id, PAIR_1).0, 201);

    let associate = world.client(Associate);
    assert!(within("the shared observation", associate.open(shared_id)).await.unwrap());
    assert!(!within("the draft", associate.open(draft_id)).await.unwrap(), "the draft stays private");
    let saved = associate.read(shared_id, |d| d.unwrap().save()).await.unwrap();
    let text = String::from_utf8_lossy(&saved).into_owned();
    assert!(!text.contains("upset"), "deleted draft text never reaches the associate");
    let doc = tandem_core::Doc::<Observation>::load(&saved, ActorId::random()).unwrap();
    assert_eq!(doc.read().unwrap().notes[0].text, "Clear goal on board");
}

/// Regression: shares made offline reconnected with an HTTP 500 (`UNIQUE constraint failed:
/// documents.id`) when the device's claim call and its first sync claimed the same document at the
/// same moment. Here a mentor's device comes back with a dozen documents made offline and claims
/// them all for the pair while their first syncs run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_made_as_the_device_reconnects_succeed_while_the_first_syncs_claim_the_same_documents() {
    let world = World::new();
    let mentor = world.client(Mentor);
    mentor.go_offline().unwrap();
    let mut ids = Vec::new();
    for n in 0..12 {
        let mut doc = notes_doc();
        add_note(&mut doc, &format!("made offline {n}"));
        ids.push(mentor.create(doc).await.unwrap());
    }
    mentor.go_online().unwrap();
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let calls: Vec<_> = ids.iter().map(|id| scope.spawn(|| world.claim(Mentor, *id, PAIR_1))).collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    for (id, (status, body)) in ids.iter().zip(&answers) {
        assert_eq!(*status, 201, "claiming {id} for the pair as it first syncs: {body}");
    }
    // Asked again (a device that never heard the answer), the same claim succeeds.
    assert_eq!(world.claim(Mentor, ids[0], PAIR_1).0, 201);
    assert_eq!(world.claim(Associate, ids[0], PAIR_1).0, 409, "nobody else can claim it");
    let associate = world.client(Associate);
    for (n, id) in ids.iter().enumerate() {
        within("the mentor's device to sync", mentor.synced(*id)).await.unwrap();
        assert!(within("the pair's document", associate.open(*id)).await.unwrap(), "document {n}");
        wait_for_note(&associate, *id, &format!("made offline {n}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_removed_from_a_pair_stops_receiving_its_documents_on_a_live_connection() {
    let world = World::new();
    let (mentor, id) = world.create(Mentor, PAIR_1).await;
    let associate = world.client(Associate);
    assert!(within("the pair document", associate.open(id)).await.unwrap());
    mentor.change(id, |d| add_note(d, "before")).await.unwrap();
    wait_for_note(&associate, id, "before").await;

    // The coordinator signs in and empties the associate's seat.
    let (status, body, cookie) = world.http.sign_in("coord@test.example", "coordinator password");
    assert_eq!(status, 200, "{body}");
    let (status, body) = world.http.request_with_cookie(
        "PATCH",
        "/api/pairs/pair-1",
        &cookie,
        Some(r#"{"associate_id": null}"#),
    );
    assert_eq!(status, 200, "{body}");

    mentor.change(id, |d| add_note(d, "after")).await.unwrap();
    within("the relay to store it", mentor.synced(id)).await.unwrap();
    // The mentor's second device gets it; by then the relay has fanned out to everyone it would.
    let second = world.client(Mentor);
    assert!(within("the mentor's second device", second.open(id)).await.unwrap());
    wait_for_note(&second, id, "after").await;
    let on_associate = associate.read(id, notes).await.unwrap();
    assert_eq!(on_associate, vec!["before".to_owned()], "nothing new reaches the removed associate");
    let again = world.client(Associate);
    assert!(!within("a new device of the removed associate", again.open(id)).await.unwrap());

    // Seated again, they get it back.
    let me = world.http.request("GET", "/api/me", Some(world.token(Associate)), None).1;
    let person = json_field(&me, "id").unwrap();
    let (status, body) = world.http.request_with_cookie(
        "PATCH",
        "/api/pairs/pair-1",
        &cookie,
        Some(&format!(r#"{{"associate_id": "{person}"}}"#)),
    );
    assert_eq!(status, 200, "{body}");
    let back = world.client(Associate);
    assert!(within("the re-seated associate", back.open(id)).await.unwrap());
    wait_for_note(&back, id, "after").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_lets_the_mentor_and_the_associate_sign_in_and_see_their_pair() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &["--demo"]).unwrap();
    let http = Http::new(relay.addr());
    let mut seen = Vec::new();
    for email in ["grace@demo.tandem", "mei@demo.tandem"] {
        let (status, body, cookie) = http.sign_in(email, tandem_server::demo::DEMO_PASSWORD);
        assert_eq!(status, 200, "{email}: {body}");
        let (status, list) = http.request_with_cookie("GET", "/api/documents", &cookie, None);
        assert_eq!(status, 200, "{list}");
        let list: serde_json::Value = serde_json::from_str(&list).unwrap();
        let ids: Vec<String> =
            list.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
        assert!(ids.len() >= 3, "{email} sees the program and the pair's documents: {list}");
        seen.push(ids);
    }
    let shared: Vec<&String> = seen[0].iter().filter(|id| seen[1].contains(id)).collect();
    assert!(!shared.is_empty(), "the mentor and the associate share documents");
    assert!(seen[0].len() > shared.len(), "the mentor's private notes are not the associate's");
    // A restart with --demo again keeps what is there.
    let relay = relay.crash_and_restart().unwrap();
    let (status, _, _) =
        Http::new(relay.addr()).sign_in("dana@demo.tandem", tandem_server::demo::DEMO_PASSWORD);
    assert_eq!(status, 200);
}
