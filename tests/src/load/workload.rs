//! The load: pairs of native clients editing shared documents at a fixed total rate.
//!
//! Clients `2i` and `2i + 1` form pair `i` and share its documents (with two relays, `2i` syncs
//! through the first and `2i + 1` through the second, so every measured edit crosses relays); the first creates them (their
//! genesis: an empty `notes` list), the second opens them. Each document then receives `edits`
//! edits, alternately by the two clients. An edit appends a small timestamped item to `notes` and
//! sets the author's own counter (`n0` or `n1`, written by that author only) to how many edits it
//! has made on the document, so the other client can tell cheaply how many have arrived.
//!
//! The load is open-loop: edit `j` is due at `start + j / rate`, whether or not the system kept
//! up, and its latency is measured from that due time, so a relay (or client) that falls behind
//! shows it in the latencies instead of silently slowing the load down.
//!
//! Arrival is observed without a change notification from [`Client`]: each client's observer
//! polls only the documents with edits still in flight, by reading the author's counter. A
//! document is first polled 1 ms after its edit is due, then every 1/16 of the oldest in-flight
//! edit's age (at least 1 ms, at most 50 ms). That keeps the measuring error within about 1 ms
//! or 6%, and the cost bounded: a healthy run polls a handful of documents per edit, and an
//! overloaded one does not drown the clients in reads.

use std::{
    collections::{BTreeSet, VecDeque},
    time::{Duration, Instant},
};

use anyhow::Context;
use automerge::{Automerge, ROOT, ReadDoc};
use tandem_client::{Client, Traffic};
use tandem_core::raw;
use tandem_sync::{DocumentId, runtime::optional};
use tokio::{sync::mpsc, task::JoinSet};

use super::{
    postgres::{self, Counts, Probe},
    proc_stats::Usage,
    relay_metrics,
    stats::Summary,
};

/// The first poll of a document comes this long after its edit was due.
const FIRST_POLL: Duration = Duration::from_millis(1);
/// Polls of a document are at least this far apart...
const MIN_POLL: Duration = Duration::from_millis(1);
/// ...and at most this far.
const MAX_POLL: Duration = Duration::from_millis(50);
/// A poll follows the previous one after this fraction of the oldest in-flight edit's age.
const POLL_AGE_DIVISOR: u32 = 16;
/// Each author's edit counter, indexed by its place in the pair.
const COUNTERS: [&str; 2] = ["n0", "n1"];

/// What load to apply.
#[derive(Debug, Clone)]
pub struct Spec {
    /// An even number of clients; each pair shares `docs` documents.
    pub clients: usize,
    pub docs: usize,
    /// Edits per document, alternately by the two clients of its pair.
    pub edits: usize,
    /// Edits per second over all documents.
    pub rate: f64,
    /// A run that has not converged this long after it started has failed.
    pub max_time: Duration,
}

impl Spec {
    pub fn pairs(&self) -> usize {
        self.clients / 2
    }

    pub fn total_edits(&self) -> usize {
        self.pairs() * self.docs * self.edits
    }

    /// Where edit `j` of the schedule goes: the pair, the document within the pair, the author
    /// (0: the pair's first client, 1: its second) and the author's count of edits on that
    /// document once this one is made. Consecutive edits go to different documents, so every
    /// document is edited at the same pace.
    pub fn slot(&self, j: usize) -> Slot {
        let documents = self.pairs() * self.docs;
        let (round, document) = (j / documents, j % documents);
        let author = round % 2;
        Slot {
            pair: document % self.pairs(),
            doc: document / self.pairs(),
            author,
            count: (round / 2 + 1) as u64,
        }
    }
}

