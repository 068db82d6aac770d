//! A program set up the way the README shows (`tandem admin` only, no demo), then driven through
//! the relay's API in-process: names come from the accounts, the program document holds the
//! defaults, and the coordinator's console routes answer only the program's coordinators.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tandem_api::{DocumentEntry, ErrorBody, InvitationClosed, Me, PendingInvitation, Role};
use tandem_server::{
    AppState, Config, accounts,
    admin::{self, AdminArgs, AdminCommand, RoleArg},
    api::AuthConfig,
    clock::Clock,
    sync::SyncConfig,
};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";

fn admin(data: &std::path::Path, command: AdminCommand) -> String {
    let mut out = Vec::new();
    admin::run(AdminArgs { data: data.to_owned(), database: None, command }, &mut out).unwrap();
    String::from_utf8(out).unwrap().trim().to_owned()
}

fn add_person(data: &std::path::Path, program: &str, email: &str, name: &str, role: RoleArg) -> String {
    let id = admin(
        data,
        AdminCommand::AddPerson {
            email: email.into(),
            name: name.into(),
            program: program.into(),
            role,
            password_stdin: false,
            id: None,
        },
    );
    let db = tandem_server::storage::Storage::open_in(data).unwrap().connect().unwrap();
    accounts::set_password(&db, &id, PASSWORD, None).unwrap();
    id
}

/// The README's setup: a program, a coordinator, a mentor and an associate, paired; and a second
/// program with its own coordinator.
struct Setup {
    app: Router,
    /// The relay's clock (milliseconds), which a test may move on.
    now: Arc<AtomicI64>,
    coordinator: String,
    mentor: String,
    associate: String,
    _dir: tempfile::TempDir,
}

/// Runs `tandem admin` as its own process would: blocking, so off the async runtime.
fn setup() -> Setup {
    setup_with(AuthConfig::default())
}

