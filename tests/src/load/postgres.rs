//! What a run cost PostgreSQL, seen from outside the relays: the rows they wrote and the
//! transactions they committed (`pg_stat_user_tables`, `pg_stat_database`), the notifications
//! they sent (a listener of our own on the relays' channel), and the CPU the server's processes
//! used (`/proc`).
//!
//! PostgreSQL's statistics are flushed by each backend when it goes idle, at most once a second
//! (and up to 10 s later when it is busy), so [`Probe::settled_counts`] reads them until two reads a
//! little apart agree.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use postgres::{Client, NoTls, fallible_iterator::FallibleIterator};

/// The channel the relays announce stored changes on (`server/src/storage/announce.rs`).
const CHANNEL: &str = "tandem_changes";
/// Statistics are read again this long after a read, until two agree...
const SETTLE_STEP: Duration = Duration::from_millis(1200);
/// ...or for at most this long (a busy backend flushes its statistics 10 s late at worst).
const SETTLE_PATIENCE: Duration = Duration::from_secs(15);

/// Counters of the relays' schema and database at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows inserted, updated and deleted in the schema's tables.
    pub rows_written: i64,
    /// Of those, rows of `chunks` (document data).
    pub chunk_rows_written: i64,
    /// Transactions committed in the whole database, reads included (the relays' reads of what
    /// another relay announced are transactions too).
    pub commits: i64,
}

impl Counts {
    pub fn since(self, before: Self) -> Self {
        Self {
            rows_written: self.rows_written - before.rows_written,
            chunk_rows_written: self.chunk_rows_written - before.chunk_rows_written,
            commits: self.commits - before.commits,
        }
    }
}

/// Watches one PostgreSQL schema: its counters, its notifications and its server's CPU.
pub struct Probe {
    client: Client,
    schema: String,
    database: String,
    notifications: Arc<AtomicU64>,
    payload_bytes: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    listener: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").field("schema", &self.schema).field("database", &self.database).finish()
    }
}

impl Probe {
    /// Connects to `url` (the relays' connection string) and starts listening on their channel.
    /// Blocking: call it off async tasks.
    pub fn start(url: &str) -> anyhow::Result<Self> {
        let mut client =
            Client::connect(url, NoTls).context("the load probe cannot connect to PostgreSQL")?;
        let row = client.query_one("SELECT current_schema()::text, current_database()::text", &[])?;
        let (schema, database): (String, String) = (row.get(0), row.get(1));
        let mut listener = Client::connect(url, NoTls)?;
        listener.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        let notifications = Arc::new(AtomicU64::new(0));
        let payload_bytes = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, bytes, stopped) = (notifications.clone(), payload_bytes.clone(), stop.clone());
        let listener = std::thread::Builder::new().name("load-listener".into()).spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let mut batch = listener.notifications();
                let mut heard = batch.timeout_iter(Duration::from_millis(200));
                while let Some(notification) = heard.next()? {
                    count.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(notification.payload().len() as u64, Ordering::Relaxed);
                }
            }
            Ok(())
        })?;
        Ok(Self { client, schema, database, notifications, payload_bytes, stop, listener: Some(listener) })
    }

    /// The database's name, by which the server's processes for it are told apart.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Notifications heard on the relays' channel so far, and their payloads' bytes.
    pub fn notifications(&self) -> (u64, u64) {
        (self.notifications.load(Ordering::Relaxed), self.payload_bytes.load(Ordering::Relaxed))
    }

    /// The counters once PostgreSQL's statistics have caught up (see the module docs).
    pub fn settled_counts(&mut self) -> anyhow::Result<Counts> {
        let started = Instant::now();
        let mut last = self.counts()?;
        loop {
            std::thread::sleep(SETTLE_STEP);
            let now = self.counts()?;
            if now == last || started.elapsed() > SETTLE_PATIENCE {
                return Ok(now);
            }
            last = now;
        }
    }

    fn counts(&mut self) -> anyhow::Result<Counts> {
        // A fresh snapshot on every read: otherwise a transaction would see the first one again.
        self.client.batch_execute("SELECT pg_stat_clear_snapshot()")?;
        let tables = self.client.query_one(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint,
                    COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del) FILTER (WHERE relname = 'chunks'), 0)::bigint
             FROM pg_stat_user_tables WHERE schemaname = $1",
            &[&self.schema],
        )?;
        let commits: i64 = self
            .client
            .query_one("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", &[&self.database])?
            .get(0);
        Ok(Counts { rows_written: tables.get(0), chunk_rows_written: tables.get(1), commits })
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(listener) = self.listener.take()
            && let Ok(Err(error)) = listener.join()
        {
            eprintln!("tandem-load: the notification listener failed: {error:#}");
        }
    }
}

