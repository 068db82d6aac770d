//! A mentor discarding a draft through the relay's API (`POST /api/documents/discard`): the draft
//! and the mentor's private notes about it leave the relay's storage for good (the one purge),
//! the mentor's devices are told through `/api/me`, asking again is fine, and nobody else may
//! discard it, nor may the mentor discard the pair's shared copy or a draft already shared. On
//! SQLite and, when the machine has it, PostgreSQL.

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tandem_api::{Audience, DiscardRequest, Discarded, Me};
use tandem_core::{
    Doc, Observation, Timestamp, UserId,
    automerge::ActorId,
    genesis,
    model::{ContextInit, Date, ObservationStatus},
    ops, share,
};
use tandem_server::{
    AppState, Config, access,
    accounts::{self, AccountError},
    admin::{self, AdminArgs, AdminCommand, RoleArg},
    api::AuthConfig,
    storage::Write,
    sync::SyncConfig,
};
use tandem_sync::{DocumentId, StorageKey};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";
/// 2026-12-01 09:00 UTC.
const DEC_1: Timestamp = Timestamp(1_796_115_600_000);

struct Relay {
    app: Router,
    state: AppState,
    mentor: String,
    associate: String,
    _dir: tempfile::TempDir,
    _database: Option<tandem_testdb::TestDatabase>,
}

/// A program set up with `tandem admin` only: a coordinator, a mentor paired with an associate,
/// and a second mentor of the same program with no pair of theirs here.
fn relay(database: Option<tandem_testdb::TestDatabase>) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = database.as_ref().map(|d| d.url().to_owned());
    let admin = |command| {
        let mut out = Vec::new();
        admin::run(AdminArgs { data: data.clone(), database: url.clone(), command }, &mut out).unwrap();
        String::from_utf8(out).unwrap().trim().to_owned()
    };
    let person = |email: &str, name: &str, role| {
        admin(AdminCommand::AddPerson {
            email: email.into(),
            name: name.into(),
            program: "north".into(),
            role,
            password_stdin: false,
            id: None,
        })
    };
    admin(AdminCommand::CreateProgram { name: "North residency".into(), id: Some("north".into()) });
    let people = [
        person("coord@school.example", "Dana Reyes", RoleArg::Coordinator),
        person("mentor@school.example", "Grace Hopper", RoleArg::Mentor),
        person("assoc@school.example", "Mei Chen", RoleArg::Associate),
        person("other-mentor@school.example", "Ada Byron", RoleArg::Mentor),
    ];
    admin(AdminCommand::AddPair {
        program: "north".into(),
        mentor: "mentor@school.example".into(),
        associate: "assoc@school.example".into(),
        cohort: None,
        id: Some("pair-1".into()),
    });
    let config = Config {
        data_dir: data.clone(),
        database: url.clone(),
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let state = AppState::open(&config).unwrap();
    {
        let db = state.accounts.lock().unwrap();
        for id in &people {
            accounts::set_password(&db, id, PASSWORD, None).unwrap();
        }
    }
    let [_, mentor, associate, _] = people;
    Relay { app: tandem_server::app(state.clone()), state, mentor, associate, _dir: dir, _database: database }
}

/// Runs `f` on a thread of its own: the database's blocking clients (PostgreSQL's starts a
/// runtime of its own) and the chunk writer must not be waited for on the test's runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(f).join().unwrap())
}

/// Stores `bytes` on the relay as its engine would, claimed by `owner` for `audience`.
fn store(relay: &Relay, owner: &str, audience: &Audience, bytes: Vec<u8>) -> DocumentId {
    let id = DocumentId::new_random(rand::random());
    off_runtime(|| {
        access::claim(&relay.state.accounts.lock().unwrap(), owner, &id.to_string(), audience, 0).unwrap();
        let key = StorageKey::incremental(&id, &bytes);
        relay.state.storage.write_blocking(vec![Write::Put { key, data: bytes }]).unwrap();
    });
    id
}

fn stored_chunks(relay: &Relay, id: &DocumentId) -> usize {
    off_runtime(|| relay.state.storage.load_range(&StorageKey::document_prefix(id)).unwrap().len())
}

fn draft(relay: &Relay) -> Doc<Observation> {
    let (mentor, associate) = (UserId::new(&relay.mentor), UserId::new(&relay.associate));
    let context = ContextInit { date: Some(Date::new(2026, 12, 1).unwrap()), ..Default::default() };
    let mut obs =
        genesis::observation(ActorId::random(), &mentor, DEC_1, "pair-1", &mentor, &associate, &context);
    ops::observation::add_note(&mut obs, &mentor, DEC_1, "n1", "Exit tickets collected", &[]).unwrap();
    obs.commit();
    obs
}

/// The mentor's private draft, and their private notes about it.
fn draft_with_notes(relay: &Relay) -> (DocumentId, DocumentId) {
    let draft = store(relay, &relay.mentor, &Audience::Private, draft(relay).save());
    let mentor = UserId::new(&relay.mentor);
    let mut notes = genesis::mentor_notes(ActorId::random(), &mentor, DEC_1, &draft.to_string());
    ops::mentor_notes::add_entry(&mut notes, &mentor, DEC_1, "e1", "Ask about the seating plan").unwrap();
    let notes = store(relay, &relay.mentor, &Audience::Private, notes.save());
    (draft, notes)
}