/// One edit's place; see [`Spec::slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub pair: usize,
    pub doc: usize,
    pub author: usize,
    pub count: u64,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every edit arrived on the other client of its pair and every pair's copies are identical.
    pub converged: bool,
    /// Why it did not converge.
    pub failure: Option<String>,
    /// Creating and opening every document, before the load.
    pub setup: Duration,
    /// From the first edit's due time to convergence (or to giving up).
    pub load_time: Duration,
    /// From the first edit's due time until the last was handed to its client.
    pub issue_time: Duration,
    pub expected: usize,
    pub arrived: usize,
    /// Edit-to-arrival latency.
    pub latency: Summary,
    /// How late edits were handed to their client (a sign of an overloaded load generator).
    pub lag: Summary,
    /// Reads the observers made to detect arrivals.
    pub polls: u64,
    /// What the clients sent and received during the load: what went through the relay.
    pub traffic: Traffic,
    /// Connections beyond each client's first.
    pub reconnects: u64,
    /// Relay processes serving the clients.
    pub relays: usize,
    /// The relay processes: peak RSS over their lives (summed), CPU ticks during the load and
    /// over their lives (summed).
    pub relay_peak_rss_kib: u64,
    pub relay_load_cpu_ticks: u64,
    pub relay_total_cpu_ticks: u64,
    /// Our relay's own latency (receiving changes to storing and answering), at bucket precision.
    pub relay_latency_p50: Option<Duration>,
    pub relay_latency_p99: Option<Duration>,
    /// This process's CPU ticks during the load (it shares the machine with the relay).
    pub generator_cpu_ticks: u64,
    /// Other relays' announcements our relays heard during the load (`tandem_announcements`).
    pub announcements_heard: u64,
    /// What the load cost PostgreSQL, for relays on PostgreSQL.
    pub database: Option<DatabaseCost>,
}

/// What the load cost PostgreSQL: see [`super::postgres`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseCost {
    pub counts: Counts,
    /// Notifications on the relays' channel, and their payloads' bytes.
    pub notifications: u64,
    pub notification_bytes: u64,
    /// CPU ticks of the server's own processes and of this database's backends.
    pub server_cpu_ticks: u64,
}

/// The relays a run goes through.
#[derive(Debug)]
pub struct Under<'a> {
    /// Their sync URLs: client `i` connects to `urls[i % urls.len()]`.
    pub urls: &'a [String],
    pub pids: &'a [u32],
    /// `host:port` of each one's `/metrics` (none for the reference server).
    pub metrics_addresses: &'a [String],
    /// Their database's probe, for relays on PostgreSQL.
    pub probe: Option<&'a mut Probe>,
}

impl Outcome {
    /// Edits that arrived per second of load.
    pub fn throughput(&self) -> f64 {
        self.arrived as f64 / self.load_time.as_secs_f64().max(1e-9)
    }

    /// The run converged with a p99 latency within `p99_bound`.
    pub fn sustained(&self, p99_bound: Duration) -> bool {
        self.converged && self.latency.p99 <= p99_bound
    }
}

/// The genesis every document starts from, made once by the pair's first client: an empty
/// `notes` list.
fn genesis() -> Automerge {
    let mut top = serde_json::Map::new();
    top.insert("notes".into(), serde_json::Value::Array(Vec::new()));
    raw::genesis(&top).expect("a fresh document takes a list")
}

/// One edit, in one change: a timestamped note appended (a plain string: the load measures sync,
/// not text), and the author's counter set.
fn edit(doc: &mut Automerge, author: usize, count: u64, due_micros: u64) -> Result<(), tandem_core::Error> {
    raw::edit(doc, |edit| {
        edit.append_scalar("notes", format!("author {author}, edit {count}, due at {due_micros} us"))?;
        edit.put_scalar(COUNTERS[author], count)
    })
}

/// How many edits `author` has made on `doc`, as far as this copy knows.
fn count_of(doc: Option<&Automerge>, author: usize) -> u64 {
    doc.and_then(|doc| doc.get(ROOT, COUNTERS[author]).ok().flatten())
        .and_then(|(value, _)| value.as_u64())
        .unwrap_or(0)
}

/// Heads and number of notes of a copy, to compare the two copies of a document.
fn fingerprint(doc: Option<&Automerge>) -> Option<(Vec<automerge::ChangeHash>, usize)> {
    let doc = doc?;
    let (_, notes) = doc.get(ROOT, "notes").ok().flatten()?;
    let mut heads = doc.get_heads();
    heads.sort();
    Some((heads, doc.length(&notes)))
}

/// An edit for a client's editor task.
#[derive(Debug)]
struct Edit {
    id: DocumentId,
    author: usize,
    count: u64,
    due: Instant,
}

/// An edit an observer should expect to arrive on document `doc` of its pair.
#[derive(Debug)]
struct Expect {
    doc: usize,
    due: Instant,
}