fn setup_with(auth: AuthConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    admin(&data, AdminCommand::CreateProgram { name: "North residency".into(), id: Some("north".into()) });
    let coordinator = add_person(&data, "north", "coord@school.example", "Dana Reyes", RoleArg::Coordinator);
    let mentor = add_person(&data, "north", "mentor@school.example", "Grace Hopper", RoleArg::Mentor);
    let associate = add_person(&data, "north", "assoc@school.example", "Mei Chen", RoleArg::Associate);
    admin(
        &data,
        AdminCommand::AddPair {
            program: "north".into(),
            mentor: "mentor@school.example".into(),
            associate: "assoc@school.example".into(),
            cohort: None,
            id: None,
        },
    );
    admin(&data, AdminCommand::CreateProgram { name: "South residency".into(), id: Some("south".into()) });
    add_person(&data, "south", "other@school.example", "Sam Other", RoleArg::Coordinator);
    let config = Config {
        data_dir: data,
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth,
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    // The wall clock's time to begin with (as `tandem admin` wrote), then wherever the test moves it.
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let now = Arc::new(AtomicI64::new(started as i64));
    let read = now.clone();
    let state =
        AppState::open_with_clock(&config, Clock::from_fn(move || read.load(Ordering::SeqCst))).unwrap();
    let app = tandem_server::app(state);
    Setup { app, now, coordinator, mentor, associate, _dir: dir }
}

async fn call(
    app: &Router,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
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

async fn me(app: &Router, cookie: &str) -> Me {
    let (status, body) = call(app, Method::GET, "/api/me", cookie, None).await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn a_program_set_up_only_with_tandem_admin_names_everyones_colleagues_and_never_their_emails() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    let mentor = me(&s.app, &sign_in(&s.app, "mentor@school.example").await).await;
    let named: Vec<(&str, &str, Role)> =
        mentor.people.iter().map(|p| (p.id.as_str(), p.name.as_str(), p.role)).collect();
    assert_eq!(
        named,
        [
            (s.coordinator.as_str(), "Dana Reyes", Role::Coordinator),
            (s.associate.as_str(), "Mei Chen", Role::Associate)
        ]
    );
    let associate = me(&s.app, &sign_in(&s.app, "assoc@school.example").await).await;
    assert!(associate.people.iter().any(|p| p.id == s.mentor && p.name == "Grace Hopper"));
    assert!(!associate.people.iter().any(|p| p.program_id == "south"), "nobody of another program");
    let coordinator = me(&s.app, &sign_in(&s.app, "coord@school.example").await).await;
    assert_eq!(coordinator.people.len(), 2, "a coordinator works with everyone in the program");
    let json = serde_json::to_string(&mentor).unwrap();
    assert!(
        !json.contains("assoc@school.example") && !json.contains("coord@"),
        "names, never emails: {json}"
    );
}

#[tokio::test]
async fn a_program_set_up_only_with_tandem_admin_has_one_program_document_everyone_in_it_can_read() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    for email in ["mentor@school.example", "assoc@school.example", "coord@school.example"] {
        let cookie = sign_in(&s.app, email).await;
        let (status, body) = call(&s.app, Method::GET, "/api/documents", &cookie, None).await;
        assert_eq!(status, StatusCode::OK);
        let documents: Vec<DocumentEntry> = serde_json::from_slice(&body).unwrap();
        let programs: Vec<_> = documents
            .iter()
            .filter(|d| matches!(&d.audience, tandem_api::Audience::Program { program_id } if program_id == "north"))
            .collect();
        assert_eq!(programs.len(), 1, "{email} has the program document");
        assert_eq!(programs[0].owner_id, s.coordinator, "made for the program's first coordinator");
        let expected =
            if email.starts_with("coord") { tandem_api::Access::Write } else { tandem_api::Access::Read };
        assert_eq!(programs[0].access, expected, "{email}");
    }
}

async fn status_of(app: &Router, method: Method, path: &str, cookie: &str, body: Option<&str>) -> StatusCode {
    call(app, method, path, cookie, body).await.0
}

/// Takes an invitation with a password, as the link's page does; the answer and the cookie.
async fn accept(app: &Router, token: &str, password: &str) -> (StatusCode, Option<String>) {
    let request = Request::post(format!("/api/invitations/{token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"password":"{password}"}}"#)))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (response.status(), cookie)
}

async fn invite(app: &Router, cookie: &str, email: &str, role: &str) -> (StatusCode, Vec<u8>) {
    let body = format!(r#"{{"email":"{email}","name":"Ada Lovelace","role":"{role}"}}"#);
    call(app, Method::POST, "/api/programs/north/invitations", cookie, Some(&body)).await
}

#[tokio::test]
async fn an_invited_associate_chooses_a_password_once_is_paired_and_the_mentor_sees_her_name() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    let coordinator = sign_in(&s.app, "coord@school.example").await;
    let (status, body) = invite(&s.app, &coordinator, "ada@school.example", "associate").await;
    assert_eq!(status, StatusCode::CREATED);
    let link: tandem_api::InvitationLink = serde_json::from_slice(&body).unwrap();

    let (status, body) =
        call(&s.app, Method::GET, &format!("/api/invitations/{}", link.token), "", None).await;
    assert_eq!(status, StatusCode::OK);
    let view: tandem_api::InvitationView = serde_json::from_slice(&body).unwrap();
    assert_eq!((view.program_name.as_str(), view.role), ("North residency", Role::Associate));

    let (status, cookie) = accept(&s.app, &link.token, "adas own long password").await;
    assert_eq!(status, StatusCode::OK, "the link signs her in");
    let ada = me(&s.app, &cookie.unwrap()).await;
    assert_eq!(ada.memberships[0].role, Role::Associate);
    let (status, _) = accept(&s.app, &link.token, "another long password").await;
    assert_eq!(status, StatusCode::GONE, "the link works once");
    let again = call(&s.app, Method::GET, &format!("/api/invitations/{}", link.token), "", None).await.0;
    assert_eq!(again, StatusCode::GONE);

    let pair = format!(r#"{{"mentor_id":"{}","associate_id":"{}"}}"#, s.mentor, ada.person.id);
    assert_eq!(
        status_of(&s.app, Method::POST, "/api/programs/north/pairs", &coordinator, Some(&pair)).await,
        StatusCode::CREATED
    );
    let mentor = me(&s.app, &sign_in(&s.app, "mentor@school.example").await).await;
    assert!(
        mentor.people.iter().any(|p| p.id == ada.person.id && p.name == "Ada Lovelace"),
        "{:?}",
        mentor.people
    );
    assert_eq!(mentor.pairs.len(), 2);
}

#[tokio::test]
async fn a_person_of_another_program_is_enrolled_only_by_an_invitation_taken_with_her_own_password() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    let south = sign_in(&s.app, "other@school.example").await;
    // Adding an existing email directly is refused without naming anyone...
    let body = r#"{"email":"mentor@school.example","name":"X","role":"mentor"}"#;
    let (status, answer) = call(&s.app, Method::POST, "/api/programs/south/people", &south, Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.contains("send an invitation") && !answer.contains("Grace") && !answer.contains(&s.mentor),
        "{answer}"
    );
    // ...and so is giving a role to another program's person by id; her email stays unread.
    let role = r#"{"role":"mentor"}"#;
    let path = format!("/api/programs/south/people/{}", s.mentor);
    assert_eq!(status_of(&s.app, Method::PUT, &path, &south, Some(role)).await, StatusCode::NOT_FOUND);
    let (_, view) = call(&s.app, Method::GET, "/api/programs/south", &south, None).await;
    assert!(!String::from_utf8(view).unwrap().contains("mentor@school.example"));
    // An invitation to her email: someone else who holds the link cannot take it for her.
    let body = r#"{"email":"mentor@school.example","name":"Grace","role":"mentor"}"#;
    let (_, link) = call(&s.app, Method::POST, "/api/programs/south/invitations", &south, Some(body)).await;
    let link: tandem_api::InvitationLink = serde_json::from_slice(&link).unwrap();
    assert_eq!(accept(&s.app, &link.token, "a password of the coordinator's").await.0, StatusCode::FORBIDDEN);
    let (status, _) = accept(&s.app, &link.token, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "with her own password she joins");
    let grace = me(&s.app, &sign_in(&s.app, "mentor@school.example").await).await;
    let programs: Vec<&str> = grace.memberships.iter().map(|m| m.program_id.as_str()).collect();
    assert_eq!(programs, ["north", "south"]);
}

#[tokio::test]
async fn the_console_routes_refuse_mentors_associates_and_another_programs_coordinator() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    let pair_body = format!(r#"{{"mentor_id":"{}","associate_id":"{}"}}"#, s.mentor, s.associate);
    // An invitation waiting, for the route that withdraws it.
    let coordinator = sign_in(&s.app, "coord@school.example").await;
    invite(&s.app, &coordinator, "waiting@school.example", "mentor").await;
    let waiting = pending(&s.app, &coordinator).await.remove(0).id;
    let routes: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/api/programs/north".into(), None),
        (Method::GET, "/api/programs/north/invitations".into(), None),
        (Method::DELETE, format!("/api/programs/north/invitations/{waiting}"), None),
        (
            Method::POST,
            "/api/programs/north/invitations".into(),
            Some(r#"{"email":"z@x.example","name":"Z","role":"mentor"}"#.into()),
        ),
        (
            Method::POST,
            "/api/programs/north/people".into(),
            Some(r#"{"email":"z@x.example","name":"Z","role":"mentor"}"#.into()),
        ),
        (Method::POST, "/api/programs/north/cohorts".into(), Some(r#"{"name":"Spring"}"#.into())),
        (Method::POST, "/api/programs/north/pairs".into(), Some(pair_body)),
        (
            Method::PUT,
            format!("/api/programs/north/people/{}", s.associate),
            Some(r#"{"role":"mentor"}"#.into()),
        ),
        (Method::DELETE, format!("/api/programs/north/people/{}", s.associate), None),
    ];
    for email in ["mentor@school.example", "assoc@school.example", "other@school.example"] {
        let cookie = sign_in(&s.app, email).await;
        for (method, path, body) in &routes {
            let (status, answer) = call(&s.app, method.clone(), path, &cookie, body.as_deref()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}: {method} {path}");
            let answer = String::from_utf8(answer).unwrap();
            assert!(
                !answer.contains("Mei") && !answer.contains("@school") && !answer.contains("Ada"),
                "nothing of the program: {answer}"
            );
        }
    }
    assert_eq!(pending(&s.app, &coordinator).await.len(), 1, "nobody else withdrew it");
    for (method, path, body) in &routes {
        let status = status_of(&s.app, method.clone(), path, &coordinator, body.as_deref()).await;
        assert!(status.is_success(), "the coordinator may: {method} {path} answered {status}");
    }
}

#[tokio::test]
async fn the_program_view_names_the_program_for_the_console() {
    let s = tokio::task::spawn_blocking(setup).await.unwrap();
    let coordinator = sign_in(&s.app, "coord@school.example").await;
    let (status, body) = call(&s.app, Method::GET, "/api/programs/north", &coordinator, None).await;
    assert_eq!(status, StatusCode::OK);
    let view: tandem_api::ProgramView = serde_json::from_slice(&body).unwrap();
    assert_eq!((view.id.as_str(), view.name.as_str()), ("north", "North residency"));
    assert_eq!(view.people.len(), 3);
}

/// A relay with two programs, on SQLite in a directory or on a PostgreSQL schema of its own:
/// Dana coordinates North, where Grace is a mentor; Sam coordinates South; Lone is in no program.
/// `None` when there is no PostgreSQL to be had (and `CI` is not `true`).
fn two_programs(postgres: bool) -> Option<(Router, tempfile::TempDir, Option<tandem_testdb::TestDatabase>)> {
    let database = if postgres { Some(tandem_testdb::TestDatabase::create()?) } else { None };
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: database.as_ref().map(|d| d.url().to_owned()),
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let state = AppState::open(&config).unwrap();
    {
        let db = state.accounts.lock().unwrap();
        for (program, name) in [("north", "North residency"), ("south", "South residency")] {
            accounts::create_program(&db, Some(program), name).unwrap();
        }
        for (id, email, name, program, role) in [
            ("u-dana", "coord@school.example", "Dana Reyes", Some("north"), accounts::Role::Coordinator),
            ("u-grace", "mentor@school.example", "Grace Hopper", Some("north"), accounts::Role::Mentor),
            ("u-sam", "other@school.example", "Sam Other", Some("south"), accounts::Role::Coordinator),
            ("u-lone", "lone@school.example", "Lone Person", None, accounts::Role::Mentor),
        ] {
            accounts::add_person(&db, Some(id), email, name, Some(PASSWORD)).unwrap();
            if let Some(program) = program {
                accounts::set_membership(&db, program, id, role).unwrap();
            }
        }
    }
    Some((tandem_server::app(state), dir, database))
}

/// Regression (cross-program enrolment): a coordinator of one program added a person of another
/// program to theirs by email, read her email and seated her in a pair; and adding an existing
/// email answered 409 with the email. Now an existing account joins only by an invitation it
/// takes itself, and the refusal is the same, word for word, whoever the email belongs to (another
/// program's person, someone already in this program, someone in no program), naming no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_program_enrolment_an_existing_email_is_refused_alike_whoever_it_is_and_never_seated() {
    for postgres in [false, true] {
        // Opened off the runtime: PostgreSQL's blocking client may not block it.
        let Some((app, _dir, _database)) =
            tokio::task::spawn_blocking(move || two_programs(postgres)).await.unwrap()
        else {
            continue;
        };
        println!("--- on {}", if postgres { "PostgreSQL" } else { "SQLite" });
        let south = sign_in(&app, "other@school.example").await;
        let mut answers = Vec::new();
        for email in ["mentor@school.example", "other@school.example", "lone@school.example"] {
            let body = format!(r#"{{"email":"{email}","name":"Someone","role":"mentor"}}"#);
            let (status, answer) =
                call(&app, Method::POST, "/api/programs/south/people", &south, Some(&body)).await;
            let answer = String::from_utf8(answer).unwrap();
            assert!(
                !answer.contains("@school") && !answer.contains("Grace") && !answer.contains("u-"),
                "{answer}"
            );
            answers.push((status, answer));
        }
        assert_eq!(answers[0].0, StatusCode::CONFLICT, "{:?}", answers[0]);
        assert!(answers.iter().all(|a| *a == answers[0]), "one answer for every existing email: {answers:?}");
        // Grace is not in South, cannot be seated there, and her email is not in South's view.
        let pair = r#"{"mentor_id":"u-grace","associate_id":"u-sam"}"#;
        let (status, _) = call(&app, Method::POST, "/api/programs/south/pairs", &south, Some(pair)).await;
        assert!(status.is_client_error(), "seating another program's person: {status}");
        let (_, view) = call(&app, Method::GET, "/api/programs/south", &south, None).await;
        let view = String::from_utf8(view).unwrap();
        assert!(!view.contains("mentor@school.example") && !view.contains("u-grace"), "{view}");
        let grace = me(&app, &sign_in(&app, "mentor@school.example").await).await;
        let programs: Vec<&str> = grace.memberships.iter().map(|m| m.program_id.as_str()).collect();
        assert_eq!(programs, ["north"], "Grace is still only in North");
        // A new email is added at once.
        let body = r#"{"email":"new@school.example","name":"New Person","role":"mentor"}"#;
        let (status, _) = call(&app, Method::POST, "/api/programs/south/people", &south, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

/// The program's invitations waiting to be taken, as the console lists them.
async fn pending(app: &Router, cookie: &str) -> Vec<PendingInvitation> {
    let (status, body) = call(app, Method::GET, "/api/programs/north/invitations", cookie, None).await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&body).unwrap()
}

/// What `GET /api/invitations/{token}` answers: its status and why it cannot be taken.
async fn link_state(app: &Router, token: &str) -> (StatusCode, Option<InvitationClosed>, String) {
    let (status, body) = call(app, Method::GET, &format!("/api/invitations/{token}"), "", None).await;
    if status == StatusCode::OK {
        return (status, None, String::new());
    }
    let error: ErrorBody = serde_json::from_slice(&body).unwrap();
    (status, error.invitation, error.error)
}

#[tokio::test]
async fn invitations_wait_in_the_console_without_their_links_and_a_used_withdrawn_or_expired_link_says_which()
{
    // The relay's setting, not a week: an hour and a half.
    let lifetime = Duration::from_secs(90 * 60);
    let s = tokio::task::spawn_blocking(move || {
        setup_with(AuthConfig { invitation_lifetime: lifetime, ..AuthConfig::default() })
    })
    .await
    .unwrap();
    let coordinator = sign_in(&s.app, "coord@school.example").await;
    let mut links = Vec::new();
    for email in ["used@school.example", "withdrawn@school.example", "late@school.example"] {
        // A second apart, so the list's order (oldest first) is theirs.
        s.now.fetch_add(1000, Ordering::SeqCst);
        let (status, body) = invite(&s.app, &coordinator, email, "associate").await;
        assert_eq!(status, StatusCode::CREATED);
        let link: tandem_api::InvitationLink = serde_json::from_slice(&body).unwrap();
        assert_eq!(link.expires_ms, s.now.load(Ordering::SeqCst) + lifetime.as_millis() as i64);
        links.push(link.token);
    }
    let (_, body) = call(&s.app, Method::GET, "/api/programs/north/invitations", &coordinator, None).await;
    let listed = String::from_utf8(body).unwrap();
    assert!(links.iter().all(|token| !listed.contains(token.as_str())), "never a link: {listed}");
    let waiting = pending(&s.app, &coordinator).await;
    let emails: Vec<&str> = waiting.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(emails, ["used@school.example", "withdrawn@school.example", "late@school.example"]);
    assert!(waiting.iter().all(|p| p.role == Role::Associate && p.name == "Ada Lovelace"));

    assert_eq!(accept(&s.app, &links[0], "a long enough password").await.0, StatusCode::OK);
    let withdraw = format!("/api/programs/north/invitations/{}", waiting[1].id);
    assert_eq!(
        status_of(&s.app, Method::DELETE, &withdraw, &coordinator, None).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(status_of(&s.app, Method::DELETE, &withdraw, &coordinator, None).await, StatusCode::NOT_FOUND);
    assert_eq!(accept(&s.app, &links[1], "a long enough password").await.0, StatusCode::GONE, "withdrawn");
    assert_eq!(pending(&s.app, &coordinator).await.len(), 1, "only the one still open");
    assert_eq!(link_state(&s.app, &links[2]).await.0, StatusCode::OK, "until it expires");
    s.now.fetch_add(lifetime.as_millis() as i64 - 1, Ordering::SeqCst);
    assert_eq!(link_state(&s.app, &links[2]).await.0, StatusCode::OK, "a millisecond before it expires");

    // At the last one's expiry; the first two would have expired too, but say what ended them.
    s.now.fetch_add(1, Ordering::SeqCst);
    let (status, why, said) = link_state(&s.app, &links[0]).await;
    assert_eq!((status, why), (StatusCode::GONE, Some(InvitationClosed::Used)));
    assert!(said.contains("already used"), "{said}");
    let (status, why, said) = link_state(&s.app, &links[1]).await;
    assert_eq!((status, why), (StatusCode::GONE, Some(InvitationClosed::Withdrawn)));
    assert!(said.contains("withdrawn") && said.contains("new one"), "{said}");
    let (status, why, said) = link_state(&s.app, &links[2]).await;
    assert_eq!((status, why), (StatusCode::GONE, Some(InvitationClosed::Expired)));
    assert!(said.contains("has expired") && said.contains("new one"), "{said}");
    assert_eq!(accept(&s.app, &links[2], "a long enough password").await.0, StatusCode::GONE, "expired");
    let (status, why, _) = link_state(&s.app, &"0".repeat(64)).await;
    assert_eq!((status, why), (StatusCode::GONE, None), "a link the relay does not know");
    assert!(pending(&s.app, &coordinator).await.is_empty(), "an expired one leaves the list");
}
