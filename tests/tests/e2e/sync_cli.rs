//! `tandem sync` against the real relay process: what a script sees when it edits a document's
//! structure wrongly. (Its exchanges with the JavaScript automerge-repo are in tests/js.)

use std::process::{Command, Output};

use tandem_tests::{Relay, tandem_binary, test_person_token};

/// Runs `tandem sync --relay <relay> --token <token> <args>`.
fn tandem_sync(relay: &Relay, token: &str, args: &[&str]) -> Output {
    Command::new(tandem_binary())
        .args(["sync", "--relay", &relay.sync_url(), "--token", token, "--timeout-secs", "20"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("cannot start `tandem sync`")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "tandem sync failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn appending_to_a_list_the_document_lacks_fails_clearly_and_creates_no_list() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = test_person_token(data.path(), "script@test.example").unwrap();
    let url =
        stdout(&tandem_sync(&relay, &token, &["create", "--json", r#"{"title": "Wait time", "notes": []}"#]));

    let refused = tandem_sync(&relay, &token, &["append", &url, "--list", "questions", "--text", "why?"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("has no list `questions`"), "{stderr}");
    assert!(stderr.contains("never create one"), "{stderr}");

    stdout(&tandem_sync(&relay, &token, &["append", &url, "--list", "notes", "--text", "calm start"]));
    let shown: serde_json::Value =
        serde_json::from_str(&stdout(&tandem_sync(&relay, &token, &["show", &url]))).unwrap();
    assert_eq!(shown, serde_json::json!({ "title": "Wait time", "notes": ["calm start"] }));
}