/// What one observer saw.
#[derive(Debug, Default)]
struct Observed {
    latencies_micros: Vec<u64>,
    polls: u64,
}

/// Runs `spec` against the relays `under`, giving up `spec.max_time` after starting.
pub async fn run(under: Under<'_>, spec: &Spec) -> anyhow::Result<Outcome> {
    let Under { urls, pids, metrics_addresses, mut probe } = under;
    anyhow::ensure!(!urls.is_empty(), "no relay to load");
    let started = Instant::now();
    let deadline = started + spec.max_time;
    let mut outcome = Outcome { expected: spec.total_edits(), relays: urls.len(), ..Outcome::default() };
    let clients: Vec<Client> = (0..spec.clients).map(|i| Client::start(&urls[i % urls.len()])).collect();

    let ids = match tokio::time::timeout_at(deadline.into(), setup(&clients, spec)).await {
        Ok(ids) => ids?,
        Err(_) => {
            outcome.failure = Some(format!("setup did not finish within {:?}", spec.max_time));
            outcome.setup = started.elapsed();
            return Ok(outcome);
        }
    };
    outcome.setup = started.elapsed();

    // Setup's writes must be in the statistics before the load's are counted.
    let database_before = match probe.as_deref_mut() {
        Some(probe) => Some(super::off_runtime(|| probe.settled_counts())?),
        None => None,
    };
    let notifications_before = probe.as_deref().map(Probe::notifications);
    let server_before = probe.as_deref().map(|probe| postgres::server_cpu_ticks(probe.database()));
    let traffic_before = total_traffic(&clients).await?;
    let metrics_before = relay_metrics_now(metrics_addresses).await?;
    let relay_before = relays_usage(pids)?;
    let generator_before = Usage::of("self")?;
    let start = Instant::now();

    // One editor task per client makes its edits in order; one observer per client watches for
    // its partner's.
    let mut editors = Vec::new();
    let mut editor_tasks = JoinSet::new();
    for client in &clients {
        let (tx, rx) = mpsc::unbounded_channel();
        editors.push(tx);
        editor_tasks.spawn(run_editor(client.clone(), rx, start));
    }
    let mut observers = Vec::new();
    let mut observer_tasks = JoinSet::new();
    for (index, client) in clients.iter().enumerate() {
        let (tx, rx) = mpsc::unbounded_channel();
        observers.push(tx);
        let partner = 1 - index % 2;
        observer_tasks.spawn(run_observer(client.clone(), ids[index / 2].clone(), partner, rx, deadline));
    }

    let total = spec.total_edits();
    for j in 0..total {
        let due = start + Duration::from_secs_f64(j as f64 / spec.rate);
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        if Instant::now() >= deadline {
            break;
        }
        let slot = spec.slot(j);
        let writer = 2 * slot.pair + slot.author;
        let reader = 2 * slot.pair + 1 - slot.author;
        let _ = observers[reader].send(Expect { doc: slot.doc, due });
        let _ = editors[writer].send(Edit {
            id: ids[slot.pair][slot.doc],
            author: slot.author,
            count: slot.count,
            due,
        });
    }
    outcome.issue_time = start.elapsed();
    drop((editors, observers));

    let mut lags = Vec::new();
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline.into(), editor_tasks.join_next()).await {
        lags.extend(joined.context("an editor task panicked")??);
    }
    editor_tasks.abort_all();
    let mut latencies = Vec::new();
    // Observers stop by themselves at the deadline.
    while let Some(joined) = observer_tasks.join_next().await {
        let observed = joined.context("an observer task panicked")??;
        latencies.extend(observed.latencies_micros);
        outcome.polls += observed.polls;
    }
    outcome.arrived = latencies.len();
    outcome.latency = Summary::of_micros(latencies);
    outcome.lag = Summary::of_micros(lags);

    if outcome.arrived < total {
        let held = edits_held(&clients, &ids).await?;
        outcome.failure = Some(format!(
            "only {} of {total} edits arrived within {:?} (the observing copies hold {held})",
            outcome.arrived, spec.max_time
        ));
    } else {
        match tokio::time::timeout_at(deadline.into(), identical_copies(&clients, &ids)).await {
            Ok(result) => {
                result?;
                outcome.converged = true;
            }
            Err(_) => outcome.failure = Some("every edit arrived but some copies still differ".into()),
        }
    }
    outcome.load_time = start.elapsed();

    let relay_after = relays_usage(pids)?;
    let generator_after = Usage::of("self")?;
    let server_after = probe.as_deref().map(|probe| postgres::server_cpu_ticks(probe.database()));
    if let Some((after, before)) = relay_metrics_now(metrics_addresses).await?.zip(metrics_before) {
        let during = relay_metrics::since(&after.latency, &before.latency);
        outcome.relay_latency_p50 = relay_metrics::percentile_bound(&during, 50.0);
        outcome.relay_latency_p99 = relay_metrics::percentile_bound(&during, 99.0);
        outcome.announcements_heard = after.announcements.saturating_sub(before.announcements);
    }
    if let (
        Some(probe),
        Some(counts_before),
        Some((heard_before, bytes_before)),
        Some(cpu_before),
        Some(cpu_after),
    ) = (probe, database_before, notifications_before, server_before, server_after)
    {
        let counts = super::off_runtime(|| probe.settled_counts())?;
        let (heard, bytes) = probe.notifications();
        outcome.database = Some(DatabaseCost {
            counts: counts.since(counts_before),
            notifications: heard - heard_before,
            notification_bytes: bytes - bytes_before,
            server_cpu_ticks: postgres::ticks_between(&cpu_before, &cpu_after),
        });
    }
    let traffic_after = total_traffic(&clients).await?;
    outcome.relay_peak_rss_kib = relay_after.peak_rss_kib;
    outcome.relay_load_cpu_ticks = relay_after.cpu_ticks - relay_before.cpu_ticks;
    outcome.relay_total_cpu_ticks = relay_after.cpu_ticks;
    outcome.generator_cpu_ticks = generator_after.cpu_ticks - generator_before.cpu_ticks;
    outcome.traffic = Traffic {
        messages_sent: traffic_after.messages_sent - traffic_before.messages_sent,
        bytes_sent: traffic_after.bytes_sent - traffic_before.bytes_sent,
        messages_received: traffic_after.messages_received - traffic_before.messages_received,
        bytes_received: traffic_after.bytes_received - traffic_before.bytes_received,
        connections: traffic_after.connections,
    };
    outcome.reconnects = traffic_after.connections.saturating_sub(spec.clients as u64);
    Ok(outcome)
}

