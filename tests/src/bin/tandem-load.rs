//! `tandem-load`: puts our relay, or the reference automerge-repo sync server, under the same
//! editing load from native clients on loopback, and reports convergence time, edit-to-arrival
//! latency, traffic, and the relay's peak memory and CPU.
//!
//! ```sh
//! cargo build --release -p tandem-server --bin tandem
//! cargo run --release -p tandem-tests --bin tandem-load -- --compare          # both, default load
//! cargo run --release -p tandem-tests --bin tandem-load -- --compare --ramp   # and the highest rate each sustains
//! ```
//!
//! Every run starts a fresh server with an empty data directory and fresh clients, and is
//! bounded by `--max-seconds`: a run that has not converged by then has failed. This is a
//! benchmark, not a test: `cargo test` only runs the unit tests of its pure parts.

#[path = "../load/mod.rs"]
mod load;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::ensure;
use clap::Parser;
use load::{
    proc_stats::{load_average, ticks_per_second, ticks_to_duration},
    server::{Programs, Server, Target},
    workload::{Outcome, Spec},
};

/// Load generator: pairs of native clients editing shared documents through a relay.
#[derive(Debug, Parser)]
#[command(name = "tandem-load")]
struct Cli {
    /// Which relay to load.
    #[arg(long, value_enum, default_value_t = Target::Tandem)]
    target: Target,
    /// Load both relays, ours first, and print a table of ratios (ours / reference).
    #[arg(long)]
    compare: bool,
    /// After the first run, double the rate until a relay breaks (fails to converge in time, or
    /// p99 latency above --p99-bound-ms), or halve it while it breaks at the first rate; report
    /// the highest rate each sustained.
    #[arg(long)]
    ramp: bool,
    /// Clients (even: clients 2i and 2i+1 share documents).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..=2000))]
    clients: u64,
    /// Documents per pair of clients.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    docs: u64,
    /// Edits per document, alternately by the two clients of its pair.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    edits: u64,
    /// Edits per second over all documents (the first rate of a ramp).
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// A ramp stops after this rate.
    #[arg(long, default_value_t = 64_000.0)]
    max_rate: f64,
    /// Each run fails if it has not converged this many seconds after it started.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_seconds: u64,
    /// A run whose p99 edit-to-arrival latency is above this has not sustained its rate.
    #[arg(long, default_value_t = 2000)]
    p99_bound_ms: u64,
    /// Our relay's binary.
    #[arg(long, env = "TANDEM_BIN", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/tandem"))]
    tandem_bin: PathBuf,
    /// The node executable that runs the reference server.
    #[arg(long, default_value = "node")]
    node: PathBuf,
}

