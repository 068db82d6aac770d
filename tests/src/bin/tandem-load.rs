//! `tandem-load`: puts our relay (on SQLite, on PostgreSQL, or two side by side on one
//! PostgreSQL), or the reference automerge-repo sync server, under the same editing load from
//! native clients on loopback, and reports convergence time, edit-to-arrival latency, traffic, the
//! relays' peak memory and CPU, and on PostgreSQL what the load cost the database.
//!
//! ```sh
//! cargo build --release -p tandem-server --bin tandem
//! cargo run --release -p tandem-tests --bin tandem-load -- --compare          # ours and the reference
//! cargo run --release -p tandem-tests --bin tandem-load -- --compare --ramp   # and the highest rate each sustains
//! # SQLite, PostgreSQL, and two relays on one PostgreSQL (every edit crossing relays), with ratios:
//! cargo run --release -p tandem-tests --bin tandem-load -- --targets tandem,tandem-postgres,two-relays
//! ```
//!
//! PostgreSQL targets use `--database` if given, else a fresh schema from `tandem-testdb` (which
//! starts the machine's PostgreSQL when it is installed but not running).
//!
//! Every run starts fresh servers with empty data directories and fresh clients, and is
//! bounded by `--max-seconds`: a run that has not converged by then has failed. This is a
//! benchmark, not a test: `cargo test` only runs the unit tests of its pure parts.

#[path = "../load/mod.rs"]
mod load;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::ensure;
use clap::Parser;
use load::{
    postgres::Probe,
    proc_stats::{load_average, ticks_per_second, ticks_to_duration},
    server::{Programs, Relays, Target},
    workload::{Outcome, Spec, Under},
};

/// Load generator: pairs of native clients editing shared documents through a relay.
#[derive(Debug, Parser)]
#[command(name = "tandem-load")]
struct Cli {
    /// Which relay to load.
    #[arg(long, value_enum, default_value_t = Target::Tandem)]
    target: Target,
    /// Load both relays, ours first, and print a table of ratios (ours / reference).
    #[arg(long, conflicts_with = "targets")]
    compare: bool,
    /// Load these targets one after the other (comma-separated), with `tandem` (SQLite) first
    /// even if not named, and print a table of ratios against it.
    #[arg(long, value_enum, value_delimiter = ',', conflicts_with = "target")]
    targets: Vec<Target>,
    /// The PostgreSQL database for the PostgreSQL targets (postgres://user:password@host/db);
    /// without it, a fresh schema per run from the tests' PostgreSQL (`tandem-testdb`).
    #[arg(long)]
    database: Option<String>,
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
    let targets = chosen_targets(cli.compare, &cli.targets, cli.target);
    let database = cli.database.as_deref();
    let mut runs = 0;
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
        let outcome = run_once(target, &programs, &spec, database, &mut runs).await?;
        print_outcome(target, &spec, &outcome, ticks);
        all_converged &= outcome.converged;
        first_runs.push((target, outcome));
    }
    if cli.compare
        && let [(_, ours), (_, reference)] = first_runs.as_slice()
    {
        print_comparison(&spec, ours, reference, ticks);
    } else if first_runs.len() > 1 {
        print_figures(&spec, &first_runs, ticks);
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
            outcome =
                run_once(*target, &programs, &Spec { rate, ..spec.clone() }, database, &mut runs).await?;
        }
        // Broke at the first rate: halve it while a run still fits in --max-seconds.
        let mut rate = spec.rate / 2.0;
        while best.is_none() && spec.total_edits() as f64 / rate < cli.max_seconds as f64 {
            let outcome =
                run_once(*target, &programs, &Spec { rate, ..spec.clone() }, database, &mut runs).await?;
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
    if let [(first, Some((ours, ours_run))), (second, Some((reference, reference_run)))] = highest.as_slice()
    {
        println!("\nramp summary ({first} / {second}):");
        println!("  highest sustained rate: {ours} vs {reference} edits/s = {:.2}x", ours / reference);
        println!(
            "  p99 at those rates: {} vs {} ms",
            millis(ours_run.latency.p99),
            millis(reference_run.latency.p99)
        );
    }
    Ok(true)
}

/// The targets to load, in order: `--compare`'s two, or `--targets` after the SQLite relay they
/// are compared with, or the one `--target`.
fn chosen_targets(compare: bool, targets: &[Target], target: Target) -> Vec<Target> {
    if compare {
        return vec![Target::Tandem, Target::Reference];
    }
    if targets.is_empty() {
        return vec![target];
    }
    let mut chosen = vec![Target::Tandem];
    for &target in targets {
        if !chosen.contains(&target) {
            chosen.push(target);
        }
    }
    chosen
}