/// Creates every pair's documents through the pair's first client, waits until the relay has
/// stored them, and opens them on the second. Returns the ids, by pair.
async fn setup(clients: &[Client], spec: &Spec) -> anyhow::Result<Vec<Vec<DocumentId>>> {
    let mut tasks = JoinSet::new();
    for pair in 0..spec.pairs() {
        for doc in 0..spec.docs {
            let (owner, partner) = (clients[2 * pair].clone(), clients[2 * pair + 1].clone());
            tasks.spawn(async move {
                let id = owner.create(genesis()).await?;
                owner.synced(id).await?;
                anyhow::ensure!(
                    partner.open(id).await?,
                    "the relay does not have document {id}, just synced"
                );
                Ok::<_, anyhow::Error>((pair, doc, id))
            });
        }
    }
    let mut ids = vec![Vec::new(); spec.pairs()];
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        found.push(joined.context("a setup task panicked")??);
    }
    found.sort_by_key(|&(pair, doc, _)| (pair, doc));
    for (pair, _, id) in found {
        ids[pair].push(id);
    }
    Ok(ids)
}

/// Makes a client's edits in the order they were scheduled; returns how late each was, in µs.
async fn run_editor(
    client: Client,
    mut edits: mpsc::UnboundedReceiver<Edit>,
    start: Instant,
) -> anyhow::Result<Vec<u64>> {
    let mut lags = Vec::new();
    while let Some(Edit { id, author, count, due }) = edits.recv().await {
        lags.push(due.elapsed().as_micros() as u64);
        let due_micros = due.duration_since(start).as_micros() as u64;
        client.change(id, move |doc| edit(doc, author, count, due_micros)).await??;
    }
    Ok(lags)
}