async fn sign_in(app: &Router, email: &str) -> String {
    let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
    let request = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{email} signs in");
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn call(
    app: &Router,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<String>,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(body.map_or_else(Body::empty, Body::from)).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

async fn discard(
    app: &Router,
    cookie: &str,
    draft: &DocumentId,
    notes: &[DocumentId],
) -> (StatusCode, String) {
    let body =
        DiscardRequest { draft: draft.to_string(), notes: notes.iter().map(|n| n.to_string()).collect() };
    call(app, Method::POST, "/api/documents/discard", cookie, Some(serde_json::to_string(&body).unwrap()))
        .await
}

/// Runs `check` on a relay on SQLite, then on PostgreSQL where the machine has one.
async fn on_each_backend<F: Future<Output = ()>>(check: impl Fn(Relay) -> F) {
    check(tokio::task::spawn_blocking(|| relay(None)).await.unwrap()).await;
    if let Some(database) = tokio::task::spawn_blocking(tandem_testdb::TestDatabase::create).await.unwrap() {
        println!("--- on PostgreSQL");
        check(tokio::task::spawn_blocking(move || relay(Some(database))).await.unwrap()).await;
    }
}

#[tokio::test]
async fn a_mentor_discards_a_draft_with_its_notes_for_good_and_asking_again_is_fine() {
    on_each_backend(|relay| async move {
        let relay = relay;
        let (draft, notes) = draft_with_notes(&relay);
        let kept = store(&relay, &relay.mentor, &Audience::Private, self::draft(&relay).save());
        let mentor = sign_in(&relay.app, "mentor@school.example").await;

        let (status, body) = discard(&relay.app, &mentor, &draft, &[notes]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let removed: Discarded = serde_json::from_str(&body).unwrap();
        assert_eq!(removed.removed, [draft.to_string(), notes.to_string()]);
        assert_eq!(stored_chunks(&relay, &draft), 0, "the draft's bytes left the relay's storage");
        assert_eq!(stored_chunks(&relay, &notes), 0, "and so did the notes about it");
        assert_eq!(stored_chunks(&relay, &kept), 1, "another draft of the mentor's stays");
        off_runtime(|| {
            let db = relay.state.accounts.lock().unwrap();
            let again =
                access::claim(&db, &relay.mentor, &draft.to_string(), &Audience::Private, 1).unwrap_err();
            assert!(
                matches!(again, AccountError::Gone(_)),
                "a device still holding it cannot bring it back: {again}"
            );
        });

        // The mentor's other devices learn it from /api/me and delete their copies.
        let (status, body) = call(&relay.app, Method::GET, "/api/me", &mentor, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let me: Me = serde_json::from_str(&body).unwrap();
        let mut expected = vec![draft.to_string(), notes.to_string()];
        expected.sort();
        assert_eq!(me.purged, expected);
        let (_, body) = call(&relay.app, Method::GET, "/api/documents", &mentor, None).await;
        assert!(!body.contains(&draft.to_string()), "no longer listed: {body}");

        // A device that lost the answer (or discarded offline twice) asks again: done already.
        let (status, body) = discard(&relay.app, &mentor, &draft, &[notes]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(serde_json::from_str::<Discarded>(&body).unwrap().removed, Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn only_the_drafts_mentor_may_discard_it_and_never_a_shared_copy_or_a_draft_already_shared() {
    on_each_backend(|relay| async move {
        let relay = relay;
        let (draft, notes) = draft_with_notes(&relay);
        for email in ["assoc@school.example", "other-mentor@school.example", "coord@school.example"] {
            let cookie = sign_in(&relay.app, email).await;
            let (status, body) = discard(&relay.app, &cookie, &draft, &[]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {body}");
            assert!(body.contains("only its mentor may discard a draft"), "{email}: {body}");
            let (status, body) = discard(&relay.app, &cookie, &draft, &[notes]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}, naming the notes too: {body}");
        }
        assert_eq!(stored_chunks(&relay, &draft), 1, "nobody else's request removed anything");
        assert_eq!(stored_chunks(&relay, &notes), 1);

        let mentor = sign_in(&relay.app, "mentor@school.example").await;
        // The shared copy belongs to the pair.
        let me = UserId::new(&relay.mentor);
        let mut copy = share::snapshot(&self::draft(&relay), ActorId::random(), &me, DEC_1).unwrap();
        let copy = store(&relay, &relay.mentor, &Audience::Pair { pair_id: "pair-1".into() }, copy.save());
        let (status, body) = discard(&relay.app, &mentor, &copy, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(stored_chunks(&relay, &copy), 1);

        // The draft the mentor shared stays their record of what was shared.
        let mut shared = self::draft(&relay);
        ops::observation::set_status(&mut shared, &me, DEC_1, ObservationStatus::Shared).unwrap();
        let shared = store(&relay, &relay.mentor, &Audience::Private, shared.save());
        let (status, body) = discard(&relay.app, &mentor, &shared, &[]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("only a draft can be discarded"), "{body}");
        assert_eq!(stored_chunks(&relay, &shared), 1);

        // Notes are discarded only with the draft they are about; the draft is not named as notes.
        let (other_draft, _) = draft_with_notes(&relay);
        let (status, body) = discard(&relay.app, &mentor, &other_draft, &[notes]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let (status, body) = discard(&relay.app, &mentor, &draft, &[shared]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(stored_chunks(&relay, &other_draft), 1, "a refused discard removes nothing");
        assert_eq!(stored_chunks(&relay, &draft), 1);

        // An id the relay never had (a draft made and discarded offline) and one that is not an id.
        let unknown = DocumentId::new_random(rand::random());
        let (status, body) = discard(&relay.app, &mentor, &unknown, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, _) = call(
            &relay.app,
            Method::POST,
            "/api/documents/discard",
            &mentor,
            Some(r#"{"draft":"not an id"}"#.into()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}
