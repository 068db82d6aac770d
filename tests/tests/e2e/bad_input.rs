//! Bad input against the real relay: wrong and expired tokens, forged peer ids, claims for a pair
//! the person is not in, oversized and malformed requests, brute-forced sign-in. Each gets a clear
//! answer and changes nothing.

use futures_util::{SinkExt, StreamExt};
use tandem_sync::{DocumentId, PeerId, codec};
use tandem_tests::admin;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::access::{Mentor, Outsider, PAIR_1, PRIVATE, World, add_note, notes, wait_for_note};
use crate::http::json_field;

/// The status the relay answers a WebSocket upgrade of `/sync` with (101 when it upgraded).
async fn upgrade_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains("sign in first"), "a clear answer: {body}");
            response.status().as_u16()
        }
        Err(other) => panic!("unexpected failure: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_a_valid_token_is_refused_before_the_upgrade() {
    let world = World::new();
    let relay = &world.relay;
    assert_eq!(upgrade_status(&relay.sync_url()).await, 401, "no credentials");
    assert_eq!(upgrade_status(&relay.sync_url_for("tandem_0000")).await, 401, "a wrong token");
    let expired = admin(
        world._data.path(),
        &["token", "--person", "mentor@test.example", "--valid-for-secs", "0"],
        None,
    )
    .unwrap();
    assert_eq!(upgrade_status(&relay.sync_url_for(&expired)).await, 401, "an expired token");
    let mut request = relay.sync_url().into_client_request().unwrap();
    request.headers_mut().insert("Cookie", "tandem_session=forged".parse().unwrap());
    assert!(
        matches!(tokio_tungstenite::connect_async(request).await, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401)
    );
    assert_eq!(upgrade_status(&relay.sync_url_for(world.token(Mentor))).await, 101, "the right token");
    let (status, body) = world.http.request("GET", "/api/me", Some("tandem_wrong"), None);
    assert_eq!(status, 401);
    assert!(json_field(&body, "error").unwrap().contains("sign in first"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_peer_id_gets_nothing_of_the_person_it_imitates() {
    let world = World::new();
    let (mentor, draft) = world.create(Mentor, PRIVATE).await;
    mentor.change(draft, |d| add_note(d, "private")).await.unwrap();
    // The outsider's socket announces the mentor's peer id and asks for the mentor's draft.
    let (mut socket, _) =
        tokio_tungstenite::connect_async(world.relay.sync_url_for(world.token(Outsider))).await.unwrap();
    let forged = PeerId::from("mentor-device".to_owned());
    let join = codec::Message::Join {
        sender_id: forged.clone(),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    let peer = next_message(&mut socket).await;
    assert!(matches!(peer, codec::Message::Peer { .. }), "{peer:?}");
    let mut empty = automerge::sync::State::new();
    use automerge::sync::SyncDoc;
    let data = automerge::Automerge::new().generate_sync_message(&mut empty).unwrap().encode();
    let target = match peer {
        codec::Message::Peer { sender_id, .. } => sender_id,
        _ => unreachable!(),
    };
    let request = codec::Message::Request { sender_id: forged, target_id: target, document_id: draft, data };
    socket.send(Message::Binary(codec::encode(&request).into())).await.unwrap();
    let answer = next_message(&mut socket).await;
    assert!(
        matches!(answer, codec::Message::DocUnavailable { document_id, .. } if document_id == draft),
        "answered exactly like a missing document: {answer:?}"
    );
}

async fn next_message<S>(socket: &mut S) -> codec::Message
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next()).await.unwrap();
        if let Some(Ok(Message::Binary(bytes))) = frame {
            return codec::decode(&bytes).unwrap();
        }
        assert!(matches!(frame, Some(Ok(_))), "the connection ended: {frame:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_for_a_pair_the_person_is_not_in_is_refused_and_records_nothing() {
    let world = World::new();
    let outsider = world.client(Outsider);
    let id = outsider.create(crate::access::notes_doc()).await.unwrap();
    outsider.synced(id).await.unwrap();
    let (status, body) = world.claim(Outsider, id, PAIR_1);
    assert_eq!(status, 403, "{body}");
    assert!(json_field(&body, "error").unwrap().contains("not in the pair"), "{body}");
    // Still the outsider's own (provisional) document; pair-1's mentor cannot see it.
    let mentor = world.client(Mentor);
    assert!(!mentor.open(id).await.unwrap());
    // Someone else's documents cannot be re-claimed either.
    let (_, theirs) = world.create(Mentor, PRIVATE).await;
    let (status, body) = world.claim(Outsider, theirs, PRIVATE);
    assert_eq!(status, 409, "{body}");
    let (status, body) = world.claim(Mentor, DocumentId::from_bytes([1; 16]), r#"{"kind": "pair"}"#);
    assert_eq!(status, 400, "a pair audience needs a pair_id: {body}");
    let (status, body) = world.http.request(
        "POST",
        "/api/documents",
        Some(world.token(Mentor)),
        Some(r#"{"id": "nope", "audience": {"kind": "private"}}"#),
    );
    assert_eq!(status, 400, "{body}");
    assert!(json_field(&body, "error").unwrap().contains("not an automerge document id"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_requests_get_clear_json_errors() {
    let world = World::new();
    let token = Some(world.token(Mentor));
    // The program document its first coordinator got is listed already; nothing else may be.
    let before = world.http.request("GET", "/api/documents", token, None).1;
    assert_eq!(before.matches(r#""kind":"program""#).count(), 1, "{before}");
    let huge = format!(r#"{{"id": "{}", "audience": {{"kind": "private"}}}}"#, "x".repeat(200_000));
    let (status, body) = world.http.request("POST", "/api/documents", token, Some(&huge));
    assert_eq!(status, 413, "{body}");
    assert!(json_field(&body, "error").unwrap().contains("larger than"), "{body}");
    for malformed in ["{", "[]", r#"{"id": 5}"#, ""] {
        let (status, body) = world.http.request("POST", "/api/documents", token, Some(malformed));
        assert_eq!(status, 400, "{malformed:?}: {body}");
        assert!(json_field(&body, "error").is_some(), "{body}");
    }
    let (status, body) = world.http.request(
        "POST",
        "/api/programs/prog/people",
        token,
        Some(r#"{"email": "x@y.z", "name": "X", "role": "mentor"}"#),
    );
    assert_eq!(status, 403, "only coordinators add people: {body}");
    let (status, _) = world.http.request("GET", "/api/programs/none", token, None);
    assert_eq!(status, 404);
    let (status, body) = world.http.request("GET", "/api/nothing-here", token, None);
    assert_eq!(status, 404, "{body}");
    let listed = world.http.request("GET", "/api/documents", token, None).1;
    assert_eq!(listed, before, "nothing was claimed by any of it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_sign_ins_from_one_address_are_delayed_even_for_the_right_password() {
    let world = World::new();
    for _ in 0..5 {
        let (status, body, cookie) = world.http.sign_in("coord@test.example", "wrong guess!!");
        assert_eq!(status, 401, "{body}");
        assert!(cookie.is_empty());
    }
    let answer = world.http.send(
        "POST",
        "/api/session",
        &[],
        Some(br#"{"email": "coord@test.example", "password": "coordinator password"}"#),
    );
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(answer.header("retry-after").is_some());
    assert!(json_field(&answer.body, "error").unwrap().contains("too many failed sign-ins"));
    assert!(answer.header("set-cookie").is_none(), "no session while delayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_signs_in_syncs_and_ends_with_logout_or_a_password_change() {
    let world = World::new();
    let (status, body, cookie) = world.http.sign_in("coord@test.example", "coordinator password");
    assert_eq!(status, 200, "{body}");
    let answer = world.http.send(
        "POST",
        "/api/session",
        &[],
        Some(br#"{"email": "coord@test.example", "password": "coordinator password"}"#),
    );
    let set_cookie = answer.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let other = set_cookie.split(';').next().unwrap().to_owned();
    let (status, me) = world.http.request_with_cookie("GET", "/api/me", &cookie, None);
    assert_eq!(status, 200);
    assert_eq!(json_field(&me, "email").as_deref(), Some("coord@test.example"));
    let mut request = world.relay.sync_url().into_client_request().unwrap();
    request.headers_mut().insert("Cookie", cookie.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok(), "the cookie opens /sync");

    let change = r#"{"current": "wrong one!!", "new": "a new password"}"#;
    assert_eq!(world.http.request_with_cookie("PUT", "/api/me/password", &cookie, Some(change)).0, 403);
    let change = r#"{"current": "coordinator password", "new": "a new password"}"#;
    assert_eq!(world.http.request_with_cookie("PUT", "/api/me/password", &cookie, Some(change)).0, 204);
    assert_eq!(world.http.request_with_cookie("GET", "/api/me", &other, None).0, 401, "other sessions ended");
    assert_eq!(world.http.request_with_cookie("GET", "/api/me", &cookie, None).0, 200, "this one stays");
    assert_eq!(world.http.request_with_cookie("DELETE", "/api/session", &cookie, None).0, 204);
    assert_eq!(world.http.request_with_cookie("GET", "/api/me", &cookie, None).0, 401, "logged out");
    assert_eq!(world.http.sign_in("coord@test.example", "a new password").0, 200);
    let _ = (notes, wait_for_note);
}