/// Watches `client`'s copies of its pair's documents for its partner's edits (see the module
/// docs for how), until told there are no more and all have arrived, or until `deadline`.
async fn run_observer(
    client: Client,
    ids: Vec<DocumentId>,
    partner: usize,
    mut expected: mpsc::UnboundedReceiver<Expect>,
    deadline: Instant,
) -> anyhow::Result<Observed> {
    let mut observed = Observed::default();
    let mut arrivals: Vec<Arrivals> = (0..ids.len()).map(|_| Arrivals::default()).collect();
    let mut next_poll: Vec<Option<Instant>> = vec![None; ids.len()];
    let mut polls: BTreeSet<(Instant, usize)> = BTreeSet::new();
    let mut more_expected = true;
    while more_expected || !polls.is_empty() {
        let next = polls.first().map(|&(at, _)| at);
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline.into()) => break,
            expect = expected.recv(), if more_expected => match expect {
                Some(Expect { doc, due }) => {
                    if let Some(latency) = arrivals[doc].expect(due) {
                        observed.latencies_micros.push(latency);
                    } else if next_poll[doc].is_none() {
                        let at = due + FIRST_POLL;
                        next_poll[doc] = Some(at);
                        polls.insert((at, doc));
                    }
                }
                None => more_expected = false,
            },
            () = optional(next.map(|at| tokio::time::sleep_until(at.into()))) => {
                let now = Instant::now();
                while let Some(&(at, doc)) = polls.first() {
                    if at > now {
                        break;
                    }
                    polls.pop_first();
                    next_poll[doc] = None;
                    let (count, at) =
                        client.read(ids[doc], move |copy| (count_of(copy, partner), Instant::now())).await?;
                    observed.polls += 1;
                    observed.latencies_micros.extend(arrivals[doc].observe(count, at));
                    if let Some(oldest) = arrivals[doc].oldest_in_flight() {
                        let wait = (at.saturating_duration_since(oldest) / POLL_AGE_DIVISOR).clamp(MIN_POLL, MAX_POLL);
                        let next = Instant::now() + wait;
                        next_poll[doc] = Some(next);
                        polls.insert((next, doc));
                    }
                }
            }
        }
    }
    Ok(observed)
}

/// One document's arrivals, as one observer sees them: its partner's edits it was told to expect,
/// matched in order with the partner's counter as polled.
///
/// A poll may see an edit before the observer has taken its [`Expect`] off the channel: the
/// observer reads its client while the expectation waits in the channel, and the edit can reach
/// the client meanwhile (more likely the slower edits travel). Such an arrival is kept until its
/// expectation comes, rather than dropped: dropping it left the expectation waiting forever, and
/// a run that lost nothing reported "only N of M edits arrived".
#[derive(Debug, Default)]
struct Arrivals {
    /// Due times of the expected edits not seen yet, oldest first.
    in_flight: VecDeque<Instant>,
    /// When edits were seen that were not expected yet, oldest first.
    early: VecDeque<Instant>,
    /// The partner's counter as last polled.
    seen: u64,
}

impl Arrivals {
    /// An edit due at `due` is on its way; its latency in µs if a poll has already seen it.
    fn expect(&mut self, due: Instant) -> Option<u64> {
        match self.early.pop_front() {
            Some(at) => Some(at.saturating_duration_since(due).as_micros() as u64),
            None => {
                self.in_flight.push_back(due);
                None
            }
        }
    }

    /// A poll at `at` read the partner's counter as `count`: the latencies (µs) of the expected
    /// edits that arrived since the last poll.
    fn observe(&mut self, count: u64, at: Instant) -> Vec<u64> {
        let mut latencies = Vec::new();
        while self.seen < count {
            self.seen += 1;
            match self.in_flight.pop_front() {
                Some(due) => latencies.push(at.saturating_duration_since(due).as_micros() as u64),
                None => self.early.push_back(at),
            }
        }
        latencies
    }

    fn oldest_in_flight(&self) -> Option<Instant> {
        self.in_flight.front().copied()
    }
}

