//! Two relay processes side by side on one PostgreSQL (as behind a load balancer): what is written
//! through relay A reaches devices on relay B and back, a crash of A loses nothing it
//! acknowledged, and access changes made through A hold on B's live connections.
//!
//! Each test has a PostgreSQL schema of its own (`tandem-testdb`); without a server the tests say
//! so and pass, except under `CI=true`, where they fail.

use std::time::Duration;

use tandem_client::Client;
use tandem_sync::DocumentId;
use tandem_testdb::TestDatabase;
use tandem_tests::{Database, Relay, admin_in};

use crate::access::{
    Associate, Coordinator, Mentor, PAIR_1, PEOPLE, Who, add_note, notes, notes_doc, wait_for_note,
};
use crate::http::Http;

const PATIENCE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// The test program of [`crate::access`] in one PostgreSQL database, served by relays A and B.
struct TwoRelays {
    /// `None` once a test killed it.
    a: Option<Relay>,
    b: Relay,
    http_a: Http,
    tokens: Vec<(Who, String)>,
    database: TestDatabase,
    _data: tempfile::TempDir,
}

impl TwoRelays {
    fn new() -> Option<Self> {
        let database = TestDatabase::create()?;
        let data = tempfile::tempdir().unwrap();
        let db = Database::Postgres(database.url());
        admin_in(db, &["create-program", "--id", "prog", "--name", "Test residency"], None).unwrap();
        let mut tokens = Vec::new();
        for (i, (who, email, role)) in PEOPLE.iter().enumerate() {
            let add = ["add-person", "--email", email, "--name", email, "--program", "prog", "--role", role];
            let password = (*who == Coordinator).then_some("coordinator password\n");
            let args: Vec<&str> = add.iter().copied().chain(password.map(|_| "--password-stdin")).collect();
            admin_in(db, &args, password).unwrap();
            if i < 4 {
                tokens.push((*who, admin_in(db, &["token", "--person", email], None).unwrap()));
            }
        }
        let pair = |id, m, a| ["add-pair", "--program", "prog", "--id", id, "--mentor", m, "--associate", a];
        admin_in(db, &pair("pair-1", "mentor@test.example", "assoc@test.example"), None).unwrap();
        admin_in(db, &pair("pair-2", "other@test.example", "other-assoc@test.example"), None).unwrap();
        let on_postgres = ["--database", database.url()];
        let a = Relay::start(&data.path().join("a"), &on_postgres).unwrap();
        let b = Relay::start(&data.path().join("b"), &on_postgres).unwrap();
        let http_a = Http::new(a.addr());
        Some(TwoRelays { a: Some(a), b, http_a, tokens, database, _data: data })
    }

    fn token(&self, who: Who) -> &str {
        &self.tokens.iter().find(|(w, _)| *w == who).unwrap().1
    }

    fn on_a(&self, who: Who) -> Client {
        Client::start(self.a.as_ref().expect("relay A is running").sync_url_for(self.token(who)))
    }

    fn on_b(&self, who: Who) -> Client {
        Client::start(self.b.sync_url_for(self.token(who)))
    }