/// The most edits one run may make, so a typo cannot run for hours.
const MAX_TOTAL_EDITS: u64 = 5_000_000;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("tandem-load: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs what the command line asks; false when a run that had to converge did not.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    ensure!(cli.clients.is_multiple_of(2), "--clients must be even: clients share documents in pairs");
    ensure!(
        cli.clients / 2 * cli.docs * cli.edits <= MAX_TOTAL_EDITS,
        "at most {MAX_TOTAL_EDITS} edits per run"
    );
    ensure!(cli.rate > 0.0 && cli.rate.is_finite(), "--rate must be a positive number of edits per second");
    let programs = Programs {
        tandem: cli.tandem_bin.clone(),
        node: cli.node.clone(),
        reference_script: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/load/reference-server.mjs")),
    };
    let spec = Spec {
        clients: cli.clients as usize,
        docs: cli.docs as usize,
        edits: cli.edits as usize,
        rate: cli.rate,
        max_time: Duration::from_secs(cli.max_seconds),
    };
    let targets = if cli.compare { vec![Target::Tandem, Target::Reference] } else { vec![cli.target] };
    let p99_bound = Duration::from_millis(cli.p99_bound_ms);
    let ticks = ticks_per_second();
    println!(
        "load: {} clients in {} pairs x {} documents x {} edits = {} edits at {} edits/s; \
         a run fails after {} s or with p99 above {} ms",
        spec.clients,
        spec.pairs(),
        spec.docs,
        spec.edits,
        spec.total_edits(),
        spec.rate,
        cli.max_seconds,
        cli.p99_bound_ms
    );

    let mut first_runs = Vec::new();
    let mut all_converged = true;
    for &target in &targets {
        let outcome = run_once(target, &programs, &spec).await?;
        print_outcome(target, &spec, &outcome, ticks);
        all_converged &= outcome.converged;
        first_runs.push((target, outcome));
    }
    if let [(_, ours), (_, reference)] = first_runs.as_slice() {
        print_comparison(&spec, ours, reference, ticks);
    }
    if !cli.ramp {
        return Ok(all_converged);
    }

    let mut highest = Vec::new();
    for (target, first) in &first_runs {
        println!("\nramp, {target}:");
        let (mut rate, mut outcome, mut best) = (spec.rate, first.clone(), None);
        loop {
            print_ramp_step(rate, &outcome, p99_bound);
            if !outcome.sustained(p99_bound) {
                break;
            }
            best = Some((rate, outcome));
            rate *= 2.0;
            if rate > cli.max_rate {
                break;
            }
            outcome = run_once(*target, &programs, &Spec { rate, ..spec.clone() }).await?;
        }
        // Broke at the first rate: halve it while a run still fits in --max-seconds.
        let mut rate = spec.rate / 2.0;
        while best.is_none() && spec.total_edits() as f64 / rate < cli.max_seconds as f64 {
            let outcome = run_once(*target, &programs, &Spec { rate, ..spec.clone() }).await?;
            print_ramp_step(rate, &outcome, p99_bound);
            if outcome.sustained(p99_bound) {
                best = Some((rate, outcome));
            }
            rate /= 2.0;
        }
        match &best {
            Some((rate, _)) => println!("  {target} sustained at most {rate} edits/s (of the rates tried)"),
            None => println!("  {target} sustained none of the rates tried"),
        }
        highest.push((*target, best));
    }
    if let [(_, Some((ours, ours_run))), (_, Some((reference, reference_run)))] = highest.as_slice() {
        println!("\nramp summary (ours / reference):");
        println!("  highest sustained rate: {ours} vs {reference} edits/s = {:.2}x", ours / reference);
        println!(
            "  p99 at those rates: {} vs {} ms",
            millis(ours_run.latency.p99),
            millis(reference_run.latency.p99)
        );
    }
    Ok(true)
}

