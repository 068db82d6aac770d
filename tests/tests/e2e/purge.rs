//! Purging records for good: `tandem admin purge` run beside a running relay, as a school's IT
//! would at the end of the retention period.

use std::path::Path;

use tandem_client::Client;
use tandem_core::{automerge::ActorId, genesis, model::*, ops};
use tandem_sync::DocumentId;
use tandem_tests::admin;

use crate::access::{Associate, Mentor, PAIR_1, PRIVATE, Who, World};

const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Whether the database (its file and its write-ahead log) holds `marker`'s bytes anywhere,
/// readable by a query or not.
fn database_holds(data: &Path, marker: &str) -> bool {
    ["tandem.sqlite3", "tandem.sqlite3-wal"].iter().any(|name| {
        std::fs::read(data.join(name))
            .is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
    })
}

/// An observation of pair-1 with `marker` typed into a running note, made on `who`'s device,
/// synced and claimed for `audience`.
async fn observation_with(world: &World, who: Who, audience: &str, marker: &str) -> (Client, DocumentId) {
    let (mentor, associate) = (UserId::new("mentor"), UserId::new("associate"));
    let at = Timestamp(1_772_366_400_000);
    let mut doc = genesis::observation(
        ActorId::random(),
        &mentor,
        at,
        "pair-1",
        &mentor,
        &associate,
        &ContextInit { subject: "Science".into(), ..Default::default() },
    );
    ops::observation::add_note(&mut doc, &mentor, at, "n1", &format!("Student J. said {marker}"), &[])
        .unwrap();
    doc.commit();
    let client = world.client(who);
    let id = client.create(doc.to_document().unwrap()).await.unwrap();
    within("the relay to store the observation", client.synced(id)).await.unwrap();
    assert_eq!(world.claim(who, id, audience).0, 201);
    (client, id)
}

fn purge_lines(data: &Path) -> Vec<tandem_server::storage::purge::RecordLine> {
    let storage = tandem_server::storage::Storage::open_in(data).unwrap();
    tandem_server::storage::purge::record_lines(&storage.connect().unwrap(), "purge").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_purge_leaves_none_of_its_bytes_in_the_database_and_the_running_relay_stops_serving_it() {
    let world = World::new();
    let data = world.relay.data_dir().to_owned();
    let marker = "MARKER-pair-7f3a9c";
    let kept = "MARKER-draft-51b2e0";
    let (mentor, shared) = observation_with(&world, Mentor, PAIR_1, marker).await;
    let (_, draft) = observation_with(&world, Mentor, PRIVATE, kept).await;
    let associate = world.client(Associate);
    assert!(within("the associate's copy", associate.open(shared)).await.unwrap());
    assert!(database_holds(&data, marker), "the marker is stored before the purge");

    let refused = admin(&data, &["purge", "--pair", "pair-1"], Some("no\n")).unwrap_err();
    assert!(refused.to_string().contains("nothing was purged"), "{refused}");
    assert!(database_holds(&data, marker), "a purge not confirmed removes nothing");

    let said = admin(&data, &["purge", "--pair", "pair-1"], Some("yes\n")).unwrap();
    assert!(said.contains(&format!("observation {shared}")), "the confirmation names what goes: {said}");
    assert!(!said.contains(&draft.to_string()), "a mentor's private draft is not the pair's: {said}");
    assert!(!database_holds(&data, marker), "no byte of the purged observation is left in the file");
    assert!(database_holds(&data, kept), "what was not purged is kept");

    // The relay running beside the command answers for the purged id as for one that never was,
    // even to the pair that could read it.
    let fresh = world.client(Associate);
    assert!(!within("the purged observation", fresh.open(shared)).await.unwrap(), "it is not served");
    // The mentor's device still holds it and writes to it: the relay stores none of it, nor does
    // a claim bring it back.
    let again = format!("{marker}-again");
    mentor.change(shared, move |doc| crate::notes::add_note(doc, &again)).await.unwrap();
    let (status, body) = world.claim(Mentor, shared, PAIR_1);
    assert_eq!(status, 410, "{body}");
    let late = world.client(Mentor);
    assert!(!within("the purged observation", late.open(shared)).await.unwrap());
    assert!(!database_holds(&data, marker), "a device that still holds the document cannot store it again");

    let lines = purge_lines(&data);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].actor.as_str(), lines[0].pair_id.as_deref()), ("tandem admin", Some("pair-1")));
    assert!(lines[0].detail.contains(&shared.to_string()), "{}", lines[0].detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_purge_ends_their_sessions_and_tokens_and_the_access_record_says_who_purged_them() {
    let world = World::new();
    let data = world.relay.data_dir().to_owned();
    let marker = "MARKER-person-a41c77";
    let (_, shared) = observation_with(&world, Associate, PAIR_1, marker).await;
    admin(&data, &["set-password", "--person", "assoc@test.example"], Some("associate password\n")).unwrap();
    let (status, _, cookie) = world.http.sign_in("assoc@test.example", "associate password");
    assert_eq!(status, 200);
    let token = world.token(Associate).to_owned();
    assert_eq!(world.http.request("GET", "/api/me", Some(&token), None).0, 200);
    assert_eq!(world.http.request_with_cookie("GET", "/api/me", &cookie, None).0, 200);

    let said = admin(
        &data,
        &["purge", "--person", "assoc@test.example", "--yes", "--by", "coord@test.example"],
        None,
    )
    .unwrap();
    assert!(said.contains("assoc@test.example") && said.contains(&shared.to_string()), "{said}");
    assert!(!database_holds(&data, marker));
    assert_ne!(world.http.request("GET", "/api/me", Some(&token), None).0, 200, "the token ended");
    assert_ne!(world.http.request_with_cookie("GET", "/api/me", &cookie, None).0, 200, "the session ended");
    let (status, _, _) = world.http.sign_in("assoc@test.example", "associate password");
    assert_eq!(status, 401, "nobody signs in as a purged person");
    // The mentor keeps their account and their seat in pair-1, now with no associate.
    let (status, me) = world.http.request("GET", "/api/me", Some(world.token(Mentor)), None);
    assert_eq!(status, 200);
    assert!(me.contains(r#""associate_id":null"#), "{me}");

    let lines = purge_lines(&data);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let db = tandem_server::storage::Storage::open_in(&data).unwrap().connect().unwrap();
    let coordinator = tandem_server::accounts::person_by_id_or_email(&db, "coord@test.example").unwrap();
    assert_eq!(lines[0].actor, coordinator.id);
    let gone = tandem_server::accounts::person_by_id_or_email(&db, "assoc@test.example").unwrap_err();
    assert!(gone.to_string().contains("there is no person"), "the account is gone: {gone}");
    assert!(lines[0].person_id.is_some());
    assert!(!lines[0].detail.contains("assoc@"), "the line names the person by id only: {}", lines[0].detail);
}
