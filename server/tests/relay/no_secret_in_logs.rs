//! No secret in any log line at any level: a relay process at `RUST_LOG=debug` serves requests
//! and a socket carrying an access token in `?token=` and as a bearer header, and its whole
//! standard error is searched for the token.

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use tandem_sync::codec;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

const TANDEM: &str = env!("CARGO_BIN_EXE_tandem");

fn admin(data: &Path, args: &[&str]) -> String {
    let output = Command::new(TANDEM).arg("admin").arg("--data").arg(data).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_token_in_the_query_or_a_header_appears_in_no_log_line_at_debug_level() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    admin(&data, &["create-program", "--name", "P", "--id", "p"]);
    admin(
        &data,
        &["add-person", "--email", "a@x.example", "--name", "A", "--program", "p", "--role", "mentor"],
    );
    let token = admin(&data, &["token", "--person", "a@x.example"]);

    let mut relay = Command::new(TANDEM)
        .args(["serve", "--addr", "127.0.0.1:0", "--web-dir"])
        .arg(dir.path().join("web"))
        .arg("--data")
        .arg(&data)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(relay.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let addr =
        first.trim().trim_start_matches("Tandem is running at http://").trim_end_matches('/').to_owned();

    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/sync?token={token}")).await.unwrap();
    let join = codec::Message::Join {
        sender_id: "device".to_owned().into(),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap();
    assert!(matches!(answer, Some(Ok(Message::Binary(_)))), "{answer:?}");
    socket.close(None).await.unwrap();
    let mut request = format!("ws://{addr}/sync").into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.close(None).await.unwrap();
    // A refused request with the token in the query is logged too.
    let refused = format!("ws://{addr}/api/nowhere?token={token}").into_client_request().unwrap();
    assert!(tokio_tungstenite::connect_async(refused).await.is_err());

    // SIGTERM: the relay finishes and flushes its log.
    Command::new("kill").arg(relay.id().to_string()).status().unwrap();
    relay.wait().unwrap();
    let mut log = String::new();
    relay.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains("/sync"), "the requests were logged at debug level:\n{log}");
    let secret = token.trim_start_matches("tandem_");
    assert!(!log.contains(secret), "the token is in the log:\n{log}");
}
