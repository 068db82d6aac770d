//! A program set up the way the README shows (`tandem admin` only, no demo), then driven through
//! the relay's API in-process: names come from the accounts, the program document holds the
//! defaults, and the coordinator's console routes answer only the program's coordinators.

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tandem_api::{DocumentEntry, Me, Role};
use tandem_server::{
    AppState, Config, accounts,
    admin::{self, AdminArgs, AdminCommand, RoleArg},
    api::AuthConfig,
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
    coordinator: String,
    mentor: String,
    associate: String,
    _dir: tempfile::TempDir,
}

/// Runs `tandem admin` as its own process would: blocking, so off the async runtime.
fn setup() -> Setup {
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
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let app = tandem_server::app(AppState::open(&config).unwrap());
    Setup { app, coordinator, mentor, associate, _dir: dir }
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
    let routes: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/api/programs/north".into(), None),
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
                !answer.contains("Mei") && !answer.contains("@school"),
                "nothing of the program: {answer}"
            );
        }
    }
    let coordinator = sign_in(&s.app, "coord@school.example").await;
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
