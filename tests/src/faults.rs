//! Faults between real clients and the real relay: a TCP proxy that reads the WebSocket frames
//! passing through it and, by a seeded schedule, cuts the connection at a random byte,
//! duplicates frames, reorders them within a window, delays them (up to 2 s) and stalls. A
//! schedule run ([`run_schedule`]) has two native clients edit one document through the proxy
//! while it does so, then stops the faults and checks that everything converged, that the relay
//! has every edit its clients saw acknowledged, and that the frames per edit stayed bounded (no
//! sync storm), then that the network goes quiet.
//!
//! `tandem-soak --schedules N` runs many schedules; the end-to-end tests run a few.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use automerge::{Automerge, ObjType, ROOT, ReadDoc, transaction::Transactable};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use tandem_client::Client;
use tandem_sync::DocumentId;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::mpsc,
};

/// Edits each of the two clients makes per schedule.
pub const EDITS_PER_CLIENT: usize = 8;
/// The most WebSocket data frames (both directions, all connections, retries included) a
/// schedule may take per edit. Cuts and duplicates cost resyncs of a few frames each; the
/// soak's 100 schedules (seeds 1-100) measured 2.2 to 5.4 per edit. Far above that is a storm.
pub const MAX_FRAMES_PER_EDIT: f64 = 30.0;
/// How long converging may take once the faults stop.
const CONVERGE_WITHIN: Duration = Duration::from_secs(60);
/// The longest a frame is delayed.
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// What the proxy does to one connection, drawn from the schedule's seed.
#[derive(Clone, Debug)]
struct Plan {
    /// Cut after this many bytes (both directions together), if at all.
    cut_after: Option<u64>,
    /// Chance that a data frame is sent twice.
    duplicate: f64,
    /// Data frames held and shuffled before release (1: in order).
    window: usize,
    /// Chance that a frame is delayed, and by up to how long.
    delay: f64,
    max_delay: Duration,
    /// Once this many bytes have passed, stop forwarding for a while (the socket stays open).
    stall: Option<(u64, Duration)>,
}

impl Plan {
    fn draw(rng: &mut StdRng) -> Self {
        // Each fault is in some schedules and not in others, so that each is also seen alone.
        let mut on = |p: f64| rng.random_bool(p);
        let (cut, dup, reorder, delay, stall) = (on(0.5), on(0.5), on(0.5), on(0.5), on(0.3));
        Plan {
            cut_after: cut.then(|| rng.random_range(50..20_000)),
            duplicate: if dup { rng.random_range(0.05..0.4) } else { 0.0 },
            window: if reorder { rng.random_range(2..=4) } else { 1 },
            delay: if delay { rng.random_range(0.05..0.3) } else { 0.0 },
            max_delay: Duration::from_millis(rng.random_range(100..=MAX_DELAY.as_millis() as u64)),
            stall: stall
                .then(|| (rng.random_range(0..10_000), Duration::from_millis(rng.random_range(500..3_000)))),
        }
    }
}

/// What the proxy did, over all connections of a schedule.
#[derive(Debug, Default)]
pub struct Counters {
    pub connections: AtomicU64,
    pub data_frames: AtomicU64,
    pub cuts: AtomicU64,
    pub duplicates: AtomicU64,
    pub reordered: AtomicU64,
    pub delayed: AtomicU64,
    pub stalls: AtomicU64,
}

