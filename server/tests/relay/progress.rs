//! The coordinator's progress page through the relay's API: `GET /api/programs/{program}/progress`
//! counts the pair's shared records stored on the relay (observations per month, goals by status,
//! check-ins), never a draft or the mentor's private notes, and answers only the program's
//! coordinators. On SQLite and, when the machine has it, PostgreSQL.

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tandem_api::{Audience, GoalCounts, Month, MonthCount, ProgramProgress};
use tandem_core::{
    Doc, Observation, Timestamp, UserId,
    automerge::ActorId,
    genesis,
    model::{ContextInit, Date, GoalStatus},
    ops::{self, goals::GoalInit},
    share,
};
use tandem_server::{
    AppState, Config, access, accounts,
    admin::{self, AdminArgs, AdminCommand, RoleArg},
    api::AuthConfig,
    storage::Write,
    sync::SyncConfig,
};
use tandem_sync::{DocumentId, StorageKey};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";
/// Words that appear only inside records: none may reach the coordinator's answer.
const IN_THE_DRAFT: &str = "Draft-only remark about Jordan";
const IN_THE_NOTES: &str = "Private worry about the associate";
const IN_THE_SHARED: &str = "Clear learning goal on the board";
/// 2026-11-20 14:00 UTC.
const NOV_20: Timestamp = Timestamp(1_795_183_200_000);

struct Relay {
    app: Router,
    state: AppState,
    mentor: String,
    associate: String,
    _dir: tempfile::TempDir,
    _database: Option<tandem_testdb::TestDatabase>,
}

/// The README's setup (`tandem admin` only) on `database` (PostgreSQL) or SQLite: a program
/// with a coordinator, a mentor and an associate who are paired, and a second program with its
/// own coordinator.
fn relay(database: Option<tandem_testdb::TestDatabase>) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = database.as_ref().map(|d| d.url().to_owned());
    let admin = |command| {
        let mut out = Vec::new();
        admin::run(AdminArgs { data: data.clone(), database: url.clone(), command }, &mut out).unwrap();
        String::from_utf8(out).unwrap().trim().to_owned()
    };
    let person = |program: &str, email: &str, name: &str, role| {
        admin(AdminCommand::AddPerson {
            email: email.into(),
            name: name.into(),
            program: program.into(),
            role,
            password_stdin: false,
            id: None,
        })
    };
    admin(AdminCommand::CreateProgram { name: "North residency".into(), id: Some("north".into()) });
    let people = [
        person("north", "coord@school.example", "Dana Reyes", RoleArg::Coordinator),
        person("north", "mentor@school.example", "Grace Hopper", RoleArg::Mentor),
        person("north", "assoc@school.example", "Mei Chen", RoleArg::Associate),
    ];
    admin(AdminCommand::AddPair {
        program: "north".into(),
        mentor: "mentor@school.example".into(),
        associate: "assoc@school.example".into(),
        cohort: None,
        id: Some("pair-1".into()),
    });
    admin(AdminCommand::CreateProgram { name: "South residency".into(), id: Some("south".into()) });
    let south = person("south", "other@school.example", "Sam Other", RoleArg::Coordinator);
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
        for id in people.iter().chain([&south]) {
            accounts::set_password(&db, id, PASSWORD, None).unwrap();
        }
    }
    let [_, mentor, associate] = people;
    Relay { app: tandem_server::app(state.clone()), state, mentor, associate, _dir: dir, _database: database }
}

/// Stores `doc` on the relay as its engine would (a chunk under automerge-repo's key), claimed
/// by `owner` for `audience`.
fn store(relay: &Relay, owner: &str, audience: &Audience, bytes: Vec<u8>) {
    let id = DocumentId::new_random(rand::random());
    access::claim(&relay.state.accounts.lock().unwrap(), owner, &id.to_string(), audience, 0).unwrap();
    let key = StorageKey::incremental(&id, &bytes);
    relay.state.storage.write_blocking(vec![Write::Put { key, data: bytes }]).unwrap();
}

fn actor() -> ActorId {
    ActorId::random()
}

fn draft(relay: &Relay, date: Date, text: &str) -> Doc<Observation> {
    let (mentor, associate) = (UserId::new(&relay.mentor), UserId::new(&relay.associate));
    let context = ContextInit { date: Some(date), subject: "Science".into(), ..Default::default() };
    let mut obs = genesis::observation(actor(), &mentor, NOV_20, "pair-1", &mentor, &associate, &context);
    ops::observation::add_note(&mut obs, &mentor, NOV_20, "n1", text, &[]).unwrap();
    obs.commit();
    obs
}

