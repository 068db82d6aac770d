//! The relay as an operator sees it: it starts, answers its health check, and stops cleanly.

use tandem_tests::Relay;

/// A minimal HTTP/1.1 GET over a TCP socket: status code and body.
fn get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn the_relay_starts_answers_its_health_check_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let (status, body) = get(&format!("{}/healthz", relay.http_url()));
    assert_eq!((status, body.trim()), (200, "ok"));
    let exit = relay.stop().unwrap();
    assert!(exit.success(), "the relay exited with {exit}");
    assert!(data.path().join("tandem.sqlite3").is_file());
}

#[test]
fn without_a_built_web_app_the_relay_says_how_to_build_it() {
    let data = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &["--web-dir", empty.path().to_str().unwrap()]).unwrap();
    let (status, body) = get(&format!("{}/", relay.http_url()));
    assert_eq!(status, 503);
    assert!(body.contains("cargo xtask serve"), "{body}");
}

#[test]
fn a_second_relay_on_a_taken_port_fails_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let output = std::process::Command::new(tandem_tests::tandem_binary())
        .args(["serve", "--addr", &relay.addr().to_string(), "--data"])
        .arg(data.path().join("second"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is another relay running there?"), "{stderr}");
}