async fn run_once(
    target: Target,
    programs: &Programs,
    spec: &Spec,
    database: Option<&str>,
    runs: &mut usize,
) -> anyhow::Result<Outcome> {
    if let Some(load) = load_average() {
        // Other work on the machine skews every figure; say how much there was.
        println!("(starting {target} at {} edits/s; machine load average {load:.2})", spec.rate);
    }
    *runs += 1;
    // Starting processes and PostgreSQL's client block, and the client must not run on the
    // runtime's threads: starting, and dropping below, happen off them.
    let relays = load::off_runtime(|| Relays::start(target, programs, database, *runs))?;
    let mut probe = match relays.database_url() {
        Some(url) => Some(load::off_runtime(|| Probe::start(url))?),
        None => None,
    };
    let (urls, pids, metrics_addresses) = (relays.sync_urls(), relays.pids(), relays.metrics_addresses());
    let under =
        Under { urls: &urls, pids: &pids, metrics_addresses: &metrics_addresses, probe: probe.as_mut() };
    let outcome = load::workload::run(under, spec).await;
    load::off_runtime(move || {
        drop(probe);
        drop(relays);
    });
    outcome
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
        "  relay process{}: peak RSS {:.1} MiB; CPU {relay_cpu:.2} s during the load ({:.0}% of one core), {:.2} s in all",
        if outcome.relays > 1 { format!("es ({}, summed)", outcome.relays) } else { String::new() },
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
    if let Some(database) = &outcome.database {
        let per_edit = |n: i64| n as f64 / outcome.arrived.max(1) as f64;
        let counts = database.counts;
        println!(
            "  PostgreSQL: {} notifications ({:.2} per edit, {:.0} bytes of payload each); \
             {} rows written ({:.2} per edit, {:.2} of them chunks); {} commits in the database ({:.2} per edit); \
             {} announcements heard by the relays ({:.2} per edit)",
            database.notifications,
            per_edit(database.notifications as i64),
            database.notification_bytes as f64 / database.notifications.max(1) as f64,
            counts.rows_written,
            per_edit(counts.rows_written),
            per_edit(counts.chunk_rows_written),
            counts.commits,
            per_edit(counts.commits),
            outcome.announcements_heard,
            per_edit(outcome.announcements_heard as i64),
        );
        let server_cpu = ticks_to_duration(database.server_cpu_ticks, ticks).as_secs_f64();
        println!(
            "  PostgreSQL server processes (its own and this database's backends): CPU {server_cpu:.2} s ({:.0}% of one core)",
            100.0 * server_cpu / secs
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

/// The figures of runs of several targets, one row per figure: its name and each target's value
/// (None where a target has no such figure, as SQLite has no notifications).
fn figure_rows(runs: &[(Target, Outcome)], ticks: u64) -> Vec<(&'static str, Vec<Option<f64>>)> {
    let cpu = |ticks_used: u64| ticks_to_duration(ticks_used, ticks).as_secs_f64();
    let per_edit = |o: &Outcome, n: f64| n / o.arrived.max(1) as f64;
    type Figure = fn(&Outcome, &dyn Fn(u64) -> f64, &dyn Fn(&Outcome, f64) -> f64) -> Option<f64>;
    let figures: [(&str, Figure); 11] = [
        ("edits/s arrived", |o, _, _| Some(o.throughput())),
        ("edit-to-arrival p50, ms", |o, _, _| Some(o.latency.p50.as_secs_f64() * 1e3)),
        ("edit-to-arrival p99, ms", |o, _, _| Some(o.latency.p99.as_secs_f64() * 1e3)),
        ("relay CPU per 1000 edits, s", |o, cpu, per| Some(per(o, cpu(o.relay_load_cpu_ticks)) * 1e3)),
        ("PostgreSQL CPU per 1000 edits, s", |o, cpu, per| {
            Some(per(o, cpu(o.database?.server_cpu_ticks)) * 1e3)
        }),
        ("relay + PostgreSQL CPU per 1000 edits, s", |o, cpu, per| {
            let database = o.database.map_or(0, |d| d.server_cpu_ticks);
            Some(per(o, cpu(o.relay_load_cpu_ticks + database)) * 1e3)
        }),
        ("notifications per edit", |o, _, per| Some(per(o, o.database?.notifications as f64))),
        ("announcements heard per edit", |o, _, per| {
            o.database.map(|_| per(o, o.announcements_heard as f64))
        }),
        ("rows written per edit", |o, _, per| Some(per(o, o.database?.counts.rows_written as f64))),
        ("chunk rows written per edit", |o, _, per| {
            Some(per(o, o.database?.counts.chunk_rows_written as f64))
        }),
        ("commits per edit (reads too)", |o, _, per| Some(per(o, o.database?.counts.commits as f64))),
    ];
    figures
        .into_iter()
        .map(|(name, figure)| (name, runs.iter().map(|(_, o)| figure(o, &cpu, &per_edit)).collect()))
        .collect()
}

/// One cell of the figures table: the value, and its ratio to the first target's where both exist.
fn cell(value: Option<f64>, baseline: Option<f64>) -> String {
    match (value, baseline) {
        (None, _) => "-".into(),
        (Some(value), Some(baseline)) if baseline > 0.0 => format!("{value:.2} ({:.2}x)", value / baseline),
        (Some(value), _) => format!("{value:.2}"),
    }
}

fn print_figures(spec: &Spec, runs: &[(Target, Outcome)], ticks: u64) {
    let baseline = runs[0].0;
    println!(
        "\nfigures at {} edits/s offered, {} clients (ratio = target / {baseline}, same invocation):",
        spec.rate, spec.clients
    );
    print!("  {:<42}", "");
    for (target, _) in runs {
        print!(" {:>18}", target.to_string());
    }
    println!();
    print!("  {:<42}", "converged");
    for (_, outcome) in runs {
        print!(" {:>18}", if outcome.converged { "yes" } else { "NO" });
    }
    println!();
    for (name, values) in figure_rows(runs, ticks) {
        print!("  {name:<42}");
        let first = values[0];
        for (index, &value) in values.iter().enumerate() {
            let baseline = if index == 0 { None } else { first };
            print!(" {:>18}", cell(value, baseline));
        }
        println!();
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

#[cfg(test)]
mod tests {
    use super::*;
    use load::workload::DatabaseCost;

    #[test]
    fn named_targets_follow_the_sqlite_relay_they_are_compared_with() {
        let chosen = chosen_targets(
            false,
            &[Target::TwoRelays, Target::TandemPostgres, Target::TwoRelays],
            Target::Tandem,
        );
        assert_eq!(chosen, [Target::Tandem, Target::TwoRelays, Target::TandemPostgres]);
        assert_eq!(
            chosen_targets(false, &[Target::TandemPostgres, Target::Tandem], Target::Tandem),
            [Target::Tandem, Target::TandemPostgres]
        );
        assert_eq!(chosen_targets(true, &[], Target::Tandem), [Target::Tandem, Target::Reference]);
        assert_eq!(chosen_targets(false, &[], Target::Reference), [Target::Reference]);
    }

    #[test]
    fn figures_are_per_edit_and_absent_where_a_target_has_no_database() {
        let sqlite = Outcome { arrived: 1000, relay_load_cpu_ticks: 200, ..Outcome::default() };
        let mut two = Outcome {
            arrived: 500,
            relay_load_cpu_ticks: 300,
            announcements_heard: 500,
            ..Outcome::default()
        };
        two.database = Some(DatabaseCost {
            notifications: 500,
            server_cpu_ticks: 100,
            counts: load::postgres::Counts { rows_written: 1000, chunk_rows_written: 500, commits: 1500 },
            ..DatabaseCost::default()
        });
        let rows = figure_rows(&[(Target::Tandem, sqlite), (Target::TwoRelays, two)], 100);
        let row = |name: &str| rows.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(row("relay CPU per 1000 edits, s"), [Some(2.0), Some(6.0)]);
        assert_eq!(row("PostgreSQL CPU per 1000 edits, s"), [None, Some(2.0)]);
        assert_eq!(row("relay + PostgreSQL CPU per 1000 edits, s"), [Some(2.0), Some(8.0)]);
        assert_eq!(row("notifications per edit"), [None, Some(1.0)]);
        assert_eq!(row("announcements heard per edit"), [None, Some(1.0)]);
        assert_eq!(row("rows written per edit"), [None, Some(2.0)]);
        assert_eq!(row("commits per edit (reads too)"), [None, Some(3.0)]);
    }

    #[test]
    fn a_cell_gives_its_ratio_to_the_baseline_only_where_there_is_one() {
        assert_eq!(cell(Some(3.0), Some(2.0)), "3.00 (1.50x)");
        assert_eq!(cell(Some(3.0), None), "3.00");
        assert_eq!(cell(Some(3.0), Some(0.0)), "3.00");
        assert_eq!(cell(None, Some(2.0)), "-");
    }
}
