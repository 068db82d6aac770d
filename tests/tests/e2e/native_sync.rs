//! Native clients (the tandem-sync engine over real WebSockets) syncing through the real relay
//! process: offline edits, late joiners, restarts and crashes.

use std::time::Duration;

use tandem_client::Client;
use tandem_tests::{Relay, test_person_token};

use crate::notes::{add_note, notes, notes_doc};

/// How long any one wait may take before the test fails (generous: CI machines are shared).
const PATIENCE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

async fn wait_for_notes(client: &Client, id: tandem_sync::DocumentId, count: usize) -> Vec<String> {
    within("notes to arrive", async {
        loop {
            let got = client.read(id, |doc| doc.map(notes)).await.unwrap();
            if let Some(got) = got
                && got.len() >= count
            {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_edit_offline_then_reconnect_and_both_keep_everything() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    // One person on several devices: the documents are theirs (claimed on first sync).
    let token = test_person_token(data.path(), "mentor@test.example").unwrap();
    let mentor = Client::start(relay.sync_url_for(&token));
    let associate = Client::start(relay.sync_url_for(&token));

    let id = mentor.create(notes_doc()).await.unwrap();
    within("the relay to store the new document", mentor.synced(id)).await.unwrap();
    assert!(within("the associate to fetch it", associate.open(id)).await.unwrap());

    mentor.go_offline().unwrap();
    associate.go_offline().unwrap();
    for i in 0..5 {
        mentor.change(id, move |d| add_note(d, &format!("mentor {i}"))).await.unwrap();
        associate.change(id, move |d| add_note(d, &format!("associate {i}"))).await.unwrap();
    }
    mentor.go_online().unwrap();
    associate.go_online().unwrap();

    let on_mentor = wait_for_notes(&mentor, id, 10).await;
    let on_associate = wait_for_notes(&associate, id, 10).await;
    assert_eq!(on_mentor, on_associate, "both devices show the same merged list");
    let expected: Vec<String> =
        (0..5).flat_map(|i| [format!("mentor {i}"), format!("associate {i}")]).collect();
    assert_eq!(sorted(on_mentor), sorted(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_joins_late_receives_everything_and_the_relay_keeps_it_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    // One person on several devices: the documents are theirs (claimed on first sync).
    let token = test_person_token(data.path(), "mentor@test.example").unwrap();
    let mentor = Client::start(relay.sync_url_for(&token));
    let id = mentor.create(notes_doc()).await.unwrap();
    for i in 0..20 {
        mentor.change(id, move |d| add_note(d, &format!("note {i}"))).await.unwrap();
    }
    within("the relay to acknowledge", mentor.synced(id)).await.unwrap();

    let status = relay.stop().unwrap();
    assert!(status.success(), "{status}");
    let relay = Relay::start(data.path(), &[]).unwrap();
    // One person on several devices: the documents are theirs (claimed on first sync).
    let token = test_person_token(data.path(), "mentor@test.example").unwrap();
    let late = Client::start(relay.sync_url_for(&token));
    assert!(within("the late device to open it", late.open(id)).await.unwrap());
    let got = wait_for_notes(&late, id, 20).await;
    assert_eq!(got, (0..20).map(|i| format!("note {i}")).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_the_relay_acknowledged_survives_a_sigkill_in_the_middle_of_a_burst() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    // One person on several devices: the documents are theirs (claimed on first sync).
    let token = test_person_token(data.path(), "mentor@test.example").unwrap();
    let mentor = Client::start(relay.sync_url_for(&token));
    let id = mentor.create(notes_doc()).await.unwrap();
    within("the relay to store the document", mentor.synced(id)).await.unwrap();

    // Edit as fast as acknowledgements come back, and kill the relay partway through.
    let (acknowledged_tx, acknowledged) = tokio::sync::watch::channel(0usize);
    let burst = tokio::spawn({
        let mentor = mentor.clone();
        async move {
            for i in 1..=10_000usize {
                mentor.change(id, move |d| add_note(d, &format!("note {i}"))).await.unwrap();
                if tokio::time::timeout(Duration::from_secs(5), mentor.synced(id)).await.is_err() {
                    break; // the relay is gone: this change was never acknowledged
                }
                acknowledged_tx.send_replace(i);
            }
        }
    });
    let mut watch = acknowledged.clone();
    within("some acknowledged edits", watch.wait_for(|n| *n >= 40)).await.unwrap();
    let relay = relay.crash_and_restart().unwrap();
    let acknowledged_before_crash = *acknowledged.borrow();
    mentor.go_offline().unwrap();
    burst.abort();

    let after = Client::start(relay.sync_url_for(&token));
    assert!(within("the document after the crash", after.open(id)).await.unwrap());
    let got = wait_for_notes(&after, id, acknowledged_before_crash).await;
    for i in 1..=acknowledged_before_crash {
        assert_eq!(got[i - 1], format!("note {i}"), "acknowledged note {i} was lost");
    }
}
