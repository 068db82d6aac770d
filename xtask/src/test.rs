//! `cargo xtask test`: exactly what CI runs, cheapest checks first.

use std::{path::Path, process::Command};

use crate::{dist, install, shell};

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
    // Also the proof that the shared crates and the web app build for the browser. Only the
    // libraries of core, sync and api: their test tools (proptest, criterion) are native-only.
    shell::run(shell::cargo().args([
        "clippy",
        "--target",
        install::WASM_TARGET,
        "--package",
        "tandem-core",
        "--package",
        "tandem-sync",
        "--package",
        "tandem-api",
        "--",
        "-D",
        "warnings",
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

#[cfg(test)]
mod tests {
    use super::*;

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