async fn run_once(target: Target, programs: &Programs, spec: &Spec) -> anyhow::Result<Outcome> {
    if let Some(load) = load_average() {
        // Other work on the machine skews every figure; say how much there was.
        println!("(starting {target} at {} edits/s; machine load average {load:.2})", spec.rate);
    }
    let server = Server::start(target, programs)?;
    let outcome =
        load::workload::run(server.sync_url(), server.pid(), server.metrics_address(), spec).await?;
    drop(server);
    Ok(outcome)
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_outcome(target: Target, spec: &Spec, outcome: &Outcome, ticks: u64) {
    let secs = outcome.load_time.as_secs_f64();
    let traffic = &outcome.traffic;
    let messages = traffic.messages_sent + traffic.messages_received;
    let bytes = traffic.bytes_sent + traffic.bytes_received;
    let relay_cpu = ticks_to_duration(outcome.relay_load_cpu_ticks, ticks).as_secs_f64();
    let generator_cpu = ticks_to_duration(outcome.generator_cpu_ticks, ticks).as_secs_f64();
    println!("\n{target} at {} edits/s:", spec.rate);
    match &outcome.failure {
        None => println!(
            "  converged in {secs:.2} s (last edit issued at {:.2} s; setup {:.2} s before)",
            outcome.issue_time.as_secs_f64(),
            outcome.setup.as_secs_f64()
        ),
        Some(failure) => println!("  DID NOT CONVERGE: {failure} (after {secs:.2} s)"),
    }
    println!(
        "  {} of {} edits arrived: {:.0} edits/s; edit-to-arrival p50 {} ms, p99 {} ms, max {} ms",
        outcome.arrived,
        outcome.expected,
        outcome.throughput(),
        millis(outcome.latency.p50),
        millis(outcome.latency.p99),
        millis(outcome.latency.max)
    );
    println!(
        "  through the relay: {} messages in, {} out ({:.0}/s); {:.2} MB in, {:.2} MB out ({:.2} MB/s); {} reconnects",
        traffic.messages_sent,
        traffic.messages_received,
        messages as f64 / secs,
        traffic.bytes_sent as f64 / 1e6,
        traffic.bytes_received as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        outcome.reconnects
    );
    println!(
        "  relay process: peak RSS {:.1} MiB; CPU {relay_cpu:.2} s during the load ({:.0}% of one core), {:.2} s in all",
        mib(outcome.relay_peak_rss_kib),
        100.0 * relay_cpu / secs,
        ticks_to_duration(outcome.relay_total_cpu_ticks, ticks).as_secs_f64()
    );
    if let (Some(p50), Some(p99)) = (outcome.relay_latency_p50, outcome.relay_latency_p99) {
        println!(
            "  relay's own latency (received to stored and answered, bucket bounds): p50 <= {} ms, p99 <= {} ms",
            millis(p50),
            millis(p99)
        );
    }
    println!(
        "  load generator: CPU {generator_cpu:.2} s ({:.0}% of one core); {} arrival polls ({:.1} per edit); \
         edits handed to clients late by p99 {} ms, max {} ms",
        100.0 * generator_cpu / secs,
        outcome.polls,
        outcome.polls as f64 / outcome.arrived.max(1) as f64,
        millis(outcome.lag.p99),
        millis(outcome.lag.max)
    );
}

fn print_comparison(spec: &Spec, ours: &Outcome, reference: &Outcome, ticks: u64) {
    let cpu = |o: &Outcome| ticks_to_duration(o.relay_load_cpu_ticks, ticks).as_secs_f64();
    let msgs = |o: &Outcome| {
        (o.traffic.messages_sent + o.traffic.messages_received) as f64 / o.load_time.as_secs_f64()
    };
    let rows: [(&str, f64, f64, &str); 8] = [
        ("edits/s arrived", ours.throughput(), reference.throughput(), "higher is better"),
        ("convergence time, s", ours.load_time.as_secs_f64(), reference.load_time.as_secs_f64(), ""),
        (
            "latency p50, ms",
            ours.latency.p50.as_secs_f64() * 1e3,
            reference.latency.p50.as_secs_f64() * 1e3,
            "",
        ),
        (
            "latency p99, ms",
            ours.latency.p99.as_secs_f64() * 1e3,
            reference.latency.p99.as_secs_f64() * 1e3,
            "",
        ),
        ("relay messages/s", msgs(ours), msgs(reference), ""),
        ("relay peak RSS, MiB", mib(ours.relay_peak_rss_kib), mib(reference.relay_peak_rss_kib), ""),
        ("relay CPU during load, s", cpu(ours), cpu(reference), ""),
        (
            "relay CPU per 1000 edits, s",
            cpu(ours) * 1000.0 / ours.arrived.max(1) as f64,
            cpu(reference) * 1000.0 / reference.arrived.max(1) as f64,
            "",
        ),
    ];
    println!("\ncomparison at {} edits/s offered (ratio = tandem / reference):", spec.rate);
    println!("  {:<28} {:>12} {:>12} {:>8}", "", "tandem", "reference", "ratio");
    println!(
        "  {:<28} {:>12} {:>12}",
        "converged",
        if ours.converged { "yes" } else { "NO" },
        if reference.converged { "yes" } else { "NO" }
    );
    for (name, a, b, note) in rows {
        let ratio = if b > 0.0 { format!("{:.2}", a / b) } else { "-".into() };
        println!("  {name:<28} {a:>12.2} {b:>12.2} {ratio:>8} {note}");
    }
}

fn print_ramp_step(rate: f64, outcome: &Outcome, p99_bound: Duration) {
    let verdict = if outcome.sustained(p99_bound) {
        "sustained".to_owned()
    } else if let Some(failure) = &outcome.failure {
        format!("BROKE: {failure}")
    } else {
        format!("BROKE: p99 above {} ms", p99_bound.as_millis())
    };
    println!(
        "  {rate:>8} edits/s: {:.2} s, {:.0} edits/s arrived, p50 {} ms, p99 {} ms, peak RSS {:.1} MiB; {verdict}",
        outcome.load_time.as_secs_f64(),
        outcome.throughput(),
        millis(outcome.latency.p50),
        millis(outcome.latency.p99),
        mib(outcome.relay_peak_rss_kib)
    );
}