/// CPU ticks of the PostgreSQL server's processes that serve `database` or the whole server
/// (the writers, checkpointer, autovacuum launcher), by process id. Other databases' backends are
/// left out: other work on the machine may use the same server.
pub fn server_cpu_ticks(database: &str) -> BTreeMap<u32, u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return BTreeMap::new() };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            if !serves(&String::from_utf8_lossy(&cmdline), database) {
                return None;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, super::proc_stats::cpu_ticks(&stat)?))
        })
        .collect()
}

/// Ticks used between two [`server_cpu_ticks`] readings; a process new since the first counts
/// whole, one gone by the second is lost (the relays' connections live as long as the relays).
pub fn ticks_between(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> u64 {
    after.iter().map(|(pid, &ticks)| ticks.saturating_sub(before.get(pid).copied().unwrap_or(0))).sum()
}

/// Whether a process with command line `cmdline` (as PostgreSQL retitles its processes:
/// `postgres: 15/main: <user> <database> <client> <state>` for a backend, `postgres: 15/main:
/// walwriter` for the server's own) is the server's own or a backend of `database`.
fn serves(cmdline: &str, database: &str) -> bool {
    let cmdline = cmdline.replace('\0', " ");
    let Some(rest) = cmdline.trim().strip_prefix("postgres: ") else { return false };
    // The cluster's name (`15/main:`) comes first where there is one.
    let rest = match rest.split_once(": ") {
        Some((cluster, rest)) if !cluster.contains(' ') => rest,
        _ => rest,
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let backend = words.get(2).is_some_and(|client| {
        client.starts_with("[local]") || client.contains('(') || client.parse::<std::net::IpAddr>().is_ok()
    });
    if backend {
        return words[1] == database;
    }
    // An autovacuum worker names its database; the other server processes serve every database.
    match rest.strip_prefix("autovacuum worker ") {
        Some(worked_on) => worked_on.trim() == database,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_processes_and_this_databases_backends_count_and_other_databases_do_not() {
        let db = "tandem_test_1_2";
        assert!(serves("postgres: 15/main: tandem_test tandem_test_1_2 127.0.0.1(52344) idle", db));
        assert!(serves("postgres: 15/main: tandem_test tandem_test_1_2 [local] SELECT", db));
        assert!(!serves("postgres: 15/main: tandem_test tandem_test_9_9 127.0.0.1(52345) idle", db));
        assert!(serves("postgres: 15/main: walwriter ", db));
        assert!(serves("postgres: 15/main: checkpointer ", db));
        assert!(serves("postgres: 15/main: autovacuum worker tandem_test_1_2", db));
        assert!(!serves("postgres: 15/main: autovacuum worker tandem_test_9_9", db));
        assert!(serves("postgres: walwriter", db), "a server without a cluster name");
        assert!(!serves("/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main\0", db));
        assert!(!serves("target/release/tandem\0serve\0", db));
    }

    #[test]
    fn ticks_between_readings_count_new_processes_whole() {
        let before = BTreeMap::from([(10, 100), (11, 50), (12, 7)]);
        let after = BTreeMap::from([(10, 130), (11, 50), (13, 9)]);
        assert_eq!(ticks_between(&before, &after), 30 + 9);
    }

    #[test]
    fn counts_since_an_earlier_reading_are_the_differences() {
        let before = Counts { rows_written: 10, chunk_rows_written: 4, commits: 100 };
        let after = Counts { rows_written: 25, chunk_rows_written: 14, commits: 160 };
        assert_eq!(after.since(before), Counts { rows_written: 15, chunk_rows_written: 10, commits: 60 });
    }
}
