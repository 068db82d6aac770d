//! The pieces of `tandem-load` (the binary in `src/bin/tandem-load.rs` is only its command line):
//! - [`server`] starts the relays under test, ours (on SQLite, on PostgreSQL, or two on one
//!   PostgreSQL) or the reference automerge-repo sync server, on free loopback ports with
//!   throwaway data directories (and PostgreSQL schemas);
//! - [`workload`] drives native clients through it: pairs of clients editing shared documents at a
//!   fixed rate, measuring when each edit shows up on the other client of its pair;
//! - [`proc_stats`] reads a process's peak memory and CPU time from `/proc`;
//! - [`relay_metrics`] reads our relay's own latency histogram and counters from its `/metrics`;
//! - [`postgres`] counts what a run cost PostgreSQL: rows written, commits, notifications, CPU;
//! - [`stats`] summarises latencies as percentiles.
//!
//! The modules live outside `src/bin` so their pure parts can grow tests without the binary's
//! glue, and outside `lib.rs` so the end-to-end test helpers do not grow a load generator.

pub mod postgres;
pub mod proc_stats;
pub mod relay_metrics;
pub mod server;
pub mod stats;
pub mod workload;

/// Runs `work` on a thread of its own and waits for it, letting the runtime move its other tasks
/// meanwhile. For PostgreSQL's synchronous client (connecting, querying, and dropping a client):
/// it runs a runtime of its own, which tokio refuses to start on a thread that is driving one, and
/// `block_in_place` alone still is.
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            scope.spawn(work).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
}