/// What the mentor and the associate keep on the relay: two observations shared (November and
/// December lessons), a draft (private, as the app claims it), the mentor's private notes, and
/// the pair's goals (one achieved, one active with two check-ins in November).
fn record(relay: &Relay) {
    let (mentor, associate) = (UserId::new(&relay.mentor), UserId::new(&relay.associate));
    let pair = Audience::Pair { pair_id: "pair-1".into() };
    for date in [Date::new(2026, 11, 20).unwrap(), Date::new(2026, 12, 2).unwrap()] {
        let mut shared =
            share::snapshot(&draft(relay, date, IN_THE_SHARED), actor(), &mentor, NOV_20).unwrap();
        store(relay, &relay.mentor, &pair, shared.save());
    }
    let mut kept = draft(relay, Date::new(2026, 11, 27).unwrap(), IN_THE_DRAFT);
    store(relay, &relay.mentor, &Audience::Private, kept.save());
    let mut notes = genesis::mentor_notes(actor(), &mentor, NOV_20, "pair-1");
    ops::mentor_notes::add_entry(&mut notes, &mentor, NOV_20, "e1", IN_THE_NOTES).unwrap();
    store(relay, &relay.mentor, &Audience::Private, notes.save());

    let mut goals = genesis::goals(actor(), &mentor, NOV_20, "pair-1");
    for id in ["g1", "g2"] {
        ops::goals::add_goal(
            &mut goals,
            &mentor,
            NOV_20,
            id,
            &GoalInit { title: IN_THE_SHARED, ..Default::default() },
        )
        .unwrap();
    }
    ops::goals::set_status(&mut goals, &associate, NOV_20, "g1", GoalStatus::Achieved).unwrap();
    for id in ["c1", "c2"] {
        ops::goals::check_in(&mut goals, &associate, NOV_20, "g2", id, 50, IN_THE_SHARED).unwrap();
    }
    store(relay, &relay.associate, &pair, goals.save());
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

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::builder().method(Method::GET).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    (status, String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
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
async fn a_coordinator_sees_the_pairs_shared_records_counted_by_month_and_status_never_a_draft_or_private_notes()
 {
    on_each_backend(|relay| async move {
        let empty = sign_in(&relay.app, "coord@school.example").await;
        let (status, body) = get(&relay.app, "/api/programs/north/progress", Some(&empty)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let nothing: ProgramProgress = serde_json::from_str(&body).unwrap();
        assert!(nothing.months.is_empty(), "nothing recorded yet: {body}");
        assert_eq!(nothing.pairs.len(), 1);

        let relay = tokio::task::spawn_blocking(move || {
            record(&relay);
            relay
        })
        .await
        .unwrap();
        let coordinator = sign_in(&relay.app, "coord@school.example").await;
        let (status, body) = get(&relay.app, "/api/programs/north/progress", Some(&coordinator)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let progress: ProgramProgress = serde_json::from_str(&body).unwrap();
        let (nov, dec) = (Month { year: 2026, month: 11 }, Month { year: 2026, month: 12 });
        assert_eq!(progress.program_id, "north");
        assert_eq!(progress.months, [nov, dec]);
        let [pair] = progress.pairs.as_slice() else { panic!("one pair: {body}") };
        assert_eq!(pair.pair_id, "pair-1");
        assert_eq!(pair.mentor_name.as_deref(), Some("Grace Hopper"));
        assert_eq!(pair.associate_name.as_deref(), Some("Mei Chen"));
        assert_eq!(
            pair.observations,
            [MonthCount { month: nov, count: 1 }, MonthCount { month: dec, count: 1 }],
            "the two shared observations by their lessons' months, not the November draft"
        );
        assert_eq!(pair.goals, GoalCounts { active: 1, achieved: 1, reworked: 0, dropped: 0 });
        assert_eq!(pair.checkins, [MonthCount { month: nov, count: 2 }]);
        for words in [IN_THE_DRAFT, IN_THE_NOTES, IN_THE_SHARED, "Jordan", "Science"] {
            assert!(!body.contains(words), "no record's content in the answer ({words}): {body}");
        }
        assert_eq!(
            relay.state.progress.loads(),
            3,
            "the pair's three documents were read, not the draft or the notes"
        );
        let (_, again) = get(&relay.app, "/api/programs/north/progress", Some(&coordinator)).await;
        assert_eq!(again, body);
        assert_eq!(relay.state.progress.loads(), 3, "asked again, unchanged documents are not loaded again");
    })
    .await;
}

#[tokio::test]
async fn the_progress_route_refuses_mentors_associates_another_programs_coordinator_and_strangers() {
    on_each_backend(|relay| async move {
        // The whole relay, its database with it, lives as long as the check (the block would
        // capture only the fields it names, and the test's PostgreSQL schema would go at once).
        let relay = relay;
        for email in ["mentor@school.example", "assoc@school.example", "other@school.example"] {
            let cookie = sign_in(&relay.app, email).await;
            let (status, body) = get(&relay.app, "/api/programs/north/progress", Some(&cookie)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {body}");
            assert!(!body.contains("Grace Hopper"), "a refusal names no one: {body}");
        }
        let (status, _) = get(&relay.app, "/api/programs/north/progress", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "not signed in");
        let coordinator = sign_in(&relay.app, "coord@school.example").await;
        let (status, _) = get(&relay.app, "/api/programs/nowhere/progress", Some(&coordinator)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get(&relay.app, "/api/programs/south/progress", Some(&coordinator)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a coordinator of north gets nothing of south");
    })
    .await;
}