/// The faulty proxy in front of a relay.
#[derive(Clone, Debug)]
pub struct FaultProxy {
    active: Arc<AtomicBool>,
    pub counters: Arc<Counters>,
    addr: SocketAddr,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`; connection `n` gets the plan
    /// drawn from `seed` and `n`.
    pub async fn start(upstream: SocketAddr, seed: u64) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = FaultProxy {
            active: Arc::new(AtomicBool::new(true)),
            counters: Arc::new(Counters::default()),
            addr: listener.local_addr()?,
        };
        let this = proxy.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while let Ok((client, _)) = listener.accept().await {
                n += 1;
                let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(n));
                let plan = Plan::draw(&mut rng);
                let this = this.clone();
                this.counters.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move { this.carry(client, upstream, plan, rng).await });
            }
        });
        Ok(proxy)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, frames pass untouched (those held are released).
    pub fn stop_faults(&self) {
        self.active.store(false, Ordering::Relaxed);
    }

    async fn carry(self, client: TcpStream, upstream: SocketAddr, plan: Plan, mut rng: StdRng) {
        let Ok(server) = TcpStream::connect(upstream).await else { return };
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let bytes = Arc::new(AtomicU64::new(0));
        let up_rng = StdRng::seed_from_u64(rng.random());
        let down_rng = StdRng::seed_from_u64(rng.random());
        let up = self.direction(client_read, server_write, plan.clone(), up_rng, bytes.clone());
        let down = self.direction(server_read, client_write, plan, down_rng, bytes);
        // Either direction ending (a cut, a close) drops both sockets.
        tokio::select! {
            () = up => {},
            () = down => {},
        }
    }

    /// One direction: a reader that splits the stream into the HTTP upgrade and then WebSocket
    /// frames, duplicating and reordering data frames; a writer that delays, stalls and cuts.
    async fn direction(
        &self,
        from: OwnedReadHalf,
        to: OwnedWriteHalf,
        plan: Plan,
        rng: StdRng,
        bytes: Arc<AtomicU64>,
    ) {
        let (sender, receiver) = mpsc::unbounded_channel::<Vec<u8>>();
        let reader = self.read_frames(from, sender, plan.clone(), rng.clone());
        let writer = self.write_frames(to, receiver, plan, rng, bytes);
        tokio::select! {
            () = reader => {},
            () = writer => {},
        }
    }

    async fn read_frames(
        &self,
        mut from: OwnedReadHalf,
        out: mpsc::UnboundedSender<Vec<u8>>,
        plan: Plan,
        mut rng: StdRng,
    ) {
        let mut buffer: Vec<u8> = Vec::new();
        let mut upgraded = false;
        let mut window: Vec<Vec<u8>> = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        let release = |window: &mut Vec<Vec<u8>>, rng: &mut StdRng| -> bool {
            if window.len() > 1 {
                let before = window.clone();
                window.shuffle(rng);
                if *window != before {
                    self.counters.reordered.fetch_add(1, Ordering::Relaxed);
                }
            }
            window.drain(..).all(|f| out.send(f).is_ok())
        };
        loop {
            // Held frames go out when nothing more arrives for a moment, so a window never
            // holds the last frame of an exchange forever.
            let read = tokio::time::timeout(Duration::from_millis(50), from.read(&mut chunk)).await;
            let n = match read {
                Err(_) => {
                    if !release(&mut window, &mut rng) {
                        return;
                    }
                    continue;
                }
                Ok(Ok(0) | Err(_)) => {
                    release(&mut window, &mut rng);
                    return;
                }
                Ok(Ok(n)) => n,
            };
            buffer.extend_from_slice(&chunk[..n]);
            if !upgraded {
                // The HTTP upgrade passes as it is (cuts may still land inside it).
                let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                let head: Vec<u8> = buffer.drain(..end + 4).collect();
                if out.send(head).is_err() {
                    return;
                }
                upgraded = true;
            }
            while let Some(len) = frame_len(&buffer) {
                let frame: Vec<u8> = buffer.drain(..len).collect();
                // Only whole binary data frames are duplicated or reordered; control frames
                // (ping, pong, close) and fragments keep their place.
                let data = frame[0] == 0x82;
                let active = self.active.load(Ordering::Relaxed);
                if data {
                    self.counters.data_frames.fetch_add(1, Ordering::Relaxed);
                }
                if !data || !active {
                    if !release(&mut window, &mut rng) || out.send(frame).is_err() {
                        return;
                    }
                    continue;
                }
                if rng.random_bool(plan.duplicate) {
                    self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
                    window.push(frame.clone());
                }
                window.push(frame);
                if window.len() >= plan.window && !release(&mut window, &mut rng) {
                    return;
                }
            }
        }
    }

    async fn write_frames(
        &self,
        mut to: OwnedWriteHalf,
        mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
        plan: Plan,
        mut rng: StdRng,
        bytes: Arc<AtomicU64>,
    ) {
        let mut stalled = false;
        while let Some(frame) = frames.recv().await {
            let active = self.active.load(Ordering::Relaxed);
            let passed = bytes.load(Ordering::Relaxed);
            if active {
                if let Some((at, pause)) = plan.stall
                    && !stalled
                    && passed >= at
                {
                    stalled = true;
                    self.counters.stalls.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                }
                if rng.random_bool(plan.delay) {
                    self.counters.delayed.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(plan.max_delay.mul_f64(rng.random_range(0.0..=1.0))).await;
                }
                if let Some(cut) = plan.cut_after
                    && passed + frame.len() as u64 >= cut
                {
                    let keep = cut.saturating_sub(passed) as usize;
                    let _ = to.write_all(&frame[..keep.min(frame.len())]).await;
                    self.counters.cuts.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            bytes.fetch_add(frame.len() as u64, Ordering::Relaxed);
            if to.write_all(&frame).await.is_err() {
                return;
            }
        }
    }
}

/// The length of the WebSocket frame at the start of `buffer`, once all of it is there.
fn frame_len(buffer: &[u8]) -> Option<usize> {
    let second = *buffer.get(1)?;
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let (header, payload) = match second & 0x7f {
        126 => (4, u64::from(u16::from_be_bytes(buffer.get(2..4)?.try_into().ok()?))),
        127 => (10, u64::from_be_bytes(buffer.get(2..10)?.try_into().ok()?)),
        n => (2, u64::from(n)),
    };
    let total = header + mask + usize::try_from(payload).ok()?;
    (buffer.len() >= total).then_some(total)
}

/// A new document with an empty `notes` list, made once by its creator.
pub fn notes_doc() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, "notes", ObjType::List).expect("a list on the root");
    tx.commit();
    doc
}

/// Appends `text` to the notes in one commit.
pub fn add_note(doc: &mut Automerge, text: &str) {
    let mut tx = doc.transaction();
    let (_, notes) = tx.get(ROOT, "notes").expect("readable").expect("genesis made the notes list");
    let len = tx.length(&notes);
    tx.insert(&notes, len, text).expect("an insert at the end");
    tx.commit();
}

/// The notes, in list order (none when the document is missing or has no list yet).
pub fn notes(doc: Option<&Automerge>) -> Vec<String> {
    let Some(doc) = doc else { return Vec::new() };
    let Ok(Some((_, list))) = doc.get(ROOT, "notes") else { return Vec::new() };
    (0..doc.length(&list)).filter_map(|i| doc.get(&list, i).ok().flatten()?.0.into_string().ok()).collect()
}

/// What one schedule did and how it ended.
#[derive(Debug)]
pub struct ScheduleReport {
    pub seed: u64,
    pub connections: u64,
    pub cuts: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub delayed: u64,
    pub stalls: u64,
    pub data_frames: u64,
    pub frames_per_edit: f64,
    pub took: Duration,
}

impl std::fmt::Display for ScheduleReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "schedule {:>4}: converged in {:>5.1} s; {} connections, {} cut, {} duplicated, {} reordered windows, \
             {} delayed, {} stalls; {} frames, {:.1} per edit",
            self.seed,
            self.took.as_secs_f64(),
            self.connections,
            self.cuts,
            self.duplicates,
            self.reordered,
            self.delayed,
            self.stalls,
            self.data_frames,
            self.frames_per_edit
        )
    }
}

async fn within<T>(what: &str, limit: Duration, future: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(limit, future)
        .await
        .with_context(|| format!("timed out after {limit:?} waiting for {what}"))
}

async fn note_list(client: &Client, id: DocumentId) -> anyhow::Result<Vec<String>> {
    Ok(client.read(id, notes).await?)
}

/// Runs one seeded schedule against the relay at `relay` (its `/sync` reached with `token`):
/// two clients through a [`FaultProxy`] create and edit one document while the faults last,
/// then the faults stop and everything must converge. Fails with what did not hold.
pub async fn run_schedule(relay: SocketAddr, token: &str, seed: u64) -> anyhow::Result<ScheduleReport> {
    let started = Instant::now();
    let proxy = FaultProxy::start(relay, seed).await?;
    let url = format!("ws://{}/sync?token={token}", proxy.addr());
    let mentor = Client::start(url.clone());
    let associate = Client::start(url);
    let mut rng = StdRng::seed_from_u64(seed);
    let patience = CONVERGE_WITHIN;

    let id = mentor.create(notes_doc()).await?;
    within("the relay to store the new document through the faults", patience, mentor.synced(id)).await??;
    ensure!(
        within("the associate to open it", patience, associate.open(id)).await??,
        "the relay lost document {id}"
    );

    // Both edit at typing pace; halfway, each waits for the relay's acknowledgement, and what it
    // acknowledged is noted.
    let pauses: Vec<u64> = (0..2 * EDITS_PER_CLIENT).map(|_| rng.random_range(5..60)).collect();
    let edit = |client: Client, who: &'static str, pauses: Vec<u64>| async move {
        let mut acknowledged = Vec::new();
        for (i, pause) in pauses.into_iter().enumerate() {
            let text = format!("{who} {i}");
            client
                .change(id, {
                    let text = text.clone();
                    move |d| add_note(d, &text)
                })
                .await?;
            if i == EDITS_PER_CLIENT / 2 {
                within("an acknowledgement through the faults", patience, client.synced(id)).await??;
                acknowledged = (0..=i).map(|j| format!("{who} {j}")).collect();
            }
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        anyhow::Ok(acknowledged)
    };
    let (mentor_acked, associate_acked) = tokio::join!(
        edit(mentor.clone(), "mentor", pauses[..EDITS_PER_CLIENT].to_vec()),
        edit(associate.clone(), "associate", pauses[EDITS_PER_CLIENT..].to_vec()),
    );
    let acknowledged: Vec<String> = mentor_acked?.into_iter().chain(associate_acked?).collect();
    proxy.stop_faults();

    // Converged: both clients have every edit, the relay acknowledged both.
    let expected = 2 * EDITS_PER_CLIENT;
    within("both clients to converge", patience, async {
        loop {
            let (a, b) = (note_list(&mentor, id).await?, note_list(&associate, id).await?);
            if a.len() == expected && b.len() == expected {
                let (mut a, mut b) = (a, b);
                a.sort();
                b.sort();
                if a == b {
                    return anyhow::Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await??;
    within("the relay to acknowledge the mentor", patience, mentor.synced(id)).await??;
    within("the relay to acknowledge the associate", patience, associate.synced(id)).await??;
    let frames = proxy.counters.data_frames.load(Ordering::Relaxed);
    let frames_per_edit = frames as f64 / expected as f64;

    // Nothing acknowledged is lost: a fresh client straight to the relay reads every edit.
    let reader = Client::start(format!("ws://{relay}/sync?token={token}"));
    ensure!(
        within("a fresh client to open the document", patience, reader.open(id)).await??,
        "the relay lost {id}"
    );
    let stored = within("the fresh client to read every edit", patience, async {
        loop {
            let got = note_list(&reader, id).await?;
            if got.len() >= expected {
                return anyhow::Ok(got);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await??;
    let missing: Vec<&String> = acknowledged.iter().filter(|n| !stored.contains(n)).collect();
    ensure!(missing.is_empty(), "schedule {seed}: acknowledged edits missing at the relay: {missing:?}");

    // Quiet: once converged, the clients and the relay stop talking through the proxy.
    let settled = proxy.counters.data_frames.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = proxy.counters.data_frames.load(Ordering::Relaxed);
    if later != settled {
        bail!("schedule {seed}: {} frames after convergence (a sync storm)", later - settled);
    }
    ensure!(
        frames_per_edit <= MAX_FRAMES_PER_EDIT,
        "schedule {seed}: {frames_per_edit:.1} frames per edit, over {MAX_FRAMES_PER_EDIT}"
    );
    let c = &proxy.counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Ok(ScheduleReport {
        seed,
        connections: load(&c.connections),
        cuts: load(&c.cuts),
        duplicates: load(&c.duplicates),
        reordered: load(&c.reordered),
        delayed: load(&c.delayed),
        stalls: load(&c.stalls),
        data_frames: frames,
        frames_per_edit,
        took: started.elapsed(),
    })
}

/// Schedule seeds `first..first + count`, one after another, each with new clients and a new
/// document on the same relay. Stops at the first that fails.
pub async fn run_schedules(
    relay: SocketAddr,
    token: &str,
    first: u64,
    count: u64,
    mut each: impl FnMut(&ScheduleReport),
) -> anyhow::Result<Vec<ScheduleReport>> {
    let mut reports = Vec::new();
    for seed in first..first + count {
        let report =
            run_schedule(relay, token, seed).await.with_context(|| format!("fault schedule {seed}"))?;
        each(&report);
        reports.push(report);
    }
    Ok(reports)
}

/// Frames per edit over a run, worst first.
pub fn summary(reports: &[ScheduleReport]) -> String {
    let sum = |f: fn(&ScheduleReport) -> u64| reports.iter().map(f).sum::<u64>();
    let worst = reports.iter().map(|r| r.frames_per_edit).fold(0.0, f64::max);
    format!(
        "{} schedules converged: {} connections, {} cut, {} duplicated, {} reordered windows, {} delayed, {} stalls; \
         frames per edit at most {worst:.1}",
        reports.len(),
        sum(|r| r.connections),
        sum(|r| r.cuts),
        sum(|r| r.duplicates),
        sum(|r| r.reordered),
        sum(|r| r.delayed),
        sum(|r| r.stalls),
    )
}
