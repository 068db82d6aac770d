//! `cargo xtask`: the build steps cargo alone does not do.
//!
//! - `cargo xtask serve [-- tandem serve flags]`: install what is missing, build the web app and
//!   the relay in release mode, and run the relay serving the app.
//! - `cargo xtask dist`: build the web app into `web/dist` (wasm-bindgen, wasm-opt, brotli).
//! - `cargo xtask test`: everything CI runs, in order of cost: formatting, clippy, native tests,
//!   wasm32 builds, the web app, and the browser and JavaScript-peer tests.
//! - `cargo xtask fuzz [--minutes N] [--parallel] [--minimise] [TARGET...]`: coverage-guided fuzzing of the
//!   `fuzz/` targets on nightly (installed when missing), with a summary per target.
//! - `cargo xtask soak [--schedules N] [--kills N] [--seed S] [--writers W]`: the long fault
//!   runs against the real relay (`tandem-soak`): 100 fault schedules by default.
//! - `cargo xtask install`: only the installs (wasm target, wasm-bindgen CLI, npm packages,
//!   Chromium). Every other command runs it first; it is quick when everything is present.

mod dist;
mod fuzz;
mod install;
mod shell;
mod test;

use std::path::{Path, PathBuf};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("serve") => {
            install::for_build(&root)?;
            dist::build(&root)?;
            serve(&root, &args[1..])
        }
        Some("dist") => {
            install::for_build(&root)?;
            dist::build(&root)
        }
        Some("test") => test::run(&root),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("soak") => soak(&root, &args[1..]),
        Some("install") => install::for_tests(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <serve [-- tandem serve flags] | dist | test | fuzz [--minutes N] [--parallel] [--minimise] [TARGET...] | soak [--schedules N] [--kills N] | install>"
            );
            std::process::exit(2);
        }
    }
}

/// The repository's root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Builds the relay in release mode and runs it in the foreground, serving `web/dist`.
fn serve(root: &Path, extra: &[String]) -> anyhow::Result<()> {
    shell::run(shell::cargo().args(["build", "--release", "--package", "tandem-server", "--bin", "tandem"]))?;
    let extra = extra.strip_prefix(&["--".to_owned()]).unwrap_or(extra);
    let mut relay = std::process::Command::new(dist::target_dir(root).join("release/tandem"));
    relay.arg("serve").arg("--web-dir").arg(root.join(dist::DIST_DIR)).args(extra);
    shell::run(&mut relay)
}

/// Builds the relay and `tandem-soak` (debug, like the tests) and runs the soak with `extra`.
fn soak(root: &Path, extra: &[String]) -> anyhow::Result<()> {
    shell::run(shell::cargo().args(["build", "--package", "tandem-server", "--bin", "tandem"]))?;
    shell::run(shell::cargo().args(["build", "--package", "tandem-tests", "--bin", "tandem-soak"]))?;
    let mut soak = std::process::Command::new(dist::target_dir(root).join("debug/tandem-soak"));
    soak.args(extra).env("TANDEM_BIN", dist::target_dir(root).join("debug/tandem"));
    shell::run(&mut soak)
}
