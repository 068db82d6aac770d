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
    admin::run(AdminArgs { data: data.to_owned(), command }, &mut out).unwrap();
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
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
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
