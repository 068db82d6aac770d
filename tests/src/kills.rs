//! SIGKILL soak: several writers edit one document through the real relay while it is killed
//! with SIGKILL at random (seeded) moments, again and again. After each kill, before the relay
//! restarts (so no client can hand back what it lost), the database passes `PRAGMA
//! integrity_check` and holds every change a writer saw acknowledged before the kill.
//!
//! `tandem-soak --kills N` runs N kills; the end-to-end tests run a few.

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, ensure};
use automerge::Automerge;
use rand::{Rng, SeedableRng, rngs::StdRng};
use tandem_client::Client;
use tandem_sync::DocumentId;

use crate::Relay;
use crate::faults::{add_note, notes, notes_doc};

/// What a soak did.
#[derive(Debug, Default)]
pub struct KillReport {
    pub kills: u64,
    pub writers: usize,
    /// Edits made, and those acknowledged before some kill and found in the database after it.
    pub edits: usize,
    pub acknowledged_checked: usize,
}

impl std::fmt::Display for KillReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} SIGKILLs under {} writers: integrity_check ok after each; {} edits, the last acknowledgement \
             before each kill checked in the database ({} acknowledged edits in all), 0 missing",
            self.kills, self.writers, self.edits, self.acknowledged_checked
        )
    }
}

/// The document's chunks as the killed relay left them in its database, loaded as the engine
/// loads them (snapshots, then incremental chunks), after checking the database's integrity.
fn stored_notes(data_dir: &Path, id: DocumentId) -> anyhow::Result<Vec<String>> {
    let db = rusqlite::Connection::open(data_dir.join("tandem.sqlite3"))?;
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    ensure!(integrity == "ok", "PRAGMA integrity_check after a SIGKILL: {integrity}");
    let prefix = format!("{id}/");
    let mut rows: Vec<(String, Vec<u8>)> = db
        .prepare("SELECT key, data FROM chunks WHERE substr(key, 1, length(?1)) = ?1")?
        .query_map([&prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|(key, _)| (!key.starts_with(&format!("{prefix}snapshot/")), key.clone()));
    let mut doc = Automerge::new();
    for (key, bytes) in rows {
        doc.load_incremental(&bytes).with_context(|| format!("chunk {key} does not load"))?;
    }
    Ok(notes(Some(&doc)))
}

/// Runs `kills` SIGKILLs of a relay under `writers` concurrent writers; the moments are drawn
/// from `seed`. `each` hears about every kill (its number, the edits acknowledged before it).
pub async fn run_kills(
    kills: u64,
    writers: usize,
    seed: u64,
    mut each: impl FnMut(u64, usize),
) -> anyhow::Result<KillReport> {
    let data = tempfile::tempdir()?;
    let mut relay = Relay::start(data.path(), &[])?;
    let token = crate::test_person_token(data.path(), "kills@test.example")?;
    let url = relay.sync_url_for(&token);
    let clients: Vec<Client> = (0..writers).map(|_| Client::start(url.clone())).collect();
    let id = clients[0].create(notes_doc()).await?;
    clients[0].synced(id).await?;
    for client in &clients[1..] {
        ensure!(client.open(id).await?, "a writer could not open the document");
    }

    // Each writer appends, then waits for the relay's acknowledgement, and notes what it covered.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (w, client) in clients.iter().cloned().enumerate() {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut made, mut acked) = (0usize, 0usize);
            while !stop.load(Ordering::Relaxed) {
                let text = format!("writer {w} edit {made}");
                client.change(id, move |d| add_note(d, &text)).await?;
                made += 1;
                // Several edits per acknowledgement, as typing goes.
                if made % 3 == 0 {
                    client.synced(id).await?;
                    let covered = (acked..made).map(|i| format!("writer {w} edit {i}"));
                    acknowledged.lock().expect("not poisoned").extend(covered);
                    acked = made;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(made)
        }));
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = KillReport { writers, ..KillReport::default() };
    for kill in 1..=kills {
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..1_500))).await;
        let before: Vec<String> = acknowledged.lock().expect("not poisoned").clone();
        let (restarted, stored) = relay.kill_then_restart(|dir| stored_notes(dir, id))?;
        relay = restarted;
        let stored = stored.with_context(|| format!("after kill {kill}"))?;
        let missing: Vec<&String> = before.iter().filter(|n| !stored.contains(n)).collect();
        ensure!(missing.is_empty(), "kill {kill}: {} acknowledged edits missing: {missing:?}", missing.len());
        report.kills = kill;
        report.acknowledged_checked = before.len();
        each(kill, before.len());
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        report.edits += task.await??;
    }
    // Afterwards every edit reaches the relay, and the database holds them all.
    for client in &clients {
        tokio::time::timeout(Duration::from_secs(60), client.synced(id))
            .await
            .context("a writer never synced")??;
    }
    let (relay, stored) = relay.kill_then_restart(|dir| stored_notes(dir, id))?;
    let stored = stored?;
    ensure!(stored.len() == report.edits, "{} edits made, {} in the database", report.edits, stored.len());
    relay.stop()?;
    Ok(report)
}
