//! `cargo xtask test`: exactly what CI runs, cheapest checks first.

use std::{path::Path, process::Command};

use anyhow::{Context, bail};

use crate::{dist, install, shell};

/// The crates that must do no I/O (ARCHITECTURE.md, "Invariants"), and what they may therefore
/// never depend on, on any target: async runtimes, the DOM, IndexedDB, SQL, HTTP and WebSockets.
const PURE_CRATES: [&str; 2] = ["tandem-core", "tandem-sync"];
const IO_CRATES: [&str; 9] =
    ["tokio", "web-sys", "rusqlite", "axum", "hyper", "tokio-tungstenite", "gloo-net", "idb", "sqlx"];

/// Passed and failed counts, summed over every test runner's closing lines.
#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    failed: u64,
}

impl Counts {
    /// Adds the counts in a runner's output: cargo's and wasm-bindgen's `test result:` lines and
    /// node's `ℹ pass N` / `ℹ fail N` lines.
    fn add_from(&mut self, output: &str) {
        for line in output.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("test result: ") {
                self.passed += number_before(rest, " passed");
                self.failed += number_before(rest, " failed");
            } else if let Some(n) = line.strip_prefix("ℹ pass ") {
                self.passed += n.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(n) = line.strip_prefix("ℹ fail ") {
                self.failed += n.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
}

/// In "ok. 3 passed; 0 failed; ...", the number before `label`.
fn number_before(text: &str, label: &str) -> u64 {
    text.split(';')
        .find_map(|part| {
            part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ").strip_suffix(label)
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    install::for_tests(root)?;
    let mut counts = Counts::default();

    shell::run(shell::cargo().args(["fmt", "--all", "--check"]))?;
    check_pure_dependencies()?;
    shell::run(shell::cargo().args([
        "clippy",
        "--workspace",
        "--exclude",
        "tandem-web",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The shared crates (core, sync, api) really build for the browser on their own, with their own features (a
    // `check` would skip code generation; inside the web app's build, its features could hide a
    // missing one). Only their libraries: their test tools (proptest, criterion) are native-only.
    // In the size profile: no debug info, about half the CPU time of a dev build from cold. The
    // web app's real wasm build is `dist::build`, below.
    shell::run(shell::cargo().args([
        "build",
        "--target",
        install::WASM_TARGET,
        "--profile",
        "wasm-release",
        "--package",
        "tandem-core",
        "--package",
        "tandem-sync",
        "--package",
        "tandem-api",
    ]))?;
    shell::run(shell::cargo().args([
        "clippy",
        "--target",
        install::WASM_TARGET,
        "--package",
        "tandem-web",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    // The end-to-end tests start the real `tandem` binary; build it before they run.
    shell::run(shell::cargo().args(["build", "--package", "tandem-server", "--bin", "tandem"]))?;
    counts.add_from(&shell::run_and_capture(shell::cargo().args([
        "test",
        "--workspace",
        "--exclude",
        "tandem-web",
    ]))?);
    // The web crate's own tests run in headless Chromium through wasm-bindgen-test-runner.
    counts.add_from(&shell::run_and_capture(
        shell::cargo()
            .args(["test", "--package", "tandem-web", "--target", install::WASM_TARGET])
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?);

    dist::build(root)?;
    counts.add_from(&shell::run_and_capture(
        Command::new("node")
            .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
            .args(["tests/browser/", "tests/js/"])
            .env("TANDEM_BIN", dist::target_dir(root).join("debug/tandem"))
            .env("TANDEM_WEB_DIR", root.join(dist::DIST_DIR)),
    )?);

    println!("all checks passed in {:.0} s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", counts.passed, counts.failed);
    Ok(())
}

/// Fails when a pure crate has an I/O crate anywhere in its normal dependency tree, on any target.
fn check_pure_dependencies() -> anyhow::Result<()> {
    for package in PURE_CRATES {
        let args =
            ["tree", "--package", package, "--edges", "normal", "--target", "all", "--prefix", "depth"];
        eprintln!("$ cargo {}", args.join(" "));
        let output = shell::cargo()
            .args(args)
            .arg("--format")
            .arg("{p}")
            .output()
            .context("cannot run `cargo tree`")?;
        if !output.status.success() {
            bail!("`cargo tree --package {package}` failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        let found = io_dependencies(&tree);
        if let Some((first, _)) = found.first() {
            let named: Vec<String> = found
                .iter()
                .map(|(name, parent)| match parent {
                    Some(parent) => format!("{name} (through {parent})"),
                    None => format!("{name} (directly)"),
                })
                .collect();
            bail!(
                "{package} must do no I/O (ARCHITECTURE.md, Invariants) but depends on {}; move the \
                 code that needs it to server/, web/ or crates/client (see how it gets there with \
                 `cargo tree --package {package} --edges normal --target all --invert {first}`)",
                named.join(", ")
            );
        }
    }
    Ok(())
}

/// The I/O crates in `cargo tree --prefix depth --format {p}` output (lines like `2web-sys
/// v0.3.107`), each with the crate that depends on it (`None`: the root itself), once per edge.
///
/// One path is allowed: automerge's `wasm` feature, which the pure crates need on wasm32
/// (TOOLCHAIN.md), brings web-sys into automerge and its own crates (hexane) for console logging;
/// automerge does no I/O.
fn io_dependencies(tree: &str) -> Vec<(&str, Option<&str>)> {
    let mut parents: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for line in tree.lines() {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let (Ok(depth), Some(name)) =
            (line[..digits].parse::<usize>(), line[digits..].split_whitespace().next())
        else {
            continue;
        };
        parents.truncate(depth);
        // Depth 1 hangs off the root: a direct dependency.
        let parent = parents.last().copied().filter(|_| depth > 1);
        let allowed = name == "web-sys" && parents.contains(&"automerge");
        if IO_CRATES.contains(&name) && !allowed && !found.contains(&(name, parent)) {
            found.push((name, parent));
        }
        parents.push(name);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_crates_in_a_dependency_tree_are_named_once_with_the_crate_that_brings_them() {
        let tree = "0tandem-sync v0.1.0 (/work/crates/sync)\n1automerge v0.12.0\n2web-sys v0.3.107\n\
                    1helper v1.0.0\n2tokio v1.54.0\n3tokio-util v0.7.1\n2web-sys v0.3.107 (*)\n\
                    1helper v1.0.0 (*)\n1tokio v1.54.0 (*)\n";
        assert_eq!(
            io_dependencies(tree),
            [("tokio", Some("helper")), ("web-sys", Some("helper")), ("tokio", None)]
        );
    }

    #[test]
    fn automerges_own_wasm_dependencies_are_not_counted_as_io() {
        let tree = "0tandem-core v0.1.0\n1automerge v0.12.0\n2hexane v1.0.0\n3web-sys v0.3.107\n\
                    2web-sys v0.3.107 (*)\n1serde_json v1.0.1\n";
        assert!(io_dependencies(tree).is_empty(), "{:?}", io_dependencies(tree));
    }

    #[test]
    fn counts_are_summed_from_cargo_and_node_closing_lines() {
        let mut counts = Counts::default();
        counts.add_from(
            "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             test result: FAILED. 1 passed; 2 failed; 0 ignored\n\
             ℹ tests 4\nℹ pass 4\nℹ fail 0\n",
        );
        assert_eq!((counts.passed, counts.failed), (8, 2));
    }
}