/// Waits until both clients of every pair have identical copies of every document.
async fn identical_copies(clients: &[Client], ids: &[Vec<DocumentId>]) -> anyhow::Result<()> {
    for (pair, ids) in ids.iter().enumerate() {
        for &id in ids {
            loop {
                let first = clients[2 * pair].read(id, fingerprint).await?;
                let second = clients[2 * pair + 1].read(id, fingerprint).await?;
                if first.is_some() && first == second {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    Ok(())
}

/// How many of their partners' edits the clients' copies hold (by the authors' counters).
async fn edits_held(clients: &[Client], ids: &[Vec<DocumentId>]) -> anyhow::Result<u64> {
    let mut held = 0;
    for (pair, ids) in ids.iter().enumerate() {
        for &id in ids {
            for author in 0..2 {
                let observer = &clients[2 * pair + 1 - author];
                held += observer.read(id, move |copy| count_of(copy, author)).await?;
            }
        }
    }
    Ok(held)
}

/// What our relays' `/metrics` say now, summed over the relays (None for the reference server).
async fn relay_metrics_now(addresses: &[String]) -> anyhow::Result<Option<relay_metrics::Snapshot>> {
    let mut total: Option<relay_metrics::Snapshot> = None;
    for address in addresses {
        let snapshot = relay_metrics::Snapshot::of(&relay_metrics::fetch(address).await?);
        total = Some(match total {
            Some(total) => total.plus(&snapshot),
            None => snapshot,
        });
    }
    Ok(total)
}

/// The relays' usage, summed: what serving the clients took, however many processes share it.
fn relays_usage(pids: &[u32]) -> anyhow::Result<Usage> {
    let mut total = Usage::default();
    for pid in pids {
        let usage = Usage::of(&pid.to_string())?;
        total.peak_rss_kib += usage.peak_rss_kib;
        total.cpu_ticks += usage.cpu_ticks;
    }
    Ok(total)
}

async fn total_traffic(clients: &[Client]) -> anyhow::Result<Traffic> {
    let mut total = Traffic::default();
    for client in clients {
        let traffic = client.traffic().await?;
        total.messages_sent += traffic.messages_sent;
        total.bytes_sent += traffic.bytes_sent;
        total.messages_received += traffic.messages_received;
        total.bytes_received += traffic.bytes_received;
        total.connections += traffic.connections;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(clients: usize, docs: usize, edits: usize) -> Spec {
        Spec { clients, docs, edits, rate: 100.0, max_time: Duration::from_secs(1) }
    }

    #[test]
    fn the_schedule_gives_every_document_its_edits_alternately_by_the_two_clients() {
        let spec = spec(6, 4, 5);
        let mut by_document = std::collections::BTreeMap::<(usize, usize), Vec<(usize, u64)>>::new();
        for j in 0..spec.total_edits() {
            let slot = spec.slot(j);
            by_document.entry((slot.pair, slot.doc)).or_default().push((slot.author, slot.count));
        }
        assert_eq!(by_document.len(), 3 * 4);
        for edits in by_document.values() {
            assert_eq!(edits, &[(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)]);
        }
    }

    #[test]
    fn an_arrival_polled_before_its_expectation_is_counted_once_it_is_expected() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut arrivals = Arrivals::default();
        assert_eq!(arrivals.expect(t0), None);
        // The partner's second edit reaches the client before the observer takes its expectation.
        assert_eq!(arrivals.observe(2, t0 + ms(30)), vec![30_000]);
        assert_eq!(arrivals.oldest_in_flight(), None, "nothing left to poll for");
        assert_eq!(arrivals.expect(t0 + ms(10)), Some(20_000));
        assert_eq!(arrivals.oldest_in_flight(), None, "the second edit is not waited for again");
        // Later edits pair up as usual.
        assert_eq!(arrivals.expect(t0 + ms(40)), None);
        assert_eq!(arrivals.oldest_in_flight(), Some(t0 + ms(40)));
        assert_eq!(arrivals.observe(2, t0 + ms(45)), Vec::<u64>::new());
        assert_eq!(arrivals.observe(3, t0 + ms(50)), vec![10_000]);
        assert_eq!(arrivals.oldest_in_flight(), None);
    }

    #[test]
    fn an_edit_is_counted_for_its_author_only() {
        let mut doc = genesis();
        edit(&mut doc, 1, 1, 10).unwrap();
        edit(&mut doc, 0, 1, 20).unwrap();
        edit(&mut doc, 1, 2, 30).unwrap();
        assert_eq!(count_of(Some(&doc), 0), 1);
        assert_eq!(count_of(Some(&doc), 1), 2);
        assert_eq!(count_of(None, 1), 0);
        assert_eq!(fingerprint(Some(&doc)).map(|(_, notes)| notes), Some(3));
    }
}