    /// A pair document made by the mentor's device on relay A and claimed for the pair there.
    async fn pair_document(&self) -> (Client, DocumentId) {
        let mentor = self.on_a(Mentor);
        let id = mentor.create(notes_doc()).await.unwrap();
        within("relay A to store the new document", mentor.synced(id)).await.unwrap();
        let body = format!(r#"{{"id": "{id}", "audience": {PAIR_1}}}"#);
        let (status, answer) =
            self.http_a.request("POST", "/api/documents", Some(self.token(Mentor)), Some(&body));
        assert_eq!(status, 201, "{answer}");
        (mentor, id)
    }
}

async fn wait_for_count(client: &Client, id: DocumentId, count: usize) -> Vec<String> {
    within("the notes to arrive", async {
        loop {
            let got = client.read(id, notes).await.unwrap();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_on_relay_a_and_an_associate_on_relay_b_sync_both_ways_and_after_both_were_offline() {
    let Some(world) = TwoRelays::new() else { return };
    let (mentor, id) = world.pair_document().await;
    let associate = world.on_b(Associate);
    assert!(within("relay B to serve the pair's document", associate.open(id)).await.unwrap());

    mentor.change(id, |d| add_note(d, "from A")).await.unwrap();
    wait_for_note(&associate, id, "from A").await;
    associate.change(id, |d| add_note(d, "from B")).await.unwrap();
    wait_for_note(&mentor, id, "from B").await;

    mentor.go_offline().unwrap();
    associate.go_offline().unwrap();
    for i in 0..3 {
        mentor.change(id, move |d| add_note(d, &format!("mentor offline {i}"))).await.unwrap();
        associate.change(id, move |d| add_note(d, &format!("associate offline {i}"))).await.unwrap();
    }
    mentor.go_online().unwrap();
    associate.go_online().unwrap();
    let on_mentor = wait_for_count(&mentor, id, 8).await;
    let on_associate = wait_for_count(&associate, id, 8).await;
    assert_eq!(on_mentor, on_associate, "both devices show the same merged list");
    let mut expected = vec!["from A".to_owned(), "from B".to_owned()];
    expected.extend((0..3).flat_map(|i| [format!("mentor offline {i}"), format!("associate offline {i}")]));
    assert_eq!(sorted(on_mentor), sorted(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_joining_late_on_relay_b_gets_everything_written_through_relay_a() {
    let Some(world) = TwoRelays::new() else { return };
    let (mentor, id) = world.pair_document().await;
    for i in 0..20 {
        mentor.change(id, move |d| add_note(d, &format!("note {i}"))).await.unwrap();
    }
    within("relay A to acknowledge", mentor.synced(id)).await.unwrap();
    let late = world.on_b(Associate);
    assert!(within("the late joiner on B", late.open(id)).await.unwrap());
    let got = wait_for_count(&late, id, 20).await;
    assert_eq!(got, (0..20).map(|i| format!("note {i}")).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_a_killed_mid_burst_loses_nothing_it_acknowledged_and_relay_b_serves_it_all() {
    let Some(mut world) = TwoRelays::new() else { return };
    let (first, id) = world.pair_document().await;
    // The associate watches from relay B throughout.
    let watcher = world.on_b(Associate);
    assert!(within("relay B to serve the document", watcher.open(id)).await.unwrap());

    // Three of the mentor's devices on A write as fast as A acknowledges; each remembers the
    // notes it saw acknowledged.
    let mut devices = vec![first];
    for _ in 0..2 {
        let device = world.on_a(Mentor);
        assert!(within("another device on A", device.open(id)).await.unwrap());
        devices.push(device);
    }
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for (n, device) in devices.into_iter().enumerate() {
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let note = format!("device {n} note {i}");
                let text = note.clone();
                if device.change(id, move |d| add_note(d, &text)).await.is_err() {
                    break;
                }
                // Until A dies: a wait that never completes means this note was not acknowledged.
                match tokio::time::timeout(Duration::from_secs(2), device.synced(id)).await {
                    Ok(Ok(())) => acknowledged.lock().unwrap().push(note),
                    _ => break,
                }
            }
            device
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    world.a.take().unwrap().kill().unwrap();
    let mut devices = Vec::new();
    for writer in writers {
        devices.push(writer.await.unwrap());
    }
    // The devices that wrote through A are gone with it, so whatever B serves came from the
    // database, not from a device uploading it again.
    drop(devices);
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 10, "the burst was under way when A died: {}", acknowledged.len());

    let on_b = within("every acknowledged note on relay B", async {
        loop {
            let got = watcher.read(id, notes).await.unwrap();
            if acknowledged.iter().all(|note| got.contains(note)) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let fresh = world.on_b(Associate);
    assert!(within("a new device on B", fresh.open(id)).await.unwrap());
    let from_database = wait_for_count(&fresh, id, on_b.len()).await;
    for note in &acknowledged {
        assert!(from_database.contains(note), "{note} was acknowledged by A but is not in the database");
    }
    // The blocking client, off the async task's thread.
    let chunks: i64 = tokio::task::block_in_place(|| {
        let mut database = world.database.connect();
        database
            .query_one("SELECT count(*) FROM chunks WHERE key LIKE $1", &[&format!("{id}/%")])
            .unwrap()
            .get(0)
    });
    assert!(chunks > 0, "the document's chunks are in PostgreSQL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_associate_removed_from_a_pair_through_relay_a_stops_receiving_on_relay_b() {
    let Some(world) = TwoRelays::new() else { return };
    let (mentor, id) = world.pair_document().await;
    let associate = world.on_b(Associate);
    assert!(within("the pair document on B", associate.open(id)).await.unwrap());
    mentor.change(id, |d| add_note(d, "before")).await.unwrap();
    wait_for_note(&associate, id, "before").await;

    let (status, body, cookie) = world.http_a.sign_in("coord@test.example", "coordinator password");
    assert_eq!(status, 200, "{body}");
    let (status, body) = world.http_a.request_with_cookie(
        "PATCH",
        "/api/pairs/pair-1",
        &cookie,
        Some(r#"{"associate_id": null}"#),
    );
    assert_eq!(status, 200, "{body}");

    // The mentor's second device on B is still in the audience: once it has the note, relay B
    // has fanned it out to every connection it would.
    let second = world.on_b(Mentor);
    assert!(within("the mentor's second device on B", second.open(id)).await.unwrap());
    mentor.change(id, |d| add_note(d, "after")).await.unwrap();
    within("relay A to store it", mentor.synced(id)).await.unwrap();
    wait_for_note(&second, id, "after").await;
    assert_eq!(associate.read(id, notes).await.unwrap(), vec!["before".to_owned()], "nothing new on B");
    let again = world.on_b(Associate);
    assert!(!within("a new device of the removed associate on B", again.open(id)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_copied_into_postgres_serves_the_mentor_everything_it_had() {
    let Some(database) = TestDatabase::create() else { return };
    let data = tempfile::tempdir().unwrap();
    let sqlite_dir = data.path().join("sqlite");
    // The demo program, and a document of the mentor's written after it.
    let before = Relay::start(&sqlite_dir, &["--demo"]).unwrap();
    let token = tandem_tests::admin(&sqlite_dir, &["token", "--person", "grace@demo.tandem"], None).unwrap();
    let device = Client::start(before.sync_url_for(&token));
    let id = device.create(notes_doc()).await.unwrap();
    for i in 0..5 {
        device.change(id, move |d| add_note(d, &format!("before the move {i}"))).await.unwrap();
    }
    within("the SQLite relay to store the notes", device.synced(id)).await.unwrap();
    let http = Http::new(before.addr());
    let (status, body) = http.request(
        "POST",
        "/api/documents",
        Some(&token),
        Some(&format!(r#"{{"id": "{id}", "audience": {{"kind": "private"}}}}"#)),
    );
    assert_eq!(status, 201, "{body}");
    let (status, listed_before) = http.request("GET", "/api/documents", Some(&token), None);
    assert_eq!(status, 200, "{listed_before}");
    drop(device);
    before.stop().unwrap();

    let sqlite = sqlite_dir.to_str().unwrap();
    let report =
        tandem_tests::admin(&sqlite_dir, &["copy", "--from", sqlite, "--to", database.url()], None).unwrap();
    assert!(report.starts_with("copied and checked"), "{report}");

    let after = Relay::start(&data.path().join("postgres"), &["--database", database.url()]).unwrap();
    let http = Http::new(after.addr());
    let (status, body, _cookie) = http.sign_in("grace@demo.tandem", tandem_server::demo::DEMO_PASSWORD);
    assert_eq!(status, 200, "the mentor signs in with her password on PostgreSQL: {body}");
    // The same token still works: sessions and tokens came along.
    let (status, listed_after) = http.request("GET", "/api/documents", Some(&token), None);
    assert_eq!(status, 200, "{listed_after}");
    assert_eq!(listed_after, listed_before, "every document the mentor had, with its audience");
    let device = Client::start(after.sync_url_for(&token));
    assert!(within("the copied document", device.open(id)).await.unwrap());
    let got = wait_for_count(&device, id, 5).await;
    assert_eq!(got, (0..5).map(|i| format!("before the move {i}")).collect::<Vec<_>>());
}

/// The notes of a document some of whose notes a JavaScript device wrote: automerge-js makes a
/// pushed string a text object, our test documents a plain string.
fn notes_of_any_writer(doc: Option<&automerge::Automerge>) -> Vec<String> {
    use automerge::{ROOT, ReadDoc, Value};
    let Some(doc) = doc else { return Vec::new() };
    let Some((_, list)) = doc.get(ROOT, "notes").unwrap() else { return Vec::new() };
    (0..doc.length(&list))
        .map(|i| match doc.get(&list, i).unwrap().unwrap() {
            (Value::Object(_), text) => doc.text(&text).unwrap(),
            (scalar, _) => scalar.into_string().unwrap_or_default(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_automerge_repo_client_on_relay_b_syncs_with_our_native_client_on_relay_a() {
    use std::io::BufRead;
    let Some(world) = TwoRelays::new() else { return };
    let (native, id) = world.pair_document().await;
    native.change(id, |d| add_note(d, "native on A")).await.unwrap();
    within("relay A to store it", native.synced(id)).await.unwrap();

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js/peer_for_rust_tests.mjs");
    let mut js = std::process::Command::new("node")
        .arg(script)
        .arg(world.b.sync_url_for(world.token(Associate)))
        .arg(id.url().to_string())
        .arg("JavaScript on B")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs (installed by `cargo xtask install`)");
    let mut lines = std::io::BufReader::new(js.stdout.take().unwrap()).lines();
    let first =
        tokio::task::block_in_place(|| lines.next()).expect("the JavaScript peer printed the notes").unwrap();
    assert_eq!(first, r#"["native on A"]"#, "what A stored reached the JavaScript client on B");

    within("the JavaScript note to reach A", async {
        while !native.read(id, notes_of_any_writer).await.unwrap().contains(&"JavaScript on B".to_owned()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    native.change(id, |d| add_note(d, "reply to JavaScript on B")).await.unwrap();
    let replied =
        tokio::task::block_in_place(|| lines.next()).expect("the JavaScript peer saw the reply").unwrap();
    assert_eq!(replied, "replied");
    let status = tokio::task::block_in_place(|| js.wait()).unwrap();
    assert!(status.success(), "the JavaScript peer exits cleanly: {status}");
}
