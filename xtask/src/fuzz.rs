//! `cargo xtask fuzz [--minutes N] [--parallel] [--minimise] [TARGET...]`: coverage-guided
//! fuzzing of the targets in `fuzz/` (libFuzzer through cargo-fuzz, on nightly), each for N
//! minutes (default 5), one after another (`--parallel`: all at once), niced so a shared machine
//! stays usable; then a summary per target of the time, the executions and the crashes. New inputs that reach new code are added to
//! `fuzz/corpus/<target>/`; `--minimise` then shrinks each corpus to the inputs that keep its
//! coverage (`cargo fuzz cmin`), which is what gets committed.
//!
//! A crash stops its target's run and leaves the input in `fuzz/artifacts/<target>/`. Move it to
//! `fuzz/regressions/<target>/<what it shows>`, add a test named after it to
//! `fuzz/tests/`, and fix the cause: the stable replay (`cargo xtask test`) runs
//! every file there.
//!
//! The stable, short version of the same targets is `fuzz/tests/replay.rs`, which `cargo xtask
//! test` runs with the other tests; this command is for the long runs.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::shell;

const TARGETS: [&str; 4] = ["codec", "engine", "chunks", "api_json"];
/// libFuzzer's options: a slow input is a finding (work per frame must stay bounded), so is one
/// that needs more than 2 GB; scripts and frames longer than 16 KB add nothing the shorter ones
/// do not. The timeout is wall-clock: niced on a busy machine, a process waits seconds for a
/// core (an engine script that takes 40 ms of CPU tripped a 10 s timeout here), so it is long.
const LIBFUZZER_OPTIONS: [&str; 4] =
    ["-timeout=120", "-rss_limit_mb=2048", "-max_len=16384", "-print_final_stats=1"];

/// What one target's run did.
#[derive(Debug)]
struct Outcome {
    target: String,
    seconds: u64,
    executions: u64,
    crashes: Vec<String>,
}

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut minutes = 5u64;
    let mut minimise = false;
    let mut parallel = false;
    let mut targets: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => {
                minutes = args.next().context("--minutes takes a number")?.parse().context("--minutes N")?
            }
            "--minimise" | "--minimize" => minimise = true,
            "--parallel" => parallel = true,
            name if TARGETS.contains(&name) => targets.push(name.to_owned()),
            other => bail!(
                "unknown argument {other}; usage: cargo xtask fuzz [--minutes N] [--parallel] [--minimise] [{}]",
                TARGETS.join(" | ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| t.to_string()).collect();
    }
    install()?;
    // The seeds are made from real data by code; writing them is idempotent.
    shell::run(shell::cargo().args([
        "run",
        "--quiet",
        "--package",
        "tandem-fuzz",
        "--bin",
        "tandem-fuzz-seeds",
    ]))?;
    shell::run(&mut fuzz_command(root, &["build"]))?;
    let outcomes: Vec<Outcome> = if parallel {
        std::thread::scope(|scope| {
            let runs: Vec<_> = targets.iter().map(|t| scope.spawn(|| fuzz_one(root, t, minutes))).collect();
            runs.into_iter()
                .map(|r| r.join().expect("a fuzzing thread panicked"))
                .collect::<anyhow::Result<_>>()
        })?
    } else {
        targets.iter().map(|t| fuzz_one(root, t, minutes)).collect::<anyhow::Result<_>>()?
    };
    if minimise {
        for target in &targets {
            shell::run(&mut fuzz_command(root, &["cmin", target]))?;
        }
    }
    println!("\n{:<10} {:>8} {:>14} {:>8}", "target", "seconds", "executions", "crashes");
    for o in &outcomes {
        println!("{:<10} {:>8} {:>14} {:>8}", o.target, o.seconds, o.executions, o.crashes.len());
        for crash in &o.crashes {
            println!("    crash input: {crash}");
        }
    }
    if outcomes.iter().any(|o| !o.crashes.is_empty()) {
        bail!("fuzzing found crashes: make each a regression test (see `cargo xtask fuzz`'s documentation)");
    }
    Ok(())
}

/// Nightly (cargo-fuzz needs its sanitizer-coverage flags) and cargo-fuzz, each only when missing.
fn install() -> anyhow::Result<()> {
    let nightly = Command::new("rustup").args(["run", "nightly", "rustc", "--version"]).output();
    if !nightly.is_ok_and(|o| o.status.success()) {
        shell::run(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    if !shell::version_contains("cargo-fuzz", "cargo-fuzz") {
        shell::run(shell::cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// `cargo +nightly fuzz <args>` for this project, niced: release with debug assertions and
/// overflow checks (what the tests build catches too), no sanitizer (the workspace has no unsafe
/// code, and AddressSanitizer would halve the executions), its own target directory so nightly's
/// instrumented builds never touch the normal ones.
fn fuzz_command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("nice");
    command.args(["-n", "19", "cargo", "+nightly", "fuzz"]).args(&args[..1]);
    command
        .args(["--release", "--debug-assertions", "--sanitizer", "none", "--features", "libfuzzer"])
        .arg("--target-dir")
        .arg(crate::dist::target_dir(root).join("fuzz"))
        .args(&args[1..])
        // The workspace's release profile links with thin LTO (for the relay); four fuzz
        // binaries each LTO-linking the whole graph took most of an hour on a busy machine, and
        // LTO adds nothing to fuzzing.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        // The stable toolchain's `cargo` in the environment would override `+nightly`.
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN");
    command.current_dir(root);
    command
}

fn fuzz_one(root: &Path, target: &str, minutes: u64) -> anyhow::Result<Outcome> {
    let artifacts = root.join("fuzz/artifacts").join(target);
    let before = files(&artifacts);
    let seconds = (minutes * 60).to_string();
    let mut command = fuzz_command(root, &["run", target]);
    command.arg("--").arg(format!("-max_total_time={seconds}")).args(LIBFUZZER_OPTIONS);
    eprintln!("$ cargo +nightly fuzz run {target} (for {minutes} min)");
    let started = std::time::Instant::now();
    let output = command.output().with_context(|| format!("cannot run the {target} fuzzer"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let stat = |name: &str| {
        log.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0)
    };
    let crashes: Vec<String> = files(&artifacts).into_iter().filter(|f| !before.contains(f)).collect();
    if !output.status.success() && crashes.is_empty() {
        eprintln!("{log}");
        bail!("the {target} fuzzer failed without leaving a crash input ({})", output.status);
    }
    if !crashes.is_empty() {
        // The panic message and the input, as libFuzzer printed them.
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    Ok(Outcome {
        target: target.to_owned(),
        seconds: started.elapsed().as_secs(),
        executions: stat("stat::number_of_executed_units:"),
        crashes,
    })
}

fn files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path().display().to_string())).collect())
        .unwrap_or_default()
}
